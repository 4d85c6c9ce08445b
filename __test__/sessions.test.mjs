// Listing and revoking sessions over HTTP.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, Client, uniqueEmail } from "./helpers.mjs";

describe("list and revoke sessions", () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  async function userWithDevices(n) {
    const email = uniqueEmail("devices");
    const first = new Client(server.url);
    await first.post("/api/auth/sign-up/email", { name: "D", email, password: "password123" });
    const devices = [first];
    for (let i = 1; i < n; i++) {
      const c = new Client(server.url);
      assert.equal((await c.post("/api/auth/sign-in/email", { email, password: "password123" })).status, 200);
      devices.push(c);
    }
    return devices;
  }

  it("requires a session", async () => {
    const c = new Client(server.url);
    const r = await c.request("/api/auth/list-sessions");
    assert.deepEqual([r.status, r.data], [401, { message: "Unauthorized", code: "UNAUTHORIZED" }]);
    const p = await c.post("/api/auth/revoke-sessions", {});
    assert.equal(p.status, 401);
  });

  it("lists the user's sessions, and only theirs", async () => {
    const devices = await userWithDevices(3);
    await userWithDevices(1);
    const r = await devices[0].request("/api/auth/list-sessions");
    assert.equal(r.status, 200);
    assert.equal(r.data.length, 3);
    assert.ok(r.data.every((s) => s.userId === r.data[0].userId && /^[A-Za-z0-9]{32}$/.test(s.token)));
  });

  it("revoke-session ends another device's session, never someone else's", async () => {
    const [a, b] = await userWithDevices(2);
    const [stranger] = await userWithDevices(1);
    const bToken = (await b.request("/api/auth/get-session")).data.session.token;
    const strangerToken = (await stranger.request("/api/auth/get-session")).data.session.token;
    assert.deepEqual((await a.post("/api/auth/revoke-session", { token: strangerToken })).data, { status: true });
    assert.ok((await stranger.request("/api/auth/get-session")).data, "a stranger's session survives");
    assert.deepEqual((await a.post("/api/auth/revoke-session", { token: bToken })).data, { status: true });
    assert.equal((await b.request("/api/auth/get-session")).text, "null");
    assert.ok((await a.request("/api/auth/get-session")).data);
    const bad = await a.post("/api/auth/revoke-session", {});
    assert.deepEqual([bad.status, bad.data.message], [400, "[body.token] Invalid input: expected string, received undefined"]);
  });

  it("revoke-other-sessions keeps the current one; revoke-sessions ends all and clears the cookie", async () => {
    const [a, b, c] = await userWithDevices(3);
    assert.deepEqual((await a.post("/api/auth/revoke-other-sessions", {})).data, { status: true });
    assert.equal((await b.request("/api/auth/get-session")).text, "null");
    assert.equal((await c.request("/api/auth/get-session")).text, "null");
    assert.equal((await a.request("/api/auth/list-sessions")).data.length, 1);
    const all = await a.post("/api/auth/revoke-sessions", {});
    assert.deepEqual(all.data, { status: true });
    assert.equal(all.cookies["better-auth.session_token"]?.maxAge, 0);
    assert.equal((await a.request("/api/auth/list-sessions")).status, 401);
  });

  it("list-sessions needs a fresh session", async () => {
    const stale = await startServer({ options: { session: { freshAge: 1 } } });
    try {
      const c = new Client(stale.url);
      await c.post("/api/auth/sign-up/email", { name: "F", email: uniqueEmail("fresh"), password: "password123" });
      assert.equal((await c.request("/api/auth/list-sessions")).status, 200);
      await new Promise((r) => setTimeout(r, 1100));
      const r = await c.request("/api/auth/list-sessions");
      assert.deepEqual([r.status, r.data.code], [403, "SESSION_NOT_FRESH"]);
    } finally {
      await stale.close();
    }
  });
});
