// Deleting one's account and update-session over HTTP.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, Client, rawRequest, uniqueEmail, FRONTEND } from "./helpers.mjs";

async function signedIn(server) {
  const c = new Client(server.url);
  const email = uniqueEmail("delete");
  await c.post("/api/auth/sign-up/email", { name: "D", email, password: "password123" });
  return { c, email };
}

describe("delete-user", () => {
  it("is a 404 until enabled (and a 401 without a session)", async () => {
    const server = await startServer();
    try {
      const { c } = await signedIn(server);
      const r = await c.post("/api/auth/delete-user", { password: "password123" });
      assert.deepEqual([r.status, r.text], [404, ""]);
      assert.equal((await new Client(server.url).post("/api/auth/delete-user", {})).status, 401);
      const cb = await rawRequest(server.url, "/api/auth/delete-user/callback?token=x");
      assert.deepEqual([cb.status, cb.data], [404, { message: "Not found", code: "NOT_FOUND" }]);
    } finally {
      await server.close();
    }
  });

  it("deletes with the password, running beforeDelete/afterDelete; a throwing beforeDelete refuses", async () => {
    const events = [];
    let refuse = false;
    const server = await startServer({
      options: {
        user: {
          deleteUser: {
            enabled: true,
            beforeDelete: async (user) => {
              if (refuse) throw new Error("not today");
              events.push(["before", user.email]);
            },
            afterDelete: async (user) => events.push(["after", user.email]),
          },
        },
      },
    });
    try {
      const { c, email } = await signedIn(server);
      const wrong = await c.post("/api/auth/delete-user", { password: "wrong-password" });
      assert.deepEqual([wrong.status, wrong.data.code], [400, "INVALID_PASSWORD"]);
      refuse = true;
      const refused = await c.post("/api/auth/delete-user", { password: "password123" });
      assert.equal(refused.status, 500);
      assert.equal((await new Client(server.url).post("/api/auth/sign-in/email", { email, password: "password123" })).status, 200, "nothing was deleted");
      refuse = false;
      const r = await c.post("/api/auth/delete-user", { password: "password123" });
      assert.deepEqual(r.data, { success: true, message: "User deleted" });
      assert.equal(r.cookies["better-auth.session_token"].maxAge, 0);
      assert.deepEqual(events, [["before", email], ["after", email]]);
      assert.equal((await new Client(server.url).post("/api/auth/sign-in/email", { email, password: "password123" })).status, 401);
    } finally {
      await server.close();
    }
  });

  it("without a password needs a fresh session", async () => {
    const server = await startServer({ options: { user: { deleteUser: { enabled: true } }, session: { freshAge: 1 } } });
    try {
      const { c } = await signedIn(server);
      await new Promise((r) => setTimeout(r, 1100));
      const r = await c.post("/api/auth/delete-user", {});
      assert.deepEqual([r.status, r.data.code], [400, "SESSION_EXPIRED"]);
    } finally {
      await server.close();
    }
  });

  it("mails a single-use link when sendDeleteAccountVerification is set", async () => {
    const mails = [];
    const server = await startServer({
      options: { user: { deleteUser: { enabled: true, sendDeleteAccountVerification: async (m) => mails.push(m) } } },
    });
    try {
      const { c, email } = await signedIn(server);
      const r = await c.post("/api/auth/delete-user", { callbackURL: `${FRONTEND}/bye` });
      assert.deepEqual(r.data, { success: true, message: "Verification email sent" });
      const { url, token, user } = mails[0];
      assert.match(token, /^[0-9a-z]{32}$/);
      assert.equal(user.email, email);
      assert.equal(url, `${server.url}/api/auth/delete-user/callback?token=${token}&callbackURL=${encodeURIComponent(`${FRONTEND}/bye`)}`);
      const bad = await c.request(`/api/auth/delete-user/callback?token=nope`);
      assert.deepEqual([bad.status, bad.data.code], [404, "INVALID_TOKEN"]);
      const anonymous = await rawRequest(server.url, new URL(url).pathname + new URL(url).search);
      assert.deepEqual([anonymous.status, anonymous.data.code], [404, "FAILED_TO_GET_USER_INFO"]);
      const done = await c.request(new URL(url).pathname + new URL(url).search);
      assert.deepEqual([done.status, done.headers.get("location")], [302, `${FRONTEND}/bye`]);
      assert.equal((await new Client(server.url).post("/api/auth/sign-in/email", { email, password: "password123" })).status, 401);
    } finally {
      await server.close();
    }
  });
});

describe("update-session", () => {
  it("has no fields to update without session.additionalFields", async () => {
    const server = await startServer();
    try {
      const { c } = await signedIn(server);
      const r = await c.post("/api/auth/update-session", { anything: 1 });
      assert.deepEqual([r.status, r.data], [400, { message: "No fields to update" }]);
      assert.equal((await new Client(server.url).post("/api/auth/update-session", {})).status, 401);
    } finally {
      await server.close();
    }
  });
});
