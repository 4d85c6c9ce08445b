// `npm run bench`: ours vs upstream better-auth on the same machine in one run, A/B
// alternating per scenario so drift cancels out. Writes bench/results.json, bench/RESULTS.md
// and bench/chart.svg. Flags: --duration <s> (default 5), --connections <n> (default 16),
// --rounds <n> (default 2). Then get-session and sign-in again on PostgreSQL and MySQL (both
// implementations on the same server, each in a fresh database); --no-dialects skips that.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir, cpus } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { createTestDatabase } from "../__test__/databases.mjs";
import { totpFor } from "../__test__/totp.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const flag = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const DURATION = flag("duration", 5);
const CONNECTIONS = flag("connections", 16);
const ROUNDS = flag("rounds", 2);
const CLOCK_TICKS = 100; // USER_HZ on Linux
const PASSWORD = "bench-password-123";

function startTarget(impl, database, plugins = false) {
  const spec = database ?? join(mkdtempSync(join(tmpdir(), `bench-${impl}-`)), "auth.db");
  const args = [join(here, "server.mjs"), impl, spec, ...(plugins ? ["plugins"] : [])];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/READY (\d+)/);
      if (m) resolve({ impl, child, url: `http://127.0.0.1:${m[1]}` });
    });
    child.on("exit", (code) => reject(new Error(`${impl} server exited with ${code}`)));
  });
}

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Peak resident set size of a process so far, in MiB. */
function peakRssMiB(pid) {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmHWM:"));
  return Number(line.split(/\s+/)[1]) / 1024;
}

async function signUp(target, email) {
  const res = await fetch(`${target.url}/api/auth/sign-up/email`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: "http://localhost:5173" },
    body: JSON.stringify({ name: "Bench", email, password: PASSWORD }),
  });
  if (res.status !== 200) throw new Error(`${target.impl} sign-up failed: ${res.status} ${await res.text()}`);
  return res.headers.getSetCookie()[0].split(";")[0];
}

/** bearer, jwt and twoFactor on both, SQLite: verify-totp, bearer get-session and GET /token. */
async function runPlugins() {
  const targets = [await startTarget("ours", undefined, true), await startTarget("upstream", undefined, true)];
  try {
    const seed = {};
    for (const t of targets) {
      const res = await fetch(`${t.url}/api/auth/sign-up/email`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: "http://localhost:5173" },
        body: JSON.stringify({ name: "Bench", email: `plugins-${t.impl}@example.com`, password: PASSWORD }),
      });
      if (res.status !== 200) throw new Error(`${t.impl} sign-up failed: ${res.status}`);
      seed[t.impl] = { cookie: res.headers.getSetCookie()[0].split(";")[0], bearer: res.headers.get("set-auth-token") };
    }
    // A second user enrolled in TOTP: verify-totp signed in checks a code and answers.
    for (const t of targets) {
      const post = (path, body, cookie) =>
        fetch(`${t.url}/api/auth${path}`, { method: "POST", headers: { "content-type": "application/json", origin: "http://localhost:5173", cookie }, body: JSON.stringify(body) });
      const up = await post("/sign-up/email", { name: "Bench", email: `totp-${t.impl}@example.com`, password: PASSWORD });
      const cookie = up.headers.getSetCookie()[0].split(";")[0];
      const { totpURI } = await (await post("/two-factor/enable", { password: PASSWORD }, cookie)).json();
      const verified = await post("/two-factor/verify-totp", { code: totpFor(totpURI) }, cookie);
      if (verified.status !== 200) throw new Error(`${t.impl} TOTP enrolment failed: ${verified.status}`);
      // Enabling rotated the session.
      seed[t.impl].totp = { uri: totpURI, cookie: verified.headers.getSetCookie().find((c) => c.includes("session_token=")).split(";")[0] };
    }
    const list = [
      {
        name: "POST /two-factor/verify-totp (signed in)",
        request: (t) => ({
          method: "POST",
          path: "/api/auth/two-factor/verify-totp",
          headers: { "content-type": "application/json", origin: "http://localhost:5173", cookie: seed[t.impl].totp.cookie },
          setupRequest: (req) => ({ ...req, body: JSON.stringify({ code: totpFor(seed[t.impl].totp.uri) }) }),
        }),
      },
      { name: "get-session with Authorization: Bearer", request: (t) => ({ method: "GET", path: "/api/auth/get-session", headers: { authorization: `Bearer ${seed[t.impl].bearer}` } }) },
      { name: "GET /api/auth/token (jwt)", request: (t) => ({ method: "GET", path: "/api/auth/token", headers: { cookie: seed[t.impl].cookie } }) },
    ];
    const results = await runScenarios(targets, list, "[plugins] ");
    return Object.entries(results).map(([name, r]) => ({ name, ...r, rpsRatio: r.upstream.rps ? r.ours.rps / r.upstream.rps : null, p99Ratio: r.upstream.p99 ? r.ours.p99 / r.upstream.p99 : null }));
  } finally {
    for (const t of targets) t.child.kill();
  }
}

let emailCounter = 0;
const uniqueSignUp = (tag) => ({
  method: "POST",
  path: "/api/auth/sign-up/email",
  headers: { "content-type": "application/json" },
  setupRequest: (req) => ({ ...req, body: JSON.stringify({ name: "Bench", email: `bench-${tag}-${process.pid}-${++emailCounter}@example.com`, password: PASSWORD }) }),
});

function scenarios(seed) {
  return [
    { name: "plain Express route", request: () => ({ method: "GET", path: "/plain" }) },
    { name: "GET /api/auth/ok", request: () => ({ method: "GET", path: "/api/auth/ok" }) },
    { name: "GET /api/auth/get-session", request: (t) => ({ method: "GET", path: "/api/auth/get-session", headers: { cookie: seed[t.impl].cookie } }) },
    { name: "GET /api/me", request: (t) => ({ method: "GET", path: "/api/me", headers: { cookie: seed[t.impl].cookie } }) },
    {
      name: "POST /sign-in/email",
      hashing: true,
      request: (t) => ({ method: "POST", path: "/api/auth/sign-in/email", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: seed[t.impl].email, password: PASSWORD }) }),
    },
    { name: "POST /sign-up/email", hashing: true, request: (t) => uniqueSignUp(t.impl) },
    {
      name: "get-session during sign-ups",
      hashing: true,
      mixed: true,
      request: (t) => ({ method: "GET", path: "/api/auth/get-session", headers: { cookie: seed[t.impl].cookie } }),
    },
  ];
}

function load(url, request, connections) {
  return autocannon({ url, connections, duration: DURATION, requests: [request], excludeErrorStats: false });
}

async function measure(target, scenario) {
  await fetch(`${target.url}/__bench/event-loop?reset=1`);
  const cpuBefore = cpuSeconds(target.child.pid);
  const main = load(target.url, scenario.request(target), CONNECTIONS);
  // Mixed load: sign-ups on other connections while get-session is measured.
  const background = scenario.mixed ? load(target.url, uniqueSignUp(`${target.impl}-bg`), CONNECTIONS) : null;
  const [result, bg] = await Promise.all([main, background]);
  const cpu = cpuSeconds(target.child.pid) - cpuBefore;
  const eventLoop = await (await fetch(`${target.url}/__bench/event-loop`)).json();
  const served = result.requests.total + (bg?.requests.total ?? 0);
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx + result.timeouts,
    cpuMsPerRequest: served ? (cpu * 1000) / served : null,
    eventLoopP99: eventLoop.p99,
  };
}

const average = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

function combine(runs) {
  const keys = Object.keys(runs[0]);
  return Object.fromEntries(keys.map((k) => [k, runs.some((r) => r[k] === null) ? null : average(runs.map((r) => r[k]))]));
}

const fmt = (n, digits = 1) => (n === null || n === undefined ? "–" : Number(n).toFixed(digits));

function chart(rows) {
  const width = 760;
  const barHeight = 22;
  const left = 260;
  const scaleMax = Math.max(4, ...rows.map((r) => r.rpsRatio ?? 0));
  const scale = (width - left - 80) / scaleMax;
  const bars = rows
    .map((r, i) => {
      const y = 40 + i * (barHeight + 10);
      const w = Math.max(1, (r.rpsRatio ?? 0) * scale);
      const color = (r.rpsRatio ?? 0) >= 1 ? "#2f855a" : "#c53030";
      return `<text x="${left - 10}" y="${y + 15}" text-anchor="end" font-size="13">${r.name}</text>
<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barHeight}" fill="${color}"/>
<text x="${left + w + 6}" y="${y + 15}" font-size="13">${fmt(r.rpsRatio, 2)}×</text>`;
    })
    .join("\n");
  const oneX = left + scale;
  const height = 60 + rows.length * (barHeight + 10);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="22" font-size="15" font-weight="bold">Requests/s, better-auth-rs ÷ upstream better-auth (higher is better)</text>
<line x1="${oneX}" y1="32" x2="${oneX}" y2="${height - 10}" stroke="#888" stroke-dasharray="4"/>
<text x="${oneX + 3}" y="${height - 12}" font-size="11" fill="#555">1× (parity)</text>
${bars}
</svg>
`;
}

async function runScenarios(targets, list, label = "") {
  // Warm-up: JIT, connection pools and caches, so the first scenario is not penalized.
  for (const t of targets) {
    for (const scenario of list.filter((s) => !s.hashing).slice(0, 4)) await autocannon({ url: t.url, connections: CONNECTIONS, duration: 1, requests: [scenario.request(t)] });
  }
  const results = {};
  for (const scenario of list) {
    const runs = { ours: [], upstream: [] };
    for (let round = 0; round < ROUNDS; round++) {
      // A/B, then B/A: machine drift within a scenario cancels out.
      const order = round % 2 === 0 ? targets : [...targets].reverse();
      for (const t of order) {
        runs[t.impl].push(await measure(t, scenario));
        process.stdout.write(`${label}${scenario.name} [${t.impl}] round ${round + 1}: ${fmt(runs[t.impl].at(-1).rps, 0)} req/s\n`);
      }
    }
    results[scenario.name] = { ours: combine(runs.ours), upstream: combine(runs.upstream), hashing: Boolean(scenario.hashing) };
  }
  return results;
}

/** get-session and sign-in with both implementations on one database server. */
async function runDialect(dialect) {
  const databases = [await createTestDatabase(dialect), await createTestDatabase(dialect)];
  const targets = [await startTarget("ours", databases[0].url), await startTarget("upstream", databases[1].url)];
  try {
    const seed = {};
    for (const t of targets) {
      const email = `seed-${t.impl}@example.com`;
      seed[t.impl] = { email, cookie: await signUp(t, email) };
    }
    const list = scenarios(seed).filter((s) => s.name === "GET /api/auth/get-session" || s.name === "POST /sign-in/email");
    const results = await runScenarios(targets, list, `[${dialect}] `);
    return Object.entries(results).map(([name, r]) => ({
      dialect,
      name,
      ...r,
      rpsRatio: r.upstream.rps ? r.ours.rps / r.upstream.rps : null,
      p99Ratio: r.upstream.p99 ? r.ours.p99 / r.upstream.p99 : null,
    }));
  } finally {
    for (const t of targets) t.child.kill();
    await new Promise((r) => setTimeout(r, 300));
    for (const d of databases) await d.drop().catch(() => {});
  }
}

async function main() {
  const started = Date.now();
  const targets = [await startTarget("ours"), await startTarget("upstream")];
  try {
    const seed = {};
    for (const t of targets) {
      const email = `seed-${t.impl}@example.com`;
      seed[t.impl] = { email, cookie: await signUp(t, email) };
    }
    const results = await runScenarios(targets, scenarios(seed));
    const rss = Object.fromEntries(targets.map((t) => [t.impl, peakRssMiB(t.child.pid)]));
    for (const t of targets) t.child.kill();
    const pluginRows = await runPlugins();
    const dialectRows = [];
    if (!process.argv.includes("--no-dialects")) {
      for (const dialect of ["postgres", "mysql"]) dialectRows.push(...(await runDialect(dialect)));
    }
    const plainCpu = results["plain Express route"].ours.cpuMsPerRequest;
    const rows = Object.entries(results).map(([name, r]) => ({
      name,
      ...r,
      rpsRatio: r.upstream.rps ? r.ours.rps / r.upstream.rps : null,
      p99Ratio: r.upstream.p99 ? r.ours.p99 / r.upstream.p99 : null,
      cpuVsPlain: plainCpu ? r.ours.cpuMsPerRequest / plainCpu : null,
    }));
    const report = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
      settings: { durationSeconds: DURATION, connections: CONNECTIONS, rounds: ROUNDS },
      peakRssMiB: rss,
      scenarios: rows,
      plugins: pluginRows,
      dialects: dialectRows,
      seconds: (Date.now() - started) / 1000,
    };
    writeFileSync(join(here, "results.json"), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(here, "chart.svg"), chart(rows));
    const table = rows
      .map((r) =>
        `| ${r.name} | ${fmt(r.ours.rps, 0)} | ${fmt(r.upstream.rps, 0)} | **${fmt(r.rpsRatio, 2)}×** | ${fmt(r.ours.p50)} / ${fmt(r.ours.p99)} | ${fmt(r.upstream.p50)} / ${fmt(r.upstream.p99)} | ${fmt(r.ours.cpuMsPerRequest, 3)} | ${fmt(r.upstream.cpuMsPerRequest, 3)} | ${fmt(r.cpuVsPlain, 2)}× | ${r.hashing ? `${fmt(r.ours.eventLoopP99)} / ${fmt(r.upstream.eventLoopP99)}` : "–"} | ${fmt(r.ours.errors, 0)} / ${fmt(r.upstream.errors, 0)} |`,
      )
      .join("\n");
    const mixed = results["get-session during sign-ups"].ours.p99;
    const alone = results["GET /api/auth/get-session"].ours.p99;
    const md = `# Benchmark: better-auth-rs vs upstream better-auth

Run ${report.date} on ${report.machine.cpus} × ${report.machine.model}, Node ${report.machine.node};
${DURATION} s per measurement, ${CONNECTIONS} connections, ${ROUNDS} rounds alternating A/B; both
servers are the Express guide's app on a fresh SQLite file, rate limiting and logging off.
Reproduce with \`npm run bench\` (flags: \`--duration\`, \`--connections\`, \`--rounds\`).

![requests per second ratio](chart.svg)

| Scenario | ours req/s | upstream req/s | ratio | ours p50 / p99 ms | upstream p50 / p99 ms | ours CPU ms/req | upstream CPU ms/req | ours CPU vs plain route | event-loop p99 ms (ours / upstream) | errors (ours / upstream) |
|---|---|---|---|---|---|---|---|---|---|---|
${table}

Peak RSS over the whole run: ours ${fmt(rss.ours)} MiB, upstream ${fmt(rss.upstream)} MiB (ratio ${fmt(rss.ours / rss.upstream, 2)}).

get-session p99 during concurrent sign-ups vs alone (ours): ${fmt(mixed)} ms vs ${fmt(alone)} ms (${fmt(mixed / alone, 2)}×).

## Plugins

Both with \`plugins: [bearer(), jwt(), twoFactor()]\` (ours from \`better-auth-rs/plugins\`, upstream's
from \`better-auth/plugins\`), SQLite, same settings. With jwt, every get-session answer also carries
a freshly signed \`set-auth-jwt\` (EdDSA), on both. verify-totp is a TOTP-enrolled user's session
checking the current code (decrypting the secret, HMAC-SHA1 over three periods).

| Scenario | ours req/s | upstream req/s | ratio | ours p50 / p99 ms | upstream p50 / p99 ms | p99 ratio | ours CPU ms/req | upstream CPU ms/req | errors (ours / upstream) |
|---|---|---|---|---|---|---|---|---|---|
${pluginRows.map((r) => `| ${r.name} | ${fmt(r.ours.rps, 0)} | ${fmt(r.upstream.rps, 0)} | **${fmt(r.rpsRatio, 2)}×** | ${fmt(r.ours.p50)} / ${fmt(r.ours.p99)} | ${fmt(r.upstream.p50)} / ${fmt(r.upstream.p99)} | ${fmt(r.p99Ratio, 2)} | ${fmt(r.ours.cpuMsPerRequest, 3)} | ${fmt(r.upstream.cpuMsPerRequest, 3)} | ${fmt(r.ours.errors, 0)} / ${fmt(r.upstream.errors, 0)} |`).join("\n")}

## On PostgreSQL and MySQL

Both implementations on this machine's PostgreSQL 15 / MariaDB 10.11 server, each in its own fresh
database (ours: a database URL; upstream: a \`pg\` Pool / \`mysql2\` pool), same settings as above.

| Database | Scenario | ours req/s | upstream req/s | ratio | ours p50 / p99 ms | upstream p50 / p99 ms | p99 ratio | errors (ours / upstream) |
|---|---|---|---|---|---|---|---|---|
${dialectRows.map((r) => `| ${r.dialect} | ${r.name} | ${fmt(r.ours.rps, 0)} | ${fmt(r.upstream.rps, 0)} | **${fmt(r.rpsRatio, 2)}×** | ${fmt(r.ours.p50)} / ${fmt(r.ours.p99)} | ${fmt(r.upstream.p50)} / ${fmt(r.upstream.p99)} | ${fmt(r.p99Ratio, 2)} | ${fmt(r.ours.errors, 0)} / ${fmt(r.upstream.errors, 0)} |`).join("\n")}

CPU ms/req is the server process's user+system time over the requests it served (for the mixed
scenario, get-session and sign-up requests together).
`;
    writeFileSync(join(here, "RESULTS.md"), md);
    console.log(`\nwrote bench/RESULTS.md, bench/results.json, bench/chart.svg in ${fmt(report.seconds, 0)} s`);
  } finally {
    for (const t of targets) t.child.kill();
  }
}

await main();
