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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointId {
    Ok,
    Error,
    SignUpEmail,
    SignInEmail,
    GetSession,
    SignOut,
    ListSessions,
    RevokeSession,
    RevokeSessions,
    RevokeOtherSessions,
    UpdateUser,
    ChangePassword,
    VerifyPassword,
    SetPassword,
    ListAccounts,
    UnlinkAccount,
    RequestPasswordReset,
    ResetPasswordCallback,
    ResetPassword,
    SendVerificationEmail,
    VerifyEmail,
    DeleteUser,
    DeleteUserCallback,
    UpdateSession,
    ChangeEmail,
    SignInSocial,
    OAuthCallback,
    LinkSocial,
    GetAccessToken,
    RefreshToken,
    AccountInfo,
}

pub struct Endpoint {
    pub id: EndpointId,
    /// The `auth.api` name.
    pub api_name: &'static str,
    /// Relative to the base path; empty for server-only endpoints, which are never routed.
    pub path: &'static str,
    pub methods: &'static [&'static str],
    /// Also accepts `application/x-www-form-urlencoded` bodies.
    pub accepts_form: bool,
}

pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint { id: EndpointId::Ok, api_name: "ok", path: "/ok", methods: &["GET"], accepts_form: false },
    Endpoint { id: EndpointId::Error, api_name: "error", path: "/error", methods: &["GET"], accepts_form: false },
    Endpoint { id: EndpointId::SignUpEmail, api_name: "signUpEmail", path: "/sign-up/email", methods: &["POST"], accepts_form: true },
    Endpoint { id: EndpointId::SignInEmail, api_name: "signInEmail", path: "/sign-in/email", methods: &["POST"], accepts_form: true },
    Endpoint { id: EndpointId::GetSession, api_name: "getSession", path: "/get-session", methods: &["GET", "POST"], accepts_form: false },
    Endpoint { id: EndpointId::SignOut, api_name: "signOut", path: "/sign-out", methods: &["POST"], accepts_form: false },
    Endpoint { id: EndpointId::ListSessions, api_name: "listSessions", path: "/list-sessions", methods: &["GET"], accepts_form: false },
    Endpoint { id: EndpointId::RevokeSession, api_name: "revokeSession", path: "/revoke-session", methods: &["POST"], accepts_form: false },
    Endpoint { id: EndpointId::RevokeSessions, api_name: "revokeSessions", path: "/revoke-sessions", methods: &["POST"], accepts_form: false },
    Endpoint {
        id: EndpointId::RevokeOtherSessions,
        api_name: "revokeOtherSessions",
        path: "/revoke-other-sessions",
        methods: &["POST"],
        accepts_form: false,
    },
    Endpoint { id: EndpointId::UpdateUser, api_name: "updateUser", path: "/update-user", methods: &["POST"], accepts_form: false },
    Endpoint { id: EndpointId::ChangePassword, api_name: "changePassword", path: "/change-password", methods: &["POST"], accepts_form: false },
    Endpoint { id: EndpointId::VerifyPassword, api_name: "verifyPassword", path: "/verify-password", methods: &["POST"], accepts_form: false },
    Endpoint { id: EndpointId::SetPassword, api_name: "setPassword", path: "", methods: &["POST"], accepts_form: false },
    Endpoint { id: EndpointId::ListAccounts, api_name: "listUserAccounts", path: "/list-accounts", methods: &["GET"], accepts_form: false },
    Endpoint { id: EndpointId::UnlinkAccount, api_name: "unlinkAccount", path: "/unlink-account", methods: &["POST"], accepts_form: false },
    Endpoint {
        id: EndpointId::RequestPasswordReset,
        api_name: "requestPasswordReset",
        path: "/request-password-reset",
        methods: &["POST"],
        accepts_form: false,
    },
    Endpoint {
        id: EndpointId::ResetPasswordCallback,
        api_name: "requestPasswordResetCallback",
        path: "/reset-password/:token",
        methods: &["GET"],
        accepts_form: false,
    },
    Endpoint { id: EndpointId::ResetPassword, api_name: "resetPassword", path: "/reset-password", methods: &["POST"], accepts_form: false },
    Endpoint {
        id: EndpointId::SendVerificationEmail,
        api_name: "sendVerificationEmail",
        path: "/send-verification-email",
        methods: &["POST"],
        accepts_form: false,
    },
    Endpoint { id: EndpointId::VerifyEmail, api_name: "verifyEmail", path: "/verify-email", methods: &["GET"], accepts_form: false },
    Endpoint { id: EndpointId::DeleteUser, api_name: "deleteUser", path: "/delete-user", methods: &["POST"], accepts_form: false },
    Endpoint {
        id: EndpointId::DeleteUserCallback,
        api_name: "deleteUserCallback",
        path: "/delete-user/callback",
        methods: &["GET"],
        accepts_form: false,
    },
    Endpoint { id: EndpointId::UpdateSession, api_name: "updateSession", path: "/update-session", methods: &["POST"], accepts_form: false },
    Endpoint { id: EndpointId::ChangeEmail, api_name: "changeEmail", path: "/change-email", methods: &["POST"], accepts_form: false },
    Endpoint { id: EndpointId::SignInSocial, api_name: "signInSocial", path: "/sign-in/social", methods: &["POST"], accepts_form: false },
    // POST: a provider's `form_post` (Apple), bounced to GET.
    Endpoint { id: EndpointId::OAuthCallback, api_name: "callbackOAuth", path: "/callback/:id", methods: &["GET", "POST"], accepts_form: true },
    Endpoint { id: EndpointId::LinkSocial, api_name: "linkSocialAccount", path: "/link-social", methods: &["POST"], accepts_form: false },
    Endpoint { id: EndpointId::GetAccessToken, api_name: "getAccessToken", path: "/get-access-token", methods: &["POST"], accepts_form: false },
    Endpoint { id: EndpointId::RefreshToken, api_name: "refreshToken", path: "/refresh-token", methods: &["POST"], accepts_form: false },
    Endpoint { id: EndpointId::AccountInfo, api_name: "accountInfo", path: "/account-info", methods: &["GET"], accepts_form: false },
];

pub async fn dispatch(id: EndpointId, call: &mut Call<'_>) -> Result<Reply, ApiError> {
    match id {
        EndpointId::Ok => ok::ok(call).await,
        EndpointId::Error => ok::error_page(call).await,
        EndpointId::SignUpEmail => sign_up::sign_up_email(call).await,
        EndpointId::SignInEmail => sign_in::sign_in_email(call).await,
        EndpointId::GetSession => session::get_session(call).await,
        EndpointId::SignOut => sign_out::sign_out(call).await,
        EndpointId::ListSessions => session::list_sessions(call).await,
        EndpointId::RevokeSession => session::revoke_session(call).await,
        EndpointId::RevokeSessions => session::revoke_sessions(call).await,
        EndpointId::RevokeOtherSessions => session::revoke_other_sessions(call).await,
        EndpointId::UpdateUser => user::update_user(call).await,
        EndpointId::ChangePassword => user::change_password(call).await,
        EndpointId::VerifyPassword => user::verify_password(call).await,
        EndpointId::SetPassword => user::set_password(call).await,
        EndpointId::ListAccounts => account::list_accounts(call).await,
        EndpointId::UnlinkAccount => account::unlink_account(call).await,
        EndpointId::RequestPasswordReset => password::request_password_reset(call).await,
        EndpointId::ResetPasswordCallback => password::reset_password_callback(call).await,
        EndpointId::ResetPassword => password::reset_password(call).await,
        EndpointId::SendVerificationEmail => email_verification::send_verification_email(call).await,
        EndpointId::VerifyEmail => email_verification::verify_email(call).await,
        EndpointId::DeleteUser => delete_user::delete_user(call).await,
        EndpointId::DeleteUserCallback => delete_user::delete_user_callback(call).await,
        EndpointId::UpdateSession => session::update_session(call).await,
        EndpointId::ChangeEmail => user::change_email(call).await,
        EndpointId::SignInSocial => social::sign_in_social(call).await,
        EndpointId::OAuthCallback => social::callback(call).await,
        EndpointId::LinkSocial => social::link_social(call).await,
        EndpointId::GetAccessToken => account::get_access_token(call).await,
        EndpointId::RefreshToken => account::refresh_token(call).await,
        EndpointId::AccountInfo => account::account_info(call).await,
    }
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
