//! `POST /sign-out` (`packages/better-auth/src/api/routes/sign-out.ts`): never needs a valid
//! session; always clears the cookies.

use serde_json::json;

use crate::context::Call;
use crate::error::ApiError;
use crate::routes::Reply;
use crate::routes::session::{delete_session_cookie, require_headers};
use crate::validate::BodyReader;

pub async fn sign_out(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    require_headers(call)?;
    let mut body = BodyReader::optional_object(&call.body);
    body.optional_string("callbackURL");
    body.optional_bool("disableRedirect");
    body.optional_string("state");
    body.finish()?;
    let ctx = call.ctx;
    let token = call.cookies.get_signed(&ctx.cookies.names.session_token, ctx.secret()).map(str::to_owned);
    if let Some(token) = token {
        if crate::routes::db_hooks::has_hooks(call, "session", "delete") {
            let found = ctx.db.find_session(&token).await.ok().flatten().map(|(s, _)| s);
            crate::routes::db_hooks::delete_sessions(call, found.as_slice()).await?;
        } else if let Err(e) = ctx.db.delete_session(&token).await {
            ctx.logger.error(&format!("Failed to delete session from database: {e}"));
        }
    }
    delete_session_cookie(call);
    Ok(Reply::Json(json!({ "success": true })))
}
