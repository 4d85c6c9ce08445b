//! The user's linked accounts: `GET /list-accounts`, `POST /unlink-account`
//! (`packages/better-auth/src/api/routes/account.ts`).

use serde_json::json;

use crate::context::Call;
use crate::error::{ApiError, OrInternal, codes, extra_codes};
use crate::routes::Reply;
use crate::routes::session::{require_fresh_session, require_session};
use crate::validate::BodyReader;

pub async fn list_accounts(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let (_, user) = require_session(call).await?;
    let ctx = call.ctx;
    let accounts = ctx.db.list_accounts(&user.id).await.or_internal(&ctx.logger, "list-accounts")?;
    Ok(Reply::Json(json!(accounts)))
}

/// Unlinks by the local row id; never the user's last account.
pub async fn unlink_account(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let mut body = BodyReader::object(&call.body);
    let account_id = body.string("accountId");
    body.finish()?;
    let (_, user) = require_fresh_session(call).await?;
    let ctx = call.ctx;
    let accounts = ctx.db.list_accounts(&user.id).await.or_internal(&ctx.logger, "unlink-account")?;
    if accounts.len() == 1 {
        return Err(ApiError::bad_request(codes::FAILED_TO_UNLINK_LAST_ACCOUNT));
    }
    if !accounts.iter().any(|a| a.id == account_id) {
        return Err(ApiError::bad_request(codes::ACCOUNT_NOT_FOUND));
    }
    if crate::routes::db_hooks::has_hooks(call, "account", "delete") {
        let rows = ctx.db.account_rows(&user.id).await.or_internal(&ctx.logger, "unlink-account")?;
        let Some(row) = rows.into_iter().find(|r| r["id"] == account_id.as_str()) else {
            return Err(ApiError::bad_request(codes::ACCOUNT_NOT_FOUND));
        };
        // Refused: kept, and still `{ status: true }`, as upstream answers.
        if crate::routes::db_hooks::allowed(call, "account", "delete", row.clone(), ApiError::internal()).await? {
            ctx.db.delete_account(&account_id).await.or_internal(&ctx.logger, "unlink-account")?;
            crate::routes::db_hooks::after_or_error(call, "account", "delete", row).await?;
        }
        return Ok(Reply::Json(json!({ "status": true })));
    }
    ctx.db.delete_account(&account_id).await.or_internal(&ctx.logger, "unlink-account")?;
    Ok(Reply::Json(json!({ "status": true })))
}

// ---- provider tokens: /get-access-token, /refresh-token, /account-info ----

/// `{ accountId, userId? }` (the local account row id). Upstream also takes
/// `{ useAccountCookie: true }`, which needs `account.storeAccountCookie` (not supported).
fn account_selection(input: &serde_json::Value) -> Result<(String, Option<String>), ApiError> {
    let mut body = BodyReader::object(input);
    let account_id = body.string("accountId");
    let user_id = body.optional_string("userId");
    if let Some(extra) = input.as_object().and_then(|m| m.keys().find(|k| *k != "accountId" && *k != "userId")) {
        body.refine(extra, "Unrecognized key");
    }
    body.finish()?;
    Ok((account_id, user_id))
}

/// The session's user (its store read, never a cache); server calls without headers may
/// name the user instead.
async fn resolve_user_id(call: &mut Call<'_>, user_id: Option<String>) -> Result<String, ApiError> {
    let session = if call.headers.is_some() { crate::routes::session::resolve_session(call, false).await.ok().flatten() } else { None };
    if session.is_none() && call.headers.is_some() {
        return Err(ApiError::empty(401));
    }
    session.map(|(_, user)| user.id).or(user_id).ok_or_else(|| ApiError::bad_request(extra_codes::USER_ID_OR_SESSION_REQUIRED))
}

/// The user's account row with this id, whole (tokens included).
async fn account_row(call: &Call<'_>, user_id: &str, account_id: &str) -> Result<serde_json::Value, ApiError> {
    let ctx = call.ctx;
    let rows = ctx.db.account_rows(user_id).await.or_internal(&ctx.logger, "account lookup")?;
    rows.into_iter().find(|r| r["id"] == account_id).ok_or_else(|| ApiError::bad_request(codes::ACCOUNT_NOT_FOUND))
}

/// The configured provider of an account row (`None`: not configured any more).
async fn account_provider(call: &Call<'_>, row: &serde_json::Value) -> Result<Option<crate::oauth::Provider>, ApiError> {
    call.ctx.provider(row["providerId"].as_str().unwrap_or_default()).await
}

fn provider_not_supported(provider_id: &str) -> ApiError {
    ApiError::with_message(400, extra_codes::PROVIDER_NOT_SUPPORTED, format!("Provider {provider_id} is not supported."))
}

fn date_ms(value: &serde_json::Value) -> Option<i64> {
    value.as_str().and_then(crate::time_util::parse_iso)
}

/// The row's tokens, opened (`None`: an encrypted token that does not decrypt).
fn stored_tokens(call: &Call<'_>, row: &serde_json::Value) -> Option<crate::db::models::OAuthTokens> {
    let text = |k: &str| row[k].as_str().map(str::to_owned);
    let open = |k: &str| match text(k) {
        None => Some(None),
        stored => call.ctx.open_token(stored).map(Some),
    };
    Some(crate::db::models::OAuthTokens {
        access_token: open("accessToken")?,
        refresh_token: open("refreshToken")?,
        id_token: text("idToken"),
        access_token_expires_at: date_ms(&row["accessTokenExpiresAt"]),
        refresh_token_expires_at: date_ms(&row["refreshTokenExpiresAt"]),
        scope: text("scope"),
    })
}

fn scopes_list(scope: Option<&str>) -> Vec<String> {
    scope.unwrap_or_default().split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

fn iso(ms: Option<i64>) -> serde_json::Value {
    ms.map(|ms| json!(crate::time_util::to_iso(ms))).unwrap_or(serde_json::Value::Null)
}

/// Upstream's `getValidAccessToken`: refreshed (and stored) when it expires within 5 s.
async fn valid_access_token(
    call: &Call<'_>,
    provider: &crate::oauth::Provider,
    row: &serde_json::Value,
) -> Result<crate::db::models::OAuthTokens, ApiError> {
    let ctx = call.ctx;
    let provider_id = provider.id.as_str();
    let failed = || ApiError::bad_request(extra_codes::FAILED_TO_GET_ACCESS_TOKEN);
    let mut tokens = stored_tokens(call, row).ok_or_else(failed)?;
    let now = crate::time_util::now_ms();
    let expired = tokens.access_token_expires_at.is_some_and(|at| at - now < 5000);
    if let (true, Some(refresh)) = (expired, tokens.refresh_token.clone()) {
        let fresh = crate::oauth::refresh_tokens(provider, &refresh, now).await.map_err(|_| failed())?;
        let id = row["id"].as_str().unwrap_or_default();
        ctx.db
            .update_oauth_tokens(id, provider_id, &ctx.seal_tokens(fresh.clone()), None, now)
            .await
            .or_internal(&ctx.logger, "token refresh")?;
        tokens.access_token = fresh.access_token;
        tokens.access_token_expires_at = fresh.access_token_expires_at.or(tokens.access_token_expires_at);
        tokens.id_token = fresh.id_token.or(tokens.id_token);
    }
    Ok(tokens)
}

pub async fn get_access_token(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let (account_id, user_id) = account_selection(&call.body)?;
    let user_id = resolve_user_id(call, user_id).await?;
    let row = account_row(call, &user_id, &account_id).await?;
    let Some(provider) = account_provider(call, &row).await? else {
        return Err(provider_not_supported(row["providerId"].as_str().unwrap_or_default()));
    };
    let tokens = valid_access_token(call, &provider, &row).await?;
    let mut answer = serde_json::Map::new();
    answer.insert("accessToken".into(), json!(tokens.access_token.unwrap_or_default()));
    if let Some(at) = tokens.access_token_expires_at {
        answer.insert("accessTokenExpiresAt".into(), iso(Some(at)));
    }
    answer.insert("scopes".into(), json!(scopes_list(tokens.scope.as_deref())));
    if let Some(id_token) = tokens.id_token {
        answer.insert("idToken".into(), json!(id_token));
    }
    Ok(Reply::Json(serde_json::Value::Object(answer)))
}

pub async fn refresh_token(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let (account_id, user_id) = account_selection(&call.body)?;
    let user_id = resolve_user_id(call, user_id).await?;
    let row = account_row(call, &user_id, &account_id).await?;
    let ctx = call.ctx;
    let provider_id = row["providerId"].as_str().unwrap_or_default().to_owned();
    let Some(provider) = account_provider(call, &row).await? else { return Err(provider_not_supported(&provider_id)) };
    let refresh_failed = || ApiError::bad_request(extra_codes::FAILED_TO_REFRESH_ACCESS_TOKEN);
    let stored = stored_tokens(call, &row).ok_or_else(refresh_failed)?;
    let Some(refresh) = stored.refresh_token.clone() else {
        return Err(ApiError::bad_request(extra_codes::REFRESH_TOKEN_NOT_FOUND));
    };
    let now = crate::time_util::now_ms();
    let fresh = crate::oauth::refresh_tokens(&provider, &refresh, now).await.map_err(|_| refresh_failed())?;
    // `scope` stays: a refresh may answer with fewer.
    ctx.db
        .update_oauth_tokens(&account_id, &provider_id, &ctx.seal_tokens(fresh.clone()), None, now)
        .await
        .or_internal(&ctx.logger, "refresh-token")?;
    // Missing values are left out, stored nulls answered as null (upstream's undefined/null).
    let mut answer = serde_json::Map::new();
    if let Some(token) = &fresh.access_token {
        answer.insert("accessToken".into(), json!(token));
    }
    answer.insert("refreshToken".into(), json!(fresh.refresh_token.clone().unwrap_or(refresh)));
    if fresh.access_token_expires_at.is_some() {
        answer.insert("accessTokenExpiresAt".into(), iso(fresh.access_token_expires_at));
    }
    answer.insert("refreshTokenExpiresAt".into(), iso(fresh.refresh_token_expires_at.or(stored.refresh_token_expires_at)));
    answer.insert("scope".into(), json!(stored.scope));
    answer.insert("idToken".into(), json!(fresh.id_token.or(stored.id_token)));
    answer.insert("providerId".into(), json!(provider_id));
    answer.insert("accountId".into(), json!(account_id));
    Ok(Reply::Json(serde_json::Value::Object(answer)))
}

pub async fn account_info(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let query = serde_json::Value::Object(call.query.clone());
    let (account_id, user_id) = account_selection(&query)?;
    let user_id = resolve_user_id(call, user_id).await?;
    let row = account_row(call, &user_id, &account_id).await?;
    let provider_id = row["providerId"].as_str().unwrap_or_default().to_owned();
    let Some(provider) = account_provider(call, &row).await? else {
        return Err(ApiError::bad_request(extra_codes::PROVIDER_NOT_CONFIGURED));
    };
    let tokens = valid_access_token(call, &provider, &row).await?;
    if tokens.access_token.as_deref().unwrap_or_default().is_empty() {
        return Err(ApiError::bad_request(extra_codes::ACCESS_TOKEN_NOT_FOUND));
    }
    let Some((profile, info)) = provider.user_info(&tokens, None, None).await else {
        return Err(ApiError::new(401, codes::FAILED_TO_GET_USER_INFO));
    };
    Ok(Reply::Json(json!({
        "user": { "id": info.id, "name": info.name, "email": info.email, "image": info.image, "emailVerified": info.email_verified },
        "data": profile,
        "account": { "id": account_id, "providerId": provider_id, "accountId": row["accountId"] },
    })))
}
