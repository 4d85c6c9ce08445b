// Upstream's client plugins for bearer, jwt, oneTimeToken and lastLoginMethod, unchanged,
// against ours (the other plugins' clients are in their own suites).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createAuthClient } from "better-auth/client";
import { jwtClient, lastLoginMethodClient, oneTimeTokenClient } from "better-auth/client/plugins";
import { createLocalJWKSet, jwtVerify } from "jose";
import { browserLikeFetch, parseSetCookies, startServer, FRONTEND } from "../helpers.mjs";
import { pluginsOf } from "./differential.mjs";

describe("upstream's client plugins against ours", () => {
  let server;
  before(async () => {
    const { bearer, jwt, oneTimeToken, lastLoginMethod } = await pluginsOf("ours");
    server = await startServer({ options: { plugins: [bearer(), jwt(), oneTimeToken(), lastLoginMethod()] } });
  });
  after(() => server?.close());

  it("bearer: the documented client setup signs in by token, with no cookie at all", async () => {
    let stored = "";
    const client = createAuthClient({
      baseURL: server.url,
      fetchOptions: {
        auth: { type: "Bearer", token: () => stored },
        onSuccess: (ctx) => {
          const token = ctx.response.headers.get("set-auth-token");
          if (token) stored = token;
        },
        customFetchImpl: (input, init = {}) => fetch(input, { ...init, headers: { ...Object.fromEntries(new Headers(init.headers)), origin: FRONTEND } }),
      },
    });
    const up = await client.signUp.email({ name: "B", email: `bearer-client-${Date.now()}@example.com`, password: "password123" });
    assert.equal(up.error, null, JSON.stringify(up.error));
    assert.ok(stored.includes("."), "a signed token from set-auth-token");
    const session = await client.getSession();
    assert.equal(session.data?.user.email, up.data.user.email);
    stored = "not-a-token";
    assert.equal((await client.getSession()).data, null);
  });

  it("jwtClient: client.token() and client.jwks() give a JWT that verifies", async () => {
    const { fetchImpl: customFetchImpl } = browserLikeFetch();
    const client = createAuthClient({ baseURL: server.url, plugins: [jwtClient()], fetchOptions: { customFetchImpl } });
    const up = await client.signUp.email({ name: "J", email: `jwt-client-${Date.now()}@example.com`, password: "password123" });
    assert.equal(up.error, null, JSON.stringify(up.error));
    const { data: token, error } = await client.token();
    assert.equal(error, null, JSON.stringify(error));
    const { data: jwks } = await client.jwks();
    const { payload } = await jwtVerify(token.token, createLocalJWKSet(jwks), { issuer: server.url, audience: server.url });
    assert.equal(payload.sub, up.data.user.id);
  });

  it("oneTimeTokenClient: generate, then verify once", async () => {
    const { fetchImpl: customFetchImpl } = browserLikeFetch();
    const client = createAuthClient({ baseURL: server.url, plugins: [oneTimeTokenClient()], fetchOptions: { customFetchImpl } });
    const up = await client.signUp.email({ name: "O", email: `ott-client-${Date.now()}@example.com`, password: "password123" });
    assert.equal(up.error, null, JSON.stringify(up.error));
    const generated = await client.oneTimeToken.generate();
    assert.equal(generated.error, null, JSON.stringify(generated.error));
    const other = createAuthClient({ baseURL: server.url, plugins: [oneTimeTokenClient()], fetchOptions: { customFetchImpl: browserLikeFetch().fetchImpl } });
    const verified = await other.oneTimeToken.verify({ token: generated.data.token });
    assert.equal(verified.error, null, JSON.stringify(verified.error));
    assert.equal(verified.data.user.id, up.data.user.id);
    const again = await other.oneTimeToken.verify({ token: generated.data.token });
    assert.equal(again.error?.status, 400);
  });

  it("lastLoginMethodClient reads the cookie we set, as a page's document.cookie holds it", async () => {
    const { fetchImpl, jar } = browserLikeFetch();
    let lastSetCookies = [];
    const customFetchImpl = async (input, init) => {
      const response = await fetchImpl(input, init);
      lastSetCookies = response.headers.getSetCookie();
      return response;
    };
    const client = createAuthClient({ baseURL: server.url, plugins: [lastLoginMethodClient()], fetchOptions: { customFetchImpl } });
    const email = `llm-client-${Date.now()}@example.com`;
    await client.signUp.email({ name: "L", email, password: "password123" });
    jar.clear();
    const signedIn = await client.signIn.email({ email, password: "password123" });
    assert.equal(signedIn.error, null, JSON.stringify(signedIn.error));
    const cookie = parseSetCookies(lastSetCookies)["better-auth.last_used_login_method"];
    assert.ok(cookie, "the cookie is set on sign-in");
    assert.ok(!cookie.attributes.has("httponly"), "readable by the page's script, as upstream sets it");
    const previous = globalThis.document;
    globalThis.document = { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join("; ") };
    try {
      assert.equal(client.getLastUsedLoginMethod(), "email");
      assert.equal(client.isLastUsedLoginMethod("email"), true);
      assert.equal(client.isLastUsedLoginMethod("github"), false);
    } finally {
      globalThis.document = previous;
    }
  });
});
