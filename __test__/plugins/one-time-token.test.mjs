// oneTimeToken: generate for the current session, verify once (atomically), expiry and
// options; against upstream.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { Client, startServer } from "../helpers.mjs";
import { startBoth, assertSameSteps, pluginsOf } from "./differential.mjs";

const signUp = async (url, email) => {
  const c = new Client(url);
  const r = await c.post("/api/auth/sign-up/email", { name: "O", email, password: "password123" });
  assert.equal(r.status, 200, r.text);
  return c;
};

describe("one-time-token plugin, as upstream", () => {
  let servers;
  before(async () => {
    servers = await startBoth((p) => ({ plugins: [p.oneTimeToken()] }));
  });
  after(() => Promise.all(Object.values(servers).map((s) => s.close())));

  it("gives the same answers step by step", async () => {
    const tag = Date.now().toString(36);
    await assertSameSteps(servers, async (server, step) => {
      const fresh = () => new Client(server.url);
      step("generate signed out", await fresh().request("/api/auth/one-time-token/generate"));
      const a = await signUp(server.url, `ott-${tag}@example.com`);
      const generated = await a.request("/api/auth/one-time-token/generate");
      assert.match(generated.data.token, /^[A-Za-z0-9_-]{32}$/);
      step("generate", { ...generated, data: { token: "<ott>" } });
      const b = fresh();
      step("verify", await b.post("/api/auth/one-time-token/verify", { token: generated.data.token }));
      step("the verifier is signed in", await b.request("/api/auth/get-session"));
      step("verify again", await fresh().post("/api/auth/one-time-token/verify", { token: generated.data.token }));
      step("verify unknown", await fresh().post("/api/auth/one-time-token/verify", { token: "nope" }));
      step("verify without token", await fresh().post("/api/auth/one-time-token/verify", {}));
      step("verify wrong type", await fresh().post("/api/auth/one-time-token/verify", { token: 5 }));
      const second = await a.request("/api/auth/one-time-token/generate");
      await a.post("/api/auth/sign-out", {});
      step("verify after the session ended", await fresh().post("/api/auth/one-time-token/verify", { token: second.data.token }));
    });
  });

  it("only one of many concurrent verifications wins", async () => {
    for (const impl of ["upstream", "ours"]) {
      const a = await signUp(servers[impl].url, `race-${impl}-${Date.now()}@example.com`);
      const { data } = await a.request("/api/auth/one-time-token/generate");
      const results = await Promise.all(Array.from({ length: 12 }, () => new Client(servers[impl].url).post("/api/auth/one-time-token/verify", { token: data.token })));
      const statuses = results.map((r) => r.status).sort();
      assert.deepEqual(statuses, [200, ...Array(11).fill(400)], `${impl}: ${statuses}`);
    }
  });

  it("auth.api.generateOneTimeToken and verifyOneTimeToken work server side", async () => {
    const server = servers.ours;
    const a = await signUp(server.url, `api-${Date.now()}@example.com`);
    const { token } = await server.auth.api.generateOneTimeToken({ headers: new Headers({ cookie: a.cookieHeader() }) });
    const verified = await server.auth.api.verifyOneTimeToken({ body: { token } });
    assert.ok(verified.session.expiresAt instanceof Date);
    await assert.rejects(server.auth.api.verifyOneTimeToken({ body: { token } }), (e) => e.statusCode === 400 && e.body.message === "Invalid token");
  });
});

describe("one-time-token options, as upstream", () => {
  let servers;
  const hashes = { ours: [], upstream: [] };
  before(async () => {
    servers = await startBoth((p, impl) => ({
      plugins: [
        p.oneTimeToken({
          expiresIn: 0,
          disableClientRequest: false,
          disableSetSessionCookie: true,
          setOttHeaderOnNewSession: true,
          generateToken: async ({ session }) => `tok-${session.token.slice(0, 8)}`,
          storeToken: { type: "custom-hasher", hash: async (t) => { hashes[impl].push(t); return `${t}-hashed`; } },
        }),
      ],
    }));
  });
  after(() => Promise.all(Object.values(servers).map((s) => s.close())));

  it("custom tokens and hashing, set-ott on sign-in, expiry 0, no cookie on verify", async () => {
    const tag = Date.now().toString(36);
    await assertSameSteps(servers, async (server, step, impl) => {
      const c = new Client(server.url);
      const up = await c.post("/api/auth/sign-up/email", { name: "O", email: `opt-${tag}@example.com`, password: "password123" });
      const ott = up.headers.get("set-ott");
      step("sign-up carries set-ott", up, { ott: ott === `tok-${up.data.token.slice(0, 8)}`, exposed: up.headers.get("access-control-expose-headers") });
      step("expired at once", await new Client(server.url).post("/api/auth/one-time-token/verify", { token: ott }));
      assert.ok(hashes[impl].includes(ott), "the hasher saw the token");
    });
  });

  it("disableClientRequest refuses HTTP and allows auth.api", async () => {
    const { oneTimeToken } = await pluginsOf("ours");
    const server = await startServer({ options: { plugins: [oneTimeToken({ disableClientRequest: true })] } });
    try {
      const a = await signUp(server.url, `dcr-${Date.now()}@example.com`);
      const r = await a.request("/api/auth/one-time-token/generate");
      assert.equal(r.status, 400);
      assert.deepEqual(r.data, { message: "Client requests are disabled" });
      const { token } = await server.auth.api.generateOneTimeToken({ headers: new Headers({ cookie: a.cookieHeader() }) });
      assert.equal(token.length, 32);
    } finally {
      await server.close();
    }
  });
});
