//! The providers: upstream's option names, each built-in one a description (endpoints,
//! default scopes, profile mapping) over the shared flow in `oauth`.

use serde_json::{Map, Value};

use super::id_token::{self, IdTokenConfig, TenantRule};
use super::{ClientAuth, decode_jwt_claims, get_json, string_bool};
use crate::db::models::OAuthTokens;
use crate::options::{OptionWarnings, OptionsError};
use jsonwebtoken::Algorithm;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderKind {
    Github,
    Google,
    Discord,
    Microsoft,
    Apple,
    Gitlab {
        api_base: String,
    },
    /// One of upstream's other providers, described by data.
    Declared(&'static super::declared::Declared),
    /// `genericOAuth`: `discoveryUrl` or explicit endpoints.
    Generic {
        user_info_url: Option<String>,
        discovery_url: Option<String>,
        oidc: bool,
    },
}

#[derive(Debug, Clone)]
pub struct Provider {
    pub id: String,
    pub kind: ProviderKind,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub client_auth: ClientAuth,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    /// Default scopes (unless `disableDefaultScope`), then `scope` / `scopes`.
    pub scopes: Vec<String>,
    /// Request scopes go first (genericOAuth) or last (built-ins).
    pub request_scopes_first: bool,
    pub pkce: bool,
    pub response_type: &'static str,
    pub response_mode: Option<&'static str>,
    pub redirect_uri: Option<String>,
    pub prompt: Option<String>,
    pub access_type: Option<String>,
    /// Fixed extra authorization parameters (`include_granted_scopes`, `authorizationUrlParams`).
    pub authorization_params: Vec<(String, String)>,
    pub disable_sign_up: bool,
    pub disable_implicit_sign_up: bool,
    pub require_email_verification: bool,
    /// Where the provider's options live, for calling `mapProfileToUser`.
    pub options_path: Vec<String>,
    pub map_profile: bool,
    /// Google's `hd`: the Workspace domain ID tokens must carry (`*`: any).
    pub hosted_domain: Option<String>,
    /// The discovered issuer: a callback's `iss` must match it.
    pub issuer: Option<String>,
    /// How its ID tokens are verified (sign-in with `idToken`; discovered generic providers).
    pub id_token: Option<IdTokenConfig>,
    /// `disableIdTokenSignIn`.
    pub id_token_sign_in: bool,
    /// `overrideUserInfoOnSignIn` (genericOAuth: `overrideUserInfo`).
    pub override_user_info: bool,
}

/// A provider's profile, raw (what `mapProfileToUser` and `/account-info` see).
pub type Profile = Map<String, Value>;

/// A provider's user, mapped: `id` is the account key (`accountId`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserInfo {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub image: Option<String>,
    pub email_verified: bool,
}

/// Upstream's social providers we do not implement yet: accepted with a warning.
const NOT_YET: &[&str] = &[
    "cognito",
    "facebook",
    "linear",
    "paybin",
    "paypal",
    "salesforce",
    "tiktok",
    "twitter",
    "vercel",
    "vk",
    "wechat",
    "microsoft-entra-id",
];

fn invalid(path: &str, why: impl std::fmt::Display) -> OptionsError {
    OptionsError(format!("better-auth-rs: invalid option `{path}`: {why}"))
}

struct Reader<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

impl Reader<'_> {
    fn string(&self, key: &str) -> Result<Option<String>, OptionsError> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(invalid(&format!("{}.{key}", self.path), "expected a string")),
        }
    }

    fn flag(&self, key: &str) -> Result<bool, OptionsError> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(invalid(&format!("{}.{key}", self.path), "expected true or false")),
        }
    }

    fn strings(&self, key: &str) -> Result<Vec<String>, OptionsError> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
                Ok(items.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            }
            Some(_) => Err(invalid(&format!("{}.{key}", self.path), "expected an array of strings")),
        }
    }

    /// `clientId` may be a list (the first is used for authorization).
    fn client_id(&self) -> Result<String, OptionsError> {
        match self.map.get("clientId") {
            Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            Some(Value::Array(items)) => items
                .first()
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| invalid(&format!("{}.clientId", self.path), "an empty list")),
            _ => Err(invalid(&format!("{}.clientId", self.path), "is required")),
        }
    }

    /// Every `clientId` (the ID token audience).
    fn client_ids(&self) -> Vec<String> {
        match self.map.get("clientId") {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            _ => Vec::new(),
        }
    }

    fn is_function(&self, key: &str) -> bool {
        self.map.get(key).is_some_and(crate::option_keys::is_function)
    }
}

/// `socialProviders`, after the providers plugins contribute (genericOAuth's, first, as
/// upstream's order has them).
pub fn parse(raw: &Value, from_plugins: Vec<Provider>, warnings: &mut OptionWarnings) -> Result<Vec<Provider>, OptionsError> {
    let mut providers = from_plugins;
    if let Some(social) = raw.get("socialProviders") {
        let map = social.as_object().ok_or_else(|| invalid("socialProviders", "expected an object"))?;
        for (id, options) in map {
            let path = format!("socialProviders.{id}");
            if crate::option_keys::is_function(options) {
                warnings.0.push(format!("option `{path}` as a function is not supported by better-auth-rs yet; pass the options object"));
                continue;
            }
            let Some(options) = options.as_object() else { return Err(invalid(&path, "expected the provider's options")) };
            if options.get("enabled") == Some(&Value::Bool(false)) {
                continue;
            }
            if NOT_YET.contains(&id.as_str()) {
                warnings.0.push(format!("option `{path}` is not supported by better-auth-rs yet and is ignored"));
                continue;
            }
            match built_in(id, options, path.clone(), warnings)? {
                Some(p) => providers.push(p),
                None => return Err(OptionsError(format!("better-auth-rs: unknown option `{path}`: Better Auth has no `{id}` provider"))),
            }
        }
    }
    let mut ids: Vec<&str> = providers.iter().map(|p| p.id.as_str()).collect();
    ids.sort();
    if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
        return Err(invalid("socialProviders", format!("two providers have the id `{}`", w[0])));
    }
    Ok(providers)
}

/// Provider options we honour; upstream's others are accepted with a warning.
const BUILT_IN_KEYS: &[&str] = &[
    "clientId",
    "clientSecret",
    "scope",
    "disableDefaultScope",
    "redirectURI",
    "authorizationEndpoint",
    "prompt",
    "accessType",
    "mapProfileToUser",
    "disableSignUp",
    "disableImplicitSignUp",
    "requireEmailVerification",
    "enabled",
    "tenantId",
    "authority",
    "issuer",
    "includeGrantedScopes",
    "hd",
    "disableIdTokenSignIn",
    "audience",
    "appBundleIdentifier",
    "overrideUserInfoOnSignIn",
];

/// Options that decide who the user is: ignoring them would sign the wrong people in, so
/// they are refused until supported (not merely warned about).
const IDENTITY_KEYS: &[&str] = &["getUserInfo", "accountSubject", "getToken", "requireIdTokenVerification", "verifyIdToken"];

fn refuse_identity_options(map: &Map<String, Value>, path: &str) -> Result<(), OptionsError> {
    match map.keys().find(|k| IDENTITY_KEYS.contains(&k.as_str())) {
        Some(key) => Err(OptionsError(format!(
            "better-auth-rs: option `{path}.{key}` is not supported yet, and ignoring it would change who signs in; remove it or use upstream better-auth"
        ))),
        None => Ok(()),
    }
}

fn built_in(id: &str, map: &Map<String, Value>, path: String, warnings: &mut OptionWarnings) -> Result<Option<Provider>, OptionsError> {
    let r = Reader { map, path: path.clone() };
    refuse_identity_options(map, &path)?;
    for key in map.keys().filter(|k| !BUILT_IN_KEYS.contains(&k.as_str())) {
        warnings.0.push(format!("option `{path}.{key}` is not supported by better-auth-rs yet and is ignored"));
    }
    let hour = Some(3600);
    let mut id_token_config = None;
    let (kind, auth, token, defaults, pkce): (ProviderKind, String, String, &[&str], bool) = match id {
        "github" => (
            ProviderKind::Github,
            "https://github.com/login/oauth/authorize".into(),
            "https://github.com/login/oauth/access_token".into(),
            &["read:user", "user:email"],
            true,
        ),
        "google" => {
            id_token_config = Some(IdTokenConfig {
                jwks_uri: "https://www.googleapis.com/oauth2/v3/certs".into(),
                issuers: vec!["https://accounts.google.com".into(), "accounts.google.com".into()],
                audience: r.client_ids(),
                max_age_secs: hour,
                nonce_sha256: false,
                algorithms: vec![Algorithm::RS256],
                tenant: None,
            });
            (
                ProviderKind::Google,
                "https://accounts.google.com/o/oauth2/v2/auth".into(),
                "https://oauth2.googleapis.com/token".into(),
                &["email", "profile", "openid"],
                true,
            )
        }
        "discord" => (
            ProviderKind::Discord,
            "https://discord.com/api/oauth2/authorize".into(),
            "https://discord.com/api/oauth2/token".into(),
            &["identify", "email"],
            false,
        ),
        "microsoft" => {
            let tenant = r.string("tenantId")?.unwrap_or_else(|| "common".into());
            let authority = r.string("authority")?.unwrap_or_else(|| "https://login.microsoftonline.com".into());
            let authority = authority.trim_end_matches('/');
            let base = format!("{authority}/{tenant}/oauth2/v2.0");
            // Multi-tenant endpoints issue tokens with each tenant's own issuer.
            let multi_tenant = ["common", "organizations", "consumers"].contains(&tenant.as_str());
            id_token_config = Some(IdTokenConfig {
                jwks_uri: format!("{authority}/{tenant}/discovery/v2.0/keys"),
                issuers: if multi_tenant { Vec::new() } else { vec![format!("{authority}/{tenant}/v2.0")] },
                audience: r.client_ids(),
                max_age_secs: hour,
                nonce_sha256: false,
                algorithms: vec![Algorithm::RS256],
                tenant: multi_tenant.then(|| TenantRule { authority: authority.to_owned(), endpoint: tenant.clone() }),
            });
            (
                ProviderKind::Microsoft,
                format!("{base}/authorize"),
                format!("{base}/token"),
                &["openid", "profile", "email", "User.Read", "offline_access"],
                true,
            )
        }
        "apple" => {
            // `audience`: a string or a list (upstream takes both).
            let audience_option = match map.get("audience") {
                Some(Value::String(one)) => Some(vec![one.clone()]).filter(|_| !one.is_empty()),
                None | Some(Value::Null) => None,
                Some(_) => Some(r.strings("audience")?).filter(|list| !list.is_empty()),
            };
            let audience = match (audience_option, r.string("appBundleIdentifier")?) {
                (Some(list), _) => list,
                (None, Some(bundle)) => vec![bundle],
                (None, None) => r.client_ids(),
            };
            id_token_config = Some(IdTokenConfig {
                jwks_uri: "https://appleid.apple.com/auth/keys".into(),
                issuers: vec!["https://appleid.apple.com".into()],
                audience,
                max_age_secs: hour,
                nonce_sha256: true,
                algorithms: vec![Algorithm::RS256],
                tenant: None,
            });
            (
                ProviderKind::Apple,
                "https://appleid.apple.com/auth/authorize".into(),
                "https://appleid.apple.com/auth/token".into(),
                &["email", "name"],
                true,
            )
        }
        "gitlab" => {
            let issuer = r.string("issuer")?.unwrap_or_else(|| "https://gitlab.com".into());
            let issuer = issuer.trim_end_matches('/').to_owned();
            (
                ProviderKind::Gitlab { api_base: issuer.clone() },
                format!("{issuer}/oauth/authorize"),
                format!("{issuer}/oauth/token"),
                &["read_user"],
                true,
            )
        }
        other => match super::declared::find(other) {
            Some(d) => (ProviderKind::Declared(d), d.authorize.into(), d.token.into(), d.scopes, d.pkce),
            None => return Ok(None),
        },
    };
    let mut scopes: Vec<String> =
        if r.flag("disableDefaultScope")? { Vec::new() } else { defaults.iter().map(|s| s.to_string()).collect() };
    scopes.extend(r.strings("scope")?);
    let mut authorization_params: Vec<(String, String)> = Vec::new();
    if let ProviderKind::Declared(d) = &kind {
        authorization_params.extend(d.params.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        if d.no_scope {
            scopes.clear();
        }
    }
    if kind == ProviderKind::Google && map.get("includeGrantedScopes") != Some(&Value::Bool(false)) {
        authorization_params.push(("include_granted_scopes".into(), "true".into()));
    }
    let apple = kind == ProviderKind::Apple;
    if kind == ProviderKind::Google && r.string("clientSecret")?.is_none() {
        return Err(invalid(&format!("{path}.clientSecret"), "is required for Google"));
    }
    Ok(Some(Provider {
        id: id.to_owned(),
        client_id: r.client_id()?,
        client_secret: r.string("clientSecret")?,
        client_auth: if matches!(&kind, ProviderKind::Declared(d) if d.basic_auth) { ClientAuth::Basic } else { ClientAuth::Post },
        authorization_endpoint: r.string("authorizationEndpoint")?.unwrap_or(auth),
        token_endpoint: token,
        scopes,
        request_scopes_first: false,
        pkce,
        response_type: if apple { "code id_token" } else { "code" },
        response_mode: apple.then_some("form_post"),
        redirect_uri: r.string("redirectURI")?,
        prompt: r.string("prompt")?.or_else(|| (kind == ProviderKind::Discord).then(|| "none".into())),
        access_type: r.string("accessType")?,
        authorization_params,
        disable_sign_up: r.flag("disableSignUp")?,
        disable_implicit_sign_up: r.flag("disableImplicitSignUp")?,
        require_email_verification: r.flag("requireEmailVerification")?,
        map_profile: r.is_function("mapProfileToUser"),
        options_path: path.split('.').map(str::to_owned).collect(),
        hosted_domain: if kind == ProviderKind::Google { r.string("hd")? } else { None },
        issuer: None,
        id_token: id_token_config,
        id_token_sign_in: !r.flag("disableIdTokenSignIn")?,
        override_user_info: r.flag("overrideUserInfoOnSignIn")?,
        kind,
    }))
}

/// genericOAuth options we honour; the rest of upstream's are accepted with a warning.
const GENERIC_KEYS: &[&str] = &[
    "providerId",
    "clientId",
    "clientSecret",
    "authorizationUrl",
    "tokenUrl",
    "userInfoUrl",
    "discoveryUrl",
    "scopes",
    "pkce",
    "redirectURI",
    "prompt",
    "accessType",
    "responseMode",
    "authorizationUrlParams",
    "disableSignUp",
    "disableImplicitSignUp",
    "requireEmailVerification",
    "mapProfileToUser",
    "authentication",
    "overrideUserInfo",
];
const GENERIC_NOT_YET: &[&str] = &[
    "name",
    "endSessionEndpoint",
    "postLogoutRedirectURI",
    "disableProviderLogout",
    "tokenEndpointAuth",
    "responseType",
    "accessTokenExpiresIn",
    "tokenUrlParams",
    "refreshTokenParams",
    "discoveryHeaders",
    "authorizationHeaders",
    "allowIdpInitiated",
    "disableIdTokenNonceBinding",
];

pub fn generic(map: &Map<String, Value>, path: String, warnings: &mut OptionWarnings) -> Result<Provider, OptionsError> {
    refuse_identity_options(map, &path)?;
    for key in map.keys() {
        if GENERIC_NOT_YET.contains(&key.as_str()) {
            warnings.0.push(format!("option `{path}.{key}` is not supported by better-auth-rs yet and is ignored"));
        } else if !GENERIC_KEYS.contains(&key.as_str()) {
            return Err(OptionsError(format!("better-auth-rs: unknown option `{path}.{key}`: genericOAuth has no such option")));
        }
    }
    let r = Reader { map, path: path.clone() };
    let id = r.string("providerId")?.filter(|s| !s.is_empty()).ok_or_else(|| invalid(&format!("{path}.providerId"), "is required"))?;
    let discovery_url = r.string("discoveryUrl")?;
    let authorization = r.string("authorizationUrl")?;
    let token = r.string("tokenUrl")?;
    if discovery_url.is_none() && (authorization.is_none() || token.is_none()) {
        return Err(invalid(&path, "needs `discoveryUrl`, or `authorizationUrl` and `tokenUrl` (INVALID_OAUTH_CONFIGURATION)"));
    }
    let mut authorization_params = Vec::new();
    if let Some(Value::Object(params)) = map.get("authorizationUrlParams") {
        for (k, v) in params {
            let v = v.as_str().ok_or_else(|| invalid(&format!("{path}.authorizationUrlParams.{k}"), "expected a string"))?;
            authorization_params.push((k.clone(), v.to_owned()));
        }
    }
    Ok(Provider {
        kind: ProviderKind::Generic { user_info_url: r.string("userInfoUrl")?, discovery_url, oidc: false },
        client_id: r.client_id()?,
        client_secret: r.string("clientSecret")?,
        client_auth: if r.string("authentication")?.as_deref() == Some("basic") { ClientAuth::Basic } else { ClientAuth::Post },
        authorization_endpoint: authorization.unwrap_or_default(),
        token_endpoint: token.unwrap_or_default(),
        scopes: r.strings("scopes")?,
        request_scopes_first: true,
        pkce: map.get("pkce") != Some(&Value::Bool(false)),
        response_type: "code",
        response_mode: match r.string("responseMode")?.as_deref() {
            Some("query") => Some("query"),
            Some("form_post") => Some("form_post"),
            _ => None,
        },
        redirect_uri: r.string("redirectURI")?,
        prompt: r.string("prompt")?,
        access_type: r.string("accessType")?,
        authorization_params,
        disable_sign_up: r.flag("disableSignUp")?,
        disable_implicit_sign_up: r.flag("disableImplicitSignUp")?,
        require_email_verification: r.flag("requireEmailVerification")?,
        map_profile: r.is_function("mapProfileToUser"),
        options_path: path.split('.').map(str::to_owned).collect(),
        hosted_domain: None,
        issuer: None,
        id_token: None,
        id_token_sign_in: true,
        override_user_info: r.flag("overrideUserInfo")?,
        id,
    })
}

impl Provider {
    /// Fills endpoints from `discoveryUrl` (explicit ones win).
    pub fn apply_discovery(&mut self, document: &Value) {
        let get = |k: &str| document.get(k).and_then(Value::as_str).map(str::to_owned);
        if self.authorization_endpoint.is_empty() {
            self.authorization_endpoint = get("authorization_endpoint").unwrap_or_default();
        }
        if self.token_endpoint.is_empty() {
            self.token_endpoint = get("token_endpoint").unwrap_or_default();
        }
        self.issuer = get("issuer");
        // With keys and an issuer, ID tokens are verified and bound to a nonce (as upstream).
        if let (Some(jwks), Some(issuer), Some(base)) =
            (get("jwks_uri"), get("issuer"), self.discovery_url().and_then(|u| url::Url::parse(u).ok()))
            && let Ok(jwks) = base.join(&jwks)
        {
            let algorithms = document
                .get("id_token_signing_alg_values_supported")
                .and_then(Value::as_array)
                .map(|list| list.iter().filter_map(|a| a.as_str()?.parse::<Algorithm>().ok()).collect())
                .unwrap_or_default();
            self.id_token = Some(IdTokenConfig {
                jwks_uri: jwks.into(),
                issuers: vec![issuer],
                audience: vec![self.client_id.clone()],
                max_age_secs: None,
                nonce_sha256: false,
                algorithms,
                tenant: None,
            });
        }
        if let ProviderKind::Generic { user_info_url, oidc, .. } = &mut self.kind {
            if user_info_url.is_none() {
                *user_info_url = get("userinfo_endpoint");
            }
            *oidc = document.get("id_token_signing_alg_values_supported").and_then(Value::as_array).is_some_and(|a| !a.is_empty());
        }
    }

    fn discovery_url(&self) -> Option<&str> {
        match &self.kind {
            ProviderKind::Generic { discovery_url, .. } => discovery_url.as_deref(),
            _ => None,
        }
    }

    /// A discovered generic provider binds its ID tokens to a nonce sent with the authorization.
    pub fn requires_nonce(&self) -> bool {
        matches!(self.kind, ProviderKind::Generic { .. }) && self.id_token.is_some()
    }

    /// The user behind the tokens: the raw profile and the mapped user (`None`: none).
    /// `nonce`: what the ID token must carry (providers that verify it).
    pub async fn user_info(&self, tokens: &OAuthTokens, posted_user: Option<&Value>, nonce: Option<&str>) -> Option<(Profile, UserInfo)> {
        let access = tokens.access_token.as_deref().unwrap_or("");
        let id_claims = || tokens.id_token.as_deref().and_then(decode_jwt_claims);
        let text = |p: &Profile, k: &str| p.get(k).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned);
        let (profile, info) = match &self.kind {
            ProviderKind::Github => {
                let headers = [("user-agent", "better-auth")];
                let Value::Object(profile) = get_json("https://api.github.com/user", access, &headers).await? else { return None };
                let emails = get_json("https://api.github.com/user/emails", access, &headers).await;
                let info = github_user(&profile, emails.as_ref());
                (profile, info)
            }
            ProviderKind::Google => {
                let claims = id_claims()?;
                if let Some(hd) = &self.hosted_domain {
                    let token_hd = claims.get("hd").and_then(Value::as_str).unwrap_or("");
                    if token_hd.is_empty() || (hd != "*" && token_hd != hd) {
                        return None;
                    }
                }
                let info = UserInfo {
                    id: text(&claims, "sub")?,
                    name: text(&claims, "name").unwrap_or_default(),
                    email: text(&claims, "email"),
                    image: text(&claims, "picture"),
                    email_verified: string_bool(claims.get("email_verified")),
                };
                (claims, info)
            }
            ProviderKind::Microsoft => {
                let claims = id_claims()?;
                // `email` only: `preferred_username` is a name the tenant sets, not a checked address.
                let email = text(&claims, "email");
                let verified = match claims.get("email_verified") {
                    Some(claim) => string_bool(Some(claim)),
                    None => email.as_deref().is_some_and(|e| {
                        ["verified_primary_email", "verified_secondary_email"]
                            .iter()
                            .any(|k| claims.get(*k).and_then(Value::as_array).is_some_and(|l| l.iter().any(|v| v.as_str() == Some(e))))
                    }),
                };
                let info = UserInfo {
                    id: text(&claims, "oid")?,
                    name: text(&claims, "name").unwrap_or_default(),
                    email,
                    image: None,
                    email_verified: verified,
                };
                (claims, info)
            }
            ProviderKind::Apple => {
                let mut claims = id_claims()?;
                // The first sign-in posts `user` with the name.
                let posted = posted_user.and_then(|u| match u {
                    Value::String(s) => serde_json::from_str::<Value>(s).ok(),
                    other => Some(other.clone()),
                });
                let name = posted
                    .as_ref()
                    .and_then(|u| u.get("name"))
                    .map(|n| {
                        format!(
                            "{} {}",
                            n.get("firstName").and_then(Value::as_str).unwrap_or(""),
                            n.get("lastName").and_then(Value::as_str).unwrap_or("")
                        )
                        .trim()
                        .to_owned()
                    })
                    .unwrap_or_default();
                claims.entry("name").or_insert(Value::String(name.clone()));
                let info = UserInfo {
                    id: text(&claims, "sub")?,
                    name,
                    email: text(&claims, "email"),
                    image: None,
                    email_verified: string_bool(claims.get("email_verified")),
                };
                (claims, info)
            }
            ProviderKind::Discord => {
                let Value::Object(profile) = get_json("https://discord.com/api/users/@me", access, &[]).await? else { return None };
                let info = discord_user(&profile);
                (profile, info)
            }
            ProviderKind::Declared(d) => d.user_info(access, tokens.id_token.as_deref()).await?,
            ProviderKind::Gitlab { api_base } => {
                let Value::Object(profile) = get_json(&format!("{api_base}/api/v4/user"), access, &[]).await? else { return None };
                let info = gitlab_user(&profile)?;
                (profile, info)
            }
            ProviderKind::Generic { user_info_url, oidc, .. } => {
                // Verified when the provider publishes keys; decoded otherwise (as upstream).
                let claims = match (&self.id_token, tokens.id_token.as_deref()) {
                    (Some(config), Some(token)) => Some(id_token::verify(config, token, nonce, crate::time_util::now_ms() / 1000).await?),
                    (_, token) => token.and_then(decode_jwt_claims),
                };
                let verified_sub = self.id_token.as_ref().and(claims.as_ref()).and_then(|c| c.get("sub").cloned());
                // ID token claims with `sub` and `email` answer without a userinfo call.
                let mut profile = match claims.filter(|c| c.contains_key("sub") && c.contains_key("email")) {
                    Some(mut claims) => {
                        let sub = claims.get("sub").cloned().unwrap_or(Value::Null);
                        claims.insert("id".into(), sub);
                        claims
                    }
                    None => match get_json(user_info_url.as_deref()?, access, &[]).await? {
                        Value::Object(data) => data,
                        _ => return None,
                    },
                };
                if verified_sub.as_ref().is_some_and(|sub| profile.get("sub") != Some(sub)) {
                    return None;
                }
                let verified = string_bool(profile.get("email_verified"));
                profile.insert("emailVerified".into(), Value::Bool(verified));
                if let Some(picture) = profile.get("picture").cloned() {
                    profile.insert("image".into(), picture);
                }
                // The account key: `sub` for OIDC providers, `id` otherwise (as upstream).
                let key = if *oidc || self.id_token.is_some() { "sub" } else { "id" };
                let id = match profile.get(key) {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Number(n)) => n.to_string(),
                    _ => String::new(),
                };
                let info = UserInfo {
                    id,
                    name: text(&profile, "name").unwrap_or_default(),
                    email: text(&profile, "email"),
                    image: text(&profile, "picture"),
                    email_verified: verified,
                };
                (profile, info)
            }
        };
        Some((profile, info))
    }
}

fn id_string(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// GitHub: the profile's email, else the primary (or first) of `/user/emails`; verified when
/// that exact address is listed as verified.
fn github_user(profile: &Profile, emails: Option<&Value>) -> UserInfo {
    let list = emails.and_then(Value::as_array).cloned().unwrap_or_default();
    let email = profile.get("email").and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned).or_else(|| {
        list.iter()
            .find(|e| e.get("primary") == Some(&Value::Bool(true)))
            .or(list.first())
            .and_then(|e| e.get("email")?.as_str())
            .map(str::to_owned)
    });
    let verified = email.as_deref().is_some_and(|addr| {
        list.iter().any(|e| e.get("email").and_then(Value::as_str) == Some(addr) && e.get("verified") == Some(&Value::Bool(true)))
    });
    let name = ["name", "login"].iter().find_map(|k| profile.get(*k).and_then(Value::as_str).filter(|s| !s.is_empty())).unwrap_or("");
    UserInfo {
        id: id_string(profile.get("id")).unwrap_or_default(),
        name: name.to_owned(),
        email,
        image: profile.get("avatar_url").and_then(Value::as_str).map(str::to_owned),
        email_verified: verified,
    }
}

/// Discord: `global_name`, else `username`; the avatar from the CDN (animated `a_` as gif),
/// else the default avatar.
fn discord_user(profile: &Profile) -> UserInfo {
    let id = id_string(profile.get("id")).unwrap_or_default();
    let image = match profile.get("avatar").and_then(Value::as_str) {
        Some(hash) => format!("https://cdn.discordapp.com/avatars/{id}/{hash}.{}", if hash.starts_with("a_") { "gif" } else { "png" }),
        None => {
            let index = match profile.get("discriminator").and_then(Value::as_str) {
                Some(d) if d != "0" => d.parse::<u64>().unwrap_or(0) % 5,
                _ => id.parse::<u64>().map(|n| (n >> 22) % 6).unwrap_or(0),
            };
            format!("https://cdn.discordapp.com/embed/avatars/{index}.png")
        }
    };
    let name =
        ["global_name", "username"].iter().find_map(|k| profile.get(*k).and_then(Value::as_str).filter(|s| !s.is_empty())).unwrap_or("");
    UserInfo {
        id,
        name: name.to_owned(),
        email: profile.get("email").and_then(Value::as_str).map(str::to_owned),
        image: Some(image),
        email_verified: profile.get("verified") == Some(&Value::Bool(true)),
    }
}

/// GitLab: refused unless the account is active and not locked.
fn gitlab_user(profile: &Profile) -> Option<UserInfo> {
    if profile.get("state").and_then(Value::as_str) != Some("active") || profile.get("locked") == Some(&Value::Bool(true)) {
        return None;
    }
    let name = ["name", "username"].iter().find_map(|k| profile.get(*k).and_then(Value::as_str).filter(|s| !s.is_empty())).unwrap_or("");
    Some(UserInfo {
        id: id_string(profile.get("id"))?,
        name: name.to_owned(),
        email: profile.get("email").and_then(Value::as_str).map(str::to_owned),
        image: profile.get("avatar_url").and_then(Value::as_str).map(str::to_owned),
        email_verified: profile.get("email_verified") == Some(&Value::Bool(true)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Options as `betterAuth()` reads them: plugins' providers first.
    fn parse(raw: &Value, warnings: &mut OptionWarnings) -> Result<Vec<Provider>, OptionsError> {
        let plugins = crate::plugins::Plugins::parse(raw.get("plugins"), warnings)?;
        let from_plugins = plugins.iter().flat_map(|p| p.providers.iter().cloned()).collect();
        super::parse(raw, from_plugins, warnings)
    }
    use serde_json::json;

    fn obj(v: Value) -> Profile {
        v.as_object().cloned().unwrap()
    }

    // Response shapes from each provider's API documentation.
    #[test]
    fn github_uses_the_verified_primary_email_when_the_profile_hides_it() {
        let profile = obj(
            json!({ "login": "octocat", "id": 1, "avatar_url": "https://github.com/images/error/octocat_happy.gif", "name": null, "email": null }),
        );
        let emails = json!([{ "email": "old@example.com", "verified": false, "primary": false }, { "email": "octocat@github.com", "verified": true, "primary": true, "visibility": "public" }]);
        let info = github_user(&profile, Some(&emails));
        assert_eq!(
            info,
            UserInfo {
                id: "1".into(),
                name: "octocat".into(),
                email: Some("octocat@github.com".into()),
                image: Some("https://github.com/images/error/octocat_happy.gif".into()),
                email_verified: true
            }
        );
        let public = obj(json!({ "login": "o", "id": 2, "name": "Octo Cat", "email": "old@example.com" }));
        assert!(!github_user(&public, Some(&emails)).email_verified, "that address is not verified");
    }

    #[test]
    fn discord_maps_names_and_avatars() {
        let info = discord_user(&obj(
            json!({ "id": "80351110224678912", "username": "nelly", "global_name": "Nelly", "avatar": "8342729096ea3675442027381ff50dfe", "verified": true, "email": "nelly@discord.com" }),
        ));
        assert_eq!(info.name, "Nelly");
        assert_eq!(
            info.image.as_deref(),
            Some("https://cdn.discordapp.com/avatars/80351110224678912/8342729096ea3675442027381ff50dfe.png")
        );
        assert!(info.email_verified);
        let plain = discord_user(&obj(json!({ "id": "80351110224678912", "username": "nelly", "avatar": null, "discriminator": "0" })));
        assert_eq!(plain.image.as_deref(), Some("https://cdn.discordapp.com/embed/avatars/5.png"));
    }

    #[test]
    fn gitlab_refuses_blocked_accounts() {
        let active = json!({ "id": 1, "username": "john_smith", "name": "John Smith", "state": "active", "locked": false, "avatar_url": "http://localhost:3000/a.png", "email": "john@example.com" });
        assert_eq!(gitlab_user(&obj(active.clone())).unwrap().name, "John Smith");
        let mut blocked = active;
        blocked["state"] = json!("blocked");
        assert!(gitlab_user(&obj(blocked)).is_none());
    }

    #[tokio::test]
    async fn id_token_providers_read_the_claims() {
        use base64::Engine;
        let jwt = |claims: Value| format!("e30.{}.s", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims.to_string()));
        let tokens = |claims: Value| OAuthTokens { id_token: Some(jwt(claims)), ..Default::default() };
        let mut warnings = OptionWarnings::default();
        let providers = parse(&json!({ "socialProviders": { "google": { "clientId": "g", "clientSecret": "s" }, "microsoft": { "clientId": "m" }, "apple": { "clientId": "a" } } }), &mut warnings).unwrap();
        let google = providers.iter().find(|p| p.id == "google").unwrap();
        let (_, info) = google
            .user_info(
                &tokens(json!({ "sub": "1097", "email": "a@gmail.com", "email_verified": true, "name": "A B", "picture": "https://p" })),
                None,
                None,
            )
            .await
            .unwrap();
        assert_eq!((info.id.as_str(), info.email_verified, info.image.as_deref()), ("1097", true, Some("https://p")));
        let workspace =
            parse(&json!({ "socialProviders": { "google": { "clientId": "g", "clientSecret": "s", "hd": "corp.com" } } }), &mut warnings)
                .unwrap();
        assert!(
            workspace[0].user_info(&tokens(json!({ "sub": "1", "email": "a@gmail.com" })), None, None).await.is_none(),
            "no hd: refused"
        );
        assert!(
            workspace[0].user_info(&tokens(json!({ "sub": "1", "email": "a@corp.com", "hd": "corp.com" })), None, None).await.is_some()
        );
        let microsoft = providers.iter().find(|p| p.id == "microsoft").unwrap();
        let (_, info) = microsoft
            .user_info(
                &tokens(json!({ "sub": "s", "oid": "o-1", "email": "m@x.com", "verified_primary_email": ["m@x.com"], "name": "M" })),
                None,
                None,
            )
            .await
            .unwrap();
        assert_eq!((info.id.as_str(), info.email_verified), ("o-1", true));
        let apple = providers.iter().find(|p| p.id == "apple").unwrap();
        let posted = json!(r#"{"name":{"firstName":"Ann","lastName":"Lee"},"email":"x@privaterelay.appleid.com"}"#);
        let (_, info) = apple
            .user_info(
                &tokens(json!({ "sub": "001", "email": "x@privaterelay.appleid.com", "email_verified": "true" })),
                Some(&posted),
                None,
            )
            .await
            .unwrap();
        assert_eq!((info.name.as_str(), info.email_verified), ("Ann Lee", true));
        assert_eq!(apple.response_mode, Some("form_post"));
        let native =
            parse(&json!({ "socialProviders": { "apple": { "clientId": "web.id", "audience": "com.example.ios" } } }), &mut warnings)
                .unwrap();
        assert_eq!(native[0].id_token.as_ref().unwrap().audience, vec!["com.example.ios"], "a string audience is one audience");
    }

    #[test]
    fn options_are_checked_by_name() {
        let mut w = OptionWarnings::default();
        assert!(parse(&json!({ "socialProviders": { "github": {} } }), &mut w).unwrap_err().0.contains("socialProviders.github.clientId"));
        assert!(
            parse(&json!({ "socialProviders": { "gihtub": { "clientId": "x" } } }), &mut w)
                .unwrap_err()
                .0
                .contains("socialProviders.gihtub")
        );
        parse(&json!({ "socialProviders": { "facebook": { "clientId": "x" } } }), &mut w).unwrap();
        assert!(w.0.iter().any(|m| m.contains("socialProviders.facebook")));
        let generic = json!({ "plugins": [{ "id": "generic-oauth", "options": { "config": [{ "providerId": "corp", "clientId": "c", "discoveryUrl": "https://idp/.well-known/openid-configuration", "tokenUrlParams": {} }] } }] });
        let providers = parse(&generic, &mut w).unwrap();
        assert_eq!(providers[0].id, "corp");
        assert!(w.0.iter().any(|m| m.contains("config.0.tokenUrlParams")));
        let identity = json!({ "plugins": [{ "id": "generic-oauth", "options": { "config": [{ "providerId": "corp", "clientId": "c", "discoveryUrl": "https://idp/x", "getUserInfo": { "$$betterAuthRs": "function" } }] } }] });
        assert!(parse(&identity, &mut w).unwrap_err().0.contains("config.0.getUserInfo"));
        assert!(parse(&json!({ "socialProviders": { "google": { "clientId": "g" } } }), &mut w).unwrap_err().0.contains("clientSecret"));
        assert!(
            parse(
                &json!({ "plugins": [{ "id": "generic-oauth", "options": { "config": [{ "providerId": "x", "clientId": "c" }] } }] }),
                &mut w
            )
            .is_err()
        );
    }
}
