// The expired-row sweep (ours): expired sessions and verification values (and idle database
// rate-limit rows) are deleted in the background on every database, live ones are kept, and
// `enabled: false` turns it off.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { startServer, Client, uniqueEmail } from "./helpers.mjs";
import { createTestDatabase, DIALECTS } from "./databases.mjs";

const quote = (dialect, name) => (dialect === "mysql" ? `\`${name}\`` : `"${name}"`);
const param = (dialect, i) => (dialect === "postgres" ? `$${i}` : "?");
const pastDate = (dialect) => (dialect === "sqlite" ? new Date(Date.now() - 3_600_000).toISOString() : new Date(Date.now() - 3_600_000));

async function counts(database) {
  const q = (n) => quote(database.dialect, n);
  const [{ n: sessions }] = await database.query(`select count(*) as n from ${q("session")}`);
  const [{ n: verifications }] = await database.query(`select count(*) as n from ${q("verification")}`);
  return { sessions: Number(sessions), verifications: Number(verifications) };
}

async function waitFor(check, ms = 5000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

for (const dialect of DIALECTS) {
  describe(`expired-row sweep on ${dialect}`, () => {
    it("deletes expired sessions and verification values in the background, keeps live ones", { timeout: 30_000 }, async () => {
      const database = await createTestDatabase(dialect);
      const q = (n) => quote(dialect, n);
      const server = await startServer({
        database,
        options: { expiredRowSweep: { intervalSeconds: 1, batchSize: 2 }, emailAndPassword: { enabled: true, sendResetPassword: async () => {} } },
      });
      try {
        const email = uniqueEmail("sweep");
        const live = new Client(server.url);
        assert.equal((await live.post("/api/auth/sign-up/email", { name: "S", email, password: "password123" })).status, 200);
        for (let i = 0; i < 5; i++) assert.equal((await new Client(server.url).post("/api/auth/sign-in/email", { email, password: "password123" })).status, 200);
        await new Client(server.url).post("/api/auth/request-password-reset", { email, redirectTo: "/reset" });
        const before = await counts(database);
        assert.equal(before.sessions, 6);
        assert.equal(before.verifications, 1);
        // Five of six sessions and the reset token expire; the first session stays live.
        const [{ token }] = await database.query(`select ${q("token")} as token from ${q("session")} order by ${q("createdAt")} limit 1`);
        await database.query(`update ${q("session")} set ${q("expiresAt")} = ${param(dialect, 1)} where ${q("token")} <> ${param(dialect, 2)}`, [pastDate(dialect), token]);
        await database.query(`update ${q("verification")} set ${q("expiresAt")} = ${param(dialect, 1)}`, [pastDate(dialect)]);
        const swept = await waitFor(async () => {
          const now = await counts(database);
          return now.sessions === 1 && now.verifications === 0;
        });
        assert.ok(swept, JSON.stringify(await counts(database)));
        assert.equal((await live.request("/api/auth/get-session")).data?.user.email, email, "the live session is untouched");
      } finally {
        await server.close();
        await database.drop();
      }
    });
  });
}

describe("expired-row sweep options", () => {
  it("enabled: false leaves expired rows alone; a zero interval is refused", { timeout: 30_000 }, async () => {
    const database = await createTestDatabase("sqlite");
    const server = await startServer({ database, options: { expiredRowSweep: { enabled: false } } });
    try {
      const c = new Client(server.url);
      assert.equal((await c.post("/api/auth/sign-up/email", { name: "S", email: uniqueEmail("nosweep"), password: "password123" })).status, 200);
      await database.query(`update "session" set "expiresAt" = ?`, [new Date(Date.now() - 3_600_000).toISOString()]);
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal((await counts(database)).sessions, 1);
    } finally {
      await server.close();
      await database.drop();
    }
    const { betterAuth } = await import("../index.js");
    assert.throws(() => betterAuth({ database: "sqlite::memory:", expiredRowSweep: { intervalSeconds: 0 } }), /expiredRowSweep\.intervalSeconds/);
  });
});
