//! `multiSession` (upstream's `packages/better-auth/src/plugins/multi-session/index.ts`): one
//! browser signed in to several accounts. Each session also gets its own signed cookie,
//! `<session_token name>_multi-<lower-cased token>`; the endpoints list them, switch the active
//! one and revoke one; sign-out ends them all.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::context::Call;
use crate::db::models::{Session, User};
use crate::error::{ApiError, OrInternal};
use crate::options::OptionsError;
use crate::plugins::{Hook, HookKind, Plugin, PluginOptions};
use crate::routes::session::{delete_session_cookie, require_headers, require_session, session_json, set_session_cookie};
use crate::routes::{Endpoint, Reply};
use crate::time_util::now_ms;
use crate::validate::BodyReader;
use crate::{after_hook, handler};

pub mod error_codes {
    use crate::error::ErrorCode;
    pub const INVALID_SESSION_TOKEN: ErrorCode = ErrorCode { code: "INVALID_SESSION_TOKEN", message: "Invalid session token" };
    pub const ALL: &[ErrorCode] = &[INVALID_SESSION_TOKEN];
}
use error_codes::INVALID_SESSION_TOKEN;

const MARK: &str = "_multi-";

struct Options {
    /// Compared as upstream compares (`count > maximumSessions`), so any number works.
    maximum_sessions: f64,
}

pub fn register(options: &mut PluginOptions<'_>) -> Result<Plugin, OptionsError> {
    let maximum_sessions = options.number("maximumSessions")?.unwrap_or(5.0);
    let mut plugin = Plugin::new("multi-session");
    plugin.error_codes = error_codes::ALL;
    plugin.endpoints = vec![
        Endpoint::new("listDeviceSessions", "/multi-session/list-device-sessions", &["GET"], handler!(list_device_sessions)),
        Endpoint::new("setActiveSession", "/multi-session/set-active", &["POST"], handler!(set_active))
            .describe("Set the active session")
            .body("sessionToken:string"),
        Endpoint::new("revokeDeviceSession", "/multi-session/revoke", &["POST"], handler!(revoke))
            .describe("Revoke a device session")
            .body("sessionToken:string"),
    ];
    plugin.hooks = vec![
        Hook { matcher: |_| true, run: HookKind::After(after_hook!(remember_new_session)) },
        Hook { matcher: |call| call.path == "/sign-out", run: HookKind::After(after_hook!(sign_out_all)) },
    ];
    plugin.state = Arc::new(Options { maximum_sessions });
    Ok(plugin)
}

fn options<'c>(call: &Call<'c>) -> &'c Options {
    call.ctx.options.plugins.state::<Options>("multi-session").expect("multi-session plugin state")
}

/// The per-session cookie's name (the token lower-cased, as upstream names it).
fn cookie_name(call: &Call<'_>, token: &str) -> String {
    format!("{}{MARK}{}", call.ctx.cookies.names.session_token, token.to_lowercase())
}

/// The request's `_multi-` cookie names, once each, in the header's order.
fn multi_keys(call: &Call<'_>) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for (name, _) in call.cookies.pairs() {
        if name.contains(MARK) && !keys.iter().any(|k| k == name) {
            keys.push(name.to_owned());
        }
    }
    keys
}

/// The tokens of the validly signed `_multi-` cookies (forged ones are skipped).
fn signed_tokens(call: &Call<'_>) -> Vec<String> {
    let secret = call.ctx.secret();
    multi_keys(call).iter().filter_map(|k| call.cookies.get_signed(k, secret).map(str::to_owned)).collect()
}

/// Upstream's `findSessions`: the sessions of `tokens` that exist, in the tokens' order
/// (each token once), unexpired ones only.
async fn live_sessions(call: &Call<'_>, tokens: &[String]) -> Result<Vec<(Session, User)>, ApiError> {
    let ctx = call.ctx;
    let now = now_ms();
    let mut seen: Vec<&str> = Vec::new();
    let mut found = Vec::new();
    for token in tokens {
        if seen.contains(&token.as_str()) {
            continue;
        }
        seen.push(token);
        if let Some((session, user)) = ctx.db.find_session(token).await.or_internal(&ctx.logger, "multi-session")?
            && session.expires_at > now
        {
            found.push((session, user));
        }
    }
    Ok(found)
}

/// Upstream's `internalAdapter.deleteSessions`, with `databaseHooks.session.delete`.
async fn delete_sessions(call: &Call<'_>, tokens: &[String]) -> Result<(), ApiError> {
    let ctx = call.ctx;
    if crate::routes::db_hooks::has_hooks(call, "session", "delete") {
        let mut sessions = Vec::new();
        for token in tokens {
            if let Some((session, _)) = ctx.db.find_session(token).await.or_internal(&ctx.logger, "multi-session")? {
                sessions.push(session);
            }
        }
        return crate::routes::db_hooks::delete_sessions(call, &sessions).await;
    }
    for token in tokens {
        ctx.db.delete_session(token).await.or_internal(&ctx.logger, "multi-session")?;
    }
    Ok(())
}

/// Expires a cookie with the session cookie's attributes (upstream's `expireCookie`).
fn expire(call: &mut Call<'_>, name: &str) {
    let attrs = call.ctx.cookies.attributes.clone();
    call.out.cookies.expire(name, &attrs);
}

/// `{ sessionToken }` and the token of the multi cookie it names (401 when there is none).
fn named_cookie(call: &Call<'_>) -> Result<(String, String), ApiError> {
    let mut body = BodyReader::object(&call.body);
    let token = body.string("sessionToken");
    body.finish()?;
    require_headers(call)?;
    let name = cookie_name(call, &token);
    match call.cookies.get_signed(&name, call.ctx.secret()) {
        Some(signed) => Ok((name, signed.to_owned())),
        None => Err(ApiError::new(401, INVALID_SESSION_TOKEN)),
    }
}

/// `GET /multi-session/list-device-sessions`: the live sessions of the multi cookies, one per
/// user (the first cookie wins). Needs no session.
async fn list_device_sessions(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    require_headers(call)?;
    if call.header("cookie").is_none_or(|c| c.is_empty()) {
        return Ok(Reply::Json(json!([])));
    }
    let tokens = signed_tokens(call);
    let mut unique: Vec<(Session, User)> = Vec::new();
    for (session, user) in live_sessions(call, &tokens).await? {
        if !unique.iter().any(|(_, u)| u.id == user.id) {
            unique.push((session, user));
        }
    }
    Ok(Reply::Json(Value::Array(unique.iter().map(|(s, u)| session_json(s, u)).collect())))
}

/// `POST /multi-session/set-active`: makes the session of a multi cookie the active one. The
/// session is the cookie's signed value, never the body's token.
async fn set_active(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let (name, token) = named_cookie(call)?;
    let ctx = call.ctx;
    let found = ctx.db.find_session(&token).await.or_internal(&ctx.logger, "multi-session")?;
    let Some((session, user)) = found.filter(|(s, _)| s.expires_at >= now_ms()) else {
        // The stale cookie goes with the error, as upstream.
        expire(call, &name);
        return Err(ApiError::new(401, INVALID_SESSION_TOKEN));
    };
    set_session_cookie(call, &session, &user, None).await;
    Ok(Reply::Json(session_json(&session, &user)))
}

/// `POST /multi-session/revoke`: ends the session of a multi cookie; revoking the active one
/// makes the next live multi session active (or signs out).
async fn revoke(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    // Body first, then the session middleware, as better-call validates before `use`.
    let mut body = BodyReader::object(&call.body);
    body.string("sessionToken");
    body.finish()?;
    let (current, _) = require_session(call).await?;
    let (name, token) = named_cookie(call)?;
    delete_sessions(call, std::slice::from_ref(&token)).await?;
    expire(call, &name);
    if current.token != token {
        return Ok(Reply::Json(json!({ "status": true })));
    }
    let tokens = if call.header("cookie").is_some_and(|c| !c.is_empty()) { signed_tokens(call) } else { Vec::new() };
    let next = if tokens.is_empty() { None } else { live_sessions(call, &tokens).await?.into_iter().next() };
    match next {
        Some((session, user)) => set_session_cookie(call, &session, &user, None).await,
        None => delete_session_cookie(call),
    }
    Ok(Reply::Json(json!({ "status": true })))
}

/// Every `Set-Cookie` the response carries so far (the endpoint's and `hooks.after`'s).
fn response_set_cookies(call: &Call<'_>) -> Vec<String> {
    let mut all: Vec<String> = call.out.cookies.header_values().map(str::to_owned).collect();
    all.extend(call.out.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie")).map(|(_, v)| v.clone()));
    all
}

/// After every endpoint that set a session cookie: the new session gets its multi cookie; the
/// same user's older multi sessions on this device are expired and deleted; past
/// `maximumSessions` the new one is silently left out of the list.
async fn remember_new_session(call: &mut Call<'_>, result: Result<Reply, ApiError>) -> Result<Reply, ApiError> {
    let set_cookies = response_set_cookies(call);
    if set_cookies.is_empty() {
        return result;
    }
    let Some(issued) = call.issued_session.as_deref() else { return result };
    let (new_token, new_user) = (issued.0.token.clone(), issued.1.id.clone());
    let name = cookie_name(call, &new_token);
    let in_response =
        set_cookies.iter().any(|c| c.split(';').next().and_then(|p| p.split_once('=')).is_some_and(|(n, _)| n.trim() == name));
    if in_response || call.cookies.get(&name).is_some_and(|v| !v.is_empty()) {
        return result;
    }
    let ctx = call.ctx;
    let keys = multi_keys(call);
    let mut to_delete = Vec::new();
    for key in &keys {
        let Some(token) = call.cookies.get_signed(key, ctx.secret()).map(str::to_owned) else { continue };
        let owner = match ctx.db.find_session(&token).await {
            Ok(found) => found.map(|(_, u)| u.id),
            Err(e) => {
                ctx.logger.error(&format!("multi-session: {e}"));
                return Err(ApiError::internal());
            }
        };
        if owner.as_deref() == Some(new_user.as_str()) {
            to_delete.push(token);
            expire(call, key);
        }
    }
    if !to_delete.is_empty()
        && let Err(e) = delete_sessions(call, &to_delete).await
    {
        return Err(e);
    }
    let token_name = &ctx.cookies.names.session_token;
    let sets_session = set_cookies.iter().any(|c| c.contains(token_name.as_str()));
    let count = (keys.len() - to_delete.len().min(keys.len()) + usize::from(sets_session)) as f64;
    if count > options(call).maximum_sessions {
        return result;
    }
    let attrs = ctx.cookies.attributes.clone();
    call.out.cookies.set_signed(&name, &new_token, Some(ctx.options.session.expires_in), &attrs, ctx.secret());
    result
}

/// After `/sign-out`: every validly signed multi cookie is expired and its session deleted
/// (every account on the device is signed out). Forged cookies are left alone.
async fn sign_out_all(call: &mut Call<'_>, result: Result<Reply, ApiError>) -> Result<Reply, ApiError> {
    if call.header("cookie").is_none_or(|c| c.is_empty()) {
        return result;
    }
    let secret = call.ctx.secret();
    let mut tokens = Vec::new();
    for key in multi_keys(call) {
        let Some(token) = call.cookies.get_signed(&key, secret).map(str::to_owned) else { continue };
        // Upstream expires the lower-cased name, `__Secure-` restored.
        let expired = key.to_lowercase().replacen("__secure-", "__Secure-", 1);
        expire(call, &expired);
        tokens.push(token);
    }
    if !tokens.is_empty() {
        delete_sessions(call, &tokens).await?;
    }
    result
}
