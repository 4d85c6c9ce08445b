//! Password hashing: argon2id (OWASP: 19 MiB, t=2, p=1) for new hashes; upstream's scrypt
//! format (`saltHex:keyHex`) verified too, so users created by upstream sign in here.
//! Hashing runs on tokio's blocking pool, at most one hash per core at a time.

use std::sync::Arc;

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::Argon2;
use tokio::sync::Semaphore;
use unicode_normalization::UnicodeNormalization;

use crate::crypto::constant_time_eq;

#[derive(Debug)]
pub enum HashError {
    /// The stored value is in no format we know (upstream throws here too).
    UnknownFormat,
    Failed(String),
}

impl std::fmt::Display for HashError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HashError::UnknownFormat => f.write_str("stored password hash is in an unknown format"),
            HashError::Failed(why) => write!(f, "password hashing failed: {why}"),
        }
    }
}

#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
}

impl Default for PasswordHasher {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        PasswordHasher::new(cores)
    }
}

impl PasswordHasher {
    pub fn new(max_concurrent: usize) -> Self {
        PasswordHasher { permits: Arc::new(Semaphore::new(max_concurrent.max(1))) }
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, HashError> {
        let _permit = self.permits.acquire().await.map_err(|e| HashError::Failed(e.to_string()))?;
        tokio::task::spawn_blocking(work).await.map_err(|e| HashError::Failed(e.to_string()))
    }

    pub async fn hash(&self, password: &str) -> Result<String, HashError> {
        let password = normalize(password);
        self.run(move || hash_argon2id(&password)).await?
    }

    pub async fn verify(&self, password: &str, stored: &str) -> Result<bool, HashError> {
        let password = normalize(password);
        let stored = stored.to_owned();
        self.run(move || verify_sync(&password, &stored)).await?
    }

    /// Spends what a real verification costs, for unknown emails (no timing oracle).
    pub async fn verify_dummy(&self, password: &str) {
        let _ = self.verify(password, dummy_hash()).await;
    }
}

fn normalize(password: &str) -> String {
    password.nfkc().collect()
}

fn hash_argon2id(password: &str) -> Result<String, HashError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| HashError::Failed(e.to_string()))
}

fn verify_sync(password: &str, stored: &str) -> Result<bool, HashError> {
    if stored.starts_with("$argon2") {
        let parsed = argon2::PasswordHash::new(stored).map_err(|_| HashError::UnknownFormat)?;
        return Ok(Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok());
    }
    if let Some((salt, key)) = stored.split_once(':') {
        return verify_scrypt(password, salt, key);
    }
    Err(HashError::UnknownFormat)
}

/// Upstream (`@better-auth/utils` scrypt): N=16384, r=16, p=1, 64-byte key; the salt given to
/// scrypt is the hex string's own bytes.
fn verify_scrypt(password: &str, salt_hex: &str, key_hex: &str) -> Result<bool, HashError> {
    let expected = hex_decode(key_hex).ok_or(HashError::UnknownFormat)?;
    if expected.is_empty() || salt_hex.is_empty() {
        return Err(HashError::UnknownFormat);
    }
    let params = scrypt::Params::new(14, 16, 1).map_err(|e| HashError::Failed(e.to_string()))?;
    let mut out = vec![0u8; expected.len()];
    scrypt::scrypt(password.as_bytes(), salt_hex.as_bytes(), &params, &mut out)
        .map_err(|e| HashError::Failed(e.to_string()))?;
    Ok(constant_time_eq(&out, &expected))
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_argon2id("better-auth-rs dummy password").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Made by Node: scryptSync("pässwörd".normalize("NFKC"), salt, 64, {N:16384, r:16, p:1}).
    const UPSTREAM_HASH: &str = "00112233445566778899aabbccddeeff:98019d8d367509640e45a459ea9b23f32452dd310114f46daee657ebe74a7fe5a2ba724b8382f9a2ef80cd44dd048eb79ff35d9db1d8dd22aeae2d681eb0962e";

    #[tokio::test]
    async fn verifies_upstream_scrypt_hashes() {
        let h = PasswordHasher::new(2);
        assert!(h.verify("pässwörd", UPSTREAM_HASH).await.unwrap());
        // NFKC: the decomposed spelling is the same password.
        assert!(h.verify("pa\u{308}sswo\u{308}rd", UPSTREAM_HASH).await.unwrap());
        assert!(!h.verify("passwörd", UPSTREAM_HASH).await.unwrap());
    }

    #[tokio::test]
    async fn new_hashes_are_owasp_argon2id() {
        let h = PasswordHasher::new(2);
        let stored = h.hash("correct horse").await.unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
        assert!(h.verify("correct horse", &stored).await.unwrap());
        assert!(!h.verify("correct horsE", &stored).await.unwrap());
    }

    #[tokio::test]
    async fn malformed_stored_hash_is_an_error_not_a_match() {
        let h = PasswordHasher::new(1);
        assert!(h.verify("x", "garbage").await.is_err());
        assert!(h.verify("x", "zz:zz").await.is_err());
    }
}
