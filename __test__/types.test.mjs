// The TypeScript declarations: the guide's code compiles with --strict, misuses do not.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..");

describe("TypeScript types", () => {
  it("tsc --noEmit --strict accepts the guide and rejects each misuse", () => {
    const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
    const r = spawnSync(process.execPath, [tsc, "-p", join(ROOT, "__test__", "types")], { encoding: "utf8" });
    // An unused @ts-expect-error is itself an error, so a misuse that compiled would fail here.
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });
});
