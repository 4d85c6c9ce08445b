//! `POST /sign-in/email` (`packages/better-auth/src/api/routes/sign-in.ts`).

use serde_json::{Map, Value, json};

use crate::context::{AuthContext, Call};
use crate::db::models::User;
use crate::error::{ApiError, OrInternal, codes, extra_codes};
use crate::middleware::origin_check::form_csrf;
use crate::routes::email_verification::{SEND_VERIFICATION_EMAIL, send_verification_mail};
use crate::routes::session::{create_session, session_creation_failed, set_session_cookie};
use crate::routes::{Reply, check_password_length};
use crate::validate::{BodyReader, is_valid_email};

pub async fn sign_in_email(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let mut body = BodyReader::object(&call.body);
    let email = body.string("email");
    let password = body.string("password");
    let callback_url = body.optional_string("callbackURL");
    let remember_me = body.optional_bool("rememberMe");
    body.finish()?;
    form_csrf(call)?;

    let ctx = call.ctx;
    if !ctx.options.email_and_password.enabled {
        ctx.logger.error("Email and password is not enabled. Make sure to enable it in the options on you `auth.ts` file.");
        return Err(ApiError::new(400, extra_codes::EMAIL_PASSWORD_DISABLED));
    }
    if !is_valid_email(&email) {
        return Err(ApiError::bad_request(codes::INVALID_EMAIL));
    }
    check_password_length(ctx, &password, false)?;
    let found = ctx.db.find_user_with_password_by("email", &email.to_lowercase()).await.or_internal(&ctx.logger, "sign-in lookup")?;
    let Some(user) = password_matches(ctx, found, &password).await? else {
        return Err(ApiError::new(401, codes::INVALID_EMAIL_OR_PASSWORD));
    };
    finish_password_sign_in(call, user, callback_url, remember_me, 401).await
}

/// The user whose stored password this is, or `None`. A missing user or password costs what a
/// wrong password does, so the answer's timing does not tell them apart.
pub async fn password_matches(ctx: &AuthContext, found: Option<(User, Option<String>)>, password: &str) -> Result<Option<User>, ApiError> {
    let (user, stored) = match found {
        Some((user, Some(stored))) => (Some(user), Some(stored)),
        _ => (None, None),
    };
    let matched = ctx.verify_sign_in_password(password, stored.as_deref()).await.or_internal(&ctx.logger, "password verification")?;
    match user {
        None => ctx.logger.warn("User not found"),
        Some(_) if !matched => ctx.logger.warn("Invalid password"),
        Some(_) => {}
    }
    Ok(user.filter(|_| matched))
}

/// After a password matched (email or username sign-in): the email-verification gate, then a
/// session, its cookie and upstream's `{ redirect, token, url?, user }` answer.
/// `session_failure`: the status when no session can be made (401 for email sign-in, 500 for
/// username sign-in, as upstream answers them).
pub async fn finish_password_sign_in(
    call: &mut Call<'_>,
    user: User,
    callback_url: Option<String>,
    remember_me: Option<bool>,
    session_failure: u16,
) -> Result<Reply, ApiError> {
    let ctx = call.ctx;
    if ctx.options.email_and_password.require_email_verification && !user.email_verified {
        if ctx.has_function(SEND_VERIFICATION_EMAIL) && ctx.options.email_verification.send_on_sign_in {
            send_verification_mail(call, &user, callback_url.as_deref()).await?;
        }
        return Err(ApiError::new(403, codes::EMAIL_NOT_VERIFIED));
    }
    let dont_remember = remember_me == Some(false);
    let session = create_session(call, &user.id, dont_remember).await.map_err(|e| session_creation_failed(call, session_failure, e))?;
    set_session_cookie(call, &session, &user, Some(dont_remember)).await;
    let mut reply = Map::new();
    reply.insert("redirect".into(), Value::Bool(callback_url.as_deref().is_some_and(|u| !u.is_empty())));
    reply.insert("token".into(), json!(session.token));
    if let Some(url) = callback_url {
        if !url.is_empty() {
            call.out.set_header("location", url.clone());
        }
        reply.insert("url".into(), Value::String(url));
    }
    reply.insert("user".into(), json!(user));
    Ok(Reply::Json(Value::Object(reply)))
}
