// Types for better-auth-rs: the option object, `auth`, and `auth.api` of this version.

export interface CookieAttributes {
  secure?: boolean;
  sameSite?: "lax" | "strict" | "none" | "Lax" | "Strict" | "None";
  path?: string;
  httpOnly?: boolean;
  domain?: string;
  partitioned?: boolean;
}

export type LogLevel = "debug" | "info" | "success" | "warn" | "error";

/**
 * Upstream's `BetterAuthOptions`. The keys listed are honoured; other upstream keys are
 * accepted with a warning, and keys upstream does not know throw.
 */
export interface BetterAuthOptions {
  /**
   * A URL (`sqlite:./auth.db`, `sqlite::memory:`, `postgres://...`, `mysql://...`),
   * `{ provider, url, max?, idleTimeoutMillis?, connectionTimeoutMillis? }`, or the better-sqlite3
   * `Database`, `pg` Pool or `mysql2` pool an upstream config passes (the Rust side opens its own
   * pool from its settings); default: `./better-auth.db`.
   */
  database?:
    | string
    | { provider: "sqlite" | "postgres" | "mysql"; url: string; max?: number; idleTimeoutMillis?: number; connectionTimeoutMillis?: number }
    | { prepare: (...args: never[]) => unknown; name: string; memory: boolean }
    | { connect: (...args: never[]) => unknown; options: object }
    | { getConnection: (...args: never[]) => unknown };
  /** Create or complete the tables on first use (default: true for SQLite). */
  autoMigrate?: boolean;
  /** `"redis://host:6379"` (built in) or upstream's interface; holds sessions, verification values, rate limits. */
  secondaryStorage?: string | SecondaryStorage;
  /** Runs around every endpoint, over HTTP and through `auth.api` (see `better-auth-rs/api`). */
  hooks?: {
    before?: (ctx: import("./api.js").HookContext) => unknown | Promise<unknown>;
    after?: (ctx: import("./api.js").HookContext) => unknown | Promise<unknown>;
  };
  /** `create.before` may return `false` (refuse) or `{ data }` (merged); `create.after` sees the stored row. */
  databaseHooks?: {
    user?: DatabaseHook<User>;
    session?: DatabaseHook<Session>;
    account?: DatabaseHook<Record<string, unknown>>;
    verification?: DatabaseHook<{ identifier: string; value: string; expiresAt: Date; createdAt: Date; updatedAt: Date; id?: string }>;
  };
  account?: {
    modelName?: string;
    fields?: Partial<Record<"accountId" | "providerId" | "userId" | "accessToken" | "refreshToken" | "idToken" | "accessTokenExpiresAt" | "refreshTokenExpiresAt" | "scope" | "password" | "createdAt" | "updatedAt", string>>;
    [unsupported: string]: unknown;
  };
  verification?: {
    storeInDatabase?: boolean;
    modelName?: string;
    fields?: Partial<Record<"identifier" | "value" | "expiresAt" | "createdAt" | "updatedAt", string>>;
    [unsupported: string]: unknown;
  };
  /** Default: `BETTER_AUTH_SECRET`, then `AUTH_SECRET`; required in production. */
  secret?: string;
  /** Default: `BETTER_AUTH_URL`, else inferred per request. */
  baseURL?: string;
  /** Default `/api/auth`. */
  basePath?: string;
  /** Exact origins, `*` wildcards, custom schemes; or a function of the request. */
  trustedOrigins?: string[] | ((request?: Request) => (string | null | undefined)[] | Promise<(string | null | undefined)[]>);
  /** Request bodies longer than this many bytes get 413 (default 1 MiB). */
  maxBodySize?: number;
  /** Milliseconds to wait for a whole request body; a client that trickles it gets 408 (default 10000, 0: no limit). */
  bodyTimeout?: number;
  /** Ours: deletes expired sessions, verification values and idle rate-limit rows in the background. */
  expiredRowSweep?: { enabled?: boolean; intervalSeconds?: number; batchSize?: number };
  appName?: string;
  emailAndPassword?: {
    enabled?: boolean;
    disableSignUp?: boolean;
    /** Default 8. */
    minPasswordLength?: number;
    /** Default 128. */
    maxPasswordLength?: number;
    /** Default true; false signs up without a session. */
    autoSignIn?: boolean;
    /** Mails the reset link; enables password reset. */
    sendResetPassword?: (data: { user: User; url: string; token: string }, request?: Request) => Promise<void> | void;
    /** Seconds; default 3600. */
    resetPasswordTokenExpiresIn?: number;
    onPasswordReset?: (data: { user: User }, request?: Request) => Promise<void> | void;
    revokeSessionsOnPasswordReset?: boolean;
    /** Generic-duplicate mode only: told about a sign-up with a taken email. */
    onExistingUserSignUp?: (data: { user: User }, request?: Request) => Promise<void> | void;
    customSyntheticUser?: (data: { coreFields: Omit<User, "id">; additionalFields: Record<string, unknown>; id: string }) => Record<string, unknown>;
    /** Unverified users cannot sign in; sign-up answers duplicates like successes. */
    requireEmailVerification?: boolean;
    /** Replace argon2id: `hash(password)` and `verify({ hash, password })`. */
    password?: { hash?: (password: string) => Promise<string> | string; verify?: (data: { hash: string; password: string }) => Promise<boolean> | boolean };
    [unsupported: string]: unknown;
  };
  emailVerification?: {
    sendVerificationEmail?: (data: { user: User; url: string; token: string }, request?: Request) => Promise<void> | void;
    /** Default: `emailAndPassword.requireEmailVerification`. */
    sendOnSignUp?: boolean;
    sendOnSignIn?: boolean;
    autoSignInAfterVerification?: boolean;
    /** Seconds; default 3600. */
    expiresIn?: number;
    beforeEmailVerification?: (user: User, request?: Request) => Promise<void> | void;
    afterEmailVerification?: (user: User, request?: Request) => Promise<void> | void;
    [unsupported: string]: unknown;
  };
  user?: {
    changeEmail?: {
      enabled?: boolean;
      /** Mails the current address first when it is verified. */
      sendChangeEmailConfirmation?: (data: { user: User; newEmail: string; url: string; token: string }, request?: Request) => Promise<void> | void;
      updateEmailWithoutVerification?: boolean;
    };
    deleteUser?: {
      enabled?: boolean;
      sendDeleteAccountVerification?: (data: { user: User; url: string; token: string }, request?: Request) => Promise<void> | void;
      beforeDelete?: (user: User, request?: Request) => Promise<void> | void;
      afterDelete?: (user: User, request?: Request) => Promise<void> | void;
      /** Seconds; default 86400. */
      deleteTokenExpiresIn?: number;
    };
    additionalFields?: Record<string, FieldAttribute>;
    /** The table's name; default `user`. */
    modelName?: string;
    /** Column names of the core fields, e.g. `{ email: "email_address" }`. */
    fields?: Partial<Record<"name" | "email" | "emailVerified" | "image" | "createdAt" | "updatedAt", string>>;
    [unsupported: string]: unknown;
  };
  session?: {
    /** Seconds; default 604800 (7 days). */
    expiresIn?: number;
    /** Seconds; default 86400. 0 refreshes on every read. */
    updateAge?: number;
    /** Seconds; default 86400. */
    freshAge?: number;
    /** With `secondaryStorage`: also keep sessions in the database. */
    storeSessionInDatabase?: boolean;
    preserveSessionInDatabase?: boolean;
    additionalFields?: Record<string, FieldAttribute>;
    modelName?: string;
    fields?: Partial<Record<"expiresAt" | "token" | "createdAt" | "updatedAt" | "ipAddress" | "userAgent" | "userId", string>>;
    [unsupported: string]: unknown;
  };
  advanced?: {
    cookiePrefix?: string;
    useSecureCookies?: boolean;
    defaultCookieAttributes?: CookieAttributes;
    disableCSRFCheck?: boolean;
    disableOriginCheck?: boolean;
    ipAddress?: { ipAddressHeaders?: string[]; disableIpTracking?: boolean; ipv6Subnet?: number; trustedProxies?: string[] };
    [unsupported: string]: unknown;
  };
  rateLimit?: {
    /** Default: on when NODE_ENV=production. */
    enabled?: boolean;
    /** Seconds; default 10. */
    window?: number;
    /** Default 100. */
    max?: number;
    customRules?: Record<
      string,
      | { window: number; max: number }
      | false
      | ((request: Request, current: { window: number; max: number }) => { window: number; max: number } | false | Promise<{ window: number; max: number } | false>)
    >;
    storage?: "memory" | "database" | "secondary-storage";
    /** Table for `storage: "database"`; default `rateLimit`. */
    modelName?: string;
    fields?: Partial<Record<"key" | "count" | "lastRequest", string>>;
  };
  secrets?: { version: number; value: string }[];
  logger?: {
    disabled?: boolean;
    disableColors?: boolean;
    level?: Exclude<LogLevel, "success">;
    log?: (level: Exclude<LogLevel, "success">, message: string) => void;
  };
  telemetry?: { enabled?: boolean; debug?: boolean };
  /** From `better-auth-rs/plugins`, as upstream's from `better-auth/plugins`. */
  plugins?: readonly import("./plugins.js").BetterAuthPlugin[];
  [unsupported: string]: unknown;
}

/** Upstream's `secondaryStorage` interface (TTLs in seconds). */
export interface SecondaryStorage {
  get(key: string): Promise<string | null | object> | string | null | object;
  set(key: string, value: string, ttl?: number): Promise<unknown> | unknown;
  delete(key: string): Promise<unknown> | unknown;
  getAndDelete?(key: string): Promise<string | null> | string | null;
  increment?(key: string, ttl: number): Promise<number> | number;
}

export interface DatabaseHook<T> {
  create?: {
    before?: (row: Omit<T, "id">, ctx?: { path: string; body: unknown; query: unknown; request?: Request; headers?: Headers }) => unknown | Promise<unknown>;
    after?: (row: T, ctx?: { path: string; body: unknown; query: unknown; request?: Request; headers?: Headers }) => unknown | Promise<unknown>;
  };
  [unsupported: string]: unknown;
}

/** `user.additionalFields` / `session.additionalFields` entries. */
export interface FieldAttribute {
  type: "string" | "number" | "boolean" | "date" | "json" | "string[]" | "number[]" | string[];
  required?: boolean;
  input?: boolean;
  returned?: boolean;
  defaultValue?: unknown | (() => unknown);
  unique?: boolean;
  index?: boolean;
  sortable?: boolean;
  bigint?: boolean;
  fieldName?: string;
  [unsupported: string]: unknown;
}

export interface User {
  id: string;
  name: string;
  email: string;
  emailVerified: boolean;
  image: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface Session {
  id: string;
  token: string;
  userId: string;
  expiresAt: Date;
  createdAt: Date;
  updatedAt: Date;
  ipAddress: string | null;
  userAgent: string | null;
}

/** An account as the list endpoints return it (tokens and password never included). */
export interface Account {
  id: string;
  providerId: string;
  accountId: string;
  userId: string;
  scopes: string[];
  createdAt: Date;
  updatedAt: Date;
}

/** What `auth.api.*` accepts, as upstream. */
export interface ApiInput<Body = unknown, Query = Record<string, unknown>> {
  body?: Body;
  query?: Query;
  /** Path parameters, e.g. `{ token }` for `/reset-password/:token`. */
  params?: Record<string, string>;
  headers?: Headers | Record<string, string | string[] | undefined>;
  request?: Request;
  method?: string;
  asResponse?: boolean;
  returnHeaders?: boolean;
  returnStatus?: boolean;
}

type ApiResult<T, I> = I extends { asResponse: true }
  ? Response
  : I extends { returnHeaders: true; returnStatus: true }
    ? { headers: Headers; response: T; status: number }
    : I extends { returnHeaders: true }
      ? { headers: Headers; response: T }
      : I extends { returnStatus: true }
        ? { response: T; status: number }
        : T;

export type Endpoint<Body, T, Query = Record<string, unknown>> = <I extends ApiInput<Body, Query>>(input?: I) => Promise<ApiResult<T, I>>;

export interface SignUpEmailBody {
  name: string;
  email: string;
  password: string;
  image?: string;
  callbackURL?: string;
  rememberMe?: boolean;
}

export interface SignInEmailBody {
  email: string;
  password: string;
  callbackURL?: string;
  rememberMe?: boolean;
}

export interface CoreApi {
  ok: Endpoint<never, { ok: boolean }>;
  getSession: Endpoint<never, { session: Session; user: User } | null, { disableCookieCache?: boolean; disableRefresh?: boolean }>;
  signUpEmail: Endpoint<SignUpEmailBody, { token: string | null; user: User }>;
  signInEmail: Endpoint<SignInEmailBody, { redirect: boolean; token: string; url?: string; user: User }>;
  signOut: Endpoint<{ callbackURL?: string; disableRedirect?: boolean; state?: string } | undefined, { success: boolean; url?: string; redirect?: boolean }>;
  listSessions: Endpoint<never, Session[]>;
  revokeSession: Endpoint<{ token: string }, { status: boolean }>;
  revokeSessions: Endpoint<Record<string, never> | undefined, { status: boolean }>;
  revokeOtherSessions: Endpoint<Record<string, never> | undefined, { status: boolean }>;
  updateUser: Endpoint<{ name?: string; image?: string | null }, { status: boolean }>;
  changePassword: Endpoint<{ newPassword: string; currentPassword: string; revokeOtherSessions?: boolean }, { token: string | null; user: User }>;
  verifyPassword: Endpoint<{ password: string }, { status: boolean }>;
  /** Server only: a first password for a user without one. */
  setPassword: Endpoint<{ newPassword: string }, { status: boolean }>;
  listUserAccounts: Endpoint<never, Account[]>;
  unlinkAccount: Endpoint<{ accountId: string }, { status: boolean }>;
  requestPasswordReset: Endpoint<{ email: string; redirectTo?: string }, { status: boolean; message: string }>;
  requestPasswordResetCallback: Endpoint<never, never, { callbackURL: string }>;
  resetPassword: Endpoint<{ newPassword: string; token?: string }, { status: boolean }, { token?: string }>;
  sendVerificationEmail: Endpoint<{ email: string; callbackURL?: string }, { status: boolean }>;
  verifyEmail: Endpoint<never, { status: boolean; user: User | null }, { token: string; callbackURL?: string }>;
  deleteUser: Endpoint<{ password?: string; token?: string; callbackURL?: string } | undefined, { success: boolean; message: string }>;
  deleteUserCallback: Endpoint<never, { success: boolean; message: string }, { token: string; callbackURL?: string }>;
  updateSession: Endpoint<Record<string, unknown>, { session: Session }>;
  changeEmail: Endpoint<{ newEmail: string; callbackURL?: string }, { status: boolean }>;
  signInSocial: Endpoint<{ provider: string; callbackURL?: string; newUserCallbackURL?: string; errorCallbackURL?: string; disableRedirect?: boolean; idToken?: { token: string; nonce?: string; accessToken?: string; refreshToken?: string }; scopes?: string[]; requestSignUp?: boolean; loginHint?: string; additionalData?: Record<string, unknown> }, { redirect: boolean; url?: string; token?: string; user?: User }>;
  callbackOAuth: Endpoint<Record<string, unknown> | undefined, never, Record<string, string>>;
  linkSocialAccount: Endpoint<{ provider: string; callbackURL?: string; errorCallbackURL?: string; disableRedirect?: boolean; idToken?: { token: string; nonce?: string; accessToken?: string; refreshToken?: string }; scopes?: string[] }, { url: string; redirect: boolean; status?: boolean }>;
  getAccessToken: Endpoint<{ accountId: string; userId?: string }, { accessToken: string; accessTokenExpiresAt?: Date; scopes: string[]; idToken?: string; tokenType?: string }>;
  refreshToken: Endpoint<{ accountId: string; userId?: string }, { accessToken: string; refreshToken?: string; accessTokenExpiresAt?: Date; refreshTokenExpiresAt?: Date; scope?: string; idToken?: string; providerId: string; accountId: string; tokenType?: string }>;
  accountInfo: Endpoint<never, { user: Record<string, unknown>; data: Record<string, unknown> }, { accountId?: string }>;
  error: Endpoint<never, string>;
}

type UnionToIntersection<U> = (U extends unknown ? (k: U) => void : never) extends (k: infer I) => void ? I : never;
/** The `auth.api` methods the given plugins add. */
export type PluginApi<O> = O extends { plugins: readonly (infer P)[] }
  ? UnionToIntersection<P extends { readonly $api?: infer A } ? (unknown extends A ? {} : NonNullable<A>) : {}>
  : {};

export interface Auth<Api = {}> {
  /** The web-standard handler: `Request` in, `Response` out. */
  handler: (request: Request) => Promise<Response>;
  fetch: (request: Request) => Promise<Response>;
  /** Plugin endpoints replace core ones of the same name, as upstream (customSession's getSession). */
  api: Omit<CoreApi, keyof Api> & Api;
  options: BetterAuthOptions;
  $ERROR_CODES: Record<string, { code: string; message: string }>;
  /** Lists (`apply: false`) or applies the schema statements the database still needs. */
  migrate: (options?: { apply?: boolean }) => Promise<string[]>;
}

export declare function betterAuth<const O extends BetterAuthOptions = BetterAuthOptions>(options?: O): Auth<PluginApi<O>>;

/** Thrown by `auth.api.*`, as better-call's. */
export declare class APIError extends Error {
  name: "APIError";
  /** e.g. `"UNAUTHORIZED"`. */
  status: string | number;
  statusCode: number;
  body: { message: string; code?: string } | undefined;
  headers: Headers | Record<string, string>;
  constructor(status?: string | number, body?: { message: string; code?: string }, headers?: Headers | Record<string, string>, statusCode?: number);
}

export declare const NATIVE: unique symbol;
export declare const TRUSTED_ORIGINS: unique symbol;
export declare const LOGGER: unique symbol;
