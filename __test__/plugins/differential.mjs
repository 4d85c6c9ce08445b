// Plugin suites' shared harness: the same steps against upstream better-auth 1.7.25 and ours,
// each with its own plugins (`better-auth/plugins` vs `better-auth-rs/plugins`), compared step
// by step as `summarize` reduces them.
import assert from "node:assert/strict";
import { startServer } from "../helpers.mjs";
import { summarize } from "../scenario.mjs";

export const IMPLS = ["upstream", "ours"];

/** Upstream's plugin functions or ours, under the same names. */
export function pluginsOf(impl) {
  return impl === "ours" ? import("../../plugins.js") : import("better-auth/plugins");
}

/** Starts both servers; `options(plugins, impl)` gives each its options. */
export async function startBoth(options) {
  const entries = await Promise.all(
    IMPLS.map(async (impl) => [impl, await startServer({ impl, options: options(await pluginsOf(impl), impl) })]),
  );
  return Object.fromEntries(entries);
}

/** A recorder for one implementation's steps: `step(name, response, extra?)`. */
export function recorder(url) {
  const steps = [];
  const step = (name, response, extra = {}) => {
    const s = summarize(response);
    steps.push({ name, ...s, location: s.location?.replace(url, "<server>") ?? null, ...extra });
    return response;
  };
  return { steps, step };
}

/** Runs `scenario(server, step, impl)` on both and asserts the same steps. */
export async function assertSameSteps(servers, scenario) {
  const results = {};
  for (const impl of IMPLS) {
    const { steps, step } = recorder(servers[impl].url);
    await scenario(servers[impl], step, impl);
    results[impl] = steps;
  }
  assert.equal(results.ours.length, results.upstream.length);
  for (let i = 0; i < results.upstream.length; i++) {
    assert.deepEqual(results.ours[i], results.upstream[i], `step "${results.upstream[i].name}" differs`);
  }
}
