//! Password hashing: argon2id (OWASP: 19 MiB, t=2, p=1) for new hashes; upstream's scrypt
//! format (`saltHex:keyHex`) verified too, so users created by upstream sign in here.
//!
//! Hashing runs on a small dedicated thread pool, never on the Node event loop: one thread per
//! core, at a lower scheduling priority, so hashes use the spare CPU and the event loop wins
//! whenever both want a core. A fixed set of threads also bounds memory: each reuses its own
//! 19 MiB block of memory: allocating one per hash made the allocator keep hundreds of MiB.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, OnceLock};

use std::cell::RefCell;

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
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
    pool: Arc<rayon::ThreadPool>,
}

impl Default for PasswordHasher {
    /// The process-wide pool: cores are shared by every `betterAuth()` instance.
    fn default() -> Self {
        static SHARED: OnceLock<PasswordHasher> = OnceLock::new();
        SHARED
            .get_or_init(|| {
                let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
                PasswordHasher::new(cores)
            })
            .clone()
    }
}

impl PasswordHasher {
    pub fn new(threads: usize) -> Self {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .thread_name(|i| format!("better-auth-hash-{i}"))
            .start_handler(|_| lower_thread_priority())
            .build()
            .expect("cannot start the password hashing threads");
        PasswordHasher { pool: Arc::new(pool) }
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, HashError> {
        let (done, result) = tokio::sync::oneshot::channel();
        self.pool.spawn(move || {
            let _ = done.send(std::panic::catch_unwind(AssertUnwindSafe(work)));
        });
        match result.await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(_)) => Err(HashError::Failed("the hashing thread panicked".into())),
            Err(_) => Err(HashError::Failed("the hashing thread went away".into())),
        }
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

    /// A sign-in's check, costing the same whatever `stored` is (or `None`: no such user or no
    /// password): each format the database may hold is computed once, the stored one for real
    /// and the others on dummies. Our argon2id always; upstream's scrypt when `scrypt_present`.
    pub async fn verify_at_uniform_cost(&self, password: &str, stored: Option<&str>, scrypt_present: bool) -> Result<bool, HashError> {
        let password = normalize(password);
        let stored = stored.map(str::to_owned);
        self.run(move || {
            let (result, computed) = match stored.as_deref() {
                Some(stored) => (verify_sync(&password, stored), format_of(stored)),
                None => (Ok(false), None),
            };
            if computed != Some(Format::Argon2) {
                let _ = verify_argon2(&password, dummy_hash());
            }
            if scrypt_present && computed != Some(Format::Scrypt) {
                let _ = verify_scrypt(&password, DUMMY_SCRYPT_SALT, DUMMY_SCRYPT_KEY);
            }
            result
        })
        .await?
    }
}

/// Nice 10 for the calling thread (on Linux, nice values are per thread). Best effort.
fn lower_thread_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority has no memory-safety preconditions; `who = 0` is the calling thread.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 10);
    }
}

fn normalize(password: &str) -> String {
    password.nfkc().collect()
}

fn failed(e: impl std::fmt::Display) -> HashError {
    HashError::Failed(e.to_string())
}

/// Runs argon2 in this thread's reusable memory (reallocated only when `m` changes).
fn argon2_raw(argon: &Argon2, password: &[u8], salt: &[u8], out: &mut [u8]) -> Result<(), HashError> {
    thread_local! {
        static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
    }
    MEMORY.with(|memory| {
        let mut blocks = memory.borrow_mut();
        let needed = argon.params().block_count();
        if blocks.len() != needed {
            *blocks = vec![Block::default(); needed];
        }
        argon.hash_password_into_with_memory(password, salt, out, &mut blocks[..]).map_err(failed)
    })
}

/// A PHC string: `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`.
fn hash_argon2id(password: &str) -> Result<String, HashError> {
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::DEFAULT);
    let salt = argon2::password_hash::try_generate_salt().map_err(failed)?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    argon2_raw(&argon, password.as_bytes(), &salt, &mut out)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(argon.params()).map_err(failed)?,
        salt: Some(Salt::new(&salt).map_err(failed)?),
        hash: Some(Output::new(&out).map_err(failed)?),
    };
    Ok(phc.to_string())
}

fn verify_argon2(password: &str, stored: &str) -> Result<bool, HashError> {
    let phc = PasswordHash::new(stored).map_err(|_| HashError::UnknownFormat)?;
    let algorithm = Algorithm::try_from(phc.algorithm.as_str()).map_err(|_| HashError::UnknownFormat)?;
    let version = phc.version.map(Version::try_from).transpose().map_err(|_| HashError::UnknownFormat)?.unwrap_or_default();
    let params = Params::try_from(&phc).map_err(|_| HashError::UnknownFormat)?;
    let (Some(salt), Some(expected)) = (&phc.salt, &phc.hash) else { return Err(HashError::UnknownFormat) };
    let mut out = vec![0u8; expected.len()];
    argon2_raw(&Argon2::new(algorithm, version, params), password.as_bytes(), salt.as_ref(), &mut out)?;
    Ok(constant_time_eq(&out, expected.as_ref()))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Argon2,
    Scrypt,
}

/// The format a verification of `stored` computes (`None`: it fails before hashing).
fn format_of(stored: &str) -> Option<Format> {
    if stored.starts_with("$argon2") {
        Some(Format::Argon2)
    } else if stored.split_once(':').is_some_and(|(salt, key)| !salt.is_empty() && hex_decode(key).is_some_and(|k| !k.is_empty())) {
        Some(Format::Scrypt)
    } else {
        None
    }
}

fn verify_sync(password: &str, stored: &str) -> Result<bool, HashError> {
    if stored.starts_with("$argon2") {
        return verify_argon2(password, stored);
    }
    if let Some((salt, key)) = stored.split_once(':') {
        return verify_scrypt(password, salt, key);
    }
    Err(HashError::UnknownFormat)
}

/// An upstream-shaped scrypt hash (16-byte salt in hex, 64-byte key) that no password matches.
const DUMMY_SCRYPT_SALT: &str = "6275747465722d617574682d72732d64";
const DUMMY_SCRYPT_KEY: &str =
    "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";

/// Upstream (`@better-auth/utils` scrypt): N=16384, r=16, p=1, 64-byte key; the salt given to
/// scrypt is the hex string's own bytes.
fn verify_scrypt(password: &str, salt_hex: &str, key_hex: &str) -> Result<bool, HashError> {
    let expected = hex_decode(key_hex).ok_or(HashError::UnknownFormat)?;
    if expected.is_empty() || salt_hex.is_empty() {
        return Err(HashError::UnknownFormat);
    }
    let params = scrypt::Params::new(14, 16, 1).map_err(|e| HashError::Failed(e.to_string()))?;
    let mut out = vec![0u8; expected.len()];
    scrypt::scrypt(password.as_bytes(), salt_hex.as_bytes(), &params, &mut out).map_err(|e| HashError::Failed(e.to_string()))?;
    Ok(constant_time_eq(&out, &expected))
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
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
    async fn verifies_argon2_hashes_made_elsewhere() {
        // The RFC 9106 parameters' PHC string from the reference CLI (`argon2 somesalt -id -t 2 -m 16 -p 1`).
        let h = PasswordHasher::new(1);
        let stored = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc";
        assert!(h.verify("password", stored).await.unwrap());
        assert!(!h.verify("passwort", stored).await.unwrap());
    }

    #[tokio::test]
    async fn uniform_cost_check_answers_as_a_plain_verification() {
        let h = PasswordHasher::new(1);
        let ours = h.hash("pässwörd").await.unwrap();
        for scrypt_present in [false, true] {
            for stored in [UPSTREAM_HASH, ours.as_str()] {
                assert!(h.verify_at_uniform_cost("pässwörd", Some(stored), scrypt_present).await.unwrap());
                assert!(!h.verify_at_uniform_cost("passwörd", Some(stored), scrypt_present).await.unwrap());
            }
            assert!(!h.verify_at_uniform_cost("pässwörd", None, scrypt_present).await.unwrap());
            assert!(h.verify_at_uniform_cost("x", Some("garbage"), scrypt_present).await.is_err());
        }
    }

    #[tokio::test]
    async fn malformed_stored_hash_is_an_error_not_a_match() {
        let h = PasswordHasher::new(1);
        assert!(h.verify("x", "garbage").await.is_err());
        assert!(h.verify("x", "zz:zz").await.is_err());
    }
}
