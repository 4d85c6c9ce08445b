// One storage suite on SQLite, PostgreSQL and MariaDB/MySQL (the servers this machine runs):
// the differential scenario against upstream on the same server, schema parity, takeover in both
// directions, concurrency, migrations. Each test gets its own throwaway database.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { startServer, Client, uniqueEmail, SECRET, upstreamPasswordOptions } from "./helpers.mjs";
import { createTestDatabase, DIALECTS, upstreamMigrationPlan } from "./databases.mjs";
import { runScenario } from "./scenario.mjs";

const require = createRequire(import.meta.url);

for (const dialect of DIALECTS) {
  describe(`storage on ${dialect}`, () => {
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

    if (dialect !== "sqlite") {
      // (SQLite runs this scenario in differential.test.mjs.)
      it("answers the differential scenario as upstream does on the same server", async () => {
        const mails = { ours: [], upstream: [] };
        const withMail = (impl) => ({ emailAndPassword: { enabled: true, sendResetPassword: async (mail) => { mails[impl].push(mail); } } });
        const [ours, upstream] = await Promise.all([
          serve({ impl: "ours", database: await fresh(), options: withMail("ours") }),
          serve({ impl: "upstream", database: await fresh(), options: withMail("upstream") }),
        ]);
        const tag = `${dialect}${Date.now().toString(36)}`;
        const expected = await runScenario(upstream.url, tag, mails.upstream);
        const actual = await runScenario(ours.url, tag, mails.ours);
        assert.equal(actual.length, expected.length);
        for (let i = 0; i < expected.length; i++) assert.deepEqual(actual[i], expected[i], `step "${expected[i].name}" differs`);
      });
    }

    it("migrates an empty database to upstream's schema: upstream's migration finds nothing to add", async () => {
      const db = await fresh();
      const before = await upstreamMigrationPlan(db);
      assert.deepEqual(before.created.sort(), ["account", "session", "user", "verification"]);
      const { betterAuth } = await import("../index.js");
      const auth = betterAuth({ database: db.url, secret: SECRET, logger: { disabled: true } });
      const pending = await auth.migrate({ apply: false });
      assert.equal(pending.length, 7, pending.join("\n"));
      assert.deepEqual(await auth.migrate(), pending);
      assert.deepEqual(await auth.migrate({ apply: false }), []);
      assert.deepEqual(await upstreamMigrationPlan(db), { created: [], added: [], indexes: [] });
    });

    it("takes over a database upstream filled: its users sign in, its live cookies stay valid; and back", async () => {
      const db = await fresh();
      const upstream = await serve({ impl: "upstream", database: db, options: { emailAndPassword: await upstreamPasswordOptions() } });
      const ours = await serve({ impl: "ours", database: db, options: { autoMigrate: false } });
      assert.deepEqual(await ours.auth.migrate({ apply: false }), [], "upstream's schema is complete for us");

      const email = uniqueEmail("upstream-user");
      const viaUpstream = new Client(upstream.url);
      const signUp = await viaUpstream.post("/api/auth/sign-up/email", { name: "Up", email, password: "pässwörd-123" });
      assert.equal(signUp.status, 200, signUp.text);
      const sameCookie = new Client(ours.url);
      sameCookie.jar = new Map(viaUpstream.jar);
      const session = await sameCookie.request("/api/auth/get-session");
      assert.equal(session.data?.user.email, email, session.text);
      assert.equal(session.data.session.token, signUp.data.token);
      assert.equal(session.data.user.createdAt, signUp.data.user.createdAt, "dates read back to the millisecond");
      assert.equal(session.data.user.emailVerified, false);
      const signIn = await new Client(ours.url).post("/api/auth/sign-in/email", { email, password: "pässwörd-123" });
      assert.equal(signIn.status, 200, signIn.text);
      assert.equal((await new Client(ours.url).post("/api/auth/sign-in/email", { email, password: "wrong-password" })).status, 401);

      // The reverse: a user created here signs in through upstream; our cookie is valid there.
      const ourEmail = uniqueEmail("our-user");
      const viaOurs = new Client(ours.url);
      const ourSignUp = await viaOurs.post("/api/auth/sign-up/email", { name: "Ours", email: ourEmail, password: "password123" });
      assert.equal(ourSignUp.status, 200, ourSignUp.text);
      const there = new Client(upstream.url);
      there.jar = new Map(viaOurs.jar);
      const theirView = await there.request("/api/auth/get-session");
      assert.equal(theirView.data?.user.email, ourEmail, theirView.text);
      assert.equal(theirView.data.session.expiresAt, (await viaOurs.request("/api/auth/get-session")).data.session.expiresAt);
      const upstreamSignIn = await new Client(upstream.url).post("/api/auth/sign-in/email", { email: ourEmail, password: "password123" });
      assert.equal(upstreamSignIn.status, 200, upstreamSignIn.text);
      // Sign-out through upstream ends the session here too.
      assert.equal((await there.post("/api/auth/sign-out", {})).status, 200);
      assert.equal((await viaOurs.request("/api/auth/get-session")).text, "null");
    });

    it("gives 50 concurrent sign-ups with one email exactly one user and one credential account", async () => {
      const db = await fresh();
      const ours = await serve({ impl: "ours", database: db, options: { rateLimit: { enabled: false } } });
      const email = uniqueEmail("race");
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => new Client(ours.url).post("/api/auth/sign-up/email", { name: `R${i}`, email, password: "password123" })),
      );
      const statuses = results.map((r) => r.status);
      assert.equal(statuses.filter((s) => s === 200).length, 1, JSON.stringify(statuses));
      for (const r of results.filter((r) => r.status !== 200)) {
        assert.equal(r.status, 422, r.text);
        assert.equal(r.data.code, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL");
      }
      const q = dialect === "mysql" ? "`" : '"';
      const users = await db.query(`select ${q}id${q} from ${q}user${q} where ${q}email${q} = ?`.replace("?", dialect === "postgres" ? "$1" : "?"), [email]);
      assert.equal(users.length, 1);
      const accounts = await db.query(`select ${q}id${q} from ${q}account${q} where ${q}userId${q} = ${dialect === "postgres" ? "$1" : "?"}`, [users[0].id]);
      assert.equal(accounts.length, 1);
    });

    if (dialect !== "sqlite") {
      it("reads dates from older upstream migrations: timestamp without time zone / datetime", async () => {
        const db = await fresh();
        const ours = await serve({ impl: "ours", database: db });
        const c = new Client(ours.url);
        const email = uniqueEmail("old-types");
        assert.equal((await c.post("/api/auth/sign-up/email", { name: "Old", email, password: "password123" })).status, 200);
        const before = (await c.request("/api/auth/get-session")).data;
        const columns = { user: ["createdAt", "updatedAt"], session: ["expiresAt", "createdAt", "updatedAt"] };
        for (const [table, names] of Object.entries(columns)) {
          for (const name of names) {
            await db.query(
              dialect === "postgres"
                ? `alter table "${table}" alter column "${name}" type timestamp(3) using "${name}" at time zone 'UTC'`
                : `alter table \`${table}\` modify \`${name}\` datetime(3) not null`,
            );
          }
        }
        const after = (await c.request("/api/auth/get-session")).data;
        assert.equal(after?.user.createdAt, before.user.createdAt);
        assert.equal(after.session.expiresAt, before.session.expiresAt);
        const again = await new Client(ours.url).post("/api/auth/sign-in/email", { email, password: "password123" });
        assert.equal(again.status, 200, again.text);
      });
    }

    it("counts concurrent first requests to one rate-limit bucket exactly (database storage)", async () => {
      const db = await fresh();
      const ours = await serve({ impl: "ours", database: db, options: { rateLimit: { enabled: true, storage: "database" } } });
      const attempt = () => new Client(ours.url).post("/api/auth/sign-in/email", { email: "nobody@example.com", password: "password123" }, { headers: { "x-forwarded-for": "10.9.9.9" } });
      await new Client(ours.url).request("/api/auth/ok"); // migrate first
      const statuses = (await Promise.all(Array.from({ length: 12 }, attempt))).map((r) => r.status);
      assert.equal(statuses.filter((s) => s === 401).length, 3, JSON.stringify(statuses));
      assert.equal(statuses.filter((s) => s === 429).length, 9, JSON.stringify(statuses));
    });

    it("accepts the pool object an upstream config passes", async () => {
      const db = await fresh();
      const ours = await serve({ impl: "ours", database: db, passPool: true });
      if (dialect !== "sqlite") {
        // TLS settings travel with the pool: verified TLS unless rejectUnauthorized is false.
        const { betterAuth, NATIVE } = await import("../index.js");
        const pool = db.upstreamDatabase();
        const tls = dialect === "postgres" ? new (require("pg").Pool)({ connectionString: db.url, ssl: true }) : require("mysql2/promise").createPool({ uri: db.url, ssl: {} });
        const url = betterAuth({ database: tls, secret: SECRET, logger: { disabled: true } })[NATIVE].databaseUrl;
        assert.match(url, dialect === "postgres" ? /sslmode=verify-full/ : /ssl-mode=VERIFY_IDENTITY/);
        const withCa = dialect === "postgres" ? new (require("pg").Pool)({ connectionString: db.url, ssl: { ca: "PEM" } }) : require("mysql2/promise").createPool({ uri: db.url, ssl: { ca: "PEM" } });
        assert.throws(() => betterAuth({ database: withCa, secret: SECRET }), /ssl\.ca/);
        await Promise.all([tls.end(), withCa.end(), pool.end()]);
      }
      const c = new Client(ours.url);
      assert.equal((await c.post("/api/auth/sign-up/email", { name: "P", email: uniqueEmail("pool"), password: "password123" })).status, 200);
      assert.equal((await c.request("/api/auth/get-session")).status, 200);
    });
  });
}
