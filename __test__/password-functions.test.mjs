// emailAndPassword.password.{hash, verify}: the user's functions replace argon2id everywhere a
// password is hashed or checked (sign-up, sign-in, change-password, verify-password).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { startServer, Client, uniqueEmail } from "./helpers.mjs";

const require = createRequire(import.meta.url);
const reverse = (s) => [...s].reverse().join("");

describe("emailAndPassword.password.hash / verify", () => {
  let server;
  const calls = [];
  before(async () => {
    server = await startServer({
      options: {
        emailAndPassword: {
          enabled: true,
          password: {
            hash: async (password) => {
              calls.push("hash");
              return `custom$${reverse(password)}`;
            },
            verify: async ({ hash, password }) => {
              calls.push("verify");
              return hash === `custom$${reverse(password)}`;
            },
          },
        },
      },
    });
  });
  after(() => server?.close());

  it("stores what hash returns and signs in with what verify says", async () => {
    const email = uniqueEmail("custom-hash");
    const c = new Client(server.url);
    assert.equal((await c.post("/api/auth/sign-up/email", { name: "H", email, password: "password123" })).status, 200);
    const Database = require("better-sqlite3");
    const db = new Database(server.file, { readonly: true });
    const row = db.prepare(`select a."password" as p from "account" a join "user" u on u."id" = a."userId" where u."email" = ?`).get(email);
    db.close();
    assert.equal(row.p, "custom$321drowssap");

    assert.equal((await new Client(server.url).post("/api/auth/sign-in/email", { email, password: "password123" })).status, 200);
    const wrong = await new Client(server.url).post("/api/auth/sign-in/email", { email, password: "password124" });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.data.code, "INVALID_EMAIL_OR_PASSWORD");

    assert.equal((await c.post("/api/auth/verify-password", { password: "password123" })).status, 200);
    const changed = await c.post("/api/auth/change-password", { currentPassword: "password123", newPassword: "newpassword456" });
    assert.equal(changed.status, 200, changed.text);
    assert.equal((await new Client(server.url).post("/api/auth/sign-in/email", { email, password: "newpassword456" })).status, 200);
    assert.ok(calls.includes("hash") && calls.includes("verify"));
  });

  it("answers a throwing hash function with an error, creating no user", async () => {
    const failing = await startServer({
      options: { emailAndPassword: { enabled: true, password: { hash: async () => { throw new Error("kms down"); }, verify: async () => false } } },
    });
    try {
      const email = uniqueEmail("hash-throws");
      const r = await new Client(failing.url).post("/api/auth/sign-up/email", { name: "T", email, password: "password123" });
      assert.ok(r.status >= 400, r.text);
      assert.equal(r.data.code, "FAILED_TO_CREATE_USER");
      assert.ok(!r.text.includes("kms down"));
      const again = await new Client(failing.url).post("/api/auth/sign-in/email", { email, password: "password123" });
      assert.equal(again.status, 401, "no half-created user");
    } finally {
      await failing.close();
    }
  });
});
