//! Everything an endpoint needs, built once by `betterAuth()`; and the per-call state.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::callbacks::Callbacks;

use crate::cookies::{CookieConfig, RequestCookies, ResponseCookies};
use crate::db::secondary::{Redis, SecondaryStorage};
use crate::db::{Database, StoreOptions};
use crate::error::ApiError;
use crate::fields::{Input, Mode, parse_input};
use crate::http::Headers;
use crate::logger::Logger;
use crate::middleware::rate_limit::RateLimiter;
use crate::options::AuthOptions;
use crate::options::SecondaryStorageConfig;
use crate::password_hash::{HashError, PasswordHasher};

pub struct AuthContext {
    pub options: AuthOptions,
    pub db: Database,
    pub hasher: PasswordHasher,
    pub cookies: CookieConfig,
    pub logger: Logger,
    pub rate_limiter: RateLimiter,
    pub callbacks: Arc<dyn Callbacks>,
    /// Providers with a `discoveryUrl`, completed on first use (a failure is retried later).
    discovered: Vec<tokio::sync::OnceCell<crate::oauth::Provider>>,
    /// When each provider's discovery last failed: requests fail fast for a while after.
    discovery_failed: Vec<std::sync::Mutex<Option<std::time::Instant>>>,
    /// The expired-row sweep starts with the first request (inside the runtime).
    sweep_started: std::sync::Once,
    /// Whether the database holds upstream's scrypt hashes: asked once, before the first
    /// sign-in check; set too when a sign-in meets one (another instance may have written it).
    scrypt_hashes: tokio::sync::OnceCell<std::sync::atomic::AtomicBool>,
}

impl AuthContext {
    /// Starts the background expired-row sweep once (when enabled); it ends with the instance.
    pub fn start_sweep(self: &Arc<Self>) {
        if self.options.sweep.enabled {
            let ctx = Arc::downgrade(self);
            self.sweep_started.call_once(|| drop(tokio::spawn(crate::db::sweep::run(ctx))));
        }
    }

    pub fn new(options: AuthOptions, logger: Logger, callbacks: Arc<dyn Callbacks>) -> Self {
        let rate_limit_table = options.rate_limit.storage == crate::options::RateLimitStorage::Database;
        let secondary = options.secondary_storage.as_ref().map(|config| match config {
            SecondaryStorageConfig::Redis(url) => {
                SecondaryStorage::Redis(Redis::new(url, std::time::Duration::from_millis(options.database.pool.acquire_timeout_ms)))
            }
            SecondaryStorageConfig::Js { get_and_delete, increment } => {
                SecondaryStorage::Js { callbacks: callbacks.clone(), get_and_delete: *get_and_delete, increment: *increment }
            }
        });
        let store = StoreOptions {
            auto_migrate: options.auto_migrate,
            rate_limit_table,
            renames: options.renames.clone(),
            secondary,
            sessions_in_database: options.session.store_in_database,
            preserve_sessions: options.session.preserve_in_database,
            verifications_in_database: options.verifications_in_database,
            session_expires_in_secs: options.session.expires_in.max(0) as u64,
            user_fields: options.user_fields.clone(),
            session_fields: options.session_fields.clone(),
            plugin_tables: options.plugins.iter().flat_map(|p| p.tables.iter().cloned()).collect(),
        };
        let db = Database::new(options.database.clone(), store, logger.clone());
        AuthContext {
            cookies: CookieConfig::new(&options),
            db,
            hasher: PasswordHasher::default(),
            logger,
            rate_limiter: RateLimiter::default(),
            callbacks,
            discovered: options.providers.iter().map(|_| tokio::sync::OnceCell::new()).collect(),
            discovery_failed: options.providers.iter().map(|_| std::sync::Mutex::new(None)).collect(),
            sweep_started: std::sync::Once::new(),
            scrypt_hashes: tokio::sync::OnceCell::new(),
            options,
        }
    }

    /// A configured provider by id, its discovery document applied.
    pub async fn provider(&self, id: &str) -> Result<Option<crate::oauth::Provider>, crate::error::ApiError> {
        let Some(index) = self.options.providers.iter().position(|p| p.id == id) else { return Ok(None) };
        let configured = &self.options.providers[index];
        let crate::oauth::ProviderKind::Generic { discovery_url: Some(url), .. } = &configured.kind else {
            return Ok(Some(configured.clone()));
        };
        const RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(10);
        let recently_failed = |slot: &std::sync::Mutex<Option<std::time::Instant>>| {
            slot.lock().unwrap_or_else(|e| e.into_inner()).is_some_and(|at| at.elapsed() < RETRY_AFTER)
        };
        if self.discovered[index].get().is_none() && recently_failed(&self.discovery_failed[index]) {
            return Err(crate::error::ApiError::internal());
        }
        let provider = self.discovered[index]
            .get_or_try_init(|| async {
                let document = crate::oauth::discover(url).await?;
                let mut provider = configured.clone();
                provider.apply_discovery(&document);
                Ok::<_, crate::oauth::OAuthError>(provider)
            })
            .await
            .map_err(|e| {
                *self.discovery_failed[index].lock().unwrap_or_else(|e| e.into_inner()) = Some(std::time::Instant::now());
                self.logger.error(&format!("{id}: OpenID discovery at {url} failed: {e}"));
                crate::error::ApiError::internal()
            })?;
        Ok(Some(provider.clone()))
    }

    pub fn secret(&self) -> &str {
        &self.options.secret
    }

    /// A provider token as stored: encrypted with `account.encryptOAuthTokens` (upstream's
    /// `setTokenUtil`).
    pub fn seal_token(&self, token: Option<String>) -> Option<String> {
        let token = token?;
        if !self.options.encrypt_oauth_tokens {
            return Some(token);
        }
        Some(self.encrypt(&token))
    }

    /// A stored provider token, decrypted when it looks encrypted (upstream's
    /// `decryptOAuthToken`); `None` when it cannot be decrypted.
    pub fn open_token(&self, stored: Option<String>) -> Option<String> {
        let stored = stored?;
        let looks_encrypted =
            stored.starts_with("$ba$") || (stored.len() % 2 == 0 && !stored.is_empty() && stored.bytes().all(|b| b.is_ascii_hexdigit()));
        if !self.options.encrypt_oauth_tokens || !looks_encrypted {
            return Some(stored);
        }
        self.decrypt(&stored)
    }

    /// Upstream's `symmetricEncrypt` with the secret config: `$ba$<version>$<hex>` with
    /// versioned secrets, bare hex with a plain secret.
    pub fn encrypt(&self, data: &str) -> String {
        match self.options.secret_versions.first() {
            Some((version, secret)) => format!("$ba${version}${}", crate::crypto::symmetric_encrypt_raw(secret, data)),
            None => crate::crypto::symmetric_encrypt_raw(&self.options.secret, data),
        }
    }

    /// Upstream's `symmetricDecrypt`: a versioned envelope with its secret, bare hex with the
    /// plain (legacy) secret; `None` when it does not open.
    pub fn decrypt(&self, stored: &str) -> Option<String> {
        if let Some(rest) = stored.strip_prefix("$ba$") {
            let (version, hex) = rest.split_once('$')?;
            let version: u64 = version.parse().ok()?;
            let secret = self.options.secret_versions.iter().find(|(v, _)| *v == version).map(|(_, s)| s.as_str())?;
            return crate::crypto::symmetric_decrypt_raw(secret, hex);
        }
        let secret = if self.options.secret_versions.is_empty() {
            Some(self.options.secret.as_str())
        } else {
            self.options.legacy_secret.as_deref()
        };
        crate::crypto::symmetric_decrypt_raw(secret?, stored)
    }

    /// Tokens as stored (access and refresh tokens sealed; the ID token as given, as upstream).
    pub fn seal_tokens(&self, tokens: crate::db::models::OAuthTokens) -> crate::db::models::OAuthTokens {
        crate::db::models::OAuthTokens {
            access_token: self.seal_token(tokens.access_token),
            refresh_token: self.seal_token(tokens.refresh_token),
            ..tokens
        }
    }

    /// Calls a function option and returns what it resolved to, logging a failure.
    pub async fn call_option(&self, path: &[&str], args: Vec<Value>) -> Result<Value, String> {
        let result = self.callbacks.call(path, args).await;
        if let Err(e) = &result {
            self.logger.error(&format!("`{}` failed: {e}", path.join(".")));
        }
        result
    }

    /// `emailAndPassword.password.hash` when given, else argon2id off the event loop.
    pub async fn hash_password(&self, password: &str) -> Result<String, HashError> {
        if !self.has_function("emailAndPassword.password.hash") {
            return self.hasher.hash(password).await;
        }
        match self.callbacks.call(&["emailAndPassword", "password", "hash"], vec![Value::String(password.to_owned())]).await {
            Ok(Value::String(hash)) => Ok(hash),
            Ok(other) => Err(HashError::Failed(format!(
                "emailAndPassword.password.hash returned {}, not a string",
                crate::option_keys::describe(&other)
            ))),
            Err(e) => Err(HashError::Failed(format!("emailAndPassword.password.hash: {e}"))),
        }
    }

    /// A sign-in's password check (`stored`: `None` when there is no such user or password).
    /// Its cost does not depend on whether the user exists, nor on the format of their hash:
    /// an unknown email costs what upstream's `password.hash` does (`routes/sign-in.ts`) with
    /// custom functions, and every hash format the database holds otherwise.
    pub async fn verify_sign_in_password(&self, password: &str, stored: Option<&str>) -> Result<bool, HashError> {
        use std::sync::atomic::{AtomicBool, Ordering};
        if self.has_function("emailAndPassword.password.verify") {
            return match stored {
                Some(stored) => self.verify_password(password, stored).await,
                // A failing stand-in is not the caller's error (upstream's would be a 500).
                None => {
                    let _ = self.hash_password(password).await;
                    Ok(false)
                }
            };
        }
        let scrypt =
            match self.scrypt_hashes.get_or_try_init(|| async { self.db.holds_non_argon2_passwords().await.map(AtomicBool::new) }).await {
                Ok(flag) => {
                    if stored.is_some_and(|s| !s.starts_with("$argon2")) {
                        flag.store(true, Ordering::Relaxed);
                    }
                    flag.load(Ordering::Relaxed)
                }
                // Unanswered: assume the costlier mix, and ask again next time.
                Err(e) => {
                    self.logger.warn(&format!("could not check the database's password hash formats: {e}"));
                    true
                }
            };
        self.hasher.verify_at_uniform_cost(password, stored, scrypt).await
    }

    /// `emailAndPassword.password.verify({ hash, password })` when given, else argon2id/scrypt.
    pub async fn verify_password(&self, password: &str, stored: &str) -> Result<bool, HashError> {
        if !self.has_function("emailAndPassword.password.verify") {
            return self.hasher.verify(password, stored).await;
        }
        let args = vec![serde_json::json!({ "hash": stored, "password": password })];
        match self.callbacks.call(&["emailAndPassword", "password", "verify"], args).await {
            Ok(value) => Ok(crate::validate::is_truthy(&value)),
            Err(e) => Err(HashError::Failed(format!("emailAndPassword.password.verify: {e}"))),
        }
    }

    /// Additional-field values from a body (`model`: "user" or "session"), function defaults
    /// called; in the fields' order.
    pub async fn field_input(&self, model: &str, body: &Map<String, Value>, mode: Mode) -> Result<Map<String, Value>, ApiError> {
        let fields = if model == "user" { &self.options.user_fields } else { &self.options.session_fields };
        let mut values = Map::new();
        for (name, input) in parse_input(fields, body, mode)? {
            let value = match input {
                Input::Value(v) => v,
                Input::CallDefault => self
                    .call_option(&[model, "additionalFields", &name, "defaultValue"], Vec::new())
                    .await
                    .map_err(|_| ApiError::internal())?,
            };
            values.insert(name, value);
        }
        Ok(values)
    }

    /// Whether the options have a function at `path` (e.g. `emailAndPassword.sendResetPassword`).
    pub fn has_function(&self, path: &str) -> bool {
        self.options.functions.contains(path)
    }
}

/// Headers and cookies an endpoint adds to its response, kept on success and on error alike.
#[derive(Debug, Default)]
pub struct Outgoing {
    pub cookies: ResponseCookies,
    pub headers: Vec<(String, String)>,
}

impl Outgoing {
    pub fn set_header(&mut self, name: &str, value: impl Into<String>) {
        self.headers.retain(|(n, _)| n != name);
        self.headers.push((name.to_owned(), value.into()));
    }

    /// Adds `name` to `Access-Control-Expose-Headers`, keeping the names already there (as
    /// upstream's plugins do for the tokens they put in headers).
    pub fn expose_header(&mut self, name: &str) {
        const EXPOSE: &str = "access-control-expose-headers";
        let existing = self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(EXPOSE)).map(|(_, v)| v.clone()).unwrap_or_default();
        let mut names: Vec<&str> = existing.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
        if !names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            names.push(name);
        }
        let joined = names.join(", ");
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(EXPOSE));
        self.headers.push((EXPOSE.to_owned(), joined));
    }
}

/// One endpoint invocation, over HTTP or through `auth.api`.
pub struct Call<'a> {
    pub ctx: &'a AuthContext,
    /// The endpoint's path (`/sign-up/email`), as hooks see it.
    pub path: &'static str,
    pub method: String,
    pub body: Value,
    pub query: Map<String, Value>,
    /// Path parameters (`:token`).
    pub params: Vec<(String, String)>,
    /// `None` for an `auth.api` call made without `headers`.
    pub headers: Option<Headers>,
    pub cookies: RequestCookies,
    pub out: Outgoing,
    /// Over HTTP (`auth.handler`), where origin and CSRF checks apply.
    pub http: bool,
    /// The origin of `baseURL` for this request (configured, else the request's own).
    pub base_origin: Option<String>,
    /// Origins a `trustedOrigins` function allowed for this request.
    pub extra_trusted_origins: Vec<String>,
    /// The HTTP request's method and URL (`None` for `auth.api` calls), for the `request`
    /// argument function options receive.
    pub request_line: Option<(String, String)>,
    /// For after hooks (the user's and plugins'), kept only when there are any: the session
    /// the request was made with (upstream's `ctx.context.session`) and the one whose cookie
    /// this response sets (`ctx.context.newSession`).
    pub session: Option<Box<(crate::db::models::Session, crate::db::models::User)>>,
    pub issued_session: Option<Box<(crate::db::models::Session, crate::db::models::User)>>,
}

impl Call<'_> {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.as_ref().and_then(|h| h.get(name))
    }

    pub fn has_header(&self, name: &str) -> bool {
        self.headers.as_ref().is_some_and(|h| h.has(name))
    }

    /// The resolved `baseURL`, base path included.
    pub fn base_url(&self) -> String {
        format!("{}{}", self.base_origin.as_deref().unwrap_or(""), self.ctx.options.base_path)
    }

    /// Remembers a session for after hooks (only when there is one to see it).
    pub fn note_session(&mut self, created: bool, session: &crate::db::models::Session, user: &crate::db::models::User) {
        if self.ctx.has_function("hooks.after") || !self.ctx.options.plugins.hooks().is_empty() {
            let pair = Some(Box::new((session.clone(), user.clone())));
            if created { self.issued_session = pair } else { self.session = pair }
        }
    }

    /// The endpoint `ctx` function options receive (`{ path, params, body, query, request }`;
    /// the Node layer turns `request` into a web `Request` and adds its `headers`).
    pub fn context_arg(&self) -> Value {
        let params: Map<String, Value> = self.params.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
        let request = match (&self.request_line, &self.headers) {
            (Some((method, url)), Some(headers)) => crate::callbacks::request_arg(method, url, headers),
            _ => Value::Null,
        };
        serde_json::json!({ "path": self.path, "params": params, "body": self.body, "query": self.query, "request": request })
    }

    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Calls a function option (dotted path) with `args` and, over HTTP, the request as the
    /// last argument (upstream passes `ctx.request`); logs a failure.
    pub async fn call_back(&self, path: &str, mut args: Vec<Value>) -> Result<(), String> {
        if let (Some((method, url)), Some(headers)) = (&self.request_line, &self.headers) {
            args.push(crate::callbacks::request_arg(method, url, headers));
        }
        let segments: Vec<&str> = path.split('.').collect();
        self.ctx.call_option(&segments, args).await.map(|_| ())
    }

    /// What calling an option function costs (arguments converted, the event loop reached and
    /// answered), with no function called: for paths that must take as long as one that calls.
    pub async fn event_loop_round_trip(&self, mut args: Vec<Value>) {
        if let (Some((method, url)), Some(headers)) = (&self.request_line, &self.headers) {
            args.push(crate::callbacks::request_arg(method, url, headers));
        }
        let _ = self.ctx.callbacks.call(&[], args).await;
    }

    /// The base origin plus `trustedOrigins`, for this request.
    pub fn trusted_origins(&self) -> Vec<String> {
        let mut list = Vec::with_capacity(self.ctx.options.trusted_origins.len() + 1);
        list.extend(self.base_origin.clone());
        list.extend(self.ctx.options.trusted_origins.iter().cloned());
        list.extend(self.extra_trusted_origins.iter().cloned());
        list
    }
}
