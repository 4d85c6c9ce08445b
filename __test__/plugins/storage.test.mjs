// Plugin schema and storage on SQLite, PostgreSQL and MariaDB: our migration leaves upstream's
// nothing to add for the same plugins (and the reverse), plugin rows round-trip on each
// database, and two instances on one database share them.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { decodeProtectedHeader } from "jose";
import { startServer, Client, upstreamPasswordOptions } from "../helpers.mjs";
import { createTestDatabase, DIALECTS, upstreamMigrationPlan } from "../databases.mjs";
import { pluginsOf } from "./differential.mjs";

const withPlugins = (p) => [p.username(), p.jwt(), p.lastLoginMethod({ storeInDatabase: true }), p.oneTimeToken(), p.bearer()];

for (const dialect of DIALECTS) {
  describe(`plugin storage on ${dialect}`, () => {
    const cleanup = [];
    after(async () => {
      for (const f of cleanup.reverse()) await f().catch(() => {});
    });
    const fresh = async () => {
      const db = await createTestDatabase(dialect);
      cleanup.push(() => db.drop());
      return db;
    };
    const serve = async (options) => {
      const server = await startServer(options);
      cleanup.push(() => server.close());
      return server;
    };

    it("our migration is upstream's for the same plugins; two instances share plugin rows", async () => {
      const database = await fresh();
      const ours = await pluginsOf("ours");
      const a = await serve({ database, options: { plugins: withPlugins(ours) } });
      const b = await serve({ database, options: { plugins: withPlugins(ours) } });
      const c = new Client(a.url);
      const up = await c.post("/api/auth/sign-up/email", { name: "S", email: `s-${dialect}-${Date.now()}@example.com`, password: "password123", username: `Store_${dialect}` });
      assert.equal(up.status, 200, up.text);
      assert.equal(up.data.user.lastLoginMethod, "email");
      const plan = await upstreamMigrationPlan(database, { plugins: withPlugins(await pluginsOf("upstream")) });
      assert.deepEqual(plan, { created: [], added: [], indexes: [] });
      const onB = await new Client(b.url).post("/api/auth/sign-in/username", { username: `store_${dialect}`, password: "password123" });
      assert.equal(onB.status, 200, onB.text);
      const taken = await new Client(b.url).post("/api/auth/sign-up/email", { name: "S", email: `t-${dialect}-${Date.now()}@example.com`, password: "password123", username: `STORE_${dialect}` });
      assert.equal(taken.data?.code, "USERNAME_IS_ALREADY_TAKEN");
      const tokenA = (await c.request("/api/auth/token")).data.token;
      const jwksB = (await new Client(b.url).request("/api/auth/jwks")).data;
      assert.deepEqual(jwksB.keys.map((k) => k.kid), [decodeProtectedHeader(tokenA).kid], "one key, made by A, served by B");
      assert.ok((await b.auth.api.verifyJWT({ body: { token: tokenA } })).payload, "B verifies A's token");
      const ott = (await c.request("/api/auth/one-time-token/generate")).data.token;
      const verified = await new Client(b.url).post("/api/auth/one-time-token/verify", { token: ott });
      assert.equal(verified.status, 200, verified.text);
      const again = await new Client(a.url).post("/api/auth/one-time-token/verify", { token: ott });
      assert.equal(again.status, 400);
    });

    it("runs on a database upstream migrated with the same plugins", async () => {
      const database = await fresh();
      // One baseURL, so both sides expect the same issuer and audience.
      const baseURL = "http://auth.test";
      const upstream = await serve({ impl: "upstream", database, options: { baseURL, emailAndPassword: await upstreamPasswordOptions(), plugins: withPlugins(await pluginsOf("upstream")) } });
      const theirs = new Client(upstream.url);
      const up = await theirs.post("/api/auth/sign-up/email", { name: "U", email: `u-${dialect}-${Date.now()}@example.com`, password: "password123", username: `Up_${dialect}` });
      assert.equal(up.status, 200, up.text);
      const upstreamKid = decodeProtectedHeader((await theirs.request("/api/auth/token")).data.token).kid;
      const ours = await serve({ database, options: { baseURL, plugins: withPlugins(await pluginsOf("ours")) } });
      const here = await new Client(ours.url).post("/api/auth/sign-in/username", { username: `up_${dialect}`, password: "password123" });
      assert.equal(here.status, 200, here.text);
      const bearer = await new Client(ours.url).request("/api/auth/get-session", { headers: { authorization: `Bearer ${up.headers.get("set-auth-token")}` }, cookies: false });
      assert.equal(bearer.data?.user?.username, `up_${dialect}`, "upstream's bearer token is a session here");
      const token = (await new Client(ours.url).request("/api/auth/token", { headers: { cookie: theirs.cookieHeader() } })).data.token;
      assert.equal(decodeProtectedHeader(token).kid, upstreamKid);
      assert.equal((await upstream.auth.api.verifyJWT({ body: { token } })).payload?.username, `up_${dialect}`);
    });
  });
}
