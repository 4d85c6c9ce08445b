// The example's front end, served on its own origin (default http://localhost:5173).
// The official client is bundled once from node_modules with esbuild.
import express from "express";
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));

export async function bundleClient() {
  const result = await build({
    stdin: { contents: 'export { createAuthClient } from "better-auth/client";', resolveDir: here, loader: "js" },
    bundle: true,
    format: "esm",
    platform: "browser",
    minify: true,
    write: false,
  });
  return result.outputFiles[0].text;
}

/** Starts the front-end server; `apiUrl` is where the Express API (server.js) listens. */
export async function startWeb({ port, apiUrl, host = "localhost" }) {
  const clientBundle = await bundleClient();
  const app = express();
  app.get("/config.js", (req, res) => res.type("text/javascript").send(`export const API_URL = ${JSON.stringify(apiUrl)};\n`));
  app.get("/vendor/better-auth-client.js", (req, res) => res.type("text/javascript").send(clientBundle));
  app.use(express.static(join(here, "web")));
  return new Promise((resolve) => {
    const server = app.listen(port, host, () => resolve(server));
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const port = Number(process.env.WEB_PORT ?? 5173);
  const apiUrl = process.env.API_URL ?? `http://localhost:${process.env.PORT ?? 3005}`;
  const server = await startWeb({ port, apiUrl });
  console.log(`front end on http://localhost:${server.address().port} (API at ${apiUrl})`);
}
