// The signed-in user's own account over HTTP and auth.api: update-user, change-password,
// verify-password, setPassword, list-accounts, unlink-account (upstream's
// `api/routes/update-user.ts`, `password.ts`, `account.ts`).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, Client, uniqueEmail } from "./helpers.mjs";

describe("user endpoints", () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  async function signedIn(password = "password123") {
    const c = new Client(server.url);
    const email = uniqueEmail("user");
    const r = await c.post("/api/auth/sign-up/email", { name: "Before", email, password });
    return { c, email, user: r.data.user };
  }

  it("update-user changes name and image and re-sends the session cookie", async () => {
    const { c } = await signedIn();
    const r = await c.post("/api/auth/update-user", { name: "After", image: "https://img.test/a.png", emailVerified: true });
    assert.deepEqual(r.data, { status: true });
    assert.equal(r.cookies["better-auth.session_token"].maxAge, 604800);
    const { user } = (await c.request("/api/auth/get-session")).data;
    assert.equal(user.name, "After");
    assert.equal(user.image, "https://img.test/a.png");
    assert.equal(user.emailVerified, false, "core fields cannot be set through update-user");
    assert.ok(user.updatedAt > user.createdAt);
    await c.post("/api/auth/update-user", { image: null });
    assert.equal((await c.request("/api/auth/get-session")).data.user.image, null);
  });

  it("update-user refuses email changes, empty updates, non-objects and anonymous callers", async () => {
    const { c } = await signedIn();
    let r = await c.post("/api/auth/update-user", { email: "new@example.com" });
    assert.deepEqual([r.status, r.data.code], [400, "EMAIL_CAN_NOT_BE_UPDATED"]);
    r = await c.post("/api/auth/update-user", {});
    assert.deepEqual([r.status, r.data], [400, { message: "No fields to update" }]);
    r = await c.post("/api/auth/update-user", [1]);
    assert.equal(r.data.message, "[body] Invalid input: expected record, received array");
    r = await new Client(server.url).post("/api/auth/update-user", { name: "x" });
    assert.equal(r.status, 401);
  });

  it("change-password: wrong current password, success, and revoking other sessions", async () => {
    const { c, email } = await signedIn();
    const other = new Client(server.url);
    await other.post("/api/auth/sign-in/email", { email, password: "password123" });
    let r = await c.post("/api/auth/change-password", { currentPassword: "wrong-password", newPassword: "password456" });
    assert.deepEqual([r.status, r.data.code], [400, "INVALID_PASSWORD"]);
    r = await c.post("/api/auth/change-password", { currentPassword: "password123", newPassword: "short" });
    assert.equal(r.data.code, "PASSWORD_TOO_SHORT");
    r = await c.post("/api/auth/change-password", { currentPassword: "password123", newPassword: "password456" });
    assert.equal(r.status, 200);
    assert.equal(r.data.token, null);
    assert.equal(r.data.user.email, email);
    assert.ok((await other.request("/api/auth/get-session")).data, "without revokeOtherSessions others stay signed in");
    assert.equal((await new Client(server.url).post("/api/auth/sign-in/email", { email, password: "password123" })).status, 401);
    assert.equal((await new Client(server.url).post("/api/auth/sign-in/email", { email, password: "password456" })).status, 200);
    r = await c.post("/api/auth/change-password", { currentPassword: "password456", newPassword: "password789", revokeOtherSessions: true });
    assert.match(r.data.token, /^[A-Za-z0-9]{32}$/);
    assert.equal((await other.request("/api/auth/get-session")).text, "null", "other sessions revoked");
    assert.equal((await c.request("/api/auth/get-session")).data.session.token, r.data.token, "this client got the new session");
  });

  it("verify-password", async () => {
    const { c } = await signedIn();
    assert.deepEqual((await c.post("/api/auth/verify-password", { password: "password123" })).data, { status: true });
    const wrong = await c.post("/api/auth/verify-password", { password: "nope-nope" });
    assert.deepEqual([wrong.status, wrong.data.code], [400, "INVALID_PASSWORD"]);
  });

  it("list-accounts shows the credential account without secrets; the last one cannot be unlinked", async () => {
    const { c, user } = await signedIn();
    const r = await c.request("/api/auth/list-accounts");
    assert.equal(r.status, 200);
    assert.equal(r.data.length, 1);
    const [account] = r.data;
    assert.deepEqual(Object.keys(account), ["accountId", "providerId", "userId", "createdAt", "updatedAt", "id", "scopes"]);
    assert.deepEqual([account.providerId, account.accountId, account.userId, account.scopes], ["credential", user.id, user.id, []]);
    const last = await c.post("/api/auth/unlink-account", { accountId: account.id });
    assert.deepEqual([last.status, last.data.code], [400, "FAILED_TO_UNLINK_LAST_ACCOUNT"]);
  });

  it("setPassword is server-only: not routed, and refuses a user who already has one", async () => {
    const { c } = await signedIn();
    assert.equal((await c.post("/api/auth/set-password", { newPassword: "password999" })).status, 404);
    await assert.rejects(
      server.auth.api.setPassword({ body: { newPassword: "password999" }, headers: { cookie: c.cookieHeader() } }),
      (e) => e.statusCode === 400 && e.body.code === "PASSWORD_ALREADY_SET",
    );
  });
});
