//! The napi binding: one class, `NativeAuth`, wrapping the core. Each HTTP request crosses
//! into Rust once (method, URL, flat headers, body) and comes back once. JavaScript glue in
//! `lib/` turns these into `Request`/`Response`, `auth.api` results and `APIError`s.

use std::collections::HashMap;
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use serde_json::{Map, Value};

use crate::Auth;
use crate::callbacks::{CallbackFuture, Callbacks};
use crate::http::{Headers, Request};
use crate::logger::{Level, Logger};
use crate::options::Env;
use crate::router::ApiInput;

/// `(payload: string) => Promise<null>`: calls the option function named in the payload
/// (`{ path, args }` as JSON) and settles when it does.
type CallbackFn = ThreadsafeFunction<String, Promise<Value>, String, Status, false, true>;

struct NodeCallbacks(Arc<CallbackFn>);

impl Callbacks for NodeCallbacks {
    fn call(&self, path: &[&str], args: Vec<Value>) -> CallbackFuture {
        let tsfn = self.0.clone();
        let payload = serde_json::json!({ "path": path, "args": args }).to_string();
        Box::pin(async move {
            // Both a synchronous throw and a rejection arrive here as errors.
            let promise = tsfn.call_async_catch(payload).await.map_err(|e| e.reason.clone())?;
            promise.await.map_err(|e| e.reason.clone())
        })
    }
}

/// Called with one argument, `[level, message]`; unref'd so that logging never keeps Node alive.
type LogFn = ThreadsafeFunction<Vec<String>, Unknown<'static>, Vec<String>, Status, false, true>;

#[napi(object)]
pub struct NativeResponse {
    pub status: u32,
    /// `[name, value, name, value, ...]`, each `set-cookie` its own pair.
    pub headers: Vec<String>,
    pub body: Buffer,
}

impl From<crate::http::Response> for NativeResponse {
    fn from(r: crate::http::Response) -> Self {
        let mut headers = Vec::with_capacity(r.headers.len() * 2);
        for (name, value) in r.headers {
            headers.push(name);
            headers.push(value);
        }
        NativeResponse { status: r.status as u32, headers, body: r.body.into() }
    }
}

/// The statements that create upstream's schema on an empty database of `dialect`
/// (`sqlite`, `postgres`, `mysql`), for `npx better-auth-rs generate`.
#[napi]
pub fn schema_sql(dialect: String) -> Result<Vec<String>> {
    let dialect = crate::db::schema::Dialect::parse(&dialect)
        .ok_or_else(|| Error::new(Status::InvalidArg, format!("unknown dialect `{dialect}`: use sqlite, postgres or mysql")))?;
    Ok(dialect.full_schema(false))
}

#[napi]
pub struct NativeAuth {
    auth: Auth,
    warnings: Vec<String>,
}

#[napi]
impl NativeAuth {
    /// `options` is the user's object as JSON (functions as markers), `env` the variables it
    /// may fall back to, `logLevel` the minimum level (`null` when disabled), `log` the sink.
    #[napi(constructor, catch_unwind)]
    pub fn new(options: String, env: HashMap<String, String>, log_level: Option<String>, log: LogFn, callback: CallbackFn) -> Result<Self> {
        let raw: Value = serde_json::from_str(&options)
            .map_err(|e| Error::new(Status::InvalidArg, format!("better-auth-rs: options are not serializable: {e}")))?;
        let log = Arc::new(log);
        let logger = Logger::new(
            log_level.as_deref().and_then(Level::parse),
            Arc::new(move |level: Level, message: &str| {
                log.call(vec![level.as_str().to_owned(), message.to_owned()], ThreadsafeFunctionCallMode::NonBlocking);
            }),
        );
        let callbacks = Arc::new(NodeCallbacks(Arc::new(callback)));
        let (auth, warnings) = Auth::with_callbacks(&raw, &Env(env), logger, callbacks).map_err(|e| Error::new(Status::InvalidArg, e.0))?;
        Ok(NativeAuth { auth, warnings })
    }

    /// One line per upstream option accepted but not supported yet; logged by the JS glue
    /// synchronously, before `betterAuth()` returns.
    #[napi(getter)]
    pub fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }

    /// `auth.$ERROR_CODES`: `{ CODE: { code, message } }` as JSON, the core's and each plugin's.
    #[napi(getter)]
    pub fn error_codes_json(&self) -> String {
        let plugins = &self.auth.options().plugins;
        let map: Map<String, Value> = crate::error::codes::ALL
            .iter()
            .chain(plugins.error_codes())
            .map(|c| (c.code.to_owned(), serde_json::json!({ "code": c.code, "message": c.message })))
            .collect();
        Value::Object(map).to_string()
    }

    /// Every `auth.api` name for these options, from the one endpoint table.
    #[napi(getter)]
    pub fn api_names(&self) -> Vec<String> {
        self.auth.options().plugins.endpoints().iter().map(|e| e.api_name.to_owned()).collect()
    }

    /// The database URL, password hidden (for `npx better-auth-rs info`).
    #[napi(getter)]
    pub fn database_url(&self) -> String {
        crate::options::redact_url(&self.auth.options().database.url)
    }

    #[napi(getter)]
    pub fn base_path(&self) -> String {
        self.auth.options().base_path.clone()
    }

    /// Bodies longer than this are refused with 413; the Node glue stops reading there.
    #[napi(getter)]
    pub fn max_body_size(&self) -> f64 {
        self.auth.options().max_body_size as f64
    }

    /// Milliseconds the Node glue waits for a whole request body before answering 408.
    #[napi(getter)]
    pub fn body_timeout(&self) -> f64 {
        self.auth.options().body_timeout_ms as f64
    }

    /// `trustedOrigins`: what the user's `trustedOrigins` function returned for this request.
    #[napi]
    pub async fn handle(
        &self,
        method: String,
        url: String,
        headers: Vec<String>,
        body: Option<Buffer>,
        trusted_origins: Option<Vec<String>>,
    ) -> Result<NativeResponse> {
        let request = Request {
            method,
            url,
            headers: Headers::from_flat(&headers),
            body: body.map(|b| b.to_vec()),
            extra_trusted_origins: trusted_origins.unwrap_or_default(),
        };
        Ok(self.auth.handle(request).await.into())
    }

    /// `auth.api.<name>`: `input` is `{ body, query, method }` as JSON; `headers` flat, or
    /// `null` when the caller passed none. `null` result: no such endpoint.
    #[napi]
    pub async fn api(&self, name: String, input: String, headers: Option<Vec<String>>) -> Result<Option<NativeResponse>> {
        let mut input: Map<String, Value> = serde_json::from_str(&input)
            .map_err(|e| Error::new(Status::InvalidArg, format!("auth.api.{name}: arguments are not serializable: {e}")))?;
        let query = match input.remove("query") {
            Some(Value::Object(q)) => q,
            _ => Map::new(),
        };
        let api_input = ApiInput {
            name,
            body: input.remove("body").unwrap_or(Value::Null),
            query,
            headers: headers.map(|h| Headers::from_flat(&h)),
            method: input.remove("method").and_then(|m| m.as_str().map(str::to_owned)),
            params: match input.remove("params") {
                Some(Value::Object(p)) => p,
                _ => Map::new(),
            },
        };
        Ok(self.auth.call_api(api_input).await.map(Into::into))
    }

    /// The migration statements the database still needs; applied when `apply` is true.
    #[napi]
    pub async fn migrate(&self, apply: bool) -> Result<Vec<String>> {
        let result = if apply { self.auth.migrate().await } else { self.auth.pending_migrations().await };
        result.map_err(|e| Error::new(Status::GenericFailure, e.to_string()))
    }
}

/// One tokio worker: the core's work between awaits is short, and on small machines fewer
/// threads means fewer cross-thread wake-ups per request (the main cost measured in bench/).
#[napi_derive::module_init]
fn init() {
    if let Ok(runtime) = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build() {
        napi::bindgen_prelude::create_custom_tokio_runtime(runtime);
    }
}
