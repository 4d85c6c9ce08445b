// One benchmark target: the Express guide's app with ours or upstream better-auth.
// Usage: node bench/server.mjs ours|upstream <sqlite file | postgres:// URL | mysql:// URL> [plugins].
// `plugins`: with the bearer, jwt and twoFactor plugins. Prints "READY <port>".
import { createRequire } from "node:module";
import { monitorEventLoopDelay } from "node:perf_hooks";
import express from "express";
import cors from "cors";

const [impl, dbSpec, withPlugins] = process.argv.slice(2);
const dialect = dbSpec.startsWith("postgres") ? "postgres" : dbSpec.startsWith("mysql") ? "mysql" : "sqlite";
const require = createRequire(import.meta.url);
const options = {
  secret: "bench-secret-0123456789abcdef0123456789",
  emailAndPassword: { enabled: true },
  trustedOrigins: ["http://localhost:5173"],
  logger: { disabled: true },
};
if (withPlugins === "plugins") {
  const { bearer, jwt, twoFactor } = impl === "ours" ? await import("../plugins.js") : await import("better-auth/plugins");
  options.plugins = [bearer(), jwt(), twoFactor()];
}

let auth;
let toNodeHandler;
let fromNodeHeaders;
if (impl === "ours") {
  ({ toNodeHandler, fromNodeHeaders } = await import("../node.js"));
  const { betterAuth } = await import("../index.js");
  auth = betterAuth({ ...options, database: dialect === "sqlite" ? `sqlite:${dbSpec}` : dbSpec, autoMigrate: true });
} else {
  ({ toNodeHandler, fromNodeHeaders } = await import("better-auth/node"));
  const { betterAuth } = await import("better-auth");
  const { getMigrations } = await import("better-auth/db/migration");
  const database =
    dialect === "postgres"
      ? new (require("pg").Pool)({ connectionString: dbSpec })
      : dialect === "mysql"
        ? require("mysql2/promise").createPool({ uri: dbSpec, timezone: "Z" })
        : new (require("better-sqlite3"))(dbSpec);
  const config = { ...options, database };
  await (await getMigrations(config)).runMigrations();
  auth = betterAuth(config);
}

const eventLoop = monitorEventLoopDelay({ resolution: 1 });
eventLoop.enable();

const app = express();
app.use(cors({ origin: "http://localhost:5173", credentials: true }));
app.get("/plain", (req, res) => res.json({ ok: true }));
// Event-loop delay since the last reset, in ms; the runner reads it around each scenario.
app.get("/__bench/event-loop", (req, res) => {
  const stats = { p50: eventLoop.percentile(50) / 1e6, p99: eventLoop.percentile(99) / 1e6, max: eventLoop.max / 1e6 };
  if (req.query.reset) eventLoop.reset();
  res.json(stats);
});
app.all("/api/auth/*splat", toNodeHandler(auth));
app.use(express.json());
app.get("/api/me", async (req, res) => res.json(await auth.api.getSession({ headers: fromNodeHeaders(req.headers) })));

const server = app.listen(0, "127.0.0.1", () => console.log(`READY ${server.address().port}`));
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(0));
