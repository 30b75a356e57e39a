// The one internal module we call (see key-reload.ts); it has no published types.
declare module 'oidc-provider/lib/helpers/initialize_keystore.js' {
  const initialize: (this: unknown, jwks: object) => void;
  export default initialize;
}
