// Upstream's logger option: format, levels and colours as better-auth prints them. The Rust
// core filters by level before crossing into JavaScript.

const LEVELS = ["debug", "info", "success", "warn", "error"];
const COLORS = { info: "\x1b[34m", success: "\x1b[32m", warn: "\x1b[33m", error: "\x1b[31m", debug: "\x1b[35m" };

export function createLogSink(options = {}) {
  if (options.level !== undefined && !LEVELS.includes(options.level)) {
    throw new Error(`better-auth-rs: invalid option \`logger.level\`: "${options.level}"; expected one of ${LEVELS.join(", ")}`);
  }
  const level = options.disabled === true ? null : (options.level ?? "warn");
  const colors = options.disableColors !== undefined ? !options.disableColors : Boolean(process.stderr.isTTY);
  const log = (lvl, message) => {
    if (typeof options.log === "function") {
      // A throwing user logger must not take the server down (these calls come from Rust).
      try {
        options.log(lvl === "success" ? "info" : lvl, message);
      } catch (error) {
        console.error("better-auth-rs: the logger.log option threw:", error);
      }
      return;
    }
    const timestamp = new Date().toISOString();
    const line = colors
      ? `\x1b[2m${timestamp}\x1b[0m ${COLORS[lvl]}${lvl.toUpperCase()}\x1b[0m \x1b[1m[Better Auth]:\x1b[0m ${message}`
      : `${timestamp} ${lvl.toUpperCase()} [Better Auth]: ${message}`;
    if (lvl === "error") console.error(line);
    else if (lvl === "warn") console.warn(line);
    else console.log(line);
  };
  /** Logs at `lvl` when the configured level lets it through. */
  const at = (lvl, message) => {
    if (level !== null && LEVELS.indexOf(lvl) >= LEVELS.indexOf(level)) log(lvl, message);
  };
  return { level, log, at };
}
