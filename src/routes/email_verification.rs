//! Email verification (`packages/better-auth/src/api/routes/email-verification.ts`):
//! `POST /send-verification-email`, `GET /verify-email` with stateless HS256 tokens byte-compatible
//! with upstream's, and the mails sent on sign-up and sign-in.

use std::time::Duration;

use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Map, Value, json};

use crate::context::Call;
use crate::crypto::{JwtError, sign_jwt, verify_jwt};
use crate::db::models::User;
use crate::error::{ApiError, ErrorCode, OrInternal, codes};
use crate::http::encode_uri_component;
use crate::middleware::origin_check::check_callback_url;
use crate::routes::Reply;
use crate::routes::session::{create_session, resolve_session, set_session_cookie};
use crate::time_util::now_ms;
use crate::validate::BodyReader;

pub const SEND_VERIFICATION_EMAIL: &str = "emailVerification.sendVerificationEmail";
const BEFORE_VERIFICATION: &str = "emailVerification.beforeEmailVerification";
const AFTER_VERIFICATION: &str = "emailVerification.afterEmailVerification";

/// Upstream's `createEmailVerificationToken`: `{ email, updateTo?, requestType?, userId }`.
pub fn verification_token(call: &Call<'_>, email: &str, update_to: Option<&str>, request_type: Option<&str>, user_id: &str) -> String {
    let mut claims = Map::new();
    claims.insert("email".into(), email.to_lowercase().into());
    if let Some(update_to) = update_to {
        claims.insert("updateTo".into(), update_to.to_lowercase().into());
    }
    if let Some(request_type) = request_type {
        claims.insert("requestType".into(), request_type.into());
    }
    claims.insert("userId".into(), user_id.into());
    sign_jwt(call.ctx.secret(), claims, now_ms() / 1000, call.ctx.options.email_verification.expires_in)
}

/// `<baseURL>/verify-email?token=...&callbackURL=...` (callbackURL defaults to `/`).
pub fn verification_url(call: &Call<'_>, token: &str, callback_url: Option<&str>) -> String {
    format!(
        "{}/verify-email?token={token}&callbackURL={}",
        call.base_url(),
        encode_uri_component(callback_url.filter(|c| !c.is_empty()).unwrap_or("/"))
    )
}

/// Mints a plain verification token and calls `sendVerificationEmail({ user, url, token })`.
pub async fn send_verification_mail(call: &Call<'_>, user: &User, callback_url: Option<&str>) -> Result<(), ApiError> {
    let token = verification_token(call, &user.email, None, None, &user.id);
    let url = verification_url(call, &token, callback_url);
    call.call_back(SEND_VERIFICATION_EMAIL, vec![json!({ "user": user, "url": url, "token": token })])
        .await
        .map_err(|_| ApiError::internal())
}

/// What [`send_verification_mail`] costs, for `user` as a stand-in, with no mail sent.
pub async fn stand_in_verification_mail(call: &Call<'_>, user: &User, callback_url: Option<&str>) {
    let token = verification_token(call, &user.email, None, None, &user.id);
    let url = verification_url(call, &token, callback_url);
    call.event_loop_round_trip(vec![json!({ "user": user, "url": url, "token": token })]).await;
}

pub async fn send_verification_email(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let mut body = BodyReader::object(&call.body);
    let email = body.email("email");
    let callback_url = body.optional_string("callbackURL");
    body.finish()?;
    let ctx = call.ctx;
    if !ctx.has_function(SEND_VERIFICATION_EMAIL) {
        ctx.logger.error("Verification email isn't enabled.");
        return Err(ApiError::bad_request(codes::VERIFICATION_EMAIL_NOT_ENABLED));
    }
    let session = resolve_session(call, false).await.ok().flatten();
    let Some((_, user)) = session else {
        // Signed out: the same answer, no sooner than 500 ms, whether or not the email is known.
        let started = tokio::time::Instant::now();
        let found = ctx.db.find_user_by_email(&email.to_lowercase()).await.or_internal(&ctx.logger, "send-verification-email");
        let result = match found {
            Ok(Some(user)) if !user.email_verified => send_verification_mail(call, &user, callback_url.as_deref()).await,
            Ok(_) => Ok(()),
            Err(e) => Err(e),
        };
        tokio::time::sleep_until(started + Duration::from_millis(500)).await;
        result?;
        return Ok(Reply::Json(json!({ "status": true })));
    };
    if user.email.to_lowercase() != email.to_lowercase() {
        return Err(ApiError::bad_request(codes::EMAIL_MISMATCH));
    }
    if user.email_verified {
        return Err(ApiError::bad_request(codes::EMAIL_ALREADY_VERIFIED));
    }
    send_verification_mail(call, &user, callback_url.as_deref()).await?;
    Ok(Reply::Json(json!({ "status": true })))
}

/// The change-email branches of `/verify-email`: the old address confirmed, the
/// new address verified, or the legacy direct change.
async fn verify_email_change(
    call: &mut Call<'_>,
    email: &str,
    update_to: &str,
    request_type: Option<&str>,
    user_id: Option<&str>,
    callback_url: Option<String>,
    fail: impl Fn(ErrorCode) -> ApiError,
) -> Result<Reply, ApiError> {
    let ctx = call.ctx;
    let Some(user_id) = user_id else { return Err(fail(codes::INVALID_TOKEN)) };
    let Some(bound) = ctx.db.find_user_by_id(user_id).await.or_internal(&ctx.logger, "verify-email")? else {
        return Err(fail(codes::USER_NOT_FOUND));
    };
    if bound.email.to_lowercase() != email {
        return Err(fail(codes::INVALID_TOKEN));
    }
    let session = resolve_session(call, false).await.ok().flatten();
    if session.as_ref().is_some_and(|(_, current)| current.id != bound.id) {
        return Err(fail(codes::INVALID_USER));
    }
    let respond = |body: Value| match &callback_url {
        Some(url) => Err(ApiError::redirect(url.clone())),
        None => Ok(Reply::Json(body)),
    };
    match request_type {
        Some("change-email-confirmation") => {
            let token = verification_token(call, email, Some(update_to), Some("change-email-verification"), &bound.id);
            let url = verification_url(call, &token, callback_url.as_deref());
            if ctx.has_function(SEND_VERIFICATION_EMAIL) {
                let user = User { email: update_to.to_owned(), ..bound.clone() };
                call.call_back(SEND_VERIFICATION_EMAIL, vec![json!({ "user": user, "url": url, "token": token })])
                    .await
                    .map_err(|_| ApiError::internal())?;
            }
            respond(json!({ "status": true }))
        }
        Some("change-email-verification") => {
            let verified = bound.email_verified;
            let lost = AtomicBool::new(false);
            let updated = update_user_hooked(call, json!({ "email": update_to, "emailVerified": verified }), async |ctx| {
                claimed(ctx.db.change_user_email(&bound.id, email, update_to, verified, now_ms()).await, &lost)
            })
            .await?;
            if lost.load(Ordering::Relaxed) {
                return Err(fail(codes::INVALID_TOKEN));
            }
            // The session cookie (and its cache) carry the stored user; the answer, upstream's.
            let stored = updated.clone().unwrap_or_else(|| bound.clone());
            let updated = updated.unwrap_or(User { email: update_to.to_owned(), ..bound.clone() });
            if verified && ctx.has_function(AFTER_VERIFICATION) {
                call.call_back(AFTER_VERIFICATION, vec![json!(updated)]).await.map_err(|_| ApiError::internal())?;
            }
            if let Some((session, _)) = &session {
                set_session_cookie(call, session, &stored, None).await;
            }
            respond(json!({ "status": true, "user": updated }))
        }
        _ => {
            let lost = AtomicBool::new(false);
            let updated = update_user_hooked(call, json!({ "email": update_to, "emailVerified": false }), async |ctx| {
                claimed(ctx.db.change_user_email(&bound.id, email, update_to, false, now_ms()).await, &lost)
            })
            .await?;
            if lost.load(Ordering::Relaxed) {
                return Err(fail(codes::INVALID_TOKEN));
            }
            let stored = updated.clone().unwrap_or_else(|| bound.clone());
            let updated = updated.unwrap_or(User { email: update_to.to_owned(), email_verified: false, ..bound.clone() });
            if ctx.has_function(SEND_VERIFICATION_EMAIL) {
                send_verification_mail(call, &updated, callback_url.as_deref()).await?;
            }
            if let Some((session, _)) = &session {
                set_session_cookie(call, session, &stored, None).await;
            }
            respond(json!({ "status": true, "user": updated }))
        }
    }
}

/// `GET /verify-email?token=...&callbackURL=...`.
pub async fn verify_email(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let query_string = |key: &str| call.query.get(key).and_then(Value::as_str).map(str::to_owned);
    let Some(token) = query_string("token") else {
        return Err(ApiError::validation("[query.token] Invalid input: expected string, received undefined"));
    };
    let callback_url = query_string("callbackURL").filter(|c| !c.is_empty());
    let ctx = call.ctx;
    check_callback_url(call, callback_url.as_deref().unwrap_or(""))?;
    // Failures redirect to callbackURL with `?error=CODE` when there is one, else 401 JSON.
    let fail = |code: ErrorCode| match &callback_url {
        Some(url) => ApiError::redirect(crate::http::with_query(url, &[("error", code.code)])),
        None => ApiError::new(401, code),
    };
    let claims = match verify_jwt(ctx.secret(), &token, now_ms() / 1000) {
        Ok(claims) => claims,
        Err(JwtError::Expired) => return Err(fail(codes::TOKEN_EXPIRED)),
        Err(JwtError::Invalid) => return Err(fail(codes::INVALID_TOKEN)),
    };
    let Some(email) = claims.get("email").and_then(Value::as_str).filter(|e| crate::validate::is_valid_email(e)) else {
        return Err(ApiError::empty(500));
    };
    if let Some(update_to) = claims.get("updateTo").and_then(Value::as_str) {
        let update_to = update_to.to_owned();
        let request_type = claims.get("requestType").and_then(Value::as_str).map(str::to_owned);
        let user_id = claims.get("userId").and_then(Value::as_str).map(str::to_owned);
        return verify_email_change(call, email, &update_to, request_type.as_deref(), user_id.as_deref(), callback_url.clone(), fail).await;
    }
    let Some(user) = ctx.db.find_user_by_email(&email.to_lowercase()).await.or_internal(&ctx.logger, "verify-email")? else {
        return Err(fail(codes::USER_NOT_FOUND));
    };
    if claims.get("userId").and_then(Value::as_str).is_some_and(|id| id != user.id) {
        return Err(fail(codes::INVALID_TOKEN));
    }
    let done = || match &callback_url {
        Some(url) => Err(ApiError::redirect(url.clone())),
        None => Ok(Reply::Json(json!({ "status": true, "user": null }))),
    };
    if user.email_verified {
        return done();
    }
    if ctx.has_function(BEFORE_VERIFICATION) {
        call.call_back(BEFORE_VERIFICATION, vec![json!(user)]).await.map_err(|_| ApiError::internal())?;
    }
    let updated =
        update_user_hooked(call, json!({ "emailVerified": true }), async |ctx| ctx.db.set_email_verified(&user.id, now_ms()).await).await?;
    let stored = updated.clone().unwrap_or_else(|| user.clone());
    let updated = updated.unwrap_or(User { email_verified: true, ..user.clone() });
    if ctx.has_function(AFTER_VERIFICATION) {
        call.call_back(AFTER_VERIFICATION, vec![json!(updated)]).await.map_err(|_| ApiError::internal())?;
    }
    if ctx.options.email_verification.auto_sign_in_after_verification {
        match resolve_session(call, false).await.ok().flatten() {
            Some((session, current)) if current.email == email => set_session_cookie(call, &session, &stored, None).await,
            _ => {
                let session = create_session(call, &user.id, false)
                    .await
                    .map_err(|e| crate::routes::session::session_creation_failed(call, 500, e))?;
                set_session_cookie(call, &session, &stored, None).await;
            }
        }
    }
    done()
}

/// A conditional email change's result: a lost race (the link was already used) is noted in
/// `lost`, so the caller answers as for a used token.
fn claimed(result: Result<Option<User>, crate::db::DbError>, lost: &AtomicBool) -> Result<Option<User>, crate::db::DbError> {
    let user = result?;
    if user.is_none() {
        lost.store(true, Ordering::Relaxed);
    }
    Ok(user)
}

/// A user update with `databaseHooks.user.update` around it: `None` when the before hook
/// refused it (the caller goes on with what it expected), else the stored user.
async fn update_user_hooked<F>(call: &Call<'_>, changes: Value, update: F) -> Result<Option<User>, ApiError>
where
    F: AsyncFnOnce(&crate::context::AuthContext) -> Result<Option<User>, crate::db::DbError>,
{
    let ctx = call.ctx;
    if !crate::routes::db_hooks::allowed(call, "user", "update", changes, ApiError::internal()).await? {
        return Ok(None);
    }
    let updated = update(ctx).await.or_internal(&ctx.logger, "verify-email")?;
    if let Some(updated) = &updated {
        crate::routes::db_hooks::after_or_error(call, "user", "update", crate::routes::db_hooks::row_json(updated, &updated.hidden))
            .await?;
    }
    Ok(updated)
}
