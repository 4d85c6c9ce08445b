// Email verification over HTTP: mails on sign-up and sign-in, the link,
// requireEmailVerification, tokens compatible with upstream's (jose HS256).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { SignJWT } from "jose";
import { startServer, Client, rawRequest, uniqueEmail, FRONTEND, SECRET } from "./helpers.mjs";

const pathOf = (url) => new URL(url).pathname + new URL(url).search;

describe("email verification", () => {
  let server;
  const mails = [];
  const verified = [];
  before(async () => {
    server = await startServer({
      options: {
        emailAndPassword: { enabled: true, requireEmailVerification: true },
        emailVerification: {
          sendVerificationEmail: async (mail) => {
            mails.push(mail);
          },
          sendOnSignIn: true,
          autoSignInAfterVerification: true,
          afterEmailVerification: async (user) => {
            verified.push(user);
          },
        },
      },
    });
  });
  after(() => server.close());

  it("sign-up mails a link and signs nobody in; sign-in is refused until verified", async () => {
    const email = uniqueEmail("verify");
    const up = await new Client(server.url).post("/api/auth/sign-up/email", { name: "V", email, password: "password123", callbackURL: "/welcome" });
    assert.equal(up.status, 200);
    assert.equal(up.data.token, null);
    assert.equal(up.setCookies.length, 0);
    const mail = mails.at(-1);
    assert.equal(mail.user.email, email);
    assert.match(mail.url, new RegExp(`^${server.url}/api/auth/verify-email\\?token=[\\w-]+\\.[\\w-]+\\.[\\w-]+&callbackURL=%2Fwelcome$`));
    const count = mails.length;
    const refused = await new Client(server.url).post("/api/auth/sign-in/email", { email, password: "password123" });
    assert.deepEqual([refused.status, refused.data.code], [403, "EMAIL_NOT_VERIFIED"]);
    assert.equal(mails.length, count + 1, "sendOnSignIn mailed a fresh link");

    const browser = new Client(server.url);
    const link = await browser.request(pathOf(mail.url));
    assert.equal(link.status, 302);
    assert.equal(link.headers.get("location"), "/welcome");
    assert.ok(browser.jar.has("better-auth.session_token"), "autoSignInAfterVerification signed the user in");
    assert.equal((await browser.request("/api/auth/get-session")).data.user.emailVerified, true);
    assert.equal(verified.at(-1).email, email);
    assert.equal((await new Client(server.url).post("/api/auth/sign-in/email", { email, password: "password123" })).status, 200);
    // The token is stateless, as upstream: using it again just confirms.
    assert.equal((await rawRequest(server.url, pathOf(mail.url).replace(/&callbackURL=.*/, ""))).data.status, true);
  });

  it("refuses bad, expired and foreign tokens, redirecting with ?error= when there is a callbackURL", async () => {
    const bad = await rawRequest(server.url, `/api/auth/verify-email?token=not.a.jwt&callbackURL=${encodeURIComponent(`${FRONTEND}/done`)}`);
    assert.deepEqual([bad.status, bad.headers.location], [302, `${FRONTEND}/done?error=INVALID_TOKEN`]);
    const plain = await rawRequest(server.url, "/api/auth/verify-email?token=not.a.jwt");
    assert.deepEqual([plain.status, plain.data.code], [401, "INVALID_TOKEN"]);
    const secret = new TextEncoder().encode(SECRET);
    const past = Math.floor(Date.now() / 1000) - 7200;
    const expired = await new SignJWT({ email: "x@example.com" }).setProtectedHeader({ alg: "HS256" }).setIssuedAt(past).setExpirationTime(past + 60).sign(secret);
    const r = await rawRequest(server.url, `/api/auth/verify-email?token=${expired}`);
    assert.deepEqual([r.status, r.data.code], [401, "TOKEN_EXPIRED"]);
    const forged = await new SignJWT({ email: "x@example.com" }).setProtectedHeader({ alg: "HS256" }).setIssuedAt().setExpirationTime("1h").sign(new TextEncoder().encode("another-secret-entirely-0123456789"));
    assert.equal((await rawRequest(server.url, `/api/auth/verify-email?token=${forged}`)).data.code, "INVALID_TOKEN");
    const unknownUser = await new SignJWT({ email: "nobody-here@example.com" }).setProtectedHeader({ alg: "HS256" }).setIssuedAt().setExpirationTime("1h").sign(secret);
    assert.equal((await rawRequest(server.url, `/api/auth/verify-email?token=${unknownUser}`)).data.code, "USER_NOT_FOUND");
    const evil = await rawRequest(server.url, `/api/auth/verify-email?token=x&callbackURL=${encodeURIComponent("https://evil.example")}`);
    assert.deepEqual([evil.status, evil.data.code], [403, "INVALID_CALLBACK_URL"]);
  });

  it("verifies a token jose made with the same secret (what upstream mints)", async () => {
    const email = uniqueEmail("jose");
    await new Client(server.url).post("/api/auth/sign-up/email", { name: "J", email, password: "password123" });
    const token = await new SignJWT({ email }).setProtectedHeader({ alg: "HS256" }).setIssuedAt().setExpirationTime("1h").sign(new TextEncoder().encode(SECRET));
    const r = await rawRequest(server.url, `/api/auth/verify-email?token=${token}`);
    assert.deepEqual(r.data, { status: true, user: null });
    assert.equal((await new Client(server.url).post("/api/auth/sign-in/email", { email, password: "password123" })).status, 200);
  });

  it("send-verification-email: the same answer for unknown emails; checks the signed-in user", async () => {
    const email = uniqueEmail("resend");
    await new Client(server.url).post("/api/auth/sign-up/email", { name: "S", email, password: "password123" });
    const count = mails.length;
    const known = await new Client(server.url).post("/api/auth/send-verification-email", { email });
    const unknown = await new Client(server.url).post("/api/auth/send-verification-email", { email: uniqueEmail("ghost") });
    assert.deepEqual([known.status, known.text], [unknown.status, unknown.text]);
    assert.deepEqual(known.data, { status: true });
    assert.equal(mails.length, count + 1, "only the known, unverified user got a mail");

    const signedIn = new Client(server.url);
    await signedIn.request(pathOf(mails.at(-1).url));
    const mismatch = await signedIn.post("/api/auth/send-verification-email", { email: uniqueEmail("other") });
    assert.deepEqual([mismatch.status, mismatch.data.code], [400, "EMAIL_MISMATCH"]);
    const already = await signedIn.post("/api/auth/send-verification-email", { email });
    assert.deepEqual([already.status, already.data.code], [400, "EMAIL_ALREADY_VERIFIED"]);
  });
});

describe("email verification configuration", () => {
  it("is disabled without sendVerificationEmail; requireEmailVerification alone refuses unverified sign-ins", async () => {
    const server = await startServer({ options: { emailAndPassword: { enabled: true, requireEmailVerification: true } } });
    try {
      const r = await new Client(server.url).post("/api/auth/send-verification-email", { email: uniqueEmail() });
      assert.deepEqual([r.status, r.data.code], [400, "VERIFICATION_EMAIL_NOT_ENABLED"]);
      const email = uniqueEmail("unverified");
      await new Client(server.url).post("/api/auth/sign-up/email", { name: "U", email, password: "password123" });
      const signIn = await new Client(server.url).post("/api/auth/sign-in/email", { email, password: "password123" });
      assert.deepEqual([signIn.status, signIn.data.code], [403, "EMAIL_NOT_VERIFIED"]);
    } finally {
      await server.close();
    }
  });
});
