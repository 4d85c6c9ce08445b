// `better-auth-rs/api`: what upstream's `better-auth/api` gives hook authors.
export { APIError } from "./lib/api-error.js";
export { createAuthMiddleware } from "./lib/hooks.js";
