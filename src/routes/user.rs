//! The signed-in user's own account: `update-user`, `change-email`, `change-password`,
//! `verify-password` and the server-only `setPassword`
//! (`packages/better-auth/src/api/routes/update-user.ts`, `password.ts`).

use serde_json::{Value, json};

use crate::context::Call;
use crate::crypto::generate_id;
use crate::db::models::CredentialAccount;
use crate::error::{ApiError, OrInternal, codes};
use crate::fields::Mode;
use crate::routes::db_hooks;
use crate::routes::email_verification::{SEND_VERIFICATION_EMAIL, send_verification_mail, verification_token, verification_url};
use crate::routes::session::{create_session, require_session, set_session_cookie};
use crate::routes::{Reply, check_password_length};
use crate::time_util::now_ms;
use crate::validate::{BodyReader, MAX_IMAGE_URL_LENGTH, MAX_NAME_LENGTH, is_truthy};

/// `POST /update-user`: name and image (additional fields come with `user.additionalFields`).
pub async fn update_user(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let mut body = BodyReader::record(&call.body);
    let name = body.value("name").cloned();
    let image = body.value("image").cloned();
    let email = body.value("email").cloned();
    // Beyond upstream, which stores whatever it is given: name is a string, image a string or null.
    if name.as_ref().is_some_and(|v| !v.is_string()) {
        body.optional_string("name");
    }
    if image.as_ref().is_some_and(|v| !v.is_string() && !v.is_null()) {
        body.optional_string("image");
    }
    body.at_most("name", name.as_ref().and_then(Value::as_str).unwrap_or(""), MAX_NAME_LENGTH);
    body.at_most("image", image.as_ref().and_then(Value::as_str).unwrap_or(""), MAX_IMAGE_URL_LENGTH);
    body.finish()?;
    let (session, user) = require_session(call).await?;
    if email.as_ref().is_some_and(is_truthy) {
        return Err(ApiError::bad_request(codes::EMAIL_CAN_NOT_BE_UPDATED));
    }
    let ctx = call.ctx;
    let empty = serde_json::Map::new();
    let fields = ctx.field_input("user", call.body.as_object().unwrap_or(&empty), Mode::Update).await?;
    if name.is_none() && image.is_none() && fields.is_empty() {
        return Err(ApiError::message_only(400, "No fields to update"));
    }
    // `databaseHooks.user.update.before` sees the changes; `false` leaves the user as it was.
    let mut changes = serde_json::Map::new();
    if let Some(name) = &name {
        changes.insert("name".into(), name.clone());
    }
    if let Some(image) = &image {
        changes.insert("image".into(), image.clone());
    }
    changes.extend(fields.clone());
    let (name, image, fields) = match db_hooks::before(call, "user", "update", Value::Object(changes.clone())).await {
        Ok(db_hooks::Before::Abort) => {
            set_session_cookie(call, &session, &user, None).await;
            return Ok(Reply::Json(json!({ "status": true })));
        }
        Ok(db_hooks::Before::Proceed(data)) => {
            changes.extend(data);
            let name = changes.get("name").filter(|v| v.is_string()).cloned();
            let image = changes.get("image").filter(|v| v.is_string() || v.is_null()).cloned();
            let fields: serde_json::Map<String, Value> = changes
                .into_iter()
                .filter(|(k, _)| fields.contains_key(k) || ctx.options.user_fields.iter().any(|f| &f.name == k))
                .collect();
            (name, image, fields)
        }
        Err(thrown) => return Err(thrown.or(ApiError::internal())),
    };
    let new_image = image.as_ref().map(Value::as_str);
    let updated = ctx
        .db
        .update_user(&user.id, name.as_ref().and_then(Value::as_str), new_image, &fields, now_ms())
        .await
        .or_internal(&ctx.logger, "update-user")?;
    let Some(updated) = updated else {
        return Err(ApiError::new(400, codes::FAILED_TO_UPDATE_USER));
    };
    db_hooks::after(call, "user", "update", db_hooks::row_json(&updated, &updated.hidden)).await.map_err(|t| t.or(ApiError::internal()))?;
    set_session_cookie(call, &session, &updated, None).await;
    Ok(Reply::Json(json!({ "status": true })))
}

/// `POST /change-password`, optionally ending every other session.
pub async fn change_password(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let mut body = BodyReader::object(&call.body);
    let new_password = body.string("newPassword");
    let current_password = body.string("currentPassword");
    let revoke_other_sessions = body.optional_bool("revokeOtherSessions").unwrap_or(false);
    body.finish()?;
    let (_, user) = require_session(call).await?;
    let ctx = call.ctx;
    check_password_length(ctx, &new_password, true)?;
    check_password_length(ctx, &current_password, false)?;
    let account = ctx.db.find_credential_account(&user.id).await.or_internal(&ctx.logger, "change-password")?;
    let Some((account_id, Some(stored))) = account else {
        return Err(ApiError::bad_request(codes::CREDENTIAL_ACCOUNT_NOT_FOUND));
    };
    let new_hash = ctx.hash_password(&new_password).await.or_internal(&ctx.logger, "change-password hash")?;
    if !ctx.verify_password(&current_password, &stored).await.or_internal(&ctx.logger, "change-password verify")? {
        return Err(ApiError::bad_request(codes::INVALID_PASSWORD));
    }
    // `databaseHooks.account.update.before` may keep the old password; sessions are revoked anyway.
    let allowed = db_hooks::allowed(call, "account", "update", json!({ "password": new_hash }), ApiError::internal()).await?;
    if allowed {
        ctx.db
            .change_password(&user.id, &account_id, &new_hash, revoke_other_sessions, now_ms())
            .await
            .or_internal(&ctx.logger, "change-password update")?;
    } else if revoke_other_sessions {
        ctx.db.delete_user_sessions(&user.id, None).await.or_internal(&ctx.logger, "change-password revoke")?;
    }
    if allowed && db_hooks::has_hooks(call, "account", "update") {
        let rows = ctx.db.account_rows(&user.id).await.or_internal(&ctx.logger, "change-password")?;
        if let Some(row) = rows.into_iter().find(|r| r["id"] == account_id.as_str()) {
            db_hooks::after_or_error(call, "account", "update", row).await?;
        }
    }
    let mut token = Value::Null;
    if revoke_other_sessions {
        let session =
            create_session(call, &user.id, false).await.map_err(|e| crate::routes::session::session_creation_failed(call, 500, e))?;
        set_session_cookie(call, &session, &user, None).await;
        token = json!(session.token);
    }
    Ok(Reply::Json(json!({ "token": token, "user": user })))
}

/// `POST /verify-password`: is this the signed-in user's password?
pub async fn verify_password(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let mut body = BodyReader::object(&call.body);
    let password = body.string("password");
    body.finish()?;
    let (_, user) = require_session(call).await?;
    let ctx = call.ctx;
    let account = ctx.db.find_credential_account(&user.id).await.or_internal(&ctx.logger, "verify-password")?;
    let valid = match account {
        Some((_, Some(stored))) => ctx.verify_password(&password, &stored).await.or_internal(&ctx.logger, "verify-password")?,
        _ => false,
    };
    if !valid {
        return Err(ApiError::bad_request(codes::INVALID_PASSWORD));
    }
    Ok(Reply::Json(json!({ "status": true })))
}

/// `auth.api.setPassword` (server only): a first password for a user who has none.
pub async fn set_password(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let mut body = BodyReader::object(&call.body);
    let new_password = body.string("newPassword");
    body.finish()?;
    let (_, user) = require_session(call).await?;
    let ctx = call.ctx;
    check_password_length(ctx, &new_password, true)?;
    let account = ctx.db.find_credential_account(&user.id).await.or_internal(&ctx.logger, "set-password")?;
    let hash = ctx.hash_password(&new_password).await.or_internal(&ctx.logger, "set-password hash")?;
    let now = now_ms();
    match account {
        None => {
            let account = CredentialAccount { id: generate_id(), user_id: user.id.clone(), password_hash: hash, created_at: now };
            ctx.db.create_credential_account(&account).await.or_internal(&ctx.logger, "set-password create")?;
        }
        Some((account_id, None)) => {
            ctx.db.set_account_password(&account_id, &hash, now).await.or_internal(&ctx.logger, "set-password update")?;
        }
        Some((_, Some(_))) => return Err(ApiError::bad_request(codes::PASSWORD_ALREADY_SET)),
    }
    Ok(Reply::Json(json!({ "status": true })))
}

const SEND_CHANGE_EMAIL_CONFIRMATION: &str = "user.changeEmail.sendChangeEmailConfirmation";

/// `POST /change-email`: directly for unverified users when allowed, else through
/// a confirmation mail to the old address or a verification mail to the new one.
pub async fn change_email(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let mut body = BodyReader::object(&call.body);
    let new_email = body.email("newEmail");
    let callback_url = body.optional_string("callbackURL");
    body.finish()?;
    let (session, user) = require_session(call).await?;
    let ctx = call.ctx;
    if !ctx.options.change_email.enabled {
        ctx.logger.error("Change email is disabled.");
        return Err(ApiError::bad_request(codes::CHANGE_EMAIL_DISABLED));
    }
    let new_email = new_email.to_lowercase();
    if new_email == user.email {
        return Err(ApiError::message_only(400, "Email is the same"));
    }
    let without_verification = !user.email_verified && ctx.options.change_email.update_without_verification;
    let can_send_verification = ctx.has_function(SEND_VERIFICATION_EMAIL);
    let can_send_confirmation = can_send_verification && user.email_verified && ctx.has_function(SEND_CHANGE_EMAIL_CONFIRMATION);
    if !without_verification && !can_send_confirmation && !can_send_verification {
        ctx.logger.error("Verification email isn't enabled.");
        return Err(ApiError::message_only(400, "Verification email isn't enabled"));
    }
    let ok = || Reply::Json(json!({ "status": true }));
    if ctx.db.find_user_by_email(&new_email).await.or_internal(&ctx.logger, "change-email")?.is_some() {
        // Same work and answer as a real change: the address's owner stays unknown.
        let _ = verification_token(call, &user.email, Some(&new_email), None, &user.id);
        ctx.logger.info("Change email attempt for existing email");
        return Ok(ok());
    }
    if without_verification {
        // Refused by `databaseHooks.user.update.before`: answered as done, the email unchanged.
        if !db_hooks::allowed(call, "user", "update", json!({ "email": new_email }), ApiError::internal()).await? {
            set_session_cookie(call, &session, &user, None).await;
            return Ok(ok());
        }
        let updated = ctx.db.update_user_email(&user.id, &new_email, false, now_ms()).await;
        let updated = match updated {
            Ok(u) => u,
            Err(e) if e.is_unique_violation() => return Ok(ok()),
            Err(e) => {
                ctx.logger.error(&format!("change-email: {e}"));
                return Err(ApiError::internal());
            }
        };
        if let Some(updated) = &updated {
            db_hooks::after_or_error(call, "user", "update", db_hooks::row_json(updated, &updated.hidden)).await?;
        }
        set_session_cookie(call, &session, updated.as_ref().unwrap_or(&user), None).await;
        if can_send_verification && let Some(updated) = updated {
            send_verification_mail(call, &updated, callback_url.as_deref()).await?;
        }
        return Ok(ok());
    }
    if can_send_confirmation {
        let token = verification_token(call, &user.email, Some(&new_email), Some("change-email-confirmation"), &user.id);
        let url = verification_url(call, &token, callback_url.as_deref());
        call.call_back(SEND_CHANGE_EMAIL_CONFIRMATION, vec![json!({ "user": user, "newEmail": new_email, "url": url, "token": token })])
            .await
            .map_err(|_| ApiError::internal())?;
        return Ok(ok());
    }
    let token = verification_token(call, &user.email, Some(&new_email), Some("change-email-verification"), &user.id);
    let url = verification_url(call, &token, callback_url.as_deref());
    let to_new = crate::db::models::User { email: new_email, ..user };
    call.call_back(SEND_VERIFICATION_EMAIL, vec![json!({ "user": to_new, "url": url, "token": token })])
        .await
        .map_err(|_| ApiError::internal())?;
    Ok(ok())
}
