// Plugins, imported as upstream's are (`better-auth/plugins`) and passed in `plugins: [...]`.
// Each returns `{ id, options }`; the Rust core reads the options and runs the plugin.

/**
 * Any OAuth 2.0 / OpenID Connect provider, by `discoveryUrl` or explicit endpoints. Its
 * providers join `socialProviders`: sign in with `POST /sign-in/social { provider: providerId }`.
 */
export function genericOAuth(options) {
  return { id: "generic-oauth", options };
}
