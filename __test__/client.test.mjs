// The official client, `createAuthClient` from upstream's `better-auth/client`, against our server.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createAuthClient } from "better-auth/client";
import { startServer, uniqueEmail, FRONTEND, parseSetCookies } from "./helpers.mjs";

/** A fetch with a cookie jar and the browser's Origin, as a page on FRONTEND would send. */
function browserLikeFetch() {
  const jar = new Map();
  const fetchImpl = async (input, init = {}) => {
    const headers = new Headers(init.headers);
    headers.set("origin", FRONTEND);
    if (jar.size) headers.set("cookie", [...jar].map(([k, v]) => `${k}=${v}`).join("; "));
    const response = await fetch(input, { ...init, headers });
    for (const [name, c] of Object.entries(parseSetCookies(response.headers.getSetCookie()))) {
      if (c.maxAge === 0) jar.delete(name);
      else jar.set(name, c.value);
    }
    return response;
  };
  return { fetchImpl, jar };
}

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
