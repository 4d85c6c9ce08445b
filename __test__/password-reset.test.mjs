// Password reset over HTTP: the mail callback, the link, single-use tokens.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, Client, rawRequest, uniqueEmail, FRONTEND } from "./helpers.mjs";

describe("password reset", () => {
  let server;
  const mails = [];
  const resets = [];
  before(async () => {
    server = await startServer({
      options: {
        emailAndPassword: {
          enabled: true,
          sendResetPassword: async (data) => {
            mails.push(data);
          },
          onPasswordReset: async ({ user }) => {
            resets.push(user);
          },
        },
      },
    });
  });
  after(() => server.close());

  async function userWithMail() {
    const email = uniqueEmail("reset");
    await new Client(server.url).post("/api/auth/sign-up/email", { name: "R", email, password: "password123" });
    const before = mails.length;
    const r = await new Client(server.url).post("/api/auth/request-password-reset", { email: email.toUpperCase(), redirectTo: `${FRONTEND}/reset` });
    assert.deepEqual(r.data, { status: true, message: "If this email exists in our system, check your email for the reset link" });
    assert.equal(mails.length, before + 1);
    return { email, mail: mails.at(-1) };
  }

  it("mails a link with a 24-character token to a known user, and answers unknown emails identically", async () => {
    const { email, mail } = await userWithMail();
    assert.match(mail.token, /^[A-Za-z0-9]{24}$/);
    assert.equal(mail.url, `${server.url}/api/auth/reset-password/${mail.token}?callbackURL=${encodeURIComponent(`${FRONTEND}/reset`)}`);
    assert.equal(mail.user.email, email);
    assert.ok(mail.user.createdAt instanceof Date, "callbacks get Date objects, as upstream");
    const count = mails.length;
    const unknown = await new Client(server.url).post("/api/auth/request-password-reset", { email: uniqueEmail("ghost"), redirectTo: `${FRONTEND}/reset` });
    assert.deepEqual(unknown.data, { status: true, message: "If this email exists in our system, check your email for the reset link" });
    assert.equal(mails.length, count, "no mail for an unknown email");
  });

  it("the link redirects to the app with the token, or with an error", async () => {
    const { mail } = await userWithMail();
    const ok = await rawRequest(server.url, new URL(mail.url).pathname + new URL(mail.url).search);
    assert.equal(ok.status, 302);
    assert.equal(ok.headers.location, `${FRONTEND}/reset?token=${mail.token}`);
    const bad = await rawRequest(server.url, `/api/auth/reset-password/notatoken?callbackURL=${encodeURIComponent(`${FRONTEND}/reset`)}`);
    assert.equal(bad.headers.location, `${FRONTEND}/reset?error=INVALID_TOKEN`);
    const evil = await rawRequest(server.url, `/api/auth/reset-password/${mail.token}?callbackURL=${encodeURIComponent("https://evil.example/steal")}`);
    assert.deepEqual([evil.status, evil.data?.code], [403, "INVALID_CALLBACK_URL"]);
    const missing = await rawRequest(server.url, `/api/auth/reset-password/${mail.token}`);
    assert.equal(missing.status, 400);
  });

  it("resets once: the new password works, the old does not, the token is spent", async () => {
    const { email, mail } = await userWithMail();
    const c = new Client(server.url);
    const r = await c.post("/api/auth/reset-password", { newPassword: "brand-new-password", token: mail.token });
    assert.deepEqual(r.data, { status: true });
    assert.equal(resets.at(-1).email, email, "onPasswordReset was called");
    assert.equal((await new Client(server.url).post("/api/auth/sign-in/email", { email, password: "password123" })).status, 401);
    assert.equal((await new Client(server.url).post("/api/auth/sign-in/email", { email, password: "brand-new-password" })).status, 200);
    const again = await c.post("/api/auth/reset-password", { newPassword: "another-password", token: mail.token });
    assert.deepEqual([again.status, again.data.code], [400, "INVALID_TOKEN"]);
    const none = await c.post("/api/auth/reset-password", { newPassword: "another-password" });
    assert.deepEqual([none.status, none.data.code], [400, "INVALID_TOKEN"]);
  });

  it("lets only one of two concurrent resets with one token win", async () => {
    const { mail } = await userWithMail();
    const results = await Promise.all(
      ["first-new-password", "second-new-password"].map((p) => new Client(server.url).post("/api/auth/reset-password", { newPassword: p, token: mail.token })),
    );
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 400]);
  });

  it("refuses an untrusted redirectTo and short passwords", async () => {
    const evil = await new Client(server.url).post("/api/auth/request-password-reset", { email: uniqueEmail(), redirectTo: "https://evil.example" });
    assert.deepEqual([evil.status, evil.data.code], [403, "INVALID_REDIRECT_URL"]);
    const { mail } = await userWithMail();
    const short = await new Client(server.url).post("/api/auth/reset-password", { newPassword: "short", token: mail.token });
    assert.equal(short.data.code, "PASSWORD_TOO_SHORT");
  });
});

describe("password reset configuration", () => {
  it("is disabled without sendResetPassword", async () => {
    const server = await startServer();
    try {
      const r = await new Client(server.url).post("/api/auth/request-password-reset", { email: uniqueEmail() });
      assert.deepEqual([r.status, r.data], [400, { message: "Reset password isn't enabled", code: "RESET_PASSWORD_DISABLED" }]);
    } finally {
      await server.close();
    }
  });

  it("answers { status: true } when sendResetPassword throws (as upstream: the answer reveals nothing), logs it, and keeps serving", async () => {
    const logged = [];
    const server = await startServer({
      options: {
        emailAndPassword: { enabled: true, sendResetPassword: () => { throw new Error("SMTP down"); } },
        logger: { log: (level, message) => logged.push(`${level}: ${message}`) },
      },
    });
    try {
      const email = uniqueEmail("smtp");
      await new Client(server.url).post("/api/auth/sign-up/email", { name: "S", email, password: "password123" });
      const r = await new Client(server.url).post("/api/auth/request-password-reset", { email });
      assert.deepEqual([r.status, r.data.status], [200, true]);
      assert.ok(logged.some((l) => l.startsWith("error:") && l.includes("SMTP down")), logged.join("\n"));
      assert.equal((await rawRequest(server.url, "/api/auth/ok")).status, 200);
    } finally {
      await server.close();
    }
  });

  it("revokeSessionsOnPasswordReset signs the user out everywhere", async () => {
    const mails = [];
    const server = await startServer({
      options: { emailAndPassword: { enabled: true, revokeSessionsOnPasswordReset: true, sendResetPassword: (m) => mails.push(m) } },
    });
    try {
      const email = uniqueEmail("revoke");
      const c = new Client(server.url);
      await c.post("/api/auth/sign-up/email", { name: "V", email, password: "password123" });
      await new Client(server.url).post("/api/auth/request-password-reset", { email });
      await new Client(server.url).post("/api/auth/reset-password", { newPassword: "password-after", token: mails[0].token });
      assert.equal((await c.request("/api/auth/get-session")).text, "null");
    } finally {
      await server.close();
    }
  });
});
