// hooks.before / hooks.after against upstream: what ctx holds, changing the body, answering in
// the endpoint's place, throwing APIError before and after, replacing the result, headers and
// cookies set from a hook.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, Client } from "./helpers.mjs";
import { summarize } from "./scenario.mjs";

async function hookOptions(impl, log) {
  const { createAuthMiddleware, APIError } = impl === "ours" ? await import("../api.js") : await import("better-auth/api");
  return {
    hooks: {
      before: createAuthMiddleware(async (ctx) => {
        log.push(["before", ctx.path, typeof ctx.body, ctx.headers instanceof Headers, ctx.request instanceof Request]);
        if (ctx.path === "/sign-up/email") {
          if (!ctx.body?.email?.endsWith("@example.com")) throw new APIError("BAD_REQUEST", { message: "Only example.com emails" });
          return { context: { body: { name: `Hooked ${ctx.body.name}` } } };
        }
        if (ctx.path === "/ok" && ctx.query?.short) {
          ctx.setHeader("x-hook", "before");
          return ctx.json({ shortCircuited: true });
        }
      }),
      after: createAuthMiddleware(async (ctx) => {
        const returned = ctx.context.returned;
        log.push(["after", ctx.path, returned instanceof Error ? `error ${returned.statusCode}` : typeof returned, Boolean(ctx.context.newSession), ctx.context.newSession?.user?.name ?? null]);
        if (ctx.path === "/sign-in/email" && ctx.context.newSession) {
          ctx.setCookie("hooked", "1", { path: "/" });
          ctx.setHeader("x-signed-in", ctx.context.newSession.user.email);
        }
        if (ctx.path === "/ok" && ctx.query?.replace) return ctx.json({ replaced: true });
        if (ctx.path === "/sign-in/email" && ctx.body?.email?.startsWith("veto")) throw new APIError("FORBIDDEN", { message: "vetoed", code: "VETO" });
      }),
    },
  };
}

async function scenario(url, tag) {
  const results = [];
  const step = async (name, fn) => {
    const r = await fn();
    results.push({ name, ...summarize(r), hookHeader: r.headers.get("x-hook"), signedIn: r.headers.get("x-signed-in"), hooked: r.cookies.hooked?.value ?? null });
  };
  const email = `rhooks-${tag}@example.com`;
  await step("ok", () => new Client(url).request("/api/auth/ok"));
  await step("ok short-circuited", () => new Client(url).request("/api/auth/ok?short=1"));
  await step("ok replaced", () => new Client(url).request("/api/auth/ok?replace=1"));
  await step("sign-up refused by before", () => new Client(url).post("/api/auth/sign-up/email", { name: "X", email: "x@other.org", password: "password123" }));
  await step("sign-up with body changed", () => new Client(url).post("/api/auth/sign-up/email", { name: "Ann", email, password: "password123" }));
  await step("sign-in with after headers", () => new Client(url).post("/api/auth/sign-in/email", { email, password: "password123" }));
  await step("sign-in wrong password", () => new Client(url).post("/api/auth/sign-in/email", { email, password: "nope-nope-1" }));
  await step("vetoed after success", () => new Client(url).post("/api/auth/sign-up/email", { name: "V", email: `veto-${email}`, password: "password123" }).then(() => new Client(url).post("/api/auth/sign-in/email", { email: `veto-${email}`, password: "password123" })));
  await step("vetoed after an error keeps the status", () => new Client(url).post("/api/auth/sign-in/email", { email: `veto-none-${email}`, password: "password123" }));
  return results;
}

describe("hooks.before / hooks.after against upstream", () => {
  const servers = [];
  after(() => Promise.all(servers.map((s) => s.close())));

  it("run around every endpoint alike", async () => {
    const logs = { ours: [], upstream: [] };
    for (const impl of ["ours", "upstream"]) servers.push(await startServer({ impl, options: await hookOptions(impl, logs[impl]) }));
    const [ours, upstream] = servers;
    const tag = Date.now().toString(36);
    const expected = await scenario(upstream.url, tag);
    const actual = await scenario(ours.url, tag);
    for (let i = 0; i < expected.length; i++) assert.deepEqual(actual[i], expected[i], `step "${expected[i].name}" differs`);
    assert.deepEqual(logs.ours, logs.upstream);
  });

  it("runs for auth.api calls too, where ctx has no request", async () => {
    const logs = { ours: [], upstream: [] };
    const results = {};
    for (const impl of ["ours", "upstream"]) {
      const server = await startServer({ impl, options: await hookOptions(impl, logs[impl]) });
      servers.push(server);
      results[impl] = await server.auth.api.ok();
      const refused = await server.auth.api.signUpEmail({ body: { name: "A", email: "a@other.org", password: "password123" } }).catch((e) => e);
      results[`${impl} refused`] = [refused.name, refused.statusCode, refused.body?.message];
    }
    assert.deepEqual(results.ours, results.upstream);
    assert.deepEqual(results["ours refused"], results["upstream refused"]);
    assert.deepEqual(logs.ours, logs.upstream);
  });
});

describe("hooks.before: headers and redirects", () => {
  it("sets headers over the request's (cookies re-read) and passes a thrown redirect through", async () => {
    const { createAuthMiddleware } = await import("../api.js");
    const server = await startServer({
      options: {
        hooks: {
          before: createAuthMiddleware(async (ctx) => {
            // A bearer token turned into the session cookie, as upstream's bearer plugin does.
            const bearer = ctx.headers?.get("authorization")?.replace(/^Bearer /, "");
            if (bearer) return { context: { headers: new Headers({ cookie: `better-auth.session_token=${bearer}` }) } };
            if (ctx.path === "/list-sessions" && ctx.query?.away) throw ctx.redirect("/login");
          }),
        },
      },
    });
    try {
      const c = new Client(server.url);
      const up = await c.post("/api/auth/sign-up/email", { name: "B", email: `bearer-${Date.now()}@example.com`, password: "password123" }, { headers: { "user-agent": "kept-agent" } });
      assert.equal(up.status, 200);
      const signed = c.jar.get("better-auth.session_token");
      const viaBearer = await new Client(server.url).request("/api/auth/get-session", { headers: { authorization: `Bearer ${signed}`, "user-agent": "kept-agent" } });
      assert.equal(viaBearer.data?.session.token, up.data.token, viaBearer.text);
      assert.equal(viaBearer.data.session.userAgent, "kept-agent", "the other headers stay");
      const away = await c.request("/api/auth/list-sessions?away=1");
      assert.equal(away.status, 302);
      assert.equal(away.headers.get("location"), "/login");
    } finally {
      await server.close();
    }
  });
});
