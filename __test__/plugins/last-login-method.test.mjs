// lastLoginMethod: the cookie on sign-in and sign-up (not on failures), the user field with
// storeInDatabase, beforeStoreCookie; against upstream.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { Client } from "../helpers.mjs";
import { startBoth, assertSameSteps } from "./differential.mjs";

const COOKIE = "better-auth.last_used_login_method";
const cookieOf = (r, name = COOKIE) => (r.cookies[name] ? { value: r.cookies[name].value, attributes: [...r.cookies[name].attributes].sort() } : null);

describe("lastLoginMethod plugin, as upstream", () => {
  let servers;
  before(async () => {
    servers = await startBoth((p) => ({ plugins: [p.lastLoginMethod({ storeInDatabase: true })] }));
  });
  after(() => Promise.all(Object.values(servers).map((s) => s.close())));

  it("gives the same answers step by step", async () => {
    const tag = Date.now().toString(36);
    await assertSameSteps(servers, async (server, step) => {
      const email = `llm-${tag}@example.com`;
      const a = new Client(server.url);
      const up = await a.post("/api/auth/sign-up/email", { name: "L", email, password: "password123" });
      step("sign-up", up, { cookie: cookieOf(up) });
      const session = await a.request("/api/auth/get-session");
      step("session has the field", session, { cookie: cookieOf(session) });
      const wrong = await new Client(server.url).post("/api/auth/sign-in/email", { email, password: "password124" });
      step("failed sign-in sets nothing", wrong, { cookie: cookieOf(wrong) });
      const b = new Client(server.url);
      const signIn = await b.post("/api/auth/sign-in/email", { email, password: "password123" });
      step("sign-in", signIn, { cookie: cookieOf(signIn) });
      step("the field is set", await b.request("/api/auth/get-session"));
      step("the field is not input", await b.post("/api/auth/update-user", { lastLoginMethod: "github" }));
    });
  });
});

describe("lastLoginMethod options, as upstream", () => {
  let servers;
  before(async () => {
    servers = await startBoth((p) => ({
      plugins: [p.lastLoginMethod({ cookieName: "app.last", maxAge: 3600, beforeStoreCookie: (ctx, method) => ctx.path === "/sign-in/email" && method === "email" })],
    }));
  });
  after(() => Promise.all(Object.values(servers).map((s) => s.close())));

  it("names its cookie and asks beforeStoreCookie", async () => {
    const tag = Date.now().toString(36);
    await assertSameSteps(servers, async (server, step) => {
      const email = `llm2-${tag}@example.com`;
      const up = await new Client(server.url).post("/api/auth/sign-up/email", { name: "L", email, password: "password123" });
      step("sign-up refused by beforeStoreCookie", up, { cookie: cookieOf(up, "app.last") });
      const signIn = await new Client(server.url).post("/api/auth/sign-in/email", { email, password: "password123" });
      step("sign-in allowed", signIn, { cookie: cookieOf(signIn, "app.last") });
    });
  });
});
