// `npm test`: everything, on a fresh clone too. Installs dependencies if missing, builds the
// addon, runs the Rust core's tests, then every Node suite in __test__/.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { installDependencies, root } from "./build-addon.mjs";

function run(command, args, env = {}) {
  console.log(`\n> ${command} ${args.join(" ")}`);
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit", env: { ...process.env, ...env } });
  if (result.status !== 0) {
    console.error(`\n${command} ${args.join(" ")} failed (exit ${result.status ?? result.signal})`);
    process.exit(result.status || 1);
  }
}

installDependencies();
run(process.execPath, [join(root, "scripts", "build-addon.mjs")]);
// Same profile as the addon build, so cargo reuses every compiled dependency.
run("cargo", ["test", "--release"]);
// The prebuilt linux-x64-gnu binary (glibc 2.17) that __test__/install.test.mjs installs without Rust.
if (process.platform === "linux" && process.arch === "x64") run(process.execPath, [join(root, "scripts", "prebuild.mjs")]);
// Core suites in __test__/, plugin suites in __test__/plugins/.
const suites = ["__test__", join("__test__", "plugins")].flatMap((dir) =>
  readdirSync(join(root, dir))
    .filter((f) => f.endsWith(".test.mjs"))
    .sort()
    .map((f) => join(dir, f)),
);
run(process.execPath, ["--test", ...suites]);
