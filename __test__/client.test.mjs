// The official client, `createAuthClient` from upstream's `better-auth/client`, against our server.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createAuthClient } from "better-auth/client";
import { startServer, uniqueEmail, browserLikeFetch } from "./helpers.mjs";

describe("official better-auth client", () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  it("signs up, signs in, gets the session, fails on a wrong password, signs out", async () => {
    const { fetchImpl, jar } = browserLikeFetch();
    const client = createAuthClient({ baseURL: server.url, fetchOptions: { customFetchImpl: fetchImpl } });
    const email = uniqueEmail("client");

    const signUp = await client.signUp.email({ name: "Client User", email, password: "password123" });
    assert.equal(signUp.error, null, JSON.stringify(signUp.error));
    assert.equal(signUp.data.user.email, email);
    assert.ok(jar.has("better-auth.session_token"));

    const session = await client.getSession();
    assert.equal(session.error, null);
    assert.equal(session.data.user.email, email);
    assert.ok(session.data.session.expiresAt instanceof Date || typeof session.data.session.expiresAt === "string");

    const out = await client.signOut();
    assert.equal(out.error, null);
    assert.deepEqual(out.data, { success: true });
    assert.equal(jar.has("better-auth.session_token"), false);
    assert.equal((await client.getSession()).data, null);

    const wrong = await client.signIn.email({ email, password: "not-the-password" });
    assert.equal(wrong.data, null);
    assert.equal(wrong.error.status, 401);
    assert.equal(wrong.error.code, "INVALID_EMAIL_OR_PASSWORD");
    assert.equal(wrong.error.message, "Invalid email or password");

    const signIn = await client.signIn.email({ email, password: "password123" });
    assert.equal(signIn.error, null);
    assert.equal(signIn.data.user.email, email);
    const again = await client.getSession();
    assert.equal(again.data.session.token, signIn.data.token);
  });

  it("surfaces validation and duplicate errors with upstream's codes", async () => {
    const { fetchImpl } = browserLikeFetch();
    const client = createAuthClient({ baseURL: server.url, fetchOptions: { customFetchImpl: fetchImpl } });
    const email = uniqueEmail("dupclient");
    await client.signUp.email({ name: "A", email, password: "password123" });
    const dup = await client.signUp.email({ name: "B", email, password: "password123" });
    assert.equal(dup.error.status, 422);
    assert.equal(dup.error.code, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL");
    const short = await client.signUp.email({ name: "C", email: uniqueEmail(), password: "123" });
    assert.equal(short.error.code, "PASSWORD_TOO_SHORT");
  });
});

describe("official client: the account API", () => {
  let server;
  const mails = { reset: [], verify: [], remove: [] };
  before(async () => {
    server = await startServer({
      options: {
        emailAndPassword: { enabled: true, sendResetPassword: async (m) => { mails.reset.push(m); } },
        emailVerification: { sendVerificationEmail: async (m) => { mails.verify.push(m); } },
        user: {
          changeEmail: { enabled: true, updateEmailWithoutVerification: true },
          deleteUser: { enabled: true, sendDeleteAccountVerification: async (m) => { mails.remove.push(m); } },
        },
      },
    });
  });
  after(() => server.close());

  it("lists sessions, updates the user, changes password and email, resets, verifies and deletes", async () => {
    const { fetchImpl } = browserLikeFetch();
    const client = createAuthClient({ baseURL: server.url, fetchOptions: { customFetchImpl: fetchImpl } });
    const email = uniqueEmail("account");
    await client.signUp.email({ name: "Acc", email, password: "password123" });

    const sessions = await client.listSessions();
    assert.equal(sessions.error, null);
    assert.equal(sessions.data.length, 1);

    assert.deepEqual((await client.updateUser({ name: "Renamed" })).data, { status: true });
    assert.equal((await client.getSession()).data.user.name, "Renamed");

    const wrong = await client.changePassword({ currentPassword: "nope-nope", newPassword: "password456" });
    assert.equal(wrong.error.code, "INVALID_PASSWORD");
    const changed = await client.changePassword({ currentPassword: "password123", newPassword: "password456", revokeOtherSessions: true });
    assert.equal(changed.error, null);
    assert.match(changed.data.token, /^[A-Za-z0-9]{32}$/);

    const newEmail = uniqueEmail("client-new");
    assert.deepEqual((await client.changeEmail({ newEmail })).data, { status: true });
    assert.equal((await client.getSession()).data.user.email, newEmail);

    await client.sendVerificationEmail({ email: newEmail });
    const verifyLink = new URL(mails.verify.at(-1).url);
    const verified = await client.verifyEmail({ query: { token: verifyLink.searchParams.get("token") } });
    assert.equal(verified.error, null);
    assert.equal((await client.getSession()).data.user.emailVerified, true);

    assert.deepEqual((await client.requestPasswordReset({ email: newEmail, redirectTo: "/reset" })).data.status, true);
    const reset = await client.resetPassword({ newPassword: "password789", token: mails.reset.at(-1).token });
    assert.equal(reset.error, null);

    const deletion = await client.deleteUser({ callbackURL: "/bye" });
    assert.deepEqual(deletion.data, { success: true, message: "Verification email sent" });
    const { token } = mails.remove.at(-1);
    const done = await fetchImpl(`${server.url}/api/auth/delete-user/callback?token=${token}`);
    assert.equal(done.status, 200);
    const signIn = await client.signIn.email({ email: newEmail, password: "password789" });
    assert.equal(signIn.error.code, "INVALID_EMAIL_OR_PASSWORD", "the account is gone");
  });
});
