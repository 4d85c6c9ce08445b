// Install as a user would: `npm pack`, then a fresh Express app installs the tarball (the
// install hook compiles the addon from source with cargo: no prebuilt binary is packed),
// starts the guide's server, and signs a user up and in over HTTP.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { tmpdir } from "node:os";
import { Client, uniqueEmail } from "./helpers.mjs";

const ROOT = resolve(import.meta.dirname, "..");

function sh(command, args, cwd, env = {}) {
  const r = spawnSync(command, args, { cwd, encoding: "utf8", env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  assert.equal(r.status, 0, `${command} ${args.join(" ")}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
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

describe("npm pack + install into a fresh app", () => {
  it("builds from source, starts, signs up and in", { timeout: 15 * 60 * 1000 }, async () => {
    const work = mkdtempSync(join(tmpdir(), "better-auth-rs-install-"));
    sh("npm", ["pack", "--pack-destination", work, "--silent"], ROOT);
    const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"));
    assert.ok(tarball, "npm pack wrote a tarball");
    const app = join(work, "app");
    spawnSync("mkdir", [app]);
    writeFileSync(
      join(app, "package.json"),
      JSON.stringify({ name: "install-test-app", private: true, type: "module", dependencies: { express: "^5.1.0", "better-auth-rs": `file:../${tarball}` } }),
    );
    writeFileSync(join(app, "server.js"), SERVER);
    // Reuse this checkout's compiled dependencies: only the crate itself is compiled again.
    sh("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--foreground-scripts"], app, {
      CARGO_TARGET_DIR: process.env.CARGO_TARGET_DIR ?? join(ROOT, "target"),
    });
    assert.ok(existsSync(join(app, "node_modules", "better-auth-rs", "better-auth-rs.node")), "the install hook built the addon");

    const child = spawn(process.execPath, ["server.js"], { cwd: app, stdio: ["ignore", "pipe", "pipe"] });
    try {
      const port = await new Promise((resolvePort, reject) => {
        let out = "";
        child.stdout.on("data", (d) => {
          out += d;
          const m = out.match(/LISTENING (\d+)/);
          if (m) resolvePort(Number(m[1]));
        });
        child.on("exit", (code) => reject(new Error(`server exited ${code}: ${out}`)));
      });
      const c = new Client(`http://127.0.0.1:${port}`);
      const email = uniqueEmail("installed");
      const up = await c.post("/api/auth/sign-up/email", { name: "Installed", email, password: "password123" });
      assert.equal(up.status, 200, up.text);
      const c2 = new Client(`http://127.0.0.1:${port}`);
      const signIn = await c2.post("/api/auth/sign-in/email", { email, password: "password123" });
      assert.equal(signIn.status, 200, signIn.text);
      const me = await c2.request("/api/me");
      assert.equal(me.data.user.email, email);
    } finally {
      child.kill();
    }
  });
});
