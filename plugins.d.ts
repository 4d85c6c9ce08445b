import type { Endpoint, Session, User } from "./index.js";

/** What a plugin function returns. `$api` only carries the endpoints' types for `auth.api`. */
export interface BetterAuthPlugin<Id extends string = string, Api = {}> {
  id: Id;
  options?: unknown;
  readonly $api?: Api;
}

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

export declare function genericOAuth(options: { config: GenericOAuthConfig[] }): BetterAuthPlugin<"generic-oauth">;

export interface BearerOptions {
  /** Accept only signed tokens (`token.signature`, as `set-auth-token` gives them). Default false. */
  requireSignature?: boolean;
}

export declare function bearer(options?: BearerOptions): BetterAuthPlugin<"bearer">;

type Check = (value: string) => boolean | Promise<boolean>;
type Normalize = ((value: string) => string | Promise<string>) | false;

export interface UsernameOptions {
  /** Default 3. */
  minUsernameLength?: number;
  /** Default 30. */
  maxUsernameLength?: number;
  /** Default: letters, digits, `_` and `.`. */
  usernameValidator?: Check;
  displayUsernameValidator?: Check;
  /** Default: lower-case. `false`: stored as given. */
  usernameNormalization?: Normalize;
  displayUsernameNormalization?: Normalize;
  validationOrder?: { username?: "pre-normalization" | "post-normalization"; displayUsername?: "pre-normalization" | "post-normalization" };
  immutableUsername?: boolean;
  /** Default true: a `displayUsername` field beside `username`. */
  displayUsername?: boolean;
  /** Column names for the fields. */
  schema?: { user?: { fields?: { username?: string; displayUsername?: string } } };
}

export interface UsernameApi {
  signInUsername: Endpoint<{ username: string; password: string; rememberMe?: boolean; callbackURL?: string }, { redirect: boolean; token: string; url?: string; user: User }>;
  isUsernameAvailable: Endpoint<{ username: string }, { available: boolean }>;
}

export declare function username(options?: UsernameOptions): BetterAuthPlugin<"username", UsernameApi>;

export interface OneTimeTokenOptions {
  /** Minutes. Default 3. */
  expiresIn?: number;
  /** Only `auth.api.generateOneTimeToken` (server side) may issue tokens. */
  disableClientRequest?: boolean;
  generateToken?: (session: { session: Session; user: User }) => string | Promise<string>;
  /** Verify answers the session without setting its cookie. */
  disableSetSessionCookie?: boolean;
  storeToken?: "plain" | "hashed" | { type: "custom-hasher"; hash: (token: string) => string | Promise<string> };
  /** A `set-ott` header on every response that starts a session. */
  setOttHeaderOnNewSession?: boolean;
}

export interface OneTimeTokenApi {
  generateOneTimeToken: Endpoint<never, { token: string }>;
  verifyOneTimeToken: Endpoint<{ token: string }, { session: Session; user: User }>;
}

export declare function oneTimeToken(options?: OneTimeTokenOptions): BetterAuthPlugin<"one-time-token", OneTimeTokenApi>;

export interface LastLoginMethodOptions {
  /** Default `better-auth.last_used_login_method` (used as is: no prefix). */
  cookieName?: string;
  /** Seconds; default 30 days. */
  maxAge?: number;
  /** Tried first; `null` falls back to upstream's rules. */
  customResolveMethod?: (ctx: { path: string; params: Record<string, string>; body: unknown; query: Record<string, unknown>; request?: Request }) => string | null | undefined;
  /** Also keep it in `user.lastLoginMethod`. */
  storeInDatabase?: boolean;
  beforeStoreCookie?: (ctx: { path: string; request?: Request }, method: string) => boolean | Promise<boolean>;
  schema?: { user?: { lastLoginMethod?: string } };
}

export declare function lastLoginMethod(options?: LastLoginMethodOptions): BetterAuthPlugin<"last-login-method">;

type JwtAlg = "EdDSA" | "ES256" | "ES512" | "RS256" | "PS256";

export interface JwtOptions {
  jwks?: {
    /** Default `{ alg: "EdDSA", crv: "Ed25519" }`. */
    keyPairConfig?: { alg: JwtAlg; crv?: "Ed25519" | "P-256" | "P-521"; modulusLength?: number };
    disablePrivateKeyEncryption?: boolean;
    /** Seconds a key signs before a new one is made. */
    rotationInterval?: number;
    /** Seconds an expired key stays in the JWKS; default 30 days. */
    gracePeriod?: number;
    /** Default `/jwks`. */
    jwksPath?: string;
    remoteUrl?: string;
    /** Not supported yet (warned). */
    keyPairConfigs?: unknown[];
  };
  jwt?: {
    /** Default: the base URL's origin. */
    issuer?: string;
    audience?: string | string[];
    /** Default `"15m"`; a number is an absolute time in seconds, as upstream. */
    expirationTime?: number | string | Date;
    definePayload?: (session: { session: Session; user: User }) => Record<string, unknown> | Promise<Record<string, unknown>>;
    getSubject?: (session: { session: Session; user: User }) => string | Promise<string>;
    /** A remote signer (needs `jwks.remoteUrl`). */
    sign?: (payload: Record<string, unknown>) => string | Promise<string>;
  };
  disableSettingJwtHeader?: boolean;
  /** The `jwks` table's name and columns. */
  schema?: { jwks?: { modelName?: string; fields?: Partial<Record<"publicKey" | "privateKey" | "createdAt" | "expiresAt" | "alg" | "crv", string>> } };
  /** Not supported yet (warned). */
  adapter?: unknown;
  sessionCookieCache?: boolean;
}

export interface JwtApi {
  getJwks: Endpoint<never, { keys: Array<Record<string, string>> }>;
  getToken: Endpoint<never, { token: string }>;
  /** Server only. */
  signJWT: Endpoint<{ payload: Record<string, unknown>; overrideOptions?: Record<string, unknown> }, { token: string }>;
  /** Server only: `payload` is null when the token does not verify. */
  verifyJWT: Endpoint<{ token: string; issuer?: string }, { payload: Record<string, unknown> | null }>;
}

export declare function jwt(options?: JwtOptions): BetterAuthPlugin<"jwt", JwtApi>;

export interface AnonymousOptions {
  /** Emails become `temp-<id>@<emailDomainName>`. Default: `<id>@anonymous.placeholder.invalid`. */
  emailDomainName?: string;
  /** Default `"Anonymous"` (also when it returns an empty string). */
  generateName?: (ctx: { path: string; params: Record<string, string>; body: unknown; query: Record<string, unknown>; request?: Request; headers?: Headers }) => string | Promise<string>;
  /** Tried first; must be a valid email (else 400 `INVALID_EMAIL_FORMAT`), and unique. */
  generateRandomEmail?: () => string | undefined | Promise<string | undefined>;
  /** When an anonymous browser signs in or up for real, before the anonymous user is deleted. */
  onLinkAccount?: (data: {
    anonymousUser: { user: User & { isAnonymous: boolean }; session: Session };
    newUser: { user: User; session: Session };
    ctx: { path: string; params: Record<string, string>; body: unknown; query: Record<string, unknown> };
  }) => void | Promise<void>;
  /** Keep anonymous users after linking, and refuse `/delete-anonymous-user`. */
  disableDeleteAnonymousUser?: boolean;
  /** `fields.isAnonymous`: its column. `modelName` has no effect, as upstream. */
  schema?: { user?: { modelName?: string; fields?: { isAnonymous?: string } } };
}

export interface AnonymousApi {
  signInAnonymous: Endpoint<never, { token: string; user: User & { isAnonymous: boolean } }>;
  deleteAnonymousUser: Endpoint<never, { success: boolean }>;
}

export declare function anonymous(options?: AnonymousOptions): BetterAuthPlugin<"anonymous", AnonymousApi>;

export interface OpenAPIOptions {
  /** The reference page's path; default `/reference`. */
  path?: string;
  disableDefaultReference?: boolean;
  theme?: "alternate" | "default" | "moon" | "purple" | "solarized" | "bluePlanet" | "saturn" | "kepler" | "mars" | "deepSpace" | "laserwave" | "none";
  /** A CSP nonce for the page's scripts. */
  nonce?: string;
}

export interface OpenAPIApi {
  generateOpenAPISchema: Endpoint<never, { openapi: string; paths: Record<string, unknown>; components: Record<string, unknown> }>;
  openAPIReference: Endpoint<never, string>;
}

export declare function openAPI(options?: OpenAPIOptions): BetterAuthPlugin<"open-api", OpenAPIApi>;

export interface MultiSessionOptions {
  /** Most multi-session cookies one device keeps (past it, a new session is active but not listed). Default 5. */
  maximumSessions?: number;
}

export interface MultiSessionApi {
  /** The device's live sessions, one per user. */
  listDeviceSessions: Endpoint<never, Array<{ session: Session; user: User }>>;
  setActiveSession: Endpoint<{ sessionToken: string }, { session: Session; user: User }>;
  revokeDeviceSession: Endpoint<{ sessionToken: string }, { status: boolean }>;
}

export declare function multiSession(options?: MultiSessionOptions): BetterAuthPlugin<"multi-session", MultiSessionApi>;

export interface CustomSessionPluginOptions {
  /** Also pass each `listDeviceSessions` item (multiSession) through the function. Default false. */
  shouldMutateListDeviceSessionsEndpoint?: boolean;
}

/** What the function gets as `ctx` (`request` and `headers` over HTTP only). */
export interface CustomSessionContext {
  path: string;
  params: Record<string, string>;
  body: unknown;
  query: Record<string, unknown>;
  request?: Request;
  headers?: Headers;
}

export interface CustomSessionApi<Returns> {
  /** Replaces the core's: GET only, answers what the function returns (null when signed out). */
  getSession: Endpoint<never, Returns | null, { disableCookieCache?: boolean; disableRefresh?: boolean }>;
}

export declare function customSession<Returns extends Record<string, any>>(
  fn: (session: { user: User; session: Session }, ctx: CustomSessionContext) => Returns | Promise<Returns>,
  options?: unknown,
  pluginOptions?: CustomSessionPluginOptions,
): BetterAuthPlugin<"custom-session", CustomSessionApi<Returns>>;

export interface TwoFactorOptions {
  /** The TOTP issuer `/two-factor/enable` names (default `appName`). */
  issuer?: string;
  /** Enable TOTP at once, without a first `/verify-totp`. */
  skipVerificationOnEnable?: boolean;
  /** No password needed from users who have none. */
  allowPasswordless?: boolean;
  /** Renames the `twoFactor` table. */
  twoFactorTable?: string;
  totpOptions?: {
    /** Default 6. */
    digits?: number;
    /** Seconds, default 30. */
    period?: number;
    disable?: boolean;
    /** The issuer `/two-factor/get-totp-uri` names (default `appName`, as upstream). */
    issuer?: string;
    allowPasswordless?: boolean;
  };
  otpOptions?: {
    sendOTP?: (data: { user: User & { twoFactorEnabled: boolean }; otp: string }, ctx?: unknown) => void | Promise<void>;
    /** Minutes, default 3. */
    period?: number;
    /** Default 6. */
    digits?: number;
    /** Wrong guesses per sent code, default 5. */
    allowedAttempts?: number;
    /** Default `"plain"`. */
    storeOTP?: "plain" | "hashed" | "encrypted";
  };
  backupCodeOptions?: {
    /** Default 10. */
    amount?: number;
    /** Default 10. */
    length?: number;
    /** Default `"encrypted"`. */
    storeBackupCodes?: "plain" | "encrypted";
    allowPasswordless?: boolean;
  };
  /** Seconds the sign-in challenge lasts, default 600. */
  twoFactorCookieMaxAge?: number;
  /** Seconds a trusted device skips the second factor, default 30 days. */
  trustDeviceMaxAge?: number;
  /** Locks an account's second factor after repeated failures. Default on: 10 failures, 900 s. */
  accountLockout?: { enabled?: boolean; maxFailedAttempts?: number; durationSeconds?: number };
  schema?: {
    user?: { fields?: { twoFactorEnabled?: string } };
    twoFactor?: { modelName?: string; fields?: Partial<Record<"secret" | "backupCodes" | "userId" | "verified" | "failedVerificationCount" | "lockedUntil", string>> };
  };
}

type TwoFactorUser = User & { twoFactorEnabled: boolean };

export interface TwoFactorApi {
  enableTwoFactor: Endpoint<{ password?: string; method?: "totp" | "otp"; issuer?: string }, { method: "totp"; totpURI: string; backupCodes: string[] } | { method: "otp" }>;
  disableTwoFactor: Endpoint<{ password?: string }, { status: boolean }>;
  getTOTPURI: Endpoint<{ password?: string }, { totpURI: string }>;
  verifyTOTP: Endpoint<{ code: string; trustDevice?: boolean }, { token: string; user: TwoFactorUser }>;
  sendTwoFactorOTP: Endpoint<{ trustDevice?: boolean } | undefined, { status: boolean }>;
  verifyTwoFactorOTP: Endpoint<{ code: string; trustDevice?: boolean }, { token: string; user: TwoFactorUser }>;
  verifyBackupCode: Endpoint<{ code: string; disableSession?: boolean; trustDevice?: boolean }, { token?: string; user: TwoFactorUser }>;
  generateBackupCodes: Endpoint<{ password?: string }, { status: boolean; backupCodes: string[] }>;
  generateTOTP: Endpoint<{ secret: string }, { code: string }>;
  viewBackupCodes: Endpoint<{ userId: string }, { status: boolean; backupCodes: string[] }>;
}

export declare function twoFactor(options?: TwoFactorOptions): BetterAuthPlugin<"two-factor", TwoFactorApi>;
