// More than 200 hostile requests across the endpoints: each gets a clear 4xx JSON error, the
// process stays up, and the database is byte-for-byte unchanged afterwards.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { startServer, Client, rawRequest, uniqueEmail } from "./helpers.mjs";

const require = createRequire(import.meta.url);
const Database = require("better-sqlite3");

const STRINGS = [
  "' OR '1'='1",
  "\"; DROP TABLE \"user\"; --",
  "admin'--",
  "1; SELECT * FROM session",
  "' UNION SELECT password FROM account --",
  "a\u0000b",
  "x".repeat(100_000),
  "𝓪𝓭𝓶𝓲𝓷@example.com",
  "\u202eevil@example.com",
  "\uFEFFuser@example.com",
  "ａｄｍｉｎ@example.com",
  "a＠example.com",
  "user@example.com\r\nBcc: victim@example.com",
  "\t",
  "",
  "<script>alert(1)</script>",
  "${7*7}{{7*7}}",
  "../../etc/passwd",
  "%00%0d%0a",
  "\ud800",
];
const WRONG_TYPES = [null, 42, true, [], {}, ["a@b.co"], { $ne: null }];

/** encodeURIComponent, with lone surrogates sent as the raw bytes a client could send. */
const enc = (s) => {
  try {
    return enc(s);
  } catch {
    return "%ED%A0%80";
  }
};

/** Counts and a hash of every row, per table: what "unchanged" means. */
function snapshot(file) {
  const db = new Database(file, { readonly: true });
  try {
    const out = {};
    for (const table of ["user", "account", "session", "verification"]) {
      const rows = db.prepare(`select * from "${table}" order by id`).all();
      out[table] = { count: rows.length, hash: createHash("sha256").update(JSON.stringify(rows)).digest("hex") };
    }
    return out;
  } finally {
    db.close();
  }
}

function requests(existingEmail) {
  const list = [];
  const json = (path, body, headers = {}) => list.push({ path, method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  for (const s of STRINGS) {
    // Sign-up: every payload also fails on a password that is too short, so none may create a user.
    json("/api/auth/sign-up/email", { name: s, email: s, password: "short" });
    json("/api/auth/sign-up/email", { name: "n", email: `${s}@example.com`, password: s.length >= 8 ? "short" : s });
    json("/api/auth/sign-up/email", { name: "n", email: s, password: s, image: s });
    // Sign-in: hostile email, hostile password against a real account.
    json("/api/auth/sign-in/email", { email: s, password: s });
    json("/api/auth/sign-in/email", { email: existingEmail, password: s || "x" });
    json("/api/auth/sign-in/email", { email: `${s}@example.com`, password: "password123", callbackURL: s || "//evil" });
    // Session endpoints with a hostile cookie: never a session.
    list.push({ path: "/api/auth/list-sessions", method: "GET", headers: { cookie: `better-auth.session_token=${enc(s)}.x` } });
    json("/api/auth/revoke-session", { token: s }, { cookie: `better-auth.session_token=${enc(s)}` });
    json("/api/auth/revoke-sessions", {}, { cookie: `better-auth.session_token=${enc(s)}`, origin: "http://localhost:5173" });
  }
  for (const t of WRONG_TYPES) {
    json("/api/auth/sign-up/email", { name: t, email: t, password: t });
    json("/api/auth/sign-in/email", { email: t, password: t });
    json("/api/auth/sign-in/email", { email: existingEmail, password: t });
    json("/api/auth/sign-up/email", t);
  }
  const raw = (path, body, contentType = "application/json") => list.push({ path, method: "POST", headers: { "content-type": contentType }, body });
  for (const path of ["/api/auth/sign-up/email", "/api/auth/sign-in/email"]) {
    raw(path, `{"email":"${existingEmail}","email":"x@y.co","password":"x","name":"dup"}`);
    raw(path, `{"__proto__":{"isAdmin":true},"email":"${existingEmail}","password":"x","name":"p"}`);
    raw(path, `{"constructor":{"prototype":{"polluted":true}},"email":"bad","password":"x"}`);
    raw(path, Buffer.from([0x7b, 0x22, 0x65, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]));
    raw(path, "[".repeat(5000) + "]".repeat(5000));
    raw(path, '{"email": "a@b.co", "password": 1e999}');
    raw(path, "null");
    raw(path, '"a string"');
    raw(path, "{}", "text/plain");
    raw(path, "{}", "multipart/form-data; boundary=x");
    raw(path, "email=%27+OR+1%3D1&password=%00", "application/x-www-form-urlencoded");
    raw(path, "email[]=a&email[]=b&password=x", "application/x-www-form-urlencoded");
    raw(path, `email=${encodeURIComponent(existingEmail)}&password=nope&name=x`, "application/x-www-form-urlencoded");
  }
  return list;
}

describe("hostile input suite", () => {
  let server;
  let existingEmail;
  before(async () => {
    server = await startServer();
    existingEmail = uniqueEmail("target");
    await new Client(server.url).post("/api/auth/sign-up/email", { name: "Target", email: existingEmail, password: "password123" });
  });
  after(() => server.close());

  it("answers every request with a 4xx JSON error and leaves the database unchanged", async () => {
    const before = snapshot(server.file);
    const list = requests(existingEmail);
    assert.ok(list.length >= 200, `${list.length} requests`);
    for (const req of list) {
      const r = await rawRequest(server.url, req.path, req);
      const label = `${req.method} ${req.path} ${String(req.body ?? req.headers.cookie).slice(0, 80)}`;
      assert.ok(r.status >= 400 && r.status < 500, `${label} -> ${r.status} ${r.text.slice(0, 200)}`);
      assert.equal(typeof r.data?.message, "string", `${label}: a JSON error body, got ${r.text.slice(0, 200)}`);
    }
    assert.deepEqual(snapshot(server.file), before, "no row was added, changed or removed");
    assert.equal((await rawRequest(server.url, "/api/auth/ok")).status, 200, "the process is alive");
    const stillWorks = await new Client(server.url).post("/api/auth/sign-in/email", { email: existingEmail, password: "password123" });
    assert.equal(stillWorks.status, 200);
  });

  it("get-session treats every hostile cookie and query as no session", async () => {
    for (const s of STRINGS.filter((x) => x.length < 1000)) {
      const r = await rawRequest(server.url, `/api/auth/get-session?disableRefresh=${enc(s)}`, {
        headers: { cookie: `better-auth.session_token=${enc(s)}; better-auth.dont_remember=${enc(s)}` },
      });
      assert.deepEqual([r.status, r.text], [200, "null"], s);
    }
  });
});

describe("hostile redirect targets", () => {
  it("CR/LF in a callbackURL never splits a header or crashes a request: answered as upstream (302 with it stripped)", async () => {
    const targets = ["http://localhost:5173/done\r\nSet-Cookie: pwned=1", "http://localhost:5173/a\rb\nc", "/done\r\nSet-Cookie: pwned=1"];
    const results = {};
    for (const impl of ["upstream", "ours"]) {
      const server = await startServer({ impl });
      try {
        results[impl] = [];
        for (const target of targets) {
          const r = await rawRequest(server.url, `/api/auth/verify-email?token=bad&callbackURL=${encodeURIComponent(target)}`);
          results[impl].push({ status: r.status, location: r.headers.location ?? null, cookies: r.headers["set-cookie"] ?? [] });
        }
      } finally {
        await server.close();
      }
    }
    assert.deepEqual(results.ours, results.upstream);
    assert.deepEqual(results.ours.map((r) => r.status), [302, 302, 403]);
    for (const r of results.ours) {
      assert.ok(!/[\r\n]/.test(r.location ?? ""), r.location);
      assert.deepEqual(r.cookies, []);
    }
  });
});

describe("answers upstream gives whatever fails behind them", () => {
  it("a redirect carries Content-Type: application/json; a throwing sendResetPassword still answers { status: true }; an empty sign-up body names both expectations", async () => {
    const results = {};
    for (const impl of ["upstream", "ours"]) {
      const server = await startServer({ impl, options: { emailAndPassword: { enabled: true, sendResetPassword: async () => { throw new Error("smtp down"); } } } });
      try {
        const redirect = await rawRequest(server.url, `/api/auth/verify-email?token=bad&callbackURL=${encodeURIComponent("http://localhost:5173/x")}`);
        const email = `mailer-${impl}-${Date.now()}@example.com`;
        await new Client(server.url).post("/api/auth/sign-up/email", { name: "M", email, password: "password123" });
        const reset = await new Client(server.url).post("/api/auth/request-password-reset", { email, redirectTo: "/reset" });
        const empty = await rawRequest(server.url, "/api/auth/sign-up/email", { method: "POST", headers: { "content-type": "application/json", origin: "http://localhost:5173" } });
        results[impl] = {
          redirect: [redirect.status, redirect.headers["content-type"], redirect.headers.location],
          reset: [reset.status, reset.data],
          empty: [empty.status, empty.data],
        };
      } finally {
        await server.close();
      }
    }
    assert.deepEqual(results.ours, results.upstream);
    assert.equal(results.ours.redirect[1], "application/json");
    assert.equal(results.ours.reset[0], 200);
  });
});
