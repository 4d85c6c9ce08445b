//! User functions from the options (`sendResetPassword`, `onPasswordReset`, ...), called from
//! Rust and awaited. The Node layer implements [`Callbacks`] with a thread-safe function; a
//! callback that throws or rejects comes back as `Err(message)`.

use std::future::Future;
use std::pin::Pin;

use serde_json::Value;

pub type CallbackFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

pub trait Callbacks: Send + Sync {
    /// Calls the option function at `path` (e.g. `emailAndPassword.sendResetPassword`) with
    /// `args` spread as its arguments.
    fn call(&self, path: &str, args: Vec<Value>) -> CallbackFuture;
}

/// For Rust callers and tests: no function options.
pub struct NoCallbacks;

impl Callbacks for NoCallbacks {
    fn call(&self, path: &str, _args: Vec<Value>) -> CallbackFuture {
        let message = format!("no function for option `{path}`");
        Box::pin(async move { Err(message) })
    }
}
