//! User functions from the options (`sendResetPassword`, `onPasswordReset`, ...), called from
//! Rust and awaited. The Node layer implements [`Callbacks`] with a thread-safe function; a
//! callback that throws or rejects comes back as `Err(message)`.

use std::future::Future;
use std::pin::Pin;

use serde_json::Value;

/// Resolves to what the function returned (awaited), as JSON.
pub type CallbackFuture = Pin<Box<dyn Future<Output = Result<Value, String>> + Send>>;

/// An argument the Node layer turns into a web `Request` (for functions upstream hands one).
pub fn request_arg(method: &str, url: &str, headers: &crate::http::Headers) -> Value {
    let flat: Vec<&str> = headers.iter().flat_map(|(n, v)| [n, v]).collect();
    serde_json::json!({ "$$request": { "method": method, "url": url, "headers": flat } })
}

pub trait Callbacks: Send + Sync {
    /// Calls the option function at `path` (its keys, e.g. `["emailAndPassword",
    /// "sendResetPassword"]`) with `args` spread as its arguments. An empty path calls
    /// nothing: the arguments are converted and `null` comes back (a round trip's cost).
    fn call(&self, path: &[&str], args: Vec<Value>) -> CallbackFuture;
}

/// For Rust callers and tests: no function options.
pub struct NoCallbacks;

impl Callbacks for NoCallbacks {
    fn call(&self, path: &[&str], _args: Vec<Value>) -> CallbackFuture {
        let message = format!("no function for option `{}`", path.join("."));
        Box::pin(async move { Err(message) })
    }
}
