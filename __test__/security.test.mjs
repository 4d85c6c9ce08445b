// What an auth server refuses: untrusted redirects and origins, session fixation, oversized
// input. Each case would pass on a vulnerable server.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { startServer, Client, rawRequest, uniqueEmail } from "./helpers.mjs";

const TRUSTED = ["https://trusted.com", "*.example.com", "myapp://callback"];

describe("redirect targets", () => {
  let server;
  let email;
  before(async () => {
    server = await startServer({ options: { trustedOrigins: ["http://localhost:5173", ...TRUSTED] } });
    email = uniqueEmail("redirect");
    await new Client(server.url).post("/api/auth/sign-up/email", { name: "R", email, password: "password123" });
  });
  after(() => server.close());

  const hostile = [
    "//evil.com",
    "///evil.com",
    "\\\\evil.com",
    "/\\evil.com",
    "https://trusted.com@evil.com",
    "https://evil.com?.trusted.com",
    "https://evil.com#.trusted.com",
    "https://trusted.com.evil.com",
    "https://trusted.com:444",
    "http://trusted.com",
    "https://evil.com/https://trusted.com",
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "https://trustеd.com", // Cyrillic е
    "https://xn--trustd-5fg.com",
    "/%2F%2Fevil.com",
    "/%2fevil.com",
    "/%5Cevil.com",
    "https://example.com",
    "https://evil.com/.example.com",
    "myapp://evil",
    "otherapp://callback",
    "/path\u0000evil",
    " https://evil.com",
  ];

  for (const url of hostile) {
    it(`refuses callbackURL ${JSON.stringify(url)}`, async () => {
      const r = await new Client(server.url).post("/api/auth/sign-in/email", { email, password: "password123", callbackURL: url });
      assert.deepEqual([r.status, r.data?.code], [403, "INVALID_CALLBACK_URL"]);
      assert.equal(r.setCookies.length, 0, "no session was created");
    });
  }

  for (const url of ["https://trusted.com/next", "https://app.example.com/x?y=1", "myapp://callback/done", "/dashboard?tab=1", "http://localhost:5173/"]) {
    it(`accepts callbackURL ${url}`, async () => {
      const r = await new Client(server.url).post("/api/auth/sign-in/email", { email, password: "password123", callbackURL: url });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers.get("location"), url);
    });
  }
});

describe("trustedOrigins as a function of the request", () => {
  it("is asked per request and its answer is enforced", async () => {
    const seen = [];
    const server = await startServer({
      options: {
        trustedOrigins: (request) => {
          seen.push(request?.url);
          return request?.headers.get("x-tenant") === "a" ? ["https://a.example", null] : [];
        },
      },
    });
    try {
      const c = new Client(server.url, { origin: server.url });
      await c.post("/api/auth/sign-up/email", { name: "T", email: uniqueEmail("tenant"), password: "password123" });
      const refused = await c.post("/api/auth/sign-out", {}, { headers: { origin: "https://a.example" } });
      assert.deepEqual([refused.status, refused.data.code], [403, "INVALID_ORIGIN"]);
      const allowed = await c.post("/api/auth/sign-out", {}, { headers: { origin: "https://a.example", "x-tenant": "a" } });
      assert.equal(allowed.status, 200);
      assert.ok(seen.some((u) => u?.endsWith("/api/auth/sign-out")), "the function received the request");
    } finally {
      await server.close();
    }
  });
});

describe("session safety", () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  it("issues a fresh token on every sign-in, never the one the client brought (no fixation)", async () => {
    const email = uniqueEmail("fixation");
    const victim = new Client(server.url);
    await victim.post("/api/auth/sign-up/email", { name: "V", email, password: "password123" });
    const planted = victim.jar.get("better-auth.session_token");
    const r = await victim.post("/api/auth/sign-in/email", { email, password: "password123" });
    assert.notEqual(r.cookies["better-auth.session_token"].value, planted);
    const again = await new Client(server.url).post("/api/auth/sign-in/email", { email, password: "password123" });
    assert.notEqual(again.data.token, r.data.token);
  });

  it("sets HttpOnly, SameSite=Lax, and Secure with the __Secure- prefix on https", async () => {
    const https = await startServer({ options: { baseURL: "https://auth.example.com" } });
    try {
      const c = new Client(https.url, { origin: "https://auth.example.com" });
      const r = await c.post("/api/auth/sign-up/email", { name: "S", email: uniqueEmail("secure"), password: "password123" });
      const cookie = r.cookies["__Secure-better-auth.session_token"];
      assert.ok(cookie, r.setCookies.join("\n"));
      for (const attr of ["httponly", "secure", "samesite=lax", "path=/"]) assert.ok(cookie.attributes.has(attr), attr);
    } finally {
      await https.close();
    }
  });

  it("answers unknown emails and wrong passwords identically", async () => {
    const email = uniqueEmail("same");
    await new Client(server.url).post("/api/auth/sign-up/email", { name: "S", email, password: "password123" });
    const wrong = await new Client(server.url).post("/api/auth/sign-in/email", { email, password: "password999" });
    const unknown = await new Client(server.url).post("/api/auth/sign-in/email", { email: `x${email}`, password: "password999" });
    assert.deepEqual([wrong.status, wrong.text], [unknown.status, unknown.text]);
  });
});

describe("input limits", () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  it("refuses over-long emails, names and image URLs (beyond upstream)", async () => {
    const c = new Client(server.url);
    const long = `${"a".repeat(250)}@example.com`;
    let r = await c.post("/api/auth/sign-up/email", { name: "L", email: long, password: "password123" });
    assert.deepEqual([r.status, r.data.message], [400, "[body.email] Too big: expected string to have <=254 characters"]);
    r = await c.post("/api/auth/sign-up/email", { name: "n".repeat(256), email: uniqueEmail(), password: "password123" });
    assert.equal(r.data.message, "[body.name] Too big: expected string to have <=255 characters");
    r = await c.post("/api/auth/sign-up/email", { name: "n", email: uniqueEmail(), password: "password123", image: `https://x.test/${"i".repeat(2100)}` });
    assert.equal(r.data.message, "[body.image] Too big: expected string to have <=2048 characters");
  });

  it("never truncates passwords: the 128th character counts, the 129th is refused", async () => {
    const c = new Client(server.url);
    const email = uniqueEmail("len");
    const password = "p".repeat(127) + "X";
    assert.equal((await c.post("/api/auth/sign-up/email", { name: "L", email, password })).status, 200);
    const almost = await new Client(server.url).post("/api/auth/sign-in/email", { email, password: "p".repeat(128) });
    assert.equal(almost.status, 401);
    const tooLong = await new Client(server.url).post("/api/auth/sign-up/email", { name: "L", email: uniqueEmail(), password: "p".repeat(129) });
    assert.equal(tooLong.data.code, "PASSWORD_TOO_LONG");
  });

  it("refuses oversized headers before the handler (431) and keeps serving", async () => {
    const r = await rawRequest(server.url, "/api/auth/get-session", { headers: { cookie: `a=${"x".repeat(20_000)}` } });
    assert.equal(r.status, 431);
    assert.equal((await rawRequest(server.url, "/api/auth/ok")).status, 200);
  });

  it("refuses header injection (CR/LF) at the HTTP parser", async () => {
    const { port } = new URL(server.url);
    const reply = await new Promise((resolve, reject) => {
      const socket = connect(Number(port), "127.0.0.1", () => {
        socket.write("GET /api/auth/get-session HTTP/1.1\r\nHost: x\r\nCookie: a=b\rSet-Cookie: evil=1\r\n\r\n");
      });
      let data = "";
      socket.on("data", (d) => (data += d));
      socket.on("end", () => resolve(data));
      socket.on("error", reject);
    });
    assert.match(reply, /^HTTP\/1\.1 400/);
    assert.ok(!reply.includes("evil=1"));
    assert.equal((await rawRequest(server.url, "/api/auth/ok")).status, 200);
  });
});

describe("disableCSRFCheck and disableOriginCheck", () => {
  async function attempt(options) {
    const server = await startServer({ options });
    try {
      const c = new Client(server.url, { origin: server.url });
      await c.post("/api/auth/sign-up/email", { name: "D", email: uniqueEmail("switch"), password: "password123" });
      const csrf = await c.post("/api/auth/sign-out", {}, { headers: { origin: "https://evil.example" } });
      const redirect = await new Client(server.url).post("/api/auth/sign-in/email", { email: uniqueEmail(), password: "x", callbackURL: "https://evil.example" });
      return { csrf: csrf.status, redirect: redirect.data?.code ?? redirect.status };
    } finally {
      await server.close();
    }
  }

  it("checks both by default", async () => {
    assert.deepEqual(await attempt({}), { csrf: 403, redirect: "INVALID_CALLBACK_URL" });
  });

  it("disableCSRFCheck skips the Origin check but still validates redirects", async () => {
    assert.deepEqual(await attempt({ advanced: { disableCSRFCheck: true } }), { csrf: 200, redirect: "INVALID_CALLBACK_URL" });
  });

  it("disableOriginCheck turns off both, as upstream", async () => {
    assert.deepEqual(await attempt({ advanced: { disableOriginCheck: true } }), { csrf: 200, redirect: "INVALID_EMAIL_OR_PASSWORD" });
  });
});
