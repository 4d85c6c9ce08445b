export interface GenericOAuthConfig {
  providerId: string;
  clientId: string;
  clientSecret?: string;
  /** An OpenID configuration URL; explicit endpoints below win over what it says. */
  discoveryUrl?: string;
  authorizationUrl?: string;
  tokenUrl?: string;
  userInfoUrl?: string;
  scopes?: string[];
  /** Default true. */
  pkce?: boolean;
  redirectURI?: string;
  prompt?: string;
  accessType?: string;
  responseMode?: "query" | "form_post";
  authorizationUrlParams?: Record<string, string>;
  authentication?: "basic" | "post";
  disableSignUp?: boolean;
  disableImplicitSignUp?: boolean;
  requireEmailVerification?: boolean;
  mapProfileToUser?: (profile: Record<string, unknown>) => Record<string, unknown> | Promise<Record<string, unknown>>;
  [unsupported: string]: unknown;
}

export interface BetterAuthPlugin {
  id: string;
  options?: unknown;
}

export declare function genericOAuth(options: { config: GenericOAuthConfig[] }): BetterAuthPlugin;
