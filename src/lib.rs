//! better-auth-rs: Better Auth's server in Rust. This crate is the core, which knows nothing of
//! Node; `src/node` (feature `node`) is the thin napi binding over it.

pub mod callbacks;
pub mod client_ip;
pub mod context;
pub mod cookie_cache;
pub mod cookies;
pub mod crypto;
pub mod db;
pub mod error;
pub mod fields;
pub mod http;
pub mod jwe;
pub mod logger;
pub mod middleware;
pub mod oauth;
pub mod option_keys;
pub mod options;
pub mod password_hash;
pub mod plugins;
pub mod router;
pub mod routes;
pub mod time_util;
pub mod validate;

#[cfg(feature = "node")]
mod node;

use std::sync::Arc;

use context::AuthContext;
use http::{Request, Response};
use logger::Logger;
use options::{AuthOptions, Env, OptionsError};
use router::ApiInput;

/// What `betterAuth(options)` builds: cheap to clone, shared by every request.
#[derive(Clone)]
pub struct Auth {
    ctx: Arc<AuthContext>,
}

impl Auth {
    /// Checks the options and prepares the context; the database is opened on first use.
    /// Returns one warning per unsupported option, for the caller to log before anything else.
    pub fn new(raw_options: &serde_json::Value, env: &Env, logger: Logger) -> Result<(Auth, Vec<String>), OptionsError> {
        Self::with_callbacks(raw_options, env, logger, Arc::new(callbacks::NoCallbacks))
    }

    /// As [`Auth::new`], with a way to call the function-valued options.
    pub fn with_callbacks(
        raw_options: &serde_json::Value,
        env: &Env,
        logger: Logger,
        callbacks: Arc<dyn callbacks::Callbacks>,
    ) -> Result<(Auth, Vec<String>), OptionsError> {
        let (options, warnings) = AuthOptions::parse(raw_options, env)?;
        Ok((Auth { ctx: Arc::new(AuthContext::new(options, logger, callbacks)) }, warnings.0))
    }

    pub fn options(&self) -> &AuthOptions {
        &self.ctx.options
    }

    pub fn context(&self) -> &AuthContext {
        &self.ctx
    }

    /// Answers one HTTP request. A panic inside becomes a 500 and is logged.
    pub async fn handle(&self, req: Request) -> Response {
        self.ctx.start_sweep();
        let ctx = self.ctx.clone();
        guard(&self.ctx.logger, tokio::spawn(async move { router::handle_http(&ctx, req).await })).await.unwrap_or_else(|panicked| panicked)
    }

    /// `auth.api.<name>(...)`; `None` when there is no such endpoint.
    pub async fn call_api(&self, input: ApiInput) -> Option<Response> {
        self.ctx.start_sweep();
        let ctx = self.ctx.clone();
        guard(&self.ctx.logger, tokio::spawn(async move { router::call_api(&ctx, input).await })).await.unwrap_or_else(Some)
    }

    pub async fn pending_migrations(&self) -> Result<Vec<String>, db::DbError> {
        self.ctx.db.pending_migrations().await
    }

    pub async fn migrate(&self) -> Result<Vec<String>, db::DbError> {
        self.ctx.db.migrate().await
    }
}

/// The task's result, or (when it panicked) the logged 500 response to send instead.
async fn guard<T>(logger: &Logger, task: tokio::task::JoinHandle<T>) -> Result<T, Response> {
    task.await.map_err(|e| {
        logger.error(&format!("request handler failed: {e}"));
        router::respond(Err(error::ApiError::internal()), context::Outgoing::default())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_becomes_a_500_json_error() {
        let logger = Logger::stderr(None);
        let response = guard::<Response>(&logger, tokio::spawn(async { panic!("boom") })).await.unwrap_err();
        assert_eq!(response.status, 500);
        assert_eq!(String::from_utf8(response.body).unwrap(), r#"{"message":"Internal Server Error","code":"INTERNAL_SERVER_ERROR"}"#);
    }
}
