// CommonJS apps: require("better-auth-rs") and require("better-auth-rs/node") work (Node >= 20.19).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { Client, tempDbFile, uniqueEmail } from "./helpers.mjs";

describe("CommonJS", () => {
  it("runs the guide's app written with require()", async () => {
    const child = spawn(process.execPath, [join(import.meta.dirname, "fixtures", "cjs-server.cjs"), tempDbFile()], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      const port = await new Promise((resolve, reject) => {
        child.stdout.on("data", (d) => {
          const m = String(d).match(/LISTENING (\d+)/);
          if (m) resolve(m[1]);
        });
        child.on("exit", (code) => reject(new Error(`exited ${code}`)));
      });
      const c = new Client(`http://127.0.0.1:${port}`, { origin: `http://127.0.0.1:${port}` });
      const email = uniqueEmail("cjs");
      assert.equal((await c.post("/api/auth/sign-up/email", { name: "C", email, password: "password123" })).status, 200);
      assert.equal((await c.request("/api/me")).data.user.email, email);
    } finally {
      child.kill();
    }
  });
});
