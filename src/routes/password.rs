//! Password reset (`packages/better-auth/src/api/routes/password.ts`):
//! `POST /request-password-reset`, `GET /reset-password/:token` and `POST /reset-password`, with
//! single-use tokens and the same answer for unknown emails.

use serde_json::{Value, json};
use url::Url;

use crate::context::Call;
use crate::crypto::random_string;
use crate::error::{ApiError, OrInternal, codes, extra_codes};
use crate::http::encode_uri_component;
use crate::middleware::origin_check::check_callback_url;
use crate::routes::db_hooks;
use crate::routes::{Reply, check_password_length};
use crate::time_util::now_ms;
use crate::validate::BodyReader;

const SEND_RESET_PASSWORD: &str = "emailAndPassword.sendResetPassword";
const ON_PASSWORD_RESET: &str = "emailAndPassword.onPasswordReset";
const GENERIC_ANSWER: &str = "If this email exists in our system, check your email for the reset link";

fn reset_identifier(token: &str) -> String {
    format!("reset-password:{token}")
}

pub async fn request_password_reset(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let mut body = BodyReader::object(&call.body);
    let email = body.email("email");
    let redirect_to = body.optional_string("redirectTo");
    body.finish()?;
    let ctx = call.ctx;
    if !ctx.has_function(SEND_RESET_PASSWORD) {
        ctx.logger.error("Reset password isn't enabled. Pass an emailAndPassword.sendResetPassword function in your auth config.");
        return Err(ApiError::new(400, extra_codes::RESET_PASSWORD_DISABLED));
    }
    let generic = || Reply::Json(json!({ "status": true, "message": GENERIC_ANSWER }));
    let Some(user) = ctx.db.find_user_by_email(&email.to_lowercase()).await.or_internal(&ctx.logger, "request-password-reset")? else {
        // Upstream only reads a dummy value here; a known email writes a token and calls the
        // mailer, which a timing measurement tells apart. So the same work on stand-ins: a
        // verification value, and a trip to the event loop with an argument shaped like the
        // mailer's.
        crate::routes::write_stand_in_verification(ctx, "reset-password-unknown").await;
        let token = random_string(24);
        let url = format!("{}/reset-password/{token}?callbackURL=", call.base_url());
        let stand_in = json!({ "id": crate::crypto::generate_id(), "email": email, "name": "", "emailVerified": false, "image": null });
        call.event_loop_round_trip(vec![json!({ "user": stand_in, "url": url, "token": token })]).await;
        ctx.logger.warn("Reset Password: User not found");
        return Ok(generic());
    };
    let token = random_string(24);
    let expires_at = now_ms() + ctx.options.email_reset.token_expires_in * 1000;
    if !crate::routes::db_hooks::create_verification(call, &reset_identifier(&token), &user.id, expires_at).await? {
        return Ok(generic());
    }
    let callback = redirect_to.as_deref().map(encode_uri_component).unwrap_or_default();
    let url = format!("{}/reset-password/{token}?callbackURL={callback}", call.base_url());
    // A failing mailer is logged (by `call_back`), not answered: the answer must not tell a
    // known address from an unknown one (upstream answers `{ status: true }` too).
    let _ = call.call_back(SEND_RESET_PASSWORD, vec![json!({ "user": user, "url": url, "token": token })]).await;
    Ok(generic())
}

/// `callbackURL` resolved against the base URL, with `key=value` set in its query.
fn with_query(base_url: &str, target: &str, key: &str, value: &str) -> String {
    let Ok(mut url) = Url::parse(base_url).and_then(|base| base.join(target)) else { return target.to_owned() };
    let kept: Vec<(String, String)> = url.query_pairs().filter(|(k, _)| k != key).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    url.query_pairs_mut().clear().extend_pairs(kept).append_pair(key, value);
    url.to_string()
}

/// `GET /reset-password/:token?callbackURL=...`: the link in the mail; redirects only.
pub async fn reset_password_callback(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let callback_url = match call.query.get("callbackURL") {
        Some(Value::String(s)) => s.clone(),
        other => {
            let received = if other.is_none() { "undefined" } else { "array" };
            return Err(ApiError::validation(format!("[query.callbackURL] Invalid input: expected string, received {received}")));
        }
    };
    let ctx = call.ctx;
    check_callback_url(call, &callback_url)?;
    let base_url = call.base_url();
    let token = call.param("token").unwrap_or("").to_owned();
    if token.is_empty() || callback_url.is_empty() {
        return Err(ApiError::redirect(format!("{base_url}/error?error=INVALID_TOKEN")));
    }
    let found = ctx.db.find_verification(&reset_identifier(&token)).await.or_internal(&ctx.logger, "reset-password callback")?;
    match found {
        Some((_, expires_at)) if expires_at >= now_ms() => Err(ApiError::redirect(with_query(&base_url, &callback_url, "token", &token))),
        _ => Err(ApiError::redirect(with_query(&base_url, &callback_url, "error", "INVALID_TOKEN"))),
    }
}

/// `POST /reset-password`: sets the new password with a token, once.
pub async fn reset_password(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let mut body = BodyReader::object(&call.body);
    let new_password = body.string("newPassword");
    let body_token = body.optional_string("token");
    body.finish()?;
    let ctx = call.ctx;
    let token = body_token
        .filter(|t| !t.is_empty())
        .or_else(|| call.query.get("token").and_then(Value::as_str).map(str::to_owned))
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::bad_request(codes::INVALID_TOKEN))?;
    check_password_length(ctx, &new_password, true)?;
    let identifier = reset_identifier(&token);
    let now = now_ms();
    let Some((user_id, expires_at)) = ctx.db.find_verification(&identifier).await.or_internal(&ctx.logger, "reset-password")? else {
        return Err(ApiError::bad_request(codes::INVALID_TOKEN));
    };
    if expires_at < now {
        return Err(ApiError::bad_request(codes::INVALID_TOKEN));
    }
    let Some(user) = ctx.db.find_user_by_id(&user_id).await.or_internal(&ctx.logger, "reset-password")? else {
        return Err(ApiError::bad_request(codes::USER_NOT_FOUND));
    };
    let hash = ctx.hash_password(&new_password).await.or_internal(&ctx.logger, "reset-password hash")?;
    let revoke = ctx.options.email_reset.revoke_sessions_on_reset;
    let hooked = db_hooks::has_hooks(call, "verification", "delete") || db_hooks::has_hooks(call, "account", "update");
    let token_row = if hooked { ctx.db.verification_row(&identifier).await.or_internal(&ctx.logger, "reset-password")? } else { None };
    if let Some(row) = &token_row {
        // Upstream's order: the token's delete, then the password's update, each before the other's after.
        if !db_hooks::allowed(call, "verification", "delete", row.clone(), ApiError::internal()).await? {
            return Err(ApiError::bad_request(codes::INVALID_TOKEN));
        }
        if !db_hooks::allowed(call, "account", "update", json!({ "password": hash }), ApiError::internal()).await? {
            // The password stays; the token is spent all the same.
            ctx.db.delete_verification(&identifier).await.or_internal(&ctx.logger, "reset-password")?;
            db_hooks::after_or_error(call, "verification", "delete", row.clone()).await?;
            return Ok(Reply::Json(json!({ "status": true })));
        }
    }
    // The token is consumed in the same transaction: of two concurrent resets only one wins.
    if !ctx.db.reset_password_with_token(&identifier, &user.id, &hash, revoke, now).await.or_internal(&ctx.logger, "reset-password")? {
        return Err(ApiError::bad_request(codes::INVALID_TOKEN));
    }
    if let Some(row) = token_row {
        db_hooks::after_or_error(call, "verification", "delete", row).await?;
        // An update of many rows: upstream's after hook gets the count.
        db_hooks::after_or_error(call, "account", "update", json!(1)).await?;
    }
    if ctx.has_function(ON_PASSWORD_RESET) {
        call.call_back(ON_PASSWORD_RESET, vec![json!({ "user": user })]).await.map_err(|_| ApiError::internal())?;
    }
    Ok(Reply::Json(json!({ "status": true })))
}
