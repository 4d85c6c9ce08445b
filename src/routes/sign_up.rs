//! `POST /sign-up/email` (`packages/better-auth/src/api/routes/sign-up.ts`).

use serde_json::json;

use crate::context::Call;
use crate::crypto::generate_id;
use crate::db::models::{CredentialAccount, User};
use crate::db::split_fields;
use crate::error::{ApiError, OrInternal, codes, extra_codes};
use crate::fields::Mode;
use crate::middleware::origin_check::form_csrf;
use crate::routes::db_hooks::{self, Before};
use crate::routes::email_verification::{SEND_VERIFICATION_EMAIL, send_verification_mail, stand_in_verification_mail};
use crate::routes::session::{session_creation_failed, set_session_cookie, store_new_session};
use crate::routes::{Reply, check_password_length};
use crate::time_util::now_ms;
use crate::validate::{BodyReader, MAX_IMAGE_URL_LENGTH, MAX_NAME_LENGTH};

const ON_EXISTING_USER_SIGN_UP: &str = "emailAndPassword.onExistingUserSignUp";
const CUSTOM_SYNTHETIC_USER: &str = "emailAndPassword.customSyntheticUser";

/// The answer to a duplicate sign-up in generic mode: a user that looks new (fresh id), or
/// what `customSyntheticUser({ coreFields, additionalFields, id })` returns.
fn sends_verification_on_sign_up(ctx: &crate::context::AuthContext) -> bool {
    let send_on_sign_up =
        ctx.options.email_verification.send_on_sign_up.unwrap_or(ctx.options.email_and_password.require_email_verification);
    send_on_sign_up && ctx.has_function(SEND_VERIFICATION_EMAIL)
}

async fn synthetic(call: &Call<'_>, user: &User) -> Reply {
    let fake = User { id: generate_id(), ..user.clone() };
    if call.ctx.has_function(CUSTOM_SYNTHETIC_USER) {
        let mut core = serde_json::to_value(&fake).unwrap_or_default();
        if let Some(map) = core.as_object_mut() {
            map.remove("id");
            for name in fake.extra.keys() {
                map.remove(name);
            }
        }
        let args = vec![json!({ "coreFields": core, "additionalFields": fake.extra, "id": fake.id })];
        if let Ok(custom @ serde_json::Value::Object(_)) = call.ctx.call_option(&["emailAndPassword", "customSyntheticUser"], args).await {
            return Reply::Json(json!({ "token": null, "user": custom }));
        }
    }
    Reply::Json(json!({ "token": null, "user": fake }))
}

pub async fn sign_up_email(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let mut body = BodyReader::object_and_record(&call.body);
    let name = body.string("name");
    let email = body.email("email");
    let password = body.nonempty_string("password");
    let image = body.optional_string("image");
    body.at_most("name", &name, MAX_NAME_LENGTH);
    body.at_most("image", image.as_deref().unwrap_or(""), MAX_IMAGE_URL_LENGTH);
    let callback_url = body.optional_string("callbackURL");
    let remember_me = body.optional_bool("rememberMe");
    body.finish()?;
    form_csrf(call)?;

    let ctx = call.ctx;
    let opts = &ctx.options.email_and_password;
    if !opts.enabled || opts.disable_sign_up {
        return Err(ApiError::new(400, extra_codes::EMAIL_PASSWORD_SIGN_UP_DISABLED));
    }
    check_password_length(ctx, &password, true)?;
    let empty = serde_json::Map::new();
    let fields = ctx.field_input("user", call.body.as_object().unwrap_or(&empty), Mode::Create).await?;
    let (extra, hidden) = split_fields(&ctx.options.user_fields, fields);
    // Without auto sign-in upstream answers a duplicate like a success, so that sign-up
    // cannot be used to find out which emails have accounts.
    let generic_duplicates = !opts.auto_sign_in || opts.require_email_verification;
    let email = email.to_lowercase();
    let now = now_ms();
    let user = User { id: generate_id(), name, email, email_verified: false, image, created_at: now, updated_at: now, extra, hidden };
    let existing = ctx.db.find_user_by_email(&user.email).await.or_internal(&ctx.logger, "sign-up lookup")?;
    if let Some(existing) = existing {
        ctx.logger.info(&format!("Sign-up attempt for existing email: {}", user.email));
        if generic_duplicates {
            let _ = ctx.hash_password(&password).await;
            // A new user costs a database write and maybe a mail: the same work here, on
            // stand-ins, so that timing does not tell a taken email from a free one.
            crate::routes::write_stand_in_verification(ctx, "sign-up-existing").await;
            if ctx.has_function(ON_EXISTING_USER_SIGN_UP) {
                // As upstream: a failure here is logged, never shown to the caller.
                let _ = call.call_back(ON_EXISTING_USER_SIGN_UP, vec![json!({ "user": existing })]).await;
            } else if sends_verification_on_sign_up(ctx) {
                stand_in_verification_mail(call, &user, callback_url.as_deref()).await;
            }
            return Ok(synthetic(call, &user).await);
        }
        return Err(ApiError::new(422, codes::USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL));
    }
    let hash = ctx.hash_password(&password).await.map_err(|e| {
        ctx.logger.error(&format!("Failed to hash password: {e}"));
        ApiError::new(422, codes::FAILED_TO_CREATE_USER)
    })?;
    let mut user = user;
    match db_hooks::before_create(call, "user", db_hooks::row_json(&user, &user.hidden)).await {
        Ok(Before::Abort) => return Err(ApiError::new(400, codes::FAILED_TO_CREATE_USER)),
        Ok(Before::Proceed(data)) => db_hooks::merge_user(&mut user, &data, &ctx.options.user_fields),
        Err(thrown) => return Err(thrown.or(ApiError::new(422, codes::FAILED_TO_CREATE_USER))),
    }
    let account = CredentialAccount { id: generate_id(), user_id: user.id.clone(), password_hash: hash, created_at: now };
    let account_row = account_json(&account);
    // `false` from the account's before hook: the user is created without it, as upstream.
    let account = match db_hooks::before_create(call, "account", account_row.clone()).await {
        Ok(Before::Abort) => None,
        Ok(Before::Proceed(_)) => Some(account),
        Err(thrown) => return Err(thrown.or(ApiError::new(422, codes::FAILED_TO_CREATE_USER))),
    };
    if let Err(e) = ctx.db.create_user_with_credential(&user, account.as_ref()).await {
        // A concurrent sign-up with the same email loses here, on the unique index.
        if e.is_unique_violation() {
            if generic_duplicates {
                return Ok(synthetic(call, &user).await);
            }
            return Err(ApiError::new(422, codes::USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL));
        }
        ctx.logger.error(&format!("Failed to create user: {e}"));
        return Err(ApiError::new(422, codes::FAILED_TO_CREATE_USER));
    }
    if sends_verification_on_sign_up(ctx) {
        // As upstream: a failed mail is logged; the account stays created.
        let _ = send_verification_mail(call, &user, callback_url.as_deref()).await;
    }
    let created_hooks = async |call: &Call<'_>| -> Result<(), ApiError> {
        let fail = |t: db_hooks::Thrown| t.or(ApiError::empty(500));
        db_hooks::after_create(call, "user", db_hooks::row_json(&user, &user.hidden)).await.map_err(fail)?;
        if let Some(account) = &account {
            // The stored row: every column, the empty token ones too.
            let row = json!({
                "accountId": account.user_id,
                "providerId": crate::db::models::CREDENTIAL_PROVIDER,
                "userId": account.user_id,
                "accessToken": null,
                "refreshToken": null,
                "idToken": null,
                "accessTokenExpiresAt": null,
                "refreshTokenExpiresAt": null,
                "scope": null,
                "password": account.password_hash,
                "createdAt": account_row["createdAt"],
                "updatedAt": account_row["updatedAt"],
                "id": account.id,
            });
            db_hooks::after_create(call, "account", row).await.map_err(fail)?;
        }
        Ok(())
    };
    if generic_duplicates {
        created_hooks(call).await?;
        return Ok(Reply::Json(json!({ "token": null, "user": user })));
    }
    let dont_remember = remember_me == Some(false);
    let session = match store_new_session(call, &user.id, dont_remember).await {
        Ok(session) => session,
        Err(e) => {
            // Upstream creates all three in one transaction: without a session, no user.
            if let Err(db) = ctx.db.delete_user(&user.id).await {
                ctx.logger.error(&format!("sign-up: could not remove the user after the session failed: {db}"));
            }
            return Err(session_creation_failed(call, 400, e));
        }
    };
    set_session_cookie(call, &session, &user, Some(dont_remember)).await;
    created_hooks(call).await?;
    db_hooks::after_create(call, "session", db_hooks::row_json(&session, &session.hidden)).await.map_err(|t| t.or(ApiError::empty(500)))?;
    Ok(Reply::Json(json!({ "token": session.token, "user": user })))
}

/// The credential account as hooks see it (upstream's column order, `id` added when stored).
fn account_json(account: &CredentialAccount) -> serde_json::Value {
    let at = crate::time_util::to_iso(account.created_at);
    json!({
        "accountId": account.user_id,
        "providerId": crate::db::models::CREDENTIAL_PROVIDER,
        "userId": account.user_id,
        "password": account.password_hash,
        "createdAt": at,
        "updatedAt": at,
    })
}
