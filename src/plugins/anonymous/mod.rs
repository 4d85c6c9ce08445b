//! `anonymous` (upstream's `packages/better-auth/src/plugins/anonymous`): sign in without
//! credentials as a user flagged `isAnonymous`; when that browser later signs in or up for
//! real, `onLinkAccount` sees both users and the anonymous one is deleted.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::context::{Call, Outgoing};
use crate::crypto::generate_id;
use crate::db::models::{Session, User};
use crate::error::ApiError;
use crate::fields::{FieldDef, FieldDefault, FieldType, Mode};
use crate::options::OptionsError;
use crate::plugins::{Hook, HookKind, Plugin, PluginOptions};
use crate::routes::db_hooks::{self, Before, Thrown, thrown};
use crate::routes::session::{SessionFailure, create_session, delete_session_cookie, require_session, resolve_session, set_session_cookie};
use crate::routes::{Endpoint, Reply};
use crate::time_util::now_ms;
use crate::{after_hook, handler};

crate::error_codes! { mod error_codes {
    INVALID_EMAIL_FORMAT => "Email was not generated in a valid format",
    FAILED_TO_CREATE_USER => "Failed to create user",
    COULD_NOT_CREATE_SESSION => "Could not create session",
    ANONYMOUS_USERS_CANNOT_SIGN_IN_AGAIN_ANONYMOUSLY => "Anonymous users cannot sign in again anonymously",
    FAILED_TO_DELETE_ANONYMOUS_USER => "Failed to delete anonymous user",
    FAILED_TO_DELETE_ANONYMOUS_USER_SESSIONS => "Failed to delete anonymous user sessions",
    USER_IS_NOT_ANONYMOUS => "User is not anonymous",
    DELETE_ANONYMOUS_USER_DISABLED => "Deleting anonymous users is disabled",
} }
use error_codes as e;

const FIELD: &str = "isAnonymous";
/// `createPlaceholderEmail({ namespace: "anonymous" })` (packages/core/src/utils/email.ts).
const PLACEHOLDER_DOMAIN: &str = "anonymous.placeholder.invalid";

/// Paths whose sessions upgrade an anonymous one (upstream's after-hook matcher, by prefix).
const LINK_PATHS: &[&str] = &[
    "/sign-in",
    "/sign-up",
    "/callback",
    "/magic-link/verify",
    "/email-otp/verify-email",
    "/one-tap/callback",
    "/passkey/verify-authentication",
    "/phone-number/verify",
    "/verify-email",
];

struct Options {
    email_domain_name: Option<String>,
    generate_name: Option<Vec<String>>,
    generate_random_email: Option<Vec<String>>,
    on_link_account: Option<Vec<String>>,
    disable_delete: bool,
}

pub fn register(options: &mut PluginOptions<'_>) -> Result<Plugin, OptionsError> {
    let state = Options {
        // Upstream tests it for truthiness: "" means the default.
        email_domain_name: options.string("emailDomainName")?.filter(|d| !d.is_empty()),
        generate_name: options.function("generateName")?,
        generate_random_email: options.function("generateRandomEmail")?,
        on_link_account: options.function("onLinkAccount")?,
        disable_delete: options.bool("disableDeleteAnonymousUser")?.unwrap_or(false),
    };
    let column = schema_column(options)?;
    let mut plugin = Plugin::new("anonymous");
    plugin.error_codes = e::ALL;
    plugin.endpoints = vec![
        Endpoint::new("signInAnonymous", "/sign-in/anonymous", &["POST"], handler!(sign_in_anonymous)).describe("Sign in anonymously"),
        Endpoint::new("deleteAnonymousUser", "/delete-anonymous-user", &["POST"], handler!(delete_anonymous_user))
            .describe("Delete an anonymous user"),
    ];
    plugin.hooks.push(Hook {
        matcher: |call| LINK_PATHS.iter().any(|p| call.path.starts_with(p)),
        run: HookKind::After(after_hook!(link_account)),
    });
    // Upstream's `schema.ts`: optional, not settable from bodies, false by default.
    plugin.user_fields.push(FieldDef {
        name: FIELD.to_owned(),
        column,
        field_type: FieldType::Boolean,
        required: Some(false),
        input: false,
        returned: true,
        default: Some(FieldDefault::Value(Value::Bool(false))),
        unique: false,
        indexed: false,
        bigint: false,
    });
    plugin.state = Arc::new(state);
    Ok(plugin)
}

/// `schema: { user: { modelName?, fields?: { isAnonymous?: "<column>" } } }`: the column.
fn schema_column(options: &mut PluginOptions<'_>) -> Result<String, OptionsError> {
    let Some(schema) = options.object("schema")? else { return Ok(FIELD.to_owned()) };
    let unknown = |path: &str| {
        OptionsError(format!(
            "better-auth-rs: unknown option `plugins[anonymous].schema.{path}`: the anonymous plugin has no such option (check the spelling)"
        ))
    };
    let mut column = FIELD.to_owned();
    for (table, section) in &schema {
        if table != "user" {
            return Err(unknown(table));
        }
        let Some(section) = section.as_object() else { return Err(options.invalid("schema.user", "expected an object")) };
        for (key, value) in section {
            match (key.as_str(), value) {
                (_, Value::Null) => {}
                // Upstream's core `user` table keeps `user.modelName`; a plugin's is ignored.
                ("modelName", Value::String(_)) => options.warn(
                    "option `plugins[anonymous].schema.user.modelName` has no effect (upstream ignores it too); use `user.modelName`"
                        .to_owned(),
                ),
                ("fields", Value::Object(fields)) => {
                    for (field, name) in fields {
                        match (field.as_str(), name) {
                            (FIELD, Value::String(c)) if crate::db::names::is_identifier(c) => column = c.clone(),
                            (FIELD, Value::Null) => {}
                            (FIELD, _) => {
                                return Err(
                                    options.invalid("schema.user.fields.isAnonymous", "expected a plain column name (letters, digits, _)")
                                );
                            }
                            (other, _) => return Err(unknown(&format!("user.fields.{other}"))),
                        }
                    }
                }
                ("modelName", _) => return Err(options.invalid("schema.user.modelName", "expected a string")),
                ("fields", _) => return Err(options.invalid("schema.user.fields", "expected an object")),
                (other, _) => return Err(unknown(&format!("user.{other}"))),
            }
        }
    }
    Ok(column)
}

fn options<'c>(call: &Call<'c>) -> &'c Options {
    call.ctx.options.plugins.state::<Options>("anonymous").expect("anonymous plugin state")
}

fn is_anonymous(user: &User) -> bool {
    user.extra.get(FIELD).is_some_and(crate::validate::is_truthy)
}

/// A function option's failure as upstream answers it: a thrown `APIError` as is, anything
/// else an empty 500.
fn failed(message: &str) -> ApiError {
    thrown(message).or(ApiError::empty(500))
}

async fn call_fn(call: &Call<'_>, path: &[String], args: Vec<Value>) -> Result<Value, ApiError> {
    let segments: Vec<&str> = path.iter().map(String::as_str).collect();
    call.ctx.call_option(&segments, args).await.map_err(|m| failed(&m))
}

/// Upstream's `getAnonUserEmail`: `generateRandomEmail()` when it gives something (checked
/// with `z.email()`), else `temp-<id>@<emailDomainName>`, else the placeholder address.
async fn anonymous_email(call: &Call<'_>) -> Result<String, ApiError> {
    let o = options(call);
    if let Some(path) = &o.generate_random_email {
        let custom = call_fn(call, path, Vec::new()).await?;
        if crate::validate::is_truthy(&custom) {
            return match custom {
                Value::String(s) if crate::validate::is_valid_email(&s) => Ok(s),
                _ => Err(ApiError::bad_request(e::INVALID_EMAIL_FORMAT)),
            };
        }
    }
    let id = generate_id();
    Ok(match &o.email_domain_name {
        Some(domain) => format!("temp-{id}@{domain}"),
        None => format!("{id}@{PLACEHOLDER_DOMAIN}"),
    })
}

/// `(await generateName?.(ctx)) || "Anonymous"`.
async fn anonymous_name(call: &Call<'_>) -> Result<String, ApiError> {
    let Some(path) = &options(call).generate_name else { return Ok("Anonymous".to_owned()) };
    match call_fn(call, path, vec![call.context_arg()]).await? {
        Value::String(s) if !s.is_empty() => Ok(s),
        v if !crate::validate::is_truthy(&v) => Ok("Anonymous".to_owned()),
        other => {
            call.ctx
                .logger
                .error(&format!("`plugins[anonymous].generateName` returned {}, not a string", crate::option_keys::describe(&other)));
            Err(ApiError::empty(500))
        }
    }
}

/// `POST /sign-in/anonymous`: a new anonymous user and session (the body is not read).
async fn sign_in_anonymous(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    // A failed lookup is no session, as upstream's `getSessionFromCtx` has it.
    if let Ok(Some((_, user))) = resolve_session(call, true).await
        && is_anonymous(&user)
    {
        return Err(ApiError::bad_request(e::ANONYMOUS_USERS_CANNOT_SIGN_IN_AGAIN_ANONYMOUSLY));
    }
    let email = anonymous_email(call).await?;
    let name = anonymous_name(call).await?;
    let ctx = call.ctx;
    let defaults = ctx.field_input("user", &Map::new(), Mode::Create).await?;
    let (mut extra, hidden) = crate::db::split_fields(&ctx.options.user_fields, defaults);
    extra.insert(FIELD.to_owned(), Value::Bool(true));
    let now = now_ms();
    // Upstream's `createUser` lower-cases every email.
    let mut user = User {
        id: generate_id(),
        name,
        email: email.to_lowercase(),
        email_verified: false,
        image: None,
        created_at: now,
        updated_at: now,
        extra,
        hidden,
    };
    match db_hooks::before_create(call, "user", db_hooks::row_json(&user, &user.hidden)).await {
        Ok(Before::Abort) => return Err(ApiError::new(500, e::FAILED_TO_CREATE_USER)),
        Ok(Before::Proceed(data)) => db_hooks::merge_user(&mut user, &data, &ctx.options.user_fields),
        Err(t) => return Err(t.or(ApiError::empty(500))),
    }
    // Uncaught upstream (a taken email from `generateRandomEmail`, say): an empty 500.
    if let Err(err) = ctx.db.create_user_with_oauth_account(&user, None).await {
        ctx.logger.error(&format!("Failed to create anonymous user: {err}"));
        return Err(ApiError::empty(500));
    }
    db_hooks::after_create(call, "user", db_hooks::row_json(&user, &user.hidden)).await.map_err(|t| t.or(ApiError::empty(500)))?;
    // Upstream creates user and session apart: a failed session leaves the user.
    let session = match create_session(call, &user.id, false).await {
        Ok(session) => session,
        Err(SessionFailure::Refused) => return Err(ApiError::bad_request(e::COULD_NOT_CREATE_SESSION)),
        Err(SessionFailure::Hook(t)) => return Err(t.or(ApiError::empty(500))),
        Err(other) => {
            ctx.logger.error(&format!("Failed to create session: {other}"));
            return Err(ApiError::empty(500));
        }
    };
    set_session_cookie(call, &session, &user, None).await;
    call.note_session(true, &session, &user);
    Ok(Reply::Json(json!({ "token": session.token, "user": user })))
}

/// `POST /delete-anonymous-user`: the caller's anonymous user, sessions first.
async fn delete_anonymous_user(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let (_, user) = require_session(call).await?;
    if options(call).disable_delete {
        return Err(ApiError::bad_request(e::DELETE_ANONYMOUS_USER_DISABLED));
    }
    if !is_anonymous(&user) {
        return Err(ApiError::new(403, e::USER_IS_NOT_ANONYMOUS));
    }
    let ctx = call.ctx;
    let sessions = if db_hooks::has_hooks(call, "session", "delete") {
        match ctx.db.list_sessions(&user.id).await {
            Ok(list) => db_hooks::delete_sessions(call, &list).await.map_err(|e| format!("{e:?}")),
            Err(err) => Err(err.to_string()),
        }
    } else {
        ctx.db.delete_user_sessions(&user.id, None).await.map_err(|err| err.to_string())
    };
    if let Err(err) = sessions {
        ctx.logger.error(&format!("Failed to delete anonymous user sessions: {err}"));
        return Err(ApiError::new(500, e::FAILED_TO_DELETE_ANONYMOUS_USER_SESSIONS));
    }
    if let Err(err) = delete_user(call, &user).await {
        ctx.logger.error(&format!("Failed to delete anonymous user: {err}"));
        return Err(ApiError::new(500, e::FAILED_TO_DELETE_ANONYMOUS_USER));
    }
    delete_session_cookie(call);
    Ok(Reply::Json(json!({ "success": true })))
}

/// Upstream's `internalAdapter.deleteUser`: with its sessions and accounts, through the
/// delete hooks when there are any.
async fn delete_user(call: &Call<'_>, user: &User) -> Result<(), String> {
    if db_hooks::has_user_delete_hooks(call) {
        db_hooks::delete_user(call, user).await.map(drop).map_err(|e| format!("{e:?}"))
    } else {
        call.ctx.db.delete_user(&user.id).await.map_err(|e| e.to_string())
    }
}

/// The request's own session when its user is anonymous. Read without touching the
/// response: upstream re-runs `getSession` here, whose cookie clearing for a stale cookie
/// also drops the session cookie this response sets.
async fn anonymous_request_session(call: &Call<'_>) -> Option<(Session, User)> {
    let ctx = call.ctx;
    let token = call.cookies.get_signed(&ctx.cookies.names.session_token, ctx.secret())?;
    let found = match ctx.db.find_session(token).await {
        Ok(found) => found,
        Err(err) => {
            ctx.logger.error(&format!("anonymous: session lookup: {err}"));
            None
        }
    };
    found.filter(|(session, user)| session.expires_at >= now_ms() && is_anonymous(user))
}

/// After a sign-in or sign-up that sets a session cookie from a browser signed in
/// anonymously: `onLinkAccount({ anonymousUser, newUser, ctx })`, then the anonymous user
/// is deleted (unless disabled, or the new session is that user's or anonymous too).
async fn link_account(call: &mut Call<'_>, result: Result<Reply, ApiError>) -> Result<Reply, ApiError> {
    let ctx = call.ctx;
    let sets_session =
        call.out.cookies.find(&ctx.cookies.names.session_token).is_some_and(|c| !c.value().split('.').next().unwrap_or("").is_empty());
    if !sets_session {
        return result;
    }
    let Some((anon_session, anon_user)) = anonymous_request_session(call).await else { return result };
    let Some(issued) = call.issued_session.as_deref().cloned() else {
        if call.path == "/sign-in/anonymous" {
            return Err(ApiError::bad_request(e::ANONYMOUS_USERS_CANNOT_SIGN_IN_AGAIN_ANONYMOUSLY));
        }
        return result;
    };
    let (new_session, new_user) = issued;
    let o = options(call);
    if let Some(path) = &o.on_link_account {
        // `ctx` without upstream's endpoint context: what the request was.
        let params: Map<String, Value> = call.params.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        let arg = json!({
            "anonymousUser": { "session": anon_session, "user": anon_user },
            "newUser": { "session": new_session, "user": new_user },
            "ctx": { "path": call.path, "params": params, "body": call.body, "query": call.query },
        });
        let segments: Vec<&str> = path.iter().map(String::as_str).collect();
        if let Err(message) = ctx.call_option(&segments, vec![arg]).await {
            return Err(match thrown(&message) {
                Thrown::Api(err) => err,
                // Upstream's dispatch rethrows it: a bare 500, the endpoint's cookies gone.
                Thrown::Other => {
                    call.out = Outgoing::default();
                    ApiError::empty(500)
                }
            });
        }
    }
    if o.disable_delete || new_user.id == anon_user.id || is_anonymous(&new_user) {
        return result;
    }
    if let Err(err) = delete_user(call, &anon_user).await {
        ctx.logger.error(&format!("Failed to clean up anonymous user during post-link cleanup ({}): {err}", anon_user.id));
    }
    result
}
