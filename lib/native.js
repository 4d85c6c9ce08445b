// Loads the compiled addon (better-auth-rs.node beside package.json).
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

function load() {
  try {
    return require("../better-auth-rs.node");
  } catch (error) {
    throw new Error(
      "better-auth-rs: the native addon is missing or does not load. Run `npm run build` " +
        `(needs Rust: https://rustup.rs), or reinstall the package. Cause: ${error.message}`,
    );
  }
}

export const native = load();
