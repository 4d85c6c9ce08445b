// Serializes the user's options for the Rust core: JSON, with functions and class instances
// replaced by markers the core recognizes (it validates every key; see src/option_keys.rs).

const ENV_NAMES = [
  "NODE_ENV",
  "TEST",
  "BETTER_AUTH_SECRET",
  "AUTH_SECRET",
  "BETTER_AUTH_SECRETS",
  "BETTER_AUTH_URL",
  "NEXT_PUBLIC_BETTER_AUTH_URL",
  "PUBLIC_BETTER_AUTH_URL",
  "NUXT_PUBLIC_BETTER_AUTH_URL",
  "NUXT_PUBLIC_AUTH_URL",
  "BASE_URL",
  "BETTER_AUTH_TRUSTED_ORIGINS",
];

const MARKER = "$$betterAuthRs";

function isPlainObject(value) {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A better-sqlite3 `Database` (upstream's usual SQLite option) becomes its file's URL. */
function databaseOption(database) {
  const isBetterSqlite = database && typeof database === "object" && typeof database.prepare === "function" && typeof database.name === "string";
  if (!isBetterSqlite) return database;
  return database.memory ? "sqlite::memory:" : `sqlite:${database.name}`;
}

export function serializeOptions(options) {
  const normalized = options && "database" in options ? { ...options, database: databaseOption(options.database) } : options;
  return JSON.stringify(normalized ?? {}, function replace(key, value) {
    const original = this[key];
    if (typeof original === "function") return { [MARKER]: "function" };
    if (original instanceof Date) return original.toISOString();
    if (original && typeof original === "object" && !Array.isArray(original) && !isPlainObject(original)) {
      return { [MARKER]: "instance", name: original.constructor?.name ?? "Object" };
    }
    if (typeof original === "bigint") return Number(original);
    return value;
  });
}

export function envSnapshot() {
  const env = {};
  for (const name of ENV_NAMES) {
    if (process.env[name] !== undefined) env[name] = process.env[name];
  }
  return env;
}
