// anonymous: sign in without credentials, `isAnonymous` on the user, and the link when that
// browser signs in or up for real (onLinkAccount, the anonymous user deleted); against
// upstream, with the official client, over social sign-in, and on upstream's migration.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createAuthClient } from "better-auth/client";
import { anonymousClient } from "better-auth/client/plugins";
import { APIError } from "better-auth/api";
import { OAuth2Server } from "oauth2-mock-server";
import { Client, startServer, browserLikeFetch } from "../helpers.mjs";
import { createTestDatabase, upstreamMigrationPlan } from "../databases.mjs";
import { startBoth, assertSameSteps, pluginsOf, IMPLS } from "./differential.mjs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** Whether the server's database still has the user (both servers run on a SQLite file). */
function userExists(server, id) {
  const Database = require("better-sqlite3");
  const db = new Database(server.file, { readonly: true });
  try {
    return db.prepare(`select count(*) as n from "user" where id = ?`).get(id).n === 1;
  } finally {
    db.close();
  }
}

const PASSWORD = "password123";

/** Generated ids inside emails (`<id>@anonymous.placeholder.invalid`) differ by nature. */
function masked(value) {
  if (Array.isArray(value)) return value.map(masked);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, masked(v)]));
  if (typeof value === "string" && value.includes("@")) return value.replace(/[a-z0-9]{32}/g, "<id>");
  return value;
}
const mask = (r) => ({ ...r, data: masked(r.data) });

/** What onLinkAccount saw, reduced to what both implementations must agree on. */
function linkSummary({ anonymousUser, newUser, ctx }) {
  return {
    anonymousIsAnonymous: anonymousUser.user.isAnonymous,
    anonymousEmail: masked(anonymousUser.user.email),
    anonymousSessionIsTheirs: anonymousUser.session.userId === anonymousUser.user.id,
    newEmail: newUser.user.email,
    newIsAnonymous: newUser.user.isAnonymous,
    newSessionIsTheirs: newUser.session.userId === newUser.user.id,
    dates: [anonymousUser.user.createdAt, anonymousUser.session.expiresAt, newUser.user.createdAt, newUser.session.expiresAt].every((d) => d instanceof Date),
    path: ctx?.path,
  };
}

describe("anonymous plugin, as upstream", () => {
  let servers;
  const links = { upstream: [], ours: [] };
  before(async () => {
    // Upstream's own suite renames the column (anon.test.ts).
    servers = await startBoth((p, impl) => ({
      plugins: [p.anonymous({ onLinkAccount: (data) => { links[impl].push(data); }, schema: { user: { fields: { isAnonymous: "is_anon" } } } })],
    }));
  });
  after(() => Promise.all(Object.values(servers).map((s) => s.close())));

  it("gives the same answers step by step", async () => {
    const tag = Date.now().toString(36);
    await assertSameSteps(servers, async (server, step, impl) => {
      const fresh = () => new Client(server.url);
      const a = fresh();
      const signedIn = step("sign in anonymously", mask(await a.post("/api/auth/sign-in/anonymous", {})));
      assert.match(signedIn.data.user.email, /^<id>@anonymous\.placeholder\.invalid$/);
      step("session shows isAnonymous", mask(await a.request("/api/auth/get-session")));
      step("sign in anonymously again", await a.post("/api/auth/sign-in/anonymous", {}));
      const anonCookie = a.cookieHeader();
      links[impl].length = 0;
      step("sign up for real from the anonymous browser", await a.post("/api/auth/sign-up/email", { name: "Real", email: `real-${tag}@example.com`, password: PASSWORD }));
      assert.equal(links[impl].length, 1, "onLinkAccount called once");
      const link = links[impl][0];
      assert.equal(link.anonymousUser.user.id, signedIn.data.user.id);
      assert.equal(userExists(server, signedIn.data.user.id), false, "the anonymous user is deleted");
      assert.equal(userExists(server, link.newUser.user.id), true);
      step("onLinkAccount saw both users", { status: 200, headers: new Headers(), data: linkSummary(link), cookies: {} });
      step("the real session", await a.request("/api/auth/get-session"));
      const gone = step("the anonymous user is gone", await fresh().request("/api/auth/get-session", { headers: { cookie: anonCookie } }));
      assert.equal(gone.data, null);
      step("sign-up cannot set isAnonymous", await fresh().post("/api/auth/sign-up/email", { name: "X", email: `set-${tag}@example.com`, password: PASSWORD, isAnonymous: true }));

      step("delete-anonymous-user, not anonymous", await a.post("/api/auth/delete-anonymous-user", {}));
      step("delete-anonymous-user, signed out", await fresh().post("/api/auth/delete-anonymous-user", {}));
      const b = fresh();
      const bId = (await b.post("/api/auth/sign-in/anonymous", {})).data.user.id;
      const bCookie = b.cookieHeader();
      step("delete-anonymous-user", await b.post("/api/auth/delete-anonymous-user", {}));
      assert.equal(userExists(server, bId), false);
      step("after delete-anonymous-user", await b.request("/api/auth/get-session"));
      step("the deleted user's cookie", await fresh().request("/api/auth/get-session", { headers: { cookie: bCookie } }));

      // A real session does not block: a new anonymous user replaces it.
      step("sign in anonymously while signed in for real", mask(await a.post("/api/auth/sign-in/anonymous", {})));
      step("now anonymous", mask(await a.request("/api/auth/get-session")));
      links[impl].length = 0;
      step("sign in for real from the anonymous browser", await a.post("/api/auth/sign-in/email", { email: `real-${tag}@example.com`, password: PASSWORD }));
      assert.equal(links[impl].length, 1, "linked on sign-in");
      step("linked again", { status: 200, headers: new Headers(), data: links[impl].map(linkSummary), cookies: {} });
      step("failed sign-in from an anonymous browser", mask(await (async () => {
        const c = fresh();
        await c.post("/api/auth/sign-in/anonymous", {});
        await c.post("/api/auth/sign-in/email", { email: `real-${tag}@example.com`, password: "wrong-password" });
        return c.request("/api/auth/get-session");
      })()));

      step("sign-in/anonymous with an array body", mask(await fresh().post("/api/auth/sign-in/anonymous", [1])));
      step("sign-in/anonymous without a body", mask(await fresh().request("/api/auth/sign-in/anonymous", { method: "POST" })));
      step("sign-in/anonymous text/plain", await fresh().request("/api/auth/sign-in/anonymous", { method: "POST", headers: { "content-type": "text/plain" }, body: "x" }));
      step("GET sign-in/anonymous", await fresh().request("/api/auth/sign-in/anonymous"));
    });
  });

  it("$ERROR_CODES include the plugin's", () => {
    const plain = ({ code, message }) => ({ code, message });
    for (const [code, entry] of Object.entries(servers.upstream.auth.$ERROR_CODES)) {
      assert.deepEqual(plain(servers.ours.auth.$ERROR_CODES[code] ?? {}), plain(entry), code);
    }
  });

  it("auth.api.signInAnonymous and deleteAnonymousUser work server side", async () => {
    const { auth } = servers.ours;
    const { headers, response } = await auth.api.signInAnonymous({ headers: new Headers(), returnHeaders: true });
    assert.equal(response.user.isAnonymous, true);
    assert.ok(response.user.createdAt instanceof Date);
    const cookie = headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
    assert.deepEqual(await auth.api.deleteAnonymousUser({ headers: new Headers({ cookie }) }), { success: true });
    assert.equal(await auth.api.getSession({ headers: new Headers({ cookie }) }), null);
  });

  it("a stale session cookie does not cost the new session its cookie (upstream loses it)", async () => {
    // Upstream's after hook re-runs getSession, whose clearing of the stale cookie also
    // drops the one the response sets; ours reads the request's session without side effects.
    const server = servers.ours;
    const a = new Client(server.url);
    await a.post("/api/auth/sign-in/anonymous", {});
    const stale = a.cookieHeader();
    await a.post("/api/auth/delete-anonymous-user", {});
    const again = await new Client(server.url).post("/api/auth/sign-in/anonymous", {}, { headers: { cookie: stale } });
    assert.equal(again.status, 200);
    assert.ok(again.cookies["better-auth.session_token"]?.value, again.setCookies.join("\n"));
    const session = await new Client(server.url).request("/api/auth/get-session", { headers: { cookie: `better-auth.session_token=${again.cookies["better-auth.session_token"].value}` } });
    assert.equal(session.data.user.id, again.data.user.id);
  });
});

describe("anonymous options, as upstream", () => {
  let servers;
  const mode = { upstream: "", ours: "" };
  const names = { upstream: [], ours: [] };
  before(async () => {
    servers = await startBoth((p, impl) => ({
      plugins: [
        p.anonymous({
          emailDomainName: "guests.example.com",
          generateName: (ctx) => {
            names[impl].push(ctx.path);
            if (mode[impl] === "name throws") throw new Error("no name");
            if (mode[impl] === "name refuses") throw new APIError("FORBIDDEN", { message: "No guests today" });
            return mode[impl] === "empty name" ? "" : "Guest";
          },
          generateRandomEmail: () => ({ custom: "Custom.Guest@Example.com", invalid: "not-an-email", number: 5, taken: "taken@example.com" })[mode[impl]],
          onLinkAccount: () => {
            if (mode[impl] === "link refuses") throw new APIError("CONFLICT", { message: "Not now", code: "NOT_NOW" });
            if (mode[impl] === "link throws") throw new Error("link failed");
          },
          disableDeleteAnonymousUser: true,
        }),
      ],
    }));
  });
  after(() => Promise.all(Object.values(servers).map((s) => s.close())));

  it("names, emails, failures and disableDeleteAnonymousUser", async () => {
    const tag = Date.now().toString(36);
    await assertSameSteps(servers, async (server, step, impl) => {
      const fresh = () => new Client(server.url);
      const signIn = async (m, client = fresh()) => {
        mode[impl] = m;
        const r = mask(await client.post("/api/auth/sign-in/anonymous", {}));
        mode[impl] = "";
        return r;
      };
      const a = fresh();
      step("emailDomainName and generateName", await signIn("", a));
      step("generateName empty", await signIn("empty name"));
      step("generateName throws", await signIn("name throws"));
      step("generateName throws an APIError", await signIn("name refuses"));
      step("generateRandomEmail", await signIn("custom"));
      step("generateRandomEmail invalid", await signIn("invalid"));
      step("generateRandomEmail not a string", await signIn("number"));
      step("generateRandomEmail taken", await signIn("taken"));
      step("generateRandomEmail taken again", await signIn("taken"));
      step("generateName got the endpoint path", { status: 200, headers: new Headers(), data: [...new Set(names[impl])], cookies: {} });
      step("delete-anonymous-user disabled", await a.post("/api/auth/delete-anonymous-user", {}));
      const anonCookie = a.cookieHeader();
      step("link keeps the anonymous user", await a.post("/api/auth/sign-up/email", { name: "R", email: `keep-${tag}@example.com`, password: PASSWORD }));
      const stays = step("the anonymous user stays", mask(await fresh().request("/api/auth/get-session", { headers: { cookie: anonCookie } })));
      assert.equal(stays.data?.user.isAnonymous, true);
      assert.equal(userExists(server, stays.data.user.id), true);

      const b = fresh();
      await signIn("", b);
      mode[impl] = "link refuses";
      step("onLinkAccount throws an APIError", await b.post("/api/auth/sign-up/email", { name: "R", email: `refused-${tag}@example.com`, password: PASSWORD }));
      mode[impl] = "";
      step("signed in anyway", await b.request("/api/auth/get-session"));
      const c = fresh();
      await signIn("", c);
      mode[impl] = "link throws";
      step("onLinkAccount throws", await c.post("/api/auth/sign-up/email", { name: "R", email: `thrown-${tag}@example.com`, password: PASSWORD }));
      mode[impl] = "";
      step("still anonymous", mask(await c.request("/api/auth/get-session")));
    });
  });

  it("unknown and invalid options are errors", async () => {
    const { anonymous } = await pluginsOf("ours");
    const start = (options) => startServer({ options: { plugins: [anonymous(options)] } });
    await assert.rejects(start({ emailDomain: "x.test" }), /unknown option `plugins\[anonymous\]\.emailDomain`/);
    await assert.rejects(start({ disableDeleteAnonymousUser: "yes" }), /plugins\[anonymous\]\.disableDeleteAnonymousUser`: expected true or false/);
    await assert.rejects(start({ onLinkAccount: true }), /plugins\[anonymous\]\.onLinkAccount`: expected a function/);
    await assert.rejects(start({ schema: { user: { fields: { anonymous: "x" } } } }), /unknown option `plugins\[anonymous\]\.schema\.user\.fields\.anonymous`/);
    await assert.rejects(start({ schema: { user: { fields: { isAnonymous: "is anon" } } } }), /plugins\[anonymous\]\.schema\.user\.fields\.isAnonymous`/);
  });
});

describe("anonymous linking over social sign-in, as upstream", () => {
  let idp;
  let servers;
  const links = { upstream: [], ours: [] };
  before(async () => {
    idp = new OAuth2Server();
    await idp.issuer.keys.generate("RS256");
    await idp.start(0, "127.0.0.1");
    const issuer = idp.issuer.url;
    servers = await startBoth((p, impl) => ({
      plugins: [
        p.genericOAuth({ config: [{ providerId: "mock", clientId: "client-1", clientSecret: "secret-1", authorizationUrl: `${issuer}/authorize`, tokenUrl: `${issuer}/token`, userInfoUrl: `${issuer}/userinfo`, scopes: ["openid", "email"] }] }),
        p.anonymous({ onLinkAccount: (data) => { links[impl].push(data); } }),
      ],
    }));
  });
  after(async () => {
    await Promise.all(Object.values(servers).map((s) => s.close()));
    await idp.stop();
  });

  it("the callback links and deletes the anonymous user", async () => {
    await assertSameSteps(servers, async (server, step, impl) => {
      const email = `social-${impl}-${Date.now()}@example.com`;
      idp.service.removeAllListeners("beforeTokenSigning");
      idp.service.on("beforeTokenSigning", (token) => Object.assign(token.payload, { email, email_verified: true, name: "Social" }));
      const a = new Client(server.url);
      await a.post("/api/auth/sign-in/anonymous", {});
      const anonCookie = a.cookieHeader();
      const start = await a.post("/api/auth/sign-in/social", { provider: "mock", callbackURL: "/dashboard" });
      const authorize = await fetch(start.data.url, { redirect: "manual" });
      const back = new URL(authorize.headers.get("location"));
      step("callback", await a.request(back.pathname + back.search));
      assert.equal(links[impl].length, 1, "linked on the callback");
      assert.equal(userExists(server, links[impl][0].anonymousUser.user.id), false);
      step("linked", { status: 200, headers: new Headers(), data: links[impl].map((l) => ({ ...linkSummary(l), newEmail: l.newUser.user.email === email })), cookies: {} });
      step("signed in as the social user", await a.request("/api/auth/get-session").then((r) => ({ ...r, data: { email: r.data?.user.email === email, isAnonymous: r.data?.user.isAnonymous } })));
      const gone = step("the anonymous user is gone", await new Client(server.url).request("/api/auth/get-session", { headers: { cookie: anonCookie } }));
      assert.equal(gone.data, null);
    });
  });
});

describe("anonymous with the official client and upstream's migration", () => {
  it("anonymousClient signs in, is refused a second time and deletes the user", async () => {
    const { anonymous } = await pluginsOf("ours");
    const server = await startServer({ options: { plugins: [anonymous()] } });
    try {
      const { fetchImpl: customFetchImpl } = browserLikeFetch();
      const client = createAuthClient({ baseURL: server.url, plugins: [anonymousClient()], fetchOptions: { customFetchImpl } });
      const signedIn = await client.signIn.anonymous();
      assert.equal(signedIn.error, null, JSON.stringify(signedIn.error));
      assert.equal(signedIn.data.user.isAnonymous, true);
      assert.match(signedIn.data.user.email, /^[a-z0-9]{32}@anonymous\.placeholder\.invalid$/);
      const session = await client.getSession();
      assert.equal(session.data.user.id, signedIn.data.user.id);
      assert.equal(session.data.user.isAnonymous, true);
      const again = await client.signIn.anonymous();
      assert.equal(again.data, null);
      assert.equal(again.error.message, "Anonymous users cannot sign in again anonymously");
      assert.equal(again.error.code, "ANONYMOUS_USERS_CANNOT_SIGN_IN_AGAIN_ANONYMOUSLY");
      const deleted = await client.deleteAnonymousUser();
      assert.deepEqual(deleted.data, { success: true });
      assert.equal((await client.getSession()).data, null);
    } finally {
      await server.close();
    }
  });

  it("our migration is upstream's: a new table, and the column added to an existing one", async () => {
    const { anonymous: ours } = await pluginsOf("ours");
    const { anonymous: theirs } = await pluginsOf("upstream");
    const schema = { user: { fields: { isAnonymous: "is_anon" } } };
    const columns = async (db) => (await db.query(`select name, type, "notnull", dflt_value from pragma_table_info('user') where name = 'is_anon'`));
    const plans = {};
    const added = {};
    for (const impl of IMPLS) {
      const db = await createTestDatabase("sqlite");
      // First without the plugin, then with it: the column is added to the existing table.
      const plain = await startServer({ impl, database: db });
      // Ours migrates on first use.
      await new Client(plain.url).post("/api/auth/sign-up/email", { name: "P", email: `plain-${impl}@example.com`, password: PASSWORD });
      await plain.close();
      const server = await startServer({ impl, database: db, options: { plugins: [(impl === "ours" ? ours : theirs)({ schema })] } });
      const r = await new Client(server.url).post("/api/auth/sign-in/anonymous", {});
      assert.equal(r.data.user.isAnonymous, true);
      await server.close();
      plans[impl] = await upstreamMigrationPlan(db, { plugins: [theirs({ schema })] });
      added[impl] = await columns(db);
      const created = await createTestDatabase("sqlite");
      const c = await startServer({ impl, database: created, options: { plugins: [(impl === "ours" ? ours : theirs)({ schema })] } });
      await new Client(c.url).post("/api/auth/sign-in/anonymous", {});
      await c.close();
      added[`${impl} new table`] = await columns(created);
      await db.drop();
      await created.drop();
    }
    assert.deepEqual(plans.ours, { created: [], added: [], indexes: [] });
    assert.deepEqual(added.ours, added.upstream);
    assert.deepEqual(added["ours new table"], added["upstream new table"]);
  });
});
