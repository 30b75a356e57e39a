// TwiML for the voice factor. Texts arrive localised from the caller; this module only decides the
// call's shape. Only the SDK's TwiML builder is loaded, not the whole SDK.
import VoiceResponse from 'twilio/lib/twiml/VoiceResponse.js';

export type VoiceLanguage = 'ja' | 'en';

const VOICES = {
  ja: { language: 'ja-JP', voice: 'Polly.Mizuki' },
  en: { language: 'en-US', voice: 'Polly.Joanna' },
} as const;

/**
 * A call that asks the user to press `#` to approve the sign-in, or `0` to report that they did not
 * try to sign in.
 *
 * Why a single key with `finishOnKey=""` rather than "finish on #": with `finishOnKey="#"` a lone `#`
 * posts empty `Digits`, which is exactly what a timeout posts when `actionOnEmptyResult` is on, so an
 * unanswered phone or a voicemail box would approve. Here `#` is an ordinary key, captured as
 * `Digits="#"`; the first key ends the gather (`numDigits=1`); and silence never reaches the action
 * URL (`actionOnEmptyResult` stays off) but falls through to the goodbye. Read the result with
 * {@link readPressedKey}.
 */
export function pressToApproveTwiml(options: {
  language: VoiceLanguage;
  gatherActionUrl: string;
  prompt: string;
  goodbye: string;
  /** Office phones: dialled as tones once the switchboard answers. */
  extension?: string;
}): string {
  const voice = VOICES[options.language];
  const response = new VoiceResponse();
  dialExtension(response, options.extension);
  const gather = response.gather({
    input: ['dtmf'],
    numDigits: 1,
    finishOnKey: '',
    timeout: 10,
    action: options.gatherActionUrl,
    method: 'POST',
    actionOnEmptyResult: false,
  });
  gather.say(voice, options.prompt);
  response.say(voice, options.goodbye);
  response.hangup();
  return response.toString();
}

/** `w` waits half a second: switchboards need a moment before they listen for an extension. */
function dialExtension(response: VoiceResponse, extension: string | undefined): void {
  if (extension) response.play({ digits: `wwww${extension}` });
}

export type PressedKey = 'approve' | 'fraud' | 'other';

/** What the `Digits` posted to the gather action of {@link pressToApproveTwiml} means. */
export function readPressedKey(digits: string | undefined): PressedKey {
  if (digits === '#') return 'approve';
  if (digits === '0') return 'fraud';
  return 'other';
}

/** Speech engines read "123456" as a large number; separated digits are read one by one. */
function spokenDigits(code: string, language: VoiceLanguage): string {
  return [...code].join(language === 'ja' ? '、' : ', ');
}

/** A call that reads a one-time code `repeat` times, each time after the prompt. */
export function readCodeTwiml(options: { language: VoiceLanguage; code: string; prompt: string; repeat: number; extension?: string }): string {
  const voice = VOICES[options.language];
  const response = new VoiceResponse();
  dialExtension(response, options.extension);
  for (let i = 0; i < options.repeat; i++) {
    response.say(voice, options.prompt);
    response.say(voice, spokenDigits(options.code, options.language));
    response.pause({ length: 1 });
  }
  response.hangup();
  return response.toString();
}

/** The answer to a gather action: one sentence, then the call ends. */
export function sayAndHangUpTwiml(options: { language: VoiceLanguage; text: string }): string {
  const response = new VoiceResponse();
  response.say(VOICES[options.language], options.text);
  response.hangup();
  return response.toString();
}

export interface TwimlSummary {
  /** Everything the call says, in order. */
  says: string[];
  gather?: { action: string; numDigits?: number; finishOnKey: string; actionOnEmptyResult: boolean };
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescapeXml(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, entity: string) => {
    if (entity.startsWith('#x') || entity.startsWith('#X')) return String.fromCodePoint(parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(parseInt(entity.slice(1), 10));
    return XML_ENTITIES[entity] ?? whole;
  });
}

function attributes(tag: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const [, name, value] of tag.matchAll(/([A-Za-z]+)="([^"]*)"/g)) found[name!] = unescapeXml(value!);
  return found;
}

/**
 * Reads back the TwiML this module builds (not arbitrary TwiML): for the development console and the
 * test fake of Twilio, which must act on the gather like Twilio does.
 */
export function describeTwiml(twiml: string): TwimlSummary {
  const says = [...twiml.matchAll(/<Say\b[^>]*>([\s\S]*?)<\/Say>/g)].map(([, text]) => unescapeXml(text!));
  const gatherTag = /<Gather\b(?:[^>"]|"[^"]*")*>/.exec(twiml)?.[0];
  if (!gatherTag) return { says };
  const attrs = attributes(gatherTag);
  return {
    says,
    gather: {
      action: attrs.action ?? '',
      numDigits: attrs.numDigits ? Number(attrs.numDigits) : undefined,
      finishOnKey: attrs.finishOnKey ?? '#',
      actionOnEmptyResult: attrs.actionOnEmptyResult === 'true',
    },
  };
}
