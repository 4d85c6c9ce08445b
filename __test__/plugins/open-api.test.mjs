// openAPI: the document is built from the endpoint table; compared with upstream's for the same
// plugins (paths, methods, operation ids, tags, parameters, request bodies, model schemas).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import util from "node:util";
import { Client, startServer } from "../helpers.mjs";
import { startBoth, pluginsOf } from "./differential.mjs";

const options = (p) => ({
  baseURL: "http://localhost:3000",
  user: { additionalFields: { plan: { type: ["free", "pro"], defaultValue: "free" }, age: { type: "number", required: true } } },
  plugins: [p.openAPI(), p.bearer(), p.username(), p.oneTimeToken(), p.jwt(), p.lastLoginMethod({ storeInDatabase: true }), p.anonymous(), p.multiSession(), p.twoFactor(), p.customSession(async (s) => s)],
});

/** One line per operation: what a client generator reads. */
function operations(doc) {
  const out = {};
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const schema = op.requestBody?.content?.["application/json"]?.schema;
      const body = schema && Object.entries(schema.properties ?? {}).map(([k, v]) => `${k}${(schema.required ?? []).includes(k) ? "" : "?"}:${v.type ?? (v.anyOf ? "string" : JSON.stringify(v))}`);
      out[`${method} ${path}`] = {
        operationId: op.operationId ?? null,
        tags: op.tags,
        description: op.description ?? null,
        security: op.security,
        parameters: op.parameters.map((p) => `${p.in}:${p.name}:${p.schema?.type}:${p.required ?? false}`).sort(),
        body: body ?? null,
        bodyRequired: op.requestBody?.required ?? null,
        errors: Object.keys(op.responses).filter((s) => s !== "200"),
      };
    }
  }
  return out;
}

describe("openAPI plugin, as upstream", () => {
  let servers;
  before(async () => {
    servers = await startBoth(options);
  });
  after(() => Promise.all(Object.values(servers).map((s) => s.close())));

  it("documents the same operations and models", async () => {
    const docs = {};
    for (const impl of ["upstream", "ours"]) {
      const r = await new Client(servers[impl].url).request("/api/auth/open-api/generate-schema");
      assert.equal(r.status, 200, r.text);
      docs[impl] = r.data;
    }
    const [ours, upstream] = [docs.ours, docs.upstream];
    for (const key of ["openapi", "info", "security", "servers", "tags"]) assert.deepEqual(ours[key], upstream[key], key);
    assert.deepEqual(ours.components, upstream.components);
    const [mine, theirs] = [operations(ours), operations(upstream)];
    assert.deepEqual(Object.keys(mine).sort(), Object.keys(theirs).sort(), "the same paths and methods");
    const differing = Object.keys(theirs).filter((key) => !util.isDeepStrictEqual(mine[key], theirs[key]));
    assert.deepEqual(differing.map((key) => [key, mine[key]]), differing.map((key) => [key, theirs[key]]), "operations that differ");
    // The direct call answers the same document.
    assert.deepEqual((await servers.ours.auth.api.generateOpenAPISchema()).paths, ours.paths);
  });

  it("serves the reference page", async () => {
    for (const impl of ["upstream", "ours"]) {
      const r = await new Client(servers[impl].url).request("/api/auth/reference");
      assert.equal(r.status, 200);
      assert.equal(r.headers.get("content-type"), "text/html");
      assert.match(r.text, /<script\s+id="api-reference"\s+type="application\/json">/);
      assert.match(r.text, /cdn\.jsdelivr\.net\/npm\/@scalar\/api-reference/);
    }
  });

  it("options: path, disableDefaultReference, theme, nonce", async () => {
    const { openAPI } = await pluginsOf("ours");
    const server = await startServer({ options: { plugins: [openAPI({ path: "/docs", theme: "moon", nonce: "abc" })] } });
    const off = await startServer({ options: { plugins: [openAPI({ disableDefaultReference: true })] } });
    try {
      const page = await new Client(server.url).request("/api/auth/docs");
      assert.match(page.text, /theme: "moon"/);
      assert.match(page.text, /<script nonce="abc">/);
      assert.equal((await new Client(server.url).request("/api/auth/reference")).status, 404);
      assert.equal((await new Client(off.url).request("/api/auth/reference")).status, 404);
      assert.equal((await new Client(off.url).request("/api/auth/open-api/generate-schema")).status, 200);
      await assert.rejects(startServer({ options: { plugins: [openAPI({ theme: "neon" })] } }), /plugins\[open-api\]\.theme/);
    } finally {
      await Promise.all([server.close(), off.close()]);
    }
  });
});
