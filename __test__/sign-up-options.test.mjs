// Generic-duplicate sign-up hooks (onExistingUserSignUp, customSyntheticUser) and the
// `request` argument function options receive over HTTP.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { startServer, Client, uniqueEmail, FRONTEND } from "./helpers.mjs";

describe("sign-up options", () => {
  it("tells onExistingUserSignUp about a duplicate and answers with customSyntheticUser's user", async () => {
    const existing = [];
    const server = await startServer({
      options: {
        emailAndPassword: {
          enabled: true,
          autoSignIn: false,
          onExistingUserSignUp: async ({ user }, request) => existing.push({ email: user.email, origin: request?.headers.get("origin") }),
          customSyntheticUser: ({ coreFields, id }) => ({ ...coreFields, id, synthetic: true }),
        },
      },
    });
    try {
      const email = uniqueEmail("dupe");
      const first = await new Client(server.url).post("/api/auth/sign-up/email", { name: "A", email, password: "password123" });
      assert.equal(first.data.token, null);
      assert.equal(first.data.user.synthetic, undefined, "a real sign-up is not synthetic");
      const dup = await new Client(server.url).post("/api/auth/sign-up/email", { name: "B", email, password: "password123" });
      assert.equal(dup.status, 200);
      assert.equal(dup.data.user.synthetic, true);
      assert.equal(dup.data.user.email, email);
      assert.notEqual(dup.data.user.id, first.data.user.id);
      assert.deepEqual(existing, [{ email, origin: FRONTEND }]);
    } finally {
      await server.close();
    }
  });

  it("passes the HTTP request as the last argument, as upstream passes ctx.request", async () => {
    const seen = [];
    const server = await startServer({
      options: {
        emailAndPassword: {
          enabled: true,
          sendResetPassword: async (data, request) => seen.push({ token: data.token, request }),
        },
      },
    });
    try {
      const email = uniqueEmail("req");
      await new Client(server.url).post("/api/auth/sign-up/email", { name: "R", email, password: "password123" });
      await new Client(server.url).post("/api/auth/request-password-reset", { email }, { headers: { "user-agent": "reset-test" } });
      const { request } = seen[0];
      assert.ok(request instanceof Request);
      assert.equal(request.method, "POST");
      assert.ok(request.url.endsWith("/api/auth/request-password-reset"));
      assert.equal(request.headers.get("user-agent"), "reset-test");
      // Through auth.api there is no request, as upstream.
      await server.auth.api.requestPasswordReset({ body: { email } });
      assert.equal(seen[1].request, undefined);
    } finally {
      await server.close();
    }
  });
});
