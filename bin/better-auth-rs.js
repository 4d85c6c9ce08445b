#!/usr/bin/env node
// npx better-auth-rs <command>: migrate the database of an app's auth config, print a secret.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline/promises";

const CONFIG_CANDIDATES = ["", "src/", "lib/", "utils/", "src/lib/", "server/"].flatMap((dir) =>
  ["auth.ts", "auth.js", "auth.mjs", "auth.cjs", "auth.mts"].map((file) => dir + file),
);

const USAGE = `Usage: better-auth-rs <command> [options]

Commands:
  migrate [--config <file>] [--yes]   create the missing tables, columns and indexes
  generate [--dialect <d>]            print the schema's SQL for sqlite (default), postgres or mysql;
           [--config <file>]          with a config: only what its database still needs
  info [--config <file>]              version, database, tables, options summary
  secret                              print a random secret for BETTER_AUTH_SECRET
  help                                show this text

The config is a module exporting \`auth\` (or a default export) made by betterAuth();
without --config these are tried: ${CONFIG_CANDIDATES.join(", ")}.`;

function fail(message, code = 1) {
  console.error(`better-auth-rs: ${message}`);
  process.exit(code);
}

function parseArgs(argv) {
  const args = { command: argv[0], config: undefined, yes: false, dialect: undefined };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--config" || a === "-c") args.config = argv[++i];
    else if (a.startsWith("--config=")) args.config = a.slice("--config=".length);
    else if (a === "--yes" || a === "-y") args.yes = true;
    else if (a === "--dialect") args.dialect = argv[++i];
    else if (a.startsWith("--dialect=")) args.dialect = a.slice("--dialect=".length);
    else fail(`unknown argument ${a}\n\n${USAGE}`, 2);
  }
  return args;
}

async function loadAuth(configPath) {
  const path = configPath ? resolve(configPath) : CONFIG_CANDIDATES.map((c) => resolve(c)).find((p) => existsSync(p));
  if (!path || !existsSync(path)) {
    fail(configPath ? `config file ${configPath} not found` : `no auth config found (tried ${CONFIG_CANDIDATES.join(", ")}); pass --config <file>`);
  }
  let module;
  try {
    // TypeScript configs load through jiti, as upstream's CLI does.
    module = /\.[mc]?ts$/.test(path)
      ? await (await import("jiti")).createJiti(import.meta.url).import(path)
      : await import(pathToFileURL(path).href);
  } catch (error) {
    fail(`could not load ${path}: ${error.message}`);
  }
  const auth = module.auth ?? module.default?.auth ?? module.default;
  if (!auth || typeof auth.migrate !== "function") fail(`${path} does not export the object betterAuth() returns (as \`auth\` or default)`);
  return { auth, path };
}

async function confirm(question) {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  const answer = await rl.question(question);
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

async function migrate(args) {
  const { auth, path } = await loadAuth(args.config);
  console.log(`Config: ${path}`);
  let plan;
  try {
    plan = await auth.migrate({ apply: false });
  } catch (error) {
    fail(`cannot read the database: ${error.message}`);
  }
  if (plan.length === 0) {
    console.log("The database is up to date: nothing to migrate.");
    return;
  }
  console.log(`Planned changes (${plan.length}):\n${plan.map((s) => `  ${s}`).join("\n")}`);
  if (!args.yes) {
    if (!process.stdin.isTTY) fail("re-run with --yes to apply these changes", 1);
    if (!(await confirm("Apply these changes? (y/N) "))) fail("nothing applied", 1);
  }
  try {
    const applied = await auth.migrate({ apply: true });
    console.log(`Applied ${applied.length} statement(s).`);
  } catch (error) {
    fail(`migration failed: ${error.message}`);
  }
}

async function generate(args) {
  if (args.config && !args.dialect) {
    const { auth } = await loadAuth(args.config);
    const plan = await auth.migrate({ apply: false }).catch((error) => fail(`cannot read the database: ${error.message}`));
    console.log(plan.length ? plan.join("\n") : "-- the database is up to date");
    return;
  }
  const { native } = await import("../lib/native.js");
  let statements;
  try {
    statements = native.schemaSql(args.dialect ?? "sqlite");
  } catch (error) {
    fail(error.message, 2);
  }
  console.log(statements.join("\n"));
}

async function info(args) {
  const { auth, path } = await loadAuth(args.config);
  const { NATIVE } = await import("../index.js");
  const core = auth[NATIVE];
  const { createRequire } = await import("node:module");
  const { version } = createRequire(import.meta.url)("../package.json");
  const options = auth.options ?? {};
  console.log(`better-auth-rs ${version} (Node ${process.version})`);
  console.log(`config:    ${path}`);
  console.log(`database:  ${core.databaseUrl}`);
  let ok = true;
  try {
    const pending = await auth.migrate({ apply: false });
    const missing = pending.filter((s) => s.startsWith("create table")).map((s) => s.split(" ")[2]);
    console.log("reachable: yes");
    console.log(`tables:    ${pending.length === 0 ? "all present" : `${pending.length} change(s) pending${missing.length ? `, missing ${missing.join(", ")}` : ""} (run migrate)`}`);
  } catch (error) {
    ok = false;
    console.log(`reachable: no (${error.message})`);
  }
  console.log(`basePath:  ${core.basePath}`);
  console.log(`baseURL:   ${options.baseURL ?? "(inferred per request)"}`);
  console.log(`email and password: ${options.emailAndPassword?.enabled ? "enabled" : "disabled"}`);
  console.log(`trusted origins:    ${(options.trustedOrigins ?? []).join(", ") || "(base URL only)"}`);
  if (!ok) process.exit(1);
}

const args = parseArgs(process.argv.slice(2));
switch (args.command) {
  case "migrate":
    await migrate(args);
    break;
  case "generate":
    await generate(args);
    break;
  case "info":
    await info(args);
    break;
  case "secret":
    console.log(randomBytes(32).toString("hex"));
    break;
  case undefined:
  case "help":
  case "--help":
  case "-h":
    console.log(USAGE);
    break;
  default:
    fail(`unknown command ${args.command}\n\n${USAGE}`, 2);
}
