// Plugins, imported as upstream's are (`better-auth/plugins`) and passed in `plugins: [...]`.
// Each returns `{ id, options }` under upstream's plugin id; the Rust core reads the options
// (strictly: an unknown key throws) and runs the plugin.

const plugin = (id) => (options) => ({ id, options });

/**
 * Any OAuth 2.0 / OpenID Connect provider, by `discoveryUrl` or explicit endpoints. Its
 * providers join `socialProviders`: sign in with `POST /sign-in/social { provider: providerId }`.
 */
export const genericOAuth = plugin("generic-oauth");
/** `Authorization: Bearer <token>` as the session; `set-auth-token` on responses that sign in. */
export const bearer = plugin("bearer");
/** `POST /sign-in/username`, `POST /is-username-available`, `username` on the user. */
export const username = plugin("username");
/** `GET /one-time-token/generate`, `POST /one-time-token/verify`: single-use session tokens. */
export const oneTimeToken = plugin("one-time-token");
/** A readable cookie (and with `storeInDatabase` a user field) naming the last sign-in method. */
export const lastLoginMethod = plugin("last-login-method");
/** `GET /token`, `GET /jwks`, `set-auth-jwt` on get-session; keys in the `jwks` table. */
export const jwt = plugin("jwt");
