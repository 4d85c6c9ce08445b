//! Upstream's `symmetricEncodeJWT` / `symmetricDecodeJWT` (jose): a compact JWE with `alg: "dir"`,
//! `enc: "A256CBC-HS512"` (RFC 7518 section 5.2.5), the key derived by HKDF-SHA256 from the secret
//! with a per-use salt, and `kid` the key's RFC 7638 thumbprint. Used by the `jwe` cookie-cache
//! strategy.

use aes::Aes256;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256, Sha512};

const INFO: &[u8] = b"BetterAuth.js Generated Encryption Key";
/// jose's `clockTolerance` in upstream's decode options.
const CLOCK_TOLERANCE_S: i64 = 15;

/// The 64-byte content key for `secret` and `salt` (e.g. `"better-auth-session"`).
pub fn derive_key(secret: &str, salt: &str) -> [u8; 64] {
    let mut key = [0u8; 64];
    hkdf::Hkdf::<Sha256>::new(Some(salt.as_bytes()), secret.as_bytes())
        .expand(INFO, &mut key)
        .expect("64 bytes is a valid HKDF-SHA256 length");
    key
}

/// RFC 7638: SHA-256 over `{"k":"<key>","kty":"oct"}`, base64url.
fn thumbprint(key: &[u8; 64]) -> String {
    let jwk = format!(r#"{{"k":"{}","kty":"oct"}}"#, URL_SAFE_NO_PAD.encode(key));
    URL_SAFE_NO_PAD.encode(Sha256::digest(jwk.as_bytes()))
}

/// RFC 7518 section 5.2.2.1: HMAC-SHA-512 over AAD || IV || ciphertext || AAD length in bits, first half.
fn tag(mac_key: &[u8], aad: &[u8], iv: &[u8], ciphertext: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha512> as KeyInit>::new_from_slice(mac_key).expect("HMAC takes any key length");
    mac.update(aad);
    mac.update(iv);
    mac.update(ciphertext);
    mac.update(&((aad.len() as u64) * 8).to_be_bytes());
    let full = mac.finalize().into_bytes();
    let mut out = [0u8; 32];
    out.copy_from_slice(&full[..32]);
    out
}

fn uuid_v4() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

/// Encrypts `payload` plus `iat`, `exp` (`now + expires_in`) and a random `jti`.
pub fn encode(secret: &str, salt: &str, mut payload: Map<String, Value>, now_s: i64, expires_in: i64) -> String {
    let key = derive_key(secret, salt);
    let header = json!({ "alg": "dir", "enc": "A256CBC-HS512", "kid": thumbprint(&key) });
    payload.insert("iat".into(), now_s.into());
    payload.insert("exp".into(), (now_s + expires_in).into());
    payload.insert("jti".into(), uuid_v4().into());
    let protected = URL_SAFE_NO_PAD.encode(header.to_string().as_bytes());
    let iv: [u8; 16] = rand::random();
    let plaintext = Value::Object(payload).to_string();
    let ciphertext = cbc::Encryptor::<Aes256>::new_from_slices(&key[32..], &iv)
        .expect("32-byte key, 16-byte IV")
        .encrypt_padded_vec::<Pkcs7>(plaintext.as_bytes());
    let tag = tag(&key[..32], protected.as_bytes(), &iv, &ciphertext);
    format!("{protected}..{}.{}.{}", URL_SAFE_NO_PAD.encode(iv), URL_SAFE_NO_PAD.encode(&ciphertext), URL_SAFE_NO_PAD.encode(tag))
}

/// The claims of a token made by [`encode`] (or upstream) with this secret, unexpired.
pub fn decode(secret: &str, salt: &str, token: &str, now_s: i64) -> Option<Map<String, Value>> {
    let parts: Vec<&str> = token.split('.').collect();
    let [protected, encrypted_key, iv, ciphertext, given_tag] = parts.as_slice() else { return None };
    if !encrypted_key.is_empty() {
        return None;
    }
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(protected).ok()?).ok()?;
    if header.get("alg")?.as_str()? != "dir" || header.get("enc")?.as_str()? != "A256CBC-HS512" || header.get("zip").is_some() {
        return None;
    }
    let key = derive_key(secret, salt);
    if header.get("kid").and_then(Value::as_str).is_some_and(|kid| kid != thumbprint(&key)) {
        return None;
    }
    let (iv, ciphertext, given_tag) =
        (URL_SAFE_NO_PAD.decode(iv).ok()?, URL_SAFE_NO_PAD.decode(ciphertext).ok()?, URL_SAFE_NO_PAD.decode(given_tag).ok()?);
    if iv.len() != 16 || !crate::crypto::constant_time_eq(&given_tag, &tag(&key[..32], protected.as_bytes(), &iv, &ciphertext)) {
        return None;
    }
    let plaintext = cbc::Decryptor::<Aes256>::new_from_slices(&key[32..], &iv).ok()?.decrypt_padded_vec::<Pkcs7>(&ciphertext).ok()?;
    let Value::Object(claims) = serde_json::from_slice(&plaintext).ok()? else { return None };
    if claims.get("exp").and_then(Value::as_i64).is_some_and(|exp| exp + CLOCK_TOLERANCE_S <= now_s) {
        return None;
    }
    Some(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_other_secrets_and_expired_tokens() {
        let mut payload = Map::new();
        payload.insert("hello".into(), "wörld".into());
        let token = encode("secret", "better-auth-session", payload, 1_000, 300);
        let claims = decode("secret", "better-auth-session", &token, 1_000).unwrap();
        assert_eq!(claims["hello"], "wörld");
        assert_eq!(claims["exp"], 1_300);
        assert!(decode("other", "better-auth-session", &token, 1_000).is_none());
        assert!(decode("secret", "better-auth-account", &token, 1_000).is_none());
        assert!(decode("secret", "better-auth-session", &token, 1_316).is_none());
        let mut bytes = token.into_bytes();
        let last = bytes.len() - 5;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        assert!(decode("secret", "better-auth-session", &String::from_utf8(bytes).unwrap(), 1_000).is_none());
    }
}
