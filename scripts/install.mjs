// npm `install` hook. A prebuilt binary (the platform's optional package) or one already built
// here is used as it is: no compilation. Otherwise, or when asked (`npm install --build-from-source`
// or BETTER_AUTH_RS_BUILD_FROM_SOURCE=1), the addon is compiled with cargo; without cargo the
// install goes on and loading reports what is missing and how to fix it.
import { spawnSync } from "node:child_process";
import { buildAddon } from "./build-addon.mjs";
import { loadNative, nativeLoads } from "../lib/loader.js";

const asked = process.env.npm_config_build_from_source === "true" || process.env.BETTER_AUTH_RS_BUILD_FROM_SOURCE === "1";
const hasCargo = () => !spawnSync("cargo", ["--version"], { stdio: "ignore" }).error;

if (asked || !nativeLoads()) {
  if (asked || hasCargo()) {
    console.log("better-auth-rs: compiling the native addon with cargo (the first build takes a few minutes)...");
    buildAddon();
  } else {
    try {
      loadNative();
    } catch (error) {
      console.warn(error.message);
    }
  }
}
