// `<model>.modelName` and `<model>.fields` renames (and additional fields' `fieldName`), on
// SQLite, PostgreSQL and MariaDB: the same tables and indexes as upstream's migration, the same
// answers over HTTP, and one database shared with upstream both ways.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, Client, uniqueEmail, SECRET, upstreamPasswordOptions } from "./helpers.mjs";
import { createTestDatabase, DIALECTS, upstreamMigrationPlan } from "./databases.mjs";
import { runScenario } from "./scenario.mjs";

const RENAMES = {
  user: {
    modelName: "users",
    fields: { name: "full_name", email: "email_address", emailVerified: "email_verified", createdAt: "created_at", updatedAt: "updated_at" },
    additionalFields: { nickname: { type: "string", required: false, fieldName: "nick_name" } },
  },
  session: { modelName: "sessions", fields: { userId: "user_id", token: "session_token", expiresAt: "expires_at", ipAddress: "ip_address" } },
  account: { modelName: "accounts", fields: { userId: "user_id", accountId: "account_id", providerId: "provider_id", password: "password_hash" } },
  verification: { modelName: "verifications", fields: { identifier: "ident", value: "val", expiresAt: "expires_at" } },
};

const RATE_LIMITED = { enabled: true, storage: "database", modelName: "rate_limits", fields: { lastRequest: "last_request", count: "hits" }, customRules: { "/sign-in/email": { window: 60, max: 2 } } };

for (const dialect of DIALECTS) {
  describe(`renamed tables and columns on ${dialect}`, () => {
    const databases = [];
    const servers = [];
    const fresh = async () => {
      const db = await createTestDatabase(dialect);
      databases.push(db);
      return db;
    };
    const serve = async (options) => {
      const server = await startServer(options);
      servers.push(server);
      return server;
    };
    after(async () => {
      await Promise.all(servers.map((s) => s.close()));
      await Promise.all(databases.map((d) => d.drop().catch(() => {})));
    });
    const q = (name) => (dialect === "mysql" ? `\`${name}\`` : `"${name}"`);
    const param = dialect === "postgres" ? "$1" : "?";

    it("migrates to upstream's renamed schema: upstream's migration finds nothing to add", async () => {
      const db = await fresh();
      const options = { ...RENAMES, rateLimit: RATE_LIMITED };
      const { betterAuth } = await import("../index.js");
      const auth = betterAuth({ database: db.url, secret: SECRET, logger: { disabled: true }, ...options });
      const pending = await auth.migrate({ apply: false });
      assert.ok(pending.some((s) => s.startsWith(`create table ${q("users")}`)), pending.join("\n"));
      assert.ok(pending.includes(`create index ${q("sessions_user_id_idx")} on ${q("sessions")} (${q("user_id")});`), pending.join("\n"));
      assert.ok(!pending.some((s) => /"user"|`user`|"emailVerified"/.test(s)), pending.join("\n"));
      await auth.migrate();
      assert.deepEqual(await upstreamMigrationPlan(db, options), { created: [], added: [], indexes: [] });
    });

    if (dialect !== "postgres") {
      // (Postgres shares MySQL's and SQLite's query text but for `$n`; its takeover below covers it.)
      it("answers the differential scenario as upstream does with the same renames", async () => {
        const mails = { ours: [], upstream: [] };
        const options = (impl) => ({ ...RENAMES, emailAndPassword: { enabled: true, sendResetPassword: async (mail) => { mails[impl].push(mail); } } });
        const [ours, upstream] = await Promise.all([
          serve({ impl: "ours", database: await fresh(), options: options("ours") }),
          serve({ impl: "upstream", database: await fresh(), options: options("upstream") }),
        ]);
        const tag = `rn${dialect}${Date.now().toString(36)}`;
        const expected = await runScenario(upstream.url, tag, mails.upstream);
        const actual = await runScenario(ours.url, tag, mails.ours);
        assert.equal(actual.length, expected.length);
        for (let i = 0; i < expected.length; i++) assert.deepEqual(actual[i], expected[i], `step "${expected[i].name}" differs`);
      });
    }

    it("shares a renamed database with upstream both ways: users, cookies, additional fields, sign-out", async () => {
      const db = await fresh();
      const upstream = await serve({ impl: "upstream", database: db, options: { ...RENAMES, emailAndPassword: await upstreamPasswordOptions() } });
      const ours = await serve({ impl: "ours", database: db, options: { ...RENAMES, autoMigrate: false } });
      assert.deepEqual(await ours.auth.migrate({ apply: false }), [], "upstream's renamed schema is complete for us");

      const email = uniqueEmail("renamed-up");
      const viaUpstream = new Client(upstream.url);
      const signUp = await viaUpstream.post("/api/auth/sign-up/email", { name: "Up", email, password: "password123", nickname: "upnick" });
      assert.equal(signUp.status, 200, signUp.text);
      const sameCookie = new Client(ours.url);
      sameCookie.jar = new Map(viaUpstream.jar);
      const session = await sameCookie.request("/api/auth/get-session");
      assert.equal(session.data?.user.email, email, session.text);
      assert.equal(session.data.user.nickname, "upnick");
      assert.equal(session.data.user.createdAt, signUp.data.user.createdAt);
      assert.equal(session.data.session.token, signUp.data.token);

      // A user made here, with a session and an update, as upstream reads them.
      const ourEmail = uniqueEmail("renamed-ours");
      const viaOurs = new Client(ours.url);
      assert.equal((await viaOurs.post("/api/auth/sign-up/email", { name: "Ours", email: ourEmail, password: "password123", nickname: "n1" })).status, 200);
      assert.equal((await viaOurs.post("/api/auth/update-user", { name: "Ours Renamed", nickname: "n2" })).status, 200);
      const rows = await db.query(`select ${q("full_name")}, ${q("nick_name")}, ${q("email_verified")} from ${q("users")} where ${q("email_address")} = ${param}`, [ourEmail]);
      assert.equal(rows.length, 1);
      assert.equal(rows[0].full_name, "Ours Renamed");
      assert.equal(rows[0].nick_name, "n2");
      const there = new Client(upstream.url);
      there.jar = new Map(viaOurs.jar);
      const theirView = await there.request("/api/auth/get-session");
      assert.equal(theirView.data?.user.name, "Ours Renamed", theirView.text);
      assert.equal(theirView.data.user.nickname, "n2");
      assert.equal((await new Client(upstream.url).post("/api/auth/sign-in/email", { email: ourEmail, password: "password123" })).status, 200);
      const accounts = await viaOurs.request("/api/auth/list-accounts");
      assert.deepEqual(accounts.data.map((a) => a.providerId), ["credential"]);
      const sessions = await viaOurs.request("/api/auth/list-sessions");
      assert.equal(sessions.data.length, 2, sessions.text);
      // Signed out through upstream: gone here too.
      assert.equal((await there.post("/api/auth/sign-out", {})).status, 200);
      assert.equal((await viaOurs.request("/api/auth/get-session")).text, "null");
    });

    it("counts rate limits in the renamed table", async () => {
      const db = await fresh();
      const ours = await serve({ impl: "ours", database: db, options: { ...RENAMES, rateLimit: RATE_LIMITED, autoMigrate: true } });
      const c = new Client(ours.url);
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await c.post("/api/auth/sign-in/email", { email: "nobody@example.com", password: "password123" })).status);
      assert.deepEqual(statuses, [401, 401, 429]);
      const rows = await db.query(`select ${q("hits")}, ${q("last_request")} from ${q("rate_limits")}`);
      assert.equal(rows.length, 1);
      assert.equal(Number(rows[0].hits), 2);
    });
  });
}

describe("rename options", () => {
  it("refuses a field the model does not have, by name", async () => {
    const { betterAuth } = await import("../index.js");
    assert.throws(() => betterAuth({ database: "sqlite::memory:", secret: SECRET, user: { fields: { mail: "email_address" } } }), /`user\.fields\.mail`.*no field `mail`/);
    assert.throws(() => betterAuth({ database: "sqlite::memory:", secret: SECRET, session: { fields: { token: "user_id", userId: "user_id" } } }), /share the column `user_id`/);
    assert.throws(() => betterAuth({ database: "sqlite::memory:", secret: SECRET, account: { modelName: "drop table" } }), /account\.modelName/);
  });
});
