// A database that is unreachable, or goes away mid-run and comes back: requests fail fast with
// a JSON error naming no SQL or credentials, and the pool recovers by itself. The outage is a TCP
// proxy in front of the real server that the test cuts and restores.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { startServer, Client, uniqueEmail } from "./helpers.mjs";
import { createTestDatabase, SERVERS } from "./databases.mjs";

/** A TCP proxy to `port` on loopback that can drop every connection and refuse new ones. */
async function tcpProxy(targetPort) {
  const sockets = new Set();
  let server;
  let port = 0;
  const start = () =>
    new Promise((resolve) => {
      server = net.createServer((client) => {
        const upstream = net.connect(targetPort, "127.0.0.1");
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on("close", () => sockets.delete(s));
          s.on("error", () => {});
        }
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, "127.0.0.1", () => {
        port = server.address().port;
        resolve();
      });
    });
  await start();
  return {
    get port() {
      return port;
    },
    stop: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(resolve);
      }),
    start,
  };
}

function withPort(url, port) {
  const u = new URL(url);
  u.port = String(port);
  return u.toString();
}

for (const dialect of ["postgres", "mysql"]) {
  describe(`database faults on ${dialect}`, () => {
    const cleanups = [];
    after(async () => {
      for (const c of cleanups.reverse()) await c().catch(() => {});
    });

    it("answers a JSON error within the connection timeout when nothing listens, without credentials", async () => {
      const closed = await new Promise((resolve) => {
        const s = net.createServer().listen(0, "127.0.0.1", () => {
          const { port } = s.address();
          s.close(() => resolve(port));
        });
      });
      const url = withPort(`${SERVERS[dialect].replace("://", "://user:hunter2@")}/nowhere`, closed);
      const server = await startServer({ options: { database: { provider: dialect, url, connectionTimeoutMillis: 300 } } });
      cleanups.push(server.close);
      const r = await new Client(server.url).post("/api/auth/sign-in/email", { email: uniqueEmail("down"), password: "password123" });
      assert.equal(r.status, 500, r.text);
      assert.match(r.headers.get("content-type"), /application\/json/);
      assert.ok(!/hunter2|select|insert|127\.0\.0\.1/i.test(r.text), r.text);
      assert.equal((await new Client(server.url).request("/api/auth/ok")).status, 200);
    });

    it("recovers by itself when the database comes back", async () => {
      const db = await createTestDatabase(dialect);
      cleanups.push(db.drop);
      const proxy = await tcpProxy(new URL(SERVERS[dialect]).port);
      cleanups.push(proxy.stop);
      const url = withPort(db.url, proxy.port);
      const server = await startServer({ options: { database: { provider: dialect, url, connectionTimeoutMillis: 500 }, autoMigrate: true } });
      cleanups.push(server.close);
      const c = new Client(server.url);
      const email = uniqueEmail("outage");
      assert.equal((await c.post("/api/auth/sign-up/email", { name: "O", email, password: "password123" })).status, 200);
      assert.equal((await c.request("/api/auth/get-session")).data?.user.email, email);

      await proxy.stop();
      const during = await c.request("/api/auth/get-session");
      assert.equal(during.status, 500, during.text);
      assert.equal(during.data.code, "FAILED_TO_GET_SESSION");
      assert.equal(c.jar.size > 0, true, "an outage does not sign anyone out");

      await proxy.start();
      let after;
      for (let i = 0; i < 20; i++) {
        after = await c.request("/api/auth/get-session");
        if (after.status === 200) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(after.status, 200, after.text);
      assert.equal(after.data?.user.email, email);
      assert.equal((await new Client(server.url).post("/api/auth/sign-in/email", { email, password: "password123" })).status, 200);
    });
  });
}
