// Changing the email address over HTTP: directly, or through confirmation
// and verification mails.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { startServer, Client, rawRequest, uniqueEmail } from "./helpers.mjs";

const pathOf = (url) => new URL(url).pathname + new URL(url).search;

async function setup(changeEmail, { withVerification = true } = {}) {
  const mails = { verification: [], confirmation: [] };
  const server = await startServer({
    options: {
      emailAndPassword: { enabled: true },
      ...(withVerification ? { emailVerification: { sendVerificationEmail: async (m) => mails.verification.push(m) } } : {}),
      user: { changeEmail: { ...changeEmail, ...(changeEmail.sendChangeEmailConfirmation ? { sendChangeEmailConfirmation: async (m) => mails.confirmation.push(m) } : {}) } },
    },
  });
  return { server, mails };
}

async function signedIn(server, { verify, mails } = {}) {
  const c = new Client(server.url);
  const email = uniqueEmail("change");
  await c.post("/api/auth/sign-up/email", { name: "C", email, password: "password123" });
  if (verify) {
    await c.post("/api/auth/send-verification-email", { email });
    await c.request(pathOf(mails.verification.at(-1).url));
  }
  return { c, email };
}

describe("change-email", () => {
  it("is disabled by default, refuses the same address, and needs a way to verify", async () => {
    const off = await startServer();
    try {
      const { c } = await signedIn(off);
      const r = await c.post("/api/auth/change-email", { newEmail: uniqueEmail() });
      assert.deepEqual([r.status, r.data.code], [400, "CHANGE_EMAIL_DISABLED"]);
    } finally {
      await off.close();
    }
    const { server } = await setup({ enabled: true }, { withVerification: false });
    try {
      const { c, email } = await signedIn(server);
      assert.deepEqual((await c.post("/api/auth/change-email", { newEmail: email.toUpperCase() })).data, { message: "Email is the same" });
      assert.deepEqual((await c.post("/api/auth/change-email", { newEmail: uniqueEmail() })).data, { message: "Verification email isn't enabled" });
    } finally {
      await server.close();
    }
  });

  it("changes an unverified address at once with updateEmailWithoutVerification, and mails the new one", async () => {
    const { server, mails } = await setup({ enabled: true, updateEmailWithoutVerification: true });
    try {
      const { c } = await signedIn(server);
      const newEmail = uniqueEmail("new");
      assert.deepEqual((await c.post("/api/auth/change-email", { newEmail })).data, { status: true });
      assert.equal((await c.request("/api/auth/get-session")).data.user.email, newEmail);
      assert.equal(mails.verification.at(-1).user.email, newEmail);
    } finally {
      await server.close();
    }
  });

  it("a verified user confirms from the old address, then verifies the new one", async () => {
    const { server, mails } = await setup({ enabled: true, sendChangeEmailConfirmation: true });
    try {
      const { c, email } = await signedIn(server, { verify: true, mails });
      const newEmail = uniqueEmail("confirmed");
      assert.deepEqual((await c.post("/api/auth/change-email", { newEmail, callbackURL: "/settings" })).data, { status: true });
      const confirmation = mails.confirmation.at(-1);
      assert.equal(confirmation.user.email, email);
      assert.equal(confirmation.newEmail, newEmail);
      assert.equal((await c.request("/api/auth/get-session")).data.user.email, email, "nothing changes before the links");
      const first = await c.request(pathOf(confirmation.url));
      assert.deepEqual([first.status, first.headers.get("location")], [302, "/settings"]);
      const verification = mails.verification.at(-1);
      assert.equal(verification.user.email, newEmail);
      const second = await c.request(pathOf(verification.url));
      assert.equal(second.status, 302);
      const { user } = (await c.request("/api/auth/get-session")).data;
      assert.deepEqual([user.email, user.emailVerified], [newEmail, true]);
      assert.equal((await new Client(server.url).post("/api/auth/sign-in/email", { email: newEmail, password: "password123" })).status, 200);
    } finally {
      await server.close();
    }
  });

  it("without a confirmation step mails the new address; a taken address changes nothing", async () => {
    const { server, mails } = await setup({ enabled: true });
    try {
      const { c } = await signedIn(server);
      const { email: taken } = await signedIn(server);
      const count = mails.verification.length;
      assert.deepEqual((await c.post("/api/auth/change-email", { newEmail: taken })).data, { status: true });
      assert.equal(mails.verification.length, count, "no mail for a taken address");
      const newEmail = uniqueEmail("direct");
      await c.post("/api/auth/change-email", { newEmail });
      const link = await rawRequest(server.url, pathOf(mails.verification.at(-1).url).replace(/&callbackURL=.*/, ""), { headers: { cookie: c.cookieHeader() } });
      assert.equal(link.data.user.email, newEmail);
      // A change link opened while signed in as someone else is refused.
      const other = new Client(server.url);
      await other.post("/api/auth/sign-up/email", { name: "O", email: uniqueEmail("other"), password: "password123" });
      await c.post("/api/auth/change-email", { newEmail: uniqueEmail("again") });
      const wrongUser = await other.request(pathOf(mails.verification.at(-1).url).replace(/&callbackURL=.*/, ""));
      assert.deepEqual([wrongUser.status, wrongUser.data.code], [401, "INVALID_USER"]);
    } finally {
      await server.close();
    }
  });

  it("a change link is single-use under concurrency: of 20 simultaneous uses one changes the email", async () => {
    for (const changeEmail of [{ enabled: true }, { enabled: true, sendChangeEmailConfirmation: true }]) {
      const { server, mails } = await setup(changeEmail);
      try {
        const { c, email } = await signedIn(server, { verify: Boolean(changeEmail.sendChangeEmailConfirmation), mails });
        const newEmail = uniqueEmail("race");
        await c.post("/api/auth/change-email", { newEmail });
        if (changeEmail.sendChangeEmailConfirmation) await rawRequest(server.url, pathOf(mails.confirmation.at(-1).url).replace(/&callbackURL=.*/, ""));
        const link = pathOf(mails.verification.at(-1).url).replace(/&callbackURL=.*/, "");
        const uses = await Promise.all(Array.from({ length: 20 }, () => rawRequest(server.url, link)));
        const statuses = uses.map((r) => r.status).sort();
        assert.deepEqual(statuses, [200, ...Array(19).fill(401)], `${JSON.stringify(changeEmail)}: ${statuses}`);
        assert.ok(uses.filter((r) => r.status === 401).every((r) => r.data.code === "INVALID_TOKEN"));
        assert.equal((await new Client(server.url).post("/api/auth/sign-in/email", { email: newEmail, password: "password123" })).status, 200);
        assert.equal((await new Client(server.url).post("/api/auth/sign-in/email", { email, password: "password123" })).status, 401);
      } finally {
        await server.close();
      }
    }
  });
});
