//! Deleting one's own account (`packages/better-auth/src/api/routes/update-user.ts`):
//! `POST /delete-user` with a password, a fresh session or a mailed link, and
//! `GET /delete-user/callback` for that link.

use serde_json::{Value, json};

use crate::context::Call;
use crate::crypto::random_lowercase_token;
use crate::db::models::User;
use crate::error::{ApiError, OrInternal, codes, extra_codes};
use crate::http::encode_uri_component;
use crate::middleware::origin_check::check_callback_url;
use crate::routes::session::{delete_session_cookie, require_session, resolve_session};
use crate::routes::{Reply, check_password_length};
use crate::time_util::now_ms;
use crate::validate::BodyReader;

const SEND_VERIFICATION: &str = "user.deleteUser.sendDeleteAccountVerification";
const BEFORE_DELETE: &str = "user.deleteUser.beforeDelete";
const AFTER_DELETE: &str = "user.deleteUser.afterDelete";

fn deleted() -> Reply {
    Reply::Json(json!({ "success": true, "message": "User deleted" }))
}

/// `beforeDelete` (may refuse by throwing), delete, clear cookies, `afterDelete`.
async fn delete_current_user(call: &mut Call<'_>, user: &User) -> Result<(), ApiError> {
    let ctx = call.ctx;
    if ctx.has_function(BEFORE_DELETE) {
        call.call_back(BEFORE_DELETE, vec![json!(user)]).await.map_err(|_| ApiError::internal())?;
    }
    if crate::routes::db_hooks::has_user_delete_hooks(call) {
        crate::routes::db_hooks::delete_user(call, user).await?;
    } else {
        ctx.db.delete_user(&user.id).await.or_internal(&ctx.logger, "delete-user")?;
    }
    delete_session_cookie(call);
    if ctx.has_function(AFTER_DELETE) {
        call.call_back(AFTER_DELETE, vec![json!(user)]).await.map_err(|_| ApiError::internal())?;
    }
    Ok(())
}

/// The token is burned whatever happens; only an unexpired one for this user deletes.
async fn delete_with_token(call: &mut Call<'_>, user: &User, token: &str) -> Result<(), ApiError> {
    let ctx = call.ctx;
    let found = ctx.db.consume_verification(&format!("delete-account-{token}")).await.or_internal(&ctx.logger, "delete-user")?;
    match found {
        Some((user_id, expires_at)) if user_id == user.id && expires_at >= now_ms() => delete_current_user(call, user).await,
        _ => Err(ApiError::new(404, codes::INVALID_TOKEN)),
    }
}

pub async fn delete_user(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let mut body = BodyReader::object(&call.body);
    let callback_url = body.optional_string("callbackURL");
    let password = body.optional_string("password");
    let token = body.optional_string("token");
    body.finish()?;
    let (session, user) = require_session(call).await?;
    let ctx = call.ctx;
    if !ctx.options.delete_user.enabled {
        ctx.logger.error("Delete user is disabled. Enable it in the options");
        return Err(ApiError::empty(404));
    }
    if let Some(password) = password.as_deref().filter(|p| !p.is_empty()) {
        check_password_length(ctx, password, false)?;
        let account = ctx.db.find_credential_account(&user.id).await.or_internal(&ctx.logger, "delete-user")?;
        let Some((_, Some(stored))) = account else {
            return Err(ApiError::bad_request(codes::CREDENTIAL_ACCOUNT_NOT_FOUND));
        };
        if !ctx.verify_password(password, &stored).await.or_internal(&ctx.logger, "delete-user")? {
            return Err(ApiError::bad_request(codes::INVALID_PASSWORD));
        }
    }
    if let Some(token) = token.filter(|t| !t.is_empty()) {
        delete_with_token(call, &user, &token).await?;
        return Ok(deleted());
    }
    if ctx.has_function(SEND_VERIFICATION) {
        let token = random_lowercase_token(32);
        let expires_at = now_ms() + ctx.options.delete_user.token_expires_in * 1000;
        if !crate::routes::db_hooks::create_verification(call, &format!("delete-account-{token}"), &user.id, expires_at).await? {
            return Err(ApiError::internal());
        }
        let target = callback_url.as_deref().filter(|c| !c.is_empty()).unwrap_or("/");
        let url = format!("{}/delete-user/callback?token={token}&callbackURL={}", call.base_url(), encode_uri_component(target));
        call.call_back(SEND_VERIFICATION, vec![json!({ "user": user, "url": url, "token": token })])
            .await
            .map_err(|_| ApiError::internal())?;
        return Ok(Reply::Json(json!({ "success": true, "message": "Verification email sent" })));
    }
    let fresh_age = ctx.options.session.fresh_age;
    if password.as_deref().is_none_or(str::is_empty) && fresh_age != 0 && now_ms() - session.created_at >= fresh_age * 1000 {
        return Err(ApiError::bad_request(codes::SESSION_EXPIRED));
    }
    delete_current_user(call, &user).await?;
    Ok(deleted())
}

/// `GET /delete-user/callback?token=...&callbackURL=...`: the mailed link; needs the session.
pub async fn delete_user_callback(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let Some(token) = call.query.get("token").and_then(Value::as_str).map(str::to_owned) else {
        return Err(ApiError::validation("[query.token] Invalid input: expected string, received undefined"));
    };
    let callback_url = call.query.get("callbackURL").and_then(Value::as_str).filter(|c| !c.is_empty()).map(str::to_owned);
    let ctx = call.ctx;
    check_callback_url(call, callback_url.as_deref().unwrap_or(""))?;
    if !ctx.options.delete_user.enabled {
        return Err(ApiError::new(404, extra_codes::NOT_FOUND));
    }
    let Some((_, user)) = resolve_session(call, false).await.ok().flatten() else {
        return Err(ApiError::new(404, codes::FAILED_TO_GET_USER_INFO));
    };
    delete_with_token(call, &user, &token).await?;
    match callback_url {
        Some(url) => Err(ApiError::redirect(url)),
        None => Ok(deleted()),
    }
}
