// `npm start`: on a fresh clone installs dependencies (which builds the addon), rebuilds the
// addon if the Rust sources changed, and runs the Express example on SQLite (port 3005).
import { spawnSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { root, buildAddon } from "./build-addon.mjs";

if (!existsSync(join(root, "node_modules", ".package-lock.json"))) {
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const install = spawnSync(npm, [existsSync(join(root, "package-lock.json")) ? "ci" : "install", "--no-audit", "--no-fund"], { cwd: root, stdio: "inherit" });
  if (install.status !== 0) process.exit(install.status || 1);
}
buildAddon();
const example = join(root, "examples", "express");
const child = spawn(process.execPath, ["server.js"], { cwd: example, stdio: "inherit", env: { PORT: "3005", ...process.env } });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code) => process.exit(code ?? 0));
