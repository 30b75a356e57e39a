// How long what oidc-provider issues stays valid, in seconds. Key rotation reads it too: a retired
// signing key stays published as long as anything it signed can still be presented.
const DAY = 24 * 3600;

export const LIFETIMES = {
  AccessToken: 3600,
  AuthorizationCode: 60,
  ClientCredentials: 600,
  IdToken: 3600,
  Interaction: 3600,
  // An ID token comes back as id_token_hint at logout for as long as its session lives.
  Session: 14 * DAY,
  Grant: 14 * DAY,
  RefreshToken: 14 * DAY,
} as const;

/** The longest of them: how long a retired signing key stays published. */
export const RETIRED_KEY_GRACE_SECONDS = Math.max(...Object.values(LIFETIMES));
