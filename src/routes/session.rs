//! Sessions: creation and cookies (`packages/better-auth/src/cookies/index.ts`),
//! `GET /get-session`, the session middlewares, and listing and revoking sessions
//! (`packages/better-auth/src/api/routes/session.ts`).

use serde_json::{Value, json};

use crate::client_ip::client_ip;
use crate::context::Call;
use crate::cookie_cache::{self, Version};
use crate::crypto::generate_id;
use crate::db::DbError;
use crate::db::models::{Session, User};
use crate::error::{ApiError, OrInternal, codes};
use crate::fields::Mode;
use crate::routes::Reply;
use crate::routes::db_hooks;
use crate::time_util::now_ms;
use crate::validate::{BodyReader, query_bool};

/// "Don't remember me" sessions live a day and their cookie ends with the browser session.
const DONT_REMEMBER_SECONDS: i64 = 60 * 60 * 24;

/// Why a session could not be created.
pub enum SessionFailure {
    Db(DbError),
    /// `databaseHooks.session.create.before` returned `false`.
    Refused,
    Hook(db_hooks::Thrown),
    /// A function `defaultValue` of `session.additionalFields` failed.
    Default,
}

impl std::fmt::Display for SessionFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SessionFailure::Db(e) => e.fmt(f),
            SessionFailure::Refused => f.write_str("refused by databaseHooks.session.create.before"),
            SessionFailure::Hook(_) => f.write_str("a databaseHooks.session.create hook threw"),
            SessionFailure::Default => f.write_str("a session.additionalFields defaultValue failed"),
        }
    }
}

impl From<DbError> for SessionFailure {
    fn from(e: DbError) -> Self {
        SessionFailure::Db(e)
    }
}

/// Creates and stores a session, with `databaseHooks.session.create` before and after.
pub async fn create_session(call: &Call<'_>, user_id: &str, dont_remember: bool) -> Result<Session, SessionFailure> {
    let session = store_new_session(call, user_id, dont_remember).await?;
    db_hooks::after_create(call, "session", db_hooks::row_json(&session, &session.hidden)).await.map_err(SessionFailure::Hook)?;
    Ok(session)
}

/// [`create_session`] without the `after` hook, for callers that run it later (sign-up runs
/// the user's, the account's and then the session's, after everything is stored).
pub async fn store_new_session(call: &Call<'_>, user_id: &str, dont_remember: bool) -> Result<Session, SessionFailure> {
    // `session.additionalFields` defaults (function ones called for each session, as upstream).
    let defaults = call.ctx.field_input("session", &serde_json::Map::new(), Mode::Create).await.map_err(|_| SessionFailure::Default)?;
    let (extra, hidden) = crate::db::split_fields(&call.ctx.options.session_fields, defaults);
    let now = now_ms();
    let lifetime = if dont_remember { DONT_REMEMBER_SECONDS } else { call.ctx.options.session.expires_in };
    let dev = call.ctx.options.development;
    let session = Session {
        id: generate_id(),
        expires_at: now + lifetime * 1000,
        token: generate_id(),
        created_at: now,
        updated_at: now,
        ip_address: Some(call.headers.as_ref().and_then(|h| client_ip(h, &call.ctx.options.ip, dev)).unwrap_or_default()),
        user_agent: Some(call.header("user-agent").unwrap_or_default()),
        user_id: user_id.to_owned(),
        extra,
        hidden,
    };
    let mut session = session;
    match db_hooks::before_create(call, "session", db_hooks::row_json(&session, &session.hidden)).await {
        Ok(db_hooks::Before::Abort) => return Err(SessionFailure::Refused),
        Ok(db_hooks::Before::Proceed(data)) => db_hooks::merge_session(&mut session, &data, &call.ctx.options.session_fields),
        Err(thrown) => return Err(SessionFailure::Hook(thrown)),
    }
    call.ctx.db.create_session(&session).await?;
    Ok(session)
}

/// Upstream's `setSessionCookie`: the signed token, the signed `dont_remember` marker, and
/// the cookie cache when it is on.
pub async fn set_session_cookie(call: &mut Call<'_>, session: &Session, user: &User, dont_remember: Option<bool>) {
    let ctx = call.ctx;
    let names = &ctx.cookies.names;
    let dont_remember = dont_remember.unwrap_or_else(|| call.cookies.get_signed(&names.dont_remember, ctx.secret()).is_some());
    let max_age = (!dont_remember).then_some(ctx.options.session.expires_in);
    let attrs = &ctx.cookies.attributes;
    call.out.cookies.set_signed(&names.session_token, &session.token, max_age, attrs, ctx.secret());
    if dont_remember {
        call.out.cookies.set_signed(&names.dont_remember, "true", None, attrs, ctx.secret());
    }
    write_cookie_cache(call, session, user, dont_remember).await;
    call.note_session(true, session, user);
}

/// Upstream's `setCookieCache`: `{ session, user, updatedAt, version }` into `session_data`
/// (chunked when it would not fit one cookie).
pub async fn write_cookie_cache(call: &mut Call<'_>, session: &Session, user: &User, dont_remember: bool) {
    let ctx = call.ctx;
    let Some(cache) = &ctx.options.session.cookie_cache else { return };
    let version = cookie_cache_version(call, &cache.version, json!(session), json!(user)).await;
    let now = now_ms();
    let payload = json!({ "session": session, "user": user, "updatedAt": now, "version": version });
    let Value::Object(payload) = payload else { return };
    let max_age = (!dont_remember).then_some(cache.max_age);
    let value = cookie_cache::encode(cache.strategy, ctx.secret(), &payload, max_age, now);
    set_chunked(call, &ctx.cookies.names.session_data, &value, max_age);
}

/// `session.cookieCache.version`: the string, or what the function returns for this session
/// (`"1"` when it returns no string or throws).
async fn cookie_cache_version(call: &Call<'_>, version: &Version, session: Value, user: Value) -> String {
    match version {
        Version::Static(v) => v.clone(),
        Version::Function => match call.ctx.call_option(&["session", "cookieCache", "version"], vec![session, user]).await {
            Ok(Value::String(v)) => v,
            _ => "1".to_owned(),
        },
    }
}

/// Sets a cookie whose value may need several cookies (`name.0`, `name.1`, ...), expiring the
/// request's other pieces of it.
fn set_chunked(call: &mut Call<'_>, name: &str, value: &str, max_age: Option<i64>) {
    let attrs = &call.ctx.cookies.attributes;
    let chunk_size =
        cookie_cache::MAX_COOKIE_SIZE.saturating_sub(crate::cookies::serialized_len(&format!("{name}.99"), "", max_age, attrs));
    let sent: Vec<String> = (0..cookie_cache::MAX_CHUNKS).map(|i| format!("{name}.{i}")).take_while(|n| call.cookies.contains(n)).collect();
    if value.len() <= chunk_size {
        for chunk in &sent {
            call.out.cookies.expire(chunk, attrs);
        }
        call.out.cookies.set(name, value, max_age, attrs);
        return;
    }
    let count = value.len().div_ceil(chunk_size.max(1));
    if count > cookie_cache::MAX_CHUNKS {
        call.ctx.logger.warn("the session is too large for the cookie cache; it is not cached");
        // An older cache must not outlive this one.
        expire_session_data(call);
        return;
    }
    if call.cookies.contains(name) {
        call.out.cookies.expire(name, attrs);
    }
    for chunk in sent.iter().skip(count) {
        call.out.cookies.expire(chunk, attrs);
    }
    for (i, piece) in value.as_bytes().chunks(chunk_size).enumerate() {
        call.out.cookies.set(&format!("{name}.{i}"), std::str::from_utf8(piece).unwrap_or_default(), max_age, attrs);
    }
}

/// A cookie that may come in chunks: `name`, else `name.0`, `name.1`, ... joined.
fn read_chunked(call: &Call<'_>, name: &str) -> Option<String> {
    if let Some(v) = call.cookies.get(name) {
        return Some(v.to_owned());
    }
    let pieces: Vec<&str> = (0..cookie_cache::MAX_CHUNKS).map_while(|i| call.cookies.get(&format!("{name}.{i}"))).collect();
    (!pieces.is_empty()).then(|| pieces.concat())
}

/// `get-session` from the cookie cache, when it is on, intact and current: the session the
/// signed token names, the configured version, neither it nor the cache expired. A cache that
/// fails any of that is expired, and the store answers instead.
async fn cached_session(call: &mut Call<'_>) -> Option<(Session, User)> {
    let ctx = call.ctx;
    let cache = ctx.options.session.cookie_cache.as_ref()?;
    if query_bool(&call.query, "disableCookieCache") {
        return None;
    }
    let token = call.cookies.get_signed(&ctx.cookies.names.session_token, ctx.secret())?.to_owned();
    let raw = read_chunked(call, &ctx.cookies.names.session_data)?;
    let now = now_ms();
    let Some((payload, expires_at)) = cookie_cache::decode(cache.strategy, ctx.secret(), &raw, now) else {
        expire_session_data(call);
        return None;
    };
    let found = crate::db::secondary::session_and_user_from_json(
        &payload["session"],
        &payload["user"],
        &ctx.options.session_fields,
        &ctx.options.user_fields,
    );
    let expected_version = cookie_cache_version(call, &cache.version, payload["session"].clone(), payload["user"].clone()).await;
    let version = payload.get("version").and_then(Value::as_str).unwrap_or("1");
    match found {
        Some((session, user))
            if session.token == token && version == expected_version && expires_at >= now && session.expires_at >= now =>
        {
            Some((session, user))
        }
        _ => {
            expire_session_data(call);
            None
        }
    }
}

/// Upstream's `deleteSessionCookie`: expires the token, the cache and the don't-remember marker.
pub fn delete_session_cookie(call: &mut Call<'_>) {
    expire_session_cookies(call);
    let ctx = call.ctx;
    call.out.cookies.expire(&ctx.cookies.names.dont_remember, &ctx.cookies.attributes);
}

/// `deleteSessionCookie(ctx, skipDontRememberMe = true)`: the token and the cache only (a
/// second factor keeps the marker for the session it issues later).
pub fn expire_session_cookies(call: &mut Call<'_>) {
    let ctx = call.ctx;
    call.out.cookies.expire(&ctx.cookies.names.session_token, &ctx.cookies.attributes);
    expire_session_data(call);
}

/// Expires the cookie cache: `session_data` and the `.0`, `.1`, ... chunks the client holds.
fn expire_session_data(call: &mut Call<'_>) {
    let ctx = call.ctx;
    let base = &ctx.cookies.names.session_data;
    call.out.cookies.expire(base, &ctx.cookies.attributes);
    for i in 0..100 {
        let name = format!("{base}.{i}");
        if !call.cookies.contains(&name) {
            break;
        }
        call.out.cookies.expire(&name, &ctx.cookies.attributes);
    }
}

pub fn session_json(session: &Session, user: &User) -> Value {
    json!({ "session": session, "user": user })
}

pub async fn get_session(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    call.out.set_header("cache-control", "no-store");
    call.out.set_header("pragma", "no-cache");
    require_headers(call)?;
    if call.method == "POST" {
        return Err(ApiError::new(405, codes::METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED));
    }
    if let Some((session, user)) = cached_session(call).await {
        call.note_session(false, &session, &user);
        return Ok(Reply::Json(session_json(&session, &user)));
    }
    let disable_refresh = query_bool(&call.query, "disableRefresh");
    Ok(Reply::Json(match resolve_session(call, disable_refresh).await? {
        Some((session, user)) => {
            call.note_session(false, &session, &user);
            session_json(&session, &user)
        }
        None => Value::Null,
    }))
}

/// better-call's `requireHeaders`: an `auth.api` call without `headers` is a validation error.
pub fn require_headers(call: &Call<'_>) -> Result<(), ApiError> {
    if call.headers.is_none() {
        return Err(ApiError::validation("Headers is required"));
    }
    Ok(())
}

/// The session the request's signed cookie names, refreshing it when due; refreshed or
/// cleared cookies go into the response.
pub async fn resolve_session(call: &mut Call<'_>, disable_refresh: bool) -> Result<Option<(Session, User)>, ApiError> {
    let ctx = call.ctx;
    let names = &ctx.cookies.names;
    // The cookie cache is off: a leftover `session_data` is cleared, as upstream does.
    if ctx.options.session.cookie_cache.is_none()
        && (call.cookies.contains(&names.session_data) || call.cookies.contains(&format!("{}.0", names.session_data)))
    {
        expire_session_data(call);
    }
    let Some(token) = call.cookies.get_signed(&names.session_token, ctx.secret()).map(str::to_owned) else {
        return Ok(None);
    };
    let failed = |e: DbError| {
        ctx.logger.error(&format!("INTERNAL_SERVER_ERROR: {e}"));
        ApiError::new(500, codes::FAILED_TO_GET_SESSION)
    };
    let found = ctx.db.find_session(&token).await.map_err(failed)?;
    let now = now_ms();
    let (session, user) = match found {
        Some((s, u)) if s.expires_at >= now => (s, u),
        expired => {
            delete_session_cookie(call);
            if expired.is_some() {
                ctx.db.delete_session(&token).await.map_err(failed)?;
            }
            return Ok(None);
        }
    };
    let dont_remember = call.cookies.get_signed(&names.dont_remember, ctx.secret()).is_some();
    if dont_remember || disable_refresh {
        return Ok(Some((session, user)));
    }
    let opts = &ctx.options.session;
    let due = session.expires_at - opts.expires_in * 1000 + opts.update_age * 1000;
    if due > now {
        write_cookie_cache(call, &session, &user, false).await;
        return Ok(Some((session, user)));
    }
    let expires_at = now + opts.expires_in * 1000;
    let changes = json!({ "expiresAt": crate::time_util::to_iso(expires_at), "updatedAt": crate::time_util::to_iso(now) });
    match db_hooks::before(call, "session", "update", changes).await {
        Ok(db_hooks::Before::Abort) => {
            delete_session_cookie(call);
            return Err(ApiError::new(401, codes::FAILED_TO_GET_SESSION));
        }
        Ok(db_hooks::Before::Proceed(_)) => {}
        Err(thrown) => return Err(thrown.or(ApiError::new(500, codes::FAILED_TO_GET_SESSION))),
    }
    if !ctx.db.refresh_session(&token, expires_at, now).await.map_err(failed)? {
        delete_session_cookie(call);
        return Err(ApiError::new(401, codes::FAILED_TO_GET_SESSION));
    }
    let refreshed = Session { expires_at, updated_at: now, ..session };
    db_hooks::after(call, "session", "update", db_hooks::row_json(&refreshed, &refreshed.hidden))
        .await
        .map_err(|t| t.or(ApiError::new(500, codes::FAILED_TO_GET_SESSION)))?;
    set_session_cookie(call, &refreshed, &user, Some(false)).await;
    Ok(Some((refreshed, user)))
}

/// Upstream's `sessionMiddleware` (and `sensitiveSessionMiddleware`: with no cookie cache,
/// every read is already authoritative): 401 without a valid session.
pub async fn require_session(call: &mut Call<'_>) -> Result<(Session, User), ApiError> {
    require_headers(call)?;
    match resolve_session(call, false).await {
        Ok(Some(found)) => {
            call.note_session(false, &found.0, &found.1);
            Ok(found)
        }
        // Upstream treats a failed lookup here as "no session".
        Ok(None) | Err(_) => Err(ApiError::unauthorized()),
    }
}

/// `freshSessionMiddleware`: the session must be younger than `session.freshAge` (0: always).
pub async fn require_fresh_session(call: &mut Call<'_>) -> Result<(Session, User), ApiError> {
    let (session, user) = require_session(call).await?;
    let fresh_age = call.ctx.options.session.fresh_age;
    if fresh_age != 0 && now_ms() - session.created_at >= fresh_age * 1000 {
        return Err(ApiError::new(403, codes::SESSION_NOT_FRESH));
    }
    Ok((session, user))
}

/// `GET /list-sessions`: the user's unexpired sessions.
pub async fn list_sessions(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let (_, user) = require_fresh_session(call).await?;
    let ctx = call.ctx;
    let now = now_ms();
    let sessions = ctx.db.list_sessions(&user.id).await.map_err(|e| {
        ctx.logger.error(&format!("list-sessions: {e}"));
        ApiError::empty(500)
    })?;
    let active: Vec<&Session> = sessions.iter().filter(|s| s.expires_at > now).collect();
    Ok(Reply::Json(json!(active)))
}

/// `POST /update-session`: sets `session.additionalFields` that take input (others are dropped).
pub async fn update_session(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    BodyReader::record(&call.body).finish()?;
    let (session, user) = require_session(call).await?;
    let ctx = call.ctx;
    let empty = serde_json::Map::new();
    let fields = ctx.field_input("session", call.body.as_object().unwrap_or(&empty), Mode::Update).await?;
    if fields.is_empty() {
        return Err(ApiError::message_only(400, "No fields to update"));
    }
    let updated = ctx.db.update_session_fields(&session.token, &fields, now_ms()).await.or_internal(&ctx.logger, "update-session")?;
    let Some(updated) = updated else {
        delete_session_cookie(call);
        return Err(ApiError::new(401, codes::FAILED_TO_GET_SESSION));
    };
    set_session_cookie(call, &updated, &user, None).await;
    Ok(Reply::Json(json!({ "session": updated })))
}

/// `POST /revoke-session`: deletes one of the caller's sessions (silently nothing otherwise).
pub async fn revoke_session(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let (current, user) = require_session(call).await?;
    let mut body = BodyReader::object(&call.body);
    let token = body.string("token");
    body.finish()?;
    let ctx = call.ctx;
    if db_hooks::has_hooks(call, "session", "delete") {
        let found = ctx.db.find_session(&token).await.or_internal(&ctx.logger, "revoke-session")?;
        let mine: Vec<Session> = found.into_iter().map(|(s, _)| s).filter(|s| s.user_id == user.id).collect();
        db_hooks::delete_sessions(call, &mine).await?;
    } else {
        ctx.db.delete_user_session(&token, &user.id).await.or_internal(&ctx.logger, "revoke-session")?;
    }
    if token == current.token {
        delete_session_cookie(call);
    }
    Ok(Reply::Json(json!({ "status": true })))
}

/// `POST /revoke-sessions`: every session of the caller, the current one included.
pub async fn revoke_sessions(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let (_, user) = require_session(call).await?;
    let ctx = call.ctx;
    if db_hooks::has_hooks(call, "session", "delete") {
        let sessions = ctx.db.list_sessions(&user.id).await.or_internal(&ctx.logger, "revoke-sessions")?;
        db_hooks::delete_sessions(call, &sessions).await?;
    } else {
        ctx.db.delete_user_sessions(&user.id, None).await.or_internal(&ctx.logger, "revoke-sessions")?;
    }
    delete_session_cookie(call);
    Ok(Reply::Json(json!({ "status": true })))
}

/// `POST /revoke-other-sessions`: every session of the caller but the current one.
pub async fn revoke_other_sessions(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let (current, user) = require_session(call).await?;
    let ctx = call.ctx;
    if db_hooks::has_hooks(call, "session", "delete") {
        let mut sessions = ctx.db.list_sessions(&user.id).await.or_internal(&ctx.logger, "revoke-other-sessions")?;
        sessions.retain(|s| s.token != current.token);
        db_hooks::delete_sessions(call, &sessions).await?;
    } else {
        ctx.db.delete_user_sessions(&user.id, Some(&current.token)).await.or_internal(&ctx.logger, "revoke-other-sessions")?;
    }
    Ok(Reply::Json(json!({ "status": true })))
}

/// Maps a failed session insert to the endpoint's error, logging the cause.
pub fn session_creation_failed(call: &Call<'_>, status: u16, e: SessionFailure) -> ApiError {
    match e {
        SessionFailure::Hook(thrown) => thrown.or(ApiError::new(status, codes::FAILED_TO_CREATE_SESSION)),
        SessionFailure::Refused => ApiError::new(400, codes::FAILED_TO_CREATE_SESSION),
        other => {
            call.ctx.logger.error(&format!("Failed to create session: {other}"));
            ApiError::new(status, codes::FAILED_TO_CREATE_SESSION)
        }
    }
}
