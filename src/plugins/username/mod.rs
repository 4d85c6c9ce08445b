//! `username` (upstream's `packages/better-auth/src/plugins/username`): sign in with a username
//! and password, `username` / `displayUsername` on the user, checked and normalized on sign-up
//! and update-user.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::context::Call;
use crate::error::{ApiError, ErrorCode, OrInternal, codes};
use crate::fields::{FieldDef, FieldType};
use crate::options::OptionsError;
use crate::plugins::{Hook, HookKind, Plugin, PluginOptions};
use crate::routes::session::resolve_session;
use crate::routes::{Endpoint, Reply};
use crate::validate::BodyReader;
use crate::{before_hook, handler};

crate::error_codes! { mod error_codes {
    INVALID_USERNAME_OR_PASSWORD => "Invalid username or password",
    EMAIL_NOT_VERIFIED => "Email not verified",
    UNEXPECTED_ERROR => "Unexpected error",
    USERNAME_IS_ALREADY_TAKEN => "Username is already taken. Please try another.",
    USERNAME_TOO_SHORT => "Username is too short",
    USERNAME_TOO_LONG => "Username is too long",
    INVALID_USERNAME => "Username is invalid",
    INVALID_DISPLAY_USERNAME => "Display username is invalid",
    USERNAME_IS_IMMUTABLE => "Username cannot be updated",
} }
use error_codes as e;

/// A normalization: upstream's default, none (`false`), or the app's function.
enum Normalize {
    Lowercase,
    Identity,
    Function(Vec<String>),
}

struct Options {
    min_length: usize,
    max_length: usize,
    validator: Option<Vec<String>>,
    display_validator: Option<Vec<String>>,
    normalize: Normalize,
    normalize_display: Normalize,
    validate_after_normalizing: bool,
    validate_display_after_normalizing: bool,
    immutable: bool,
    display_username: bool,
}

pub fn register(options: &mut PluginOptions<'_>) -> Result<Plugin, OptionsError> {
    // `|| 3` upstream: 0 means the default too.
    let min_length = options.count("minUsernameLength")?.filter(|n| *n > 0).unwrap_or(3) as usize;
    let max_length = options.count("maxUsernameLength")?.filter(|n| *n > 0).unwrap_or(30) as usize;
    let validator = options.function("usernameValidator")?;
    let display_validator = options.function("displayUsernameValidator")?;
    let normalize = normalization(options, "usernameNormalization", Normalize::Lowercase)?;
    let normalize_display = normalization(options, "displayUsernameNormalization", Normalize::Identity)?;
    let (mut after, mut display_after) = (false, false);
    if let Some(order) = options.object("validationOrder")? {
        for (key, value) in &order {
            let post = match value.as_str() {
                Some("post-normalization") => true,
                Some("pre-normalization") => false,
                _ => {
                    return Err(
                        options.invalid(&format!("validationOrder.{key}"), "expected \"pre-normalization\" or \"post-normalization\"")
                    );
                }
            };
            match key.as_str() {
                "username" => after = post,
                "displayUsername" => display_after = post,
                _ => {
                    return Err(OptionsError(format!(
                        "better-auth-rs: unknown option `plugins[username].validationOrder.{key}`: the username plugin has no such option"
                    )));
                }
            }
        }
    }
    let immutable = options.bool("immutableUsername")?.unwrap_or(false);
    let display_username = options.bool("displayUsername")?.unwrap_or(true);
    let renames = options.schema(&[("user", &["username", "displayUsername"])])?;
    if renames.tables.contains_key("user") {
        options
            .warn("option `plugins[username].schema.user.modelName` has no effect (upstream ignores it too); use `user.modelName`".into());
    }
    let column = |field: &str| renames.columns.get(&("user".to_owned(), field.to_owned())).cloned().unwrap_or_else(|| field.to_owned());

    let mut plugin = Plugin::new("username");
    plugin.error_codes = e::ALL;
    plugin.endpoints = vec![
        Endpoint::new("signInUsername", "/sign-in/username", &["POST"], handler!(sign_in_username))
            .describe("Sign in with username")
            .unprocessable("Unprocessable Entity. Validation error")
            .body("username:string password:string rememberMe?:boolean callbackURL?:string"),
        Endpoint::new("isUsernameAvailable", "/is-username-available", &["POST"], handler!(is_username_available)).body("username:string"),
    ];
    plugin.hooks = vec![Hook {
        matcher: |call| call.path == "/sign-up/email" || call.path == "/update-user",
        run: HookKind::Before(before_hook!(check_user_input)),
    }];
    plugin.user_fields.push(string_field("username", &column("username"), true));
    if display_username {
        plugin.user_fields.push(string_field("displayUsername", &column("displayUsername"), false));
    }
    plugin.state = Arc::new(Options {
        min_length,
        max_length,
        validator,
        display_validator,
        normalize,
        normalize_display,
        validate_after_normalizing: after,
        validate_display_after_normalizing: display_after,
        immutable,
        display_username,
    });
    Ok(plugin)
}

fn normalization(options: &mut PluginOptions<'_>, key: &str, default: Normalize) -> Result<Normalize, OptionsError> {
    match options.value(key).cloned() {
        None => Ok(default),
        Some(Value::Bool(false)) => Ok(Normalize::Identity),
        Some(v) if crate::option_keys::is_function(&v) => Ok(Normalize::Function(options.function_path(&[key]))),
        Some(_) => Err(options.invalid(key, "expected a function or false")),
    }
}

/// Upstream's schema: optional strings; `username` unique and sortable.
fn string_field(name: &str, column: &str, unique: bool) -> FieldDef {
    FieldDef {
        name: name.to_owned(),
        column: column.to_owned(),
        field_type: FieldType::String,
        required: Some(false),
        input: true,
        returned: true,
        default: None,
        unique,
        indexed: unique,
        bigint: false,
    }
}

fn options<'c>(call: &Call<'c>) -> &'c Options {
    // Registered with this plugin's own state: present whenever its endpoints and hooks run.
    call.ctx.options.plugins.state::<Options>("username").expect("username plugin state")
}

async fn call_string_fn(call: &Call<'_>, path: &[String], value: &str) -> Result<Value, ApiError> {
    let segments: Vec<&str> = path.iter().map(String::as_str).collect();
    call.ctx.call_option(&segments, vec![json!(value)]).await.map_err(|_| ApiError::internal())
}

async fn normalize(call: &Call<'_>, how: &Normalize, value: &str) -> Result<String, ApiError> {
    match how {
        Normalize::Lowercase => Ok(value.to_lowercase()),
        Normalize::Identity => Ok(value.to_owned()),
        Normalize::Function(path) => match call_string_fn(call, path, value).await? {
            Value::String(s) => Ok(s),
            other => {
                call.ctx.logger.error(&format!("`{}` returned {}, not a string", path.join("."), crate::option_keys::describe(&other)));
                Err(ApiError::internal())
            }
        },
    }
}

/// Upstream's `validateUsernameValue`: the error code, or `None` when the username is fine.
async fn check_username(call: &Call<'_>, username: &str) -> Result<Option<ErrorCode>, ApiError> {
    let o = options(call);
    let value = if o.validate_after_normalizing { normalize(call, &o.normalize, username).await? } else { username.to_owned() };
    let len = value.encode_utf16().count();
    if len < o.min_length {
        return Ok(Some(e::USERNAME_TOO_SHORT));
    }
    if len > o.max_length {
        return Ok(Some(e::USERNAME_TOO_LONG));
    }
    let valid = match &o.validator {
        Some(path) => crate::validate::is_truthy(&call_string_fn(call, path, &value).await?),
        None => value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.'),
    };
    Ok((!valid).then_some(e::INVALID_USERNAME))
}

async fn check_display_username(call: &Call<'_>, display: &str) -> Result<bool, ApiError> {
    let o = options(call);
    let Some(path) = &o.display_validator else { return Ok(true) };
    let value =
        if o.validate_display_after_normalizing { normalize(call, &o.normalize_display, display).await? } else { display.to_owned() };
    Ok(crate::validate::is_truthy(&call_string_fn(call, path, &value).await?))
}

async fn find_by_username(call: &Call<'_>, normalized: &str) -> Result<Option<crate::db::models::User>, ApiError> {
    let ctx = call.ctx;
    ctx.db.find_user_by("username", normalized).await.or_internal(&ctx.logger, "username lookup")
}

/// `POST /sign-in/username`.
async fn sign_in_username(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let mut body = BodyReader::object(&call.body);
    let username = body.string("username");
    let password = body.string("password");
    let remember_me = body.optional_bool("rememberMe");
    let callback_url = body.optional_string("callbackURL");
    body.finish()?;
    let ctx = call.ctx;
    let wrong = || ApiError::new(401, e::INVALID_USERNAME_OR_PASSWORD);
    if username.is_empty() || password.is_empty() {
        ctx.logger.warn("Username or password not found");
        return Err(wrong());
    }
    if let Some(code) = check_username(call, &username).await? {
        return Err(ApiError::new(422, code));
    }
    if password.encode_utf16().count() > ctx.options.email_and_password.max_password_length {
        return Err(ApiError::bad_request(codes::PASSWORD_TOO_LONG));
    }
    let normalized = normalize(call, &options(call).normalize, &username).await?;
    let found = ctx.db.find_user_with_password_by("username", &normalized).await.or_internal(&ctx.logger, "sign-in lookup")?;
    let Some(user) = crate::routes::sign_in::password_matches(ctx, found, &password).await? else { return Err(wrong()) };
    crate::routes::sign_in::finish_password_sign_in(call, user, callback_url, remember_me, 500).await
}

/// `POST /is-username-available`.
async fn is_username_available(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let mut body = BodyReader::object(&call.body);
    let username = body.string("username");
    body.finish()?;
    if username.is_empty() {
        return Err(ApiError::new(422, e::INVALID_USERNAME));
    }
    if let Some(code) = check_username(call, &username).await? {
        return Err(ApiError::new(422, code));
    }
    let normalized = normalize(call, &options(call).normalize, &username).await?;
    let taken = find_by_username(call, &normalized).await?.is_some();
    Ok(Reply::Json(json!({ "available": !taken })))
}

/// Sign-up and update-user: upstream's three before hooks, then its `transform.input`
/// normalization, all on the body the endpoint then reads.
async fn check_user_input(call: &mut Call<'_>) -> Result<Option<Reply>, ApiError> {
    let o = options(call);
    let sign_up = call.path == "/sign-up/email";
    let Some(body) = call.body.as_object() else { return Ok(None) };
    let mut username = body.get("username").cloned();
    let mut display = body.get("displayUsername").cloned();
    // A sign-up with only a (valid) displayUsername takes it as the username.
    if sign_up
        && let Some(Value::String(d)) = &display
        && username.is_none()
        && check_username(call, d).await?.is_none()
    {
        username = Some(Value::String(d.clone()));
    }
    if let Some(Value::String(raw)) = &username {
        if let Some(code) = check_username(call, raw).await? {
            return Err(ApiError::bad_request(code));
        }
        let normalized = normalize(call, &o.normalize, raw).await?;
        let session = if sign_up { None } else { resolve_session(call, true).await? };
        if !sign_up && o.immutable {
            let current =
                session.as_ref().and_then(|(_, user)| user.extra.get("username")).and_then(Value::as_str).filter(|s| !s.is_empty());
            if current.is_some_and(|c| c != normalized) {
                return Err(ApiError::bad_request(e::USERNAME_IS_IMMUTABLE));
            }
        }
        if let Some(existing) = find_by_username(call, &normalized).await? {
            let own = session.as_ref().is_some_and(|(_, user)| user.id == existing.id);
            if sign_up || !own {
                return Err(ApiError::bad_request(e::USERNAME_IS_ALREADY_TAKEN));
            }
        }
    }
    if o.display_username {
        if let Some(Value::String(d)) = &display
            && !check_display_username(call, d).await?
        {
            return Err(ApiError::bad_request(e::INVALID_DISPLAY_USERNAME));
        }
        // Without a displayUsername, sign-up keeps the username as typed.
        if sign_up && username.as_ref().is_some_and(crate::validate::is_truthy) && !display.as_ref().is_some_and(crate::validate::is_truthy)
        {
            display = username.clone();
        }
    } else {
        display = None;
    }
    let username = match username {
        Some(Value::String(raw)) => Some(Value::String(normalize(call, &o.normalize, &raw).await?)),
        other => other,
    };
    let display = match display {
        Some(Value::String(raw)) => Some(Value::String(normalize(call, &o.normalize_display, &raw).await?)),
        other => other,
    };
    let Some(body) = call.body.as_object_mut() else { return Ok(None) };
    for (key, value) in [("username", username), ("displayUsername", display)] {
        match value {
            Some(v) => {
                body.insert(key.to_owned(), v);
            }
            None => {
                body.remove(key);
            }
        }
    }
    Ok(None)
}
