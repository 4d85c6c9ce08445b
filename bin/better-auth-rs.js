#!/usr/bin/env node
// npx better-auth-rs <command>: migrate the database of an app's auth config, print a secret.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline/promises";

const CONFIG_CANDIDATES = ["auth.js", "auth.mjs", "auth.cjs", "src/auth.js", "lib/auth.js", "utils/auth.js", "src/lib/auth.js", "server/auth.js"];

const USAGE = `Usage: better-auth-rs <command> [options]

Commands:
  migrate [--config <file>] [--yes]   create the missing tables, columns and indexes
  secret                              print a random secret for BETTER_AUTH_SECRET
  help                                show this text

The config is a module exporting \`auth\` (or a default export) made by betterAuth();
without --config these are tried: ${CONFIG_CANDIDATES.join(", ")}.`;

function fail(message, code = 1) {
  console.error(`better-auth-rs: ${message}`);
  process.exit(code);
}

function parseArgs(argv) {
  const args = { command: argv[0], config: undefined, yes: false };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--config" || a === "-c") args.config = argv[++i];
    else if (a.startsWith("--config=")) args.config = a.slice("--config=".length);
    else if (a === "--yes" || a === "-y") args.yes = true;
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
    module = await import(pathToFileURL(path).href);
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

const args = parseArgs(process.argv.slice(2));
switch (args.command) {
  case "migrate":
    await migrate(args);
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
