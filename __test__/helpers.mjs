// Shared test helpers: real Express servers on loopback (ours or upstream better-auth), and a
// small HTTP client that keeps cookies like a browser.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

export const SECRET = "test-secret-for-better-auth-rs-0123456789";
export const FRONTEND = "http://localhost:5173";

/** Upstream configured to also verify our argon2id hashes: the documented way back. */
export async function upstreamPasswordOptions() {
  const argon2 = require("@node-rs/argon2");
  const { verifyPassword } = await import("better-auth/crypto");
  return {
    enabled: true,
    password: {
      verify: ({ hash, password }) => (hash.startsWith("$argon2") ? argon2.verify(hash, password) : verifyPassword({ hash, password })),
    },
  };
}

export function tempDbFile(name = "auth.db") {
  return join(mkdtempSync(join(tmpdir(), "better-auth-rs-")), name);
}

/** Loads Express 5 (`express`) or 4 (`express4`, an npm alias). */
function loadExpress(version) {
  return version === 4 ? require("express4") : require("express");
}

async function listen(app) {
  return new Promise((resolve) => {
    const server = app.listen(0, "127.0.0.1", () => resolve(server));
  });
}

/**
 * Starts the guide's app. `impl`: "ours" | "upstream". `dbFile`: a SQLite file shared with
 * another server, for takeover tests. `jsonFirst`: mount express.json() before the handler.
 * `database`: a database from databases.mjs (Postgres, MySQL or SQLite) instead of a file;
 * `passPool`: give ours the pool object upstream gets, not the URL.
 */
export async function startServer({ impl = "ours", expressVersion = 5, options = {}, dbFile, jsonFirst = false, database, passPool = false } = {}) {
  const file = dbFile ?? tempDbFile();
  let auth;
  let toNodeHandler;
  let fromNodeHeaders;
  const baseOptions = {
    secret: SECRET,
    emailAndPassword: { enabled: true },
    trustedOrigins: [FRONTEND],
    logger: { disabled: true },
    ...options,
  };
  if (impl === "ours") {
    ({ toNodeHandler, fromNodeHeaders } = await import("../node.js"));
    const { betterAuth } = await import("../index.js");
    const db = database ? (passPool ? database.upstreamDatabase() : database.url) : `sqlite:${file}`;
    auth = betterAuth({ database: db, ...(database && database.dialect !== "sqlite" ? { autoMigrate: true } : {}), ...baseOptions });
  } else {
    ({ toNodeHandler, fromNodeHeaders } = await import("better-auth/node"));
    const { betterAuth } = await import("better-auth");
    const { getMigrations } = await import("better-auth/db/migration");
    const Database = require("better-sqlite3");
    const config = { database: database ? database.upstreamDatabase() : new Database(file), ...baseOptions };
    const { runMigrations } = await getMigrations(config);
    await runMigrations();
    auth = betterAuth(config);
  }
  const express = loadExpress(expressVersion);
  const app = express();
  if (jsonFirst) app.use(express.json());
  app.all(expressVersion === 4 ? "/api/auth/*" : "/api/auth/*splat", toNodeHandler(auth));
  if (!jsonFirst) app.use(express.json());
  app.get("/api/me", async (req, res) => {
    res.json(await auth.api.getSession({ headers: fromNodeHeaders(req.headers) }));
  });
  const server = await listen(app);
  const { port } = server.address();
  return {
    auth,
    file,
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }),
  };
}

/** Parses `Set-Cookie` lines into `{ name: { value, attributes: Set<string>, maxAge } }`. */
export function parseSetCookies(lines) {
  const cookies = {};
  for (const line of lines) {
    const [pair, ...attrs] = line.split(";").map((s) => s.trim());
    const eq = pair.indexOf("=");
    const name = pair.slice(0, eq);
    const attributes = new Set();
    let maxAge;
    for (const a of attrs) {
      const [k, v] = a.split("=");
      const key = k.toLowerCase();
      if (key === "max-age") maxAge = Number(v);
      attributes.add(v === undefined ? key : `${key}=${key === "max-age" ? "*" : v.toLowerCase()}`);
    }
    cookies[name] = { value: pair.slice(eq + 1), attributes, maxAge };
  }
  return cookies;
}

/** A client that stores cookies from responses and sends them back, like a browser. */
export class Client {
  constructor(base, { origin = FRONTEND } = {}) {
    this.base = base;
    this.origin = origin;
    this.jar = new Map();
  }

  cookieHeader() {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  async request(path, { method = "GET", json, body, headers = {}, cookies = true } = {}) {
    const h = { ...headers };
    if (this.origin && !("origin" in h)) h.origin = this.origin;
    if (cookies && this.jar.size && !("cookie" in h)) h.cookie = this.cookieHeader();
    let payload = body;
    if (json !== undefined) {
      payload = JSON.stringify(json);
      h["content-type"] ??= "application/json";
    }
    const res = await fetch(this.base + path, { method, headers: h, body: payload, redirect: "manual" });
    const text = await res.text();
    const setCookies = res.headers.getSetCookie();
    const parsed = parseSetCookies(setCookies);
    for (const [name, c] of Object.entries(parsed)) {
      if (c.maxAge === 0) this.jar.delete(name);
      else this.jar.set(name, c.value);
    }
    let data;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      data = undefined;
    }
    return { status: res.status, headers: res.headers, text, data, cookies: parsed, setCookies };
  }

  post(path, json, options = {}) {
    return this.request(path, { ...options, method: "POST", json });
  }
}

export function uniqueEmail(tag = "user") {
  return `${tag}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

/**
 * A request through node:http, which (unlike fetch) sends exactly the headers given:
 * no `sec-fetch-*` of its own, nothing added.
 */
export async function rawRequest(base, path, { method = "GET", headers = {}, body } = {}) {
  const http = await import("node:http");
  return new Promise((resolve, reject) => {
    const req = http.request(base + path, { method, headers }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString();
        let data;
        try {
          data = text ? JSON.parse(text) : undefined;
        } catch {}
        resolve({ status: res.statusCode, headers: res.headers, text, data });
      });
    });
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** A fetch with a cookie jar and the browser's Origin, as a page on FRONTEND would send (for the official client). */
export function browserLikeFetch() {
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
