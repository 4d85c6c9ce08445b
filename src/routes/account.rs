//! The user's linked accounts: `GET /list-accounts`, `POST /unlink-account` (spec §5.23).

use serde_json::json;

use crate::context::Call;
use crate::error::{ApiError, OrInternal, codes};
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
