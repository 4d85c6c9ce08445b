// customSession: the app's function reshapes get-session's answer (HTTP and auth.api), the
// core's cookies and refresh pass through, errors it throws are the answer; with multiSession
// and shouldMutateListDeviceSessionsEndpoint the device list too; against upstream.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createAuthClient } from "better-auth/client";
import { customSessionClient, multiSessionClient } from "better-auth/client/plugins";
import { APIError as UpstreamAPIError } from "better-auth/api";
import { APIError as OurAPIError } from "../../index.js";
import { Client, browserLikeFetch, parseSetCookies, startServer } from "../helpers.mjs";
import { startBoth, assertSameSteps, pluginsOf } from "./differential.mjs";

const ROOT = resolve(import.meta.dirname, "..", "..");
const TOKEN_COOKIE = "better-auth.session_token";

/** The app's function, as upstream's test writes it, plus what it was given. */
function reshaper(impl, calls) {
  const APIError = impl === "ours" ? OurAPIError : UpstreamAPIError;
  return async ({ user, session }, ctx) => {
    calls[impl].push(ctx.path);
    if (user.name === "Throw") throw new APIError("FORBIDDEN", { message: "no custom session" });
    if (user.name === "Boom") throw new Error("boom");
    const [firstName, lastName] = user.name.split(" ");
    return {
      user: { firstName, lastName, email: user.email },
      newData: { message: "Hello, World!" },
      session,
      seen: { path: ctx.path, dates: session.expiresAt instanceof Date && user.createdAt instanceof Date, request: ctx.request instanceof Request },
    };
  };
}

const multiView = (r) => ({ ...r, cookies: Object.fromEntries(Object.entries(r.cookies).map(([n, c]) => [n.replace(/_multi-.*/, "_multi-*"), c])) });

describe("custom-session plugin with multiSession, as upstream", () => {
  let servers;
  const calls = { ours: [], upstream: [] };
  before(async () => {
    servers = await startBoth((p, impl) => ({
      session: { updateAge: 0, cookieCache: { enabled: true, maxAge: 300 } },
      plugins: [p.multiSession(), p.customSession(reshaper(impl, calls), {}, { shouldMutateListDeviceSessionsEndpoint: true })],
    }));
  });
  after(() => Promise.all(Object.values(servers).map((s) => s.close())));

  it("reshapes get-session and the device list; cookies, refresh and errors pass through", async () => {
    const tag = Date.now().toString(36);
    await assertSameSteps(servers, async (server, rawStep, impl) => {
      const step = (name, r, extra = {}) => rawStep(name, multiView(r), extra);
      const fresh = () => new Client(server.url);
      const c = fresh();
      calls[impl].length = 0;
      step("signed out: null, the function is not called", await fresh().request("/api/auth/get-session"), { calls: calls[impl].length });
      step("sign-up answers as the core", await c.post("/api/auth/sign-up/email", { name: "Jane Doe", email: `cs-${tag}@example.com`, password: "password123" }));
      step("get-session from the cookie cache", await c.request("/api/auth/get-session"));
      step("get-session refreshed: each cookie with its own Max-Age", await c.request("/api/auth/get-session?disableCookieCache=true"));
      step("get-session disableRefresh", await c.request("/api/auth/get-session?disableRefresh=true&disableCookieCache=true"));
      step("get-session disableRefresh=false is true (coerced)", await c.request("/api/auth/get-session?disableRefresh=false&disableCookieCache=1"));
      step("POST get-session: not routed", await c.request("/api/auth/get-session", { method: "POST" }));
      step("tampered cookie", await fresh().request("/api/auth/get-session", { headers: { cookie: `${TOKEN_COOKIE}=abc.def` } }));
      const second = await c.post("/api/auth/sign-up/email", { name: "John Roe", email: `cs2-${tag}@example.com`, password: "password123" });
      step("second account", second);
      step("list-device-sessions reshaped", await c.request("/api/auth/multi-session/list-device-sessions"));
      step("set-active answers as the core", await c.post("/api/auth/multi-session/set-active", { sessionToken: second.data.token }));
      step("list-device-sessions signed out: []", await fresh().request("/api/auth/multi-session/list-device-sessions"));
      const thrower = fresh();
      await thrower.post("/api/auth/sign-up/email", { name: "Throw", email: `cs-throw-${tag}@example.com`, password: "password123" });
      step("an APIError from the function", await thrower.request("/api/auth/get-session"));
      step("an APIError from the function in the list", await thrower.request("/api/auth/multi-session/list-device-sessions"));
      const boom = fresh();
      await boom.post("/api/auth/sign-up/email", { name: "Boom", email: `cs-boom-${tag}@example.com`, password: "password123" });
      const failed = await boom.request("/api/auth/get-session");
      step("another error from the function", { ...failed, data: undefined, text: "" });
      step("sign-out", await c.post("/api/auth/sign-out", {}));
      step("signed out again", await c.request("/api/auth/get-session"), { paths: [...new Set(calls[impl])].sort() });
    });
  });

  it("auth.api.getSession answers the custom session", async () => {
    const results = {};
    for (const impl of ["upstream", "ours"]) {
      const { auth, url } = servers[impl];
      const c = new Client(url);
      await c.post("/api/auth/sign-up/email", { name: "Api User", email: `cs-api-${impl}-${Date.now()}@example.com`, password: "password123" });
      const headers = new Headers({ cookie: c.cookieHeader() });
      const s = await auth.api.getSession({ headers });
      const withHeaders = await auth.api.getSession({ headers, query: { disableCookieCache: true }, returnHeaders: true });
      const list = await auth.api.listDeviceSessions({ headers });
      const noHeaders = await auth.api.getSession({}).catch((e) => [e.statusCode, e.body]);
      const signedOut = await auth.api.getSession({ headers: new Headers() });
      results[impl] = {
        user: s.user,
        newData: s.newData,
        dates: s.session.expiresAt instanceof Date,
        seen: { ...s.seen, request: undefined },
        refreshed: Object.keys(parseSetCookies(withHeaders.headers.getSetCookie())).sort(),
        cacheControl: withHeaders.headers.get("cache-control"),
        list: list.map((item) => item.newData),
        noHeaders,
        signedOut,
      };
      assert.equal(results[impl].user.email.startsWith("cs-api-"), true);
      results[impl].user = { ...results[impl].user, email: "<email>" };
    }
    assert.deepEqual(results.ours, results.upstream);
  });

  it("the official client plugins see the custom session", async () => {
    const results = {};
    for (const impl of ["upstream", "ours"]) {
      const { fetchImpl: customFetchImpl } = browserLikeFetch();
      const client = createAuthClient({ baseURL: servers[impl].url, plugins: [customSessionClient(), multiSessionClient()], fetchOptions: { customFetchImpl } });
      await client.signUp.email({ name: "Client Person", email: `cs-cl-${impl}-${Date.now()}@example.com`, password: "password123" });
      const session = await client.getSession();
      const refreshed = await client.getSession({ query: { disableRefresh: true } });
      const list = await client.multiSession.listDeviceSessions();
      results[impl] = { session: [session.error, session.data.newData, session.data.user.firstName], refreshed: [refreshed.error, refreshed.data.user.lastName], list: list.data.map((d) => d.newData) };
    }
    assert.deepEqual(results.ours, results.upstream);
    assert.deepEqual(results.ours.session, [null, { message: "Hello, World!" }, "Client"]);
  });
});

describe("custom-session alone and before multiSession, as upstream", () => {
  let servers;
  const calls = { ours: [], upstream: [] };
  before(async () => {
    servers = await startBoth((p, impl) => ({ session: { expiresIn: 1 }, plugins: [p.customSession(reshaper(impl, calls)), p.multiSession()] }));
  });
  after(() => Promise.all(Object.values(servers).map((s) => s.close())));

  it("the device list stays raw; an expired session reads null and its cookies are cleared", async () => {
    const tag = Date.now().toString(36);
    await assertSameSteps(servers, async (server, rawStep) => {
      const step = (name, r, extra = {}) => rawStep(name, multiView(r), extra);
      const c = new Client(server.url);
      step("sign-up", await c.post("/api/auth/sign-up/email", { name: "Ann Lee", email: `cs-exp-${tag}@example.com`, password: "password123" }));
      step("get-session", await c.request("/api/auth/get-session"));
      step("list-device-sessions raw", await c.request("/api/auth/multi-session/list-device-sessions"));
      await new Promise((r) => setTimeout(r, 1200));
      step("expired", await c.request("/api/auth/get-session"));
      step("list after expiry", await c.request("/api/auth/multi-session/list-device-sessions"));
    });
  });
});

describe("custom-session options", () => {
  it("are strict: a function first, then upstream's plugin options only", async () => {
    const { customSession } = await pluginsOf("ours");
    const { betterAuth } = await import("../../index.js");
    const make = (plugin) => () => betterAuth({ database: "sqlite::memory:", plugins: [plugin] });
    assert.throws(make(customSession(async (s) => s, {}, { shouldMutateListDeviceSession: true })), /unknown option `plugins\[custom-session\]\.shouldMutateListDeviceSession`/);
    assert.throws(make(customSession("nope")), /invalid option `plugins\[custom-session\]\.fn`: expected a function/);
    assert.throws(make(customSession()), /invalid option `plugins\[custom-session\]\.fn`/);
    assert.throws(make(customSession(async (s) => s, {}, { shouldMutateListDeviceSessionsEndpoint: "yes" })), /expected true or false/);
    // The second argument (upstream's options, for types) is not read.
    const server = await startServer({ options: { plugins: [customSession(async ({ user }) => ({ id: user.id }), { database: {}, anything: true })] } });
    try {
      const c = new Client(server.url);
      const up = await c.post("/api/auth/sign-up/email", { name: "X", email: `cs-opt-${Date.now()}@example.com`, password: "password123" });
      assert.deepEqual((await c.request("/api/auth/get-session")).data, { id: up.data.user.id });
    } finally {
      await server.close();
    }
  });

  it("types: auth.api.getSession answers what the function returns", () => {
    const dir = mkdtempSync(join(tmpdir(), "custom-session-types-"));
    writeFileSync(
      join(dir, "check.ts"),
      `import { betterAuth } from ${JSON.stringify(join(ROOT, "index.js"))};
import { customSession, multiSession } from ${JSON.stringify(join(ROOT, "plugins.js"))};
const auth = betterAuth({ plugins: [multiSession(), customSession(async ({ user, session }) => ({ user: { first: user.name }, session, extra: 1 }))] });
export async function f(headers: Headers) {
  const s = await auth.api.getSession({ headers });
  const extra: number | undefined = s?.extra;
  const first: string | undefined = s?.user.first;
  // @ts-expect-error the custom answer has no user.email
  s?.user.email;
  const list = await auth.api.listDeviceSessions({ headers });
  const token: string = list[0].session.token;
  const revoked: boolean = (await auth.api.revokeDeviceSession({ headers, body: { sessionToken: token } })).status;
  return [extra, first, revoked];
}
`,
    );
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: "nodenext", moduleResolution: "nodenext", target: "es2022", types: ["node"], typeRoots: [join(ROOT, "node_modules", "@types")] }, files: ["check.ts"] }),
    );
    const r = spawnSync(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", dir], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });
});
