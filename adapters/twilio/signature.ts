// Twilio's webhook signature (X-Twilio-Signature), implemented from Twilio's documented algorithm so
// the webhook path does not load the SDK: base64(HMAC-SHA1(authToken, url + each POST parameter's
// name and value, sorted by name)).
import { createHmac, timingSafeEqual } from 'node:crypto';

export function signTwilioRequest(authToken: string, url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => acc + key + params[key], url);
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

/** Twilio signs the URL as configured, which may or may not spell out the default port. */
function urlVariants(fullUrl: string): string[] {
  const url = URL.parse(fullUrl);
  if (!url) return [fullUrl];
  const defaultPort = url.protocol === 'https:' ? '443' : url.protocol === 'http:' ? '80' : '';
  if (!defaultPort || url.username || (url.port && url.port !== defaultPort)) return [fullUrl];
  const rest = `${url.pathname}${url.search}`;
  return [fullUrl, `${url.protocol}//${url.hostname}${rest}`, `${url.protocol}//${url.hostname}:${defaultPort}${rest}`];
}

/**
 * True when `signatureHeader` is Twilio's signature of this request. `fullUrl` must be the public
 * URL Twilio called (scheme, host, path and query), not the one seen behind a proxy.
 */
export function verifyTwilioSignature(
  authToken: string,
  signatureHeader: string | undefined,
  fullUrl: string,
  params: Record<string, string>,
): boolean {
  if (!signatureHeader) return false;
  const given = Buffer.from(signatureHeader);
  return urlVariants(fullUrl).some((url) => {
    const expected = Buffer.from(signTwilioRequest(authToken, url, params));
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
}
