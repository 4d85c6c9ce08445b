// `npm start`: on a fresh clone installs dependencies (which builds the addon), rebuilds the
// addon if the Rust sources changed, and runs the Express example on SQLite: the API on port
// 3005 and its web page on http://localhost:5173.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { root, buildAddon, installDependencies } from "./build-addon.mjs";

installDependencies();
buildAddon();
const example = join(root, "examples", "express");
const env = { PORT: "3005", WEB_PORT: "5173", ...process.env };
const children = ["server.js", "web.js"].map((file) => spawn(process.execPath, [file], { cwd: example, stdio: "inherit", env }));
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => children.forEach((c) => c.kill(signal)));
for (const child of children) {
  child.on("exit", (code) => {
    children.forEach((c) => c.kill());
    process.exit(code ?? 0);
  });
}
