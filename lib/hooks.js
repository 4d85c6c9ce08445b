// `hooks.before` / `hooks.after`: the Rust core calls them with a plain description of the
// request; here it becomes the `ctx` upstream's hooks receive (path, method, headers, body,
// query, request, context: { session, newSession, returned }, and better-call's helpers), and
// what the hook did comes back as one plain answer.
import { APIError } from "./api-error.js";
import { flattenHeaders, toHeaders } from "./headers.js";

const JSON_FLAG = "json";

function serializeCookie(name, value, options = {}) {
  let cookie = `${name}=${encodeURIComponent(value)}`;
  if (options.maxAge !== undefined) cookie += `; Max-Age=${Math.floor(options.maxAge)}`;
  if (options.domain) cookie += `; Domain=${options.domain}`;
  cookie += `; Path=${options.path ?? "/"}`;
  if (options.expires) cookie += `; Expires=${options.expires.toUTCString()}`;
  if (options.httpOnly) cookie += "; HttpOnly";
  if (options.secure) cookie += "; Secure";
  if (options.sameSite) cookie += `; SameSite=${options.sameSite[0].toUpperCase()}${options.sameSite.slice(1)}`;
  if (options.partitioned) cookie += "; Partitioned";
  return cookie;
}

/** The `ctx` a hook receives, from the core's description. */
export function hookContext(d) {
  const headers = d.headers ? toHeaders(d.headers) : undefined;
  const request = d.request ? new Request(d.request.url, { method: d.request.method, headers: toHeaders(d.request.headers) }) : undefined;
  const responseHeaders = new Headers();
  let returned = d.returned;
  if (d.returned?.$$apiError) returned = APIError.fromStatusCode(d.returned.$$apiError.status, d.returned.$$apiError.body);
  const ctx = {
    path: d.path,
    method: d.method ?? undefined,
    headers,
    body: d.body ?? undefined,
    query: d.query ?? undefined,
    params: d.params ?? {},
    request,
    context: { session: d.session ?? null, newSession: d.newSession ?? null, returned, responseHeaders },
    responseHeaders,
    json: (body) => ({ _flag: JSON_FLAG, body }),
    setHeader: (name, value) => responseHeaders.set(name, value),
    getHeader: (name) => headers?.get(name) ?? null,
    setCookie: (name, value, options) => {
      const cookie = serializeCookie(name, value, options);
      responseHeaders.append("set-cookie", cookie);
      return cookie;
    },
    getCookie: (name) => {
      const header = headers?.get("cookie") ?? "";
      for (const part of header.split(";")) {
        const [k, ...v] = part.trim().split("=");
        if (k === name) {
          try {
            return decodeURIComponent(v.join("="));
          } catch {
            return v.join("=");
          }
        }
      }
      return null;
    },
    redirect: (url) => new APIError("FOUND", undefined, { location: url }),
    error: (status, body, headers) => new APIError(status, body, headers),
  };
  return ctx;
}

export function responseHeaderList(ctx) {
  return flatResponseHeaders(ctx);
}

function flatResponseHeaders(ctx) {
  const flat = [];
  ctx.responseHeaders.forEach((value, name) => {
    if (name !== "set-cookie") flat.push(name, value);
  });
  for (const cookie of ctx.responseHeaders.getSetCookie()) flat.push("set-cookie", cookie);
  return flat;
}

function isPlainObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value) && (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null);
}

/** Deep merge with the hook's values winning, arrays replaced (upstream uses `defu`). */
function merge(base, over) {
  if (!isPlainObject(base) || !isPlainObject(over)) return over;
  const out = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in out ? merge(out[k], v) : v;
  return out;
}

/** What the hook did, as plain JSON for the core. */
export async function hookResult(ctx, result) {
  const responseHeaders = flatResponseHeaders(ctx);
  if (result instanceof Response) {
    const headers = flattenHeaders(result.headers);
    for (const cookie of result.headers.getSetCookie()) headers.push("set-cookie", cookie);
    return { kind: "response", status: result.status, headers: [...responseHeaders, ...headers], body: await result.text() };
  }
  if (result instanceof APIError || result?.name === "APIError") throw result;
  if (result && typeof result === "object" && result._flag === JSON_FLAG) return { kind: "json", body: result.body ?? null, responseHeaders };
  if (result && typeof result === "object" && isPlainObject(result.context)) {
    const c = result.context;
    return {
      kind: "context",
      body: "body" in c ? merge(ctx.body, c.body) : ctx.body,
      query: "query" in c ? merge(ctx.query, c.query) : undefined,
      headers: c.headers ? flattenHeaders(c.headers instanceof Headers ? c.headers : new Headers(c.headers)) : undefined,
      responseHeaders,
    };
  }
  if (result && typeof result === "object") return { kind: "json", body: result, responseHeaders };
  return { kind: "context", body: ctx.body, responseHeaders };
}

/** upstream's `createAuthMiddleware`: our hooks already get a full `ctx`, so it is the function. */
export function createAuthMiddleware(optionsOrHandler, handler) {
  return typeof optionsOrHandler === "function" ? optionsOrHandler : handler;
}
