//! `session.cookieCache` (`packages/better-auth/src/cookies/index.ts`):
//! `{ session, user, updatedAt, version }` in the `session_data` cookie, so `get-session` can
//! answer without the database. Byte-compatible with upstream's `compact` (HMAC-signed base64url
//! JSON), `jwt` (HS256) and `jwe` strategies, so a cookie written here is read by upstream (and by
//! `getCookieCache` in a Next.js middleware), and the other way round.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use crate::crypto;

/// Upstream's ceiling for one `Set-Cookie` (Safari's limit, minus room for attributes).
pub const MAX_COOKIE_SIZE: usize = 4050;
pub const MAX_CHUNKS: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    Compact,
    Jwt,
    Jwe,
}

/// The HKDF salt upstream derives the cookie cache's JWE key with.
const JWE_SALT: &str = "better-auth-session";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Version {
    Static(String),
    /// `version(session, user)`, a function option.
    Function,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieCacheOptions {
    /// Seconds: the cookie's Max-Age and the cache's lifetime (default 300).
    pub max_age: i64,
    pub strategy: Strategy,
    pub version: Version,
}

/// The cookie value for payload `P` (`{ session, user, updatedAt, version }`).
/// `max_age`: `None` for "don't remember me" sessions (upstream then caches 60 s, or 300 s as a JWT).
pub fn encode(strategy: Strategy, secret: &str, payload: &Map<String, Value>, max_age: Option<i64>, now_ms: i64) -> String {
    match strategy {
        Strategy::Compact => {
            let expires_at = now_ms + max_age.unwrap_or(60) * 1000;
            let mut signed = payload.clone();
            signed.insert("expiresAt".into(), expires_at.into());
            let signature = URL_SAFE_NO_PAD.encode(crypto::hmac_sha256(secret, Value::Object(signed).to_string().as_bytes()));
            let outer = json!({ "session": payload, "expiresAt": expires_at, "signature": signature });
            URL_SAFE_NO_PAD.encode(outer.to_string().as_bytes())
        }
        Strategy::Jwt => crypto::sign_jwt(secret, payload.clone(), now_ms / 1000, max_age.unwrap_or(300)),
        Strategy::Jwe => crate::jwe::encode(secret, JWE_SALT, payload.clone(), now_ms / 1000, max_age.unwrap_or(300)),
    }
}

/// `(payload, expiresAt ms)` from a cookie value, when it is intact and well-formed.
pub fn decode(strategy: Strategy, secret: &str, value: &str, now_ms: i64) -> Option<(Map<String, Value>, i64)> {
    match strategy {
        Strategy::Compact => {
            let bytes = URL_SAFE_NO_PAD.decode(value.trim_end_matches('=')).ok()?;
            let Value::Object(outer) = serde_json::from_slice::<Value>(&bytes).ok()? else { return None };
            let Some(Value::Object(payload)) = outer.get("session") else { return None };
            let expires_at = outer.get("expiresAt")?.as_i64()?;
            let signature = URL_SAFE_NO_PAD.decode(outer.get("signature")?.as_str()?).ok()?;
            // Signed over `JSON.stringify({ ...session, expiresAt })`, in the parsed key order.
            let mut signed = payload.clone();
            signed.insert("expiresAt".into(), expires_at.into());
            let expected = crypto::hmac_sha256(secret, Value::Object(signed).to_string().as_bytes());
            if !crypto::constant_time_eq(&signature, &expected) {
                return None;
            }
            well_formed(payload).then(|| (payload.clone(), expires_at))
        }
        Strategy::Jwt => {
            let mut claims = crypto::verify_jwt(secret, value, now_ms / 1000).ok()?;
            let expires_at = claims.remove("exp").and_then(|e| e.as_i64()).map(|s| s * 1000).unwrap_or(now_ms);
            claims.remove("iat");
            well_formed(&claims).then_some((claims, expires_at))
        }
        Strategy::Jwe => {
            let mut claims = crate::jwe::decode(secret, JWE_SALT, value, now_ms / 1000)?;
            let expires_at = claims.remove("exp").and_then(|e| e.as_i64()).map(|s| s * 1000).unwrap_or(now_ms);
            claims.remove("iat");
            claims.remove("jti");
            well_formed(&claims).then_some((claims, expires_at))
        }
    }
}

/// Upstream's `parseCookieCachePayload`: the fields a cached session cannot do without.
fn well_formed(payload: &Map<String, Value>) -> bool {
    let has = |v: Option<&Value>, keys: &[&str]| v.and_then(Value::as_object).is_some_and(|o| keys.iter().all(|k| o.contains_key(*k)));
    has(payload.get("session"), &["id", "userId", "token", "expiresAt"])
        && has(payload.get("user"), &["id", "email", "name", "emailVerified"])
        && payload.get("updatedAt").is_some_and(Value::is_number)
        && payload.get("version").is_none_or(Value::is_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload() -> Map<String, Value> {
        let v = json!({
            "session": { "expiresAt": "2026-12-04T00:00:00.000Z", "token": "t0k3n", "createdAt": "2026-11-27T00:00:00.000Z", "updatedAt": "2026-11-27T00:00:00.000Z", "ipAddress": "", "userAgent": "", "userId": "u1", "id": "s1" },
            "user": { "name": "Ann", "email": "ann@example.com", "emailVerified": false, "image": null, "createdAt": "2026-11-27T00:00:00.000Z", "updatedAt": "2026-11-27T00:00:00.000Z", "id": "u1" },
            "updatedAt": 1795737600000i64,
            "version": "1"
        });
        v.as_object().unwrap().clone()
    }

    #[test]
    fn compact_round_trips_and_refuses_tampering() {
        let now = 1_795_737_600_000;
        let value = encode(Strategy::Compact, "secret", &payload(), Some(300), now);
        let (decoded, expires_at) = decode(Strategy::Compact, "secret", &value, now).unwrap();
        assert_eq!((decoded, expires_at), (payload(), now + 300_000));
        assert!(decode(Strategy::Compact, "other secret", &value, now).is_none());
        let text = String::from_utf8(URL_SAFE_NO_PAD.decode(&value).unwrap()).unwrap().replace("Ann", "Eve");
        assert!(decode(Strategy::Compact, "secret", &URL_SAFE_NO_PAD.encode(text), now).is_none());
        assert!(decode(Strategy::Compact, "secret", "not base64 !", now).is_none());
    }

    #[test]
    fn jwt_round_trips_with_its_own_expiry() {
        let now = 1_795_737_600_000;
        let value = encode(Strategy::Jwt, "secret", &payload(), None, now);
        let (decoded, expires_at) = decode(Strategy::Jwt, "secret", &value, now).unwrap();
        assert_eq!((decoded, expires_at), (payload(), now + 300_000));
        assert!(decode(Strategy::Jwt, "secret", &value, now + 301_000).is_none(), "expired");
    }
}
