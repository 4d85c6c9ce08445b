// Compiled with `tsc --noEmit --strict` by __test__/types.test.mjs: the guide's code and the
// options type-check; the misuses marked @ts-expect-error must fail to.
import express from "express";
import cors from "cors";
import { betterAuth, APIError, type Session, type User } from "better-auth-rs";
import { toNodeHandler, fromNodeHeaders } from "better-auth-rs/node";
import { createAuthMiddleware } from "better-auth-rs/api";
import { bearer, username, oneTimeToken, jwt, lastLoginMethod, anonymous, multiSession, openAPI } from "better-auth-rs/plugins";

export const auth = betterAuth({
  database: "sqlite:./auth.db",
  secret: process.env.BETTER_AUTH_SECRET,
  baseURL: "http://localhost:3005",
  emailAndPassword: { enabled: true, minPasswordLength: 10, autoSignIn: true },
  session: { expiresIn: 60 * 60 * 24 * 7, updateAge: 60 * 60 * 24 },
  trustedOrigins: ["http://localhost:5173"],
  advanced: { cookiePrefix: "app", defaultCookieAttributes: { sameSite: "lax" } },
  logger: { level: "warn", log: (level, message) => console.log(level, message) },
});

const app = express();
app.use(cors({ origin: "http://localhost:5173", credentials: true }));
app.all("/api/auth/*splat", toNodeHandler(auth));
app.all("/api/auth2/*splat", toNodeHandler(auth.handler));
app.use(express.json());
app.get("/api/me", async (req, res) => {
  const result = await auth.api.getSession({ headers: fromNodeHeaders(req.headers) });
  if (result) {
    const user: User = result.user;
    const session: Session = result.session;
    const expires: Date = session.expiresAt;
    res.json({ id: user.id, expires: expires.toISOString() });
  } else {
    res.json(null);
  }
});

async function apiCalls() {
  const signedUp = await auth.api.signUpEmail({ body: { name: "Ann", email: "ann@example.com", password: "password123" } });
  const token: string | null = signedUp.token;
  const withHeaders = await auth.api.signInEmail({ body: { email: "ann@example.com", password: "password123" }, returnHeaders: true });
  const cookies: string[] = withHeaders.headers.getSetCookie();
  const response: Response = await auth.api.getSession({ headers: new Headers(), asResponse: true });
  const sessions: Session[] = await auth.api.listSessions({ headers: new Headers() });
  try {
    await auth.api.signOut({ headers: new Headers() });
  } catch (error) {
    if (error instanceof APIError) {
      const code: string | undefined = error.body?.code;
      const status: number = error.statusCode;
      console.log(code, status);
    }
  }
  const web: Response = await auth.handler(new Request("http://localhost/api/auth/ok"));
  return [token, cookies, response, sessions, web];
}

// Storage, hooks and fields, as upstream configs write them.
const withEverything = betterAuth({
  database: { provider: "postgres", url: "postgres://localhost/app", max: 5 },
  secondaryStorage: "redis://127.0.0.1:6379",
  session: { storeSessionInDatabase: true, additionalFields: { device: { type: "string", required: false, defaultValue: "web" } } },
  user: { modelName: "users", fields: { email: "email_address" }, additionalFields: { role: { type: ["user", "admin"], input: false, defaultValue: "user" } } },
  account: { modelName: "accounts", fields: { userId: "user_id" } },
  hooks: {
    before: createAuthMiddleware(async (ctx) => {
      if (ctx.path === "/sign-up/email" && !String((ctx.body as { email?: string })?.email).endsWith("@example.com")) {
        throw new APIError("BAD_REQUEST", { message: "example.com only" });
      }
    }),
  },
  databaseHooks: { user: { create: { before: async (user) => ({ data: { ...user, name: user.name.trim() } }) } } },
});
// @ts-expect-error a storage object needs get, set and delete
betterAuth({ secondaryStorage: { get: async () => null } });

// Deliberate misuses: each line below must be a type error.
// @ts-expect-error enabled is a boolean
betterAuth({ emailAndPassword: { enabled: "yes" } });
// @ts-expect-error a rename names a core field
betterAuth({ user: { fields: { mail: "email_address" } } });
// @ts-expect-error expiresIn is a number of seconds
betterAuth({ session: { expiresIn: "7d" } });
// @ts-expect-error sign-up needs name and password
auth.api.signUpEmail({ body: { email: "a@b.co" } });
// @ts-expect-error toNodeHandler takes an auth object or its handler
toNodeHandler(42);
async function wrongResult() {
  // @ts-expect-error getSession resolves to a session or null, not a string
  const s: string = await auth.api.getSession({ headers: new Headers() });
  return s;
}

// Plugins add their endpoints to auth.api, typed.
const withPlugins = betterAuth({
  plugins: [
    bearer({ requireSignature: true }),
    username({ minUsernameLength: 4, usernameNormalization: false }),
    oneTimeToken({ expiresIn: 5 }),
    jwt({ jwks: { keyPairConfig: { alg: "ES256" } }, jwt: { expirationTime: "1h", definePayload: ({ user }) => ({ id: user.id }) } }),
    lastLoginMethod({ storeInDatabase: true }),
  ],
});
async function pluginCalls() {
  const signedIn = await withPlugins.api.signInUsername({ body: { username: "ann", password: "pw-pw-pw-pw" } });
  const token: string = signedIn.token;
  const { available }: { available: boolean } = await withPlugins.api.isUsernameAvailable({ body: { username: "ann" } });
  const ott = await withPlugins.api.generateOneTimeToken({ headers: new Headers() });
  const verified = await withPlugins.api.verifyOneTimeToken({ body: { token: ott.token } });
  const { payload } = await withPlugins.api.verifyJWT({ body: { token: (await withPlugins.api.getToken({ headers: new Headers() })).token } });
  return [token, available, verified.user.email, payload?.sub];
}
// @ts-expect-error without the username plugin there is no signInUsername
auth.api.signInUsername({ body: { username: "ann", password: "x" } });
// @ts-expect-error signInUsername needs a password
withPlugins.api.signInUsername({ body: { username: "ann" } });
// @ts-expect-error minUsernameLength is a number
username({ minUsernameLength: "4" });
// @ts-expect-error jwt has no HS256 keys
jwt({ jwks: { keyPairConfig: { alg: "HS256" } } });
// @ts-expect-error storeToken is plain, hashed or a custom hasher
oneTimeToken({ storeToken: "encrypted" });

const browsing = betterAuth({
  plugins: [
    anonymous({ emailDomainName: "guest.example.com", generateName: () => "Guest", onLinkAccount: async ({ anonymousUser, newUser }) => void [anonymousUser.user.isAnonymous, newUser.user.id] }),
    multiSession({ maximumSessions: 3 }),
    openAPI({ path: "/docs", theme: "moon" }),
  ],
});
async function browsingCalls() {
  const guest = await browsing.api.signInAnonymous({ headers: new Headers() });
  const isAnonymous: boolean = guest.user.isAnonymous;
  const sessions = await browsing.api.listDeviceSessions({ headers: new Headers() });
  const active = await browsing.api.setActiveSession({ body: { sessionToken: sessions[0].session.token }, headers: new Headers() });
  const { status }: { status: boolean } = await browsing.api.revokeDeviceSession({ body: { sessionToken: active.session.token }, headers: new Headers() });
  const schema = await browsing.api.generateOpenAPISchema({});
  return [isAnonymous, status, schema.openapi];
}
// @ts-expect-error bearer's requireSignature is a boolean
bearer({ requireSignature: "yes" });
// @ts-expect-error maxAge is in seconds, a number
lastLoginMethod({ maxAge: "30d" });
// @ts-expect-error onLinkAccount's anonymous user is under anonymousUser, not user
anonymous({ onLinkAccount: async ({ user }) => void user });
// @ts-expect-error maximumSessions is a number
multiSession({ maximumSessions: "5" });
// @ts-expect-error setActiveSession needs the session's token
browsing.api.setActiveSession({ body: {}, headers: new Headers() });
// @ts-expect-error openAPI's themes are upstream's list
openAPI({ theme: "dark" });
// @ts-expect-error without the anonymous plugin there is no signInAnonymous
withPlugins.api.signInAnonymous({ headers: new Headers() });

export { apiCalls, wrongResult, withEverything, pluginCalls, browsingCalls };
