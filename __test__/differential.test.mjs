// The same scenario against upstream better-auth and against ours, both mounted the same way
// on Express 5 with SQLite: statuses, JSON shapes, error codes and cookies must agree.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, Client } from "./helpers.mjs";
import { runScenario, summarize } from "./scenario.mjs";

describe("differential: ours vs upstream better-auth", () => {
  let ours;
  let upstream;
  const mails = { ours: [], upstream: [] };
  const withMail = (impl) => ({
    impl,
    options: { emailAndPassword: { enabled: true, sendResetPassword: async (mail) => { mails[impl].push(mail); } } },
  });
  before(async () => {
    [ours, upstream] = await Promise.all([startServer(withMail("ours")), startServer(withMail("upstream"))]);
  });
  after(async () => {
    await Promise.all([ours?.close(), upstream?.close()]);
  });

  it("gives the same answers step by step", async () => {
    const tag = Date.now().toString(36);
    const expected = await runScenario(upstream.url, tag, mails.upstream);
    const actual = await runScenario(ours.url, tag, mails.ours);
    assert.equal(actual.length, expected.length);
    for (let i = 0; i < expected.length; i++) {
      assert.deepEqual(actual[i], expected[i], `step "${expected[i].name}" differs`);
    }
  });
});

describe("differential: email verification (requireEmailVerification)", () => {
  const mails = { ours: [], upstream: [] };
  const confirmations = { ours: [], upstream: [] };
  const servers = {};
  const options = (impl) => ({
    impl,
    options: {
      emailAndPassword: { enabled: true, requireEmailVerification: true },
      emailVerification: { sendVerificationEmail: async (mail) => { mails[impl].push(mail); }, sendOnSignIn: true, autoSignInAfterVerification: true },
      user: { changeEmail: { enabled: true, sendChangeEmailConfirmation: async (mail) => { confirmations[impl].push(mail); } } },
    },
  });
  before(async () => {
    [servers.ours, servers.upstream] = await Promise.all([startServer(options("ours")), startServer(options("upstream"))]);
  });
  after(async () => {
    await Promise.all([servers.ours?.close(), servers.upstream?.close()]);
  });

  async function scenario(impl, tag) {
    const { url } = servers[impl];
    const results = [];
    const step = async (name, fn) => {
      const s = summarize(await fn());
      results.push({ name, ...s, location: s.location?.replace(url, "<server>") ?? null });
    };
    const email = `verify-${tag}@example.com`;
    const fresh = () => new Client(url);
    await step("sign-up", () => fresh().post("/api/auth/sign-up/email", { name: "V", email, password: "password123", callbackURL: "/welcome" }));
    await step("sign-up duplicate (generic)", () => fresh().post("/api/auth/sign-up/email", { name: "V", email, password: "password123" }));
    await step("sign-in unverified", () => fresh().post("/api/auth/sign-in/email", { email, password: "password123" }));
    await step("resend, signed out", () => fresh().post("/api/auth/send-verification-email", { email }));
    await step("resend, unknown email", () => fresh().post("/api/auth/send-verification-email", { email: `ghost-${email}` }));
    await step("verify bad token", () => fresh().request("/api/auth/verify-email?token=bad"));
    await step("verify bad token with callback", () => fresh().request("/api/auth/verify-email?token=bad&callbackURL=%2Fdone"));
    const link = new URL(mails[impl].at(-1).url);
    const b = fresh();
    await step("verify", () => b.request(link.pathname + link.search));
    await step("session after verify", () => b.request("/api/auth/get-session"));
    await step("verify again (json)", () => fresh().request(link.pathname + link.search.replace(/&callbackURL=.*/, "")));
    await step("resend when verified", () => b.post("/api/auth/send-verification-email", { email }));
    await step("resend other email", () => b.post("/api/auth/send-verification-email", { email: `x-${email}` }));
    await step("sign-in verified", () => fresh().post("/api/auth/sign-in/email", { email, password: "password123" }));
    const newEmail = `changed-${tag}@example.com`;
    await step("change-email same", () => b.post("/api/auth/change-email", { newEmail: email }));
    await step("change-email invalid", () => b.post("/api/auth/change-email", { newEmail: "nope" }));
    await step("change-email signed out", () => fresh().post("/api/auth/change-email", { newEmail }));
    await step("change-email", () => b.post("/api/auth/change-email", { newEmail, callbackURL: "/settings" }));
    const confirm = new URL(confirmations[impl].at(-1).url);
    await step("confirm old address", () => b.request(confirm.pathname + confirm.search));
    const verifyNew = new URL(mails[impl].at(-1).url);
    await step("verify new address", () => b.request(verifyNew.pathname + verifyNew.search.replace(/&callbackURL=.*/, "")));
    await step("session after change", () => b.request("/api/auth/get-session"));
    await step("sign-in with new email", () => fresh().post("/api/auth/sign-in/email", { email: newEmail, password: "password123" }));
    return { results, mailCount: mails[impl].length };
  }

  it("gives the same answers step by step", async () => {
    const tag = Date.now().toString(36);
    const expected = await scenario("upstream", tag);
    const actual = await scenario("ours", tag);
    for (let i = 0; i < expected.results.length; i++) {
      assert.deepEqual(actual.results[i], expected.results[i], `step "${expected.results[i].name}" differs`);
    }
    assert.equal(actual.mailCount, expected.mailCount, "the same number of mails");
  });
});
