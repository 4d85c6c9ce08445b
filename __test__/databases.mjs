// Throwaway databases on the machine's PostgreSQL and MariaDB/MySQL servers (and SQLite files),
// one per test, so suites never see each other's rows. `.ci/run` starts the servers if down.
import { createRequire } from "node:module";
import { tempDbFile, SECRET } from "./helpers.mjs";

const require = createRequire(import.meta.url);

export const SERVERS = {
  postgres: process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432",
  mysql: process.env.TEST_MYSQL_URL ?? "mysql://root@127.0.0.1:3306",
};

export const DIALECTS = ["sqlite", "postgres", "mysql"];

function uniqueName() {
  return `ba_rs_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * A fresh empty database: `{ dialect, url, upstreamDatabase(), query(sql, params), drop() }`.
 * `upstreamDatabase()` is what an upstream config passes (better-sqlite3, pg Pool, mysql2 pool).
 */
export async function createTestDatabase(dialect) {
  if (dialect === "sqlite") {
    const file = tempDbFile();
    const Database = require("better-sqlite3");
    const handles = [];
    const open = () => {
      const db = new Database(file);
      handles.push(db);
      return db;
    };
    return {
      dialect,
      url: `sqlite:${file}`,
      file,
      upstreamDatabase: open,
      query: async (sql, params = []) => {
        const stmt = open().prepare(sql);
        return stmt.reader ? stmt.all(...params) : (stmt.run(...params), []);
      },
      drop: async () => handles.forEach((h) => h.close()),
    };
  }
  const name = uniqueName();
  if (dialect === "postgres") {
    const pg = require("pg");
    const admin = new pg.Client({ connectionString: `${SERVERS.postgres}/postgres` });
    await admin.connect();
    await admin.query(`create database "${name}"`);
    await admin.end();
    const url = `${SERVERS.postgres}/${name}`;
    const pools = [];
    const pool = () => {
      const p = new pg.Pool({ connectionString: url, max: 10 });
      // pool.end() resolves before its sockets close, so `drop ... with (force)` can still reach a
      // closing client; that expected termination must not surface as an uncaught error.
      p.on("error", () => {});
      p.on("connect", (client) => client.on("error", () => {}));
      pools.push(p);
      return p;
    };
    const own = pool();
    return {
      dialect,
      url,
      upstreamDatabase: pool,
      query: async (sql, params = []) => (await own.query(sql, params)).rows,
      drop: async () => {
        await Promise.all(pools.map((p) => p.end()));
        const admin = new pg.Client({ connectionString: `${SERVERS.postgres}/postgres` });
        await admin.connect();
        await admin.query(`drop database if exists "${name}" with (force)`);
        await admin.end();
      },
    };
  }
  if (dialect === "mysql") {
    const mysql = require("mysql2/promise");
    const admin = await mysql.createConnection(SERVERS.mysql);
    await admin.query(`create database \`${name}\``);
    await admin.end();
    const url = `${SERVERS.mysql}/${name}`;
    const pools = [];
    const pool = () => {
      const p = mysql.createPool({ uri: url, connectionLimit: 10, timezone: "Z" });
      pools.push(p);
      return p;
    };
    const own = pool();
    return {
      dialect,
      url,
      upstreamDatabase: pool,
      query: async (sql, params = []) => (await own.query(sql, params))[0],
      drop: async () => {
        await Promise.all(pools.map((p) => p.end()));
        const admin = await mysql.createConnection(SERVERS.mysql);
        await admin.query(`drop database if exists \`${name}\``);
        await admin.end();
      },
    };
  }
  throw new Error(`unknown dialect ${dialect}`);
}

/** What upstream's own migration would still do to `database` under `options`. */
export async function upstreamMigrationPlan(database, options = {}) {
  const { getMigrations } = await import("better-auth/db/migration");
  const { toBeCreated, toBeAdded, toBeAddedIndexes } = await getMigrations({ database: database.upstreamDatabase(), secret: SECRET, emailAndPassword: { enabled: true }, logger: { disabled: true }, ...options });
  return { created: toBeCreated.map((t) => t.table), added: toBeAdded.map((t) => [t.table, Object.keys(t.fields)]), indexes: (toBeAddedIndexes ?? []).map((i) => i.name) };
}
