// Header conversions at the JS/Rust boundary. Rust takes and gives a flat
// `[name, value, name, value, ...]` list, so a request crosses once without per-header calls.

/** Flattens a `Headers`, a Node `IncomingHttpHeaders` or a plain record. */
export function flattenHeaders(headers) {
  const flat = [];
  if (!headers) return flat;
  if (typeof headers.forEach === "function" && typeof headers.get === "function") {
    headers.forEach((value, name) => {
      if (name === "set-cookie") return;
      flat.push(name, value);
    });
    return flat;
  }
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) for (const v of value) flat.push(name, String(v));
    else flat.push(name, String(value));
  }
  return flat;
}

/** A standard `Headers` from the core's flat list (each `set-cookie` appended on its own). */
export function toHeaders(flat) {
  const headers = new Headers();
  for (let i = 0; i < flat.length; i += 2) headers.append(flat[i], flat[i + 1]);
  return headers;
}

/** A web `Response` from the core's response. */
export function toWebResponse(native) {
  const noBody = native.status === 204 || native.status === 304 || native.body.length === 0;
  return new Response(noBody ? null : native.body, { status: native.status, headers: toHeaders(native.headers) });
}
