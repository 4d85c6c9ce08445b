// Finds and loads the compiled addon (no side effects: lib/native.js loads it), as napi-rs packages do: a binary built from source in this
// package (better-auth-rs.node beside package.json) first, so `--build-from-source` wins over an
// installed prebuilt one; then the platform's prebuilt package (an optionalDependency such as
// better-auth-rs-linux-x64-gnu); otherwise one error naming the platform, what was tried and the fix.
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const LOCAL_BINARY = fileURLToPath(new URL("../better-auth-rs.node", import.meta.url));

/** The platforms prebuilt packages exist for (package.json `napi.targets`, `npm/<id>/`). */
export const PREBUILT_PLATFORMS = [
  "linux-x64-gnu",
  "linux-x64-musl",
  "linux-arm64-gnu",
  "linux-arm64-musl",
  "darwin-x64",
  "darwin-arm64",
  "win32-x64-msvc",
];

function isMusl() {
  // glibc's runtime version is in the process report on glibc systems and absent on musl.
  const header = process.report?.getReport?.().header;
  return !header?.glibcVersionRuntime;
}

/** This machine's platform id, in the platform packages' naming (`linux-x64-gnu`, `darwin-arm64`, ...). */
export function platformId(platform = process.platform, arch = process.arch) {
  if (platform === "linux") return `linux-${arch}-${isMusl() ? "musl" : "gnu"}`;
  if (platform === "win32") return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

function firstLine(error) {
  return String(error?.message ?? error).split("\n")[0];
}

/** Loads the addon, or throws the error that says what was tried and how to build from source. */
export function loadNative() {
  const id = platformId();
  const packageName = `better-auth-rs-${id}`;
  const tried = [];
  if (existsSync(LOCAL_BINARY)) {
    try {
      return require(LOCAL_BINARY);
    } catch (error) {
      tried.push(`the binary built from source (${LOCAL_BINARY}) does not load: ${firstLine(error)}`);
    }
  } else {
    tried.push(`no binary built from source (${LOCAL_BINARY})`);
  }
  try {
    return require(packageName);
  } catch (error) {
    if (error?.code === "MODULE_NOT_FOUND" && String(error.message).includes(`'${packageName}'`)) {
      tried.push(
        PREBUILT_PLATFORMS.includes(id)
          ? `the prebuilt package ${packageName} is not installed (was the install run with --omit=optional, or on another platform?)`
          : `no prebuilt package exists for ${id} (prebuilt: ${PREBUILT_PLATFORMS.join(", ")})`,
      );
    } else {
      tried.push(`the prebuilt package ${packageName} does not load: ${firstLine(error)}`);
    }
  }
  throw new Error(
    `better-auth-rs: no native addon for ${id} (Node.js ${process.version}). Tried:\n` +
      tried.map((t) => `  - ${t}\n`).join("") +
      "Fix: reinstall so npm picks the prebuilt package, or build from source (needs Rust, https://rustup.rs): " +
      "`npm install better-auth-rs --build-from-source`, or `npm run build:addon` in node_modules/better-auth-rs.",
  );
}

/** Whether a binary loads, without throwing (the install hook's question). */
export function nativeLoads() {
  try {
    loadNative();
    return true;
  } catch {
    return false;
  }
}
