// auth.api with upstream's calling convention, betterAuth() option checking, and auth.handler.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { betterAuth, APIError } from "../index.js";
import { tempDbFile, SECRET, uniqueEmail } from "./helpers.mjs";

function makeAuth(extra = {}) {
  return betterAuth({
    database: `sqlite:${tempDbFile()}`,
    secret: SECRET,
    emailAndPassword: { enabled: true },
    logger: { disabled: true },
    ...extra,
  });
}

describe("auth.api", () => {
  const auth = makeAuth();

  it("signUpEmail returns the user with Date objects, and returnHeaders gives the cookie", async () => {
    const email = uniqueEmail("api");
    const { headers, response } = await auth.api.signUpEmail({
      body: { name: "Api", email, password: "password123" },
      returnHeaders: true,
    });
    assert.equal(response.user.email, email);
    assert.ok(response.user.createdAt instanceof Date);
    const cookie = headers.getSetCookie().find((c) => c.startsWith("better-auth.session_token="));
    assert.ok(cookie);
    const session = await auth.api.getSession({ headers: new Headers({ cookie: cookie.split(";")[0] }) });
    assert.equal(session.user.email, email);
    assert.ok(session.session.expiresAt instanceof Date);
    assert.ok(session.session.expiresAt > new Date());
    // A plain object of headers (what fromNodeHeaders replaces) works too.
    const again = await auth.api.getSession({ headers: { cookie: cookie.split(";")[0] } });
    assert.equal(again.session.token, session.session.token);
  });

  it("failures throw APIError with status, statusCode and body", async () => {
    await assert.rejects(
      auth.api.signInEmail({ body: { email: uniqueEmail("nobody"), password: "password123" } }),
      (e) => {
        assert.ok(e instanceof APIError);
        assert.equal(e.name, "APIError");
        assert.equal(e.status, "UNAUTHORIZED");
        assert.equal(e.statusCode, 401);
        assert.deepEqual(e.body, { message: "Invalid email or password", code: "INVALID_EMAIL_OR_PASSWORD" });
        assert.equal(e.message, "Invalid email or password");
        return true;
      },
    );
    await assert.rejects(auth.api.getSession({}), (e) => e.statusCode === 400 && e.body.message === "Headers is required");
  });

  it("getSession is null without a session; asResponse gives a Response", async () => {
    assert.equal(await auth.api.getSession({ headers: new Headers() }), null);
    const res = await auth.api.getSession({ headers: new Headers(), asResponse: true });
    assert.ok(res instanceof Response);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "null");
    const ok = await auth.api.ok();
    assert.deepEqual(ok, { ok: true });
  });

  it("signOut via the API deletes the session", async () => {
    const { headers } = await auth.api.signUpEmail({ body: { name: "O", email: uniqueEmail("apiout"), password: "password123" }, returnHeaders: true });
    const cookie = headers.getSetCookie()[0].split(";")[0];
    assert.deepEqual(await auth.api.signOut({ headers: { cookie } }), { success: true });
    assert.equal(await auth.api.getSession({ headers: { cookie } }), null);
  });

  it("exposes $ERROR_CODES as upstream", () => {
    assert.deepEqual(auth.$ERROR_CODES.USER_NOT_FOUND, { code: "USER_NOT_FOUND", message: "User not found" });
  });
});

describe("auth.handler (web Request/Response)", () => {
  it("answers a standard Request", async () => {
    const auth = makeAuth({ trustedOrigins: ["http://app.test"] });
    const res = await auth.handler(new Request("http://localhost:3000/api/auth/ok"));
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { ok: true });
    const email = uniqueEmail("handler");
    const up = await auth.handler(
      new Request("http://localhost:3000/api/auth/sign-up/email", {
        method: "POST",
        headers: { "content-type": "application/json", origin: "http://app.test" },
        body: JSON.stringify({ name: "H", email, password: "password123" }),
      }),
    );
    assert.equal(up.status, 200);
    assert.equal(up.headers.getSetCookie().length, 1);
  });
});

describe("betterAuth() options", () => {
  it("refuses a key upstream does not know, naming it", () => {
    assert.throws(() => betterAuth({ emailAndPassword: { enabeld: true } }), /unknown option `emailAndPassword\.enabeld`/);
    assert.throws(() => betterAuth({ sesion: {} }), /unknown option `sesion`/);
  });

  it("refuses invalid values, naming the option", () => {
    assert.throws(() => betterAuth({ session: { expiresIn: "1 week" } }), /`session\.expiresIn`/);
    assert.throws(() => betterAuth({ database: 42 }), /`database`/);
    assert.throws(() => betterAuth({ baseURL: "ftp://x" }), /`baseURL`/);
    assert.throws(() => betterAuth({ logger: { level: "loud" } }), /`logger\.level`/);
  });

  it("accepts upstream options it does not support yet with one warning each", () => {
    const lines = [];
    betterAuth({
      database: "sqlite::memory:",
      secret: SECRET,
      account: { skipStateCookieCheck: true },
      session: { deferSessionRefresh: true },
      logger: { log: (level, message) => lines.push([level, message]) },
    });
    const warnings = lines.filter(([level]) => level === "warn").map(([, m]) => m);
    assert.equal(warnings.filter((m) => m.includes("`account.skipStateCookieCheck`")).length, 1, warnings.join("\n"));
    assert.equal(warnings.filter((m) => m.includes("`session.deferSessionRefresh`")).length, 1, warnings.join("\n"));
  });

  it("refuses to start in production without a secret", () => {
    const saved = { NODE_ENV: process.env.NODE_ENV, BETTER_AUTH_SECRET: process.env.BETTER_AUTH_SECRET, AUTH_SECRET: process.env.AUTH_SECRET };
    process.env.NODE_ENV = "production";
    delete process.env.BETTER_AUTH_SECRET;
    delete process.env.AUTH_SECRET;
    try {
      assert.throws(() => betterAuth({ database: "sqlite::memory:" }), /secret/);
      process.env.BETTER_AUTH_SECRET = SECRET;
      const auth = betterAuth({ database: "sqlite::memory:", logger: { disabled: true } });
      assert.ok(auth.handler);
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it("honours basePath, cookiePrefix, useSecureCookies and session.expiresIn", async () => {
    const auth = makeAuth({
      basePath: "/auth",
      advanced: { cookiePrefix: "myapp", useSecureCookies: true },
      session: { expiresIn: 3600 },
    });
    assert.equal((await auth.handler(new Request("http://x.test/api/auth/ok"))).status, 404);
    assert.equal((await auth.handler(new Request("http://x.test/auth/ok"))).status, 200);
    const res = await auth.handler(
      new Request("http://x.test/auth/sign-up/email", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "P", email: uniqueEmail("prefix"), password: "password123" }),
      }),
    );
    const [cookie] = res.headers.getSetCookie();
    assert.match(cookie, /^__Secure-myapp\.session_token=/);
    assert.match(cookie, /Secure/);
    assert.match(cookie, /Max-Age=3600/);
  });

  it("refuses sign-up when disabled", async () => {
    const auth = makeAuth({ emailAndPassword: { enabled: true, disableSignUp: true } });
    await assert.rejects(
      auth.api.signUpEmail({ body: { name: "N", email: uniqueEmail(), password: "password123" } }),
      (e) => e.statusCode === 400 && e.body.code === "EMAIL_PASSWORD_SIGN_UP_DISABLED",
    );
    const off = makeAuth({ emailAndPassword: { enabled: false } });
    await assert.rejects(
      off.api.signInEmail({ body: { email: uniqueEmail(), password: "password123" } }),
      (e) => e.body.code === "EMAIL_PASSWORD_DISABLED",
    );
  });

  it("autoSignIn: false signs up without a session, and answers duplicates the same way", async () => {
    const auth = makeAuth({ emailAndPassword: { enabled: true, autoSignIn: false, minPasswordLength: 4 } });
    const email = uniqueEmail("noauto");
    const first = await auth.api.signUpEmail({ body: { name: "N", email, password: "pass" }, returnHeaders: true });
    assert.equal(first.response.token, null);
    assert.equal(first.headers.getSetCookie().length, 0);
    const dup = await auth.api.signUpEmail({ body: { name: "N", email, password: "pass" } });
    assert.equal(dup.token, null);
    assert.equal(dup.user.email, email);
    assert.notEqual(dup.user.id, first.response.user.id, "a synthetic user, revealing nothing");
  });
});

describe("public surface", () => {
  it("exports exactly what the declarations describe (an API change must update this list)", async () => {
    const index = await import("../index.js");
    const node = await import("../node.js");
    assert.deepEqual(Object.keys(index).sort(), ["APIError", "LOGGER", "NATIVE", "TRUSTED_ORIGINS", "betterAuth"]);
    assert.deepEqual(Object.keys(node).sort(), ["fromNodeHeaders", "toNodeHandler"]);
    const auth = makeAuth();
    assert.deepEqual(Object.keys(auth).sort(), ["$ERROR_CODES", "api", "fetch", "handler", "migrate", "options"]);
    // auth.api itself is checked against upstream and the .d.ts files in plugins/platform.test.mjs.
  });
});

describe("logger", () => {
  it("hands Rust-side logs to logger.log as (level, message), never with secrets", async () => {
    const lines = [];
    const auth = makeAuth({ trustedOrigins: [], logger: { level: "debug", log: (level, message) => lines.push({ level, message }) } });
    const email = uniqueEmail("logs");
    const password = "a-very-secret-password";
    const up = await auth.api.signUpEmail({ body: { name: "L", email, password }, returnHeaders: true });
    await auth.api.signUpEmail({ body: { name: "L", email, password } }).catch(() => {});
    await auth.api.signInEmail({ body: { email, password: "wrong-password-here" } }).catch(() => {});
    const refused = await auth.handler(
      new Request("http://x.test/api/auth/sign-out", { method: "POST", headers: { cookie: "a=b", origin: "http://evil.test" } }),
    );
    assert.equal(refused.status, 403);
    await new Promise((r) => setTimeout(r, 50)); // log calls from Rust arrive on the event loop
    assert.ok(lines.some((l) => l.level === "error" && l.message === "Invalid origin: http://evil.test"), JSON.stringify(lines));
    assert.ok(lines.some((l) => l.level === "warn" && l.message === "Invalid password"));
    const token = up.response.token;
    for (const { message } of lines) {
      for (const secret of [password, "wrong-password-here", token, SECRET]) assert.ok(!message.includes(secret), message);
    }
  });

  it("survives a logger.log that throws", async () => {
    const auth = makeAuth({ logger: { log: () => { throw new Error("broken logger"); } } });
    const res = await auth.handler(new Request("http://x.test/api/auth/sign-out", { method: "POST", headers: { cookie: "a=b", origin: "http://evil.test" } }));
    assert.equal(res.status, 403);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal((await auth.handler(new Request("http://x.test/api/auth/ok"))).status, 200);
  });
});
