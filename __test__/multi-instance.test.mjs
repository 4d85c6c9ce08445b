// Many instances behind a load balancer: two processes of the example app on one Postgres
// database (and once with Redis holding the sessions). A session made on one is valid on the
// other; a sign-out or revocation on one is refused on both at once.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Client, uniqueEmail, SECRET } from "./helpers.mjs";
import { createTestDatabase } from "./databases.mjs";
import { connectRedis } from "./resp.mjs";

const EXAMPLE = fileURLToPath(new URL("../examples/express/", import.meta.url));
const REDIS_DB = 6;

function startInstance(env) {
  const child = spawn(process.execPath, ["server.js"], {
    cwd: EXAMPLE,
    env: { ...process.env, PORT: "0", BETTER_AUTH_SECRET: SECRET, NODE_ENV: "test", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    const onData = (d) => {
      out += d;
      const m = out.match(/http:\/\/localhost:(\d+)/);
      if (m) resolve({ url: `http://127.0.0.1:${m[1]}`, stop: () => new Promise((r) => (child.once("exit", r), child.kill())) });
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", (d) => (out += d));
    child.on("exit", (code) => reject(new Error(`example exited ${code}: ${out}`)));
  });
}

for (const withRedis of [false, true]) {
  describe(`two instances on one Postgres${withRedis ? " with Redis" : ""}`, () => {
    const cleanups = [];
    after(async () => {
      for (const c of cleanups.reverse()) await c().catch(() => {});
    });

    it("share sessions: made on A, valid on B; ended on B, refused on A; revoked everywhere at once", async () => {
      const db = await createTestDatabase("postgres");
      cleanups.push(db.drop);
      const env = { DATABASE_URL: db.url };
      if (withRedis) {
        const redis = await connectRedis();
        await redis.command("SELECT", REDIS_DB);
        await redis.command("FLUSHDB");
        redis.close();
        env.REDIS_URL = `redis://127.0.0.1:6379/${REDIS_DB}`;
      }
      // Both start together: the first-use migration must happen once, not collide.
      const [a, b] = await Promise.all([startInstance(env), startInstance(env)]);
      cleanups.push(a.stop, b.stop);
      const email = uniqueEmail("multi");
      const onA = new Client(a.url);
      const [upA, upB] = await Promise.all([
        onA.post("/api/auth/sign-up/email", { name: "M", email, password: "password123" }),
        new Client(b.url).post("/api/auth/sign-up/email", { name: "Other", email: uniqueEmail("multi-b"), password: "password123" }),
      ]);
      assert.equal(upA.status, 200, upA.text);
      assert.equal(upB.status, 200, upB.text);
      const onB = new Client(b.url);
      onB.jar = new Map(onA.jar);
      assert.equal((await onB.request("/api/me")).data?.user.email, email);

      assert.equal((await onB.post("/api/auth/sign-out", {})).status, 200);
      const afterSignOut = new Client(a.url);
      afterSignOut.jar = new Map(onA.jar);
      assert.equal((await afterSignOut.request("/api/auth/get-session")).text, "null");

      // Two live sessions; revoke-sessions on A ends both, on both instances.
      const first = new Client(a.url);
      const second = new Client(b.url);
      assert.equal((await first.post("/api/auth/sign-in/email", { email, password: "password123" })).status, 200);
      assert.equal((await second.post("/api/auth/sign-in/email", { email, password: "password123" })).status, 200);
      const listed = await first.request("/api/auth/list-sessions");
      assert.equal(listed.data.length, 2, listed.text);
      const jars = [new Map(first.jar), new Map(second.jar)];
      assert.equal((await first.post("/api/auth/revoke-sessions", {})).status, 200);
      for (const jar of jars) {
        for (const url of [a.url, b.url]) {
          const probe = new Client(url);
          probe.jar = new Map(jar);
          assert.equal((await probe.request("/api/auth/get-session")).text, "null", `refused on ${url}`);
        }
      }
      if (withRedis) {
        const [{ t }] = await db.query(`select to_regclass('session')::text as t`);
        assert.equal(t, null, "with Redis, sessions live only there: no session table");
      } else {
        const [{ n }] = await db.query(`select count(*)::int as n from session`);
        assert.equal(n, 1, "only the other user's session is left");
      }
    });
  });
}
