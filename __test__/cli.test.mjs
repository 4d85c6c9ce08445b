// `npx better-auth-rs migrate`: shows the plan, applies with --yes, is idempotent.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync, mkdtempSync } from "node:fs";
import { join, resolve } from "node:path";
import { tmpdir } from "node:os";

const CLI = resolve(import.meta.dirname, "../bin/better-auth-rs.js");
const INDEX = resolve(import.meta.dirname, "../index.js");

function run(args, cwd) {
  return spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

describe("CLI", () => {
  it("migrate shows the plan, applies it with --yes, then finds nothing to do", () => {
    const dir = mkdtempSync(join(tmpdir(), "better-auth-rs-cli-"));
    writeFileSync(
      join(dir, "auth.js"),
      `import { betterAuth } from ${JSON.stringify(INDEX)};\n` +
        `export const auth = betterAuth({ database: "sqlite:${join(dir, "app.db")}", autoMigrate: false, secret: "x".repeat(32), logger: { disabled: true } });\n`,
    );
    const dry = run(["migrate"], dir);
    assert.equal(dry.status, 1, dry.stderr);
    assert.match(dry.stdout, /create table "user"/);
    assert.match(dry.stderr, /--yes/);
    const applied = run(["migrate", "--yes"], dir);
    assert.equal(applied.status, 0, applied.stderr);
    assert.match(applied.stdout, /Applied 7 statement\(s\)/);
    const again = run(["migrate", "--config", "auth.js"], dir);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /up to date/);
  });

  it("explains a missing config and unknown commands", () => {
    const dir = mkdtempSync(join(tmpdir(), "better-auth-rs-cli-"));
    const missing = run(["migrate"], dir);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /no auth config found/);
    const unknown = run(["frobnicate"], dir);
    assert.equal(unknown.status, 2);
    const secret = run(["secret"], dir);
    assert.match(secret.stdout.trim(), /^[0-9a-f]{64}$/);
  });
});

describe("CLI generate and info", () => {
  function app() {
    const dir = mkdtempSync(join(tmpdir(), "better-auth-rs-cli-"));
    writeFileSync(
      join(dir, "auth.js"),
      `import { betterAuth } from ${JSON.stringify(INDEX)};\n` +
        `export const auth = betterAuth({ database: "sqlite:${join(dir, "app.db")}", autoMigrate: false, secret: "x".repeat(32), emailAndPassword: { enabled: true }, logger: { disabled: true } });\n`,
    );
    return dir;
  }

  it("generate prints each dialect's schema without touching a database", () => {
    const dir = mkdtempSync(join(tmpdir(), "better-auth-rs-cli-"));
    const sqlite = run(["generate"], dir);
    assert.equal(sqlite.status, 0, sqlite.stderr);
    assert.match(sqlite.stdout, /create table "user" \("id" text not null primary key/);
    const pg = run(["generate", "--dialect", "postgres"], dir);
    assert.match(pg.stdout, /"createdAt" timestamptz default CURRENT_TIMESTAMP not null/);
    const my = run(["generate", "--dialect=mysql"], dir);
    assert.match(my.stdout, /create table `user` \(`id` varchar\(36\) not null primary key/);
    const bad = run(["generate", "--dialect", "oracle"], dir);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown dialect/);
  });

  it("generate with a config prints what its database still needs", () => {
    const dir = app();
    const before = run(["generate", "--config", "auth.js"], dir);
    assert.equal(before.status, 0, before.stderr);
    assert.equal(before.stdout.trim().split("\n").length, 7);
    assert.equal(run(["migrate", "--yes"], dir).status, 0);
    assert.match(run(["generate", "--config", "auth.js"], dir).stdout, /up to date/);
  });

  it("info reports version, database, tables and options", () => {
    const dir = app();
    const before = run(["info"], dir);
    assert.equal(before.status, 0, before.stderr);
    assert.match(before.stdout, /better-auth-rs \d+\.\d+\.\d+/);
    assert.match(before.stdout, /reachable: yes/);
    assert.match(before.stdout, /missing "user", "session", "account", "verification"/);
    assert.match(before.stdout, /email and password: enabled/);
    run(["migrate", "--yes"], dir);
    assert.match(run(["info"], dir).stdout, /tables:\s+all present/);
  });
});

describe("CLI with a TypeScript config", () => {
  it("loads auth.ts (through jiti) and migrates its database", () => {
    const dir = mkdtempSync(join(tmpdir(), "better-auth-rs-cli-"));
    writeFileSync(
      join(dir, "auth.ts"),
      `import { betterAuth, type BetterAuthOptions } from ${JSON.stringify(INDEX)};\n` +
        `const options: BetterAuthOptions = { database: "sqlite:${join(dir, "ts.db")}", autoMigrate: false, secret: "y".repeat(32), logger: { disabled: true } };\n` +
        `export const auth = betterAuth(options);\n`,
    );
    const r = run(["migrate", "--yes"], dir);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Config: .*auth\.ts/);
    assert.match(r.stdout, /Applied 7 statement\(s\)/);
  });
});
