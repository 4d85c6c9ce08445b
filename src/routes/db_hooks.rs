//! `databaseHooks.<model>.<create|update|delete>.{before,after}`
//! (`packages/better-auth/src/db/with-hooks.ts`): user functions around writes. `before(row, ctx)`
//! sees the new row without its id (create), the changes (update) or the row (delete), and may
//! return `false` (the write is skipped) or `{ data }` (merged in); `after(row, ctx)` sees the
//! stored row once its transaction committed. A thrown `APIError` becomes the response as thrown.
//! As upstream, a refused write is not an error: the endpoint answers as if it happened
//! (reset-password's refused token delete excepted).

use serde_json::{Map, Value, json};

use crate::context::Call;
use crate::db::models::{Session, User};
use crate::error::{ApiError, ErrorBody};
use crate::fields::FieldDef;

pub enum Before {
    /// Go on, with these fields merged into the row.
    Proceed(Map<String, Value>),
    Abort,
}

/// What a hook threw: an `APIError` (answered as thrown) or anything else.
pub enum Thrown {
    Api(ApiError),
    Other,
}

impl Thrown {
    /// The caller's own failure for anything but a thrown `APIError`.
    pub fn or(self, otherwise: ApiError) -> ApiError {
        match self {
            Thrown::Api(e) => e,
            Thrown::Other => otherwise,
        }
    }
}

/// The prefix the Node layer gives a thrown `APIError` (status and body as JSON).
pub const API_ERROR_PREFIX: &str = "$$apiError:";

pub fn thrown(message: &str) -> Thrown {
    let Some(json) = message.strip_prefix(API_ERROR_PREFIX) else { return Thrown::Other };
    let Ok(value) = serde_json::from_str::<Value>(json) else { return Thrown::Other };
    let status = value.get("status").and_then(Value::as_u64).filter(|s| (300..600).contains(s)).unwrap_or(500) as u16;
    let body = value.get("body").filter(|b| b.is_object()).map(|b| ErrorBody {
        message: b.get("message").and_then(Value::as_str).unwrap_or_default().to_owned(),
        code: b.get("code").and_then(Value::as_str).map(str::to_owned),
    });
    // `ctx.redirect(url)` throws a 302 with `location`; other errors may carry headers too.
    let headers = value
        .get("headers")
        .and_then(Value::as_object)
        .map(|h| h.iter().filter_map(|(k, v)| Some((k.to_ascii_lowercase(), v.as_str()?.to_owned()))).collect())
        .unwrap_or_default();
    Thrown::Api(ApiError { status, body: if (300..400).contains(&status) { None } else { body }, headers })
}

fn path(model: &str, op: &str, phase: &str) -> String {
    format!("databaseHooks.{model}.{op}.{phase}")
}

/// Whether `databaseHooks.<model>.<op>` has a before or after function.
pub fn has_hooks(call: &Call<'_>, model: &str, op: &str) -> bool {
    call.ctx.has_function(&path(model, op, "before")) || call.ctx.has_function(&path(model, op, "after"))
}

/// Runs `databaseHooks.<model>.create.before` on `row` (JSON without `id`).
pub async fn before_create(call: &Call<'_>, model: &str, mut row: Value) -> Result<Before, Thrown> {
    if let Some(map) = row.as_object_mut() {
        map.remove("id");
    }
    before(call, model, "create", row).await
}

/// Runs `databaseHooks.<model>.<op>.before`.
pub async fn before(call: &Call<'_>, model: &str, op: &str, row: Value) -> Result<Before, Thrown> {
    if !call.ctx.has_function(&path(model, op, "before")) {
        return Ok(Before::Proceed(Map::new()));
    }
    match call.ctx.call_option(&["databaseHooks", model, op, "before"], vec![row, call.context_arg()]).await {
        Ok(Value::Bool(false)) => Ok(Before::Abort),
        Ok(Value::Object(mut result)) => match result.remove("data") {
            Some(Value::Object(data)) => Ok(Before::Proceed(data)),
            _ => Ok(Before::Proceed(Map::new())),
        },
        Ok(_) => Ok(Before::Proceed(Map::new())),
        Err(message) => Err(thrown(&message)),
    }
}

/// Runs `databaseHooks.<model>.create.after` on the stored row.
pub async fn after_create(call: &Call<'_>, model: &str, row: Value) -> Result<(), Thrown> {
    after(call, model, "create", row).await
}

/// Runs `databaseHooks.<model>.<op>.after`.
pub async fn after(call: &Call<'_>, model: &str, op: &str, row: Value) -> Result<(), Thrown> {
    if !call.ctx.has_function(&path(model, op, "after")) {
        return Ok(());
    }
    call.ctx.call_option(&["databaseHooks", model, op, "after"], vec![row, call.context_arg()]).await.map(drop).map_err(|m| thrown(&m))
}

/// Ends sessions one by one with `databaseHooks.session.delete` around each (a `false` from
/// `before` keeps that one).
pub async fn delete_sessions(call: &Call<'_>, sessions: &[Session]) -> Result<(), ApiError> {
    let ctx = call.ctx;
    for session in sessions {
        let row = row_json(session, &session.hidden);
        match before(call, "session", "delete", row.clone()).await {
            Ok(Before::Abort) => continue,
            Ok(Before::Proceed(_)) => {}
            Err(thrown) => return Err(thrown.or(ApiError::internal())),
        }
        if let Err(e) = ctx.db.delete_session(&session.token).await {
            ctx.logger.error(&format!("deleting a session: {e}"));
            return Err(ApiError::internal());
        }
        after(call, "session", "delete", row).await.map_err(|t| t.or(ApiError::internal()))?;
    }
    Ok(())
}

/// Puts a `before` hook's `data` into a user about to be created (known keys only).
pub fn merge_user(user: &mut User, data: &Map<String, Value>, fields: &[FieldDef]) {
    for (key, value) in data {
        match (key.as_str(), value) {
            ("name", Value::String(v)) => user.name = v.clone(),
            ("email", Value::String(v)) => user.email = v.to_lowercase(),
            ("emailVerified", Value::Bool(v)) => user.email_verified = *v,
            ("image", Value::String(v)) => user.image = Some(v.clone()),
            ("image", Value::Null) => user.image = None,
            _ => merge_field(&mut user.extra, &mut user.hidden, fields, key, value),
        }
    }
}

/// Puts a `before` hook's `data` into a session about to be created (known keys only).
pub fn merge_session(session: &mut Session, data: &Map<String, Value>, fields: &[FieldDef]) {
    for (key, value) in data {
        match (key.as_str(), value) {
            ("ipAddress", Value::String(v)) => session.ip_address = Some(v.clone()),
            ("userAgent", Value::String(v)) => session.user_agent = Some(v.clone()),
            ("expiresAt", Value::String(v)) => session.expires_at = crate::time_util::parse_iso(v).unwrap_or(session.expires_at),
            _ => merge_field(&mut session.extra, &mut session.hidden, fields, key, value),
        }
    }
}

fn merge_field(extra: &mut Map<String, Value>, hidden: &mut Map<String, Value>, fields: &[FieldDef], key: &str, value: &Value) {
    if let Some(field) = fields.iter().find(|f| f.name == key) {
        let target = if field.returned { extra } else { hidden };
        target.insert(key.to_owned(), value.clone());
    }
}

/// A row as hooks see it: every column (`returned: false` fields too), `id` last.
pub use crate::db::models::full_row as row_json;

/// Stores a verification value with `databaseHooks.verification.create` around it. `Ok(false)`:
/// the before hook refused it (nothing stored).
pub async fn create_verification(call: &Call<'_>, identifier: &str, value: &str, expires_at: i64) -> Result<bool, ApiError> {
    let ctx = call.ctx;
    let now = crate::time_util::to_iso(crate::time_util::now_ms());
    let mut row = json!({
        "createdAt": now,
        "updatedAt": now,
        "value": value,
        "identifier": identifier,
        "expiresAt": crate::time_util::to_iso(expires_at),
    });
    match before_create(call, "verification", row.clone()).await {
        Ok(Before::Abort) => return Ok(false),
        Ok(Before::Proceed(_)) => {}
        Err(thrown) => return Err(thrown.or(ApiError::internal())),
    }
    if let Err(e) = ctx.db.create_verification(identifier, value, expires_at).await {
        ctx.logger.error(&format!("creating a verification value: {e}"));
        return Err(ApiError::internal());
    }
    row["id"] = json!(crate::crypto::generate_id());
    after_create(call, "verification", row).await.map_err(|t| t.or(ApiError::internal()))?;
    Ok(true)
}

/// Runs `before`, mapping a throw to the error it carries (or `otherwise`). `Ok(false)`: refused.
pub async fn allowed(call: &Call<'_>, model: &str, op: &str, row: Value, otherwise: ApiError) -> Result<bool, ApiError> {
    match before(call, model, op, row).await {
        Ok(Before::Abort) => Ok(false),
        Ok(Before::Proceed(_)) => Ok(true),
        Err(thrown) => Err(thrown.or(otherwise)),
    }
}

/// Runs `after`, mapping a throw to the error it carries (or a 500).
pub async fn after_or_error(call: &Call<'_>, model: &str, op: &str, row: Value) -> Result<(), ApiError> {
    after(call, model, op, row).await.map_err(|t| t.or(ApiError::internal()))
}

/// Deletes a user as upstream's `deleteUser` does when hooks are configured: sessions, then
/// accounts, then the user, each row through its delete hooks; a `false` stops that kind of
/// row (the user's own delete then takes what is left with it, as the foreign keys do).
/// `Ok(false)`: the user's own delete was refused.
pub async fn delete_user(call: &Call<'_>, user: &User) -> Result<bool, ApiError> {
    let ctx = call.ctx;
    let internal = |what: &str, e: crate::db::DbError| {
        ctx.logger.error(&format!("{what}: {e}"));
        ApiError::internal()
    };
    if !has_hooks(call, "session", "delete") {
        ctx.db.delete_user_sessions(&user.id, None).await.map_err(|e| internal("delete-user", e))?;
    } else {
        for session in ctx.db.list_sessions(&user.id).await.map_err(|e| internal("delete-user", e))? {
            let row = row_json(&session, &session.hidden);
            if !allowed(call, "session", "delete", row.clone(), ApiError::internal()).await? {
                break;
            }
            ctx.db.delete_session(&session.token).await.map_err(|e| internal("delete-user", e))?;
            after_or_error(call, "session", "delete", row).await?;
        }
    }
    let account_hooks = has_hooks(call, "account", "delete");
    {
        for row in ctx.db.account_rows(&user.id).await.map_err(|e| internal("delete-user", e))? {
            if account_hooks && !allowed(call, "account", "delete", row.clone(), ApiError::internal()).await? {
                break;
            }
            let id = row["id"].as_str().unwrap_or_default().to_owned();
            ctx.db.delete_account(&id).await.map_err(|e| internal("delete-user", e))?;
            if account_hooks {
                after_or_error(call, "account", "delete", row).await?;
            }
        }
    }
    let row = row_json(user, &user.hidden);
    if !allowed(call, "user", "delete", row.clone(), ApiError::internal()).await? {
        return Ok(false);
    }
    ctx.db.delete_user(&user.id).await.map_err(|e| internal("delete-user", e))?;
    after_or_error(call, "user", "delete", row).await?;
    Ok(true)
}

/// Whether any delete hook of a user's rows is configured (else one transaction does it all).
pub fn has_user_delete_hooks(call: &Call<'_>) -> bool {
    has_hooks(call, "user", "delete") || has_hooks(call, "account", "delete") || has_hooks(call, "session", "delete")
}
