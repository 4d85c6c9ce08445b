// Swapping upstream better-auth for ours on an existing SQLite database logs nobody out:
// upstream's users sign in here (scrypt hashes), cookies are valid in both directions.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, Client, tempDbFile, uniqueEmail } from "./helpers.mjs";

describe("takeover of an upstream SQLite database", () => {
  let upstream;
  let ours;
  const dbFile = tempDbFile();
  before(async () => {
    upstream = await startServer({ impl: "upstream", dbFile });
    ours = await startServer({ impl: "ours", dbFile, options: { autoMigrate: false } });
  });
  after(async () => {
    await Promise.all([ours?.close(), upstream?.close()]);
  });

  it("finds upstream's schema complete: nothing to migrate", async () => {
    assert.deepEqual(await ours.auth.migrate({ apply: false }), []);
  });

  it("accepts a session cookie minted by upstream, and signs upstream's user in", async () => {
    const email = uniqueEmail("upstream-user");
    const viaUpstream = new Client(upstream.url);
    const signUp = await viaUpstream.post("/api/auth/sign-up/email", { name: "Up", email, password: "pässwörd-123" });
    assert.equal(signUp.status, 200, signUp.text);

    const sameCookie = new Client(ours.url);
    sameCookie.jar = viaUpstream.jar;
    const session = await sameCookie.request("/api/auth/get-session");
    assert.equal(session.status, 200);
    assert.equal(session.data?.user.email, email);
    assert.equal(session.data.session.token, signUp.data.token);
    const me = await sameCookie.request("/api/me");
    assert.equal(me.data?.user.id, signUp.data.user.id);

    const signIn = await new Client(ours.url).post("/api/auth/sign-in/email", { email, password: "pässwörd-123" });
    assert.equal(signIn.status, 200, signIn.text);
    assert.equal(signIn.data.user.id, signUp.data.user.id);
    const wrong = await new Client(ours.url).post("/api/auth/sign-in/email", { email, password: "passwörd-123" });
    assert.equal(wrong.status, 401);
  });

  it("hands upstream sessions it can read: a cookie minted here is valid there", async () => {
    const viaOurs = new Client(ours.url);
    const email = uniqueEmail("our-user");
    const signUp = await viaOurs.post("/api/auth/sign-up/email", { name: "Ours", email, password: "password123" });
    assert.equal(signUp.status, 200);
    const sameCookie = new Client(upstream.url);
    sameCookie.jar = viaOurs.jar;
    const session = await sameCookie.request("/api/auth/get-session");
    assert.equal(session.data?.user.email, email);
    assert.equal(session.data.user.emailVerified, false);
    assert.equal(session.data.session.expiresAt, (await viaOurs.request("/api/auth/get-session")).data.session.expiresAt);
    // Signing out upstream ends the session here too: one database, one truth.
    const out = await sameCookie.post("/api/auth/sign-out", {});
    assert.equal(out.status, 200);
    const after = new Client(ours.url);
    after.jar = new Map(viaOurs.jar);
    assert.equal((await after.request("/api/auth/get-session")).text, "null");
  });
});

describe("schema parity", () => {
  it("upstream's migration finds nothing to add to a database ours created", async () => {
    const { createRequire } = await import("node:module");
    const require = createRequire(import.meta.url);
    const Database = require("better-sqlite3");
    const { getMigrations } = await import("better-auth/db/migration");
    const dbFile = tempDbFile();
    const ours = await startServer({ impl: "ours", dbFile });
    try {
      await ours.auth.migrate();
      const { toBeCreated, toBeAdded } = await getMigrations({ database: new Database(dbFile), emailAndPassword: { enabled: true } });
      assert.deepEqual(toBeCreated, []);
      assert.deepEqual(toBeAdded, []);
    } finally {
      await ours.close();
    }
  });
});

describe("upstream's own database option", () => {
  it("accepts the better-sqlite3 Database an upstream config passes, and { provider, url }", async () => {
    const { createRequire } = await import("node:module");
    const require = createRequire(import.meta.url);
    const Database = require("better-sqlite3");
    const { betterAuth } = await import("../index.js");
    const dbFile = tempDbFile();
    const upstream = await startServer({ impl: "upstream", dbFile });
    try {
      const email = uniqueEmail("swap");
      await new Client(upstream.url).post("/api/auth/sign-up/email", { name: "S", email, password: "password123" });
      // The same config object upstream took, with only the import changed.
      for (const database of [new Database(dbFile), { provider: "sqlite", url: dbFile }]) {
        const auth = betterAuth({ database, secret: "test-secret-for-better-auth-rs-0123456789", emailAndPassword: { enabled: true }, logger: { disabled: true } });
        const r = await auth.api.signInEmail({ body: { email, password: "password123" } });
        assert.equal(r.user.email, email);
      }
      assert.throws(() => betterAuth({ database: { provider: "oracle", url: "oracle://localhost/db" } }), /database\.provider.*oracle/);
      class Kysely {}
      assert.throws(() => betterAuth({ database: new Kysely() }), /a Kysely instance.*pg Pool/);
    } finally {
      await upstream.close();
    }
  });
});
