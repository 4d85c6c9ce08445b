// username: sign-in by username, availability, validation and normalization on sign-up and
// update-user; against upstream, with the official client, and on a database upstream wrote.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createAuthClient } from "better-auth/client";
import { usernameClient } from "better-auth/client/plugins";
import { Client, startServer, tempDbFile, browserLikeFetch } from "../helpers.mjs";
import { startBoth, assertSameSteps, pluginsOf } from "./differential.mjs";

describe("username plugin, as upstream", () => {
  let servers;
  before(async () => {
    servers = await startBoth((p) => ({ plugins: [p.username({ minUsernameLength: 4 })] }));
  });
  after(() => Promise.all(Object.values(servers).map((s) => s.close())));

  it("gives the same answers step by step", async () => {
    const tag = Date.now().toString(36);
    await assertSameSteps(servers, async (server, step) => {
      const fresh = () => new Client(server.url);
      const name = `Custom_${tag}`;
      const a = fresh();
      step("sign-up with username", await a.post("/api/auth/sign-up/email", { name: "U", email: `u-${tag}@example.com`, password: "password123", username: name }));
      step("session shows both", await a.request("/api/auth/get-session"));
      step("sign-up same username other case", await fresh().post("/api/auth/sign-up/email", { name: "U", email: `u2-${tag}@example.com`, password: "password123", username: name.toUpperCase() }));
      step("sign-up too short", await fresh().post("/api/auth/sign-up/email", { name: "U", email: `u3-${tag}@example.com`, password: "password123", username: "abc" }));
      step("sign-up invalid", await fresh().post("/api/auth/sign-up/email", { name: "U", email: `u4-${tag}@example.com`, password: "password123", username: "no spaces" }));
      step("sign-up empty username", await fresh().post("/api/auth/sign-up/email", { name: "U", email: `u5-${tag}@example.com`, password: "password123", username: "", displayUsername: "Shown" }));
      const d = fresh();
      step("sign-up displayUsername only", await d.post("/api/auth/sign-up/email", { name: "U", email: `u6-${tag}@example.com`, password: "password123", displayUsername: `Disp_${tag}` }));
      step("sign-up invalid displayUsername only", await fresh().post("/api/auth/sign-up/email", { name: "U", email: `u7-${tag}@example.com`, password: "password123", displayUsername: "Not Valid" }));
      step("sign-up without username", await fresh().post("/api/auth/sign-up/email", { name: "U", email: `u8-${tag}@example.com`, password: "password123" }));
      step("sign-in by username", await fresh().post("/api/auth/sign-in/username", { username: name, password: "password123" }));
      step("sign-in by username with callbackURL", await fresh().post("/api/auth/sign-in/username", { username: name.toLowerCase(), password: "password123", callbackURL: "/dashboard", rememberMe: false }));
      step("sign-in wrong password", await fresh().post("/api/auth/sign-in/username", { username: name, password: "password124" }));
      step("sign-in unknown username", await fresh().post("/api/auth/sign-in/username", { username: `ghost_${tag}`, password: "password123" }));
      step("sign-in invalid username", await fresh().post("/api/auth/sign-in/username", { username: "bad name!", password: "password123" }));
      step("sign-in short username", await fresh().post("/api/auth/sign-in/username", { username: "abc", password: "password123" }));
      step("sign-in empty password", await fresh().post("/api/auth/sign-in/username", { username: name, password: "" }));
      step("sign-in missing password", await fresh().post("/api/auth/sign-in/username", { username: name }));
      step("sign-in long password", await fresh().post("/api/auth/sign-in/username", { username: name, password: "p".repeat(129) }));
      step("available: taken", await fresh().post("/api/auth/is-username-available", { username: name.toUpperCase() }));
      step("available: free", await fresh().post("/api/auth/is-username-available", { username: `free_${tag}` }));
      step("available: invalid", await fresh().post("/api/auth/is-username-available", { username: "bad name!" }));
      step("available: too long", await fresh().post("/api/auth/is-username-available", { username: "a".repeat(31) }));
      step("available: empty", await fresh().post("/api/auth/is-username-available", { username: "" }));
      step("update-user to a taken username", await d.post("/api/auth/update-user", { username: name }));
      step("update-user own username again", await a.post("/api/auth/update-user", { username: name }));
      step("update-user new username", await a.post("/api/auth/update-user", { username: `New.${tag}`, displayUsername: "New Display" }));
      step("session after update", await a.request("/api/auth/get-session"));
      step("update-user invalid username", await a.post("/api/auth/update-user", { username: "x y" }));
      step("update-user signed out, taken", await fresh().post("/api/auth/update-user", { username: `new.${tag}` }));
      step("update-user signed out, free", await fresh().post("/api/auth/update-user", { username: `other_${tag}` }));
      step("old username no longer signs in", await fresh().post("/api/auth/sign-in/username", { username: name, password: "password123" }));
    });
  });

  it("$ERROR_CODES include the plugin's", () => {
    const plain = ({ code, message }) => ({ code, message });
    for (const [code, entry] of Object.entries(servers.upstream.auth.$ERROR_CODES)) {
      assert.deepEqual(plain(servers.ours.auth.$ERROR_CODES[code] ?? {}), plain(entry), code);
    }
  });
});

describe("username options, as upstream", () => {
  let servers;
  before(async () => {
    servers = await startBoth((p) => ({
      plugins: [
        p.username({
          immutableUsername: true,
          usernameValidator: (u) => u.startsWith("user_"),
          displayUsernameValidator: (d) => /^[a-zA-Z0-9_-]+$/.test(d),
          usernameNormalization: (u) => u.replaceAll("0", "o").toLowerCase(),
        }),
      ],
    }));
  });
  after(() => Promise.all(Object.values(servers).map((s) => s.close())));

  it("calls the app's validators and normalizer, keeps usernames immutable", async () => {
    const tag = Date.now().toString(36);
    await assertSameSteps(servers, async (server, step) => {
      const fresh = () => new Client(server.url);
      const a = fresh();
      step("validator refuses", await fresh().post("/api/auth/sign-up/email", { name: "U", email: `v1-${tag}@example.com`, password: "password123", username: "admin" }));
      step("validator accepts, normalized", await a.post("/api/auth/sign-up/email", { name: "U", email: `v2-${tag}@example.com`, password: "password123", username: `user_B0B${tag}` }));
      step("display validator refuses", await fresh().post("/api/auth/sign-up/email", { name: "U", email: `v3-${tag}@example.com`, password: "password123", username: `user_x${tag}`, displayUsername: "Not valid!" }));
      step("sign-in through the normalizer", await fresh().post("/api/auth/sign-in/username", { username: `user_b0b${tag}`, password: "password123" }));
      step("immutable: change refused", await a.post("/api/auth/update-user", { username: `user_other${tag}` }));
      step("immutable: same value allowed", await a.post("/api/auth/update-user", { username: `user_bob${tag}` }));
      step("available through the validator", await fresh().post("/api/auth/is-username-available", { username: "nope" }));
    });
  });

  it("refuses unknown options by path", async () => {
    const { username } = await pluginsOf("ours");
    await assert.rejects(startServer({ options: { plugins: [username({ minUsernameLenght: 3 })] } }), /unknown option `plugins\[username\]\.minUsernameLenght`/);
    await assert.rejects(startServer({ options: { plugins: [username({ validationOrder: { username: "later" } })] } }), /plugins\[username\]\.validationOrder\.username/);
  });
});

describe("username with the official client and on upstream's database", () => {
  it("usernameClient signs in and checks availability against ours", async () => {
    const { username } = await pluginsOf("ours");
    const server = await startServer({ options: { plugins: [username()] } });
    try {
      const { fetchImpl: customFetchImpl, jar } = browserLikeFetch();
      const client = createAuthClient({ baseURL: server.url, plugins: [usernameClient()], fetchOptions: { customFetchImpl } });
      const up = await client.signUp.email({ name: "C", email: `client-${Date.now()}@example.com`, password: "password123", username: "Client_One" });
      assert.equal(up.error, null, JSON.stringify(up.error));
      assert.equal(up.data.user.username, "client_one");
      jar.clear();
      const signedIn = await client.signIn.username({ username: "CLIENT_ONE", password: "password123" });
      assert.equal(signedIn.error, null, JSON.stringify(signedIn.error));
      assert.equal(signedIn.data.user.displayUsername, "Client_One");
      const session = await client.getSession();
      assert.equal(session.data.user.username, "client_one");
      const taken = await client.isUsernameAvailable({ username: "client_one" });
      assert.equal(taken.data.available, false);
      const wrong = await client.signIn.username({ username: "client_one", password: "nope-nope-nope" });
      assert.equal(wrong.error.status, 401);
      assert.equal(wrong.error.code, "INVALID_USERNAME_OR_PASSWORD");
    } finally {
      await server.close();
    }
  });

  it("a user upstream created signs in by username here, and ours there", async () => {
    const dbFile = tempDbFile();
    const upstreamPlugins = await pluginsOf("upstream");
    const ourPlugins = await pluginsOf("ours");
    const { upstreamPasswordOptions } = await import("../helpers.mjs");
    const upstream = await startServer({ impl: "upstream", dbFile, options: { emailAndPassword: await upstreamPasswordOptions(), plugins: [upstreamPlugins.username()] } });
    const theirs = await new Client(upstream.url).post("/api/auth/sign-up/email", { name: "T", email: `take-${Date.now()}@example.com`, password: "password123", username: "From_Upstream" });
    assert.equal(theirs.status, 200, theirs.text);
    const ours = await startServer({ dbFile, options: { plugins: [ourPlugins.username()] } });
    try {
      const here = await new Client(ours.url).post("/api/auth/sign-in/username", { username: "from_upstream", password: "password123" });
      assert.equal(here.status, 200, here.text);
      assert.equal(here.data.user.displayUsername, "From_Upstream");
      // Upstream's live cookie is a session here too.
      const cookie = `better-auth.session_token=${theirs.cookies["better-auth.session_token"].value}`;
      const session = await new Client(ours.url).request("/api/auth/get-session", { headers: { cookie } });
      assert.equal(session.data.user.username, "from_upstream");
      const mine = await new Client(ours.url).post("/api/auth/sign-up/email", { name: "M", email: `mine-${Date.now()}@example.com`, password: "password123", username: "Made_Here" });
      assert.equal(mine.status, 200, mine.text);
      const there = await new Client(upstream.url).post("/api/auth/sign-in/username", { username: "made_here", password: "password123" });
      assert.equal(there.status, 200, there.text);
      const dup = await new Client(upstream.url).post("/api/auth/is-username-available", { username: "MADE_HERE" });
      assert.equal(dup.data.available, false);
    } finally {
      await Promise.all([ours.close(), upstream.close()]);
    }
  });
});
