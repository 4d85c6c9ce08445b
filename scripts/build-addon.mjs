// Builds the native addon with cargo and copies it to better-auth-rs.node beside package.json.
// Used by `npm run build:addon` (not `build`: npm would run `prebuild` before it), by the npm install hook (from-source installs) and by the test runner.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const addonPath = join(root, "better-auth-rs.node");

const libraryName = {
  linux: "libbetter_auth_rs.so",
  darwin: "libbetter_auth_rs.dylib",
  win32: "better_auth_rs.dll",
}[process.platform];

/** `npm ci` (or `npm install` without a lock file) when dependencies are not installed yet. */
export function installDependencies() {
  if (existsSync(join(root, "node_modules", ".package-lock.json"))) return;
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const command = existsSync(join(root, "package-lock.json")) ? "ci" : "install";
  const result = spawnSync(npm, [command, "--no-audit", "--no-fund"], { cwd: root, stdio: "inherit" });
  if (result.status !== 0) throw new Error(`better-auth-rs: npm ${command} failed with exit code ${result.status}`);
}

export function buildAddon() {
  if (!libraryName) throw new Error(`better-auth-rs: unsupported platform ${process.platform}`);
  const result = spawnSync("cargo", ["build", "--release", "--lib", "--features", "node"], {
    cwd: root,
    stdio: "inherit",
  });
  if (result.error) {
    throw new Error(`better-auth-rs: could not run cargo (${result.error.message}); install Rust from https://rustup.rs`);
  }
  if (result.status !== 0) throw new Error(`better-auth-rs: cargo build failed with exit code ${result.status}`);
  const targetDir = process.env.CARGO_TARGET_DIR ? resolve(root, process.env.CARGO_TARGET_DIR) : join(root, "target");
  mkdirSync(dirname(addonPath), { recursive: true });
  copyFileSync(join(targetDir, "release", libraryName), addonPath);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildAddon();
}
