//! Random tokens, HMAC signing and constant-time comparison.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use rand::distr::{Alphanumeric, SampleString};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// A random `[A-Za-z0-9]` string (ids, session tokens, reset tokens), from a CSPRNG
/// (rand's thread RNG: ChaCha12 seeded and reseeded from the OS).
pub fn random_string(len: usize) -> String {
    Alphanumeric.sample_string(&mut rand::rng(), len)
}

/// Upstream's row id and session token: 32 alphanumeric characters.
pub fn generate_id() -> String {
    random_string(32)
}

fn hmac_sha256(secret: &str, value: &str) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key length");
    mac.update(value.as_bytes());
    mac.finalize().into_bytes().into()
}

/// better-call's cookie signature: HMAC-SHA256, standard base64 with padding (44 chars).
pub fn sign(secret: &str, value: &str) -> String {
    STANDARD.encode(hmac_sha256(secret, value))
}

/// Verifies `signature` (standard base64) over `value` in constant time.
pub fn verify_signature(secret: &str, value: &str, signature: &str) -> bool {
    let Ok(given) = STANDARD.decode(signature) else { return false };
    constant_time_eq(&given, &hmac_sha256(secret, value))
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
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
    fn signature_matches_node_crypto() {
        // node -e 'console.log(require("crypto").createHmac("sha256","secret").update("token").digest("base64"))'
        assert_eq!(sign("secret", "token"), "6UERDj0r/oJiHw4+FDRzDXMF0QbF9oyHFl0LJ6RhGko=");
        assert!(verify_signature("secret", "token", &sign("secret", "token")));
        assert!(!verify_signature("secret", "tokeN", &sign("secret", "token")));
        assert!(!verify_signature("other", "token", &sign("secret", "token")));
        assert!(!verify_signature("secret", "token", "not base64!"));
    }
}
