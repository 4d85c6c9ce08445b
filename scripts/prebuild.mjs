// `npm run prebuild [platform]`: a platform package's binary (default linux-x64-gnu, the one these
// machines build), into npm/<platform>/, ready for `npm pack`. Linux targets are built with
// cargo-zigbuild, the glibc ones against glibc 2.17: they load on every distribution since 2014
// (RHEL/CentOS 7, Debian 8, Ubuntu 14.04), not only on the build machine's glibc.
// cargo-zigbuild and zig come from PyPI (a venv in the target dir) unless already on PATH.
// .github/workflows/release.yml runs this for every platform on its own runner.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { root } from "./build-addon.mjs";

export const GLIBC_BASELINE = "2.17";
const TOOLS = { "cargo-zigbuild": "0.24.1", ziglang: "0.17.1" };

/** Each platform package: its Rust target, the library cargo writes, and how it is built. */
export const PLATFORMS = {
  "linux-x64-gnu": { target: "x86_64-unknown-linux-gnu", library: "libbetter_auth_rs.so", zig: `.${GLIBC_BASELINE}` },
  "linux-arm64-gnu": { target: "aarch64-unknown-linux-gnu", library: "libbetter_auth_rs.so", zig: `.${GLIBC_BASELINE}` },
  // musl's default static C runtime cannot make a shared library.
  "linux-x64-musl": { target: "x86_64-unknown-linux-musl", library: "libbetter_auth_rs.so", zig: "", rustflags: "-C target-feature=-crt-static" },
  "linux-arm64-musl": { target: "aarch64-unknown-linux-musl", library: "libbetter_auth_rs.so", zig: "", rustflags: "-C target-feature=-crt-static" },
  "darwin-x64": { target: "x86_64-apple-darwin", library: "libbetter_auth_rs.dylib" },
  "darwin-arm64": { target: "aarch64-apple-darwin", library: "libbetter_auth_rs.dylib" },
  "win32-x64-msvc": { target: "x86_64-pc-windows-msvc", library: "better_auth_rs.dll" },
};

export const packageDir = (id) => join(root, "npm", id);
export const prebuiltBinary = (id) => join(packageDir(id), `better-auth-rs.${id}.node`);

const targetDir = process.env.CARGO_TARGET_DIR ? resolve(root, process.env.CARGO_TARGET_DIR) : join(root, "target");

function run(command, args, env = process.env) {
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit", env });
  if (result.error) throw new Error(`better-auth-rs prebuild: could not run ${command}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`better-auth-rs prebuild: ${command} ${args.join(" ")} failed (exit ${result.status})`);
}

/** PATH with cargo-zigbuild on it: the machine's, or a venv with the pinned PyPI releases. */
function zigbuildPath() {
  if (!spawnSync("cargo-zigbuild", ["--version"], { stdio: "ignore" }).error) return process.env.PATH;
  if (process.platform === "win32") throw new Error("better-auth-rs prebuild: install cargo-zigbuild and zig first");
  const venv = join(targetDir, "zigbuild-venv");
  const bin = join(venv, "bin");
  if (!existsSync(join(bin, "cargo-zigbuild"))) {
    run("python3", ["-m", "venv", venv]);
    run(join(bin, "pip"), ["install", "--quiet", "--disable-pip-version-check", ...Object.entries(TOOLS).map(([n, v]) => `${n}==${v}`)]);
  }
  return `${bin}:${process.env.PATH}`;
}

/** Builds the platform package's binary (this machine: linux-x64-gnu; the release workflow: each). */
export function prebuild(id = "linux-x64-gnu") {
  const platform = PLATFORMS[id];
  if (!platform) throw new Error(`better-auth-rs prebuild: unknown platform ${id} (known: ${Object.keys(PLATFORMS).join(", ")})`);
  const env = { ...process.env };
  if (platform.rustflags) env.RUSTFLAGS = `${env.RUSTFLAGS ?? ""} ${platform.rustflags}`.trim();
  const args = ["--release", "--lib", "--features", "node", "--target"];
  if (platform.zig === undefined) {
    run("cargo", ["build", ...args, platform.target], env);
  } else {
    env.PATH = zigbuildPath();
    run("cargo", ["zigbuild", ...args, platform.target + platform.zig], env);
  }
  const binary = prebuiltBinary(id);
  copyFileSync(join(targetDir, platform.target, "release", platform.library), binary);
  console.log(`better-auth-rs prebuild: ${binary} (${(statSync(binary).size / 1e6).toFixed(1)} MB)`);
  return binary;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  prebuild(process.argv[2]);
}
