//! OAuth 2.0 / OpenID Connect on one core (upstream's `packages/core/src/oauth2/`): each provider
//! is a small description (endpoints, default scopes, how its profile maps to a user); the flow is
//! shared.

pub mod declared;
pub mod id_token;
pub mod providers;

use std::sync::OnceLock;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};
use url::Url;

use crate::db::models::OAuthTokens;
use crate::time_util::Millis;
pub use providers::{Profile, Provider, ProviderKind, UserInfo};

/// How the client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// `client_id` and `client_secret` in the form (upstream's default with a secret).
    Post,
    Basic,
}

#[derive(Debug)]
pub enum OAuthError {
    /// The provider could not be reached or answered something unusable.
    Http(String),
    /// The provider refused (an `error` in its answer).
    Refused(String),
}

impl std::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OAuthError::Http(m) => write!(f, "provider request failed: {m}"),
            OAuthError::Refused(m) => write!(f, "provider refused: {m}"),
        }
    }
}

/// One HTTP client for every provider: rustls (ring, shared with sqlx), no redirects followed
/// (a token endpoint that redirects is refused, as upstream), bounded time.
pub fn http() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .user_agent("better-auth")
            .build()
            .expect("the HTTP client builds (rustls with ring is compiled in)")
    })
}

/// `base64url(SHA-256(verifier))`, the S256 PKCE challenge.
pub fn code_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(crate::crypto::sha256(verifier.as_bytes()))
}

/// The claims of a JWT, unverified: for ID tokens received straight from the token endpoint
/// over TLS (OIDC Core section 3.1.3.7 allows it; upstream decodes them the same way).
pub fn decode_jwt_claims(token: &str) -> Option<Map<String, Value>> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// Upstream's `parseStringBoolean`: only `true` and `"true"` are true.
pub fn string_bool(value: Option<&Value>) -> bool {
    matches!(value, Some(Value::Bool(true))) || matches!(value, Some(Value::String(s)) if s == "true")
}

/// Exchanges an authorization code (upstream's `validateAuthorizationCode`).
pub async fn exchange_code(
    provider: &Provider,
    code: &str,
    verifier: Option<&str>,
    redirect_uri: &str,
    now: Millis,
) -> Result<OAuthTokens, OAuthError> {
    let mut form: Vec<(&str, &str)> = vec![("grant_type", "authorization_code"), ("code", code)];
    if let Some(v) = verifier {
        form.push(("code_verifier", v));
    }
    form.push(("redirect_uri", redirect_uri));
    token_request(provider, form, now).await
}

/// `grant_type=refresh_token` with the same client authentication.
pub async fn refresh_tokens(provider: &Provider, refresh_token: &str, now: Millis) -> Result<OAuthTokens, OAuthError> {
    token_request(provider, vec![("grant_type", "refresh_token"), ("refresh_token", refresh_token)], now).await
}

async fn token_request(provider: &Provider, mut form: Vec<(&str, &str)>, now: Millis) -> Result<OAuthTokens, OAuthError> {
    let mut request = http().post(&provider.token_endpoint).header("accept", "application/json");
    match (&provider.client_secret, provider.client_auth) {
        (Some(secret), ClientAuth::Basic) => {
            let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            let basic = base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", enc(&provider.client_id), enc(secret)));
            request = request.header("authorization", format!("Basic {basic}"));
        }
        (Some(secret), ClientAuth::Post) => {
            form.push(("client_id", &provider.client_id));
            form.push(("client_secret", secret));
        }
        (None, _) => form.push(("client_id", &provider.client_id)),
    }
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
    let response = request
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .map_err(|e| OAuthError::Http(e.to_string()))?;
    if response.status().is_redirection() {
        return Err(OAuthError::Http("the token endpoint redirected".into()));
    }
    let status = response.status();
    let data: Value = response.json_value().await?;
    if let Some(error) = data.get("error") {
        return Err(OAuthError::Refused(error.as_str().unwrap_or("error").to_owned()));
    }
    if !status.is_success() {
        return Err(OAuthError::Http(format!("HTTP {status}")));
    }
    Ok(tokens_from(&data, now))
}

/// Upstream's `getOAuth2Tokens`: expiries from `expires_in`, scopes split on whitespace (or
/// given as an array) and stored comma-joined.
fn tokens_from(data: &Value, now: Millis) -> OAuthTokens {
    let text = |k: &str| data.get(k).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned);
    let seconds = |k: &str| data.get(k).and_then(|v| v.as_f64().or_else(|| v.as_str()?.parse().ok()));
    let scopes: Vec<String> = match data.get("scope") {
        Some(Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        _ => Vec::new(),
    };
    OAuthTokens {
        access_token: text("access_token"),
        refresh_token: text("refresh_token"),
        id_token: text("id_token"),
        access_token_expires_at: seconds("expires_in").map(|s| expiry(now, s)),
        refresh_token_expires_at: seconds("refresh_token_expires_in").map(|s| expiry(now, s)),
        scope: (!scopes.is_empty()).then(|| scopes.join(",")),
    }
}

/// `now + seconds`, bounded to ten years (a provider's number is not trusted to fit).
fn expiry(now: Millis, seconds: f64) -> Millis {
    const TEN_YEARS_MS: f64 = 10.0 * 365.0 * 86_400_000.0;
    now.saturating_add((seconds * 1000.0).clamp(0.0, TEN_YEARS_MS) as Millis)
}

/// A GET with a bearer token, answering JSON (`None` on any failure).
pub async fn get_json(url: &str, access_token: &str, extra_headers: &[(&str, &str)]) -> Option<Value> {
    let mut request = http().get(url).header("authorization", format!("Bearer {access_token}")).header("accept", "application/json");
    for (name, value) in extra_headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.ok()?;
    if !response.status().is_success() {
        return None;
    }
    response.json_value().await.ok()
}

/// A public JSON document (a JWKS).
pub async fn get_json_public(url: &str) -> Option<Value> {
    let response = http().get(url).header("accept", "application/json").send().await.ok()?;
    if !response.status().is_success() {
        return None;
    }
    response.json_value().await.ok()
}

/// The OpenID configuration at `url` (fetched once per provider).
pub async fn discover(url: &str) -> Result<Value, OAuthError> {
    let response = http().get(url).header("accept", "application/json").send().await.map_err(|e| OAuthError::Http(e.to_string()))?;
    if !response.status().is_success() {
        return Err(OAuthError::Http(format!("discovery answered HTTP {}", response.status())));
    }
    response.json_value().await
}

/// A provider's answer as JSON, bounded (see [`JsonValue`]).
pub(crate) async fn read_json(response: reqwest::Response) -> Result<Value, OAuthError> {
    response.json_value().await
}

trait JsonValue {
    async fn json_value(self) -> Result<Value, OAuthError>;
}

impl JsonValue for reqwest::Response {
    /// At most 1 MiB of JSON, read chunk by chunk: a provider's answer is small.
    async fn json_value(mut self) -> Result<Value, OAuthError> {
        const LIMIT: usize = 1 << 20;
        let too_large = || OAuthError::Http("answer too large".into());
        if self.content_length().is_some_and(|n| n as usize > LIMIT) {
            return Err(too_large());
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = self.chunk().await.map_err(|e| OAuthError::Http(e.to_string()))? {
            if bytes.len() + chunk.len() > LIMIT {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        serde_json::from_slice(&bytes).map_err(|_| OAuthError::Http("answer is not JSON".into()))
    }
}

/// The authorization URL, parameters in upstream's order.
pub struct AuthorizationRequest<'a> {
    pub state: &'a str,
    pub verifier: Option<&'a str>,
    pub redirect_uri: &'a str,
    pub scopes: Vec<String>,
    pub login_hint: Option<&'a str>,
    pub nonce: Option<&'a str>,
    pub additional: Vec<(String, String)>,
}

pub fn authorization_url(provider: &Provider, request: &AuthorizationRequest) -> Result<String, OAuthError> {
    let mut url = Url::parse(&provider.authorization_endpoint).map_err(|e| OAuthError::Http(e.to_string()))?;
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("response_type", provider.response_type);
        q.append_pair("client_id", &provider.client_id);
        q.append_pair("state", request.state);
        if !request.scopes.is_empty() {
            q.append_pair("scope", &request.scopes.join(" "));
        }
        q.append_pair("redirect_uri", request.redirect_uri);
        if let Some(hint) = request.login_hint {
            q.append_pair("login_hint", hint);
        }
        if let Some(nonce) = request.nonce {
            q.append_pair("nonce", nonce);
        }
        if let Some(prompt) = &provider.prompt {
            q.append_pair("prompt", prompt);
        }
        if let Some(hd) = &provider.hosted_domain {
            q.append_pair("hd", hd);
        }
        if let Some(access_type) = &provider.access_type {
            q.append_pair("access_type", access_type);
        }
        if let Some(mode) = provider.response_mode {
            q.append_pair("response_mode", mode);
        }
        if let Some(verifier) = request.verifier.filter(|_| provider.pkce) {
            q.append_pair("code_challenge_method", "S256");
            q.append_pair("code_challenge", &code_challenge(verifier));
        }
        // The request's `additionalParams` win over the configured ones (one value per name).
        let configured = provider.authorization_params.iter().filter(|(k, _)| !request.additional.iter().any(|(a, _)| a == k));
        for (k, v) in configured.chain(&request.additional) {
            q.append_pair(k, v);
        }
    }
    Ok(url.into())
}

/// Parameters a caller may not set through `additionalParams`.
pub const RESERVED_PARAMS: &[&str] =
    &["state", "client_id", "redirect_uri", "response_type", "code_challenge", "code_challenge_method", "nonce", "scope"];

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tokens_map_like_upstream() {
        let t = tokens_from(&json!({ "access_token": "a", "refresh_token": "r", "expires_in": 3600, "scope": "openid email" }), 1000);
        assert_eq!(t.access_token.as_deref(), Some("a"));
        assert_eq!(t.access_token_expires_at, Some(1000 + 3_600_000));
        assert_eq!(t.scope.as_deref(), Some("openid,email"));
        assert_eq!(tokens_from(&json!({ "scope": "read:user,user:email" }), 0).scope.as_deref(), Some("read:user,user:email"));
        assert!(tokens_from(&json!({ "expires_in": 1e300 }), i64::MAX - 5).access_token_expires_at.is_some(), "no overflow");
    }

    #[test]
    fn pkce_challenge_is_rfc7636s() {
        // RFC 7636 appendix B.
        assert_eq!(code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    #[test]
    fn jwt_claims_decode_without_verification() {
        let token = format!("e30.{}.sig", URL_SAFE_NO_PAD.encode(br#"{"sub":"1","email":"a@b.c"}"#));
        assert_eq!(decode_jwt_claims(&token).unwrap()["sub"], "1");
        assert!(decode_jwt_claims("garbage").is_none());
    }
}
