//! `customSession` (upstream's `packages/better-auth/src/plugins/custom-session/index.ts`): the
//! app's function reshapes what `GET /get-session` answers (and, with
//! `shouldMutateListDeviceSessionsEndpoint`, each multiSession device session). Its
//! `getSession` replaces the core's (GET only, as upstream's). Everything else that reads the
//! session still sees the raw `{ session, user }`, and so does the cookie cache.

use std::sync::Arc;

use serde_json::Value;

use crate::context::{Call, Outgoing};
use crate::error::ApiError;
use crate::options::OptionsError;
use crate::plugins::{Hook, HookKind, Plugin, PluginOptions};
use crate::routes::db_hooks::thrown;
use crate::routes::session::require_headers;
use crate::routes::{Endpoint, Reply};
use crate::{after_hook, handler};

struct Options {
    /// The app's `fn({ session, user }, ctx)`.
    reshape: Vec<String>,
}

pub fn register(options: &mut PluginOptions<'_>) -> Result<Plugin, OptionsError> {
    // `plugins.js` passes the function as `fn`, beside upstream's `pluginOptions`.
    let Some(reshape) = options.function("fn")? else {
        return Err(options.invalid("fn", "customSession needs a function: customSession(async ({ user, session }, ctx) => ({ ... }))"));
    };
    let mutate_list = options.bool("shouldMutateListDeviceSessionsEndpoint")?.unwrap_or(false);
    let mut plugin = Plugin::new("custom-session");
    // Documented as upstream's openAPI documents it: as the core's get-session.
    plugin.endpoints = vec![
        Endpoint::new("getSession", "/get-session", &["GET"], handler!(get_session))
            .describe("Get the current session")
            .operation("getSession")
            .query("disableCookieCache:boolean disableRefresh:boolean"),
    ];
    if mutate_list {
        plugin.hooks.push(Hook {
            matcher: |call| call.path == "/multi-session/list-device-sessions",
            run: HookKind::After(after_hook!(reshape_device_sessions)),
        });
    }
    plugin.state = Arc::new(Options { reshape });
    Ok(plugin)
}

fn options<'c>(call: &Call<'c>) -> &'c Options {
    call.ctx.options.plugins.state::<Options>("custom-session").expect("custom-session plugin state")
}

/// The function's answer for one `{ session, user }`; what it throws is the endpoint's error.
async fn reshape(call: &Call<'_>, session: Value) -> Result<Value, ApiError> {
    let path: Vec<&str> = options(call).reshape.iter().map(String::as_str).collect();
    call.ctx.call_option(&path, vec![session, call.context_arg()]).await.map_err(|m| thrown(&m).or(ApiError::empty(500)))
}

/// `GET /get-session`: the core's answer (same cache, refresh and cookies) through the
/// function; `null` when signed out (the function is not called).
async fn get_session(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    require_headers(call)?;
    // Upstream runs the core endpoint with `method: "GET"` whatever the call said.
    call.method = "GET".to_owned();
    // The core's headers and cookies are copied over only once the function has answered: on
    // an error (the core's or the function's) upstream's response carries none of them.
    let saved = Outgoing { cookies: call.out.cookies.clone(), headers: call.out.headers.clone() };
    let answer = match crate::routes::session::get_session(call).await {
        Ok(Reply::Json(Value::Null)) => Ok(Reply::Json(Value::Null)),
        Ok(Reply::Json(found)) => reshape(call, found).await.map(Reply::Json),
        other => other,
    };
    if answer.is_err() {
        call.out = saved;
    }
    answer
}

/// `shouldMutateListDeviceSessionsEndpoint`: each device session through the function.
async fn reshape_device_sessions(call: &mut Call<'_>, result: Result<Reply, ApiError>) -> Result<Reply, ApiError> {
    let items = match result {
        Ok(Reply::Json(Value::Array(items))) => items,
        other => return other,
    };
    let mut reshaped = Vec::with_capacity(items.len());
    for item in items {
        reshaped.push(reshape(call, item).await?);
    }
    Ok(Reply::Json(Value::Array(reshaped)))
}
