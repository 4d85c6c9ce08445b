//! Origin and CSRF checks on state-changing HTTP requests
//! (`packages/better-auth/src/api/middlewares/origin-check.ts`). `auth.api` calls carry no browser
//! and skip them, as upstream.

use serde_json::Value;

use crate::context::Call;
use crate::error::{ApiError, ErrorCode, codes};
use crate::middleware::trusted_origins::is_trusted;
use crate::validate::is_truthy;

/// Runs for every non-GET/HEAD/OPTIONS HTTP request before the endpoint.
pub fn origin_check_middleware(call: &Call<'_>) -> Result<(), ApiError> {
    if !call.http || matches!(call.method.as_str(), "GET" | "HEAD" | "OPTIONS") {
        return Ok(());
    }
    validate_origin(call, false)?;
    if call.ctx.options.disable_origin_check {
        return Ok(());
    }
    let callback_url = truthy(call.body.get("callbackURL")).or_else(|| truthy(call.query.get("callbackURL")));
    let fields: [(&str, Option<&Value>, ErrorCode); 4] = [
        ("callbackURL", callback_url, codes::INVALID_CALLBACK_URL),
        ("redirectURL", truthy(call.body.get("redirectTo")), codes::INVALID_REDIRECT_URL),
        ("errorCallbackURL", truthy(call.body.get("errorCallbackURL")), codes::INVALID_ERROR_CALLBACK_URL),
        ("newUserCallbackURL", truthy(call.body.get("newUserCallbackURL")), codes::INVALID_NEW_USER_CALLBACK_URL),
    ];
    let trusted = call.trusted_origins();
    for (label, value, code) in fields {
        let Some(value) = value else { continue };
        let Some(url) = value.as_str() else {
            return Err(ApiError::message_only(400, format!("Invalid {label}: expected a string")));
        };
        if !is_trusted(url, &trusted, true) {
            call.ctx.logger.error(&format!("Invalid {label}: {url}"));
            return Err(ApiError::new(403, code));
        }
    }
    Ok(())
}

/// `value` when JavaScript would find it truthy (`body.callbackURL || query.callbackURL`).
fn truthy(value: Option<&Value>) -> Option<&Value> {
    value.filter(|v| is_truthy(v))
}

/// The redirect-target check GET endpoints run themselves (`/verify-email`,
/// `/reset-password/:token`, `/delete-user/callback`), as upstream's `originCheck` does.
pub fn check_callback_url(call: &Call<'_>, url: &str) -> Result<(), ApiError> {
    if !call.http || call.ctx.options.disable_origin_check || url.is_empty() || is_trusted(url, &call.trusted_origins(), true) {
        return Ok(());
    }
    call.ctx.logger.error(&format!("Invalid callbackURL: {url}"));
    Err(ApiError::new(403, codes::INVALID_CALLBACK_URL))
}

/// First-login CSRF for `/sign-in/email` and `/sign-up/email`, using Fetch Metadata.
pub fn form_csrf(call: &Call<'_>) -> Result<(), ApiError> {
    if !call.http || skip_csrf(call) {
        return Ok(());
    }
    if call.has_header("cookie") {
        return validate_origin(call, false);
    }
    let site = call.header("sec-fetch-site");
    let mode = call.header("sec-fetch-mode");
    let dest = call.header("sec-fetch-dest");
    let present = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
    if present(&site) || present(&mode) || present(&dest) {
        if site.as_deref() == Some("cross-site") && mode.as_deref() == Some("navigate") {
            call.ctx.logger.error("Blocked cross-site navigation login attempt (CSRF protection)");
            return Err(ApiError::new(403, codes::CROSS_SITE_NAVIGATION_LOGIN_BLOCKED));
        }
        return validate_origin(call, true);
    }
    if call.header("origin").is_some() || call.header("referer").is_some() {
        return validate_origin(call, true);
    }
    Ok(())
}

fn skip_csrf(call: &Call<'_>) -> bool {
    call.ctx.options.disable_csrf_check
}

/// The `Origin` (else `Referer`) of a request that carries cookies, or when forced, must be trusted.
fn validate_origin(call: &Call<'_>, force: bool) -> Result<(), ApiError> {
    if skip_csrf(call) || call.ctx.options.disable_origin_check {
        return Ok(());
    }
    if !(force || call.has_header("cookie")) {
        return Ok(());
    }
    let origin = call.header("origin");
    // A sandboxed same-origin request sends `Origin: null`: upstream then uses its own origin.
    let same_origin_null = origin.as_deref() == Some("null") && call.header("sec-fetch-site").as_deref() == Some("same-origin");
    let to_validate = if same_origin_null {
        call.base_origin.clone().unwrap_or_default()
    } else {
        origin.filter(|o| !o.is_empty()).or_else(|| call.header("referer")).unwrap_or_default()
    };
    if to_validate.is_empty() || to_validate == "null" {
        return Err(ApiError::new(403, codes::MISSING_OR_NULL_ORIGIN));
    }
    if !is_trusted(&to_validate, &call.trusted_origins(), false) {
        call.ctx.logger.error(&format!("Invalid origin: {to_validate}"));
        return Err(ApiError::new(403, codes::INVALID_ORIGIN));
    }
    Ok(())
}
