// Plugin schema and storage on SQLite, PostgreSQL and MariaDB: our migration leaves upstream's
// nothing to add for the same plugins (and the reverse), plugin rows round-trip on each
// database, and two instances on one database share them.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { decodeProtectedHeader } from "jose";
import { startServer, Client, upstreamPasswordOptions } from "../helpers.mjs";
import { createTestDatabase, DIALECTS, upstreamMigrationPlan } from "../databases.mjs";
import { pluginsOf } from "./differential.mjs";

const withPlugins = (p) => [p.username(), p.jwt(), p.lastLoginMethod({ storeInDatabase: true }), p.oneTimeToken(), p.bearer(), p.twoFactor(), p.anonymous(), p.multiSession()];

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

    it("plugin schema renames: the same tables and columns as upstream's, shared both ways", async () => {
      const database = await fresh();
      const baseURL = "http://auth.test";
      const renamed = (p) => [
        p.username({ schema: { user: { fields: { username: "handle", displayUsername: "shown_name" } } } }),
        p.jwt({ schema: { jwks: { modelName: "jwt_keys", fields: { publicKey: "public_key", privateKey: "private_key" } } } }),
        p.twoFactor({ schema: { twoFactor: { modelName: "two_factors", fields: { secret: "totp_secret", userId: "user_id" } }, user: { fields: { twoFactorEnabled: "two_factor_enabled" } } } }),
      ];
      const upstream = await serve({ impl: "upstream", database, options: { baseURL, emailAndPassword: await upstreamPasswordOptions(), plugins: renamed(await pluginsOf("upstream")) } });
      const theirs = new Client(upstream.url);
      const up = await theirs.post("/api/auth/sign-up/email", { name: "R", email: `r-${dialect}-${Date.now()}@example.com`, password: "password123", username: `Ren_${dialect}` });
      assert.equal(up.status, 200, up.text);
      const upstreamKid = decodeProtectedHeader((await theirs.request("/api/auth/token")).data.token).kid;
      const ours = await serve({ database, options: { baseURL, plugins: renamed(await pluginsOf("ours")) } });
      const here = await new Client(ours.url).post("/api/auth/sign-in/username", { username: `ren_${dialect}`, password: "password123" });
      assert.equal(here.status, 200, here.text);
      assert.equal(here.data.user.displayUsername, `Ren_${dialect}`);
      const token = (await new Client(ours.url).request("/api/auth/token", { headers: { cookie: theirs.cookieHeader() } })).data.token;
      assert.equal(decodeProtectedHeader(token).kid, upstreamKid, "upstream's key, read from the renamed table");
      assert.ok((await upstream.auth.api.verifyJWT({ body: { token } })).payload);
      const plan = await upstreamMigrationPlan(database, { plugins: renamed(await pluginsOf("upstream")) });
      assert.deepEqual(plan, { created: [], added: [], indexes: [] });
      const rows = await database.query(dialect === "mysql" ? "select `handle`, `shown_name` from `user`" : 'select "handle", "shown_name" from "user"');
      assert.deepEqual(rows.map((r) => r.handle), [`ren_${dialect}`]);
      const { username } = await pluginsOf("ours");
      await assert.rejects(startServer({ database, options: { plugins: [username({ schema: { user: { fields: { nickname: "x" } } } })] } }), /plugins\[username\]\.schema\.user\.fields\.nickname/);
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

    it("a database we migrated runs upstream: our username user, bearer token and JWT key work there", async () => {
      const database = await fresh();
      const baseURL = "http://auth.test";
      const ours = await serve({ database, options: { baseURL, plugins: withPlugins(await pluginsOf("ours")) } });
      const c = new Client(ours.url);
      const up = await c.post("/api/auth/sign-up/email", { name: "O", email: `o-${dialect}-${Date.now()}@example.com`, password: "password123", username: `Our_${dialect}` });
      assert.equal(up.status, 200, up.text);
      const ourKid = decodeProtectedHeader((await c.request("/api/auth/token")).data.token).kid;
      const upstream = await serve({ impl: "upstream", database, options: { baseURL, emailAndPassword: await upstreamPasswordOptions(), plugins: withPlugins(await pluginsOf("upstream")) } });
      const there = await new Client(upstream.url).post("/api/auth/sign-in/username", { username: `our_${dialect}`, password: "password123" });
      assert.equal(there.status, 200, there.text);
      assert.equal(there.data.user.displayUsername, `Our_${dialect}`);
      const bearer = await new Client(upstream.url).request("/api/auth/get-session", { headers: { authorization: `Bearer ${up.headers.get("set-auth-token")}` }, cookies: false });
      assert.equal(bearer.data?.user?.username, `our_${dialect}`, "our bearer token is a session upstream");
      const token = (await new Client(upstream.url).request("/api/auth/token", { headers: { cookie: c.cookieHeader() } })).data.token;
      assert.equal(decodeProtectedHeader(token).kid, ourKid, "upstream signs with the key we made and sealed");
      assert.equal((await ours.auth.api.verifyJWT({ body: { token } })).payload?.username, `our_${dialect}`);
    });
  });
}

describe("plugin schema in the CLI", () => {
  it("migrate and generate --config include plugin tables and fields; an existing table gets upstream's unique index", async () => {
    const { spawnSync } = await import("node:child_process");
    const { writeFileSync, mkdtempSync } = await import("node:fs");
    const { join, resolve } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const root = resolve(import.meta.dirname, "..", "..");
    const dir = mkdtempSync(join(tmpdir(), "better-auth-rs-cli-plugins-"));
    const config = (plugins) =>
      `import { betterAuth } from ${JSON.stringify(join(root, "index.js"))};\n` +
      `import { jwt, username } from ${JSON.stringify(join(root, "plugins.js"))};\n` +
      `export const auth = betterAuth({ database: "sqlite:${join(dir, "app.db")}", autoMigrate: false, secret: "x".repeat(32), logger: { disabled: true }, plugins: [${plugins}] });\n`;
    const cli = (args) => spawnSync(process.execPath, [join(root, "bin", "better-auth-rs.js"), ...args], { cwd: dir, encoding: "utf8" });
    writeFileSync(join(dir, "auth.js"), config(""));
    assert.equal(cli(["migrate", "--yes"]).status, 0);
    writeFileSync(join(dir, "auth.js"), config("jwt(), username()"));
    const generated = cli(["generate", "--config", "auth.js"]);
    assert.equal(generated.status, 0, generated.stderr);
    assert.deepEqual(generated.stdout.trim().split("\n"), [
      'alter table "user" add column "username" text;',
      'alter table "user" add column "displayUsername" text;',
      'create table "jwks" ("id" text not null primary key, "publicKey" text not null, "privateKey" text not null, "createdAt" date not null, "expiresAt" date, "alg" text, "crv" text);',
      'create unique index "user_username_uidx" on "user" ("username");',
    ]);
    assert.equal(cli(["migrate", "--yes"]).status, 0);
    assert.match(cli(["migrate"]).stdout, /up to date/);
  });
});
