// user.additionalFields and session.additionalFields against upstream on each database: columns,
// sign-up and update-user input rules, defaults (values and functions), returned:false, JSON and
// array values, update-session. Only type errors differ on purpose: upstream stores any value,
// we answer 400 VALIDATION_ERROR.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, Client } from "./helpers.mjs";
import { createTestDatabase, DIALECTS } from "./databases.mjs";
import { summarize } from "./scenario.mjs";

function fieldOptions(calls) {
  return {
    user: {
      additionalFields: {
        role: { type: "string", required: false, defaultValue: "user", input: false },
        level: { type: "string", required: false, input: false },
        age: { type: "number", required: true },
        nickname: { type: "string", required: false },
        secretNote: { type: "string", required: false, returned: false, defaultValue: "x" },
        isPro: { type: "boolean", defaultValue: false },
        tags: { type: "string[]", required: false },
        meta: { type: "json", required: false },
        birthday: { type: "date", required: false },
        plan: { type: ["free", "pro"], required: false },
        referral: { type: "string", required: false, defaultValue: () => (calls.push("referral"), "generated") },
      },
    },
    session: { additionalFields: { device: { type: "string", required: false, defaultValue: "web" } } },
  };
}

async function scenario(url, tag) {
  const results = [];
  const step = async (name, fn) => results.push({ name, ...summarize(await fn()) });
  const a = new Client(url);
  const email = `fields-${tag}@example.com`;
  await step("sign-up missing required", () => new Client(url).post("/api/auth/sign-up/email", { name: "F", email, password: "password123" }));
  await step("sign-up input:false without default", () => new Client(url).post("/api/auth/sign-up/email", { name: "F", email, password: "password123", age: 1, level: "5" }));
  await step("sign-up", () =>
    a.post("/api/auth/sign-up/email", {
      name: "F",
      email,
      password: "password123",
      age: 31,
      role: "admin",
      nickname: "nick",
      secretNote: "s",
      isPro: true,
      tags: ["a", "b"],
      meta: { k: 1, arr: [1] },
      birthday: "2000-01-02T03:04:05.000Z",
      plan: "pro",
      foo: 1,
    }),
  );
  await step("get-session", () => a.request("/api/auth/get-session"));
  await step("sign-up minimal", () => new Client(url).post("/api/auth/sign-up/email", { name: "M", email: `min-${email}`, password: "password123", age: 5 }));
  await step("update-user fields", () => a.post("/api/auth/update-user", { nickname: "nk", tags: ["c"], isPro: false, age: 32 }));
  await step("get-session after update", () => a.request("/api/auth/get-session"));
  await step("update-user input:false", () => a.post("/api/auth/update-user", { role: "admin" }));
  await step("update-user falsy input:false", () => a.post("/api/auth/update-user", { role: "" }));
  await step("update-user unknown only", () => a.post("/api/auth/update-user", { foo: 1 }));
  await step("update-session nothing", () => a.post("/api/auth/update-session", { token: "x" }));
  await step("update-session device", () => a.post("/api/auth/update-session", { device: "mobile" }));
  await step("list-sessions", () => a.request("/api/auth/list-sessions"));
  await step("sign-in", () => new Client(url).post("/api/auth/sign-in/email", { email, password: "password123" }));
  return results;
}

for (const dialect of DIALECTS) {
  describe(`additional fields on ${dialect}`, () => {
    const cleanups = [];
    after(async () => {
      for (const c of cleanups.reverse()) await c().catch(() => {});
    });

    it("behave as upstream's: same answers step by step, same columns", async () => {
      const calls = { ours: [], upstream: [] };
      const servers = {};
      for (const impl of ["ours", "upstream"]) {
        const database = await createTestDatabase(dialect);
        cleanups.push(database.drop);
        servers[impl] = await startServer({ impl, database, options: fieldOptions(calls[impl]) });
        cleanups.push(servers[impl].close);
        servers[impl].database = database;
      }
      const tag = `${dialect}${Date.now().toString(36)}`;
      const expected = await scenario(servers.upstream.url, tag);
      const actual = await scenario(servers.ours.url, tag);
      for (let i = 0; i < expected.length; i++) assert.deepEqual(actual[i], expected[i], `step "${expected[i].name}" differs`);
      assert.deepEqual(calls.ours, calls.upstream, "function defaults called as often");

      const q = dialect === "mysql" ? "`" : '"';
      const stored = async (impl) =>
        (await servers[impl].database.query(`select ${q}secretNote${q} as s, ${q}role${q} as r from ${q}user${q} where ${q}email${q} like 'fields-%'`))[0];
      assert.deepEqual(await stored("ours"), await stored("upstream"), "returned:false values are stored");
    });

    it("refuses values of the wrong type with 400 VALIDATION_ERROR (upstream stores them)", async () => {
      const database = await createTestDatabase(dialect);
      cleanups.push(database.drop);
      const server = await startServer({ database, options: fieldOptions([]) });
      cleanups.push(server.close);
      const r = await new Client(server.url).post("/api/auth/sign-up/email", {
        name: "T",
        email: `types-${Date.now()}@example.com`,
        password: "password123",
        age: "abc",
        isPro: "yes",
        plan: "enterprise",
        birthday: "not-a-date",
      });
      assert.equal(r.status, 400, r.text);
      assert.equal(r.data.code, "VALIDATION_ERROR");
      assert.match(r.data.message, /\[body\.age\] Invalid input: expected number, received string/);
      assert.match(r.data.message, /\[body\.plan\] Invalid option/);
      assert.match(r.data.message, /\[body\.birthday\]/);
      const big = await new Client(server.url).post("/api/auth/sign-up/email", { name: "T", email: `big-${Date.now()}@example.com`, password: "password123", age: 3_000_000_000 });
      assert.equal(big.status, 400, "out of an integer column's range: 400, not the database's 500");
      assert.match(big.data.message, /\[body\.age\]/);
      const fraction = await new Client(server.url).post("/api/auth/sign-up/email", { name: "T", email: `frac-${Date.now()}@example.com`, password: "password123", age: 1.5 });
      assert.equal(fraction.status, 400);
    });
  });
}
