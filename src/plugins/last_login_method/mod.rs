//! `lastLoginMethod` (upstream's `packages/better-auth/src/plugins/last-login-method`): a
//! readable cookie (and, with `storeInDatabase`, a user field) naming how the user last signed
//! in, so a sign-in page can highlight it.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::after_hook;
use crate::context::Call;
use crate::error::ApiError;
use crate::fields::{FieldDef, FieldType};
use crate::options::OptionsError;
use crate::plugins::{Hook, HookKind, Plugin, PluginOptions};
use crate::routes::Reply;

const FIELD: &str = "lastLoginMethod";

struct Options {
    cookie_name: String,
    max_age: i64,
    custom_resolve: Option<Vec<String>>,
    before_store_cookie: Option<Vec<String>>,
    store_in_database: bool,
}

pub fn register(options: &mut PluginOptions<'_>) -> Result<Plugin, OptionsError> {
    let cookie_name = options.string("cookieName")?.unwrap_or_else(|| "better-auth.last_used_login_method".to_owned());
    let max_age = options.count("maxAge")?.unwrap_or(2_592_000) as i64;
    let custom_resolve = options.function("customResolveMethod")?;
    let before_store_cookie = options.function("beforeStoreCookie")?;
    let store_in_database = options.bool("storeInDatabase")?.unwrap_or(false);
    let column = match options.object("schema")? {
        None => FIELD.to_owned(),
        Some(schema) => schema.get("user").and_then(|u| u.get(FIELD)).and_then(Value::as_str).unwrap_or(FIELD).to_owned(),
    };
    let mut plugin = Plugin::new("last-login-method");
    if store_in_database {
        plugin.user_fields.push(FieldDef {
            name: FIELD.to_owned(),
            column,
            field_type: FieldType::String,
            required: Some(false),
            input: false,
            returned: true,
            default: None,
            unique: false,
            indexed: false,
            bigint: false,
        });
    }
    plugin.hooks.push(Hook { matcher: |_| true, run: HookKind::After(after_hook!(remember_method)) });
    plugin.state = Arc::new(Options { cookie_name, max_age, custom_resolve, before_store_cookie, store_in_database });
    Ok(plugin)
}

fn options<'c>(call: &Call<'c>) -> &'c Options {
    call.ctx.options.plugins.state::<Options>("last-login-method").expect("last-login-method plugin state")
}

/// Upstream's `defaultResolveMethod`, on the endpoint's route template.
fn default_method(call: &Call<'_>) -> Option<String> {
    let path = call.path;
    if path.is_empty() {
        return None;
    }
    if path.starts_with("/callback/") {
        return call.param("id").map(str::to_owned).or_else(|| path.rsplit('/').next().map(str::to_owned));
    }
    let method = match path {
        "/one-tap/callback" => "google",
        "/sign-in/email" | "/sign-up/email" => "email",
        "/sign-in/email-otp" => "email-otp",
        _ if path.contains("siwe") => "siwe",
        _ if path.contains("/passkey/verify-authentication") => "passkey",
        _ if path.starts_with("/magic-link/verify") => "magic-link",
        _ => return None,
    };
    Some(method.to_owned())
}

async fn resolve_method(call: &Call<'_>) -> Option<String> {
    if let Some(path) = &options(call).custom_resolve {
        let segments: Vec<&str> = path.iter().map(String::as_str).collect();
        match call.ctx.call_option(&segments, vec![call.context_arg()]).await {
            Ok(Value::String(s)) => return Some(s),
            Ok(Value::Null) | Err(_) => {}
            Ok(_) => return None,
        }
    }
    default_method(call)
}

async fn remember_method(call: &mut Call<'_>, result: Result<Reply, ApiError>) -> Result<Reply, ApiError> {
    let o = options(call);
    let sets_session = call.out.cookies.find(&call.ctx.cookies.names.session_token).is_some();
    let sign_up = call.path == "/sign-up/email" && result.is_ok();
    if !(sets_session || o.store_in_database && sign_up) {
        return result;
    }
    let Some(method) = resolve_method(call).await.filter(|m| !m.is_empty()) else { return result };
    let mut result = result;
    if o.store_in_database {
        result = store(call, &method, result).await;
    }
    if sets_session && permitted(call, &method).await {
        let mut attrs = call.ctx.cookies.attributes.clone();
        attrs.http_only = false;
        call.out.cookies.set(&o.cookie_name, &method, Some(o.max_age), &attrs);
    }
    result
}

/// `storeInDatabase`: the user's field, set on the user a sign-up creates (and shown in its
/// answer, as upstream's create hook does) and on the user of every new session.
async fn store(call: &mut Call<'_>, method: &str, mut result: Result<Reply, ApiError>) -> Result<Reply, ApiError> {
    let ctx = call.ctx;
    let user_id = match (&call.issued_session, &result) {
        (Some(issued), _) => Some(issued.1.id.clone()),
        (None, Ok(Reply::Json(body))) => body.pointer("/user/id").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    };
    let Some(user_id) = user_id else { return result };
    let fields: Map<String, Value> = [(FIELD.to_owned(), json!(method))].into_iter().collect();
    if let Err(e) = ctx.db.update_user(&user_id, None, None, &fields, crate::time_util::now_ms()).await {
        ctx.logger.error(&format!("Failed to update lastLoginMethod: {e}"));
        return result;
    }
    if call.path == "/sign-up/email"
        && let Ok(Reply::Json(body)) = &mut result
        && let Some(user) = body.get_mut("user").and_then(Value::as_object_mut)
    {
        user.insert(FIELD.to_owned(), json!(method));
    }
    result
}

/// `beforeStoreCookie(ctx, method)`: a falsy answer or a throw keeps the cookie unset.
async fn permitted(call: &Call<'_>, method: &str) -> bool {
    let Some(path) = &options(call).before_store_cookie else { return true };
    let segments: Vec<&str> = path.iter().map(String::as_str).collect();
    match call.ctx.call_option(&segments, vec![call.context_arg(), json!(method)]).await {
        Ok(answer) => crate::validate::is_truthy(&answer),
        Err(_) => {
            call.ctx.logger.error("[LastLoginMethod] Error in beforeStoreCookie hook");
            false
        }
    }
}
