// Install as a user would: `npm pack`, then a fresh Express app installs the tarballs, starts the
// guide's server and signs a user up and in over HTTP. Once with the prebuilt linux-x64-gnu
// package and no Rust on PATH (nothing compiles), once from source (no prebuilt package: the
// install hook compiles with cargo). Also: the binary's glibc baseline, the loader's error on a
// platform without a binary, and the package layout napi-rs tooling expects.
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, existsSync, readdirSync, readFileSync, mkdirSync, statSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";
import { tmpdir } from "node:os";
import { Client, uniqueEmail } from "./helpers.mjs";
import { PREBUILT_PLATFORMS } from "../lib/loader.js";
import { GLIBC_BASELINE, PLATFORMS, packageDir, prebuild, prebuiltBinary } from "../scripts/prebuild.mjs";

const ROOT = resolve(import.meta.dirname, "..");
const PKG = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
const ON_LINUX_X64 = process.platform === "linux" && process.arch === "x64";

function sh(command, args, cwd, env = process.env) {
  const r = spawnSync(command, args, { cwd, encoding: "utf8", env, stdio: ["ignore", "pipe", "pipe"] });
  assert.equal(r.status, 0, `${command} ${args.join(" ")}\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** `npm pack` of a package folder into `dest`: the tarball's path and its packed size and files. */
function pack(folder, dest) {
  const [info] = JSON.parse(sh("npm", ["pack", "--json", "--pack-destination", dest], folder).stdout);
  return { path: join(dest, info.filename), size: info.size, files: info.files.map((f) => f.path) };
}

/**
 * The main package as the release publishes it: `napi prepublish` (@napi-rs/cli 3) adds an
 * optionalDependency `<name>-<platform>` at the package's version for every `napi.targets`
 * entry. The repository's package.json leaves them out, so that its own `npm ci` does not ask
 * the registry for packages of a version not yet published.
 */
function packAsReleased(dest) {
  const staged = join(dest, "staged");
  mkdirSync(staged);
  sh("tar", ["xzf", pack(ROOT, staged).path, "-C", staged], ROOT);
  const manifestPath = join(staged, "package", "package.json");
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
  manifest.optionalDependencies = Object.fromEntries(Object.keys(PLATFORMS).map((id) => [`${manifest.name}-${id}`, manifest.version]));
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
  return pack(join(staged, "package"), dest);
}

/** PATH without any directory holding cargo or rustc: a machine without Rust. */
function pathWithoutRust() {
  return process.env.PATH.split(delimiter)
    .filter((dir) => !["cargo", "rustc", "rustup"].some((tool) => existsSync(join(dir, tool))))
    .join(delimiter);
}

const SERVER = `
import express from "express";
import { toNodeHandler, fromNodeHeaders } from "better-auth-rs/node";
import { betterAuth } from "better-auth-rs";

const auth = betterAuth({
  database: "sqlite:./app.db",
  secret: "install-test-secret-0123456789abcdef",
  emailAndPassword: { enabled: true },
  trustedOrigins: ["http://localhost:5173"],
});
const app = express();
app.all("/api/auth/*splat", toNodeHandler(auth));
app.use(express.json());
app.get("/api/me", async (req, res) => res.json(await auth.api.getSession({ headers: fromNodeHeaders(req.headers) })));
const server = app.listen(0, "127.0.0.1", () => console.log("LISTENING " + server.address().port));
`;

function createApp(work, dependencies) {
  const app = join(work, "app");
  mkdirSync(app);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "install-test-app", private: true, type: "module", dependencies }));
  writeFileSync(join(app, "server.js"), SERVER);
  return app;
}

/** Starts the app's server (with `env`) and runs the guide's flow: sign up, sign in, /api/me. */
async function signUpAndIn(app, env) {
  const child = spawn(process.execPath, ["server.js"], { cwd: app, env, stdio: ["ignore", "pipe", "pipe"] });
  try {
    const port = await new Promise((resolvePort, reject) => {
      let out = "";
      child.stdout.on("data", (d) => {
        out += d;
        const m = out.match(/LISTENING (\d+)/);
        if (m) resolvePort(Number(m[1]));
      });
      child.stderr.on("data", (d) => (out += d));
      child.on("exit", (code) => reject(new Error(`server exited ${code}: ${out}`)));
    });
    const email = uniqueEmail("installed");
    const up = await new Client(`http://127.0.0.1:${port}`).post("/api/auth/sign-up/email", { name: "Installed", email, password: "password123" });
    assert.equal(up.status, 200, up.text);
    const c = new Client(`http://127.0.0.1:${port}`);
    const signIn = await c.post("/api/auth/sign-in/email", { email, password: "password123" });
    assert.equal(signIn.status, 200, signIn.text);
    assert.equal((await c.request("/api/me")).data.user.email, email);
  } finally {
    child.kill();
  }
}

describe("package layout", () => {
  it("napi targets, platform folders and the loader's list agree, at one version", () => {
    const ids = Object.keys(PLATFORMS);
    assert.deepEqual([...PKG.napi.targets].sort(), ids.map((id) => PLATFORMS[id].target).sort());
    assert.deepEqual([...PREBUILT_PLATFORMS].sort(), [...ids].sort());
    assert.equal(PKG.optionalDependencies, undefined, "napi prepublish adds them at release");
    for (const id of ids) {
      const sub = JSON.parse(readFileSync(join(packageDir(id), "package.json"), "utf8"));
      assert.equal(sub.name, `better-auth-rs-${id}`);
      assert.equal(sub.version, PKG.version);
      assert.equal(sub.main, `${PKG.napi.binaryName}.${id}.node`);
      assert.deepEqual(sub.files, [sub.main]);
      const [os, cpu, abi] = id.split("-");
      assert.deepEqual(sub.os, [os]);
      assert.deepEqual(sub.cpu, [cpu]);
      if (os === "linux") assert.deepEqual(sub.libc, [abi === "musl" ? "musl" : "glibc"]);
    }
  });
});

describe("prebuilt linux-x64-gnu package", { skip: !ON_LINUX_X64 && "builds on linux-x64 only" }, () => {
  let work;
  let app;
  const noRust = { ...process.env, PATH: pathWithoutRust(), CARGO_HOME: "/nonexistent", RUSTUP_HOME: "/nonexistent" };

  before(() => {
    // `npm test` builds it first (scripts/test.mjs); alone, this suite builds it.
    if (!existsSync(prebuiltBinary("linux-x64-gnu"))) prebuild("linux-x64-gnu");
    work = mkdtempSync(join(tmpdir(), "better-auth-rs-prebuilt-"));
  });

  it(`needs no glibc newer than ${GLIBC_BASELINE}`, () => {
    const out = sh("readelf", ["--version-info", "--wide", prebuiltBinary("linux-x64-gnu")], ROOT).stdout;
    const versions = [...new Set(out.match(/GLIBC_\d+(\.\d+)+/g))].map((v) => v.slice(6).split(".").map(Number));
    assert.ok(versions.length > 0, "the binary names the glibc versions it needs");
    const newest = versions.sort((a, b) => a[0] - b[0] || a[1] - b[1] || (a[2] ?? 0) - (b[2] ?? 0)).at(-1);
    const [major, minor] = GLIBC_BASELINE.split(".").map(Number);
    assert.ok(newest[0] < major || (newest[0] === major && newest[1] <= minor), `needs GLIBC_${newest.join(".")}`);
  });

  it("installs without Rust and runs the guide's app: nothing compiles", { timeout: 5 * 60 * 1000 }, async (t) => {
    assert.ok(spawnSync("cargo", ["--version"], { env: noRust }).error, "cargo is not reachable");
    const main = packAsReleased(work);
    assert.deepEqual(main.files.filter((f) => f.endsWith(".node")), [], "the main package carries no binary");
    const platform = pack(packageDir("linux-x64-gnu"), work);
    assert.deepEqual(platform.files.sort(), ["README.md", "better-auth-rs.linux-x64-gnu.node", "package.json"]);
    t.diagnostic(`packed: better-auth-rs ${(main.size / 1e3).toFixed(0)} kB, better-auth-rs-linux-x64-gnu ${(platform.size / 1e6).toFixed(1)} MB`);

    // The platform package comes from its tarball, as it would from the registry.
    app = createApp(work, {
      express: "^5.1.0",
      "better-auth-rs": `file:${main.path}`,
      "better-auth-rs-linux-x64-gnu": `file:${platform.path}`,
    });
    const install = sh("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--foreground-scripts"], app, noRust);
    assert.doesNotMatch(install.stdout + install.stderr, /compiling|cargo/i);
    assert.ok(!existsSync(join(app, "node_modules", "better-auth-rs", "better-auth-rs.node")), "no binary was built from source");
    assert.ok(!existsSync(join(app, "node_modules", "better-auth-rs", "target")), "cargo never ran");
    await signUpAndIn(app, noRust);
  });

  it("on a platform without a binary, loading names the platform, what was tried and the fix", () => {
    assert.ok(app, "the app was installed");
    const attempt = (arch) => {
      writeFileSync(join(app, `as-${arch}.mjs`), `Object.defineProperty(process, "arch", { value: ${JSON.stringify(arch)} });\n`);
      return spawnSync(process.execPath, ["--import", `./as-${arch}.mjs`, "--input-type=module", "-e", 'await import("better-auth-rs")'], {
        cwd: app,
        encoding: "utf8",
        env: noRust,
      });
    };
    const unsupported = attempt("riscv64");
    assert.notEqual(unsupported.status, 0);
    assert.match(unsupported.stderr, /no native addon for linux-riscv64-gnu/);
    assert.match(unsupported.stderr, /no prebuilt package exists for linux-riscv64-gnu \(prebuilt: linux-x64-gnu, /);
    assert.match(unsupported.stderr, /no binary built from source/);
    assert.match(unsupported.stderr, /npm install better-auth-rs --build-from-source/);
    const notInstalled = attempt("arm64");
    assert.match(notInstalled.stderr, /the prebuilt package better-auth-rs-linux-arm64-gnu is not installed/);
  });
});

describe("npm pack + install from source (no prebuilt package)", () => {
  it("the install hook compiles with cargo, then the app starts, signs up and in", { timeout: 15 * 60 * 1000 }, async () => {
    const work = mkdtempSync(join(tmpdir(), "better-auth-rs-install-"));
    const main = pack(ROOT, work);
    const app = createApp(work, { express: "^5.1.0", "better-auth-rs": `file:${main.path}` });
    // Reuse this checkout's compiled dependencies: only the crate itself is compiled again.
    sh("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--foreground-scripts"], app, {
      ...process.env,
      CARGO_TARGET_DIR: process.env.CARGO_TARGET_DIR ?? join(ROOT, "target"),
    });
    const built = join(app, "node_modules", "better-auth-rs", "better-auth-rs.node");
    assert.ok(existsSync(built) && statSync(built).size > 0, "the install hook built the addon");
    await signUpAndIn(app, process.env);
  });
});
