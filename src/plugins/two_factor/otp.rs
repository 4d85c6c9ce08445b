//! OTP sent by `otpOptions.sendOTP` (upstream's `plugins/two-factor/otp`): stored as
//! verification value `2fa-otp-<key>` = `<code as stored>:<wrong guesses>`, consumed atomically
//! on every check (a wrong one puts it back counted), so racing checks of one code cannot both
//! pass and the count is exact.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::{OtpStore, e, find_row, options, set_enabled_and_rotate, two_factor_enabled, verify};
use crate::context::Call;
use crate::error::{ApiError, OrInternal, codes};
use crate::routes::Reply;
use crate::time_util::now_ms;
use crate::validate::BodyReader;

const PREFIX: &str = "2fa-otp-";

/// Whose code: the challenge's id at sign-in, `<userId>!<sessionId>` when signed in.
fn otp_key(verifier: &verify::Verifier) -> String {
    match verifier {
        verify::Verifier::Session { session, user } => format!("{PREFIX}{}!{}", user.id, session.id),
        verify::Verifier::Challenge { id, .. } => format!("{PREFIX}{id}"),
    }
}

fn hashed(code: &str) -> String {
    URL_SAFE_NO_PAD.encode(crate::crypto::sha256(code.as_bytes()))
}

/// `POST /two-factor/send-otp`: a new code (replacing an unused one) to `sendOTP`.
pub async fn send_otp(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let mut body = BodyReader::optional_object(&call.body);
    body.optional_bool("trustDevice");
    body.finish()?;
    let o = options(call);
    let ctx = call.ctx;
    let Some(send) = o.send_otp.clone() else {
        ctx.logger.error("send otp isn't configured. Please configure the send otp function on otp options.");
        return Err(ApiError::with_message(400, e::OTP_NOT_CONFIGURED, "otp isn't configured"));
    };
    let verifier = verify::resolve(call).await?;
    let code = crate::crypto::random_from(b"0123456789", o.otp_digits);
    let stored = match o.otp_store {
        OtpStore::Plain => code.clone(),
        OtpStore::Hashed => hashed(&code),
        OtpStore::Encrypted => ctx.encrypt(&code),
    };
    let key = otp_key(&verifier);
    // The newest row is the one checked; older ones are deleted when it is consumed.
    ctx.db
        .create_verification(&key, &format!("{stored}:0"), now_ms() + o.otp_period_ms)
        .await
        .or_internal(&ctx.logger, "two-factor otp")?;
    let segments: Vec<&str> = send.iter().map(String::as_str).collect();
    let user = serde_json::to_value(verifier.user()).unwrap_or(Value::Null);
    // A rejected promise is logged, not answered (upstream runs it as a background task).
    if let Err(err) = ctx.call_option(&segments, vec![json!({ "user": user, "otp": code }), call.context_arg()]).await {
        ctx.logger.error(&format!("two-factor sendOTP failed: {err}"));
    }
    Ok(Reply::Json(json!({ "status": true })))
}

/// `POST /two-factor/verify-otp`: the code sent by `send-otp`, at most `allowedAttempts` wrong
/// guesses per code.
pub async fn verify_otp(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let mut body = BodyReader::object(&call.body);
    let code = body.string("code");
    let trust_device = body.optional_bool("trustDevice").unwrap_or(false);
    body.finish()?;
    let o = options(call);
    let verifier = verify::resolve(call).await?;
    let ctx = call.ctx;
    let row = if verifier.is_sign_in() { find_row(call, &verifier.user().id).await? } else { None };
    let attempt = verifier.lockout_only(call, row.as_ref()).await?;
    let key = otp_key(&verifier);
    let consumed = ctx.db.consume_verification(&key).await.or_internal(&ctx.logger, "two-factor otp")?;
    let Some((value, expires_at)) = consumed.filter(|(_, exp)| *exp > now_ms()) else {
        return Err(ApiError::bad_request(e::OTP_HAS_EXPIRED));
    };
    let (stored, counter) = value.rsplit_once(':').unwrap_or((value.as_str(), "0"));
    let attempts = counter.parse::<i64>().unwrap_or(0);
    if attempts >= o.otp_allowed_attempts {
        return Err(ApiError::bad_request(e::TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE));
    }
    let (expected, given) = match o.otp_store {
        OtpStore::Plain => (stored.to_owned(), code.clone()),
        OtpStore::Hashed => (stored.to_owned(), hashed(&code)),
        OtpStore::Encrypted => (ctx.decrypt(stored).unwrap_or_default(), code.clone()),
    };
    if expected.is_empty() || !crate::crypto::constant_time_eq(expected.as_bytes(), given.as_bytes()) {
        ctx.db
            .create_verification(&key, &format!("{stored}:{}", attempts + 1), expires_at)
            .await
            .or_internal(&ctx.logger, "two-factor otp")?;
        if let Some(row) = &row {
            attempt.record_failure(call, row).await;
        }
        return Err(ApiError::new(401, e::INVALID_CODE));
    }
    if let Some(row) = &row {
        attempt.succeeded(call, row).await?;
    }
    if !two_factor_enabled(verifier.user()) {
        // Only a signed-in user turns it on here (upstream's older path); a challenge for a
        // user without the flag cannot end in a session.
        let verify::Verifier::Session { session, user } = &verifier else {
            return Err(ApiError::bad_request(codes::FAILED_TO_CREATE_SESSION));
        };
        let (new_session, updated) = set_enabled_and_rotate(call, session, user, true).await?;
        return Ok(Reply::Json(json!({ "token": new_session.token, "user": updated })));
    }
    verifier.valid(call, trust_device).await
}
