//! The endpoints, one module per group, and the table the router and `auth.api` share.

pub mod account;
pub mod db_hooks;
pub mod request_hooks;
pub mod delete_user;
pub mod email_verification;
pub mod ok;
pub mod password;
pub mod session;
pub mod sign_in;
pub mod sign_out;
pub mod sign_up;
pub mod social;
pub mod user;

use std::future::Future;
use std::pin::Pin;

use serde_json::Value;

use crate::context::{AuthContext, Call};
use crate::error::{ApiError, codes};

/// What an endpoint answers on success.
#[derive(Debug)]
pub enum Reply {
    Json(Value),
    Html(String),
    /// A response a hook made (`json`: the body is JSON).
    Raw { status: u16, headers: Vec<(String, String)>, body: Vec<u8>, json: bool },
}

/// What an endpoint handler returns: boxed, so core and plugin handlers share one table.
pub type HandlerFuture<'c> = Pin<Box<dyn Future<Output = Result<Reply, ApiError>> + Send + 'c>>;
pub type Handler = for<'c, 'a> fn(&'c mut Call<'a>) -> HandlerFuture<'c>;

/// `handler!(module::function)`: an `async fn(&mut Call) -> Result<Reply, ApiError>` as a [`Handler`].
#[macro_export]
macro_rules! handler {
    ($f:path) => {{
        fn boxed<'c, 'a>(call: &'c mut $crate::context::Call<'a>) -> $crate::routes::HandlerFuture<'c> {
            Box::pin($f(call))
        }
        boxed as $crate::routes::Handler
    }};
}

/// One row of the endpoint table that feeds the router, `auth.api` and the type check.
#[derive(Clone)]
pub struct Endpoint {
    /// The `auth.api` name.
    pub api_name: &'static str,
    /// Relative to the base path; empty for server-only endpoints, which are never routed.
    pub path: &'static str,
    pub methods: &'static [&'static str],
    /// Also accepts `application/x-www-form-urlencoded` bodies.
    pub accepts_form: bool,
    pub handler: Handler,
    /// The plugin that contributed it (`None`: the core).
    pub plugin: Option<&'static str>,
}

impl Endpoint {
    pub const fn new(api_name: &'static str, path: &'static str, methods: &'static [&'static str], handler: Handler) -> Endpoint {
        Endpoint { api_name, path, methods, accepts_form: false, handler, plugin: None }
    }

    /// Server-only: callable through `auth.api`, never routed (upstream's `SERVER_ONLY`).
    pub const fn server_only(api_name: &'static str, handler: Handler) -> Endpoint {
        Endpoint::new(api_name, "", &["POST"], handler)
    }

    pub const fn form(mut self) -> Endpoint {
        self.accepts_form = true;
        self
    }
}

/// The core's endpoints (upstream's `packages/better-auth/src/api/index.ts`); plugins add theirs.
pub fn core_endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new("ok", "/ok", &["GET"], handler!(ok::ok)),
        Endpoint::new("error", "/error", &["GET"], handler!(ok::error_page)),
        Endpoint::new("signUpEmail", "/sign-up/email", &["POST"], handler!(sign_up::sign_up_email)).form(),
        Endpoint::new("signInEmail", "/sign-in/email", &["POST"], handler!(sign_in::sign_in_email)).form(),
        Endpoint::new("getSession", "/get-session", &["GET", "POST"], handler!(session::get_session)),
        Endpoint::new("signOut", "/sign-out", &["POST"], handler!(sign_out::sign_out)),
        Endpoint::new("listSessions", "/list-sessions", &["GET"], handler!(session::list_sessions)),
        Endpoint::new("revokeSession", "/revoke-session", &["POST"], handler!(session::revoke_session)),
        Endpoint::new("revokeSessions", "/revoke-sessions", &["POST"], handler!(session::revoke_sessions)),
        Endpoint::new("revokeOtherSessions", "/revoke-other-sessions", &["POST"], handler!(session::revoke_other_sessions)),
        Endpoint::new("updateUser", "/update-user", &["POST"], handler!(user::update_user)),
        Endpoint::new("changePassword", "/change-password", &["POST"], handler!(user::change_password)),
        Endpoint::new("verifyPassword", "/verify-password", &["POST"], handler!(user::verify_password)),
        Endpoint::server_only("setPassword", handler!(user::set_password)),
        Endpoint::new("listUserAccounts", "/list-accounts", &["GET"], handler!(account::list_accounts)),
        Endpoint::new("unlinkAccount", "/unlink-account", &["POST"], handler!(account::unlink_account)),
        Endpoint::new("requestPasswordReset", "/request-password-reset", &["POST"], handler!(password::request_password_reset)),
        Endpoint::new("requestPasswordResetCallback", "/reset-password/:token", &["GET"], handler!(password::reset_password_callback)),
        Endpoint::new("resetPassword", "/reset-password", &["POST"], handler!(password::reset_password)),
        Endpoint::new("sendVerificationEmail", "/send-verification-email", &["POST"], handler!(email_verification::send_verification_email)),
        Endpoint::new("verifyEmail", "/verify-email", &["GET"], handler!(email_verification::verify_email)),
        Endpoint::new("deleteUser", "/delete-user", &["POST"], handler!(delete_user::delete_user)),
        Endpoint::new("deleteUserCallback", "/delete-user/callback", &["GET"], handler!(delete_user::delete_user_callback)),
        Endpoint::new("updateSession", "/update-session", &["POST"], handler!(session::update_session)),
        Endpoint::new("changeEmail", "/change-email", &["POST"], handler!(user::change_email)),
        Endpoint::new("signInSocial", "/sign-in/social", &["POST"], handler!(social::sign_in_social)),
        // POST: a provider's `form_post` (Apple), bounced to GET.
        Endpoint::new("callbackOAuth", "/callback/:id", &["GET", "POST"], handler!(social::callback)).form(),
        Endpoint::new("linkSocialAccount", "/link-social", &["POST"], handler!(social::link_social)),
        Endpoint::new("getAccessToken", "/get-access-token", &["POST"], handler!(account::get_access_token)),
        Endpoint::new("refreshToken", "/refresh-token", &["POST"], handler!(account::refresh_token)),
        Endpoint::new("accountInfo", "/account-info", &["GET"], handler!(account::account_info)),
    ]
}

/// Upstream's limits, counted in UTF-16 code units like JavaScript's `length`. Sign-in
/// checks only the maximum.
pub fn check_password_length(ctx: &AuthContext, password: &str, check_min: bool) -> Result<(), ApiError> {
    let len = password.encode_utf16().count();
    let opts = &ctx.options.email_and_password;
    if check_min && len < opts.min_password_length {
        ctx.logger.warn("Password is too short");
        return Err(ApiError::bad_request(codes::PASSWORD_TOO_SHORT));
    }
    if len > opts.max_password_length {
        ctx.logger.warn("Password is too long");
        return Err(ApiError::bad_request(codes::PASSWORD_TOO_LONG));
    }
    Ok(())
}
