// jwt: GET /token, GET /jwks, set-auth-jwt on get-session, server-only signJWT/verifyJWT;
// against upstream, verified with jose, and with keys shared with upstream on one database.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { Client, startServer, tempDbFile, upstreamPasswordOptions } from "../helpers.mjs";
import { startBoth, assertSameSteps, pluginsOf } from "./differential.mjs";

/** A JWKS or token reduced to what must match: key names, algorithms, curves, claim names. */
const keyShape = (jwks) => jwks?.keys?.map((k) => ({ names: Object.keys(k).sort(), alg: k.alg, crv: k.crv ?? null, kty: k.kty }));
const claimShape = (token) => {
  if (typeof token !== "string") return null;
  const [header, payload] = token.split(".").slice(0, 2).map((p) => JSON.parse(Buffer.from(p, "base64url")));
  return { header: Object.keys(header).sort(), alg: header.alg, claims: Object.keys(payload).sort(), ttl: payload.exp - payload.iat };
};

async function signedUp(url, email) {
  const c = new Client(url);
  const r = await c.post("/api/auth/sign-up/email", { name: "J", email, password: "password123" });
  assert.equal(r.status, 200, r.text);
  return c;
}

describe("jwt plugin, as upstream", () => {
  let servers;
  before(async () => {
    servers = await startBoth((p) => ({ plugins: [p.jwt()] }));
  });
  after(() => Promise.all(Object.values(servers).map((s) => s.close())));

  it("gives the same answers step by step", async () => {
    const tag = Date.now().toString(36);
    await assertSameSteps(servers, async (server, step) => {
      const jwks = await new Client(server.url).request("/api/auth/jwks");
      step("jwks", { ...jwks, data: undefined, text: "" }, { keys: keyShape(jwks.data) });
      step("token signed out", await new Client(server.url).request("/api/auth/token"));
      const c = await signedUp(server.url, `jwt-${tag}@example.com`);
      const session = await c.request("/api/auth/get-session");
      step("get-session carries set-auth-jwt", session, { jwt: claimShape(session.headers.get("set-auth-jwt")), exposed: session.headers.get("access-control-expose-headers") });
      const token = await c.request("/api/auth/token");
      step("token", { ...token, data: undefined, text: "" }, { jwt: claimShape(token.data.token), headerOnToken: token.headers.get("set-auth-jwt") });
      step("signed out get-session has no jwt", await new Client(server.url).request("/api/auth/get-session"), {});
      step("sign-jwt is server only", await new Client(server.url).post("/api/auth/sign-jwt", { payload: {} }));
    });
  });

  it("jose verifies our tokens against our JWKS, issuer and audience the base URL's origin", async () => {
    const server = servers.ours;
    const c = await signedUp(server.url, `jose-${Date.now()}@example.com`);
    const { data } = await c.request("/api/auth/token");
    const { data: jwks } = await c.request("/api/auth/jwks");
    const { payload, protectedHeader } = await jwtVerify(data.token, createLocalJWKSet(jwks), { issuer: server.url, audience: server.url });
    assert.equal(protectedHeader.alg, "EdDSA");
    assert.equal(protectedHeader.kid, jwks.keys[0].kid);
    assert.equal(payload.sub, payload.id);
    assert.equal(payload.exp - payload.iat, 900);
  });

  it("signJWT and verifyJWT through auth.api", async () => {
    const { auth } = servers.ours;
    const { token } = await auth.api.signJWT({ body: { payload: { sub: "123", aud: "svc", iss: "https://issuer.test", custom: "x" } } });
    const ok = await auth.api.verifyJWT({ body: { token, issuer: "https://issuer.test" } });
    assert.equal(ok.payload.custom, "x");
    assert.equal((await auth.api.verifyJWT({ body: { token, issuer: "https://other.test" } })).payload, null);
    const [h, p, s] = token.split(".");
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, "base64url")), sub: "admin" })).toString("base64url")}.${s}`;
    assert.equal((await auth.api.verifyJWT({ body: { token: forged, issuer: "https://issuer.test" } })).payload, null);
    assert.equal((await auth.api.verifyJWT({ body: { token: "a.b" } })).payload, null);
  });

  it("signJWT never signs without exp, and takes overrideOptions.jwt as upstream", async () => {
    const { auth } = servers.ours;
    const claims = (token) => JSON.parse(Buffer.from(token.split(".")[1], "base64url"));
    const nulls = await auth.api.signJWT({ body: { payload: { sub: "1", exp: null, iss: null } } });
    assert.equal(typeof claims(nulls.token).exp, "number", "a null exp is a missing one");
    assert.equal(typeof claims(nulls.token).iss, "string");
    const iat = Math.floor(Date.now() / 1000);
    const hour = await auth.api.signJWT({ body: { payload: { sub: "1", iat }, overrideOptions: { jwt: { expirationTime: "1h", issuer: "https://over.test" } } } });
    assert.equal(claims(hour.token).exp - iat, 3600);
    assert.equal(claims(hour.token).iss, "https://over.test");
    await assert.rejects(auth.api.signJWT({ body: { payload: { sub: "1" }, overrideOptions: { jwks: { keyPairConfig: { alg: "RS256" } } } } }), (e) => e.statusCode === 400);
  });
});

describe("jwt key algorithms", () => {
  for (const alg of ["ES256", "ES512", "RS256", "PS256"]) {
    it(`${alg}: tokens verify with jose against the JWKS`, async () => {
      const { jwt } = await pluginsOf("ours");
      const server = await startServer({ options: { plugins: [jwt({ jwks: { keyPairConfig: { alg } }, jwt: { expirationTime: "1h" } })] } });
      try {
        const c = await signedUp(server.url, `${alg}-${Date.now()}@example.com`);
        const { data } = await c.request("/api/auth/token");
        const { data: jwks } = await c.request("/api/auth/jwks");
        assert.equal(jwks.keys[0].alg, alg);
        const { payload } = await jwtVerify(data.token, createLocalJWKSet(jwks));
        assert.equal(payload.exp - payload.iat, 3600);
      } finally {
        await server.close();
      }
    });
  }
});

describe("jwt rotationInterval 0", () => {
  it("means no rotation: one key for every token", async () => {
    const { jwt } = await pluginsOf("ours");
    const server = await startServer({ options: { plugins: [jwt({ jwks: { rotationInterval: 0 } })] } });
    try {
      const c = await signedUp(server.url, `rot0-${Date.now()}@example.com`);
      const kids = new Set();
      for (let i = 0; i < 3; i++) kids.add(decodeProtectedHeader((await c.request("/api/auth/token")).data.token).kid);
      assert.equal(kids.size, 1);
      assert.equal((await c.request("/api/auth/jwks")).data.keys.length, 1);
    } finally {
      await server.close();
    }
  });
});

describe("jwt keys shared with upstream on one database", () => {
  it("upstream's key signs here, and each side verifies the other's tokens", async () => {
    const dbFile = tempDbFile();
    const theirs = await pluginsOf("upstream");
    const ours = await pluginsOf("ours");
    const upstream = await startServer({ impl: "upstream", dbFile, options: { emailAndPassword: await upstreamPasswordOptions(), baseURL: "http://auth.test", plugins: [theirs.jwt()] } });
    const c = await signedUp(upstream.url, `shared-${Date.now()}@example.com`);
    const upstreamToken = (await c.request("/api/auth/token")).data.token;
    const here = await startServer({ dbFile, options: { baseURL: "http://auth.test", plugins: [ours.jwt()] } });
    try {
      const cookie = c.cookieHeader();
      const ourToken = (await new Client(here.url).request("/api/auth/token", { headers: { cookie } })).data.token;
      assert.equal(decodeProtectedHeader(ourToken).kid, decodeProtectedHeader(upstreamToken).kid, "the key upstream made (and sealed) signs here");
      const { data: jwks } = await new Client(upstream.url).request("/api/auth/jwks");
      await jwtVerify(ourToken, createLocalJWKSet(jwks), { issuer: "http://auth.test", audience: "http://auth.test" });
      assert.equal((await upstream.auth.api.verifyJWT({ body: { token: ourToken } })).payload.sub, (await here.auth.api.verifyJWT({ body: { token: upstreamToken } })).payload.sub);
    } finally {
      await Promise.all([here.close(), upstream.close()]);
    }
  });
});

describe("jwt key rotation, as upstream", () => {
  it("a new key after rotationInterval; the old one stays in the JWKS for gracePeriod, then leaves", async () => {
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    const runs = await Promise.all(
      ["ours", "upstream"].map(async (impl) => {
        const { jwt } = await pluginsOf(impl);
        const server = await startServer({
          impl,
          options: { emailAndPassword: await upstreamPasswordOptions(), plugins: [jwt({ jwks: { rotationInterval: 1, gracePeriod: 2 } })] },
        });
        try {
          const c = await signedUp(server.url, `rotate-${impl}-${Date.now()}@example.com`);
          const kid = async () => decodeProtectedHeader((await c.request("/api/auth/token")).data.token).kid;
          const jwks = async () => (await c.request("/api/auth/jwks")).data;
          const first = await kid();
          const firstToken = (await c.request("/api/auth/token")).data.token;
          await sleep(1300);
          const second = await kid();
          const during = await jwks();
          // The first token still verifies while its key is in the grace period.
          await jwtVerify(firstToken, createLocalJWKSet(during));
          await sleep(2200);
          const after = await jwks();
          return {
            rotated: first !== second,
            duringGrace: during.keys.map((k) => (k.kid === first ? "first" : k.kid === second ? "second" : "other")).sort(),
            afterGrace: after.keys.map((k) => (k.kid === first ? "first" : k.kid === second ? "second" : "other")).sort(),
          };
        } finally {
          await server.close();
        }
      }),
    );
    assert.deepEqual(runs[0], runs[1], "ours and upstream rotate alike");
    // The second key (made at ~1.3 s, expired at ~2.3 s) is still in its own grace period.
    assert.deepEqual(runs[0], { rotated: true, duringGrace: ["first", "second"], afterGrace: ["second"] });
  });
});

describe("jwt claims options, as upstream", () => {
  it("issuer, audience, definePayload and getSubject shape the token alike", async () => {
    const servers = await startBoth((p) => ({
      plugins: [
        p.jwt({
          jwt: {
            issuer: "https://issuer.test",
            audience: ["svc-a", "svc-b"],
            expirationTime: "2h",
            definePayload: ({ user, session }) => ({ email: user.email, plan: "pro", hasSession: typeof session.id === "string" }),
            getSubject: async ({ user }) => `user:${user.email}`,
          },
        }),
      ],
    }));
    try {
      const seen = {};
      for (const [impl, server] of Object.entries(servers)) {
        const email = `claims-${impl}-${Date.now()}@example.com`;
        const c = await signedUp(server.url, email);
        const { token } = (await c.request("/api/auth/token")).data;
        const headerJwt = (await c.request("/api/auth/get-session")).headers.get("set-auth-jwt");
        const jwks = createLocalJWKSet((await c.request("/api/auth/jwks")).data);
        const { payload } = await jwtVerify(token, jwks, { issuer: "https://issuer.test", audience: "svc-b" });
        const fromHeader = (await jwtVerify(headerJwt, jwks, { audience: "svc-a" })).payload;
        assert.equal(payload.sub, `user:${email}`);
        assert.equal(payload.email, email);
        assert.equal(fromHeader.sub, `user:${email}`);
        const { iat, exp, sub, email: _e, ...rest } = payload;
        seen[impl] = { claims: Object.keys(payload).sort(), rest, ttl: exp - iat, headerClaims: Object.keys(fromHeader).sort() };
      }
      assert.deepEqual(seen.ours, seen.upstream);
      assert.equal(seen.ours.ttl, 7200);
      assert.deepEqual(seen.ours.rest, { plan: "pro", hasSession: true, iss: "https://issuer.test", aud: ["svc-a", "svc-b"] });
    } finally {
      await Promise.all(Object.values(servers).map((s) => s.close()));
    }
  });
});

describe("jwt disablePrivateKeyEncryption, shared with upstream", () => {
  it("stores the private key as plain JWK JSON, as upstream does, and upstream signs with the key we made", async () => {
    const dbFile = tempDbFile();
    const options = { jwks: { disablePrivateKeyEncryption: true } };
    const ours = await pluginsOf("ours");
    const theirs = await pluginsOf("upstream");
    const here = await startServer({ dbFile, options: { baseURL: "http://auth.test", plugins: [ours.jwt(options)] } });
    let upstream;
    try {
      const c = await signedUp(here.url, `plain-${Date.now()}@example.com`);
      const ourToken = (await c.request("/api/auth/token")).data.token;
      const Database = (await import("better-sqlite3")).default;
      const db = new Database(dbFile, { readonly: true });
      const [row] = db.prepare("select privateKey from jwks").all();
      db.close();
      assert.equal(JSON.parse(row.privateKey).kty, "OKP", "a plain Ed25519 JWK");
      assert.ok(JSON.parse(row.privateKey).d, "with its private part");
      upstream = await startServer({ impl: "upstream", dbFile, options: { baseURL: "http://auth.test", emailAndPassword: await upstreamPasswordOptions(), plugins: [theirs.jwt(options)] } });
      const upstreamToken = (await new Client(upstream.url).request("/api/auth/token", { headers: { cookie: c.cookieHeader() } })).data.token;
      assert.equal(decodeProtectedHeader(upstreamToken).kid, decodeProtectedHeader(ourToken).kid, "upstream signs with the key we made");
      assert.ok((await upstream.auth.api.verifyJWT({ body: { token: ourToken } })).payload);
      assert.ok((await here.auth.api.verifyJWT({ body: { token: upstreamToken } })).payload);
    } finally {
      await Promise.all([here.close(), upstream?.close()]);
    }
  });
});
