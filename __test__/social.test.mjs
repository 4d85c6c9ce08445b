// Social sign-on against a real OAuth 2.0 / OIDC server on loopback (oauth2-mock-server): the
// same flow through upstream better-auth (its genericOAuth plugin) and ours, step by step.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { OAuth2Server } from "oauth2-mock-server";
import { createRequire } from "node:module";
import { startServer, Client, uniqueEmail, tempDbFile } from "./helpers.mjs";

let idp;
/** Claims the mock server puts in its next tokens. */
let claims = {};

before(async () => {
  idp = new OAuth2Server();
  await idp.issuer.keys.generate("RS256");
  await idp.start(0, "127.0.0.1");
  idp.service.on("beforeTokenSigning", (token) => Object.assign(token.payload, claims));
});
after(() => idp.stop());

const issuer = () => idp.issuer.url;
const providerConfig = (extra = {}) => ({
  providerId: "mock",
  clientId: "client-1",
  clientSecret: "secret-1",
  authorizationUrl: `${issuer()}/authorize`,
  tokenUrl: `${issuer()}/token`,
  userInfoUrl: `${issuer()}/userinfo`,
  scopes: ["openid", "email", "profile"],
  ...extra,
});

async function serve(impl, extra = {}) {
  const { genericOAuth } = impl === "ours" ? await import("../plugins.js") : await import("better-auth/plugins");
  return startServer({ impl, options: { plugins: [genericOAuth({ config: [providerConfig(extra)] })] } });
}

/** One social sign-in through the browser's steps; the callback's answer. */
async function socialSignIn(client, body = {}) {
  const start = await client.post("/api/auth/sign-in/social", { provider: "mock", callbackURL: "/dashboard", newUserCallbackURL: "/welcome", ...body });
  assert.equal(start.status, 200, start.text);
  const authorize = await fetch(start.data.url, { redirect: "manual" });
  const back = new URL(authorize.headers.get("location"));
  const callback = await client.request(back.pathname + back.search);
  return { start, back, callback };
}

/** What must be the same on both servers (ids, tokens and ports differ). */
function summarize({ start, callback }) {
  const url = new URL(start.data.url);
  return {
    startBody: Object.keys(start.data).sort(),
    redirect: start.data.redirect,
    location: start.headers.get("location") === start.data.url,
    params: [...url.searchParams.keys()],
    scope: url.searchParams.get("scope"),
    stateCookie: Object.entries(start.cookies).map(([name, c]) => [name, [...c.attributes].sort(), c.maxAge]),
    callbackStatus: callback.status,
    callbackLocation: callback.headers.get("location"),
    callbackCookies: Object.keys(callback.cookies).sort(),
  };
}

describe("social sign-in against an OIDC server, as upstream", () => {
  const servers = [];
  after(() => Promise.all(servers.map((s) => s.close())));

  it("signs up, signs in again and lists the account the same way", async () => {
    const results = {};
    for (const impl of ["upstream", "ours"]) {
      const server = await serve(impl);
      servers.push(server);
      const email = uniqueEmail(`social-${impl}`);
      claims = { email, email_verified: true, name: "Mock User", picture: "https://example.com/p.png" };
      const client = new Client(server.url);
      const first = await socialSignIn(client);
      const session = await client.request("/api/auth/get-session");
      const accounts = await client.request("/api/auth/list-accounts");
      const again = await socialSignIn(new Client(server.url));
      results[impl] = {
        first: summarize(first),
        again: summarize(again),
        user: { ...session.data?.user, id: typeof session.data?.user.id, createdAt: typeof session.data?.user.createdAt, updatedAt: "", email: session.data?.user.email === email },
        accounts: accounts.data.map((a) => ({ providerId: a.providerId, accountId: a.accountId, scopes: a.scopes })),
        pkce: first.start.data.url.includes("code_challenge_method=S256"),
        row: first.back.searchParams.get("state") === new URL(first.start.data.url).searchParams.get("state"),
      };
    }
    assert.deepEqual(results.ours, results.upstream);
    assert.equal(results.ours.first.callbackLocation, "/welcome");
    assert.equal(results.ours.again.callbackLocation, "/dashboard");
    assert.equal(results.ours.user.emailVerified, true);
    // The scope the token endpoint granted (the mock grants "dummy"), stored as upstream stores it.
    assert.deepEqual(results.ours.accounts, [{ providerId: "mock", accountId: "johndoe", scopes: ["dummy"] }]);
  });

  it("refuses tampered, missing and replayed state, and passes provider errors on, as upstream", async () => {
    const outcomes = {};
    for (const impl of ["upstream", "ours"]) {
      const server = await serve(impl);
      servers.push(server);
      claims = { email: uniqueEmail(`state-${impl}`), email_verified: true, name: "S" };
      const location = (r) => {
        const l = r.headers.get("location") ?? "";
        return l.replace(server.url, "") + ` ${r.status}`;
      };
      const results = [];
      // No state cookie (another browser): state_mismatch, and nobody signed in.
      const a = new Client(server.url);
      const start = await a.post("/api/auth/sign-in/social", { provider: "mock", callbackURL: "/dashboard", errorCallbackURL: "/oops" });
      const back = new URL((await fetch(start.data.url, { redirect: "manual" })).headers.get("location"));
      const stranger = new Client(server.url);
      const r1 = await stranger.request(back.pathname + back.search);
      results.push(["other browser", location(r1), Object.keys(r1.cookies).filter((c) => c.includes("session_token"))]);
      // A forged state.
      results.push(["forged", location(await a.request(`/api/auth/callback/mock?code=x&state=${"A".repeat(32)}`))]);
      // No state at all.
      results.push(["missing", location(await a.request("/api/auth/callback/mock?code=x"))]);
      // The right browser still completes (the row was kept), then a replay fails.
      const ok = await a.request(back.pathname + back.search);
      results.push(["completes", location(ok)]);
      results.push(["replay", location(await a.request(back.pathname + back.search))]);
      // The provider's own error, with the state of a fresh flow.
      const b = new Client(server.url);
      const s2 = await b.post("/api/auth/sign-in/social", { provider: "mock", callbackURL: "/dashboard", errorCallbackURL: "/oops" });
      const state = new URL(s2.data.url).searchParams.get("state");
      results.push(["provider error", location(await b.request(`/api/auth/callback/mock?error=access_denied&error_description=no+way&state=${state}`))]);
      // Unknown provider.
      const unknown = await b.post("/api/auth/sign-in/social", { provider: "nope" });
      results.push(["unknown provider", unknown.status, unknown.data?.code]);
      // Reserved authorization parameters are refused.
      const reserved = await b.post("/api/auth/sign-in/social", { provider: "mock", additionalParams: { state: "x" } });
      results.push(["reserved param", reserved.status, reserved.data?.code]);
      outcomes[impl] = results;
    }
    assert.deepEqual(outcomes.ours, outcomes.upstream);
    assert.deepEqual(outcomes.ours.map((r) => r[1]).slice(0, 6), [
      "/oops?error=state_mismatch 302",
      "/api/auth/error?error=state_mismatch 302",
      "/api/auth/error?error=state_not_found 302",
      "/dashboard 302",
      "/api/auth/error?error=state_mismatch 302",
      "/oops?error=access_denied&error_description=no+way 302",
    ]);
  });

  it("links to an existing user only when both emails are verified, as upstream", async () => {
    const outcomes = {};
    for (const impl of ["upstream", "ours"]) {
      const server = await serve(impl);
      servers.push(server);
      const email = uniqueEmail(`link-${impl}`);
      const owner = new Client(server.url);
      assert.equal((await owner.post("/api/auth/sign-up/email", { name: "Owner", email, password: "password123" })).status, 200);
      claims = { email, email_verified: true, name: "Mock" };
      const refused = await socialSignIn(new Client(server.url), { errorCallbackURL: "/oops" });
      // The provider does not vouch for the email: never linked either.
      claims = { email: uniqueEmail(`new-${impl}`), email_verified: false, name: "Unverified" };
      const unverifiedNew = await socialSignIn(new Client(server.url));
      outcomes[impl] = [refused.callback.headers.get("location"), unverifiedNew.callback.headers.get("location")];
    }
    assert.deepEqual(outcomes.ours, outcomes.upstream);
    assert.deepEqual(outcomes.ours, ["/oops?error=account_not_linked", "/welcome"]);
  });

  it("maps the profile through mapProfileToUser and refuses a userinfo answer without an id, as upstream", async () => {
    const outcomes = {};
    for (const impl of ["upstream", "ours"]) {
      const server = await serve(impl, { mapProfileToUser: (profile) => ({ name: `${profile.given_name} ${profile.family_name}` }) });
      servers.push(server);
      claims = { email: uniqueEmail(`map-${impl}`), email_verified: true, given_name: "Ada", family_name: "Lovelace" };
      const c = new Client(server.url);
      await socialSignIn(c);
      const name = (await c.request("/api/auth/get-session")).data?.user.name;
      // No email in the ID token: the userinfo endpoint answers, with `sub` but no `id`.
      claims = {};
      const noId = await socialSignIn(new Client(server.url));
      outcomes[impl] = [name, noId.callback.headers.get("location")?.replace(server.url, "")];
    }
    assert.deepEqual(outcomes.ours, outcomes.upstream);
    assert.deepEqual(outcomes.ours, ["Ada Lovelace", "/api/auth/error?error=unable_to_get_user_info"]);
  });
});

describe("linking and provider tokens, as upstream", () => {
  const servers = [];
  after(() => Promise.all(servers.map((s) => s.close())));

  /** The authorize round trip for a flow already started (sign-in or link). */
  async function complete(client, start) {
    const authorize = await fetch(start.data.url, { redirect: "manual" });
    const back = new URL(authorize.headers.get("location"));
    return client.request(back.pathname + back.search);
  }

  it("links the provider to the signed-in user, refusing another email and another owner", async () => {
    const outcomes = {};
    for (const impl of ["upstream", "ours"]) {
      const server = await serve(impl);
      servers.push(server);
      const email = uniqueEmail(`linker-${impl}`);
      const c = new Client(server.url);
      assert.equal((await c.post("/api/auth/sign-up/email", { name: "Linker", email, password: "password123" })).status, 200);
      const steps = [];
      const unauthenticated = await new Client(server.url).post("/api/auth/link-social", { provider: "mock" });
      steps.push(["no session", unauthenticated.status, unauthenticated.data?.code]);
      // Another email at the provider: refused.
      claims = { email: uniqueEmail("elsewhere"), email_verified: true, name: "L" };
      let start = await c.post("/api/auth/link-social", { provider: "mock", callbackURL: "/linked", errorCallbackURL: "/oops" });
      steps.push(["start", start.status, Object.keys(start.data).sort(), start.headers.get("location") === start.data.url]);
      steps.push(["other email", (await complete(c, start)).headers.get("location")]);
      // The same email, unverified by the provider: refused.
      claims = { email, email_verified: false, name: "L" };
      start = await c.post("/api/auth/link-social", { provider: "mock", callbackURL: "/linked", errorCallbackURL: "/oops" });
      steps.push(["unverified", (await complete(c, start)).headers.get("location")]);
      // Verified and the same: linked, no new session.
      claims = { email, email_verified: true, name: "L" };
      start = await c.post("/api/auth/link-social", { provider: "mock", callbackURL: "/linked", errorCallbackURL: "/oops" });
      // The state row never holds the linking session's token in the clear.
      const sessionToken = decodeURIComponent(c.jar.get("better-auth.session_token")).split(".")[0];
      const stateRows = new (createRequire(import.meta.url)("better-sqlite3"))(server.file).prepare(`select "value" from "verification" where "identifier" like 'auth-state:%'`).all();
      steps.push(["sealed", stateRows.length > 0 && stateRows.every((r) => !r.value.includes(sessionToken))]);
      const linked = await complete(c, start);
      steps.push(["linked", linked.headers.get("location"), Object.keys(linked.cookies).filter((n) => n.includes("session_token"))]);
      const accounts = (await c.request("/api/auth/list-accounts")).data;
      steps.push(["accounts", accounts.map((a) => a.providerId).sort()]);
      // The same provider account for another user: already linked elsewhere.
      const other = new Client(server.url);
      const otherEmail = uniqueEmail(`other-${impl}`);
      await other.post("/api/auth/sign-up/email", { name: "Other", email: otherEmail, password: "password123" });
      claims = { email: otherEmail, email_verified: true, name: "O" };
      start = await other.post("/api/auth/link-social", { provider: "mock", callbackURL: "/linked", errorCallbackURL: "/oops" });
      steps.push(["taken", (await complete(other, start)).headers.get("location")]);
      outcomes[impl] = steps;
    }
    assert.deepEqual(outcomes.ours, outcomes.upstream);
    assert.deepEqual(outcomes.ours.map((s) => s[1]).slice(2), [
      "/oops?error=email_doesn't_match".replace("doesn't", "does_not"),
      "/oops?error=unable_to_link_account",
      true,
      "/linked",
      ["credential", "mock"],
      "/oops?error=account_already_linked_to_different_user",
    ]);
  });

  it("hands out, refreshes and describes the provider tokens", async () => {
    const outcomes = {};
    for (const impl of ["upstream", "ours"]) {
      const server = await serve(impl);
      servers.push(server);
      claims = { email: uniqueEmail(`tokens-${impl}`), email_verified: true, name: "T" };
      const c = new Client(server.url);
      await socialSignIn(c);
      const account = (await c.request("/api/auth/list-accounts")).data.find((a) => a.providerId === "mock");
      const steps = [];
      const access = await c.post("/api/auth/get-access-token", { accountId: account.id });
      steps.push(["access", access.status, Object.keys(access.data).sort(), access.data.scopes, typeof access.data.accessToken]);
      const refreshed = await c.post("/api/auth/refresh-token", { accountId: account.id });
      steps.push(["refresh", refreshed.status, Object.keys(refreshed.data).sort(), refreshed.data.accountId === account.id, typeof refreshed.data.accessToken]);
      const again = await c.post("/api/auth/get-access-token", { accountId: account.id });
      steps.push(["stored", again.data.accessToken === refreshed.data.accessToken]);
      const info = await c.request(`/api/auth/account-info?accountId=${account.id}`);
      steps.push(["info", info.status, Object.keys(info.data).sort(), info.data.account, info.data.data?.sub]);
      const unknown = await c.post("/api/auth/get-access-token", { accountId: "nope" });
      steps.push(["unknown", unknown.status, unknown.data?.code]);
      const strict = await c.post("/api/auth/get-access-token", { providerId: "mock" });
      steps.push(["strict", strict.status, strict.data?.code]);
      steps.push(["no session", (await new Client(server.url).post("/api/auth/get-access-token", { accountId: account.id })).status]);
      outcomes[impl] = steps.map((s) => JSON.parse(JSON.stringify(s).replaceAll(account.id, "<id>")));
    }
    assert.deepEqual(outcomes.ours, outcomes.upstream);
  });
});

describe("OpenID discovery: verified ID tokens and nonces, as upstream", () => {
  const servers = [];
  after(() => Promise.all(servers.map((s) => s.close())));
  const discovered = () => ({
    providerId: "oidc",
    clientId: "client-oidc",
    clientSecret: "secret-oidc",
    discoveryUrl: `${issuer()}/.well-known/openid-configuration`,
    scopes: ["email", "profile"],
  });
  async function serveDiscovered(impl) {
    const { genericOAuth } = impl === "ours" ? await import("../plugins.js") : await import("better-auth/plugins");
    const server = await startServer({ impl, options: { plugins: [genericOAuth({ config: [discovered()] })] } });
    servers.push(server);
    return server;
  }
  const mint = (payload, kid) => idp.issuer.buildToken({ kid, scopesOrTransform: (_header, p) => Object.assign(p, payload) });

  it("signs in through the code flow with a nonce-bound, verified ID token", async () => {
    const outcomes = {};
    for (const impl of ["upstream", "ours"]) {
      const server = await serveDiscovered(impl);
      const email = uniqueEmail(`oidc-${impl}`);
      claims = { email, email_verified: true, name: "Oidc User" };
      const c = new Client(server.url);
      const start = await c.post("/api/auth/sign-in/social", { provider: "oidc", callbackURL: "/dashboard", newUserCallbackURL: "/welcome" });
      const url = new URL(start.data.url);
      const authorize = await fetch(start.data.url, { redirect: "manual" });
      const back = new URL(authorize.headers.get("location"));
      const callback = await c.request(back.pathname + back.search);
      const session = await c.request("/api/auth/get-session");
      outcomes[impl] = {
        params: [...url.searchParams.keys()],
        scope: url.searchParams.get("scope"),
        nonce: url.searchParams.get("nonce")?.length,
        location: callback.headers.get("location"),
        user: session.data && { name: session.data.user.name, emailVerified: session.data.user.emailVerified, email: session.data.user.email === email },
        accounts: (await c.request("/api/auth/list-accounts")).data.map((a) => [a.providerId, a.accountId]),
      };
    }
    assert.deepEqual(outcomes.ours, outcomes.upstream);
    assert.equal(outcomes.ours.location, "/welcome");
    assert.equal(outcomes.ours.nonce, 32);
    assert.deepEqual(outcomes.ours.user, { name: "Oidc User", emailVerified: true, email: true });
  });

  it("signs in with an ID token the client holds, refusing forged, foreign and replayed-nonce tokens", async () => {
    const outcomes = {};
    for (const impl of ["upstream", "ours"]) {
      const server = await serveDiscovered(impl);
      const steps = [];
      const email = uniqueEmail(`idtoken-${impl}`);
      const good = await mint({ sub: `sub-${impl}`, aud: "client-oidc", email, email_verified: true, name: "Token User", nonce: "n-1" });
      const c = new Client(server.url);
      const signIn = await c.post("/api/auth/sign-in/social", { provider: "oidc", idToken: { token: good, nonce: "n-1" } });
      steps.push(["good", signIn.status, Object.keys(signIn.data ?? {}).sort(), signIn.data?.redirect, signIn.data?.user?.email === email, Object.keys(signIn.cookies).filter((n) => n.includes("session_token"))]);
      steps.push(["session", (await c.request("/api/auth/get-session")).data?.user.name]);
      const [h, p, sig] = good.split(".");
      const forgedPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, "base64url")), email: "victim@example.com" })).toString("base64url");
      const forged = await new Client(server.url).post("/api/auth/sign-in/social", { provider: "oidc", idToken: { token: `${h}.${forgedPayload}.${sig}` } });
      steps.push(["forged", forged.status, forged.data?.code]);
      const foreign = await mint({ sub: "x", aud: "someone-else", email: uniqueEmail("foreign"), email_verified: true });
      const r2 = await new Client(server.url).post("/api/auth/sign-in/social", { provider: "oidc", idToken: { token: foreign } });
      steps.push(["other audience", r2.status, r2.data?.code]);
      const r3 = await new Client(server.url).post("/api/auth/sign-in/social", { provider: "oidc", idToken: { token: good, nonce: "n-2" } });
      steps.push(["other nonce", r3.status, r3.data?.code]);
      const expired = await idp.issuer.buildToken({ expiresIn: -3600, scopesOrTransform: (_h, pl) => Object.assign(pl, { sub: "e", aud: "client-oidc", email: uniqueEmail("exp") }) });
      const r4 = await new Client(server.url).post("/api/auth/sign-in/social", { provider: "oidc", idToken: { token: expired } });
      steps.push(["expired", r4.status, r4.data?.code]);
      const future = Math.floor(Date.now() / 1000) + 3600;
      const early = await mint({ sub: "f", aud: "client-oidc", email: uniqueEmail("future"), iat: future, nbf: future });
      const r6 = await new Client(server.url).post("/api/auth/sign-in/social", { provider: "oidc", idToken: { token: early } });
      steps.push(["from the future", r6.status, r6.data?.code]);
      const r5 = await new Client(server.url).post("/api/auth/sign-in/social", { provider: "mock-none", idToken: { token: good } });
      steps.push(["unknown provider", r5.status, r5.data?.code]);
      // A refresh token the client sends along is not kept: only the provider's own would be used.
      const withRefresh = await mint({ sub: `rt-${impl}`, aud: "client-oidc", email: uniqueEmail(`rt-${impl}`), email_verified: true, name: "RT" });
      const rtClient = new Client(server.url);
      await rtClient.post("/api/auth/sign-in/social", { provider: "oidc", idToken: { token: withRefresh, refreshToken: "client-chosen" } });
      const rtAccount = (await rtClient.request("/api/auth/list-accounts")).data.find((a) => a.providerId === "oidc");
      const refreshed = await rtClient.post("/api/auth/refresh-token", { accountId: rtAccount.id });
      steps.push(["client refresh token", refreshed.status, refreshed.data?.code]);
      outcomes[impl] = steps;
    }
    assert.deepEqual(outcomes.ours, outcomes.upstream);
    assert.deepEqual(outcomes.ours[0].slice(1, 5), [200, ["redirect", "token", "user"], false, true]);
    assert.equal(outcomes.ours[1][1], "Token User");
    assert.deepEqual(outcomes.ours.slice(2).map((s) => s[1]), [401, 401, 401, 401, 401, 404, 400]);
    assert.equal(outcomes.ours.at(-1)[2], "REFRESH_TOKEN_NOT_FOUND");
  });
});

describe("linking with an ID token, as upstream", () => {
  it("links a verified ID token to the signed-in user, refusing another email, an unverified one and another owner", async () => {
    const mint = (payload) => idp.issuer.buildToken({ scopesOrTransform: (_header, p) => Object.assign(p, payload) });
    const outcomes = {};
    for (const impl of ["upstream", "ours"]) {
      const { genericOAuth } = impl === "ours" ? await import("../plugins.js") : await import("better-auth/plugins");
      const config = { providerId: "oidc", clientId: "client-oidc", clientSecret: "s", discoveryUrl: `${issuer()}/.well-known/openid-configuration` };
      const server = await startServer({ impl, options: { plugins: [genericOAuth({ config: [config] })] } });
      try {
        const email = uniqueEmail(`idlink-${impl}`);
        const c = new Client(server.url);
        await c.post("/api/auth/sign-up/email", { name: "Id Linker", email, password: "password123" });
        const link = async (client, payload) => {
          const r = await client.post("/api/auth/link-social", { provider: "oidc", idToken: { token: await mint({ aud: "client-oidc", ...payload }) } });
          return [r.status, r.data?.code ?? r.data];
        };
        const steps = [];
        steps.push(["other email", await link(c, { sub: `a-${impl}`, email: uniqueEmail("x"), email_verified: true })]);
        steps.push(["unverified", await link(c, { sub: `b-${impl}`, email, email_verified: false })]);
        steps.push(["linked", await link(c, { sub: `c-${impl}`, email, email_verified: true })]);
        steps.push(["again", await link(c, { sub: `c-${impl}`, email, email_verified: true })]);
        steps.push(["accounts", (await c.request("/api/auth/list-accounts")).data.map((a) => a.providerId).sort()]);
        const other = new Client(server.url);
        const otherEmail = uniqueEmail(`idlink-other-${impl}`);
        await other.post("/api/auth/sign-up/email", { name: "Other", email: otherEmail, password: "password123" });
        steps.push(["taken", await link(other, { sub: `c-${impl}`, email: otherEmail, email_verified: true })]);
        outcomes[impl] = steps;
      } finally {
        await server.close();
      }
    }
    assert.deepEqual(outcomes.ours, outcomes.upstream);
    assert.deepEqual(outcomes.ours.map((s) => s[1]), [
      [401, "LINKING_DIFFERENT_EMAILS_NOT_ALLOWED"],
      [401, "LINKING_NOT_ALLOWED"],
      [200, { url: "", status: true, redirect: false }],
      [200, { url: "", status: true, redirect: false }],
      ["credential", "oidc"],
      [409, "SOCIAL_ACCOUNT_ALREADY_LINKED"],
    ]);
  });
});

describe("tokens encrypted at rest (account.encryptOAuthTokens), shared with upstream", () => {
  const servers = [];
  after(() => Promise.all(servers.map((s) => s.close())));

  it("stores sealed tokens each side can open", async () => {
    const dbFile = tempDbFile();
    const options = async (impl) => {
      const { genericOAuth } = impl === "ours" ? await import("../plugins.js") : await import("better-auth/plugins");
      return { account: { encryptOAuthTokens: true }, plugins: [genericOAuth({ config: [providerConfig()] })] };
    };
    const upstream = await startServer({ impl: "upstream", dbFile, options: await options("upstream") });
    const ours = await startServer({ impl: "ours", dbFile, options: await options("ours") });
    servers.push(upstream, ours);
    const Database = createRequire(import.meta.url)("better-sqlite3");
    const db = new Database(dbFile);
    const stored = (userEmail) => db.prepare(`select a."id", a."accessToken" as t from "account" a join "user" u on u."id" = a."userId" where u."email" = ?`).get(userEmail);
    for (const [first, second] of [[ours, upstream], [upstream, ours]]) {
      const email = uniqueEmail("sealed");
      claims = { sub: `sealed-${email}`, email, email_verified: true, name: "Sealed" };
      const c = new Client(first.url);
      const flow = await socialSignIn(c);
      assert.equal(flow.callback.headers.get("location"), "/welcome", `${first === ours ? "ours" : "upstream"}: ${flow.callback.headers.get("location")}`);
      const row = stored(email);
      assert.match(row.t, /^[0-9a-f]{100,}$/, "an encrypted access token, not the provider's JWT");
      const mine = await c.post("/api/auth/get-access-token", { accountId: row.id });
      const there = new Client(second.url);
      there.jar = new Map(c.jar);
      const theirs = await there.post("/api/auth/get-access-token", { accountId: row.id });
      assert.equal(mine.status, 200, mine.text);
      assert.equal(theirs.status, 200, theirs.text);
      assert.equal(theirs.data.accessToken, mine.data.accessToken);
      assert.equal(mine.data.accessToken.split(".").length, 3, "the provider's own token comes back");
    }
    db.close();
  });
});

describe("official client: signIn.social", () => {
  it("returns the authorization URL and, after the provider, a session, as with upstream", async () => {
    const { createAuthClient } = await import("better-auth/client");
    const { parseSetCookies } = await import("./helpers.mjs");
    const outcomes = {};
    for (const impl of ["upstream", "ours"]) {
      const server = await serve(impl);
      try {
        const jar = new Map();
        const customFetchImpl = async (input, init = {}) => {
          const headers = new Headers(init.headers);
          headers.set("origin", "http://localhost:5173");
          if (jar.size) headers.set("cookie", [...jar].map(([k, v]) => `${k}=${v}`).join("; "));
          const response = await fetch(input, { ...init, headers, redirect: "manual" });
          for (const [name, c] of Object.entries(parseSetCookies(response.headers.getSetCookie()))) {
            if (c.maxAge === 0) jar.delete(name);
            else jar.set(name, c.value);
          }
          return response;
        };
        const client = createAuthClient({ baseURL: server.url, fetchOptions: { customFetchImpl } });
        const email = uniqueEmail(`client-social-${impl}`);
        claims = { sub: `client-${email}`, email, email_verified: true, name: "Client Social" };
        const started = await client.signIn.social({ provider: "mock", callbackURL: "/dashboard" });
        const authorize = await fetch(started.data.url, { redirect: "manual" });
        const back = new URL(authorize.headers.get("location"));
        await customFetchImpl(`${server.url}${back.pathname}${back.search}`);
        const session = await client.getSession();
        const accounts = await client.listAccounts();
        const unknown = await client.signIn.social({ provider: "nope" });
        outcomes[impl] = {
          started: [Object.keys(started.data).sort(), started.data.redirect, started.error],
          session: session.data?.user.email === email,
          accounts: accounts.data?.map((a) => a.providerId),
          unknown: [unknown.error?.status, unknown.error?.code],
        };
      } finally {
        await server.close();
      }
    }
    assert.deepEqual(outcomes.ours, outcomes.upstream);
    assert.deepEqual(outcomes.ours, { started: [["redirect", "url"], true, null], session: true, accounts: ["mock"], unknown: [404, "PROVIDER_NOT_FOUND"] });
  });
});

describe("profile updates and account hooks on social sign-in, as upstream", () => {
  async function serveWith(impl, { provider = {}, options = {} } = {}) {
    const { genericOAuth } = impl === "ours" ? await import("../plugins.js") : await import("better-auth/plugins");
    return startServer({ impl, options: { ...options, plugins: [genericOAuth({ config: [providerConfig(provider)] })] } });
  }

  it("overrides the user from the provider on each sign-in with overrideUserInfo", async () => {
    const outcomes = {};
    for (const impl of ["upstream", "ours"]) {
      const server = await serveWith(impl, { provider: { overrideUserInfo: true } });
      try {
        const email = uniqueEmail(`override-${impl}`);
        claims = { sub: `o-${email}`, email, email_verified: true, name: "First Name", picture: "https://example.com/1.png" };
        await socialSignIn(new Client(server.url));
        claims = { ...claims, name: "Second Name", picture: "https://example.com/2.png" };
        const c = new Client(server.url);
        await socialSignIn(c);
        const user = (await c.request("/api/auth/get-session")).data?.user;
        outcomes[impl] = [user?.name, user?.image, user?.emailVerified];
      } finally {
        await server.close();
      }
    }
    assert.deepEqual(outcomes.ours, outcomes.upstream);
    assert.deepEqual(outcomes.ours, ["Second Name", "https://example.com/2.png", true]);
  });

  it("copies the provider's name onto the user when linking with updateUserInfoOnLink", async () => {
    const outcomes = {};
    for (const impl of ["upstream", "ours"]) {
      const server = await serveWith(impl, { options: { account: { accountLinking: { updateUserInfoOnLink: true } } } });
      try {
        const email = uniqueEmail(`onlink-${impl}`);
        const c = new Client(server.url);
        await c.post("/api/auth/sign-up/email", { name: "Before Link", email, password: "password123" });
        claims = { sub: `l-${email}`, email, email_verified: true, name: "After Link", picture: "https://example.com/l.png" };
        const start = await c.post("/api/auth/link-social", { provider: "mock", callbackURL: "/linked" });
        const back = new URL((await fetch(start.data.url, { redirect: "manual" })).headers.get("location"));
        const linked = await c.request(back.pathname + back.search);
        const user = (await c.request("/api/auth/get-session?disableCookieCache=true")).data?.user;
        outcomes[impl] = [linked.headers.get("location"), user?.name, user?.image];
      } finally {
        await server.close();
      }
    }
    assert.deepEqual(outcomes.ours, outcomes.upstream);
    assert.deepEqual(outcomes.ours, ["/linked", "After Link", "https://example.com/l.png"]);
  });

  it("stores what a databaseHooks.account.create.before hook returns", async () => {
    const outcomes = {};
    for (const impl of ["upstream", "ours"]) {
      const seen = [];
      const server = await serveWith(impl, {
        options: {
          databaseHooks: {
            account: {
              create: {
                before: async (account) => {
                  seen.push([account.providerId, account.accountId === claims.sub, typeof account.accessToken]);
                  return { data: { ...account, accessToken: `wrapped:${account.accessToken.length > 0}` } };
                },
              },
            },
          },
        },
      });
      try {
        const email = uniqueEmail(`hooked-${impl}`);
        claims = { sub: `h-${email}`, email, email_verified: true, name: "Hooked" };
        const c = new Client(server.url);
        await socialSignIn(c);
        const account = (await c.request("/api/auth/list-accounts")).data.find((a) => a.providerId === "mock");
        const token = await c.post("/api/auth/get-access-token", { accountId: account.id });
        outcomes[impl] = [seen, token.data?.accessToken];
      } finally {
        await server.close();
      }
    }
    assert.deepEqual(outcomes.ours, outcomes.upstream);
    assert.equal(outcomes.ours[1], "wrapped:true");
  });
});

describe("lastLoginMethod after a social sign-in, as upstream", () => {
  it("the callback sets the provider's id in the cookie and, with storeInDatabase, on the user", async () => {
    const seen = {};
    for (const impl of ["upstream", "ours"]) {
      const plugins = impl === "ours" ? await import("../plugins.js") : await import("better-auth/plugins");
      const server = await startServer({
        impl,
        options: { plugins: [plugins.genericOAuth({ config: [providerConfig()] }), plugins.lastLoginMethod({ storeInDatabase: true })] },
      });
      try {
        claims = { email: uniqueEmail(`llm-social-${impl}`), email_verified: true, name: "Mock User" };
        const client = new Client(server.url);
        const { callback } = await socialSignIn(client);
        const cookie = callback.cookies["better-auth.last_used_login_method"];
        const session = await client.request("/api/auth/get-session");
        seen[impl] = { status: callback.status, cookie: cookie?.value, attributes: cookie && [...cookie.attributes].sort(), field: session.data?.user.lastLoginMethod };
      } finally {
        await server.close();
      }
    }
    assert.deepEqual(seen.ours, seen.upstream);
    assert.equal(seen.ours.cookie, "mock");
    assert.equal(seen.ours.field, "mock");
  });
});
