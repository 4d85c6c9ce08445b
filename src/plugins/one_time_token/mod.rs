//! `oneTimeToken` (upstream's `packages/better-auth/src/plugins/one-time-token`): a short-lived,
//! single-use token that stands for the caller's session (cross-domain sign-in, deep links).
//! Stored as verification value `one-time-token:<token>` whose value is the session token.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::context::Call;
use crate::error::{ApiError, OrInternal};
use crate::options::OptionsError;
use crate::plugins::{Hook, HookKind, Plugin, PluginOptions};
use crate::routes::session::{require_session, session_json, set_session_cookie};
use crate::routes::{Endpoint, Reply};
use crate::time_util::now_ms;
use crate::validate::BodyReader;
use crate::{after_hook, handler};

const PREFIX: &str = "one-time-token:";

enum StoreToken {
    Plain,
    /// base64url(SHA-256(token)), unpadded (upstream's `defaultKeyHasher`).
    Hashed,
    Custom(Vec<String>),
}

struct Options {
    expires_in_minutes: f64,
    disable_client_request: bool,
    generate_token: Option<Vec<String>>,
    disable_set_session_cookie: bool,
    store_token: StoreToken,
    set_ott_header_on_new_session: bool,
}

pub fn register(options: &mut PluginOptions<'_>) -> Result<Plugin, OptionsError> {
    let expires_in_minutes = options.number("expiresIn")?.unwrap_or(3.0);
    if expires_in_minutes < 0.0 {
        return Err(options.invalid("expiresIn", "expected minutes >= 0"));
    }
    let store_token = match options.value("storeToken").cloned() {
        None => StoreToken::Plain,
        Some(Value::String(s)) if s == "hashed" => StoreToken::Hashed,
        Some(Value::String(_)) => StoreToken::Plain,
        Some(Value::Object(custom)) if custom.get("type").and_then(Value::as_str) == Some("custom-hasher") => {
            if !custom.get("hash").is_some_and(crate::option_keys::is_function) {
                return Err(options.invalid("storeToken.hash", "expected a function"));
            }
            StoreToken::Custom(options.function_path(&["storeToken", "hash"]))
        }
        Some(_) => return Err(options.invalid("storeToken", "expected \"plain\", \"hashed\" or { type: \"custom-hasher\", hash }")),
    };
    let state = Options {
        expires_in_minutes,
        disable_client_request: options.bool("disableClientRequest")?.unwrap_or(false),
        generate_token: options.function("generateToken")?,
        disable_set_session_cookie: options.bool("disableSetSessionCookie")?.unwrap_or(false),
        store_token,
        set_ott_header_on_new_session: options.bool("setOttHeaderOnNewSession")?.unwrap_or(false),
    };
    let mut plugin = Plugin::new("one-time-token");
    plugin.endpoints = vec![
        Endpoint::new("generateOneTimeToken", "/one-time-token/generate", &["GET"], handler!(generate)),
        Endpoint::new("verifyOneTimeToken", "/one-time-token/verify", &["POST"], handler!(verify)).body("token:string"),
    ];
    if state.set_ott_header_on_new_session {
        plugin.hooks.push(Hook { matcher: |call| call.issued_session.is_some(), run: HookKind::After(after_hook!(set_ott_header)) });
    }
    plugin.state = Arc::new(state);
    Ok(plugin)
}

fn options<'c>(call: &Call<'c>) -> &'c Options {
    call.ctx.options.plugins.state::<Options>("one-time-token").expect("one-time-token plugin state")
}

/// The verification identifier a token is stored under.
async fn identifier(call: &Call<'_>, token: &str) -> Result<String, ApiError> {
    let stored = match &options(call).store_token {
        StoreToken::Plain => token.to_owned(),
        StoreToken::Hashed => {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(crate::crypto::sha256(token.as_bytes()))
        }
        StoreToken::Custom(path) => {
            let segments: Vec<&str> = path.iter().map(String::as_str).collect();
            match call.ctx.call_option(&segments, vec![json!(token)]).await {
                Ok(Value::String(s)) => s,
                _ => return Err(ApiError::internal()),
            }
        }
    };
    Ok(format!("{PREFIX}{stored}"))
}

/// A new token for `session` (`{ session, user }` as `generateToken` receives it).
async fn issue(call: &Call<'_>, session: Value) -> Result<String, ApiError> {
    let o = options(call);
    let ctx = call.ctx;
    let token = match &o.generate_token {
        None => crate::crypto::random_url_safe(32),
        Some(path) => {
            let segments: Vec<&str> = path.iter().map(String::as_str).collect();
            match ctx.call_option(&segments, vec![session.clone()]).await {
                Ok(Value::String(s)) => s,
                _ => return Err(ApiError::internal()),
            }
        }
    };
    let session_token = session.pointer("/session/token").and_then(Value::as_str).unwrap_or_default().to_owned();
    let expires_at = now_ms() + (o.expires_in_minutes * 60_000.0) as i64;
    let id = identifier(call, &token).await?;
    ctx.db.create_verification(&id, &session_token, expires_at).await.or_internal(&ctx.logger, "one-time token")?;
    Ok(token)
}

/// `GET /one-time-token/generate`: a token for the caller's current session.
async fn generate(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let (session, user) = require_session(call).await?;
    if options(call).disable_client_request && call.http {
        return Err(ApiError::message_only(400, "Client requests are disabled"));
    }
    let token = issue(call, session_json(&session, &user)).await?;
    Ok(Reply::Json(json!({ "token": token })))
}

/// `POST /one-time-token/verify`: consumes the token (first, atomically: it is spent even if
/// what follows fails) and signs the caller in to its session.
async fn verify(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let mut body = BodyReader::object(&call.body);
    let token = body.string("token");
    body.finish()?;
    let ctx = call.ctx;
    let id = identifier(call, &token).await?;
    let consumed = ctx.db.consume_verification(&id).await.or_internal(&ctx.logger, "one-time token")?;
    let Some((session_token, _)) = consumed.filter(|(_, expires_at)| *expires_at > now_ms()) else {
        return Err(ApiError::message_only(400, "Invalid token"));
    };
    let Some((session, user)) = ctx.db.find_session(&session_token).await.or_internal(&ctx.logger, "session lookup")? else {
        return Err(ApiError::message_only(400, "Session not found"));
    };
    if !options(call).disable_set_session_cookie {
        set_session_cookie(call, &session, &user, None).await;
    }
    // Checked after the cookie, as upstream: the error still carries it.
    if session.expires_at < now_ms() {
        return Err(ApiError::message_only(400, "Session expired"));
    }
    Ok(Reply::Json(session_json(&session, &user)))
}

/// `set-ott` on every response that starts a session (`setOttHeaderOnNewSession`).
async fn set_ott_header(call: &mut Call<'_>, result: Result<Reply, ApiError>) -> Result<Reply, ApiError> {
    let Some(issued) = call.issued_session.as_deref() else { return result };
    let session = session_json(&issued.0, &issued.1);
    let token = issue(call, session).await?;
    call.out.set_header("set-ott", token);
    call.out.expose_header("set-ott");
    result
}
