// multiSession: one device signed in to several accounts (a signed `_multi-<token>` cookie per
// session), list / set-active / revoke, maximumSessions, sign-out of every account, forged
// cookies; against upstream, over HTTP, through auth.api and the official client plugin.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createAuthClient } from "better-auth/client";
import { multiSessionClient } from "better-auth/client/plugins";
import { Client, browserLikeFetch, parseSetCookies, startServer } from "../helpers.mjs";
import { startBoth, assertSameSteps, pluginsOf } from "./differential.mjs";

const TOKEN_COOKIE = "better-auth.session_token";
const MULTI = `${TOKEN_COOKIE}_multi-`;

/**
 * Multi cookie names carry the (lower-cased) session token, which differs between the
 * servers: `labels` maps tokens to stable names ("a1", "b1", ...) for comparing.
 */
function labeller() {
  const labels = new Map();
  const label = (token, name) => {
    labels.set(token.toLowerCase(), name);
    return token;
  };
  const rename = (name) => {
    const i = name.indexOf("_multi-");
    if (i < 0) return name;
    const token = name.slice(i + 7);
    return `${name.slice(0, i + 7)}${labels.get(token) ?? "<unknown>"}`;
  };
  const view = (r) => ({ ...r, cookies: Object.fromEntries(Object.entries(r.cookies).map(([n, c]) => [rename(n), c])) });
  const jarNames = (client) => [...client.jar.keys()].map(rename);
  return { label, view, jarNames, rename };
}

const signedToken = (client) => decodeURIComponent(client.jar.get(TOKEN_COOKIE)).split(".")[0];
const multiCookie = (client, token) => [`${MULTI}${token.toLowerCase()}`, client.jar.get(`${MULTI}${token.toLowerCase()}`)];
const emailsOf = (r) => (Array.isArray(r.data) ? r.data.map((d) => d.user.email) : (r.data?.user?.email ?? null));

describe("multi-session plugin, as upstream", () => {
  let servers;
  before(async () => {
    servers = await startBoth((p) => ({ plugins: [p.multiSession({ maximumSessions: 2 })] }));
  });
  after(() => Promise.all(Object.values(servers).map((s) => s.close())));

  it("lists, switches and revokes sessions; maximumSessions; same user again", async () => {
    const tag = Date.now().toString(36);
    await assertSameSteps(servers, async (server, rawStep) => {
      const { label, view, jarNames } = labeller();
      const step = (name, r, extra = {}) => rawStep(name, view(r), { emails: emailsOf(r), ...extra });
      const fresh = () => new Client(server.url);
      const email = (n) => `ms-${n}-${tag}@example.com`;
      const c = fresh();

      step("list without cookies", await fresh().request("/api/auth/multi-session/list-device-sessions"));
      const upA = await c.post("/api/auth/sign-up/email", { name: "A", email: email("a"), password: "password123" });
      label(upA.data.token, "a1");
      const cookieA = c.jar.get(TOKEN_COOKIE);
      step("sign-up A sets its multi cookie", upA, { jar: jarNames(c) });
      const [, multiA] = multiCookie(c, upA.data.token);
      assert.ok(decodeURIComponent(multiA).startsWith(`${upA.data.token}.`), "the value is the signed, original-case token");
      const upB = await c.post("/api/auth/sign-up/email", { name: "B", email: email("b"), password: "password123" });
      label(upB.data.token, "b1");
      const cookieB = c.jar.get(TOKEN_COOKIE);
      step("sign-up B on the same device", upB, { jar: jarNames(c) });
      step("the last one is active", await c.request("/api/auth/get-session"));
      step("list", await c.request("/api/auth/multi-session/list-device-sessions"));

      const upC = await c.post("/api/auth/sign-up/email", { name: "C", email: email("c"), password: "password123" });
      label(upC.data.token, "c1");
      step("a third account passes maximumSessions: active, not listed", upC, { jar: jarNames(c) });
      step("list still two", await c.request("/api/auth/multi-session/list-device-sessions"));
      step("C is active", await c.request("/api/auth/get-session"));

      step("set-active A", await c.post("/api/auth/multi-session/set-active", { sessionToken: upA.data.token }), { jar: jarNames(c) });
      step("A is active", await c.request("/api/auth/get-session"));
      step("set-active upper-cased token", await c.post("/api/auth/multi-session/set-active", { sessionToken: upB.data.token.toUpperCase() }));
      const onlyMulti = c.cookieHeader().split("; ").filter((p) => p.includes("_multi-")).join("; ");
      step("set-active with only multi cookies", await fresh().post("/api/auth/multi-session/set-active", { sessionToken: upA.data.token }, { headers: { cookie: onlyMulti } }));
      step("set-active C (no multi cookie)", await c.post("/api/auth/multi-session/set-active", { sessionToken: upC.data.token }));
      step("set-active unknown", await c.post("/api/auth/multi-session/set-active", { sessionToken: "nope" }));
      step("set-active without body", await c.post("/api/auth/multi-session/set-active", {}));
      step("set-active wrong type", await c.post("/api/auth/multi-session/set-active", { sessionToken: 5 }));
      step("set-active no JSON", await c.request("/api/auth/multi-session/set-active", { method: "POST" }));
      const forged = `${MULTI}${upA.data.token.toLowerCase()}=${upA.data.token}.${"A".repeat(43)}=`;
      step("set-active forged signature", await fresh().post("/api/auth/multi-session/set-active", { sessionToken: upA.data.token }, { headers: { cookie: forged } }));

      step("revoke signed out", await fresh().post("/api/auth/multi-session/revoke", { sessionToken: upB.data.token }));
      step("revoke without body", await c.post("/api/auth/multi-session/revoke", {}));
      step("revoke unknown", await c.post("/api/auth/multi-session/revoke", { sessionToken: "nope" }));
      step("revoke B (not active)", await c.post("/api/auth/multi-session/revoke", { sessionToken: upB.data.token }), { jar: jarNames(c) });
      step("B's session is gone", await fresh().request("/api/auth/get-session", { headers: { cookie: `${TOKEN_COOKIE}=${cookieB}` } }));
      step("list after revoke", await c.request("/api/auth/multi-session/list-device-sessions"));
      step("set-active revoked B", await c.post("/api/auth/multi-session/set-active", { sessionToken: upB.data.token }));

      const inB = await c.post("/api/auth/sign-in/email", { email: email("b"), password: "password123" });
      label(inB.data.token, "b2");
      step("sign-in B again", inB, { jar: jarNames(c) });
      const inA = await c.post("/api/auth/sign-in/email", { email: email("a"), password: "password123" });
      label(inA.data.token, "a2");
      step("sign-in A again replaces A's multi cookie", inA, { jar: jarNames(c) });
      step("A's old session was deleted", await fresh().request("/api/auth/get-session", { headers: { cookie: `${TOKEN_COOKIE}=${cookieA}` } }));
      step("list after re-sign-in", await c.request("/api/auth/multi-session/list-device-sessions"));
      step("revoke the active one: the next becomes active", await c.post("/api/auth/multi-session/revoke", { sessionToken: inA.data.token }), { jar: jarNames(c) });
      step("B is active", await c.request("/api/auth/get-session"));
      step("revoke the last one: signed out", await c.post("/api/auth/multi-session/revoke", { sessionToken: inB.data.token }), { jar: jarNames(c) });
      step("signed out", await c.request("/api/auth/get-session"));
      step("list empty", await c.request("/api/auth/multi-session/list-device-sessions"));
    });
  });

  it("sign-out ends every account on the device and leaves forged cookies alone", async () => {
    const tag = Date.now().toString(36);
    await assertSameSteps(servers, async (server, rawStep) => {
      const { label, view, jarNames } = labeller();
      const step = (name, r, extra = {}) => rawStep(name, view(r), { emails: emailsOf(r), ...extra });
      const fresh = () => new Client(server.url);
      const email = (n) => `so-${n}-${tag}@example.com`;
      const c = fresh();
      const a = await c.post("/api/auth/sign-up/email", { name: "A", email: email("a"), password: "password123" });
      label(a.data.token, "a");
      const b = await c.post("/api/auth/sign-up/email", { name: "B", email: email("b"), password: "password123" });
      label(b.data.token, "b");
      const victim = fresh();
      const v = await victim.post("/api/auth/sign-up/email", { name: "V", email: email("v"), password: "password123" });
      label(v.data.token, "v");
      const stale = c.cookieHeader();
      const forged = `${MULTI}${v.data.token.toLowerCase()}=${v.data.token}.${"A".repeat(43)}=`;
      step("sign-out with a forged victim cookie", await c.post("/api/auth/sign-out", {}, { headers: { cookie: `${stale}; ${forged}` } }), { jar: jarNames(c) });
      step("list with the old cookies", await fresh().request("/api/auth/multi-session/list-device-sessions", { headers: { cookie: stale } }));
      step("list with the new jar", await c.request("/api/auth/multi-session/list-device-sessions"));
      step("the victim is still signed in", await victim.request("/api/auth/get-session"));
      step("sign-out without cookies", await fresh().post("/api/auth/sign-out", {}));
      // After hooks run on errors too: a bad body still signs every account out.
      const d = fresh();
      const dd = await d.post("/api/auth/sign-up/email", { name: "D", email: email("d"), password: "password123" });
      label(dd.data.token, "d");
      step("sign-out with a bad body", await d.post("/api/auth/sign-out", { callbackURL: 5 }));
      step("D is gone", await fresh().request("/api/auth/multi-session/list-device-sessions", { headers: { cookie: d.cookieHeader() } }));
    });
  });

  it("set-active and revoke go by the cookie's signed value, not the body's token", async () => {
    const tag = Date.now().toString(36);
    await assertSameSteps(servers, async (server, rawStep) => {
      const { label, view } = labeller();
      const step = (name, r, extra = {}) => rawStep(name, view(r), { emails: emailsOf(r), ...extra });
      const fresh = () => new Client(server.url);
      const email = (n) => `bind-${n}-${tag}@example.com`;
      const attacker = fresh();
      const at = await attacker.post("/api/auth/sign-up/email", { name: "M", email: email("m"), password: "password123" });
      label(at.data.token, "m");
      const other = fresh();
      const ot = await other.post("/api/auth/sign-up/email", { name: "O", email: email("o"), password: "password123" });
      label(ot.data.token, "o");
      const [, mine] = multiCookie(attacker, at.data.token);
      const planted = `${attacker.jar.has(TOKEN_COOKIE) ? `${TOKEN_COOKIE}=${attacker.jar.get(TOKEN_COOKIE)}; ` : ""}${MULTI}${ot.data.token.toLowerCase()}=${mine}`;
      step("set-active other's name, own cookie", await fresh().post("/api/auth/multi-session/set-active", { sessionToken: ot.data.token }, { headers: { cookie: planted } }));
      step("revoke other's name, own cookie", await fresh().post("/api/auth/multi-session/revoke", { sessionToken: ot.data.token }, { headers: { cookie: planted } }));
      step("the other session is intact", await other.request("/api/auth/get-session"));
    });
  });

  it("concurrent revokes and sign-ins on one device end as upstream's", async () => {
    const tag = Date.now().toString(36);
    await assertSameSteps(servers, async (server, step) => {
      const c = new Client(server.url);
      const email = `race-${tag}@example.com`;
      const a = await c.post("/api/auth/sign-up/email", { name: "R", email, password: "password123" });
      const header = c.cookieHeader();
      const signIns = await Promise.all(Array.from({ length: 4 }, () => new Client(server.url).post("/api/auth/sign-in/email", { email, password: "password123" }, { headers: { cookie: header } })));
      // Whether each still finds the old session to expire is timing; each gets its own cookie.
      const own = (r) => r.cookies[`${MULTI}${r.data.token.toLowerCase()}`]?.maxAge;
      const old = (r) => r.cookies[`${MULTI}${a.data.token.toLowerCase()}`]?.maxAge;
      for (const r of signIns) assert.ok(old(r) === undefined || old(r) === 0, "only the old multi cookie may be expired");
      step("concurrent sign-ins", { status: 200, headers: new Headers(), cookies: {}, data: signIns.map((r) => [r.status, own(r)]) });
      step("the first session was replaced", await new Client(server.url).request("/api/auth/get-session", { headers: { cookie: header } }));
      const b = new Client(server.url);
      const bb = await b.post("/api/auth/sign-up/email", { name: "S", email: `race2-${tag}@example.com`, password: "password123" });
      const revokes = await Promise.all(Array.from({ length: 5 }, () => b.post("/api/auth/multi-session/revoke", { sessionToken: bb.data.token })));
      // Which ones still find the session valid is timing; each answer is one of these two.
      const outcomes = revokes.map((r) => JSON.stringify([r.status, r.data]));
      const allowed = [JSON.stringify([200, { status: true }]), JSON.stringify([401, { message: "Unauthorized", code: "UNAUTHORIZED" }])];
      assert.ok(outcomes.every((o) => allowed.includes(o)) && outcomes.includes(allowed[0]), outcomes.join(" "));
      step("after concurrent revokes", await b.request("/api/auth/get-session", { headers: { cookie: header.replace(/^[^;]*/, `better-auth.session_token=${b.jar.get(TOKEN_COOKIE) ?? "x"}`) } }));
      assert.ok(a.data.token);
    });
  });

  it("auth.api names, error codes and headers-required as upstream", async () => {
    const results = {};
    for (const impl of ["upstream", "ours"]) {
      const { auth, url } = servers[impl];
      const c = new Client(url);
      const up = await c.post("/api/auth/sign-up/email", { name: "Api", email: `api-${impl}-${Date.now()}@example.com`, password: "password123" });
      const headers = new Headers({ cookie: c.cookieHeader() });
      const list = await auth.api.listDeviceSessions({ headers });
      const active = await auth.api.setActiveSession({ headers, body: { sessionToken: up.data.token } });
      const noHeaders = await auth.api.setActiveSession({ body: { sessionToken: "x" } }).catch((e) => [e.statusCode, e.body]);
      const badBody = await auth.api.setActiveSession({ body: {} }).catch((e) => [e.statusCode, e.body]);
      const revoke = await auth.api.revokeDeviceSession({ headers, body: { sessionToken: "nope" } }).catch((e) => [e.statusCode, e.body]);
      const revoked = await auth.api.revokeDeviceSession({ headers, body: { sessionToken: up.data.token }, returnHeaders: true });
      results[impl] = {
        list: list.map((s) => [s.user.email.startsWith("api-"), s.session.expiresAt instanceof Date]),
        active: [active.user.name, active.session.token === up.data.token],
        noHeaders,
        badBody,
        revoke,
        revoked: [revoked.response, Object.keys(parseSetCookies(revoked.headers.getSetCookie())).map((n) => n.replace(/_multi-.*/, "_multi-*")).sort()],
        code: { ...auth.$ERROR_CODES.INVALID_SESSION_TOKEN, toString: undefined },
      };
    }
    assert.deepEqual(results.ours, results.upstream);
  });

  it("the official client plugin lists, switches and revokes", async () => {
    const results = {};
    for (const impl of ["upstream", "ours"]) {
      const { fetchImpl: customFetchImpl, jar } = browserLikeFetch();
      const client = createAuthClient({ baseURL: servers[impl].url, plugins: [multiSessionClient()], fetchOptions: { customFetchImpl } });
      const tag = `${impl}-${Date.now()}`;
      const a = await client.signUp.email({ name: "A", email: `cl-a-${tag}@example.com`, password: "password123" });
      const b = await client.signUp.email({ name: "B", email: `cl-b-${tag}@example.com`, password: "password123" });
      const listed = await client.multiSession.listDeviceSessions();
      const set = await client.multiSession.setActive({ sessionToken: a.data.token });
      const session = await client.getSession();
      const bad = await client.multiSession.setActive({ sessionToken: "nope" });
      const revoked = await client.multiSession.revoke({ sessionToken: b.data.token });
      const after = await client.multiSession.listDeviceSessions();
      results[impl] = {
        listed: listed.data.map((s) => s.user.name),
        set: set.data.user.name,
        active: session.data.user.name,
        bad: [bad.error.status, bad.error.code, bad.error.message],
        revoked: revoked.data,
        after: after.data.map((s) => s.user.name),
        multiCookies: [...jar.keys()].filter((n) => n.includes("_multi-")).length,
      };
    }
    assert.deepEqual(results.ours, results.upstream);
    assert.deepEqual(results.ours.listed, ["A", "B"]);
  });
});

describe("multi-session with other plugins' sign-ins, as upstream", () => {
  it("a session from /one-time-token/verify joins the device's list", async () => {
    const servers = await startBoth((p) => ({ plugins: [p.oneTimeToken(), p.multiSession()] }));
    try {
      const tag = Date.now().toString(36);
      await assertSameSteps(servers, async (server, rawStep) => {
        const { label, view, jarNames } = labeller();
        const step = (name, r, extra = {}) => rawStep(name, view(r), { emails: emailsOf(r), ...extra });
        const elsewhere = new Client(server.url);
        const a = await elsewhere.post("/api/auth/sign-up/email", { name: "A", email: `ott-a-${tag}@example.com`, password: "password123" });
        label(a.data.token, "a");
        const device = new Client(server.url);
        const b = await device.post("/api/auth/sign-up/email", { name: "B", email: `ott-b-${tag}@example.com`, password: "password123" });
        label(b.data.token, "b");
        const { data } = await elsewhere.request("/api/auth/one-time-token/generate");
        step("verify on the device", await device.post("/api/auth/one-time-token/verify", { token: data.token }), { jar: jarNames(device) });
        step("both listed", await device.request("/api/auth/multi-session/list-device-sessions"));
      });
    } finally {
      await Promise.all(Object.values(servers).map((s) => s.close()));
    }
  });
});

describe("multi-session options, as upstream", () => {
  it("maximumSessions: undefined lifts the limit; secure cookies are expired by their name on sign-out", async () => {
    const servers = await startBoth((p) => ({ plugins: [p.multiSession({ maximumSessions: undefined })], advanced: { useSecureCookies: true } }));
    try {
      const tag = Date.now().toString(36);
      await assertSameSteps(servers, async (server, step) => {
        const c = new Client(server.url);
        for (let i = 0; i < 7; i++) await c.post("/api/auth/sign-up/email", { name: `U${i}`, email: `max-${i}-${tag}@example.com`, password: "password123" });
        const list = await c.request("/api/auth/multi-session/list-device-sessions");
        step("seven listed", list, { names: list.data.map((s) => s.user.name) });
        const out = await c.post("/api/auth/sign-out", {});
        step("sign-out", { ...out, cookies: {} }, { expired: Object.entries(out.cookies).map(([n, k]) => [n.replace(/_multi-.*/, "_multi-*"), k.maxAge, [...k.attributes].sort()]).sort() });
        step("nothing left", await c.request("/api/auth/multi-session/list-device-sessions"));
      });
    } finally {
      await Promise.all(Object.values(servers).map((s) => s.close()));
    }
  });

  it("maximumSessions: 1 keeps one multi cookie per device", async () => {
    const servers = await startBoth((p) => ({ plugins: [p.multiSession({ maximumSessions: 1 })] }));
    try {
      const tag = Date.now().toString(36);
      await assertSameSteps(servers, async (server, step) => {
        const c = new Client(server.url);
        for (let i = 0; i < 3; i++) {
          const r = await c.post("/api/auth/sign-up/email", { name: `U${i}`, email: `one-${i}-${tag}@example.com`, password: "password123" });
          step(`sign-up ${i}`, { ...r, cookies: {} }, { cookies: Object.keys(r.cookies).map((n) => n.replace(/_multi-.*/, "_multi-*")).sort() });
        }
        const list = await c.request("/api/auth/multi-session/list-device-sessions");
        step("list", list, { names: list.data.map((s) => s.user.name) });
      });
    } finally {
      await Promise.all(Object.values(servers).map((s) => s.close()));
    }
  });

  it("options are strict", async () => {
    const { multiSession } = await pluginsOf("ours");
    const { betterAuth } = await import("../../index.js");
    assert.throws(() => betterAuth({ database: "sqlite::memory:", plugins: [multiSession({ maximumSession: 3 })] }), /unknown option `plugins\[multi-session\]\.maximumSession`/);
    assert.throws(() => betterAuth({ database: "sqlite::memory:", plugins: [multiSession({ maximumSessions: "3" })] }), /invalid option `plugins\[multi-session\]\.maximumSessions`: expected a number/);
    const server = await startServer({ options: { plugins: [multiSession()] } });
    try {
      // Default 5: the sixth account is not listed.
      const c = new Client(server.url);
      for (let i = 0; i < 6; i++) await c.post("/api/auth/sign-up/email", { name: `D${i}`, email: `def-${i}-${Date.now()}@example.com`, password: "password123" });
      const list = await c.request("/api/auth/multi-session/list-device-sessions");
      assert.deepEqual(list.data.map((s) => s.user.name), ["D0", "D1", "D2", "D3", "D4"]);
    } finally {
      await server.close();
    }
  });
});
