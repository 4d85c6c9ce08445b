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
/** `POST /sign-in/anonymous`, `POST /delete-anonymous-user`, `isAnonymous` on the user; linked on real sign-in. */
export const anonymous = plugin("anonymous");
/**
 * `/two-factor/*`: TOTP, OTP by `otpOptions.sendOTP` and backup codes. A password sign-in of a
 * user with `twoFactorEnabled` answers `{ twoFactorRedirect: true }` and no session until verified.
 */
export const twoFactor = plugin("two-factor");
/** `GET /open-api/generate-schema` (OpenAPI 3.1 of every endpoint) and the `/reference` page. */
export const openAPI = plugin("open-api");
/** `/multi-session/list-device-sessions`, `/set-active`, `/revoke`: several accounts signed in on one device. */
export const multiSession = (options) => ({
  id: "multi-session",
  // Upstream's `{ maximumSessions: 5, ...options }`: an explicit `undefined` lifts the limit.
  options: options && "maximumSessions" in options && options.maximumSessions === undefined ? { ...options, maximumSessions: Number.MAX_VALUE } : options,
});
/**
 * `customSession(fn, options?, pluginOptions?)`: `fn({ session, user }, ctx)` reshapes what
 * get-session answers. `options` (upstream's, for type inference) is not used.
 */
export const customSession = (fn, options, pluginOptions) => ({
  id: "custom-session",
  options: {
    ...pluginOptions,
    // Its answer goes to Rust as JSON, as upstream sends it (Dates as ISO strings).
    fn:
      typeof fn === "function"
        ? async (...args) => {
            const answer = await fn(...args);
            return answer === undefined ? null : JSON.parse(JSON.stringify(answer));
          }
        : fn,
  },
});
