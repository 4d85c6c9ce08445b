// The plugin platform: one endpoint table behind the router, auth.api and the .d.ts files;
// upstream's auth.api names for the same plugins; strict plugin options.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createRequire } from "node:module";

const ROOT = resolve(import.meta.dirname, "..", "..");
const require = createRequire(import.meta.url);

async function both(pluginsFor) {
  const { betterAuth: upstreamAuth } = await import("better-auth");
  const Database = require("better-sqlite3");
  const { betterAuth } = await import("../../index.js");
  const base = { emailAndPassword: { enabled: true }, logger: { disabled: true }, secret: "platform-test-secret-0123456789abcdef" };
  const upstream = upstreamAuth({ ...base, database: new Database(":memory:"), plugins: pluginsFor(await import("better-auth/plugins")) });
  const ours = betterAuth({ ...base, database: "sqlite::memory:", plugins: pluginsFor(await import("../../plugins.js")) });
  return { upstream, ours };
}

const everyPlugin = (p) => [
  p.bearer(),
  p.username(),
  p.oneTimeToken(),
  p.lastLoginMethod(),
  p.jwt(),
  p.openAPI(),
  p.anonymous(),
  p.multiSession(),
  p.twoFactor(),
  // Replaces getSession: the names stay the same.
  p.customSession(async (session) => session),
  p.genericOAuth({ config: [{ providerId: "corp", clientId: "c", clientSecret: "s", authorizationUrl: "https://idp.test/a", tokenUrl: "https://idp.test/t" }] }),
];

/** The method names an interface in a .d.ts file declares (`name: Endpoint<...>`). */
function declared(file, interfaceName) {
  const text = readFileSync(join(ROOT, file), "utf8");
  const start = text.indexOf(`export interface ${interfaceName} {`);
  assert.ok(start >= 0, `${interfaceName} in ${file}`);
  const body = text.slice(start, text.indexOf("\n}", start));
  return [...body.matchAll(/^  (\w+): Endpoint</gm)].map((m) => m[1]);
}

describe("plugin platform", () => {
  it("auth.api has exactly upstream's names for the same plugins", async () => {
    for (const plugins of [() => [], everyPlugin]) {
      const { upstream, ours } = await both(plugins);
      assert.deepEqual(Object.keys(ours.api).sort(), Object.keys(upstream.api).sort());
    }
  });

  it("index.d.ts and plugins.d.ts declare every auth.api method the core lists, and no other", async () => {
    const { ours } = await both(everyPlugin);
    const types = [
      ...declared("index.d.ts", "CoreApi"),
      ...declared("plugins.d.ts", "UsernameApi"),
      ...declared("plugins.d.ts", "OneTimeTokenApi"),
      ...declared("plugins.d.ts", "JwtApi"),
      ...declared("plugins.d.ts", "OpenAPIApi"),
      ...declared("plugins.d.ts", "AnonymousApi"),
      ...declared("plugins.d.ts", "MultiSessionApi"),
      ...declared("plugins.d.ts", "TwoFactorApi"),
    ];
    const names = Object.keys(ours.api);
    assert.deepEqual(types.filter((n) => !names.includes(n)), [], "declared, not in auth.api");
    assert.deepEqual(names.filter((n) => !types.includes(n)), [], "in auth.api, not declared");
    assert.equal(types.length, names.length, "each declared once");
  });

  it("auth.api.signInSocial is callable server side, as upstream's docs show", async () => {
    const { ours } = await both(everyPlugin);
    const r = await ours.api.signInSocial({ body: { provider: "corp", callbackURL: "/dashboard" } });
    assert.equal(r.redirect, true);
    assert.ok(r.url.startsWith("https://idp.test/a?"), r.url);
  });

  it("plugins must be an array; unknown plugins warn, by id", async () => {
    const { betterAuth } = await import("../../index.js");
    assert.throws(() => betterAuth({ database: "sqlite::memory:", plugins: { id: "bearer" } }), /invalid option `plugins`/);
    const lines = [];
    betterAuth({ database: "sqlite::memory:", plugins: [{ id: "magic-link" }], logger: { log: (level, message) => lines.push(`${level}: ${message}`) } });
    assert.ok(lines.includes("warn: plugin `magic-link` is not supported by better-auth-rs yet and is ignored"), lines.join("\n"));
    // A plugin that refuses requests cannot be ignored: that would let everyone through.
    const { organization, admin } = await import("better-auth/plugins");
    for (const guard of [organization(), admin()]) {
      assert.throws(() => betterAuth({ database: "sqlite::memory:", plugins: [guard] }), new RegExp(`plugin \`${guard.id}\` is not supported yet, and ignoring it`));
    }
  });

  it("a plugin's options are checked by its own rules, naming their path", async () => {
    const { betterAuth } = await import("../../index.js");
    const { oneTimeToken, username } = await import("../../plugins.js");
    assert.throws(() => betterAuth({ database: "sqlite::memory:", plugins: [oneTimeToken({ expiresIn: "3m" })] }), /invalid option `plugins\[one-time-token\]\.expiresIn`: expected a number/);
    assert.throws(() => betterAuth({ database: "sqlite::memory:", plugins: [username(), username()] }), /plugin `username` is given twice/);
    const { jwt } = await import("../../plugins.js");
    const lines = [];
    betterAuth({ database: "sqlite::memory:", plugins: [jwt({ adapter: {} })], logger: { log: (level, message) => lines.push(message) } });
    assert.ok(lines.includes("option `plugins[jwt].adapter` is not supported by better-auth-rs yet and is ignored"), lines.join("\n"));
  });
});
