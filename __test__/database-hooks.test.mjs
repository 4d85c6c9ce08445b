// databaseHooks.<model>.create.{before,after} against upstream: the rows hooks see, `{ data }`
// merged, `false` refusing, a thrown APIError answered as thrown, the order of calls.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, Client } from "./helpers.mjs";
import { summarize } from "./scenario.mjs";

async function hookOptions(log) {
  const { APIError } = await import("better-auth/api");
  const refusedOnce = new Set();
  const entry = (name, row) => log.push({ name, keys: Object.keys(row).filter((k) => k !== "password").sort(), dates: row.createdAt instanceof Date });
  return {
    emailAndPassword: { enabled: true, sendResetPassword: async () => {} },
    databaseHooks: {
      user: {
        create: {
          before: async (user) => {
            entry("user.before", user);
            if (user.email.startsWith("blocked")) return false;
            if (user.email.startsWith("forbidden")) throw new APIError("FORBIDDEN", { message: "no", code: "F" });
            return { data: { name: `Hooked ${user.name}` } };
          },
          after: async (user, ctx) => entry(`user.after ${ctx?.path}`, user),
        },
      },
      account: { create: { before: async (a) => entry("account.before", a), after: async (a) => entry("account.after", a) } },
      session: {
        create: {
          before: async (session, ctx) => {
            entry(`session.before ${ctx?.path}`, session);
            if (ctx?.body?.email?.startsWith("nosession") && !refusedOnce.has(ctx.body.email)) {
              refusedOnce.add(ctx.body.email);
              return false;
            }
          },
          after: async (session) => entry("session.after", session),
        },
      },
      verification: { create: { before: async (v) => entry(`verification.before ${v.identifier.split(":")[0]}`, v), after: async (v) => entry("verification.after", v) } },
    },
  };
}

async function scenario(url, tag) {
  const results = [];
  const step = async (name, fn) => results.push({ name, ...summarize(await fn()) });
  const email = `hooks-${tag}@example.com`;
  await step("sign-up (name rewritten)", () => new Client(url).post("/api/auth/sign-up/email", { name: "Ann", email, password: "password123" }));
  await step("sign-in", () => new Client(url).post("/api/auth/sign-in/email", { email, password: "password123" }));
  await step("sign-up refused", () => new Client(url).post("/api/auth/sign-up/email", { name: "B", email: `blocked-${email}`, password: "password123" }));
  await step("sign-in refused user", () => new Client(url).post("/api/auth/sign-in/email", { email: `blocked-${email}`, password: "password123" }));
  await step("sign-up APIError", () => new Client(url).post("/api/auth/sign-up/email", { name: "F", email: `forbidden-${email}`, password: "password123" }));
  await step("sign-up session refused", () => new Client(url).post("/api/auth/sign-up/email", { name: "N", email: `nosession-${email}`, password: "password123" }));
  await step("sign-up again: the user was rolled back", () => new Client(url).post("/api/auth/sign-up/email", { name: "N", email: `nosession-${email}`, password: "password123" }));
  await step("request-password-reset", () => new Client(url).post("/api/auth/request-password-reset", { email, redirectTo: "/reset" }));
  return results;
}

describe("databaseHooks (create) against upstream", () => {
  const servers = [];
  after(() => Promise.all(servers.map((s) => s.close())));

  it("gives the same answers and calls the same hooks with the same rows, in the same order", async () => {
    const logs = { ours: [], upstream: [] };
    for (const impl of ["ours", "upstream"]) servers.push(await startServer({ impl, options: await hookOptions(logs[impl]) }));
    const [ours, upstream] = servers;
    const tag = Date.now().toString(36);
    const expected = await scenario(upstream.url, tag);
    const actual = await scenario(ours.url, tag);
    for (let i = 0; i < expected.length; i++) assert.deepEqual(actual[i], expected[i], `step "${expected[i].name}" differs`);
    if (process.env.SHOW_HOOK_LOGS) console.log(JSON.stringify(logs.ours.map((e) => [e.name, e.keys.join(",")])), "\n", JSON.stringify(logs.upstream.map((e) => [e.name, e.keys.join(",")])));
    assert.deepEqual(logs.ours, logs.upstream);
    assert.ok(logs.ours.some((e) => e.name === "user.after /sign-up/email"));
  });
});

async function updateDeleteOptions(log) {
  // (Upstream passes `image: undefined` among update changes; JSON has no undefined.)
  const entry = (name, row) => log.push({ name, keys: Object.keys(row ?? {}).filter((k) => row[k] !== undefined).sort() });
  return {
    session: { updateAge: 0 },
    databaseHooks: {
      user: {
        update: {
          before: async (changes) => {
            entry("user.update.before", changes);
            if (changes.name === "keep") return false;
            if (typeof changes.name === "string") return { data: { name: changes.name.toUpperCase() } };
          },
          after: async (user) => entry("user.update.after", user),
        },
      },
      session: {
        update: {
          before: async (changes, ctx) => {
            entry("session.update.before", changes);
            if (ctx?.headers?.get("x-refuse")) return false;
          },
          after: async (session) => entry("session.update.after", session),
        },
        delete: {
          before: async (session, ctx) => {
            entry("session.delete.before", session);
            if (ctx?.headers?.get("x-keep")) return false;
          },
          after: async (session) => entry("session.delete.after", session),
        },
      },
    },
  };
}

async function updateDeleteScenario(url, tag) {
  const results = [];
  const step = async (name, fn) => results.push({ name, ...summarize(await fn()) });
  const email = `hooks2-${tag}@example.com`;
  const a = new Client(url);
  await step("sign-up", () => a.post("/api/auth/sign-up/email", { name: "ann", email, password: "password123" }));
  await step("update-user rewritten", () => a.post("/api/auth/update-user", { name: "bob" }));
  await step("get-session (refresh hooks)", () => a.request("/api/auth/get-session"));
  await step("update-user refused", () => a.post("/api/auth/update-user", { name: "keep" }));
  await step("get-session: name as rewritten", () => a.request("/api/auth/get-session"));
  await step("refresh refused", () => a.request("/api/auth/get-session", { headers: { "x-refuse": "1" } }));
  const b = new Client(url);
  const c = new Client(url);
  await step("sign-in b", () => b.post("/api/auth/sign-in/email", { email, password: "password123" }));
  await step("sign-in c", () => c.post("/api/auth/sign-in/email", { email, password: "password123" }));
  await step("sign-out kept", () => c.post("/api/auth/sign-out", {}, { headers: { "x-keep": "1" } }));
  await step("revoke-other-sessions", () => b.post("/api/auth/revoke-other-sessions", {}));
  await step("sign-out", () => b.post("/api/auth/sign-out", {}));
  return results;
}

describe("databaseHooks (update, delete) against upstream", () => {
  const servers = [];
  after(() => Promise.all(servers.map((s) => s.close())));

  it("run for user updates, session refreshes and session ends as upstream's do", async () => {
    const logs = { ours: [], upstream: [] };
    for (const impl of ["ours", "upstream"]) servers.push(await startServer({ impl, options: await updateDeleteOptions(logs[impl]) }));
    const [ours, upstream] = servers;
    const tag = Date.now().toString(36);
    const expected = await updateDeleteScenario(upstream.url, tag);
    const actual = await updateDeleteScenario(ours.url, tag);
    for (let i = 0; i < expected.length; i++) assert.deepEqual(actual[i], expected[i], `step "${expected[i].name}" differs`);
    // Upstream ends the other sessions concurrently (befores, then afters); we go one by one.
    const sorted = (log) => log.map((e) => JSON.stringify(e)).sort();
    assert.deepEqual(sorted(logs.ours), sorted(logs.upstream));
  });
});

async function passwordAndDeleteOptions(log, mails) {
  const entry = (name, row) => log.push({ name, keys: typeof row === "object" ? Object.keys(row ?? {}).filter((k) => row[k] !== undefined).sort() : row });
  const refused = (ctx) => Boolean(ctx?.headers?.get("x-refuse"));
  const hooks = (model, op) => ({
    before: async (row, ctx) => {
      entry(`${model}.${op}.before`, row);
      if (refused(ctx) && ctx.headers.get("x-refuse") === `${model}.${op}`) return false;
    },
    after: async (row) => entry(`${model}.${op}.after`, row),
  });
  return {
    emailAndPassword: { enabled: true, sendResetPassword: async (mail) => mails.push(mail) },
    user: { deleteUser: { enabled: true }, changeEmail: { enabled: true, updateEmailWithoutVerification: true } },
    databaseHooks: {
      user: { update: hooks("user", "update"), delete: hooks("user", "delete") },
      account: { update: hooks("account", "update"), delete: hooks("account", "delete") },
      verification: { delete: hooks("verification", "delete") },
    },
  };
}

async function passwordAndDeleteScenario(url, tag, mails) {
  const results = [];
  const step = async (name, fn) => results.push({ name, ...summarize(await fn()) });
  const email = `hooks3-${tag}@example.com`;
  const a = new Client(url);
  const refuse = (what) => ({ headers: { "x-refuse": what } });
  await step("sign-up", () => a.post("/api/auth/sign-up/email", { name: "P", email, password: "password123" }));
  await step("change-password refused", () => a.post("/api/auth/change-password", { currentPassword: "password123", newPassword: "password456" }, refuse("account.update")));
  await step("old password still works", () => new Client(url).post("/api/auth/sign-in/email", { email, password: "password123" }));
  await step("change-password", () => a.post("/api/auth/change-password", { currentPassword: "password123", newPassword: "password456" }));
  await step("request reset", () => new Client(url).post("/api/auth/request-password-reset", { email, redirectTo: "/reset" }));
  const token = mails.at(-1).token;
  await step("reset: token delete refused", () => new Client(url).post("/api/auth/reset-password", { token, newPassword: "password789" }, refuse("verification.delete")));
  await step("reset: password update refused", () => new Client(url).post("/api/auth/reset-password", { token, newPassword: "password789" }, refuse("account.update")));
  await step("reset: token spent", () => new Client(url).post("/api/auth/reset-password", { token, newPassword: "password789" }));
  await step("password unchanged", () => new Client(url).post("/api/auth/sign-in/email", { email, password: "password456" }));
  await step("change-email refused", () => a.post("/api/auth/change-email", { newEmail: `new-${email}` }, refuse("user.update")));
  await step("email unchanged", () => a.request("/api/auth/get-session"));
  await step("delete-user refused", () => a.post("/api/auth/delete-user", { password: "password456" }, refuse("user.delete")));
  await step("accounts went first: sign-in fails", () => new Client(url).post("/api/auth/sign-in/email", { email, password: "password456" }));
  return results;
}

describe("databaseHooks (password, email, delete) against upstream", () => {
  const servers = [];
  after(() => Promise.all(servers.map((s) => s.close())));

  it("refused writes are answered as upstream answers them", async () => {
    const logs = { ours: [], upstream: [] };
    const mails = { ours: [], upstream: [] };
    for (const impl of ["ours", "upstream"]) servers.push(await startServer({ impl, options: await passwordAndDeleteOptions(logs[impl], mails[impl]) }));
    const [ours, upstream] = servers;
    const tag = Date.now().toString(36);
    const expected = await passwordAndDeleteScenario(upstream.url, tag, mails.upstream);
    const actual = await passwordAndDeleteScenario(ours.url, tag, mails.ours);
    for (let i = 0; i < expected.length; i++) assert.deepEqual(actual[i], expected[i], `step "${expected[i].name}" differs`);
    const sorted = (log) => log.map((e) => JSON.stringify(e)).sort();
    assert.deepEqual(sorted(logs.ours), sorted(logs.upstream));
  });
});
