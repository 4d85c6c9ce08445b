//! Sessions: creation and cookies (spec §6.1), `GET /get-session` (§6.3).

use serde_json::{Value, json};

use crate::client_ip::client_ip;
use crate::context::Call;
use crate::crypto::generate_id;
use crate::db::DbError;
use crate::db::models::{Session, User};
use crate::error::{ApiError, codes};
use crate::routes::Reply;
use crate::time_util::now_ms;
use crate::validate::query_bool;

/// "Don't remember me" sessions live a day and their cookie ends with the browser session.
const DONT_REMEMBER_SECONDS: i64 = 60 * 60 * 24;

pub async fn create_session(call: &Call<'_>, user_id: &str, dont_remember: bool) -> Result<Session, DbError> {
    let now = now_ms();
    let lifetime = if dont_remember { DONT_REMEMBER_SECONDS } else { call.ctx.options.session.expires_in };
    let dev = call.ctx.options.development;
    let session = Session {
        id: generate_id(),
        expires_at: now + lifetime * 1000,
        token: generate_id(),
        created_at: now,
        updated_at: now,
        ip_address: Some(call.headers.as_ref().and_then(|h| client_ip(h, dev)).unwrap_or_default()),
        user_agent: Some(call.header("user-agent").unwrap_or_default()),
        user_id: user_id.to_owned(),
    };
    call.ctx.db.create_session(&session).await?;
    Ok(session)
}

/// Upstream's `setSessionCookie`: the signed token, and the signed `dont_remember` marker.
pub fn set_session_cookie(call: &mut Call<'_>, session: &Session, dont_remember: Option<bool>) {
    let ctx = call.ctx;
    let names = &ctx.cookies.names;
    let dont_remember = dont_remember.unwrap_or_else(|| call.cookies.get_signed(&names.dont_remember, ctx.secret()).is_some());
    let max_age = (!dont_remember).then_some(ctx.options.session.expires_in);
    let attrs = &ctx.cookies.attributes;
    call.out.cookies.set_signed(&names.session_token, &session.token, max_age, attrs, ctx.secret());
    if dont_remember {
        call.out.cookies.set_signed(&names.dont_remember, "true", None, attrs, ctx.secret());
    }
}

/// Upstream's `deleteSessionCookie`: expires the token, the cache and the don't-remember marker.
pub fn delete_session_cookie(call: &mut Call<'_>) {
    let ctx = call.ctx;
    let names = &ctx.cookies.names;
    let attrs = &ctx.cookies.attributes;
    call.out.cookies.expire(&names.session_token, attrs);
    call.out.cookies.expire(&names.session_data, attrs);
    expire_session_data_chunks(call);
    call.out.cookies.expire(&names.dont_remember, attrs);
}

/// `session_data.0`, `.1`, ... chunks the client still holds.
fn expire_session_data_chunks(call: &mut Call<'_>) {
    let ctx = call.ctx;
    let base = &ctx.cookies.names.session_data;
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
    if call.headers.is_none() {
        return Err(ApiError::validation("Headers is required"));
    }
    if call.method == "POST" {
        return Err(ApiError::new(405, codes::METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED));
    }
    let ctx = call.ctx;
    let names = &ctx.cookies.names;
    // The cookie cache is off: a leftover `session_data` is cleared, as upstream does.
    if call.cookies.contains(&names.session_data) || call.cookies.contains(&format!("{}.0", names.session_data)) {
        call.out.cookies.expire(&names.session_data, &ctx.cookies.attributes);
        expire_session_data_chunks(call);
    }
    let Some(token) = call.cookies.get_signed(&names.session_token, ctx.secret()).map(str::to_owned) else {
        return Ok(Reply::Json(Value::Null));
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
            return Ok(Reply::Json(Value::Null));
        }
    };
    let dont_remember = call.cookies.get_signed(&names.dont_remember, ctx.secret()).is_some();
    let disable_refresh = query_bool(&call.query, "disableRefresh");
    if dont_remember || disable_refresh {
        return Ok(Reply::Json(session_json(&session, &user)));
    }
    let opts = &ctx.options.session;
    let due = session.expires_at - opts.expires_in * 1000 + opts.update_age * 1000;
    if due <= now {
        let expires_at = now + opts.expires_in * 1000;
        let updated = ctx.db.refresh_session(&token, expires_at, now).await.map_err(failed)?;
        if !updated {
            delete_session_cookie(call);
            return Err(ApiError::new(401, codes::FAILED_TO_GET_SESSION));
        }
        let refreshed = Session { expires_at, updated_at: now, ..session };
        set_session_cookie(call, &refreshed, Some(false));
        return Ok(Reply::Json(session_json(&refreshed, &user)));
    }
    Ok(Reply::Json(session_json(&session, &user)))
}

/// Maps a failed session insert to the endpoint's error, logging the cause.
pub fn session_creation_failed(call: &Call<'_>, status: u16, e: DbError) -> ApiError {
    call.ctx.logger.error(&format!("Failed to create session: {e}"));
    ApiError::new(status, codes::FAILED_TO_CREATE_SESSION)
}
