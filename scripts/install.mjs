// npm `install` hook: build the addon from source unless a loadable binary is already here.
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { addonPath, buildAddon } from "./build-addon.mjs";

function loadable() {
  if (!existsSync(addonPath)) return false;
  try {
    createRequire(import.meta.url)(addonPath);
    return true;
  } catch {
    return false;
  }
}

if (!loadable()) {
  console.log("better-auth-rs: compiling the native addon with cargo (the first build takes a few minutes)...");
  buildAddon();
}
