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
