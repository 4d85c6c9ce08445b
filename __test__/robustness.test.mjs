// Hostile and unlucky input: oversized and malformed bodies, races, a missing database, other
// server shapes. Every answer is a clear 4xx/5xx JSON error and the process lives on.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import { betterAuth } from "../index.js";
import { toNodeHandler } from "../node.js";
import { startServer, Client, rawRequest, uniqueEmail, SECRET, tempDbFile } from "./helpers.mjs";

describe("hostile input", () => {
  let server;
  before(async () => {
    server = await startServer({ options: { maxBodySize: 4096 } });
  });
  after(() => server.close());

  it("answers 413 to a body over maxBodySize and keeps serving", async () => {
    const body = JSON.stringify({ name: "x".repeat(100_000), email: uniqueEmail(), password: "password123" });
    const r = await rawRequest(server.url, "/api/auth/sign-up/email", { method: "POST", headers: { "content-type": "application/json" }, body });
    assert.equal(r.status, 413);
    assert.deepEqual(r.data, { message: "Request body is too large", code: "PAYLOAD_TOO_LARGE" });
    const ok = await new Client(server.url).request("/api/auth/ok");
    assert.equal(ok.status, 200);
  });

  it("answers 400 to deeply nested and malformed JSON", async () => {
    const deep = "[".repeat(2000) + "]".repeat(2000);
    for (const body of [deep, "{", '{"a":1}x', "\u0000"]) {
      const r = await rawRequest(server.url, "/api/auth/sign-in/email", { method: "POST", headers: { "content-type": "application/json" }, body });
      assert.equal(r.status, 400, body.slice(0, 10));
      assert.equal(r.data.code, "BAD_REQUEST");
    }
  });

  it("answers 415 without a content type, and to other media types", async () => {
    const none = await rawRequest(server.url, "/api/auth/sign-out", { method: "POST", body: "{}" });
    assert.equal(none.status, 415);
    assert.equal(none.data.message, "Content-Type is required. Allowed types: application/json");
    const xml = await rawRequest(server.url, "/api/auth/sign-in/email", { method: "POST", headers: { "content-type": "application/xml" }, body: "<a/>" });
    assert.deepEqual([xml.status, xml.data.code], [415, "UNSUPPORTED_MEDIA_TYPE"]);
  });

  it("lets exactly one of many concurrent sign-ups with one email win", async () => {
    const email = uniqueEmail("race");
    const attempts = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        new Client(server.url).post("/api/auth/sign-up/email", { name: `R${i}`, email, password: "password123" }),
      ),
    );
    const statuses = attempts.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 422, 422, 422, 422, 422, 422, 422]);
    for (const r of attempts.filter((a) => a.status === 422)) assert.equal(r.data.code, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL");
    const winner = attempts.find((r) => r.status === 200);
    const signIn = await new Client(server.url).post("/api/auth/sign-in/email", { email, password: "password123" });
    assert.equal(signIn.data.user.id, winner.data.user.id);
  });

  it("treats oversized and odd cookies as no session", async () => {
    for (const cookie of ["better-auth.session_token=" + "a".repeat(4000), "better-auth.session_token=%E0%A4%A", "=;;==; ; better-auth.session_token"]) {
      const r = await rawRequest(server.url, "/api/auth/get-session", { headers: { cookie } });
      assert.equal(r.status, 200);
      assert.equal(r.text, "null");
    }
  });
});

describe("a client that aborts mid-request", () => {
  it("is logged at debug, not as a server error, and the server keeps serving", async () => {
    const lines = [];
    const server = await startServer({ options: { logger: { level: "debug", log: (level, message) => lines.push([level, message]) } } });
    try {
      const { port } = new URL(server.url);
      await new Promise((resolve) => {
        const socket = net.connect(Number(port), "127.0.0.1", () => {
          socket.write("POST /api/auth/sign-up/email HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"name\":");
          setTimeout(() => (socket.destroy(), resolve()), 100);
        });
      });
      for (let i = 0; i < 50 && !lines.some(([, m]) => m.includes("aborted")); i++) await new Promise((r) => setTimeout(r, 20));
      assert.ok(lines.some(([level, m]) => level === "debug" && m.includes("request aborted by the client: POST /api/auth/sign-up/email")), JSON.stringify(lines));
      assert.deepEqual(lines.filter(([level]) => level === "error"), []);
      assert.equal((await new Client(server.url).request("/api/auth/ok")).status, 200);
    } finally {
      await server.close();
    }
  });
});

describe("a client that trickles its body", () => {
  it("gets 408 JSON after bodyTimeout, and the connection is closed", { timeout: 10_000 }, async () => {
    const server = await startServer({ options: { bodyTimeout: 300 } });
    try {
      const { port } = new URL(server.url);
      const answer = await new Promise((resolve) => {
        let text = "";
        const socket = net.connect(Number(port), "127.0.0.1", () => {
          socket.write("POST /api/auth/sign-up/email HTTP/1.1\r\nHost: x\r\nOrigin: http://localhost:5173\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{");
          const drip = setInterval(() => socket.writable && socket.write(" "), 100);
          socket.on("data", (d) => (text += d));
          socket.on("close", () => (clearInterval(drip), resolve(text)));
        });
      });
      assert.match(answer, /^HTTP\/1\.1 408 /);
      assert.match(answer, /content-type: application\/json/i);
      assert.ok(answer.includes('{"message":"Request body timeout","code":"REQUEST_TIMEOUT"}'), answer);
      assert.equal((await new Client(server.url).request("/api/auth/ok")).status, 200);
    } finally {
      await server.close();
    }
  });
});

describe("a database that is not there", () => {
  it("answers 500 JSON on endpoints that need it, and the process lives on", async () => {
    const server = await startServer({ dbFile: "/nonexistent-dir/for-sure/auth.db" });
    try {
      const r = await new Client(server.url).post("/api/auth/sign-up/email", { name: "N", email: uniqueEmail(), password: "password123" });
      assert.equal(r.status, 500);
      assert.equal(r.data.code, "INTERNAL_SERVER_ERROR");
      const s = await new Client(server.url).request("/api/auth/get-session", { headers: { cookie: "a=b" } });
      assert.equal(s.text, "null", "no signed cookie: nothing to look up");
      const ok = await new Client(server.url).request("/api/auth/ok");
      assert.equal(ok.status, 200);
    } finally {
      await server.close();
    }
  });
});

describe("other ways to mount", () => {
  it("works on plain node:http, with toNodeHandler(auth.handler) too", async () => {
    const auth = betterAuth({ database: `sqlite:${tempDbFile()}`, secret: SECRET, emailAndPassword: { enabled: true }, logger: { disabled: true } });
    for (const target of [auth, auth.handler]) {
      const server = http.createServer(toNodeHandler(target));
      await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
      const url = `http://127.0.0.1:${server.address().port}`;
      try {
        const c = new Client(url, { origin: url });
        const up = await c.post("/api/auth/sign-up/email", { name: "Plain", email: uniqueEmail("plain"), password: "password123" });
        assert.equal(up.status, 200, up.text);
        assert.equal((await c.request("/api/auth/get-session")).data.user.name, "Plain");
      } finally {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    }
  });

  it("re-reads form bodies that express.urlencoded() consumed first", async () => {
    const { default: express } = await import("express");
    const auth = betterAuth({ database: `sqlite:${tempDbFile()}`, secret: SECRET, emailAndPassword: { enabled: true }, logger: { disabled: true } });
    const app = express();
    app.use(express.urlencoded({ extended: true }));
    app.use(express.json());
    app.all("/api/auth/*splat", toNodeHandler(auth));
    const server = await new Promise((resolve) => { const s = app.listen(0, "127.0.0.1", () => resolve(s)); });
    const url = `http://127.0.0.1:${server.address().port}`;
    try {
      const email = uniqueEmail("urlenc");
      const body = new URLSearchParams({ name: "Form First", email, password: "password123" }).toString();
      const r = await rawRequest(url, "/api/auth/sign-up/email", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.data.user.name, "Form First");
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
