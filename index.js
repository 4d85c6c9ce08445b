// better-auth-rs: `betterAuth(options)` as upstream's, backed by the Rust core.
import { native } from "./lib/native.js";
import { APIError } from "./lib/api-error.js";
import { flattenHeaders, toHeaders, toWebResponse } from "./lib/headers.js";
import { hookContext, hookResult, responseHeaderList } from "./lib/hooks.js";
import { createLogSink } from "./lib/logger.js";
import { envSnapshot, serializeOptions } from "./lib/options.js";

export { APIError };

/** Where `toNodeHandler` finds the core behind an `auth` or `auth.handler`. */
export const NATIVE = Symbol.for("better-auth-rs.native");
/** Where it finds the per-request `trustedOrigins` function, if the options have one. */
export const TRUSTED_ORIGINS = Symbol.for("better-auth-rs.trustedOrigins");
/** Where it finds the instance's logger (the `logger` option). */
export const LOGGER = Symbol.for("better-auth-rs.logger");

/**
 * `trustedOrigins` as a function of the request: called for state-changing requests (the
 * ones origin checks apply to); its falsy entries are dropped, as upstream.
 */
function dynamicTrustedOrigins(options) {
  const fn = options?.trustedOrigins;
  if (typeof fn !== "function") return null;
  return async (request) => {
    const origins = await fn(request);
    return Array.isArray(origins) ? origins.filter((o) => typeof o === "string" && o) : [];
  };
}

// Timestamp fields, which `auth.api` returns as `Date` objects as upstream does.
const DATE_KEYS = ["createdAt", "updatedAt", "expiresAt", "accessTokenExpiresAt", "refreshTokenExpiresAt"];

/** Turns timestamp strings into Dates in place (a walk is much cheaper than a JSON reviver). */
function reviveDates(value, depth = 0) {
  if (value === null || typeof value !== "object" || depth > 4) return value;
  if (Array.isArray(value)) {
    for (const item of value) reviveDates(item, depth + 1);
    return value;
  }
  for (const key of DATE_KEYS) if (typeof value[key] === "string") value[key] = new Date(value[key]);
  for (const key in value) if (value[key] !== null && typeof value[key] === "object") reviveDates(value[key], depth + 1);
  return value;
}

async function callApi(core, name, input = {}) {
  const { body, query, params, method, headers, request, asResponse, returnHeaders, returnStatus } = input ?? {};
  const headerSource = headers ?? request?.headers;
  const flat = headerSource ? flattenHeaders(headerSource) : null;
  const result = await core.api(name, JSON.stringify({ body, query, params, method }), flat);
  if (!result) throw new Error(`better-auth-rs: auth.api.${name} is not available`);
  if (asResponse === true || (request && asResponse !== false)) return toWebResponse(result);
  const text = result.body.toString("utf8");
  const responseHeaders = toHeaders(result.headers);
  if (result.status >= 300) {
    const errorBody = text ? JSON.parse(text) : undefined;
    throw APIError.fromStatusCode(result.status, errorBody, responseHeaders);
  }
  const contentType = responseHeaders.get("content-type") ?? "";
  const response = contentType.includes("json") ? reviveDates(JSON.parse(text)) : text;
  if (returnHeaders && returnStatus) return { headers: responseHeaders, response, status: result.status };
  if (returnHeaders) return { headers: responseHeaders, response };
  if (returnStatus) return { response, status: result.status };
  return response;
}

/** Rust's request marker becomes a web `Request`; timestamps become Dates. */
function toRequest(marker) {
  return new Request(marker.url, { method: marker.method, headers: toHeaders(marker.headers) });
}

function toJsArgument(arg) {
  const request = arg?.["$$request"];
  if (request) return toRequest(request);
  // A hook's context: { path, body, query, request } (request null for auth.api calls).
  if (arg && typeof arg === "object" && "path" in arg && "request" in arg) {
    const req = arg.request?.["$$request"] ? toRequest(arg.request["$$request"]) : undefined;
    return { ...arg, request: req, headers: req?.headers };
  }
  return reviveDates(arg);
}

/** A thrown APIError crosses into Rust as a marker message with its status and body. */
function apiErrorMarker(error, responseHeaders) {
  if (typeof error?.message === "string" && error.message.startsWith("$$apiError:")) return error;
  const status = error?.statusCode ?? (typeof error?.status === "number" ? error.status : undefined);
  if (!(error instanceof Error) || typeof status !== "number" || error.name !== "APIError") return error;
  const headers = error.headers instanceof Headers ? Object.fromEntries(error.headers) : error.headers;
  return new Error(`$$apiError:${JSON.stringify({ status, body: error.body ?? { message: error.message }, headers, responseHeaders })}`);
}

/**
 * Creates the auth server. Options are upstream's (`emailAndPassword`, `session`, ...);
 * unknown keys throw, unsupported ones log a warning.
 */
export function betterAuth(options = {}) {
  const logSink = createLogSink(options?.logger);
  const fromRust = ([level, message]) => logSink.log(level, message);
  // Function options called from Rust: `{ path: [keys], args }`, awaited; what they return
  // goes back as JSON, a throw rejects back to Rust.
  const invokeOption = async (payload) => {
    const { path, args } = JSON.parse(payload);
    // An empty path is a round trip with nothing called (for equal timing of unlike paths).
    if (path.length === 0) {
      args.map(toJsArgument);
      return null;
    }
    const owner = path.slice(0, -1).reduce((object, key) => object?.[key], options);
    const fn = owner?.[path.at(-1)];
    if (typeof fn !== "function") throw new Error(`better-auth-rs: option ${path.join(".")} is not a function`);
    try {
      if (path[0] === "hooks" && path.length === 2) {
        const ctx = hookContext(args[0]);
        try {
          return await hookResult(ctx, await fn.call(owner, ctx));
        } catch (error) {
          // Headers and cookies an after hook set before throwing still go out, as upstream.
          throw apiErrorMarker(error, path[1] === "after" ? responseHeaderList(ctx) : undefined);
        }
      }
      // Called on its object, so storage classes keep their `this`.
      const result = await fn.apply(owner, args.map(toJsArgument));
      return result === undefined ? null : result;
    } catch (error) {
      throw apiErrorMarker(error);
    }
  };
  const core = new native.NativeAuth(serializeOptions(options), envSnapshot(), logSink.level, fromRust, invokeOption);
  if (logSink.level !== null && logSink.level !== "error") for (const warning of core.warnings) logSink.log("warn", warning);

  const originsFor = dynamicTrustedOrigins(options);
  const handler = async (request) => {
    const method = request.method.toUpperCase();
    const readsOnly = method === "GET" || method === "HEAD";
    const body = readsOnly ? undefined : Buffer.from(await request.arrayBuffer());
    const origins = originsFor && !readsOnly ? await originsFor(request) : undefined;
    const result = await core.handle(method, request.url, flattenHeaders(request.headers), body, origins);
    return toWebResponse(result);
  };
  handler[NATIVE] = core;
  handler[TRUSTED_ORIGINS] = originsFor;
  handler[LOGGER] = logSink;

  // One entry per endpoint of the core's table (core and plugins): nothing is listed here.
  const api = {};
  for (const name of core.apiNames) api[name] = (input) => callApi(core, name, input);

  const auth = {
    handler,
    fetch: handler,
    api,
    options,
    $ERROR_CODES: JSON.parse(core.errorCodesJson),
    /** Applies missing tables/columns/indexes (`apply`), or only lists them. */
    migrate: ({ apply = true } = {}) => core.migrate(apply),
    [NATIVE]: core,
    [TRUSTED_ORIGINS]: originsFor,
    [LOGGER]: logSink,
  };
  return auth;
}
