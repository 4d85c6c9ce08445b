// A minimal Redis client for tests (RESP2 over one socket, one command at a time), so tests can
// look at what was stored and give upstream a Redis-backed secondaryStorage.
import net from "node:net";

export async function connectRedis(port = 6379, host = "127.0.0.1") {
  const socket = net.connect(port, host);
  await new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  let buffer = Buffer.alloc(0);
  let waiting = [];
  socket.on("data", (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      const parsed = parse(buffer, 0);
      if (!parsed || !waiting.length) break;
      buffer = buffer.subarray(parsed.end);
      waiting.shift()(parsed.value);
    }
  });
  let queue = Promise.resolve();
  const command = (...args) => {
    const run = () =>
      new Promise((resolve, reject) => {
        waiting.push((v) => (v instanceof Error ? reject(v) : resolve(v)));
        const parts = args.map(String);
        socket.write(`*${parts.length}\r\n` + parts.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join(""));
      });
    const result = queue.then(run, run);
    queue = result.catch(() => {});
    return result;
  };
  return { command, close: () => socket.end() };
}

function parse(buf, at) {
  const lineEnd = buf.indexOf("\r\n", at);
  if (lineEnd < 0) return null;
  const type = String.fromCharCode(buf[at]);
  const line = buf.toString("utf8", at + 1, lineEnd);
  const next = lineEnd + 2;
  if (type === "+") return { value: line, end: next };
  if (type === "-") return { value: new Error(line), end: next };
  if (type === ":") return { value: Number(line), end: next };
  if (type === "$") {
    const n = Number(line);
    if (n < 0) return { value: null, end: next };
    if (buf.length < next + n + 2) return null;
    return { value: buf.toString("utf8", next, next + n), end: next + n + 2 };
  }
  if (type === "*") {
    const n = Number(line);
    if (n < 0) return { value: null, end: next };
    const items = [];
    let end = next;
    for (let i = 0; i < n; i++) {
      const item = parse(buf, end);
      if (!item) return null;
      items.push(item.value);
      end = item.end;
    }
    return { value: items, end };
  }
  throw new Error(`unexpected RESP type ${type}`);
}

/** Upstream's secondaryStorage interface over Redis (what a user would write with ioredis). */
export function redisStorage(redis) {
  return {
    get: (key) => redis.command("GET", key),
    set: (key, value, ttl) => (ttl ? redis.command("SET", key, value, "EX", ttl) : redis.command("SET", key, value)),
    delete: (key) => redis.command("DEL", key),
    getAndDelete: (key) => redis.command("GETDEL", key),
    increment: async (key, ttl) => {
      const count = await redis.command("INCR", key);
      if (count === 1) await redis.command("EXPIRE", key, ttl);
      return count;
    },
  };
}

/** The same interface over a Map, with TTLs: the in-memory storage of upstream's docs. */
export function memoryStorage() {
  const map = new Map();
  const live = (key) => {
    const entry = map.get(key);
    if (entry && entry.expires && entry.expires <= Date.now()) map.delete(key);
    return map.get(key);
  };
  return {
    map,
    get: async (key) => live(key)?.value ?? null,
    set: async (key, value, ttl) => void map.set(key, { value, expires: ttl ? Date.now() + ttl * 1000 : 0 }),
    delete: async (key) => void map.delete(key),
    getAndDelete: async (key) => {
      const value = live(key)?.value ?? null;
      map.delete(key);
      return value;
    },
    increment: async (key, ttl) => {
      const entry = live(key);
      const value = (entry ? Number(entry.value) : 0) + 1;
      map.set(key, { value: String(value), expires: entry ? entry.expires : Date.now() + ttl * 1000 });
      return value;
    },
  };
}
