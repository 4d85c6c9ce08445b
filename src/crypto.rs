//! Random tokens, HMAC signing and constant-time comparison.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, KeyInit, Mac};
use rand::distr::{Alphanumeric, SampleString};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// A random `[A-Za-z0-9]` string (ids, session tokens, reset tokens), from a CSPRNG
/// (rand's thread RNG: ChaCha12 seeded and reseeded from the OS).
pub fn random_string(len: usize) -> String {
    Alphanumeric.sample_string(&mut rand::rng(), len)
}

/// A random string over `a-z0-9A-Z-_` (upstream's `generateRandomString` default alphabets).
pub fn random_url_safe(len: usize) -> String {
    random_from(b"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-_", len)
}

pub fn random_from(alphabet: &[u8], len: usize) -> String {
    use rand::RngExt;
    let mut rng = rand::rng();
    (0..len).map(|_| alphabet[rng.random_range(0..alphabet.len())] as char).collect()
}

/// A random `[0-9a-z]` string (upstream's delete-account tokens).
pub fn random_lowercase_token(len: usize) -> String {
    random_from(b"0123456789abcdefghijklmnopqrstuvwxyz", len)
}

/// Upstream's row id and session token: 32 alphanumeric characters.
pub fn generate_id() -> String {
    random_string(32)
}

/// better-call's cookie signature: HMAC-SHA256, standard base64 with padding (44 chars).
pub fn sign(secret: &str, value: &str) -> String {
    STANDARD.encode(hmac_sha256(secret, value.as_bytes()))
}

/// Verifies `signature` (standard base64) over `value` in constant time.
pub fn verify_signature(secret: &str, value: &str, signature: &str) -> bool {
    let Ok(given) = STANDARD.decode(signature) else { return false };
    constant_time_eq(&given, &hmac_sha256(secret, value.as_bytes()))
}

/// As [`verify_signature`], the signature in standard or URL-safe base64, padded or not
/// (upstream's `createHMAC(...).verify` decodes either).
pub fn verify_signature_any_base64(secret: &str, value: &str, signature: &str) -> bool {
    use base64::engine::general_purpose::STANDARD_NO_PAD;
    let trimmed = signature.trim_end_matches('=');
    let Ok(given) = STANDARD_NO_PAD.decode(trimmed).or_else(|_| URL_SAFE_NO_PAD.decode(trimmed)) else { return false };
    constant_time_eq(&given, &hmac_sha256(secret, value.as_bytes()))
}

#[derive(Debug, PartialEq, Eq)]
pub enum JwtError {
    Expired,
    Invalid,
}

/// An HS256 JWT as upstream's `signJWT` (jose) makes it: header `{"alg":"HS256"}`, the
/// claims plus `iat` and `exp`, keyed by the secret's UTF-8 bytes.
pub fn sign_jwt(secret: &str, mut claims: serde_json::Map<String, serde_json::Value>, now_s: i64, expires_in: i64) -> String {
    claims.insert("iat".into(), now_s.into());
    claims.insert("exp".into(), (now_s + expires_in).into());
    let encode = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
    let signing_input = format!("{}.{}", encode(br#"{"alg":"HS256"}"#), encode(serde_json::Value::Object(claims).to_string().as_bytes()));
    let signature = encode(&hmac_sha256(secret, signing_input.as_bytes()));
    format!("{signing_input}.{signature}")
}

/// Verifies as jose's `jwtVerify(token, secret, { algorithms: ["HS256"] })` does: the
/// algorithm, the signature (constant time), then `exp` and `nbf`.
pub fn verify_jwt(secret: &str, token: &str, now_s: i64) -> Result<serde_json::Map<String, serde_json::Value>, JwtError> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(JwtError::Invalid);
    };
    let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).map_err(|_| JwtError::Invalid);
    let header: serde_json::Value = serde_json::from_slice(&decode(header)?).map_err(|_| JwtError::Invalid)?;
    if header.get("alg").and_then(|a| a.as_str()) != Some("HS256") || header.get("crit").is_some() {
        return Err(JwtError::Invalid);
    }
    let signing_input = &token[..token.len() - signature.len() - 1];
    if !constant_time_eq(&decode(signature)?, &hmac_sha256(secret, signing_input.as_bytes())) {
        return Err(JwtError::Invalid);
    }
    let serde_json::Value::Object(claims) = serde_json::from_slice(&decode(payload)?).map_err(|_| JwtError::Invalid)? else {
        return Err(JwtError::Invalid);
    };
    let number = |key: &str| match claims.get(key) {
        None => Ok(None),
        Some(v) => v.as_f64().map(Some).ok_or(JwtError::Invalid),
    };
    number("iat")?;
    if number("nbf")?.is_some_and(|nbf| nbf > now_s as f64) {
        return Err(JwtError::Invalid);
    }
    if number("exp")?.is_some_and(|exp| exp <= now_s as f64) {
        return Err(JwtError::Expired);
    }
    Ok(claims)
}

/// SHA-256 as lowercase hex.
pub fn sha256_hex(data: &str) -> String {
    sha256(data.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

pub fn sha256(data: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    Sha256::digest(data).into()
}

pub fn hmac_sha256(secret: &str, message: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// Upstream's `symmetricEncrypt` with a plain secret: XChaCha20-Poly1305 keyed by
/// SHA-256(secret), a random 24-byte nonce before the ciphertext, all hex.
pub fn symmetric_encrypt_raw(secret: &str, data: &str) -> String {
    use chacha20poly1305::aead::{Aead, KeyInit as _};
    use chacha20poly1305::{XChaCha20Poly1305, XNonce};
    let cipher = XChaCha20Poly1305::new((&sha256(secret.as_bytes())).into());
    let mut nonce = [0u8; 24];
    rand::fill(&mut nonce);
    let sealed = cipher.encrypt(&XNonce::from(nonce), data.as_bytes()).expect("XChaCha20-Poly1305 encrypts any length");
    nonce.iter().chain(&sealed).map(|b| format!("{b:02x}")).collect()
}

/// The inverse of [`symmetric_encrypt_raw`]; `None` when tampered with or not ours.
pub fn symmetric_decrypt_raw(secret: &str, hex: &str) -> Option<String> {
    use chacha20poly1305::aead::{Aead, KeyInit as _};
    use chacha20poly1305::{XChaCha20Poly1305, XNonce};
    if !hex.len().is_multiple_of(2) || hex.len() < 2 * (24 + 16) {
        return None;
    }
    let bytes: Vec<u8> = (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()).collect::<Option<_>>()?;
    let cipher = XChaCha20Poly1305::new((&sha256(secret.as_bytes())).into());
    let nonce: [u8; 24] = bytes[..24].try_into().ok()?;
    let plain = cipher.decrypt(&XNonce::from(nonce), &bytes[24..]).ok()?;
    String::from_utf8(plain).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_32_alphanumerics_and_distinct() {
        let a = generate_id();
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, generate_id());
    }

    #[test]
    fn jwts_round_trip_and_fail_closed() {
        let mut claims = serde_json::Map::new();
        claims.insert("email".into(), "a@b.co".into());
        let token = sign_jwt("secret", claims, 1_000, 3600);
        let verified = verify_jwt("secret", &token, 1_001).unwrap();
        assert_eq!(verified["email"], "a@b.co");
        assert_eq!(verified["exp"], 4600);
        assert_eq!(verify_jwt("secret", &token, 4_600), Err(JwtError::Expired));
        assert_eq!(verify_jwt("other", &token, 1_001), Err(JwtError::Invalid));
        let unsigned = format!("{}.{}.", URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#), token.split('.').nth(1).unwrap());
        assert_eq!(verify_jwt("secret", &unsigned, 1_001), Err(JwtError::Invalid));
        assert_eq!(verify_jwt("secret", "a.b", 1_001), Err(JwtError::Invalid));
        assert_eq!(verify_jwt("secret", "", 1_001), Err(JwtError::Invalid));
    }

    #[test]
    fn verifies_a_jwt_made_by_jose() {
        // new SignJWT({email:"a@b.co"}).setProtectedHeader({alg:"HS256"}).setIssuedAt(1000).setExpirationTime(4600).sign(utf8("secret"))
        let token =
            "eyJhbGciOiJIUzI1NiJ9.eyJlbWFpbCI6ImFAYi5jbyIsImlhdCI6MTAwMCwiZXhwIjo0NjAwfQ.uXgpfKC6MyANkjq3OEQONKS5JZ5QKYN3X1qxJGSOfUc";
        assert_eq!(verify_jwt("secret", token, 1_001).unwrap()["email"], "a@b.co");
        let mut claims = serde_json::Map::new();
        claims.insert("email".into(), "a@b.co".into());
        assert_eq!(sign_jwt("secret", claims, 1_000, 3600), token, "byte-identical to jose's");
    }

    #[test]
    fn signature_matches_node_crypto() {
        // node -e 'console.log(require("crypto").createHmac("sha256","secret").update("token").digest("base64"))'
        assert_eq!(sign("secret", "token"), "6UERDj0r/oJiHw4+FDRzDXMF0QbF9oyHFl0LJ6RhGko=");
        assert!(verify_signature("secret", "token", &sign("secret", "token")));
        assert!(!verify_signature("secret", "tokeN", &sign("secret", "token")));
        assert!(!verify_signature("other", "token", &sign("secret", "token")));
        assert!(!verify_signature("secret", "token", "not base64!"));
    }
    #[test]
    fn symmetric_encryption_reads_upstreams_and_round_trips() {
        // better-auth 1.7.25: symmetricEncrypt({ key: SECRET, data: "ya29.access-token" }).
        let upstream = "9e2b2f3684b73d81f3ef204f84d40accf4fb3f028fd6c285389bdf367484bd2b26689d3fac496c7f34bf0dc79cb9c45adc70765e78e59bf56b";
        let secret = "test-secret-for-better-auth-rs-0123456789";
        assert_eq!(symmetric_decrypt_raw(secret, upstream).as_deref(), Some("ya29.access-token"));
        assert_eq!(symmetric_decrypt_raw("another-secret", upstream), None);
        let mut tampered = upstream.to_owned();
        tampered.replace_range(60..62, "00");
        assert_eq!(symmetric_decrypt_raw(secret, &tampered), None);
        let sealed = symmetric_encrypt_raw(secret, "token");
        assert_ne!(sealed, symmetric_encrypt_raw(secret, "token"), "a fresh nonce each time");
        assert_eq!(symmetric_decrypt_raw(secret, &sealed).as_deref(), Some("token"));
        assert_eq!(symmetric_decrypt_raw(secret, "zz"), None);
    }
}
