//! The endpoints, one module per group, and the table the router and `auth.api` share.

pub mod account;
pub mod db_hooks;
pub mod delete_user;
pub mod email_verification;
pub mod ok;
pub mod password;
pub mod request_hooks;
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
    Raw {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        json: bool,
    },
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
    /// What the OpenAPI document says of it.
    pub doc: Doc,
}

/// An endpoint's OpenAPI metadata, as upstream's `metadata.openapi` and zod schemas give it.
/// Fields are written `name:type` (`name?:type` when optional), space-separated; a query
/// parameter upstream documents as required is `name!:type`.
#[derive(Clone, Copy, Default)]
pub struct Doc {
    pub description: &'static str,
    pub operation_id: &'static str,
    pub query: &'static str,
    /// `None`: no body schema.
    pub body: Option<&'static str>,
    /// `requestBody.required`, when upstream states it.
    pub body_required: Option<bool>,
    /// A `422` answer it documents, and why.
    pub unprocessable: &'static str,
}

impl Endpoint {
    pub const fn new(api_name: &'static str, path: &'static str, methods: &'static [&'static str], handler: Handler) -> Endpoint {
        Endpoint {
            api_name,
            path,
            methods,
            accepts_form: false,
            handler,
            plugin: None,
            doc: Doc { description: "", operation_id: "", query: "", body: None, body_required: None, unprocessable: "" },
        }
    }

    /// Server-only: callable through `auth.api`, never routed (upstream's `SERVER_ONLY`).
    pub const fn server_only(api_name: &'static str, handler: Handler) -> Endpoint {
        Endpoint::new(api_name, "", &["POST"], handler)
    }

    pub const fn form(mut self) -> Endpoint {
        self.accepts_form = true;
        self
    }

    pub const fn describe(mut self, description: &'static str) -> Endpoint {
        self.doc.description = description;
        self
    }

    pub const fn operation(mut self, id: &'static str) -> Endpoint {
        self.doc.operation_id = id;
        self
    }

    /// Documents a `422` answer.
    pub const fn unprocessable(mut self, why: &'static str) -> Endpoint {
        self.doc.unprocessable = why;
        self
    }

    pub const fn query(mut self, fields: &'static str) -> Endpoint {
        self.doc.query = fields;
        self
    }

    /// A body that must be given.
    pub const fn body(mut self, fields: &'static str) -> Endpoint {
        self.doc.body = Some(fields);
        self.doc.body_required = Some(true);
        self
    }

    /// A body that may be left out.
    pub const fn optional_body(mut self, fields: &'static str) -> Endpoint {
        self.doc.body = Some(fields);
        self.doc.body_required = Some(false);
        self
    }

    /// A body upstream documents without saying whether it is required.
    pub const fn loose_body(mut self, fields: &'static str) -> Endpoint {
        self.doc.body = Some(fields);
        self
    }
}

/// The core's endpoints (upstream's `packages/better-auth/src/api/index.ts`); plugins add theirs.
pub fn core_endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new("ok", "/ok", &["GET"], handler!(ok::ok)).describe("Check if the API is working"),
        Endpoint::new("error", "/error", &["GET"], handler!(ok::error_page)).describe("Displays an error page"),
        Endpoint::new("signUpEmail", "/sign-up/email", &["POST"], handler!(sign_up::sign_up_email)).form().describe("Sign up a user using email and password").operation("signUpWithEmailAndPassword").unprocessable("Unprocessable Entity. User already exists or failed to create user.").loose_body("name:string email:string password:string image?:string callbackURL?:string rememberMe?:boolean"),
        Endpoint::new("signInEmail", "/sign-in/email", &["POST"], handler!(sign_in::sign_in_email)).form().describe("Sign in with email and password").operation("signInEmail").body("email:string password:string callbackURL?:string rememberMe?:boolean"),
        Endpoint::new("getSession", "/get-session", &["GET", "POST"], handler!(session::get_session)).describe("Get the current session").operation("getSession").query("disableCookieCache:boolean disableRefresh:boolean").loose_body(""),
        Endpoint::new("signOut", "/sign-out", &["POST"], handler!(sign_out::sign_out)).describe("Sign out the current user").operation("signOut").optional_body("callbackURL?:string disableRedirect?:boolean state?:string"),
        Endpoint::new("listSessions", "/list-sessions", &["GET"], handler!(session::list_sessions)).describe("List all active sessions for the user").operation("listUserSessions"),
        Endpoint::new("revokeSession", "/revoke-session", &["POST"], handler!(session::revoke_session)).describe("Revoke a single session").loose_body("token:string"),
        Endpoint::new("revokeSessions", "/revoke-sessions", &["POST"], handler!(session::revoke_sessions)).describe("Revoke all sessions for the user").loose_body(""),
        Endpoint::new("revokeOtherSessions", "/revoke-other-sessions", &["POST"], handler!(session::revoke_other_sessions)).describe("Revoke all other sessions for the user except the current one").loose_body(""),
        Endpoint::new("updateUser", "/update-user", &["POST"], handler!(user::update_user)).describe("Update the current user").operation("updateUser").loose_body("name?:string image?:string"),
        Endpoint::new("changePassword", "/change-password", &["POST"], handler!(user::change_password)).describe("Change the password of the user").operation("changePassword").body("newPassword:string currentPassword:string revokeOtherSessions?:boolean"),
        Endpoint::new("verifyPassword", "/verify-password", &["POST"], handler!(user::verify_password)).describe("Verify the current user's password").operation("verifyPassword").body("password:string"),
        Endpoint::server_only("setPassword", handler!(user::set_password)),
        Endpoint::new("listUserAccounts", "/list-accounts", &["GET"], handler!(account::list_accounts)).describe("List all accounts linked to the user").operation("listUserAccounts"),
        Endpoint::new("unlinkAccount", "/unlink-account", &["POST"], handler!(account::unlink_account)).describe("Unlink an account").body("accountId:string"),
        Endpoint::new("requestPasswordReset", "/request-password-reset", &["POST"], handler!(password::request_password_reset)).describe("Send a password reset email to the user").operation("requestPasswordReset").body("email:string redirectTo?:string"),
        Endpoint::new("requestPasswordResetCallback", "/reset-password/:token", &["GET"], handler!(password::reset_password_callback)).describe("Redirects the user to the callback URL with the token").operation("resetPasswordCallback").query("callbackURL!:string"),
        Endpoint::new("resetPassword", "/reset-password", &["POST"], handler!(password::reset_password)).describe("Reset the password for a user").operation("resetPassword").query("token:string").body("newPassword:string token?:string"),
        Endpoint::new("sendVerificationEmail", "/send-verification-email", &["POST"], handler!(email_verification::send_verification_email)).describe("Send a verification email to the user").operation("sendVerificationEmail").loose_body("email:string callbackURL?:string"),
        Endpoint::new("verifyEmail", "/verify-email", &["GET"], handler!(email_verification::verify_email)).describe("Verify the email of the user").query("token!:string callbackURL:string"),
        Endpoint::new("deleteUser", "/delete-user", &["POST"], handler!(delete_user::delete_user)).describe("Delete the user").operation("deleteUser").loose_body("callbackURL?:string password?:string token?:string"),
        Endpoint::new("deleteUserCallback", "/delete-user/callback", &["GET"], handler!(delete_user::delete_user_callback)).describe("Callback to complete user deletion with verification token").query("token:string callbackURL:string"),
        Endpoint::new("updateSession", "/update-session", &["POST"], handler!(session::update_session)).describe("Update the current session").operation("updateSession").body(""),
        Endpoint::new("changeEmail", "/change-email", &["POST"], handler!(user::change_email)).operation("changeEmail").body("newEmail:string callbackURL?:string"),
        Endpoint::new("signInSocial", "/sign-in/social", &["POST"], handler!(social::sign_in_social)).describe("Sign in with a social provider").operation("socialSignIn").body("callbackURL?:string newUserCallbackURL?:string errorCallbackURL?:string provider:string disableRedirect?:boolean idToken?:object scopes?:array requestSignUp?:boolean loginHint?:string additionalParams?:object additionalData?:object"),
        // POST: a provider's `form_post` (Apple), bounced to GET.
        Endpoint::new("callbackOAuth", "/callback/:id", &["GET", "POST"], handler!(social::callback)).form().query("code:string error:string device_id:string error_description:string state:string user:string iss:string").optional_body("code?:string error?:string device_id?:string error_description?:string state?:string user?:string iss?:string"),
        Endpoint::new("linkSocialAccount", "/link-social", &["POST"], handler!(social::link_social)).describe("Link a social account to the user").operation("linkSocialAccount").body("callbackURL?:string provider:string idToken?:object requestSignUp?:boolean scopes?:array errorCallbackURL?:string disableRedirect?:boolean loginHint?:string additionalParams?:object additionalData?:object"),
        Endpoint::new("getAccessToken", "/get-access-token", &["POST"], handler!(account::get_access_token)).describe("Get a valid access token, doing a refresh if needed").body(""),
        Endpoint::new("refreshToken", "/refresh-token", &["POST"], handler!(account::refresh_token)).describe("Refresh the access token using a refresh token").body(""),
        Endpoint::new("accountInfo", "/account-info", &["GET"], handler!(account::account_info)).describe("Get the account info provided by the provider"),
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

/// Where a known email writes a verification value, an unknown one writes this stand-in, so
/// that timing does not tell them apart. It is never looked up; it lives two seconds (at least
/// one whole second of TTL in a secondary storage) and the expired-row sweep removes it.
pub async fn write_stand_in_verification(ctx: &AuthContext, kind: &str) {
    let identifier = format!("{kind}:{}", crate::crypto::random_string(24));
    let _ = ctx.db.create_verification(&identifier, "", crate::time_util::now_ms() + 2000).await;
}
