//! Email verification (spec §5.22, §7.1): `POST /send-verification-email`, `GET /verify-email`
//! with stateless HS256 tokens byte-compatible with upstream's, and the mails sent on sign-up
//! and sign-in.

use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::context::Call;
use crate::crypto::{JwtError, sign_jwt, verify_jwt};
use crate::db::models::User;
use crate::error::{ApiError, ErrorCode, OrInternal, codes};
use crate::middleware::trusted_origins::is_trusted;
use crate::routes::Reply;
use crate::routes::session::{create_session, resolve_session, set_session_cookie};
use crate::time_util::now_ms;
use crate::validate::BodyReader;

pub const SEND_VERIFICATION_EMAIL: &str = "emailVerification.sendVerificationEmail";
const BEFORE_VERIFICATION: &str = "emailVerification.beforeEmailVerification";
const AFTER_VERIFICATION: &str = "emailVerification.afterEmailVerification";

fn encode_uri_component(s: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-').remove(b'_').remove(b'.').remove(b'!').remove(b'~').remove(b'*').remove(b'\'').remove(b'(').remove(b')');
    percent_encoding::utf8_percent_encode(s, SET).to_string()
}

/// Mints the token and calls `sendVerificationEmail({ user, url, token })`.
pub async fn send_verification_mail(call: &Call<'_>, user: &User, callback_url: Option<&str>) -> Result<(), ApiError> {
    let ctx = call.ctx;
    let mut claims = Map::new();
    claims.insert("email".into(), user.email.to_lowercase().into());
    claims.insert("userId".into(), user.id.clone().into());
    let token = sign_jwt(ctx.secret(), claims, now_ms() / 1000, ctx.options.email_verification.expires_in);
    let url = format!(
        "{}/verify-email?token={token}&callbackURL={}",
        call.base_url(),
        encode_uri_component(callback_url.filter(|c| !c.is_empty()).unwrap_or("/"))
    );
    call.call_back(SEND_VERIFICATION_EMAIL, vec![json!({ "user": user, "url": url, "token": token })])
        .await
        .map_err(|_| ApiError::internal())
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

/// `GET /verify-email?token=...&callbackURL=...`.
pub async fn verify_email(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let query_string = |key: &str| call.query.get(key).and_then(Value::as_str).map(str::to_owned);
    let Some(token) = query_string("token") else {
        return Err(ApiError::validation("[query.token] Invalid input: expected string, received undefined"));
    };
    let callback_url = query_string("callbackURL").filter(|c| !c.is_empty());
    let ctx = call.ctx;
    if let Some(url) = &callback_url {
        if call.http && !ctx.options.disable_origin_check && !is_trusted(url, &call.trusted_origins(), true) {
            ctx.logger.error(&format!("Invalid callbackURL: {url}"));
            return Err(ApiError::new(403, codes::INVALID_CALLBACK_URL));
        }
    }
    // Failures redirect to callbackURL with `?error=CODE` when there is one, else 401 JSON.
    let fail = |code: ErrorCode| match &callback_url {
        Some(url) => {
            let sep = if url.contains('?') { '&' } else { '?' };
            ApiError::redirect(format!("{url}{sep}error={}", code.code))
        }
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
    // Change-email tokens (`updateTo`) belong to the change-email flow, not supported yet.
    if claims.contains_key("updateTo") {
        return Err(fail(codes::INVALID_TOKEN));
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
    let updated = ctx.db.set_email_verified(&user.id, now_ms()).await.or_internal(&ctx.logger, "verify-email")?;
    let updated = updated.unwrap_or(User { email_verified: true, ..user.clone() });
    if ctx.has_function(AFTER_VERIFICATION) {
        call.call_back(AFTER_VERIFICATION, vec![json!(updated)]).await.map_err(|_| ApiError::internal())?;
    }
    if ctx.options.email_verification.auto_sign_in_after_verification {
        match resolve_session(call, false).await.ok().flatten() {
            Some((session, current)) if current.email == email => set_session_cookie(call, &session, None),
            _ => {
                let session = create_session(call, &user.id, false).await.map_err(|e| {
                    ctx.logger.error(&format!("verify-email: {e}"));
                    ApiError::new(500, codes::FAILED_TO_CREATE_SESSION)
                })?;
                set_session_cookie(call, &session, None);
            }
        }
    }
    done()
}
