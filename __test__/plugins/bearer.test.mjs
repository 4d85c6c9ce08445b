// bearer: `Authorization: Bearer` as the session, `set-auth-token` on sign-in; against upstream.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { Client, uniqueEmail } from "../helpers.mjs";
import { startBoth, assertSameSteps, pluginsOf } from "./differential.mjs";
import { startServer } from "../helpers.mjs";

const bearerHeaders = (r) => ({
  setAuthToken: r.headers.get("set-auth-token") === null ? null : "<signed>",
  exposed: r.headers.get("access-control-expose-headers"),
});

describe("bearer plugin, as upstream", () => {
  let servers;
  before(async () => {
    servers = await startBoth((p) => ({ plugins: [p.bearer()] }));
  });
  after(() => Promise.all(Object.values(servers).map((s) => s.close())));

  it("gives the same answers step by step", async () => {
    const tag = Date.now().toString(36);
    await assertSameSteps(servers, async (server, step) => {
      const email = `bearer-${tag}@example.com`;
      const c = new Client(server.url);
      const signUp = await c.post("/api/auth/sign-up/email", { name: "B", email, password: "password123" });
      step("sign-up", signUp, bearerHeaders(signUp));
      const signed = signUp.headers.get("set-auth-token");
      assert.equal(decodeURIComponent(signed).split(".")[0], signUp.data.token, "set-auth-token is the signed session token");
      const noCookies = new Client(server.url);
      const auth = (token) => ({ headers: { authorization: `Bearer ${token}` }, cookies: false });
      const session = await noCookies.request("/api/auth/get-session", auth(signed));
      step("get-session with the signed token", session, bearerHeaders(session));
      assert.equal(session.data.user.email, email);
      step("get-session with the bare token", await noCookies.request("/api/auth/get-session", auth(signUp.data.token)));
      step("get-session scheme in capitals", await noCookies.request("/api/auth/get-session", { headers: { authorization: `BEARER ${signed}` }, cookies: false }));
      const forged = `${signUp.data.token}.${"A".repeat(43)}=`;
      step("get-session forged signature", await noCookies.request("/api/auth/get-session", auth(forged)));
      step("get-session basic scheme", await noCookies.request("/api/auth/get-session", { headers: { authorization: `Basic ${signed}` }, cookies: false }));
      step("get-session empty bearer", await noCookies.request("/api/auth/get-session", { headers: { authorization: "Bearer " }, cookies: false }));
      // A bad bearer token leaves the cookie in force.
      step("cookie wins over a forged bearer", await c.request("/api/auth/get-session", { headers: { authorization: `Bearer ${forged}` } }));
      const signIn = await new Client(server.url).post("/api/auth/sign-in/email", { email, password: "password123" });
      step("sign-in", signIn, bearerHeaders(signIn));
      const wrong = await new Client(server.url).post("/api/auth/sign-in/email", { email, password: "password124" });
      step("sign-in wrong password", wrong, bearerHeaders(wrong));
      step("list-sessions by bearer", await noCookies.request("/api/auth/list-sessions", auth(signed)));
      const out = await noCookies.request("/api/auth/sign-out", { method: "POST", headers: { authorization: `Bearer ${signed}`, "content-type": "application/json" }, body: "{}", cookies: false });
      step("sign-out by bearer", out, bearerHeaders(out));
      step("get-session after sign-out", await noCookies.request("/api/auth/get-session", auth(signed)));
    });
  });

  it("auth.api.getSession reads the Authorization header", async () => {
    const server = servers.ours;
    const email = uniqueEmail("bearer-api");
    const r = await new Client(server.url).post("/api/auth/sign-up/email", { name: "B", email, password: "password123" });
    const result = await server.auth.api.getSession({ headers: new Headers({ authorization: `Bearer ${r.headers.get("set-auth-token")}` }) });
    assert.equal(result.user.email, email);
    assert.ok(result.session.expiresAt instanceof Date);
  });
});

describe("bearer requireSignature, as upstream", () => {
  let servers;
  before(async () => {
    servers = await startBoth((p) => ({ plugins: [p.bearer({ requireSignature: true })] }));
  });
  after(() => Promise.all(Object.values(servers).map((s) => s.close())));

  it("refuses bare tokens and accepts signed ones", async () => {
    const tag = Date.now().toString(36);
    await assertSameSteps(servers, async (server, step) => {
      const signUp = await new Client(server.url).post("/api/auth/sign-up/email", { name: "B", email: `sig-${tag}@example.com`, password: "password123" });
      const c = new Client(server.url);
      const as = (t) => c.request("/api/auth/get-session", { headers: { authorization: `Bearer ${t}` }, cookies: false });
      step("bare token", await as(signUp.data.token));
      step("signed token", await as(signUp.headers.get("set-auth-token")));
      step("decoded signed token", await as(decodeURIComponent(signUp.headers.get("set-auth-token"))));
    });
  });
});

describe("bearer options", () => {
  it("an unknown option names its path", async () => {
    const { bearer } = await pluginsOf("ours");
    await assert.rejects(
      startServer({ options: { plugins: [bearer({ requireSignatures: true })] } }),
      /unknown option `plugins\[bearer\]\.requireSignatures`/,
    );
  });
});
