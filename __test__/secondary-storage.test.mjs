// secondaryStorage as upstream uses it: sessions, verification values and rate-limit counters in a
// key-value store, the database keeping users and accounts. Built-in Redis and JS objects, against
// upstream: same answers, same keys, and one shared Redis serving both implementations.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { startServer, Client, uniqueEmail, SECRET } from "./helpers.mjs";
import { runScenario } from "./scenario.mjs";
import { connectRedis, redisStorage, memoryStorage } from "./resp.mjs";

const require = createRequire(import.meta.url);
const REDIS_DB = 5;
const REDIS_URL = `redis://127.0.0.1:6379/${REDIS_DB}`;

/** A class-based storage (methods on the prototype, `this` inside), as users write them. */
class MapStorage {
  constructor() {
    this.inner = memoryStorage();
  }
  get(key) { return this.inner.get(key); }
  set(key, value, ttl) { return this.inner.set(key, value, ttl); }
  delete(key) { return this.inner.delete(key); }
  getAndDelete(key) { return this.inner.getAndDelete(key); }
  increment(key, ttl) { return this.inner.increment(key, ttl); }
}

/** Live keys (as a store with TTLs shows them) with tokens and ids replaced, so two implementations' keys compare. */
function keyShapes(map) {
  const keys = [...map].filter(([, entry]) => !entry.expires || entry.expires > Date.now()).map(([key]) => key);
  return [...new Set(keys.map((k) => k.replace(/[A-Za-z0-9]{32}/g, "<id>").replace(/reset-password:[A-Za-z0-9]{24}/, "reset-password:<token>")))].sort();
}

function tables(file) {
  const Database = require("better-sqlite3");
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare("select name from sqlite_master where type = 'table' order by name").all().map((r) => r.name);
  } finally {
    db.close();
  }
}

describe("secondary storage (JS object) against upstream", () => {
  const storages = { ours: new MapStorage(), upstream: memoryStorage() };
  const mails = { ours: [], upstream: [] };
  const servers = {};
  const options = (impl) => ({
    impl,
    options: {
      secondaryStorage: storages[impl],
      emailAndPassword: { enabled: true, sendResetPassword: async (mail) => { mails[impl].push(mail); } },
    },
  });
  before(async () => {
    [servers.ours, servers.upstream] = await Promise.all([startServer(options("ours")), startServer(options("upstream"))]);
  });
  after(async () => Promise.all([servers.ours?.close(), servers.upstream?.close()]));

  it("answers the differential scenario alike and stores the same kinds of keys", async () => {
    const tag = `ss${Date.now().toString(36)}`;
    const expected = await runScenario(servers.upstream.url, tag, mails.upstream);
    const actual = await runScenario(servers.ours.url, tag, mails.ours);
    assert.equal(actual.length, expected.length);
    for (let i = 0; i < expected.length; i++) assert.deepEqual(actual[i], expected[i], `step "${expected[i].name}" differs`);
    // Our unknown-email reset writes a stand-in verification value that lives two seconds (the
    // known path's cost, see src/routes/password.rs): compare what is still there after it.
    await new Promise((resolve) => setTimeout(resolve, 2100));
    assert.deepEqual(keyShapes(storages.ours.inner.map), keyShapes(storages.upstream.map));
  });

  it("leaves the session and verification tables out of the database, as upstream does", () => {
    assert.deepEqual(tables(servers.ours.file), ["account", "user"]);
    assert.deepEqual(tables(servers.upstream.file), ["account", "user"]);
  });

  it("stores a session as upstream's { session, user } JSON with its TTL, plus the user's list", async () => {
    const c = new Client(servers.ours.url);
    const up = await c.post("/api/auth/sign-up/email", { name: "Kay", email: uniqueEmail("kv"), password: "password123" });
    assert.equal(up.status, 200, up.text);
    const entry = storages.ours.inner.map.get(up.data.token);
    const cached = JSON.parse(entry.value);
    assert.equal(cached.session.token, up.data.token);
    assert.equal(cached.user.id, up.data.user.id);
    const ttl = (entry.expires - Date.now()) / 1000;
    assert.ok(ttl > 7 * 86400 - 10 && ttl <= 7 * 86400, `ttl ${ttl}`);
    const list = JSON.parse(storages.ours.inner.map.get(`active-sessions-${up.data.user.id}`).value);
    assert.deepEqual(list.map((s) => s.token), [up.data.token]);
    assert.equal(typeof list[0].expiresAt, "number");
    // update-user rewrites the cached user; sign-out removes the session and the list entry.
    assert.equal((await c.post("/api/auth/update-user", { name: "Kai" })).status, 200);
    assert.equal(JSON.parse(storages.ours.inner.map.get(up.data.token).value).user.name, "Kai");
    assert.equal((await c.request("/api/auth/get-session")).data.user.name, "Kai");
    assert.equal((await c.post("/api/auth/sign-out", {})).status, 200);
    assert.equal(storages.ours.inner.map.has(up.data.token), false);
    assert.equal(storages.ours.inner.map.has(`active-sessions-${up.data.user.id}`), false);
  });
});

describe("secondary storage without increment", () => {
  it("counts rate limits in memory, with a warning, instead of letting every request through", async () => {
    const { get, set, delete: del } = memoryStorage();
    const lines = [];
    const server = await startServer({
      options: { secondaryStorage: { get, set, delete: del }, rateLimit: { enabled: true }, logger: { log: (level, message) => lines.push([level, message]) } },
    });
    try {
      assert.ok(lines.some(([level, m]) => level === "warn" && m.includes("increment")), JSON.stringify(lines));
      const attempt = () => new Client(server.url).post("/api/auth/sign-in/email", { email: "nobody@example.com", password: "password123" }, { headers: { "x-forwarded-for": "10.1.2.3" } });
      for (let i = 0; i < 3; i++) assert.equal((await attempt()).status, 401);
      assert.equal((await attempt()).status, 429);
    } finally {
      await server.close();
    }
  });
});

describe("secondary storage with session.storeSessionInDatabase", () => {
  it("writes sessions to both, falls back to the database, and with preserveSessionInDatabase keeps ended rows expired", async () => {
    const storage = memoryStorage();
    const server = await startServer({ options: { secondaryStorage: storage, session: { storeSessionInDatabase: true } } });
    const preserving = await startServer({ options: { secondaryStorage: memoryStorage(), session: { storeSessionInDatabase: true, preserveSessionInDatabase: true } } });
    try {
      const c = new Client(server.url);
      const up = await c.post("/api/auth/sign-up/email", { name: "Both", email: uniqueEmail("both"), password: "password123" });
      assert.equal(up.status, 200, up.text);
      assert.deepEqual(tables(server.file), ["account", "session", "user"]);
      assert.ok(storage.map.has(up.data.token));
      // Gone from the store (evicted, flushed): the database row still answers.
      storage.map.delete(up.data.token);
      assert.equal((await c.request("/api/auth/get-session")).data?.session.token, up.data.token);

      const p = new Client(preserving.url);
      const pUp = await p.post("/api/auth/sign-up/email", { name: "Kept", email: uniqueEmail("kept"), password: "password123" });
      assert.equal((await p.post("/api/auth/sign-out", {})).status, 200);
      const Database = require("better-sqlite3");
      const db = new Database(preserving.file, { readonly: true });
      const row = db.prepare(`select "expiresAt" from "session" where "token" = ?`).get(pUp.data.token);
      db.close();
      assert.ok(row, "the ended session's row is kept");
      assert.ok(Date.parse(row.expiresAt) <= Date.now(), `expiresAt ${row.expiresAt} is now or earlier`);
      const replay = new Client(preserving.url);
      replay.jar = new Map([[`better-auth.session_token`, pUp.cookies["better-auth.session_token"].value]]);
      assert.equal((await replay.request("/api/auth/get-session")).text, "null");
    } finally {
      await Promise.all([server.close(), preserving.close()]);
    }
  });
});

describe("secondary storage: one Redis shared by upstream and ours", () => {
  let redis;
  let ours;
  let upstream;
  before(async () => {
    redis = await connectRedis();
    await redis.command("SELECT", REDIS_DB);
    await redis.command("FLUSHDB");
    upstream = await startServer({ impl: "upstream", options: { secondaryStorage: redisStorage(redis) } });
    ours = await startServer({ impl: "ours", dbFile: upstream.file, options: { secondaryStorage: REDIS_URL, autoMigrate: false } });
  });
  after(async () => {
    await Promise.all([ours?.close(), upstream?.close()]);
    redis?.close();
  });

  it("accepts upstream's sessions and hands upstream its own; sign-out and revocation reach both", async () => {
    const email = uniqueEmail("shared");
    const viaUpstream = new Client(upstream.url);
    const signUp = await viaUpstream.post("/api/auth/sign-up/email", { name: "Up", email, password: "password123" });
    assert.equal(signUp.status, 200, signUp.text);
    const here = new Client(ours.url);
    here.jar = new Map(viaUpstream.jar);
    assert.equal((await here.request("/api/auth/get-session")).data?.user.email, email);

    // A session we create in Redis is one upstream reads, with the user we cached.
    const viaOurs = new Client(ours.url);
    const ourEmail = uniqueEmail("shared-ours");
    const ourUp = await viaOurs.post("/api/auth/sign-up/email", { name: "Ours", email: ourEmail, password: "password123" });
    assert.equal(ourUp.status, 200, ourUp.text);
    assert.ok(await redis.command("GET", ourUp.data.token), "the session is in Redis");
    assert.ok(await redis.command("TTL", ourUp.data.token) > 7 * 86400 - 10);
    const there = new Client(upstream.url);
    there.jar = new Map(viaOurs.jar);
    assert.equal((await there.request("/api/auth/get-session")).data?.user.email, ourEmail);
    assert.equal((await viaOurs.post("/api/auth/update-user", { name: "Renamed" })).status, 200);
    assert.equal((await there.request("/api/auth/get-session")).data?.user.name, "Renamed");

    // Signing out upstream ends it here.
    assert.equal((await there.post("/api/auth/sign-out", {})).status, 200);
    assert.equal((await viaOurs.request("/api/auth/get-session")).text, "null");

    // revoke-sessions here: upstream's copy of the same user's other session is refused too.
    const second = new Client(upstream.url);
    assert.equal((await second.post("/api/auth/sign-in/email", { email, password: "password123" })).status, 200);
    const revoker = new Client(ours.url);
    revoker.jar = new Map(second.jar);
    assert.equal((await revoker.post("/api/auth/revoke-sessions", {})).status, 200);
    assert.equal((await second.request("/api/auth/get-session")).text, "null");
    assert.equal((await here.request("/api/auth/get-session")).text, "null");
    assert.ok(await redis.command("GET", `revoked-sessions-before-${signUp.data.user.id}`));
  });

  it("counts rate limits in Redis across instances", async () => {
    const a = await startServer({ options: { secondaryStorage: REDIS_URL, rateLimit: { enabled: true } } });
    const b = await startServer({ dbFile: a.file, options: { secondaryStorage: REDIS_URL, rateLimit: { enabled: true }, autoMigrate: false } });
    try {
      const ip = `10.${Date.now() % 250}.7.${Math.floor(Math.random() * 250)}`;
      const attempt = (server) =>
        new Client(server.url).post("/api/auth/sign-in/email", { email: "nobody@example.com", password: "password123" }, { headers: { "x-forwarded-for": ip } });
      for (const server of [a, b, a]) assert.equal((await attempt(server)).status, 401);
      const limited = await attempt(b);
      assert.equal(limited.status, 429, limited.text);
      assert.equal(limited.headers.get("x-retry-after"), "10");
      const ttl = await redis.command("TTL", `${ip}|/sign-in/email`);
      assert.ok(ttl > 0 && ttl <= 10, `ttl ${ttl}`);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("refuses to create a session when Redis is unreachable (upstream's error), never a silent success", async () => {
    const down = await startServer({ options: { secondaryStorage: "redis://127.0.0.1:1", database: { provider: "sqlite", url: ":memory:", connectionTimeoutMillis: 500 } } });
    try {
      const email = uniqueEmail("no-redis");
      const r = await new Client(down.url).post("/api/auth/sign-up/email", { name: "N", email, password: "password123" });
      // Upstream answers a failed session write on sign-up with 400 FAILED_TO_CREATE_SESSION.
      assert.equal(r.status, 400, r.text);
      assert.equal(r.data.code, "FAILED_TO_CREATE_SESSION");
      assert.match(r.headers.get("content-type"), /application\/json/);
      assert.equal(r.setCookies.length, 0, "no cookie for a session that was not stored");
      assert.ok(!r.text.includes("redis://"), r.text);
      // A validly signed cookie must be looked up in Redis: that fails loudly too.
      const { createHmac } = await import("node:crypto");
      const token = "a".repeat(32);
      const signed = `${token}.${createHmac("sha256", SECRET).update(token).digest("base64")}`;
      const cookie = `better-auth.session_token=${encodeURIComponent(signed)}`;
      const session = await new Client(down.url).request("/api/auth/get-session", { headers: { cookie } });
      assert.equal(session.status, 500, session.text);
      assert.equal(session.data.code, "FAILED_TO_GET_SESSION");
      assert.equal((await new Client(down.url).request("/api/auth/ok")).status, 200, "the process lives on");
    } finally {
      await down.close();
    }
  });
});
