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

/**
 * The database objects an upstream config passes become what the core opens itself: a
 * better-sqlite3 `Database` its file's URL; a `pg` Pool and a `mysql2` pool (callback or promise
 * API) `{ provider, url, ...pool sizing }` from their connection config.
 */
function databaseOption(database) {
  if (!database || typeof database !== "object") return database;
  if (typeof database.prepare === "function" && typeof database.name === "string") {
    return database.memory ? "sqlite::memory:" : `sqlite:${database.name}`;
  }
  if (typeof database.connect === "function" && database.options && typeof database.query === "function" && !database.config) {
    return pgPoolOption(database.options);
  }
  const mysqlConfig = database.pool?.config ?? database.config;
  if (mysqlConfig?.connectionConfig && typeof database.getConnection === "function") {
    return mysqlPoolOption(mysqlConfig);
  }
  return database;
}

function pgPoolOption(options) {
  let url = options.connectionString;
  if (!url) {
    const auth = options.user ? `${encodeURIComponent(options.user)}${options.password ? `:${encodeURIComponent(String(options.password))}` : ""}@` : "";
    const host = options.host ?? "localhost";
    const hostPart = host.startsWith("/") ? `localhost` : host;
    url = `postgres://${auth}${hostPart}:${options.port ?? 5432}/${encodeURIComponent(options.database ?? options.user ?? "postgres")}`;
    if (host.startsWith("/")) url += `?host=${encodeURIComponent(host)}`;
  }
  return {
    provider: "postgres",
    url,
    max: options.max,
    idleTimeoutMillis: options.idleTimeoutMillis,
    connectionTimeoutMillis: options.connectionTimeoutMillis,
  };
}

function mysqlPoolOption(config) {
  const c = config.connectionConfig;
  const auth = c.user ? `${encodeURIComponent(c.user)}${c.password ? `:${encodeURIComponent(c.password)}` : ""}@` : "";
  let url = `mysql://${auth}${c.host ?? "localhost"}:${c.port ?? 3306}`;
  if (c.database) url += `/${encodeURIComponent(c.database)}`;
  if (c.socketPath) url += `?socket=${encodeURIComponent(c.socketPath)}`;
  return {
    provider: "mysql",
    url,
    max: config.connectionLimit,
    idleTimeoutMillis: config.idleTimeout,
    connectionTimeoutMillis: c.connectTimeout,
  };
}

/**
 * A storage object is its interface's methods: a class instance's live on the prototype (not in
 * JSON), and other properties (a client, a map) are the user's business.
 */
function secondaryStorageOption(storage) {
  if (!storage || typeof storage !== "object") return storage;
  const methods = {};
  for (const name of ["get", "set", "delete", "getAndDelete", "increment"]) {
    if (typeof storage[name] === "function") methods[name] = storage[name];
  }
  return methods;
}

export function serializeOptions(options) {
  let normalized = options;
  if (options && "database" in options) normalized = { ...normalized, database: databaseOption(options.database) };
  if (options && "secondaryStorage" in options) normalized = { ...normalized, secondaryStorage: secondaryStorageOption(options.secondaryStorage) };
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
