// Every endpoint of this slice over real HTTP, on Express 5, Express 4, and with
// express.json() mounted before the handler.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, Client, uniqueEmail, FRONTEND, rawRequest } from "./helpers.mjs";

const SETUPS = [
  { name: "Express 5", expressVersion: 5 },
  { name: "Express 4", expressVersion: 4 },
  { name: "Express 5, express.json() first", expressVersion: 5, jsonFirst: true },
];

const TOKEN = /^[A-Za-z0-9]{32}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

for (const setup of SETUPS) {
  describe(`endpoints on ${setup.name}`, () => {
    let server;
    before(async () => {
      server = await startServer(setup);
    });
    after(() => server.close());

    it("GET /ok answers that it runs", async () => {
      const r = await new Client(server.url).request("/api/auth/ok");
      assert.equal(r.status, 200);
      assert.deepEqual(r.data, { ok: true });
    });

    it("GET /error renders the code, escaping the description", async () => {
      const r = await new Client(server.url).request("/api/auth/error?error=SOME_CODE&error_description=%3Cscript%3E");
      assert.equal(r.status, 200);
      assert.match(r.headers.get("content-type"), /text\/html/);
      assert.match(r.text, /SOME_CODE/);
      assert.ok(!r.text.includes("<script>"));
      const bad = await new Client(server.url).request("/api/auth/error?error=%3Cb%3E");
      assert.match(bad.text, /UNKNOWN/);
    });

    it("unknown paths, wrong methods and trailing slashes are 404 with an empty body", async () => {
      const c = new Client(server.url);
      for (const [method, path] of [
        ["GET", "/api/auth/nope"],
        ["GET", "/api/auth/sign-in/email"],
        ["GET", "/api/auth/ok/"],
        ["GET", "/api/auth//ok"],
        ["DELETE", "/api/auth/get-session"],
      ]) {
        const r = await c.request(path, { method });
        assert.equal(r.status, 404, `${method} ${path}`);
        assert.equal(r.text, "", `${method} ${path}`);
      }
    });

    it("sign-up creates the user and a signed session cookie", async () => {
      const c = new Client(server.url);
      const email = uniqueEmail("SignUp").replace("signup", "SignUp");
      const r = await c.post("/api/auth/sign-up/email", { name: "Ann", email, password: "password123" });
      assert.equal(r.status, 200, r.text);
      assert.match(r.data.token, TOKEN);
      const { user } = r.data;
      assert.equal(user.email, email.toLowerCase());
      assert.equal(user.name, "Ann");
      assert.equal(user.emailVerified, false);
      assert.equal(user.image, null);
      assert.match(user.id, TOKEN);
      assert.match(user.createdAt, ISO);
      const cookie = r.cookies["better-auth.session_token"];
      assert.ok(cookie, r.setCookies.join("\n"));
      assert.ok(decodeURIComponent(cookie.value).startsWith(`${r.data.token}.`));
      assert.equal(decodeURIComponent(cookie.value).split(".")[1].length, 44);
      assert.deepEqual([...cookie.attributes].sort(), ["httponly", "max-age=*", "path=/", "samesite=lax"]);
      assert.equal(cookie.maxAge, 604800);
      const me = await c.request("/api/me");
      assert.equal(me.data.user.email, email.toLowerCase());
    });

    it("sign-up accepts form bodies", async () => {
      const email = uniqueEmail("form");
      const r = await new Client(server.url).request("/api/auth/sign-up/email", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ name: "Form", email, password: "password123" }).toString(),
      });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.data.user.email, email);
    });

    it("sign-up refuses a duplicate email in any letter case", async () => {
      const email = uniqueEmail("dup");
      const c = new Client(server.url);
      assert.equal((await c.post("/api/auth/sign-up/email", { name: "A", email, password: "password123" })).status, 200);
      const r = await new Client(server.url).post("/api/auth/sign-up/email", { name: "B", email: email.toUpperCase(), password: "password123" });
      assert.equal(r.status, 422);
      assert.deepEqual(r.data, { message: "User already exists. Use another email.", code: "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL" });
    });

    it("sign-up validates its body", async () => {
      const c = new Client(server.url);
      let r = await c.post("/api/auth/sign-up/email", { email: "not-an-email", password: "password123" });
      assert.equal(r.status, 400);
      assert.equal(r.data.code, "VALIDATION_ERROR");
      assert.equal(r.data.message, "[body.name] Invalid input: expected string, received undefined; [body.email] Invalid email address");
      r = await c.post("/api/auth/sign-up/email", { name: "A", email: uniqueEmail(), password: "short" });
      assert.deepEqual(r.data, { message: "Password too short", code: "PASSWORD_TOO_SHORT" });
      r = await c.post("/api/auth/sign-up/email", { name: "A", email: uniqueEmail(), password: "x".repeat(129) });
      assert.deepEqual(r.data, { message: "Password too long", code: "PASSWORD_TOO_LONG" });
      r = await c.post("/api/auth/sign-up/email", ["not", "an", "object"]);
      assert.equal(r.status, 400);
      // Upstream's body schema is an object intersected with a record: zod reports both halves.
      assert.equal(r.data.message, "[body] Invalid input: expected object, received array; [body] Invalid input: expected record, received array");
    });

    it("sign-in: success, wrong password and unknown email", async () => {
      const email = uniqueEmail("signin");
      await new Client(server.url).post("/api/auth/sign-up/email", { name: "S", email, password: "password123" });
      const c = new Client(server.url);
      const ok = await c.post("/api/auth/sign-in/email", { email: email.toUpperCase(), password: "password123" });
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.data.redirect, false);
      assert.match(ok.data.token, TOKEN);
      assert.ok(!("url" in ok.data));
      assert.equal(ok.data.user.email, email);
      assert.equal(ok.cookies["better-auth.session_token"].maxAge, 604800);
      const wrong = await new Client(server.url).post("/api/auth/sign-in/email", { email, password: "password124" });
      const unknown = await new Client(server.url).post("/api/auth/sign-in/email", { email: uniqueEmail("ghost"), password: "password123" });
      for (const r of [wrong, unknown]) {
        assert.equal(r.status, 401);
        assert.deepEqual(r.data, { message: "Invalid email or password", code: "INVALID_EMAIL_OR_PASSWORD" });
        assert.equal(r.setCookies.length, 0);
      }
      const invalid = await new Client(server.url).post("/api/auth/sign-in/email", { email: "nope", password: "x" });
      assert.deepEqual([invalid.status, invalid.data.code], [400, "INVALID_EMAIL"]);
    });

    it("sign-in with rememberMe: false sets a browser-session cookie and dont_remember", async () => {
      const email = uniqueEmail("forget");
      await new Client(server.url).post("/api/auth/sign-up/email", { name: "F", email, password: "password123" });
      const c = new Client(server.url);
      const r = await c.post("/api/auth/sign-in/email", { email, password: "password123", rememberMe: false });
      assert.equal(r.status, 200);
      assert.equal(r.cookies["better-auth.session_token"].maxAge, undefined);
      assert.ok(decodeURIComponent(r.cookies["better-auth.dont_remember"].value).startsWith("true."));
      const s = await c.request("/api/auth/get-session");
      const lifetime = Date.parse(s.data.session.expiresAt) - Date.parse(s.data.session.createdAt);
      assert.equal(lifetime, 86400 * 1000);
    });

    it("sign-in with callbackURL answers 200 with a Location header", async () => {
      const email = uniqueEmail("cb");
      await new Client(server.url).post("/api/auth/sign-up/email", { name: "C", email, password: "password123" });
      const r = await new Client(server.url).post("/api/auth/sign-in/email", { email, password: "password123", callbackURL: `${FRONTEND}/dashboard` });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get("location"), `${FRONTEND}/dashboard`);
      assert.equal(r.data.redirect, true);
      assert.equal(r.data.url, `${FRONTEND}/dashboard`);
      const rel = await new Client(server.url).post("/api/auth/sign-in/email", { email, password: "password123", callbackURL: "/home" });
      assert.equal(rel.status, 200);
      const evil = await new Client(server.url).post("/api/auth/sign-in/email", { email, password: "password123", callbackURL: "https://evil.example/steal" });
      assert.deepEqual([evil.status, evil.data.code], [403, "INVALID_CALLBACK_URL"]);
      const scheme = await new Client(server.url).post("/api/auth/sign-in/email", { email, password: "password123", callbackURL: "//evil.example" });
      assert.deepEqual([scheme.status, scheme.data.code], [403, "INVALID_CALLBACK_URL"]);
    });

    it("get-session: null when signed out, the session when signed in, never cached", async () => {
      const c = new Client(server.url);
      const anon = await c.request("/api/auth/get-session");
      assert.equal(anon.status, 200);
      assert.equal(anon.text, "null");
      assert.equal(anon.headers.get("cache-control"), "no-store");
      assert.equal(anon.headers.get("pragma"), "no-cache");
      const email = uniqueEmail("gs");
      const up = await c.post("/api/auth/sign-up/email", { name: "G", email, password: "password123" });
      const r = await c.request("/api/auth/get-session");
      assert.equal(r.status, 200);
      assert.equal(r.data.session.token, up.data.token);
      assert.equal(r.data.session.userId, r.data.user.id);
      assert.equal(r.data.session.ipAddress, "");
      assert.equal(r.data.session.userAgent, "node");
      assert.match(r.data.session.expiresAt, ISO);
      assert.deepEqual(Object.keys(r.data.user).sort(), ["createdAt", "email", "emailVerified", "id", "image", "name", "updatedAt"]);
      assert.equal(r.setCookies.length, 0, "no refresh within updateAge");
      const post = await c.request("/api/auth/get-session", { method: "POST" });
      assert.equal(post.status, 405);
      assert.equal(post.data.code, "METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED");
    });

    it("get-session ignores a tampered cookie and clears nothing", async () => {
      const c = new Client(server.url);
      await c.post("/api/auth/sign-up/email", { name: "T", email: uniqueEmail("tamper"), password: "password123" });
      const raw = decodeURIComponent(c.jar.get("better-auth.session_token"));
      const [token, sig] = raw.split(".");
      const flipped = token.slice(0, -1) + (token.endsWith("a") ? "b" : "a");
      for (const value of [`${flipped}.${sig}`, token, "garbage", `${token}.${"A".repeat(43)}=`]) {
        const r = await c.request("/api/auth/get-session", { headers: { cookie: `better-auth.session_token=${encodeURIComponent(value)}` } });
        assert.equal(r.text, "null", value);
        assert.equal(r.setCookies.length, 0);
      }
    });

    it("sign-out deletes the session and clears the cookies, with or without one", async () => {
      const c = new Client(server.url);
      await c.post("/api/auth/sign-up/email", { name: "O", email: uniqueEmail("out"), password: "password123" });
      const stolen = c.cookieHeader();
      const r = await c.post("/api/auth/sign-out", undefined);
      assert.equal(r.status, 200);
      assert.deepEqual(r.data, { success: true });
      for (const name of ["better-auth.session_token", "better-auth.session_data", "better-auth.dont_remember"]) {
        assert.equal(r.cookies[name]?.maxAge, 0, name);
      }
      const replay = await new Client(server.url).request("/api/auth/get-session", { headers: { cookie: stolen } });
      assert.equal(replay.text, "null", "the deleted session's cookie no longer works");
      assert.equal(replay.cookies["better-auth.session_token"]?.maxAge, 0, "a signed but unknown token is cleared");
      const anon = await new Client(server.url).post("/api/auth/sign-out", {});
      assert.equal(anon.status, 200);
    });

    it("refuses state-changing requests with cookies from untrusted or missing origins", async () => {
      const c = new Client(server.url);
      await c.post("/api/auth/sign-up/email", { name: "X", email: uniqueEmail("csrf"), password: "password123" });
      const evil = await c.post("/api/auth/sign-out", {}, { headers: { origin: "https://evil.example" } });
      assert.deepEqual([evil.status, evil.data?.code], [403, "INVALID_ORIGIN"]);
      const none = new Client(server.url, { origin: null });
      none.jar = c.jar;
      const missing = await none.post("/api/auth/sign-out", {});
      assert.deepEqual([missing.status, missing.data?.code], [403, "MISSING_OR_NULL_ORIGIN"]);
      const still = await c.request("/api/auth/get-session");
      assert.ok(still.data?.session, "the refused sign-out did not end the session");
    });

    it("blocks cross-site navigation logins (first-login CSRF)", async () => {
      const body = new URLSearchParams({ email: uniqueEmail(), password: "password123" }).toString();
      const headers = { "content-type": "application/x-www-form-urlencoded" };
      const navigate = { "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate", "sec-fetch-dest": "document" };
      const r = await rawRequest(server.url, "/api/auth/sign-in/email", { method: "POST", headers: { ...headers, ...navigate }, body });
      assert.deepEqual([r.status, r.data?.code], [403, "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED"]);
      // A non-browser client (no Fetch Metadata, no Origin) is let through to the credential check.
      const plain = await rawRequest(server.url, "/api/auth/sign-in/email", { method: "POST", headers, body });
      assert.equal(plain.data?.code, "INVALID_EMAIL_OR_PASSWORD");
      // A browser fetch from an untrusted site is refused even without cookies.
      const cors = { ...headers, "sec-fetch-site": "cross-site", "sec-fetch-mode": "cors", origin: "https://evil.example" };
      const evil = await rawRequest(server.url, "/api/auth/sign-in/email", { method: "POST", headers: cors, body });
      assert.deepEqual([evil.status, evil.data?.code], [403, "INVALID_ORIGIN"]);
    });
  });
}

describe("session lifetime", () => {
  it("refreshes after updateAge (here: every read), unless disableRefresh", async () => {
    const server = await startServer({ options: { session: { expiresIn: 3600, updateAge: 0 } } });
    try {
      const c = new Client(server.url);
      await c.post("/api/auth/sign-up/email", { name: "R", email: uniqueEmail("refresh"), password: "password123" });
      const first = await c.request("/api/auth/get-session");
      await new Promise((r) => setTimeout(r, 20));
      const second = await c.request("/api/auth/get-session");
      assert.ok(Date.parse(second.data.session.expiresAt) > Date.parse(first.data.session.expiresAt), "expiry moved forward");
      assert.equal(second.cookies["better-auth.session_token"].maxAge, 3600, "cookie re-sent");
      const frozen = await c.request("/api/auth/get-session?disableRefresh=true");
      assert.equal(frozen.setCookies.length, 0);
      assert.equal(frozen.data.session.expiresAt, second.data.session.expiresAt);
    } finally {
      await server.close();
    }
  });

  it("does not refresh within updateAge, nor don't-remember sessions", async () => {
    const server = await startServer({ options: { session: { expiresIn: 3600, updateAge: 0 } } });
    try {
      const email = uniqueEmail("norefresh");
      await new Client(server.url).post("/api/auth/sign-up/email", { name: "N", email, password: "password123" });
      const c = new Client(server.url);
      await c.post("/api/auth/sign-in/email", { email, password: "password123", rememberMe: false });
      const a = await c.request("/api/auth/get-session");
      const b = await c.request("/api/auth/get-session");
      assert.equal(b.setCookies.length, 0);
      assert.equal(a.data.session.expiresAt, b.data.session.expiresAt);
    } finally {
      await server.close();
    }
  });

  it("an expired session reads as null and its cookies are cleared", async () => {
    const server = await startServer({ options: { session: { expiresIn: 1, updateAge: 3600 } } });
    try {
      const c = new Client(server.url);
      await c.post("/api/auth/sign-up/email", { name: "E", email: uniqueEmail("expire"), password: "password123" });
      assert.ok((await c.request("/api/auth/get-session")).data?.session);
      await new Promise((r) => setTimeout(r, 1100));
      const r = await c.request("/api/auth/get-session");
      assert.equal(r.text, "null");
      assert.equal(r.cookies["better-auth.session_token"]?.maxAge, 0);
    } finally {
      await server.close();
    }
  });
});
