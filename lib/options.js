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

/** TLS the Rust side can honour from a pool's `ssl` option (its own CA files go in the URL). */
function sslParameters(ssl, dialect) {
  if (!ssl) return "";
  if (typeof ssl === "object" && (ssl.ca || ssl.cert || ssl.key)) {
    throw new Error(
      `better-auth-rs: the ${dialect} pool's ssl.ca/cert/key cannot be passed on; give \`database\` a URL with ${
        dialect === "postgres" ? "sslmode=verify-full&sslrootcert=<file>" : "ssl-mode=VERIFY_IDENTITY&ssl-ca=<file>"
      }`,
    );
  }
  const verify = !(typeof ssl === "object" && ssl.rejectUnauthorized === false);
  if (dialect === "postgres") return verify ? "sslmode=verify-full" : "sslmode=require";
  return verify ? "ssl-mode=VERIFY_IDENTITY" : "ssl-mode=REQUIRED";
}

function withQuery(url, parameters) {
  if (!parameters) return url;
  return `${url}${url.includes("?") ? "&" : "?"}${parameters}`;
}

function pgPoolOption(options) {
  if (typeof options.password === "function") {
    throw new Error("better-auth-rs: a pg pool whose password is a function cannot be passed on; give `database` a URL");
  }
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
    url: withQuery(url, sslParameters(options.ssl, "postgres")),
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
    url: withQuery(url, sslParameters(c.ssl, "mysql")),
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
