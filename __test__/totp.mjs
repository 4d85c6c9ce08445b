// RFC 6238 TOTP from an otpauth URI, written here (neither implementation's code): the
// two-factor suite and the benchmark compute codes with it.
import { createHmac } from "node:crypto";

export function base32Decode(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const ch of text.replace(/=+$/, "")) bits += alphabet.indexOf(ch.toUpperCase()).toString(2).padStart(5, "0");
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** RFC 6238 from an otpauth URI, written here (neither implementation's code). */
export function totpFor(uri, stepOffset = 0) {
  const u = new URL(uri);
  const key = base32Decode(u.searchParams.get("secret"));
  const digits = Number(u.searchParams.get("digits") ?? 6);
  const period = Number(u.searchParams.get("period") ?? 30);
  const counter = Math.floor(Date.now() / 1000 / period) + stepOffset;
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const h = createHmac("sha1", key).update(message).digest();
  const offset = h[h.length - 1] & 15;
  const value = (h.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return String(value).padStart(digits, "0");
}

