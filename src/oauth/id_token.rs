//! ID token verification (upstream's `verifyIdToken`): signature against the provider's JWKS,
//! issuer, audience, expiry with 30 s of clock tolerance, a maximum age, and the nonce.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

const CLOCK_TOLERANCE_SECS: u64 = 30;
const JWKS_TTL: Duration = Duration::from_secs(600);
/// A key id the cached set lacks refetches the set, at most this often.
const JWKS_REFETCH_AFTER: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, PartialEq)]
pub struct IdTokenConfig {
    pub jwks_uri: String,
    /// Accepted `iss` values (empty: not checked, e.g. Microsoft's multi-tenant endpoints).
    pub issuers: Vec<String>,
    pub audience: Vec<String>,
    /// `iat` no older than this.
    pub max_age_secs: Option<u64>,
    /// Apple also accepts the SHA-256 (hex) of the nonce.
    pub nonce_sha256: bool,
    /// Accepted signature algorithms (empty: any asymmetric one).
    pub algorithms: Vec<Algorithm>,
    /// Microsoft's multi-tenant endpoints: the issuer must be the token's own tenant's.
    pub tenant: Option<TenantRule>,
}

/// Upstream's Microsoft `verifyClaims`: `iss` = `<authority>/<tid>/v2.0`, and the tenant kind
/// the endpoint admits.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantRule {
    pub authority: String,
    /// `common`, `organizations` or `consumers`.
    pub endpoint: String,
}

/// The tenant of personal Microsoft accounts.
const CONSUMER_TENANT: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";

impl TenantRule {
    fn admits(&self, claims: &Map<String, Value>) -> bool {
        let Some(tid) = claims.get("tid").and_then(Value::as_str) else { return false };
        let issuer_ok = claims.get("iss").and_then(Value::as_str) == Some(format!("{}/{tid}/v2.0", self.authority).as_str());
        issuer_ok
            && match self.endpoint.as_str() {
                "organizations" => tid != CONSUMER_TENANT,
                "consumers" => tid == CONSUMER_TENANT,
                _ => true,
            }
    }
}

struct CachedSet {
    fetched: Instant,
    keys: JwkSet,
}

fn cache() -> &'static Mutex<HashMap<String, CachedSet>> {
    static CACHE: std::sync::OnceLock<Mutex<HashMap<String, CachedSet>>> = std::sync::OnceLock::new();
    CACHE.get_or_init(Mutex::default)
}

async fn fetch_jwks(uri: &str) -> Option<JwkSet> {
    let document = super::get_json_public(uri).await?;
    serde_json::from_value(document).ok()
}

/// The provider's key for `kid` (the cached set, refetched when stale or missing the key).
async fn key_for(uri: &str, kid: Option<&str>) -> Option<jsonwebtoken::jwk::Jwk> {
    let find = |set: &JwkSet| match kid {
        Some(kid) => set.find(kid).cloned(),
        None if set.keys.len() == 1 => set.keys.first().cloned(),
        None => None,
    };
    let cached = {
        let map = cache().lock().unwrap_or_else(|e| e.into_inner());
        map.get(uri).map(|c| (c.fetched.elapsed(), find(&c.keys)))
    };
    match cached {
        Some((age, Some(key))) if age < JWKS_TTL => return Some(key),
        Some((age, None)) if age < JWKS_REFETCH_AFTER => return None,
        _ => {}
    }
    // A failed fetch is remembered as an empty set, so an unreachable provider is asked again
    // only after JWKS_REFETCH_AFTER.
    let keys = fetch_jwks(uri).await.unwrap_or(JwkSet { keys: Vec::new() });
    let key = find(&keys);
    cache().lock().unwrap_or_else(|e| e.into_inner()).insert(uri.to_owned(), CachedSet { fetched: Instant::now(), keys });
    key
}

/// The verified claims, or `None` for any failure.
pub async fn verify(config: &IdTokenConfig, token: &str, nonce: Option<&str>, now_secs: i64) -> Option<Map<String, Value>> {
    if config.audience.iter().all(String::is_empty) {
        return None;
    }
    let header = jsonwebtoken::decode_header(token).ok()?;
    // Only asymmetric signatures: a provider never signs ID tokens with a shared secret.
    let allowed = [
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::EdDSA,
    ];
    if !allowed.contains(&header.alg) || (!config.algorithms.is_empty() && !config.algorithms.contains(&header.alg)) {
        return None;
    }
    let jwk = key_for(&config.jwks_uri, header.kid.as_deref()).await?;
    let key = DecodingKey::from_jwk(&jwk).ok()?;
    let mut validation = Validation::new(header.alg);
    validation.leeway = CLOCK_TOLERANCE_SECS;
    validation.set_audience(&config.audience);
    if !config.issuers.is_empty() {
        validation.set_issuer(&config.issuers);
    }
    validation.validate_nbf = true;
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let claims = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation).ok()?.claims;
    let iat = claims.get("iat").and_then(Value::as_i64)?;
    if iat > now_secs + CLOCK_TOLERANCE_SECS as i64 {
        return None;
    }
    if config.tenant.as_ref().is_some_and(|rule| !rule.admits(&claims)) {
        return None;
    }
    if let Some(max) = config.max_age_secs
        && now_secs - iat > (max + CLOCK_TOLERANCE_SECS) as i64
    {
        return None;
    }
    if let Some(nonce) = nonce {
        let claimed = claims.get("nonce").and_then(Value::as_str);
        let matches = claimed.is_some_and(|c| crate::crypto::constant_time_eq(c.as_bytes(), nonce.as_bytes()))
            || (config.nonce_sha256
                && claimed.is_some_and(|c| crate::crypto::constant_time_eq(c.as_bytes(), crate::crypto::sha256_hex(nonce).as_bytes())));
        if !matches {
            return None;
        }
    }
    Some(claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn microsoft_multi_tenant_tokens_must_name_their_own_tenant() {
        let rule = |endpoint: &str| TenantRule { authority: "https://login.microsoftonline.com".into(), endpoint: endpoint.into() };
        let claims = |tid: &str, iss: &str| json!({ "tid": tid, "iss": iss }).as_object().cloned().unwrap();
        let work = "72f988bf-86f1-41af-91ab-2d7cd011db47";
        let own = format!("https://login.microsoftonline.com/{work}/v2.0");
        assert!(rule("common").admits(&claims(work, &own)));
        assert!(!rule("common").admits(&claims(work, "https://login.microsoftonline.com/other/v2.0")), "another tenant's issuer");
        assert!(!rule("common").admits(&json!({ "iss": own }).as_object().cloned().unwrap()), "no tid");
        let personal = format!("https://login.microsoftonline.com/{CONSUMER_TENANT}/v2.0");
        assert!(!rule("organizations").admits(&claims(CONSUMER_TENANT, &personal)));
        assert!(rule("consumers").admits(&claims(CONSUMER_TENANT, &personal)));
        assert!(!rule("consumers").admits(&claims(work, &own)));
    }
}
