// twoFactor: enrolment, the sign-in challenge, TOTP / OTP / backup codes, trusted devices,
// lockout; step by step against upstream, on one database shared with upstream both ways, and
// each attack class upstream has had an advisory for.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createAuthClient } from "better-auth/client";
import { twoFactorClient } from "better-auth/client/plugins";
import { Client, startServer, uniqueEmail, upstreamPasswordOptions, browserLikeFetch } from "../helpers.mjs";
import { createTestDatabase, DIALECTS } from "../databases.mjs";
import { startBoth, assertSameSteps, pluginsOf, IMPLS } from "./differential.mjs";
import { base32Decode, totpFor } from "../totp.mjs";

const PASSWORD = "password123";

/** A code that is not the current one (nor its neighbours). */
function wrongCode(uri) {
  const near = new Set([-1, 0, 1].map((o) => totpFor(uri, o)));
  for (let n = 0; ; n++) {
    const code = String(n).padStart(6, "0");
    if (!near.has(code)) return code;
  }
}

const redactEnable = (r) => ({
  ...r,
  data: r.data?.totpURI ? { ...r.data, totpURI: "<uri>", backupCodes: r.data.backupCodes.map((c) => c.replace(/[A-Za-z0-9]/g, "x")) } : r.data,
});

async function signUp(url, email) {
  const c = new Client(url);
  const r = await c.post("/api/auth/sign-up/email", { name: "T", email, password: PASSWORD });
  assert.equal(r.status, 200, r.text);
  return c;
}

/** Signs up, enables TOTP and verifies it: the client and the otpauth URI. */
async function enrolled(url, email) {
  const c = await signUp(url, email);
  const enable = await c.post("/api/auth/two-factor/enable", { password: PASSWORD });
  assert.equal(enable.status, 200, enable.text);
  const verified = await c.post("/api/auth/two-factor/verify-totp", { code: totpFor(enable.data.totpURI) });
  assert.equal(verified.status, 200, verified.text);
  return { client: c, uri: enable.data.totpURI, backupCodes: enable.data.backupCodes };
}

/** A fresh client with a pending challenge (the password sign-in of an enrolled user). */
async function challenged(url, email, jar) {
  const c = new Client(url);
  if (jar) c.jar = new Map(jar);
  const r = await c.post("/api/auth/sign-in/email", { email, password: PASSWORD });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.data.twoFactorRedirect, true, r.text);
  return c;
}

describe("two-factor plugin, as upstream", () => {
  let servers;
  const sent = { ours: [], upstream: [] };
  before(async () => {
    servers = await startBoth((p, impl) => ({
      plugins: [p.twoFactor({ issuer: "My App", otpOptions: { sendOTP: async ({ otp }) => void sent[impl].push(otp) } })],
    }));
  });
  after(() => Promise.all(Object.values(servers).map((s) => s.close())));

  it("gives the same answers step by step: enrol, challenge, TOTP, OTP, backup codes, trust, disable", async () => {
    const tag = Date.now().toString(36);
    await assertSameSteps(servers, async (server, step, impl) => {
      const url = server.url;
      const email = `tf-${tag}@example.com`;
      const a = await signUp(url, email);
      step("enable signed out", await new Client(url).post("/api/auth/two-factor/enable", { password: PASSWORD }));
      step("enable without password", await a.post("/api/auth/two-factor/enable", {}));
      step("enable wrong password", await a.post("/api/auth/two-factor/enable", { password: "wrong-password" }));
      step("enable bad method", await a.post("/api/auth/two-factor/enable", { password: PASSWORD, method: "sms" }));
      const enable = await a.post("/api/auth/two-factor/enable", { password: PASSWORD });
      step("enable", redactEnable(enable));
      const uri = enable.data.totpURI;
      const u = new URL(uri);
      step("the URI", { status: 200, headers: new Headers(), cookies: {}, data: { label: u.pathname, issuer: u.searchParams.get("issuer"), digits: u.searchParams.get("digits"), period: u.searchParams.get("period"), secretLength: u.searchParams.get("secret").length } });
      step("not enabled until verified", await a.request("/api/auth/get-session"));
      step("sign in before verification: no challenge", await new Client(url).post("/api/auth/sign-in/email", { email, password: PASSWORD }));
      step("verify-totp wrong (signed in)", await a.post("/api/auth/two-factor/verify-totp", { code: wrongCode(uri) }));
      step("verify-totp (signed in) enables", await a.post("/api/auth/two-factor/verify-totp", { code: totpFor(uri) }));
      step("enabled", await a.request("/api/auth/get-session"));
      step("enable again", await a.post("/api/auth/two-factor/enable", { password: PASSWORD }));
      const uriAgain = await a.post("/api/auth/two-factor/get-totp-uri", { password: PASSWORD });
      step("get-totp-uri", { ...uriAgain, data: { same: new URL(uriAgain.data.totpURI).searchParams.get("secret") === u.searchParams.get("secret"), issuer: new URL(uriAgain.data.totpURI).searchParams.get("issuer") } });
      step("get-totp-uri wrong password", await a.post("/api/auth/two-factor/get-totp-uri", { password: "nope-nope" }));

      // The challenge.
      const b = new Client(url);
      step("sign-in answers a challenge", await b.post("/api/auth/sign-in/email", { email, password: PASSWORD }));
      step("no session yet", await b.request("/api/auth/get-session"));
      step("verify-totp without the cookie", await new Client(url).post("/api/auth/two-factor/verify-totp", { code: totpFor(uri) }));
      step("verify-totp wrong", await b.post("/api/auth/two-factor/verify-totp", { code: wrongCode(uri) }));
      step("verify-totp malformed", await b.post("/api/auth/two-factor/verify-totp", { code: 123456 }));
      step("verify-totp", await b.post("/api/auth/two-factor/verify-totp", { code: totpFor(uri) }));
      step("signed in", await b.request("/api/auth/get-session"));

      // OTP.
      const c = await challenged(url, email);
      step("send-otp", await c.post("/api/auth/two-factor/send-otp", {}));
      const otp = sent[impl].at(-1);
      assert.match(otp, /^\d{6}$/);
      step("verify-otp wrong", await c.post("/api/auth/two-factor/verify-otp", { code: otp === "000000" ? "000001" : "000000" }));
      step("verify-otp", await c.post("/api/auth/two-factor/verify-otp", { code: otp }));
      step("verify-otp again", await c.post("/api/auth/two-factor/verify-otp", { code: otp }));

      // Backup codes: single use.
      const d = await challenged(url, email);
      const [code] = enable.data.backupCodes;
      step("verify-backup-code", await d.post("/api/auth/two-factor/verify-backup-code", { code }));
      const e = await challenged(url, email);
      step("a used backup code", await e.post("/api/auth/two-factor/verify-backup-code", { code }));
      step("verify-backup-code disableSession", await e.post("/api/auth/two-factor/verify-backup-code", { code: enable.data.backupCodes[1], disableSession: true }));
      const regenerated = await a.post("/api/auth/two-factor/generate-backup-codes", { password: PASSWORD });
      step("generate-backup-codes", redactEnable({ ...regenerated, data: { ...regenerated.data, totpURI: "x" } }));
      const f = await challenged(url, email);
      step("an old backup code after regenerating", await f.post("/api/auth/two-factor/verify-backup-code", { code: enable.data.backupCodes[2] }));

      // Trusted device.
      const g = await challenged(url, email);
      step("verify-totp trustDevice", await g.post("/api/auth/two-factor/verify-totp", { code: totpFor(uri), trustDevice: true }));
      await g.post("/api/auth/sign-out", {});
      step("a trusted device signs in without a challenge", await g.post("/api/auth/sign-in/email", { email, password: PASSWORD }));

      // Don't remember me, then trust: the session cookie ends with the browser, and trusting
      // the device drops the marker (as upstream).
      const h = new Client(url);
      step("sign-in rememberMe false", await h.post("/api/auth/sign-in/email", { email, password: PASSWORD, rememberMe: false }));
      step("verify-totp without remembering", await h.post("/api/auth/two-factor/verify-totp", { code: totpFor(uri), trustDevice: true }));

      // Disable.
      step("disable wrong password", await a.post("/api/auth/two-factor/disable", { password: "nope-nope" }));
      const current = await signedIn(url, email, uri);
      step("disable", await current.post("/api/auth/two-factor/disable", { password: PASSWORD }));
      step("disabled", await current.request("/api/auth/get-session"));
      step("sign in after disable: no challenge", await new Client(url).post("/api/auth/sign-in/email", { email, password: PASSWORD }));
    });
  });

  it("the official client with twoFactorClient: enrol, redirect callback, verify, on both", async () => {
    for (const impl of IMPLS) {
      const { fetchImpl: customFetchImpl, jar } = browserLikeFetch();
      const redirects = [];
      const client = createAuthClient({
        baseURL: servers[impl].url,
        plugins: [twoFactorClient({ onTwoFactorRedirect: (ctx) => void redirects.push(ctx.twoFactorMethods) })],
        fetchOptions: { customFetchImpl },
      });
      const email = uniqueEmail(`tf-client-${impl}`);
      assert.equal((await client.signUp.email({ name: "C", email, password: PASSWORD })).error, null);
      const enabled = await client.twoFactor.enable({ password: PASSWORD });
      assert.equal(enabled.error, null, JSON.stringify(enabled.error));
      const verified = await client.twoFactor.verifyTotp({ code: totpFor(enabled.data.totpURI) });
      assert.equal(verified.error, null, JSON.stringify(verified.error));
      assert.equal((await client.getSession()).data.user.twoFactorEnabled, true, impl);
      jar.clear();
      const signIn = await client.signIn.email({ email, password: PASSWORD });
      assert.equal(signIn.data.twoFactorRedirect, true, impl);
      assert.deepEqual(redirects, [["totp", "otp"]], impl);
      assert.equal((await client.getSession()).data, null, `${impl}: no session before the second factor`);
      const wrong = await client.twoFactor.verifyTotp({ code: wrongCode(enabled.data.totpURI) });
      assert.equal(wrong.error.code, "INVALID_CODE", impl);
      const right = await client.twoFactor.verifyTotp({ code: totpFor(enabled.data.totpURI), trustDevice: true });
      assert.equal(right.error, null, JSON.stringify(right.error));
      assert.equal((await client.getSession()).data.user.email, email, impl);
    }
  });

  it("auth.api.generateTOTP and viewBackupCodes work server side", async () => {
    const server = servers.ours;
    const email = uniqueEmail("tf-api");
    const { client, backupCodes, uri } = await enrolled(server.url, email);
    const { user } = await (await client.request("/api/auth/get-session")).data;
    const viewed = await server.auth.api.viewBackupCodes({ body: { userId: user.id } });
    assert.deepEqual(viewed, { status: true, backupCodes });
    const secret = base32Decode(new URL(uri).searchParams.get("secret")).toString("utf8");
    const { code } = await server.auth.api.generateTOTP({ body: { secret } });
    assert.equal(code, totpFor(uri));
  });
});

/** A signed-in client for an enrolled user (through the challenge). */
async function signedIn(url, email, uri) {
  const c = await challenged(url, email);
  const r = await c.post("/api/auth/two-factor/verify-totp", { code: totpFor(uri) });
  assert.equal(r.status, 200, r.text);
  return c;
}

describe("two-factor attacks", () => {
  let server;
  before(async () => {
    const { twoFactor } = await pluginsOf("ours");
    server = await startServer({ options: { session: { cookieCache: { enabled: true } }, plugins: [twoFactor({ otpOptions: { sendOTP: () => {} } })] } });
  });
  after(() => server.close());

  it("a pending sign-in carries no valid session in any Set-Cookie (cookie cache on): the session row is gone", async () => {
    const email = uniqueEmail("tf-raw");
    const { client } = await enrolled(server.url, email);
    const { user } = (await client.request("/api/auth/get-session")).data;
    const sessionsBefore = await server.auth.api.listSessions({ headers: new Headers({ cookie: client.cookieHeader() }) });
    const raw = await new Client(server.url).post("/api/auth/sign-in/email", { email, password: PASSWORD });
    assert.deepEqual(raw.data, { twoFactorRedirect: true, twoFactorMethods: ["totp", "otp"] });
    for (const line of raw.setCookies) {
      if (/session_token|session_data/.test(line)) assert.match(line, /^[^=]+=;.*Max-Age=0/, `no session value leaves: ${line}`);
    }
    assert.ok(raw.setCookies.some((l) => /^better-auth\.two_factor=2fa-[A-Za-z0-9_-]{20}\./.test(l) && /Max-Age=600/.test(l) && /HttpOnly/.test(l)), raw.setCookies.join("\n"));
    // Everything the response set, sent back: still nobody.
    const replay = new Client(server.url);
    for (const [name, c] of Object.entries(raw.cookies)) if (c.value) replay.jar.set(name, c.value);
    assert.equal((await replay.request("/api/auth/get-session")).text, "null");
    const sessionsAfter = await server.auth.api.listSessions({ headers: new Headers({ cookie: client.cookieHeader() }) });
    assert.equal(sessionsAfter.length, sessionsBefore.length, `no session was left behind for ${user.id}`);
  });

  it("a challenge is single use, and concurrent verifications of one challenge make exactly one session", async () => {
    const email = uniqueEmail("tf-race");
    const { client, uri } = await enrolled(server.url, email);
    const before = (await server.auth.api.listSessions({ headers: new Headers({ cookie: client.cookieHeader() }) })).length;
    const c = await challenged(server.url, email);
    const racers = Array.from({ length: 10 }, () => {
      const r = new Client(server.url);
      r.jar = new Map(c.jar);
      return r.post("/api/auth/two-factor/verify-totp", { code: totpFor(uri) });
    });
    const results = await Promise.all(racers);
    const ok = results.filter((r) => r.status === 200);
    assert.equal(ok.length, 1, results.map((r) => `${r.status} ${r.text}`).join("\n"));
    assert.ok(results.filter((r) => r.status !== 200).every((r) => r.status === 401 && r.data.code === "INVALID_TWO_FACTOR_COOKIE"));
    const after = (await server.auth.api.listSessions({ headers: new Headers({ cookie: client.cookieHeader() }) })).length;
    assert.equal(after, before + 1, "one session made");
    // Replaying the spent challenge cookie later: refused.
    const replay = new Client(server.url);
    replay.jar = new Map(c.jar);
    replay.jar.delete("better-auth.session_token");
    const again = await replay.post("/api/auth/two-factor/verify-totp", { code: totpFor(uri) });
    assert.equal(again.status, 401);
    assert.equal(again.data.code, "INVALID_TWO_FACTOR_COOKIE");
  });

  it("one backup code used concurrently from two challenges signs in once", async () => {
    const email = uniqueEmail("tf-backup-race");
    const { backupCodes } = await enrolled(server.url, email);
    const challenges = await Promise.all(Array.from({ length: 6 }, () => challenged(server.url, email)));
    const results = await Promise.all(challenges.map((c) => c.post("/api/auth/two-factor/verify-backup-code", { code: backupCodes[0] })));
    assert.equal(results.filter((r) => r.status === 200).length, 1, results.map((r) => `${r.status} ${r.text}`).join("\n"));
  });

  it("five wrong codes per challenge, then the challenge is void; the guess count is not raced past", async () => {
    const email = uniqueEmail("tf-guess");
    const { uri } = await enrolled(server.url, email);
    const c = await challenged(server.url, email);
    const wrong = wrongCode(uri);
    // Concurrent guesses serialize on the challenge's counter: losers are refused, not counted twice.
    const burst = await Promise.all(Array.from({ length: 12 }, () => c.post("/api/auth/two-factor/verify-totp", { code: wrong })));
    assert.ok(burst.filter((r) => r.data?.code === "INVALID_CODE").length <= 5, burst.map((r) => r.text).join("\n"));
    let last;
    for (let i = 0; i < 6; i++) last = await c.post("/api/auth/two-factor/verify-totp", { code: wrong });
    assert.ok(["TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE", "INVALID_TWO_FACTOR_COOKIE"].includes(last.data.code), last.text);
    const right = await c.post("/api/auth/two-factor/verify-totp", { code: totpFor(uri) });
    assert.equal(right.status, 401, "the right code no longer opens a spent challenge");
  });

  it("twoFactorEnabled without a twoFactor row still refuses a session at sign-in", async () => {
    const email = uniqueEmail("tf-norow");
    const { client } = await enrolled(server.url, email);
    const { user } = (await client.request("/api/auth/get-session")).data;
    // Delete the row behind the plugin's back: the user keeps the flag.
    const { default: Database } = await import("better-sqlite3");
    const db = new Database(server.file);
    db.prepare(`delete from "twoFactor" where "userId" = ?`).run(user.id);
    db.close();
    const r = await new Client(server.url).post("/api/auth/sign-in/email", { email, password: PASSWORD });
    assert.deepEqual(r.data, { twoFactorRedirect: true, twoFactorMethods: ["otp"] });
    assert.ok(!Object.entries(r.cookies).some(([n, c]) => n.includes("session_token") && c.value), "no session cookie");
  });

  it("a forged or other user's trust-device cookie does not skip the challenge", async () => {
    const emailA = uniqueEmail("tf-trust-a");
    const emailB = uniqueEmail("tf-trust-b");
    const a = await enrolled(server.url, emailA);
    await enrolled(server.url, emailB);
    const trustedA = await challenged(server.url, emailA);
    await trustedA.post("/api/auth/two-factor/verify-totp", { code: totpFor(a.uri), trustDevice: true });
    const trust = trustedA.jar.get("better-auth.trust_device");
    assert.ok(trust, "trust cookie set");
    // A's trust cookie presented for B's sign-in: B is still challenged.
    const asB = new Client(server.url);
    asB.jar.set("better-auth.trust_device", trust);
    const r = await asB.post("/api/auth/sign-in/email", { email: emailB, password: PASSWORD });
    assert.equal(r.data.twoFactorRedirect, true, r.text);
    // A tampered value: challenged.
    const forged = new Client(server.url);
    forged.jar.set("better-auth.trust_device", trust.replace(/^./, (ch) => (ch === "a" ? "b" : "a")));
    assert.equal((await forged.post("/api/auth/sign-in/email", { email: emailA, password: PASSWORD })).data.twoFactorRedirect, true);
  });
});

describe("two-factor challenge lifetime and other sign-ins", () => {
  it("an expired challenge is refused; username sign-in is challenged too", async () => {
    const { twoFactor, username } = await pluginsOf("ours");
    const server = await startServer({ options: { plugins: [username(), twoFactor({ twoFactorCookieMaxAge: 1 })] } });
    try {
      const email = uniqueEmail("tf-expire");
      const c = await signUp(server.url, email);
      await c.post("/api/auth/update-user", { username: `exp_${Date.now().toString(36)}` });
      const name = (await c.request("/api/auth/get-session")).data.user.username;
      const enable = await c.post("/api/auth/two-factor/enable", { password: PASSWORD });
      await c.post("/api/auth/two-factor/verify-totp", { code: totpFor(enable.data.totpURI) });
      const viaUsername = new Client(server.url);
      const r = await viaUsername.post("/api/auth/sign-in/username", { username: name, password: PASSWORD });
      assert.equal(r.data.twoFactorRedirect, true, r.text);
      assert.match(r.setCookies.find((l) => l.includes("two_factor=")), /Max-Age=1\b/);
      await new Promise((res) => setTimeout(res, 1500));
      const late = await viaUsername.request("/api/auth/two-factor/verify-totp", {
        method: "POST",
        json: { code: totpFor(enable.data.totpURI) },
        // The browser dropped it; a script replays it anyway.
        headers: { cookie: `better-auth.two_factor=${r.cookies["better-auth.two_factor"].value}` },
      });
      assert.equal(late.status, 401, late.text);
      assert.equal(late.data.code, "INVALID_TWO_FACTOR_COOKIE");
    } finally {
      await server.close();
    }
  });
});

describe("two-factor account lockout", () => {
  for (const dialect of DIALECTS) {
    it(`counts every failure exactly under concurrency and locks at the limit (${dialect})`, async () => {
      const database = await createTestDatabase(dialect);
      const { twoFactor } = await pluginsOf("ours");
      const server = await startServer({ database, options: { plugins: [twoFactor({ accountLockout: { maxFailedAttempts: 10, durationSeconds: 900 } })] } });
      try {
        const email = uniqueEmail("tf-lock");
        const { uri, client } = await enrolled(server.url, email);
        const { user } = (await client.request("/api/auth/get-session")).data;
        // Eight challenges, one wrong guess each, all at once.
        const challenges = await Promise.all(Array.from({ length: 8 }, () => challenged(server.url, email)));
        const wrong = wrongCode(uri);
        const results = await Promise.all(challenges.map((c) => c.post("/api/auth/two-factor/verify-totp", { code: wrong })));
        assert.ok(results.every((r) => r.data.code === "INVALID_CODE"), results.map((r) => r.text).join("\n"));
        const q = (name) => (dialect === "mysql" ? `\`${name}\`` : `"${name}"`);
        const [row] = await database.query(`select ${q("failedVerificationCount")} as n from ${q("twoFactor")} where ${q("userId")} = ${dialect === "postgres" ? "$1" : "?"}`, [user.id]);
        assert.equal(Number(row.n), 8, "each concurrent failure counted once");
        for (let i = 0; i < 2; i++) {
          const c = await challenged(server.url, email);
          await c.post("/api/auth/two-factor/verify-totp", { code: wrong });
        }
        const locked = await challenged(server.url, email);
        const r = await locked.post("/api/auth/two-factor/verify-totp", { code: totpFor(uri) });
        assert.equal(r.status, 429, r.text);
        assert.equal(r.data.code, "ACCOUNT_TEMPORARILY_LOCKED");
      } finally {
        await server.close();
        await database.drop();
      }
    });
  }
});

describe("two-factor on one database with upstream", () => {
  it("a user enrolled by either finishes the second factor on the other", async () => {
    for (const [enrolIn, verifyIn] of [IMPLS, [...IMPLS].reverse()]) {
      const database = await createTestDatabase("sqlite");
      // Upstream verifies our argon2id hashes as the README's way back shows.
      const options = async (impl) => ({
        plugins: [(await pluginsOf(impl)).twoFactor()],
        ...(impl === "upstream" ? { emailAndPassword: await upstreamPasswordOptions() } : {}),
      });
      const first = await startServer({ impl: enrolIn, dbFile: database.file, options: await options(enrolIn) });
      const email = uniqueEmail(`tf-share-${enrolIn}`);
      const { uri, backupCodes } = await enrolled(first.url, email);
      await first.close();
      const second = await startServer({ impl: verifyIn, dbFile: database.file, options: await options(verifyIn) });
      try {
        const c = await challenged(second.url, email);
        const r = await c.post("/api/auth/two-factor/verify-totp", { code: totpFor(uri) });
        assert.equal(r.status, 200, `${enrolIn} -> ${verifyIn}: ${r.text}`);
        const d = await challenged(second.url, email);
        const backup = await d.post("/api/auth/two-factor/verify-backup-code", { code: backupCodes[3] });
        assert.equal(backup.status, 200, `${enrolIn} -> ${verifyIn} backup: ${backup.text}`);
      } finally {
        await second.close();
        await database.drop();
      }
    }
  });
});

describe("two-factor options", () => {
  it("are read strictly: an unknown key names its path", async () => {
    const { betterAuth } = await import("../../index.js");
    const { twoFactor } = await pluginsOf("ours");
    const make = (options) => betterAuth({ database: "sqlite::memory:", secret: "options-test-secret-0123456789abcdef", logger: { disabled: true }, plugins: [twoFactor(options)] });
    assert.throws(() => make({ totpOptions: { digts: 8 } }), /unknown option `plugins\[two-factor\]\.totpOptions\.digts`/);
    assert.throws(() => make({ trustDeviceMaxAg: 1 }), /unknown option `plugins\[two-factor\]\.trustDeviceMaxAg`/);
    assert.throws(() => make({ otpOptions: { storeOTP: "rot13" } }), /invalid option `plugins\[two-factor\]\.otpOptions\.storeOTP`/);
  });

  it("digits, period, skipVerificationOnEnable, backup code amount/length/plain, hashed OTP and allowedAttempts: as upstream", async () => {
    const sent = { ours: [], upstream: [] };
    const servers = await startBoth((p, impl) => ({
      plugins: [
        p.twoFactor({
          skipVerificationOnEnable: true,
          totpOptions: { digits: 8, period: 60 },
          backupCodeOptions: { amount: 3, length: 8, storeBackupCodes: "plain" },
          otpOptions: { storeOTP: "hashed", allowedAttempts: 2, sendOTP: async ({ otp }) => void sent[impl].push(otp) },
        }),
      ],
    }));
    try {
      const tag = Date.now().toString(36);
      await assertSameSteps(servers, async (server, step, impl) => {
        const email = `tf-opt-${tag}@example.com`;
        const a = await signUp(server.url, email);
        const enable = await a.post("/api/auth/two-factor/enable", { password: PASSWORD });
        step("enable", redactEnable(enable));
        const u = new URL(enable.data.totpURI);
        step("uri", { status: 200, headers: new Headers(), cookies: {}, data: { digits: u.searchParams.get("digits"), period: u.searchParams.get("period") } });
        step("enabled at once", await a.request("/api/auth/get-session"));
        const c = await challenged(server.url, email);
        step("send-otp", await c.post("/api/auth/two-factor/send-otp"));
        const otp = sent[impl].at(-1);
        const wrong = otp === "000000" ? "000001" : "000000";
        step("wrong 1", await c.post("/api/auth/two-factor/verify-otp", { code: wrong }));
        step("wrong 2", await c.post("/api/auth/two-factor/verify-otp", { code: wrong }));
        step("right after allowedAttempts", await c.post("/api/auth/two-factor/verify-otp", { code: otp }));
        step("verify-totp 8 digits", await c.post("/api/auth/two-factor/verify-totp", { code: totpFor(enable.data.totpURI) }));
      });
    } finally {
      await Promise.all(Object.values(servers).map((s) => s.close()));
    }
  });
});
