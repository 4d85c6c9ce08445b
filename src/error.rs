//! Better Auth's error model: an HTTP status, an optional `{ message, code }` body, and headers
//! (cookies, `Location`) that still reach the client when an endpoint fails.

use serde::Serialize;

use crate::logger::Logger;

/// A catalog entry: `code` and its fixed English message, as upstream's `BASE_ERROR_CODES`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode {
    pub code: &'static str,
    pub message: &'static str,
}

/// `error_codes! { mod name { CODE => "message", ... } }`: a module of [`ErrorCode`]s and `ALL`
/// of them (for `auth.$ERROR_CODES`), as upstream's `defineErrorCodes`. Plugins use it too.
#[macro_export]
macro_rules! error_codes {
    (mod $module:ident { $($name:ident => $message:literal,)* }) => {
        pub mod $module {
            use $crate::error::ErrorCode;
            $(pub const $name: ErrorCode = ErrorCode { code: stringify!($name), message: $message };)*
            /// Every code of this module, for `auth.$ERROR_CODES`.
            pub const ALL: &[ErrorCode] = &[$($name),*];
        }
    };
}

error_codes! { mod codes {
    USER_NOT_FOUND => "User not found",
    FAILED_TO_CREATE_USER => "Failed to create user",
    FAILED_TO_CREATE_SESSION => "Failed to create session",
    FAILED_TO_UPDATE_USER => "Failed to update user",
    FAILED_TO_GET_SESSION => "Failed to get session",
    INVALID_PASSWORD => "Invalid password",
    INVALID_EMAIL => "Invalid email",
    INVALID_EMAIL_OR_PASSWORD => "Invalid email or password",
    INVALID_USER => "Invalid user",
    SOCIAL_ACCOUNT_ALREADY_LINKED => "Social account already linked",
    PROVIDER_NOT_FOUND => "Provider not found",
    INVALID_TOKEN => "Invalid token",
    TOKEN_EXPIRED => "Token expired",
    ID_TOKEN_NOT_SUPPORTED => "id_token not supported",
    FAILED_TO_GET_USER_INFO => "Failed to get user info",
    USER_EMAIL_NOT_FOUND => "User email not found",
    EMAIL_NOT_VERIFIED => "Email not verified",
    PASSWORD_TOO_SHORT => "Password too short",
    PASSWORD_TOO_LONG => "Password too long",
    USER_ALREADY_EXISTS => "User already exists.",
    USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL => "User already exists. Use another email.",
    EMAIL_CAN_NOT_BE_UPDATED => "Email can not be updated",
    CHANGE_EMAIL_DISABLED => "Change email is disabled",
    CREDENTIAL_ACCOUNT_NOT_FOUND => "Credential account not found",
    SESSION_EXPIRED => "Session expired. Re-authenticate to perform this action.",
    FAILED_TO_UNLINK_LAST_ACCOUNT => "You can't unlink your last account",
    ACCOUNT_NOT_FOUND => "Account not found",
    USER_ALREADY_HAS_PASSWORD => "User already has a password. Provide that to delete the account.",
    CROSS_SITE_NAVIGATION_LOGIN_BLOCKED => "Cross-site navigation login blocked. This request appears to be a CSRF attack.",
    VERIFICATION_EMAIL_NOT_ENABLED => "Verification email isn't enabled",
    EMAIL_ALREADY_VERIFIED => "Email is already verified",
    EMAIL_MISMATCH => "Email mismatch",
    SESSION_NOT_FRESH => "Session is not fresh",
    LINKED_ACCOUNT_ALREADY_EXISTS => "Linked account already exists",
    INVALID_ORIGIN => "Invalid origin",
    INVALID_CALLBACK_URL => "Invalid callbackURL",
    INVALID_REDIRECT_URL => "Invalid redirectURL",
    INVALID_ERROR_CALLBACK_URL => "Invalid errorCallbackURL",
    INVALID_NEW_USER_CALLBACK_URL => "Invalid newUserCallbackURL",
    MISSING_OR_NULL_ORIGIN => "Missing or null Origin",
    CALLBACK_URL_REQUIRED => "callbackURL is required",
    FAILED_TO_CREATE_VERIFICATION => "Unable to create verification",
    FIELD_NOT_ALLOWED => "Field not allowed to be set",
    ASYNC_VALIDATION_NOT_SUPPORTED => "Async validation is not supported",
    VALIDATION_ERROR => "Validation Error",
    MISSING_FIELD => "Field is required",
    METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED => "POST method requires deferSessionRefresh to be enabled in session config",
    BODY_MUST_BE_AN_OBJECT => "Body must be an object",
    PASSWORD_ALREADY_SET => "User already has a password set",
} }

/// Codes upstream's routes and better-call emit outside `packages/core/src/error/codes.ts`, plus
/// our request-size limit.
pub mod extra_codes {
    use super::ErrorCode;
    pub const EMAIL_PASSWORD_SIGN_UP_DISABLED: ErrorCode =
        ErrorCode { code: "EMAIL_PASSWORD_SIGN_UP_DISABLED", message: "Email and password sign up is not enabled" };
    pub const EMAIL_PASSWORD_DISABLED: ErrorCode =
        ErrorCode { code: "EMAIL_PASSWORD_DISABLED", message: "Email and password is not enabled" };
    pub const PAYLOAD_TOO_LARGE: ErrorCode = ErrorCode { code: "PAYLOAD_TOO_LARGE", message: "Request body is too large" };
    pub const INTERNAL_SERVER_ERROR: ErrorCode = ErrorCode { code: "INTERNAL_SERVER_ERROR", message: "Internal Server Error" };
    pub const RESET_PASSWORD_DISABLED: ErrorCode = ErrorCode { code: "RESET_PASSWORD_DISABLED", message: "Reset password isn't enabled" };
    pub const NOT_FOUND: ErrorCode = ErrorCode { code: "NOT_FOUND", message: "Not found" };
    pub const INVALID_JSON: ErrorCode = ErrorCode { code: "BAD_REQUEST", message: "Invalid JSON in request body" };
    /// Its message is always built (it names the content types).
    pub const UNSUPPORTED_MEDIA_TYPE: ErrorCode = ErrorCode { code: "UNSUPPORTED_MEDIA_TYPE", message: "Unsupported media type" };
    // The social routes' own codes (upstream's account.ts and sign-in.ts).
    pub const USER_ID_OR_SESSION_REQUIRED: ErrorCode =
        ErrorCode { code: "USER_ID_OR_SESSION_REQUIRED", message: "Either userId or session is required" };
    /// Its message names the provider.
    pub const PROVIDER_NOT_SUPPORTED: ErrorCode = ErrorCode { code: "PROVIDER_NOT_SUPPORTED", message: "Provider is not supported." };
    pub const PROVIDER_NOT_CONFIGURED: ErrorCode =
        ErrorCode { code: "PROVIDER_NOT_CONFIGURED", message: "Account is not associated with a configured social provider." };
    pub const FAILED_TO_GET_ACCESS_TOKEN: ErrorCode =
        ErrorCode { code: "FAILED_TO_GET_ACCESS_TOKEN", message: "Failed to get a valid access token" };
    pub const FAILED_TO_REFRESH_ACCESS_TOKEN: ErrorCode =
        ErrorCode { code: "FAILED_TO_REFRESH_ACCESS_TOKEN", message: "Failed to refresh access token" };
    pub const REFRESH_TOKEN_NOT_FOUND: ErrorCode = ErrorCode { code: "REFRESH_TOKEN_NOT_FOUND", message: "Refresh token not found" };
    pub const ACCESS_TOKEN_NOT_FOUND: ErrorCode = ErrorCode { code: "ACCESS_TOKEN_NOT_FOUND", message: "Access token not found" };
    pub const LINKING_NOT_ALLOWED: ErrorCode =
        ErrorCode { code: "LINKING_NOT_ALLOWED", message: "Account not linked - linking not allowed" };
    pub const LINKING_DIFFERENT_EMAILS_NOT_ALLOWED: ErrorCode =
        ErrorCode { code: "LINKING_DIFFERENT_EMAILS_NOT_ALLOWED", message: "Account not linked - different emails not allowed" };
    pub const LINKING_FAILED: ErrorCode = ErrorCode { code: "LINKING_FAILED", message: "Account not linked - unable to create account" };
    /// Its message is the linking failure's reason (`account not linked`, ...).
    pub const OAUTH_LINK_ERROR: ErrorCode = ErrorCode { code: "OAUTH_LINK_ERROR", message: "OAuth link error" };
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorBody {
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// An error an endpoint answers with. `body: None` is an empty body (upstream does that for
/// 404s, redirects and unexpected failures).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub body: Option<ErrorBody>,
    pub headers: Vec<(String, String)>,
}

impl ApiError {
    pub fn new(status: u16, code: ErrorCode) -> Self {
        Self::with_message(status, code, code.message)
    }

    pub fn with_message(status: u16, code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError { status, body: Some(ErrorBody { message: message.into(), code: Some(code.code.to_string()) }), headers: Vec::new() }
    }

    /// An error whose body has only a message (a few upstream errors carry no code).
    pub fn message_only(status: u16, message: impl Into<String>) -> Self {
        ApiError { status, body: Some(ErrorBody { message: message.into(), code: None }), headers: Vec::new() }
    }

    pub fn empty(status: u16) -> Self {
        ApiError { status, body: None, headers: Vec::new() }
    }

    /// `400 VALIDATION_ERROR` with upstream's `[body.<field>] <message>` text.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::with_message(400, codes::VALIDATION_ERROR, message)
    }

    pub fn bad_request(code: ErrorCode) -> Self {
        Self::new(400, code)
    }

    pub fn unauthorized() -> Self {
        ApiError::with_message(401, ErrorCode { code: "UNAUTHORIZED", message: "Unauthorized" }, "Unauthorized")
    }

    /// A failure we did not expect (database down, a bug): logged by the caller, answered as
    /// a 500 that reveals nothing.
    pub fn internal() -> Self {
        Self::new(500, extra_codes::INTERNAL_SERVER_ERROR)
    }

    /// Redirects travel as errors, as upstream's `ctx.redirect` throws `FOUND`.
    pub fn redirect(location: impl Into<String>) -> Self {
        ApiError { status: 302, body: None, headers: vec![("location".into(), location.into())] }
    }
}

/// Turns storage and other unexpected failures into an opaque 500, logging the cause.
pub trait OrInternal<T> {
    fn or_internal(self, logger: &Logger, what: &str) -> Result<T, ApiError>;
}

impl<T, E: std::fmt::Display> OrInternal<T> for Result<T, E> {
    fn or_internal(self, logger: &Logger, what: &str) -> Result<T, ApiError> {
        self.map_err(|e| {
            logger.error(&format!("{what}: {e}"));
            ApiError::internal()
        })
    }
}
