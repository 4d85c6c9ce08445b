// Answers that are alike for a known and an unknown email take alike too. Each test takes many
// interleaved samples of both and compares them as distributions (Mann-Whitney U), never
// against a clock: a real difference of a fraction of the noise shows up as a large |z|.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, Client, tempDbFile, uniqueEmail } from "./helpers.mjs";

/** Mann-Whitney U as a z score (normal approximation, ties averaged). */
export function mannWhitneyZ(a, b) {
  const all = [...a.map((v) => [v, 0]), ...b.map((v) => [v, 1])].sort((x, y) => x[0] - y[0]);
  const ranks = new Array(all.length);
  let tieTerm = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1][0] === all[i][0]) j++;
    for (let k = i; k <= j; k++) ranks[k] = (i + j) / 2 + 1;
    const t = j - i + 1;
    tieTerm += t ** 3 - t;
    i = j + 1;
  }
  const n1 = a.length;
  const n2 = b.length;
  const r1 = all.reduce((sum, [, group], i) => (group === 0 ? sum + ranks[i] : sum), 0);
  const u = r1 - (n1 * (n1 + 1)) / 2;
  const n = n1 + n2;
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  return (u - (n1 * n2) / 2) / sigma;
}

/** `samples` timings per group, the groups' requests shuffled together. */
async function timeInterleaved(groups, samples) {
  const order = Object.keys(groups).flatMap((name) => Array.from({ length: samples }, () => name));
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const timings = Object.fromEntries(Object.keys(groups).map((name) => [name, []]));
  for (const name of order) {
    const start = process.hrtime.bigint();
    await groups[name]();
    timings[name].push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return timings;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const describeTimings = (t) => Object.entries(t).map(([k, v]) => `${k}: median ${median(v).toFixed(2)} ms`).join(", ");
// |z| above this happens by chance about once in 15,000 runs.
const Z_LIMIT = 4;

describe("sign-in timing on a database upstream wrote", () => {
  const dbFile = tempDbFile();
  let ours;
  const scryptUser = uniqueEmail("scrypt");
  const argonUser = uniqueEmail("argon");
  before(async () => {
    const upstream = await startServer({ impl: "upstream", dbFile });
    const up = await new Client(upstream.url).post("/api/auth/sign-up/email", { name: "S", email: scryptUser, password: "password123" });
    assert.equal(up.status, 200, up.text);
    await upstream.close();
    ours = await startServer({ dbFile, options: { autoMigrate: false, rateLimit: { enabled: false } } });
    const mine = await new Client(ours.url).post("/api/auth/sign-up/email", { name: "A", email: argonUser, password: "password123" });
    assert.equal(mine.status, 200, mine.text);
  });
  after(() => ours?.close());

  it("an unknown email takes as long as a wrong password, for scrypt and argon2id users alike", async () => {
    const attempt = (email) => async () => {
      const r = await new Client(ours.url).post("/api/auth/sign-in/email", { email, password: "wrong-password" });
      assert.equal(r.status, 401);
      assert.equal(r.data.code, "INVALID_EMAIL_OR_PASSWORD");
    };
    const timings = await timeInterleaved({ unknown: attempt(uniqueEmail("nobody")), scrypt: attempt(scryptUser), argon2id: attempt(argonUser) }, 24);
    for (const known of ["scrypt", "argon2id"]) {
      const z = mannWhitneyZ(timings.unknown, timings[known]);
      assert.ok(Math.abs(z) < Z_LIMIT, `unknown vs ${known}: z = ${z.toFixed(1)} (${describeTimings(timings)})`);
    }
    // Still a real check: the right password signs in.
    const ok = await new Client(ours.url).post("/api/auth/sign-in/email", { email: scryptUser, password: "password123" });
    assert.equal(ok.status, 200, ok.text);
  });
});

describe("request-password-reset timing", () => {
  let server;
  const known = uniqueEmail("reset-known");
  const mails = [];
  before(async () => {
    server = await startServer({
      dbFile: tempDbFile(),
      options: { rateLimit: { enabled: false }, emailAndPassword: { enabled: true, sendResetPassword: async ({ user }) => void mails.push(user.email) } },
    });
    const up = await new Client(server.url).post("/api/auth/sign-up/email", { name: "K", email: known, password: "password123" });
    assert.equal(up.status, 200, up.text);
  });
  after(() => server?.close());

  it("a known email takes as long as an unknown one, and only the known one gets a mail", async () => {
    const request = (email) => async () => {
      const r = await new Client(server.url).post("/api/auth/request-password-reset", { email, redirectTo: "/reset" });
      assert.equal(r.status, 200);
      assert.equal(r.data.status, true);
    };
    // Warm both paths (statement caches, the first mail) before measuring.
    await timeInterleaved({ known: request(known), unknown: request(uniqueEmail("nobody")) }, 10);
    const samples = 150;
    const before = mails.length;
    const timings = await timeInterleaved({ known: request(known), unknown: request(uniqueEmail("nobody")) }, samples);
    assert.equal(mails.length - before, samples, "every known request mailed, no unknown one did");
    assert.ok(mails.every((m) => m === known));
    const z = mannWhitneyZ(timings.known, timings.unknown);
    assert.ok(Math.abs(z) < Z_LIMIT, `known vs unknown: z = ${z.toFixed(1)} (${describeTimings(timings)})`);
  });
});

describe("sign-up timing when duplicates get the generic answer", () => {
  let server;
  const taken = uniqueEmail("signup-taken");
  const mails = [];
  before(async () => {
    server = await startServer({
      dbFile: tempDbFile(),
      options: {
        rateLimit: { enabled: false },
        emailAndPassword: { enabled: true, requireEmailVerification: true },
        emailVerification: { sendVerificationEmail: async ({ user }) => void mails.push(user.email) },
      },
    });
    const up = await new Client(server.url).post("/api/auth/sign-up/email", { name: "T", email: taken, password: "password123" });
    assert.equal(up.status, 200, up.text);
  });
  after(() => server?.close());

  it("a taken email takes as long as a free one (which writes a user and mails)", async () => {
    const signUp = (email) => async () => {
      const r = await new Client(server.url).post("/api/auth/sign-up/email", { name: "T", email: email(), password: "password123" });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.data.token, null);
    };
    const before = mails.length;
    const timings = await timeInterleaved({ taken: signUp(() => taken), free: signUp(() => uniqueEmail("free")) }, 50);
    assert.equal(mails.length - before, 50, "only the free emails were mailed");
    assert.ok(!mails.slice(before).includes(taken));
    const z = mannWhitneyZ(timings.taken, timings.free);
    assert.ok(Math.abs(z) < Z_LIMIT, `taken vs free: z = ${z.toFixed(1)} (${describeTimings(timings)})`);
  });
});
