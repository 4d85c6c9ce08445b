//! `betterAuth(options)`: the upstream option object, checked and resolved once at construction.
//!
//! Every key is looked up in [`crate::option_keys`]: keys we honour are parsed into
//! [`AuthOptions`], upstream keys we do not support yet produce one warning each, and keys
//! upstream does not know are an error naming them.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;
use url::Url;

use crate::db::names::{Names, Renames};
use crate::db::schema::Dialect;

use crate::option_keys::{self, KeyCheck};

pub const DEFAULT_SECRET: &str = "better-auth-secret-12345678901234567890";
pub const DEFAULT_SQLITE_FILE: &str = "./better-auth.db";
const DEFAULT_MAX_BODY_SIZE: u64 = 1024 * 1024;
/// How long the Node glue waits for a request body (ms): a trickling client gets 408.
const DEFAULT_BODY_TIMEOUT_MS: u64 = 10_000;

/// The environment variables the options fall back to, captured once (by the Node layer from
/// `process.env`), so the core never reads the process environment behind the caller's back.
#[derive(Debug, Clone, Default)]
pub struct Env(pub HashMap<String, String>);

impl Env {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }

    fn node_env(&self) -> &str {
        self.get("NODE_ENV").unwrap_or("")
    }

    pub fn is_production(&self) -> bool {
        self.node_env() == "production"
    }

    /// Upstream's `isTest`: `NODE_ENV=test` or a truthy `TEST`.
    pub fn is_test(&self) -> bool {
        self.node_env() == "test" || self.get("TEST").is_some_and(|v| v != "0" && v != "false")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseConfig {
    pub dialect: Dialect,
    /// A URL sqlx understands (`sqlite:`, `postgres://`, `mysql://`).
    pub url: String,
    /// The user gave no `database` at all (the default SQLite file).
    pub implicit: bool,
    pub pool: PoolSettings,
}

/// Connection pool sizing, named as `pg`'s Pool names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolSettings {
    pub max: u32,
    /// Idle connections close after this; 0 keeps them.
    pub idle_timeout_ms: u64,
    /// A request waits at most this long for a connection, then fails (500).
    pub acquire_timeout_ms: u64,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings { max: 10, idle_timeout_ms: 10_000, acquire_timeout_ms: 10_000 }
    }
}

impl DatabaseConfig {
    pub fn sqlite(url: &str) -> DatabaseConfig {
        DatabaseConfig { dialect: Dialect::Sqlite, url: url.to_owned(), implicit: false, pool: PoolSettings::default() }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    Lax,
    Strict,
    None,
}

/// `advanced.defaultCookieAttributes`, merged over upstream's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieAttributes {
    pub secure: bool,
    pub same_site: SameSite,
    pub path: String,
    pub http_only: bool,
    pub domain: Option<String>,
    pub partitioned: bool,
}

#[derive(Debug, Clone)]
pub struct EmailAndPasswordOptions {
    pub enabled: bool,
    pub require_email_verification: bool,
    pub disable_sign_up: bool,
    pub min_password_length: usize,
    pub max_password_length: usize,
    pub auto_sign_in: bool,
}

#[derive(Debug, Clone)]
pub struct EmailVerificationOptions {
    /// `None`: follows `emailAndPassword.requireEmailVerification`.
    pub send_on_sign_up: Option<bool>,
    pub send_on_sign_in: bool,
    pub auto_sign_in_after_verification: bool,
    /// Seconds a verification token lives (default 3600).
    pub expires_in: i64,
}

#[derive(Debug, Clone)]
pub struct ChangeEmailOptions {
    pub enabled: bool,
    pub update_without_verification: bool,
}

#[derive(Debug, Clone)]
pub struct DeleteUserOptions {
    pub enabled: bool,
    /// Seconds a deletion link lives (default 86400).
    pub token_expires_in: i64,
}

#[derive(Debug, Clone)]
pub struct ResetPasswordOptions {
    /// Seconds a reset token lives (default 3600).
    pub token_expires_in: i64,
    pub revoke_sessions_on_reset: bool,
}

#[derive(Debug, Clone)]
pub struct SessionOptions {
    pub expires_in: i64,
    pub update_age: i64,
    pub fresh_age: i64,
    /// `storeSessionInDatabase` (with secondary storage).
    pub store_in_database: bool,
    pub preserve_in_database: bool,
    /// `cookieCache`, when `enabled: true`.
    pub cookie_cache: Option<crate::cookie_cache::CookieCacheOptions>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct RateRule {
    /// Seconds.
    pub window: u64,
    pub max: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateLimitStorage {
    Memory,
    Database,
    /// `increment` on the secondary storage (upstream's default when one is configured).
    SecondaryStorage,
}

/// `secondaryStorage`: the built-in Redis client (a `redis://` URL, ours) or the user's object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecondaryStorageConfig {
    Redis(String),
    /// A JavaScript object; whether it has the optional `getAndDelete` / `increment`.
    Js {
        get_and_delete: bool,
        increment: bool,
    },
}

#[derive(Debug, Clone)]
pub struct RateLimitOptions {
    pub enabled: bool,
    pub default_rule: RateRule,
    /// Path (or `*` glob) -> rule, in the user's order.
    pub custom_rules: Vec<(String, CustomRule)>,
    pub storage: RateLimitStorage,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomRule {
    Rule(RateRule),
    /// `false`: the path is not limited.
    Exempt,
    /// `(request, currentRule) => rule | false`, called per request.
    Function,
}

/// `advanced.ipAddress`.
#[derive(Debug, Clone)]
pub struct IpOptions {
    pub headers: Vec<String>,
    pub disable_tracking: bool,
    pub ipv6_subnet: u8,
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

#[derive(Debug, Clone)]
pub struct AuthOptions {
    pub database: DatabaseConfig,
    pub auto_migrate: bool,
    pub secondary_storage: Option<SecondaryStorageConfig>,
    /// `verification.storeInDatabase` (with secondary storage).
    pub verifications_in_database: bool,
    pub user_fields: Vec<crate::fields::FieldDef>,
    pub session_fields: Vec<crate::fields::FieldDef>,
    /// `<model>.modelName` / `<model>.fields`.
    pub renames: Renames,
    /// `secrets` / BETTER_AUTH_SECRETS: `(version, value)`, current first (empty: one `secret`).
    pub secret_versions: Vec<(u64, String)>,
    /// The plain secret kept beside versioned ones, for values encrypted before rotation.
    pub legacy_secret: Option<String>,
    /// `account.encryptOAuthTokens`.
    pub encrypt_oauth_tokens: bool,
    /// `socialProviders` and `genericOAuth` providers.
    pub providers: Vec<crate::oauth::Provider>,
    /// `plugins: [...]`, read by each plugin's own `register`.
    pub plugins: crate::plugins::Plugins,
    pub account_linking: AccountLinking,
    pub secret: String,
    /// A configured `baseURL` (option or environment): its origin, without the base path.
    pub base_origin: Option<String>,
    /// The base path requests are routed under (`/api/auth`, or the path of `baseURL`).
    pub base_path: String,
    pub trusted_origins: Vec<String>,
    pub email_and_password: EmailAndPasswordOptions,
    pub session: SessionOptions,
    pub cookie_prefix: String,
    pub cookie_attributes: CookieAttributes,
    /// `appName` (upstream's default "Better Auth"): the TOTP issuer by default.
    pub app_name: String,
    pub disable_origin_check: bool,
    pub disable_csrf_check: bool,
    pub max_body_size: u64,
    /// `bodyTimeout` (ours): milliseconds to wait for the whole body; 0 waits forever.
    pub body_timeout_ms: u64,
    /// `expiredRowSweep` (ours).
    pub sweep: crate::db::sweep::SweepOptions,
    pub rate_limit: RateLimitOptions,
    pub ip: IpOptions,
    /// Dotted paths of the options that are JavaScript functions.
    pub functions: std::collections::HashSet<String>,
    pub email_reset: ResetPasswordOptions,
    pub email_verification: EmailVerificationOptions,
    pub delete_user: DeleteUserOptions,
    pub change_email: ChangeEmailOptions,
    pub production: bool,
    pub test_env: bool,
    /// `NODE_ENV` is development/dev/test: the client IP falls back to 127.0.0.1.
    pub development: bool,
}

/// `account.accountLinking` (upstream 1.7's defaults).
#[derive(Debug, Clone)]
pub struct AccountLinking {
    pub enabled: bool,
    pub trusted_providers: Vec<String>,
    pub require_local_email_verified: bool,
    pub disable_implicit_linking: bool,
    pub allow_different_emails: bool,
    /// Copy the provider's name, image and mapped fields onto the user when linking.
    pub update_user_info_on_link: bool,
    /// `account.updateAccountOnSignIn` (default true): fresh tokens on each social sign-in.
    pub update_account_on_sign_in: bool,
}

impl AccountLinking {
    fn parse(raw: &Value) -> Result<AccountLinking, OptionsError> {
        let section = raw.pointer("/account/accountLinking").unwrap_or(&Value::Null);
        let flag = |key: &str, default: bool| match section.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(invalid(&format!("account.accountLinking.{key}"), "expected true or false")),
        };
        let trusted_providers = match section.get("trustedProviders") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
                items.iter().filter_map(Value::as_str).map(str::to_owned).collect()
            }
            Some(v) if option_keys::is_function(v) => {
                return Err(invalid("account.accountLinking.trustedProviders", "a function is not supported yet; pass an array"));
            }
            Some(_) => return Err(invalid("account.accountLinking.trustedProviders", "expected an array of provider ids")),
        };
        Ok(AccountLinking {
            enabled: flag("enabled", true)?,
            trusted_providers,
            require_local_email_verified: flag("requireLocalEmailVerified", true)?,
            disable_implicit_linking: flag("disableImplicitLinking", false)?,
            allow_different_emails: flag("allowDifferentEmails", false)?,
            update_user_info_on_link: flag("updateUserInfoOnLink", false)?,
            update_account_on_sign_in: match raw.pointer("/account/updateAccountOnSignIn") {
                None | Some(Value::Null) => true,
                Some(Value::Bool(b)) => *b,
                Some(_) => return Err(invalid("account.updateAccountOnSignIn", "expected true or false")),
            },
        })
    }
}

/// What `betterAuth()` reports besides the parsed options: one line per unsupported option.
#[derive(Debug, Default)]
pub struct OptionWarnings(pub Vec<String>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionsError(pub String);

impl std::fmt::Display for OptionsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OptionsError {}

// The typed view of the keys we honour. Unknown/unsupported keys were dealt with before
// deserializing, so serde may ignore what it does not name here.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RawOptions {
    app_name: Option<String>,
    database: Option<Value>,
    auto_migrate: Option<bool>,
    secret: Option<String>,
    secrets: Option<Vec<RawVersionedSecret>>,
    /// A URL string; the dynamic `{ allowedHosts, ... }` form is warned about and ignored.
    #[serde(rename = "baseURL")]
    base_url: Option<Value>,
    base_path: Option<String>,
    /// An array of strings; the function form is warned about and ignored.
    trusted_origins: Option<Value>,
    email_and_password: RawEmailAndPassword,
    email_verification: RawEmailVerification,
    user: RawUser,
    session: RawSession,
    advanced: RawAdvanced,
    max_body_size: Option<u64>,
    body_timeout: Option<u64>,
    expired_row_sweep: RawSweep,
    rate_limit: RawRateLimit,
    secondary_storage: Option<Value>,
    verification: RawVerification,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RawSweep {
    enabled: Option<bool>,
    interval_seconds: Option<u64>,
    batch_size: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RawUser {
    delete_user: RawDeleteUser,
    change_email: RawChangeEmail,
    additional_fields: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RawChangeEmail {
    enabled: Option<bool>,
    update_email_without_verification: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RawDeleteUser {
    enabled: Option<bool>,
    delete_token_expires_in: Option<i64>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RawEmailVerification {
    send_on_sign_up: Option<bool>,
    send_on_sign_in: Option<bool>,
    auto_sign_in_after_verification: Option<bool>,
    expires_in: Option<i64>,
}

#[derive(Deserialize)]
struct RawVersionedSecret {
    version: Value,
    value: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RawRateLimit {
    enabled: Option<bool>,
    window: Option<u64>,
    max: Option<u64>,
    custom_rules: Option<serde_json::Map<String, Value>>,
    storage: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RawIpAddress {
    ip_address_headers: Option<Vec<String>>,
    disable_ip_tracking: Option<bool>,
    ipv6_subnet: Option<u8>,
    trusted_proxies: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RawEmailAndPassword {
    require_email_verification: Option<bool>,
    reset_password_token_expires_in: Option<i64>,
    revoke_sessions_on_password_reset: Option<bool>,
    enabled: Option<bool>,
    disable_sign_up: Option<bool>,
    min_password_length: Option<usize>,
    max_password_length: Option<usize>,
    auto_sign_in: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RawSession {
    expires_in: Option<i64>,
    update_age: Option<i64>,
    fresh_age: Option<i64>,
    store_session_in_database: Option<bool>,
    preserve_session_in_database: Option<bool>,
    additional_fields: Option<Value>,
    cookie_cache: RawCookieCache,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RawCookieCache {
    enabled: Option<bool>,
    max_age: Option<i64>,
    strategy: Option<String>,
    version: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RawVerification {
    store_in_database: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RawAdvanced {
    cookie_prefix: Option<String>,
    use_secure_cookies: Option<bool>,
    default_cookie_attributes: RawCookieAttributes,
    #[serde(rename = "disableCSRFCheck")]
    disable_csrf_check: Option<bool>,
    disable_origin_check: Option<bool>,
    ip_address: RawIpAddress,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RawCookieAttributes {
    secure: Option<bool>,
    same_site: Option<String>,
    path: Option<String>,
    http_only: Option<bool>,
    domain: Option<String>,
    partitioned: Option<bool>,
}

fn invalid(path: &str, why: impl std::fmt::Display) -> OptionsError {
    OptionsError(format!("better-auth-rs: invalid option `{path}`: {why}"))
}

impl AuthOptions {
    /// Checks and resolves the options. `raw` is the user's object as JSON, functions and
    /// class instances replaced by the markers in [`option_keys`].
    pub fn parse(raw: &Value, env: &Env) -> Result<(AuthOptions, OptionWarnings), OptionsError> {
        if !raw.is_object() && !raw.is_null() {
            return Err(OptionsError("better-auth-rs: betterAuth() takes an options object".into()));
        }
        let mut warnings = OptionWarnings::default();
        if let Value::Object(map) = raw {
            match option_keys::check(map) {
                KeyCheck { unknown: Some(path), .. } => {
                    return Err(OptionsError(format!(
                        "better-auth-rs: unknown option `{path}`: Better Auth has no such option (check the spelling)"
                    )));
                }
                KeyCheck { unsupported, .. } => {
                    warnings.0.extend(
                        unsupported
                            .into_iter()
                            .map(|path| format!("option `{path}` is not supported by better-auth-rs yet and is ignored")),
                    );
                }
            }
        }
        let typed: RawOptions = serde_path_to_error::deserialize(raw.clone()).map_err(|e| invalid(&e.path().to_string(), e.inner()))?;
        let mut options = resolve(typed, env, &mut warnings)?;
        options.functions = option_keys::function_paths(raw);
        options.renames = Renames::parse(raw)?;
        options.plugins = crate::plugins::Plugins::parse(raw.get("plugins"), &mut warnings)?;
        // Plugin schema joins the user's additional fields (upstream's `getAuthTables` merge).
        for (model, fields) in [("user", &mut options.user_fields), ("session", &mut options.session_fields)] {
            for field in options.plugins.fields(model) {
                if !fields.iter().any(|f| f.name == field.name) {
                    fields.push(field);
                }
            }
        }
        let from_plugins = options.plugins.iter().flat_map(|p| p.providers.iter().cloned()).collect();
        options.providers = crate::oauth::providers::parse(raw, from_plugins, &mut warnings)?;
        options.account_linking = AccountLinking::parse(raw)?;
        options.encrypt_oauth_tokens = raw.pointer("/account/encryptOAuthTokens") == Some(&Value::Bool(true));
        // Plugins' `schema` renames of their own tables join the core's.
        for plugin in options.plugins.iter() {
            options.renames.tables.extend(plugin.renames.tables.clone());
            options.renames.columns.extend(plugin.renames.columns.clone());
        }
        let plugin_tables: Vec<crate::db::schema::Table> = options.plugins.iter().flat_map(|p| p.tables.iter().cloned()).collect();
        Names::new(options.database.dialect, &options.renames, &options.user_fields, &options.session_fields, &plugin_tables).check()?;
        Ok((options, warnings))
    }
}

fn positive_seconds(path: &str, value: Option<i64>, default: i64) -> Result<i64, OptionsError> {
    match value {
        None => Ok(default),
        Some(v) if v >= 0 => Ok(v),
        Some(v) => Err(invalid(path, format!("expected a number of seconds >= 0, got {v}"))),
    }
}

fn resolve(raw: RawOptions, env: &Env, warnings: &mut OptionWarnings) -> Result<AuthOptions, OptionsError> {
    let production = env.is_production();

    let database = resolve_database(raw.database)?;

    // Versioned `secrets` (or BETTER_AUTH_SECRETS): the first is current and signs cookies;
    // as upstream, rotation applies only to encrypted values, which this version has none of.
    let secret_versions = match raw.secrets {
        Some(list) => checked_versioned_secrets(list.into_iter().map(|s| (s.version, s.value)).collect(), "secrets")?,
        None => match env.get("BETTER_AUTH_SECRETS") {
            Some(list) => checked_versioned_secrets(parse_secrets_env(list)?, "BETTER_AUTH_SECRETS")?,
            None => Vec::new(),
        },
    };
    let plain_secret = raw
        .secret
        .filter(|s| !s.is_empty())
        .or_else(|| env.get("BETTER_AUTH_SECRET").map(str::to_owned))
        .or_else(|| env.get("AUTH_SECRET").map(str::to_owned));
    // With versioned secrets the plain one stays as the legacy key for older encrypted values.
    let legacy_secret = if secret_versions.is_empty() { None } else { plain_secret.clone() };
    let secret = secret_versions.first().map(|(_, value)| value.clone()).or(plain_secret);
    let secret = match secret {
        Some(secret) => {
            if secret == DEFAULT_SECRET && production {
                return Err(OptionsError(
                    "better-auth-rs: `secret` is the public default; set a random secret (BETTER_AUTH_SECRET) in production".into(),
                ));
            }
            if secret.len() < 32 {
                warnings.0.push("`secret` is shorter than 32 characters; use a long random value".into());
            }
            secret
        }
        None if production => {
            return Err(OptionsError(
                "better-auth-rs: no secret in production: pass `secret` or set BETTER_AUTH_SECRET (`npx better-auth-rs secret` prints one)"
                    .into(),
            ));
        }
        None => DEFAULT_SECRET.to_owned(),
    };

    let base_url = match raw.base_url {
        Some(Value::String(s)) => Some(s),
        None | Some(Value::Null) | Some(Value::Object(_)) => None,
        Some(other) => return Err(invalid("baseURL", format!("expected a URL string, got {}", option_keys::describe(&other)))),
    };
    let base_url = base_url.filter(|s| !s.is_empty()).or_else(|| {
        ["BETTER_AUTH_URL", "NEXT_PUBLIC_BETTER_AUTH_URL", "PUBLIC_BETTER_AUTH_URL", "NUXT_PUBLIC_BETTER_AUTH_URL", "NUXT_PUBLIC_AUTH_URL"]
            .iter()
            .find_map(|name| env.get(name))
            .or_else(|| env.get("BASE_URL").filter(|v| *v != "/"))
            .map(str::to_owned)
    });
    let (base_origin, base_url_path) = match base_url {
        None => (None, None),
        Some(s) => {
            let url = Url::parse(&s).map_err(|e| invalid("baseURL", format!("`{s}` is not a URL ({e})")))?;
            if url.scheme() != "http" && url.scheme() != "https" {
                return Err(invalid("baseURL", format!("`{s}` must start with http:// or https://")));
            }
            let path = url.path().trim_end_matches('/').to_owned();
            (Some(url.origin().ascii_serialization()), (!path.is_empty()).then_some(path))
        }
    };
    let base_path = match base_url_path {
        Some(path) => path,
        None => {
            let p = raw.base_path.unwrap_or_else(|| "/api/auth".into());
            if !p.starts_with('/') {
                return Err(invalid("basePath", format!("`{p}` must start with /")));
            }
            let trimmed = p.trim_end_matches('/');
            trimmed.to_owned()
        }
    };

    // The function form is evaluated per request by the Node layer, which passes its result in.
    let mut trusted_origins = match raw.trusted_origins {
        None | Some(Value::Null) => Vec::new(),
        Some(v) if option_keys::is_function(&v) => Vec::new(),
        Some(v) => {
            serde_json::from_value::<Vec<String>>(v).map_err(|_| invalid("trustedOrigins", "expected an array of origin strings"))?
        }
    };
    if let Some(list) = env.get("BETTER_AUTH_TRUSTED_ORIGINS") {
        trusted_origins.extend(list.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned));
    }

    let ep = raw.email_and_password;
    let email_reset = ResetPasswordOptions {
        token_expires_in: positive_seconds("emailAndPassword.resetPasswordTokenExpiresIn", ep.reset_password_token_expires_in, 3600)?,
        revoke_sessions_on_reset: ep.revoke_sessions_on_password_reset.unwrap_or(false),
    };
    let email_and_password = EmailAndPasswordOptions {
        enabled: ep.enabled.unwrap_or(false),
        require_email_verification: ep.require_email_verification.unwrap_or(false),
        disable_sign_up: ep.disable_sign_up.unwrap_or(false),
        min_password_length: ep.min_password_length.unwrap_or(8),
        max_password_length: ep.max_password_length.unwrap_or(128),
        auto_sign_in: ep.auto_sign_in.unwrap_or(true),
    };
    if email_and_password.min_password_length > email_and_password.max_password_length {
        return Err(invalid("emailAndPassword.minPasswordLength", "is greater than maxPasswordLength"));
    }

    let session = SessionOptions {
        expires_in: positive_seconds("session.expiresIn", raw.session.expires_in, 60 * 60 * 24 * 7)?,
        update_age: positive_seconds("session.updateAge", raw.session.update_age, 60 * 60 * 24)?,
        fresh_age: positive_seconds("session.freshAge", raw.session.fresh_age, 60 * 60 * 24)?,
        store_in_database: raw.session.store_session_in_database.unwrap_or(false),
        preserve_in_database: raw.session.preserve_session_in_database.unwrap_or(false),
        cookie_cache: resolve_cookie_cache(raw.session.cookie_cache)?,
    };
    let secondary_storage = resolve_secondary_storage(raw.secondary_storage)?;
    if matches!(secondary_storage, Some(SecondaryStorageConfig::Js { get_and_delete: false, .. }))
        && raw.verification.store_in_database != Some(true)
    {
        warnings.0.push(
            "option `secondaryStorage` has no `getAndDelete`: single-use tokens are read and deleted in two steps (not atomic)".into(),
        );
    }
    let user_fields = crate::fields::parse_fields("user", raw.user.additional_fields.as_ref())?;
    let session_fields = crate::fields::parse_fields("session", raw.session.additional_fields.as_ref())?;

    let adv = raw.advanced;
    // Upstream decides once: explicit option, else the static baseURL's scheme, else production.
    let secure = adv.use_secure_cookies.or_else(|| base_origin.as_ref().map(|o| o.starts_with("https://"))).unwrap_or(production);
    let attrs = adv.default_cookie_attributes;
    let same_site = match attrs.same_site.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("lax") => SameSite::Lax,
        Some("strict") => SameSite::Strict,
        Some("none") => SameSite::None,
        Some(other) => {
            return Err(invalid(
                "advanced.defaultCookieAttributes.sameSite",
                format!("`{other}`; expected \"lax\", \"strict\" or \"none\""),
            ));
        }
    };
    let cookie_attributes = CookieAttributes {
        secure: attrs.secure.unwrap_or(secure),
        same_site,
        path: attrs.path.unwrap_or_else(|| "/".into()),
        http_only: attrs.http_only.unwrap_or(true),
        domain: attrs.domain,
        partitioned: attrs.partitioned.unwrap_or(false),
    };
    let cookie_prefix = adv.cookie_prefix.filter(|p| !p.is_empty()).unwrap_or_else(|| "better-auth".into());
    if !cookie_prefix.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
        return Err(invalid("advanced.cookiePrefix", format!("`{cookie_prefix}` may only use letters, digits, - _ .")));
    }

    let test_env = env.is_test();
    let disable_origin_check = adv.disable_origin_check.unwrap_or(test_env);
    // Upstream: an explicit disableOriginCheck also turns the CSRF check off unless disableCSRFCheck is set.
    let disable_csrf_check = adv.disable_csrf_check.unwrap_or(adv.disable_origin_check == Some(true));

    let rate_limit = resolve_rate_limit(raw.rate_limit, production, secondary_storage.as_ref(), warnings)?;
    let ip = resolve_ip(adv.ip_address)?;

    let is_sqlite = database.dialect == Dialect::Sqlite;
    Ok(AuthOptions {
        database,
        auto_migrate: raw.auto_migrate.unwrap_or(is_sqlite),
        secondary_storage,
        verifications_in_database: raw.verification.store_in_database.unwrap_or(false),
        user_fields,
        session_fields,
        renames: Renames::default(),
        secret_versions,
        legacy_secret,
        encrypt_oauth_tokens: false,
        providers: Vec::new(),
        plugins: Default::default(),
        account_linking: AccountLinking {
            enabled: true,
            trusted_providers: Vec::new(),
            require_local_email_verified: true,
            disable_implicit_linking: false,
            allow_different_emails: false,
            update_user_info_on_link: false,
            update_account_on_sign_in: true,
        },
        secret,
        base_origin,
        base_path,
        trusted_origins,
        email_and_password,
        session,
        cookie_prefix,
        app_name: raw.app_name.filter(|n| !n.is_empty()).unwrap_or_else(|| "Better Auth".to_owned()),
        cookie_attributes,
        disable_origin_check,
        disable_csrf_check,
        max_body_size: raw.max_body_size.unwrap_or(DEFAULT_MAX_BODY_SIZE),
        body_timeout_ms: raw.body_timeout.unwrap_or(DEFAULT_BODY_TIMEOUT_MS),
        sweep: resolve_sweep(raw.expired_row_sweep)?,
        rate_limit,
        ip,
        functions: Default::default(),
        email_reset,
        email_verification: EmailVerificationOptions {
            send_on_sign_up: raw.email_verification.send_on_sign_up,
            send_on_sign_in: raw.email_verification.send_on_sign_in.unwrap_or(false),
            auto_sign_in_after_verification: raw.email_verification.auto_sign_in_after_verification.unwrap_or(false),
            expires_in: positive_seconds("emailVerification.expiresIn", raw.email_verification.expires_in, 3600)?,
        },
        change_email: ChangeEmailOptions {
            enabled: raw.user.change_email.enabled.unwrap_or(false),
            update_without_verification: raw.user.change_email.update_email_without_verification.unwrap_or(false),
        },
        delete_user: DeleteUserOptions {
            enabled: raw.user.delete_user.enabled.unwrap_or(false),
            token_expires_in: positive_seconds(
                "user.deleteUser.deleteTokenExpiresIn",
                raw.user.delete_user.delete_token_expires_in,
                86400,
            )?,
        },
        production,
        test_env,
        development: matches!(env.get("NODE_ENV"), Some("development" | "dev" | "test")),
    })
}

/// `database`: a URL (`sqlite:`, `postgres://`, `postgresql://`, `mysql://`, `mariadb://`), or
/// `{ provider, url, max?, idleTimeoutMillis?, connectionTimeoutMillis? }` (what the Node layer
/// also makes of a better-sqlite3 `Database`, a `pg` Pool or a `mysql2` pool), or nothing for the
/// default SQLite file.
fn resolve_database(raw: Option<Value>) -> Result<DatabaseConfig, OptionsError> {
    const ACCEPTED: &str = "a URL string (`sqlite:./auth.db`, `postgres://...`, `mysql://...`), { provider: \"sqlite\" | \"postgres\" | \"mysql\", url }, a better-sqlite3 Database, a pg Pool or a mysql2 pool";
    let from_url = |url: &str, provider: Option<&str>| -> Result<DatabaseConfig, OptionsError> {
        let scheme = url.split_once(':').map(|(s, _)| s.to_ascii_lowercase());
        let (dialect, url) = match (provider, scheme.as_deref()) {
            (None | Some("sqlite"), Some("sqlite")) => (Dialect::Sqlite, url.to_owned()),
            (Some("sqlite"), _) => (Dialect::Sqlite, format!("sqlite:{url}")),
            (None | Some("postgres" | "postgresql" | "pg"), Some("postgres" | "postgresql")) => (Dialect::Postgres, url.to_owned()),
            (None | Some("mysql" | "mariadb"), Some("mysql" | "mariadb")) => {
                (Dialect::Mysql, format!("mysql{}", &url[url.find(':').unwrap_or(0)..]))
            }
            _ => return Err(invalid("database", format!("unsupported URL `{}`; expected {ACCEPTED}", redact_url(url)))),
        };
        Ok(DatabaseConfig { dialect, url, implicit: false, pool: PoolSettings::default() })
    };
    match raw {
        None | Some(Value::Null) => {
            Ok(DatabaseConfig { implicit: true, ..DatabaseConfig::sqlite(&format!("sqlite:{DEFAULT_SQLITE_FILE}")) })
        }
        Some(Value::String(url)) => from_url(&url, None),
        Some(Value::Object(map)) if !option_keys::is_marker(&Value::Object(map.clone())) && map.contains_key("provider") => {
            let provider = map.get("provider").and_then(Value::as_str).unwrap_or_default();
            if Dialect::parse(provider).is_none() {
                return Err(invalid("database.provider", format!("`{provider}`; expected \"sqlite\", \"postgres\" or \"mysql\"")));
            }
            let url =
                map.get("url").and_then(Value::as_str).ok_or_else(|| invalid("database.url", "a connection URL string is required"))?;
            let mut config = from_url(url, Some(provider))?;
            let number = |key: &str| -> Result<Option<u64>, OptionsError> {
                match map.get(key) {
                    None | Some(Value::Null) => Ok(None),
                    Some(v) => v.as_u64().map(Some).ok_or_else(|| invalid(&format!("database.{key}"), "expected a non-negative integer")),
                }
            };
            if let Some(max) = number("max")? {
                config.pool.max = max.clamp(1, 1000) as u32;
            }
            if let Some(ms) = number("idleTimeoutMillis")? {
                config.pool.idle_timeout_ms = ms;
            }
            // pg's 0 means "wait forever"; a request must not hang, so 0 keeps our default.
            if let Some(ms) = number("connectionTimeoutMillis")?.filter(|ms| *ms > 0) {
                config.pool.acquire_timeout_ms = ms;
            }
            for key in map.keys() {
                if !["provider", "url", "max", "idleTimeoutMillis", "connectionTimeoutMillis"].contains(&key.as_str()) {
                    return Err(invalid(
                        &format!("database.{key}"),
                        "unknown key; expected provider, url, max, idleTimeoutMillis, connectionTimeoutMillis",
                    ));
                }
            }
            Ok(config)
        }
        Some(other) => Err(invalid("database", format!("got {}; expected {ACCEPTED}", option_keys::describe(&other)))),
    }
}

fn resolve_sweep(raw: RawSweep) -> Result<crate::db::sweep::SweepOptions, OptionsError> {
    let default = crate::db::sweep::SweepOptions::default();
    if raw.interval_seconds == Some(0) {
        return Err(invalid("expiredRowSweep.intervalSeconds", "expected seconds > 0 (use `enabled: false` to turn the sweep off)"));
    }
    Ok(crate::db::sweep::SweepOptions {
        enabled: raw.enabled.unwrap_or(default.enabled),
        interval: raw.interval_seconds.map_or(default.interval, std::time::Duration::from_secs),
        batch_size: raw.batch_size.filter(|b| *b > 0).unwrap_or(default.batch_size),
    })
}

fn parse_secrets_env(list: &str) -> Result<Vec<(Value, String)>, OptionsError> {
    list.split(',')
        .enumerate()
        .map(|(i, entry)| {
            let (version, value) = entry
                .trim()
                .split_once(':')
                .ok_or_else(|| invalid("BETTER_AUTH_SECRETS", format!("entry {} is not \"<version>:<secret>\"", i + 1)))?;
            Ok((Value::String(version.trim().to_owned()), value.trim().to_owned()))
        })
        .collect()
}

/// Upstream's checks on versioned secrets; `(version, secret)`, the current (first) one first.
fn checked_versioned_secrets(list: Vec<(Value, String)>, path: &str) -> Result<Vec<(u64, String)>, OptionsError> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (version, value) in &list {
        let number = match version {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse::<u64>().ok(),
            _ => None,
        }
        .ok_or_else(|| invalid(path, format!("version {version} must be a non-negative integer")))?;
        if value.is_empty() {
            return Err(invalid(path, format!("empty secret for version {number}")));
        }
        if !seen.insert(number) {
            return Err(invalid(path, format!("duplicate version {number}")));
        }
        out.push((number, value.clone()));
    }
    if out.is_empty() {
        return Err(invalid(path, "must contain at least one entry"));
    }
    Ok(out)
}

fn resolve_cookie_cache(raw: RawCookieCache) -> Result<Option<crate::cookie_cache::CookieCacheOptions>, OptionsError> {
    use crate::cookie_cache::{CookieCacheOptions, Strategy, Version};
    if raw.enabled != Some(true) {
        return Ok(None);
    }
    let strategy = match raw.strategy.as_deref() {
        None | Some("compact") => Strategy::Compact,
        Some("jwt") => Strategy::Jwt,
        Some("jwe") => Strategy::Jwe,
        Some(other) => return Err(invalid("session.cookieCache.strategy", format!("`{other}`; expected \"compact\", \"jwt\" or \"jwe\""))),
    };
    let version = match raw.version {
        None | Some(Value::Null) => Version::Static("1".into()),
        Some(Value::String(v)) => Version::Static(v),
        Some(v) if option_keys::is_function(&v) => Version::Function,
        Some(_) => return Err(invalid("session.cookieCache.version", "expected a string or a function")),
    };
    // Upstream: `maxAge || 300`.
    let max_age = raw.max_age.filter(|m| *m > 0).unwrap_or(300);
    Ok(Some(CookieCacheOptions { max_age, strategy, version }))
}

/// `secondaryStorage`: `"redis://..."` (the built-in client) or an object of functions.
fn resolve_secondary_storage(raw: Option<Value>) -> Result<Option<SecondaryStorageConfig>, OptionsError> {
    match raw {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(url)) if url.starts_with("redis://") || url.starts_with("redis+unix://") => {
            Ok(Some(SecondaryStorageConfig::Redis(url)))
        }
        Some(Value::Object(map)) if !option_keys::is_marker(&Value::Object(map.clone())) => {
            let has = |name: &str| map.get(name).is_some_and(option_keys::is_function);
            for required in ["get", "set", "delete"] {
                if !has(required) {
                    return Err(invalid(&format!("secondaryStorage.{required}"), "must be a function"));
                }
            }
            Ok(Some(SecondaryStorageConfig::Js { get_and_delete: has("getAndDelete"), increment: has("increment") }))
        }
        Some(other) => Err(invalid(
            "secondaryStorage",
            format!(
                "got {}; expected a `redis://` URL or {{ get, set, delete, getAndDelete, increment }} functions",
                option_keys::describe(&other)
            ),
        )),
    }
}

fn resolve_rate_limit(
    raw: RawRateLimit,
    production: bool,
    secondary: Option<&SecondaryStorageConfig>,
    warnings: &mut OptionWarnings,
) -> Result<RateLimitOptions, OptionsError> {
    // Upstream: `window || 10`, `max || 100` (0 means the default).
    let default_rule = RateRule { window: raw.window.filter(|w| *w > 0).unwrap_or(10), max: raw.max.filter(|m| *m > 0).unwrap_or(100) };
    let mut custom_rules = Vec::new();
    for (path, value) in raw.custom_rules.unwrap_or_default() {
        let at = format!("rateLimit.customRules.{path}");
        match value {
            Value::Bool(false) => custom_rules.push((path, CustomRule::Exempt)),
            v if option_keys::is_function(&v) => custom_rules.push((path, CustomRule::Function)),
            v => {
                let rule: RawRule = serde_json::from_value(v)
                    .map_err(|e| invalid(&at, format!("expected {{ window, max }}, false or a function ({e})")))?;
                custom_rules.push((path, CustomRule::Rule(RateRule { window: rule.window, max: rule.max })));
            }
        }
    }
    let storage = match (raw.storage.as_deref(), secondary) {
        // Upstream counts with `increment` only; without one, counting in memory beats failing open.
        (None | Some("secondary-storage"), Some(SecondaryStorageConfig::Js { increment: false, .. })) => {
            warnings.0.push("option `secondaryStorage` has no `increment`: rate limits are counted in memory".into());
            RateLimitStorage::Memory
        }
        (None, Some(_)) => RateLimitStorage::SecondaryStorage,
        (None | Some("memory"), _) => RateLimitStorage::Memory,
        (Some("database"), _) => RateLimitStorage::Database,
        (Some("secondary-storage"), Some(_)) => RateLimitStorage::SecondaryStorage,
        (Some("secondary-storage"), None) => {
            warnings.0.push("option `rateLimit.storage: \"secondary-storage\"` without `secondaryStorage`; using memory".into());
            RateLimitStorage::Memory
        }
        (Some(other), _) => {
            return Err(invalid("rateLimit.storage", format!("`{other}`; expected \"memory\", \"database\" or \"secondary-storage\"")));
        }
    };
    Ok(RateLimitOptions { enabled: raw.enabled.unwrap_or(production), default_rule, custom_rules, storage })
}

#[derive(Deserialize)]
struct RawRule {
    window: u64,
    max: u64,
}

fn resolve_ip(raw: RawIpAddress) -> Result<IpOptions, OptionsError> {
    let trusted_proxies = raw
        .trusted_proxies
        .unwrap_or_default()
        .iter()
        .map(|p| {
            p.parse::<ipnet::IpNet>()
                .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| invalid("advanced.ipAddress.trustedProxies", format!("`{p}` is not an IP address or CIDR range")))
        })
        .collect::<Result<_, _>>()?;
    let ipv6_subnet = raw.ipv6_subnet.unwrap_or(64);
    if ipv6_subnet > 128 {
        return Err(invalid("advanced.ipAddress.ipv6Subnet", "must be between 0 and 128"));
    }
    Ok(IpOptions {
        headers: raw
            .ip_address_headers
            .unwrap_or_else(|| vec!["x-forwarded-for".into()])
            .into_iter()
            .map(|h| h.to_ascii_lowercase())
            .collect(),
        disable_tracking: raw.disable_ip_tracking.unwrap_or(false),
        ipv6_subnet,
        trusted_proxies,
    })
}

/// A database URL for messages, without its password.
pub fn redact_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn defaults_match_upstream() {
        let (o, w) = AuthOptions::parse(&json!({}), &env(&[])).unwrap();
        assert_eq!(o.base_path, "/api/auth");
        assert_eq!(o.session.expires_in, 604800);
        assert_eq!(o.session.update_age, 86400);
        assert_eq!(o.cookie_prefix, "better-auth");
        assert!(!o.cookie_attributes.secure);
        assert_eq!(o.secret, DEFAULT_SECRET);
        assert_eq!(o.database, DatabaseConfig { implicit: true, ..DatabaseConfig::sqlite("sqlite:./better-auth.db") });
        assert!(o.auto_migrate);
        assert!(w.0.is_empty());
    }

    #[test]
    fn unknown_key_is_an_error_naming_it() {
        let err = AuthOptions::parse(&json!({"emailAndPassword": {"enabeld": true}}), &env(&[])).unwrap_err();
        assert!(err.0.contains("`emailAndPassword.enabeld`"), "{}", err.0);
    }

    #[test]
    fn unsupported_upstream_key_warns() {
        let (_, w) = AuthOptions::parse(&json!({"appName": "x", "account": {"storeAccountCookie": true}}), &env(&[])).unwrap();
        assert!(w.0.iter().any(|l| l.contains("`account.storeAccountCookie`")), "{:?}", w.0);
    }

    #[test]
    fn wrong_type_names_the_option() {
        let err = AuthOptions::parse(&json!({"session": {"expiresIn": "soon"}}), &env(&[])).unwrap_err();
        assert!(err.0.contains("`session.expiresIn`"), "{}", err.0);
    }

    #[test]
    fn production_requires_a_secret() {
        assert!(AuthOptions::parse(&json!({}), &env(&[("NODE_ENV", "production")])).is_err());
        let (o, _) = AuthOptions::parse(&json!({}), &env(&[("NODE_ENV", "production"), ("AUTH_SECRET", "s".repeat(40).as_str())])).unwrap();
        assert_eq!(o.secret.len(), 40);
        assert!(o.cookie_attributes.secure, "production without baseURL means secure cookies");
    }

    #[test]
    fn the_public_default_secret_is_refused_in_production() {
        let err = AuthOptions::parse(&json!({"secret": DEFAULT_SECRET}), &env(&[("NODE_ENV", "production")])).unwrap_err();
        assert!(err.0.contains("public default"), "{}", err.0);
    }

    #[test]
    fn versioned_secrets_sign_with_the_first() {
        let (o, _) = AuthOptions::parse(
            &json!({"secret": "legacy", "secrets": [{"version": 2, "value": "b".repeat(32)}, {"version": 1, "value": "a".repeat(32)}]}),
            &env(&[]),
        )
        .unwrap();
        assert_eq!(o.secret, "b".repeat(32));
        let (o, _) =
            AuthOptions::parse(&json!({}), &env(&[("BETTER_AUTH_SECRETS", "3:third-secret-0123456789abcdef0123, 2:second")])).unwrap();
        assert_eq!(o.secret, "third-secret-0123456789abcdef0123");
        assert!(AuthOptions::parse(&json!({"secrets": [{"version": 1, "value": "x"}, {"version": 1, "value": "y"}]}), &env(&[])).is_err());
        assert!(AuthOptions::parse(&json!({"secrets": []}), &env(&[])).is_err());
        assert!(AuthOptions::parse(&json!({}), &env(&[("BETTER_AUTH_SECRETS", "nocolon")])).is_err());
    }

    #[test]
    fn base_url_path_becomes_base_path_and_decides_secure() {
        let (o, _) = AuthOptions::parse(&json!({"baseURL": "https://example.com/auth"}), &env(&[])).unwrap();
        assert_eq!(o.base_path, "/auth");
        assert_eq!(o.base_origin.as_deref(), Some("https://example.com"));
        assert!(o.cookie_attributes.secure);
        let (o, _) = AuthOptions::parse(&json!({}), &env(&[("BETTER_AUTH_URL", "http://localhost:3000")])).unwrap();
        assert_eq!(o.base_origin.as_deref(), Some("http://localhost:3000"));
        assert_eq!(o.base_path, "/api/auth");
    }

    #[test]
    fn database_as_provider_object() {
        let (o, _) = AuthOptions::parse(&json!({"database": {"provider": "sqlite", "url": "./x.db"}}), &env(&[])).unwrap();
        assert_eq!(o.database, DatabaseConfig::sqlite("sqlite:./x.db"));
        let (o, _) = AuthOptions::parse(
            &json!({"database": {"provider": "postgres", "url": "postgresql://u@h/db", "max": 3, "connectionTimeoutMillis": 250}}),
            &env(&[]),
        )
        .unwrap();
        assert_eq!(o.database.dialect, Dialect::Postgres);
        assert_eq!(o.database.pool, PoolSettings { max: 3, idle_timeout_ms: 10_000, acquire_timeout_ms: 250 });
        assert!(!o.auto_migrate, "autoMigrate is on by default only for SQLite");
        let err = AuthOptions::parse(&json!({"database": {"provider": "oracle", "url": "x"}}), &env(&[])).unwrap_err();
        assert!(err.0.contains("oracle"), "{}", err.0);
        let err =
            AuthOptions::parse(&json!({"database": {"provider": "mysql", "url": "mysql://h/db", "poolSize": 1}}), &env(&[])).unwrap_err();
        assert!(err.0.contains("database.poolSize"), "{}", err.0);
        let err = AuthOptions::parse(&json!({"database": {"$$betterAuthRs": "instance", "name": "Kysely"}}), &env(&[])).unwrap_err();
        assert!(err.0.contains("a Kysely instance") && err.0.contains("pg Pool"), "{}", err.0);
    }

    #[test]
    fn database_urls_pick_the_dialect() {
        let dialect =
            |url: &str| AuthOptions::parse(&json!({ "database": url }), &env(&[])).map(|(o, _)| (o.database.dialect, o.database.url));
        assert_eq!(dialect("postgres://u@h/db").unwrap().0, Dialect::Postgres);
        assert_eq!(dialect("postgresql://u@h/db").unwrap().0, Dialect::Postgres);
        assert_eq!(dialect("mariadb://root@h/db").unwrap(), (Dialect::Mysql, "mysql://root@h/db".into()));
        assert_eq!(dialect("sqlite::memory:").unwrap().0, Dialect::Sqlite);
        let err = dialect("mongodb://u:pw@h/db").unwrap_err();
        assert!(err.0.contains("`database`") && !err.0.contains("pw"), "{}", err.0);
    }
}
