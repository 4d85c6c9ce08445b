// session.cookieCache: the session_data cookie is byte-compatible with upstream's in both
// strategies (each implementation answers get-session from the other's cookie without the
// database), tampered or stale caches fall back to the store, other endpoints never trust it,
// and large sessions are chunked.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { startServer, Client, tempDbFile, uniqueEmail } from "./helpers.mjs";
import { summarize } from "./scenario.mjs";

const require = createRequire(import.meta.url);

function deleteSessions(file) {
  const Database = require("better-sqlite3");
  const db = new Database(file);
  db.prepare(`delete from "session"`).run();
  db.close();
}

for (const strategy of ["compact", "jwt", "jwe"]) {
  describe(`cookie cache (${strategy}) shared with upstream`, () => {
    const servers = [];
    after(() => Promise.all(servers.map((s) => s.close())));
    const options = (extra = {}) => ({ session: { cookieCache: { enabled: true, maxAge: 120, strategy, ...extra } } });

    it("answers alike, and each side reads the other's cache without the database", async () => {
      const dbFile = tempDbFile();
      const upstream = await startServer({ impl: "upstream", dbFile, options: options() });
      const ours = await startServer({ impl: "ours", dbFile, options: { ...options(), autoMigrate: false } });
      servers.push(upstream, ours);

      const steps = async (url, email) => {
        const c = new Client(url);
        const up = await c.post("/api/auth/sign-up/email", { name: "Cache", email, password: "password123" });
        const first = await c.request("/api/auth/get-session");
        const fresh = await c.request("/api/auth/get-session?disableCookieCache=true");
        const shapes = [summarize(up), summarize(first), summarize(fresh)].map((s) => ({ ...s, cookies: Object.keys(s.cookies) }));
        return { client: c, shapes: JSON.parse(JSON.stringify(shapes).replaceAll(email, "<email>")) };
      };
      const theirs = await steps(upstream.url, uniqueEmail("cache-up"));
      const mine = await steps(ours.url, uniqueEmail("cache-ours"));
      assert.deepEqual(mine.shapes, theirs.shapes);
      assert.ok(mine.client.jar.has("better-auth.session_data"), "sign-up wrote the cache");

      // With every session row gone, only the cache can answer: across implementations.
      deleteSessions(dbFile);
      for (const [reader, jar] of [[ours, theirs.client.jar], [upstream, mine.client.jar]]) {
        const c = new Client(reader.url);
        c.jar = new Map(jar);
        const r = await c.request("/api/auth/get-session");
        assert.equal(r.status, 200, r.text);
        assert.ok(r.data?.session?.token, `${reader === ours ? "ours" : "upstream"} read the other's cache: ${r.text}`);
        assert.equal(r.data.session.token, decodeURIComponent(jar.get("better-auth.session_token")).split(".")[0]);
      }

      // Tampered: refused, cleared, and the store (now empty) answers.
      const tampered = new Client(ours.url);
      tampered.jar = new Map(mine.client.jar);
      const value = tampered.jar.get("better-auth.session_data");
      tampered.jar.set("better-auth.session_data", value.slice(0, -3) + (value.endsWith("A") ? "BBB" : "AAA"));
      const t = await tampered.request("/api/auth/get-session");
      assert.equal(t.text, "null");
      assert.equal(t.cookies["better-auth.session_data"]?.maxAge, 0);

      // Endpoints other than get-session never take the cache's word.
      const sensitive = new Client(ours.url);
      sensitive.jar = new Map(mine.client.jar);
      assert.equal((await sensitive.request("/api/auth/list-sessions")).status, 401);
      assert.equal((await sensitive.post("/api/auth/update-user", { name: "X" })).status, 401);
    });

    it("treats a cache of another version as stale", async () => {
      const v1 = await startServer({ options: options({ version: "1" }) });
      const v2 = await startServer({ dbFile: v1.file, options: { ...options({ version: () => "2" }), autoMigrate: false } });
      servers.push(v1, v2);
      const c = new Client(v1.url);
      assert.equal((await c.post("/api/auth/sign-up/email", { name: "V", email: uniqueEmail("version"), password: "password123" })).status, 200);
      deleteSessions(v1.file);
      const other = new Client(v2.url);
      other.jar = new Map(c.jar);
      const r = await other.request("/api/auth/get-session");
      assert.equal(r.text, "null");
      assert.equal(r.cookies["better-auth.session_data"]?.maxAge, 0);
      assert.ok((await c.request("/api/auth/get-session")).data?.session, "the same version still reads it");
    });
  });
}

describe("cookie cache chunks", () => {
  it("splits a large session into session_data.N cookies and reads them back, as upstream", async () => {
    const bio = "x".repeat(6000);
    const options = { user: { additionalFields: { bio: { type: "string", required: false } } }, session: { cookieCache: { enabled: true } } };
    const dbFile = tempDbFile();
    const upstream = await startServer({ impl: "upstream", dbFile, options });
    const ours = await startServer({ dbFile, options: { ...options, autoMigrate: false } });
    try {
      const results = {};
      for (const [name, server] of [["ours", ours], ["upstream", upstream]]) {
        const c = new Client(server.url);
        const up = await c.post("/api/auth/sign-up/email", { name: "Big", email: uniqueEmail(`big-${name}`), password: "password123", bio });
        assert.equal(up.status, 200, up.text);
        results[name] = { client: c, names: Object.keys(up.cookies).filter((n) => n.includes("session_data")).sort() };
      }
      assert.deepEqual(results.ours.names, results.upstream.names);
      assert.ok(results.ours.names.length >= 2, results.ours.names.join());
      deleteSessions(dbFile);
      const crossed = new Client(upstream.url);
      crossed.jar = new Map(results.ours.client.jar);
      assert.equal((await crossed.request("/api/auth/get-session")).data?.user.bio, bio, "upstream joins our chunks");
      const back = new Client(ours.url);
      back.jar = new Map(results.upstream.client.jar);
      assert.equal((await back.request("/api/auth/get-session")).data?.user.bio, bio, "we join upstream's");
    } finally {
      await Promise.all([ours.close(), upstream.close()]);
    }
  });
});
