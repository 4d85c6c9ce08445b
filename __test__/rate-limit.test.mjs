// Rate limiting over HTTP, in memory and in the database.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { startServer, rawRequest, tempDbFile } from "./helpers.mjs";

const json = { "content-type": "application/json" };
const signIn = (url, ip, path = "/api/auth/sign-in/email") =>
  rawRequest(url, path, {
    method: "POST",
    headers: { ...json, ...(ip ? { "x-forwarded-for": ip } : {}) },
    body: JSON.stringify({ email: "nobody@example.com", password: "password123" }),
  });

async function withServer(options, fn, extra = {}) {
  const server = await startServer({ options, ...extra });
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

describe("rate limits", () => {
  it("is off by default outside production", () =>
    withServer({}, async ({ url }) => {
      for (let i = 0; i < 6; i++) assert.equal((await signIn(url, "203.0.113.1")).status, 401);
    }));

  it("allows 3 sign-ins per 10 s per client, then 429 with X-Retry-After", () =>
    withServer({ rateLimit: { enabled: true } }, async ({ url }) => {
      for (let i = 0; i < 3; i++) assert.equal((await signIn(url, "203.0.113.1")).status, 401);
      const r = await signIn(url, "203.0.113.1");
      assert.equal(r.status, 429);
      assert.deepEqual(r.data, { message: "Too many requests. Please try again later." });
      const wait = Number(r.headers["x-retry-after"]);
      assert.ok(wait >= 1 && wait <= 10, `X-Retry-After ${wait}`);
      // Another client has its own bucket; other paths have theirs.
      assert.equal((await signIn(url, "203.0.113.2")).status, 401);
      assert.equal((await rawRequest(url, "/api/auth/ok", { headers: { "x-forwarded-for": "203.0.113.1" } })).status, 200);
    }));

  it("counts every spelling of a path in one bucket", () =>
    withServer({ rateLimit: { enabled: true } }, async ({ url }) => {
      const ip = "198.51.100.7";
      for (const path of ["/api/auth/sign-in/email", "/api/auth/Sign-In/Email", "/api/auth//sign-in/email"]) await signIn(url, ip, path);
      for (const path of ["/api/auth/sign-in/email/", "/api/auth/sign-in%2Femail", "/api/auth/sign-in/email"]) {
        assert.equal((await signIn(url, ip, path)).status, 429, path);
      }
    }));

  it("cannot be dodged with a forged X-Forwarded-For chain", () =>
    withServer({ rateLimit: { enabled: true } }, async ({ url }) => {
      // Multi-hop values are not believed without trusted proxies: all land in one shared bucket.
      for (let i = 0; i < 3; i++) assert.equal((await signIn(url, `10.0.0.${i}, 203.0.113.9`)).status, 401);
      assert.equal((await signIn(url, "10.0.0.99, 203.0.113.9")).status, 429);
    }));

  it("walks X-Forwarded-For right to left past trusted proxies", () =>
    withServer({ rateLimit: { enabled: true }, advanced: { ipAddress: { trustedProxies: ["10.0.0.0/8"] } } }, async ({ url }) => {
      for (let i = 0; i < 3; i++) assert.equal((await signIn(url, `6.6.6.${i}, 203.0.113.9, 10.1.1.1`)).status, 401);
      assert.equal((await signIn(url, "7.7.7.7, 203.0.113.9, 10.2.2.2")).status, 429, "same client behind the proxy");
      assert.equal((await signIn(url, "203.0.113.10, 10.1.1.1")).status, 401, "a different client");
    }));

  it("groups IPv6 clients by /64", () =>
    withServer({ rateLimit: { enabled: true } }, async ({ url }) => {
      for (let i = 1; i <= 3; i++) await signIn(url, `2001:db8:1:2::${i}`);
      assert.equal((await signIn(url, "2001:db8:1:2:ffff::1")).status, 429);
      assert.equal((await signIn(url, "2001:db8:1:3::1")).status, 401);
    }));

  it("applies the default rule and customRules", () =>
    withServer(
      { rateLimit: { enabled: true, window: 60, max: 2, customRules: { "/get-session": false, "/error": { window: 60, max: 1 } } } },
      async ({ url }) => {
        const get = (path) => rawRequest(url, path, { headers: { "x-forwarded-for": "192.0.2.1" } });
        assert.equal((await get("/api/auth/ok")).status, 200);
        assert.equal((await get("/api/auth/ok")).status, 200);
        assert.equal((await get("/api/auth/ok")).status, 429);
        for (let i = 0; i < 5; i++) assert.equal((await get("/api/auth/get-session")).status, 200, "exempt");
        assert.equal((await get("/api/auth/error")).status, 200);
        assert.equal((await get("/api/auth/error")).status, 429);
      },
    ));

  it("asks a customRules function per request, with the request and the current rule", () => {
    const calls = [];
    return withServer(
      {
        rateLimit: {
          enabled: true,
          customRules: {
            "/sign-in/*": (request, current) => {
              calls.push({ url: request.url, forwarded: request.headers.get("x-forwarded-for"), current });
              return request.headers.get("x-forwarded-for") === "192.0.2.99" ? false : { window: 60, max: 1 };
            },
          },
        },
      },
      async ({ url }) => {
        assert.equal((await signIn(url, "192.0.2.10")).status, 401);
        assert.equal((await signIn(url, "192.0.2.10")).status, 429, "the function's rule: 1 per 60 s");
        for (let i = 0; i < 5; i++) assert.equal((await signIn(url, "192.0.2.99")).status, 401, "false: not limited");
        assert.deepEqual(calls[0].current, { window: 10, max: 3 }, "it sees the special rule in force");
        assert.ok(calls[0].url.endsWith("/api/auth/sign-in/email"));
        assert.equal(calls[0].forwarded, "192.0.2.10");
      },
    );
  });

  it("shares counters between instances with storage: database", async () => {
    const dbFile = tempDbFile();
    const options = { rateLimit: { enabled: true, storage: "database", modelName: "authRateLimits" } };
    const a = await startServer({ options, dbFile });
    const b = await startServer({ options, dbFile });
    try {
      assert.equal((await signIn(a.url, "203.0.113.50")).status, 401);
      assert.equal((await signIn(b.url, "203.0.113.50")).status, 401);
      assert.equal((await signIn(a.url, "203.0.113.50")).status, 401);
      const r = await signIn(b.url, "203.0.113.50");
      assert.equal(r.status, 429);
      assert.ok(Number(r.headers["x-retry-after"]) >= 1);
      assert.equal((await signIn(b.url, "203.0.113.51")).status, 401);
      const { createRequire } = await import("node:module");
      const Database = createRequire(import.meta.url)("better-sqlite3");
      const db = new Database(dbFile, { readonly: true });
      const rows = db.prepare('select "key", "count" from "authRateLimits" order by "key"').all();
      db.close();
      assert.deepEqual(rows, [{ key: "203.0.113.50|/sign-in/email", count: 3 }, { key: "203.0.113.51|/sign-in/email", count: 1 }], "modelName names the table");
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("is on by default in production", async () => {
    const saved = process.env.NODE_ENV;
    process.env.NODE_ENV = "production";
    let server;
    try {
      server = await startServer({ options: { baseURL: "http://127.0.0.1" } });
    } finally {
      if (saved === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = saved;
    }
    try {
      for (let i = 0; i < 3; i++) await signIn(server.url, "203.0.113.77");
      assert.equal((await signIn(server.url, "203.0.113.77")).status, 429);
    } finally {
      await server.close();
    }
  });
});
