// better-auth-rs/node: mount the auth server on Express or node:http, as upstream's
// `better-auth/node`.
import { LOGGER, NATIVE, TRUSTED_ORIGINS } from "./index.js";

/** A standard `Headers` from Node's `req.headers`; array values are appended one by one. */
export function fromNodeHeaders(nodeHeaders) {
  const headers = new Headers();
  for (const [name, value] of Object.entries(nodeHeaders ?? {})) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  return headers;
}

function requestURL(req) {
  const forwarded = req.headers["x-forwarded-proto"];
  const protocol = (Array.isArray(forwarded) ? forwarded[0] : forwarded) || (req.socket?.encrypted ? "https" : "http");
  const host = req.headers[":authority"] || req.headers.host || "localhost";
  // Express: originalUrl keeps the mount path (app.use("/api/auth", ...)) and trailing slashes.
  return `${protocol}://${host}${req.originalUrl ?? req.url}`;
}

function formEncode(object) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(object)) {
    if (Array.isArray(value)) for (const v of value) params.append(key, String(v ?? ""));
    else if (value !== null && typeof value === "object") params.append(key, JSON.stringify(value));
    else params.append(key, value === null || value === undefined ? "" : String(value));
  }
  return params.toString();
}

/** The body a parser such as `express.json()` already consumed, serialized again. */
function reserialize(req) {
  const body = req.body;
  if (typeof body === "string") return Buffer.from(body);
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof URLSearchParams) return Buffer.from(body.toString());
  const contentType = String(req.headers["content-type"] ?? "").toLowerCase();
  if (contentType.includes("application/x-www-form-urlencoded") && body && typeof body === "object") {
    return Buffer.from(formEncode(body));
  }
  return Buffer.from(JSON.stringify(body));
}

/**
 * Reads the body, stopping one byte past `limit` (the core answers 413 for that). Resolves
 * `{ body, truncated }`.
 */
function readBody(req, limit, timeout) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    let done = false;
    // A body that trickles in (slowloris) is not waited for forever.
    const timer = timeout > 0 ? setTimeout(() => finish(false, true), timeout) : null;
    const finish = (truncated, timedOut = false) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (timedOut) req.pause();
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      resolve({ body: Buffer.concat(chunks), truncated, timedOut });
    };
    const onData = (chunk) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > limit) {
        req.pause();
        finish(true);
      }
    };
    const onEnd = () => finish(false);
    const onError = (error) => {
      if (!done) {
        done = true;
        clearTimeout(timer);
        reject(error);
      }
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}

async function requestBody(req, limit, timeout = 0) {
  const method = req.method?.toUpperCase();
  if (method === "GET" || method === "HEAD") return { body: undefined, truncated: false };
  // Consumed by a body parser mounted before us (req._body is body-parser's flag).
  if (req.body !== undefined && (req._body === true || req.readableEnded)) {
    return { body: reserialize(req), truncated: false };
  }
  if (req.readableEnded) return { body: undefined, truncated: false };
  return readBody(req, limit, timeout);
}

function writeResponse(res, result) {
  const cookies = [];
  const flat = result.headers;
  for (let i = 0; i < flat.length; i += 2) {
    if (flat[i] === "set-cookie") cookies.push(flat[i + 1]);
    else res.setHeader(flat[i], flat[i + 1]);
  }
  if (cookies.length) res.setHeader("set-cookie", cookies);
  res.statusCode = result.status;
  res.end(result.body);
}

const INTERNAL_ERROR = JSON.stringify({ message: "Internal Server Error", code: "INTERNAL_SERVER_ERROR" });
const BODY_TIMEOUT = JSON.stringify({ message: "Request body timeout", code: "REQUEST_TIMEOUT" });

function nodeHandlerForWebHandler(handler) {
  return async (req, res) => {
    const { body } = await requestBody(req, Number.POSITIVE_INFINITY);
    const request = new Request(requestURL(req), { method: req.method, headers: fromNodeHeaders(req.headers), body });
    const response = await handler(request);
    res.statusCode = response.status;
    for (const cookie of response.headers.getSetCookie()) res.appendHeader("set-cookie", cookie);
    response.headers.forEach((value, name) => name !== "set-cookie" && res.setHeader(name, value));
    res.end(Buffer.from(await response.arrayBuffer()));
  };
}

/**
 * `(req, res) => Promise<void>` for Express 4/5 (`app.all("/api/auth/*splat", ...)`) and
 * `http.createServer`. Always answers; never calls `next`.
 */
export function toNodeHandler(auth) {
  const core = auth?.[NATIVE] ?? auth?.handler?.[NATIVE];
  const originsFor = auth?.[TRUSTED_ORIGINS] ?? auth?.handler?.[TRUSTED_ORIGINS];
  const logger = auth?.[LOGGER] ?? auth?.handler?.[LOGGER];
  const handle = core
    ? async (req, res) => {
        const { body, truncated, timedOut } = await requestBody(req, core.maxBodySize, core.bodyTimeout);
        if (timedOut) {
          res.writeHead(408, { "content-type": "application/json", connection: "close" });
          res.end(BODY_TIMEOUT);
          return;
        }
        const url = requestURL(req);
        const readsOnly = req.method === "GET" || req.method === "HEAD";
        // Only a trustedOrigins function needs a web Request; the fast path never builds one.
        const origins = originsFor && !readsOnly ? await originsFor(new Request(url, { method: req.method, headers: fromNodeHeaders(req.headers) })) : undefined;
        // rawHeaders is already the flat list the core takes.
        const result = await core.handle(req.method, url, req.rawHeaders, body, origins);
        // The rest of an oversized body is never read: close instead of reusing the connection.
        if (truncated) res.setHeader("connection", "close");
        writeResponse(res, result);
      }
    : typeof auth === "function" || typeof auth?.handler === "function"
      ? nodeHandlerForWebHandler(typeof auth === "function" ? auth : auth.handler)
      : null;
  if (!handle) throw new TypeError("toNodeHandler expects the object betterAuth() returned, or its handler");
  return async (req, res) => {
    try {
      await handle(req, res);
    } catch (error) {
      // A client that went away mid-request is not a server fault.
      const aborted = req.aborted || req.destroyed || error?.code === "ECONNRESET" || error?.message === "aborted";
      if (aborted) logger?.at("debug", `request aborted by the client: ${req.method} ${req.url}`);
      else if (logger) logger.at("error", `request failed: ${error?.stack ?? error}`);
      else console.error("better-auth-rs: request failed:", error);
      if (!res.headersSent) {
        res.statusCode = 500;
        res.setHeader("content-type", "application/json");
        res.end(INTERNAL_ERROR);
      } else {
        res.destroy(error);
      }
    }
  };
}
