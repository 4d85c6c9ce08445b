//! Who is verifying and what success does (upstream's `verify-two-factor.ts`), the sign-in
//! interception that starts a challenge (`index.ts` after-hook), trusted devices, the
//! per-challenge attempt counter and the account lockout.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use super::{TWO_FACTOR, e, find_row, options, row_verified, two_factor_enabled};
use crate::context::Call;
use crate::db::adapter::{Op, Where};
use crate::db::models::{Session, User};
use crate::error::{ApiError, OrInternal, codes};
use crate::routes::Reply;
use crate::routes::session::{create_session, expire_session_cookies, resolve_session, set_session_cookie};
use crate::time_util::{now_ms, to_iso};

/// Per challenge, TOTP and backup codes share this many wrong guesses (upstream hard-codes 5).
const CHALLENGE_ATTEMPTS: i64 = 5;
const ATTEMPTS_PREFIX: &str = "2fa-attempts-";
const TRUST_PREFIX: &str = "trust-device-";

/// `[__Secure-]<prefix>.<name>`, as the core's cookies.
pub fn cookie_name(call: &Call<'_>, name: &str) -> String {
    let o = &call.ctx.options;
    format!("{}{}.{name}", if o.cookie_attributes.secure { "__Secure-" } else { "" }, o.cookie_prefix)
}

/// The caller: signed in (enrolling or managing), or holding a sign-in challenge.
pub enum Verifier {
    Session { session: Box<Session>, user: User },
    Challenge { id: String, user: User, expires_at: i64 },
}

/// Upstream's `verifyTwoFactor`: a valid session wins; else the signed challenge cookie must
/// name a stored challenge and its user.
pub async fn resolve(call: &mut Call<'_>) -> Result<Verifier, ApiError> {
    if let Ok(Some((session, user))) = resolve_session(call, false).await {
        call.note_session(false, &session, &user);
        return Ok(Verifier::Session { session: Box::new(session), user });
    }
    let ctx = call.ctx;
    let invalid = || ApiError::new(401, e::INVALID_TWO_FACTOR_COOKIE);
    let name = cookie_name(call, "two_factor");
    let Some(id) = call.cookies.get_signed(&name, ctx.secret()).map(str::to_owned) else { return Err(invalid()) };
    let Some((user_id, expires_at)) = ctx.db.find_verification(&id).await.or_internal(&ctx.logger, "two-factor challenge")? else {
        return Err(invalid());
    };
    let Some(user) = ctx.db.find_user_by_id(&user_id).await.or_internal(&ctx.logger, "two-factor user")? else { return Err(invalid()) };
    Ok(Verifier::Challenge { id, user, expires_at })
}

/// What a verification does on failure and success beyond the code itself.
pub struct Attempt {
    /// The challenge's attempt counter as it was taken: `(identifier, attempts, expiresAt)`.
    counter: Option<(String, i64, i64)>,
    sign_in: bool,
}

impl Verifier {
    pub fn user(&self) -> &User {
        match self {
            Verifier::Session { user, .. } | Verifier::Challenge { user, .. } => user,
        }
    }

    pub fn is_sign_in(&self) -> bool {
        matches!(self, Verifier::Challenge { .. })
    }

    /// A challenge's lockout check only (OTP: its own counter lives in the OTP row).
    pub async fn lockout_only(&self, call: &Call<'_>, row: Option<&Value>) -> Result<Attempt, ApiError> {
        if let (true, Some(row)) = (self.is_sign_in(), row) {
            assert_not_locked(call, row).await?;
        }
        Ok(Attempt { counter: None, sign_in: self.is_sign_in() })
    }

    /// Upstream's `beginAttempt` (TOTP, backup codes): the lockout check, then the challenge's
    /// counter taken atomically, so racing verifications of one challenge are serialized (the
    /// loser finds no counter) and at most five wrong codes are tried per challenge.
    pub async fn begin_attempt(&self, call: &mut Call<'_>, row: &Value) -> Result<Attempt, ApiError> {
        let Verifier::Challenge { id, expires_at, .. } = self else { return Ok(Attempt { counter: None, sign_in: false }) };
        assert_not_locked(call, row).await?;
        let ctx = call.ctx;
        let counter_id = format!("{ATTEMPTS_PREFIX}{id}");
        let taken = ctx.db.consume_verification(&counter_id).await.ok().flatten().filter(|(_, exp)| *exp > now_ms());
        let Some((value, _)) = taken else { return Err(ApiError::new(401, e::INVALID_TWO_FACTOR_COOKIE)) };
        let attempts = value.parse::<i64>().ok().filter(|n| *n >= 0).unwrap_or(CHALLENGE_ATTEMPTS);
        if attempts >= CHALLENGE_ATTEMPTS {
            ctx.db.consume_verification(id).await.or_internal(&ctx.logger, "two-factor challenge")?;
            let name = cookie_name(call, "two_factor");
            call.out.cookies.expire(&name, &ctx.cookies.attributes);
            return Err(ApiError::bad_request(e::TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE));
        }
        Ok(Attempt { counter: Some((counter_id, attempts, *expires_at)), sign_in: true })
    }

    /// Upstream's `valid`: with a challenge, consumes it (once: a racing second caller finds
    /// nothing) and issues the session, with `trustDevice` remembering this device; signed in,
    /// answers with the current session.
    pub async fn valid(&self, call: &mut Call<'_>, trust_device: bool) -> Result<Reply, ApiError> {
        let (id, user) = match self {
            Verifier::Session { session, user } => return Ok(Reply::Json(json!({ "token": session.token, "user": user }))),
            Verifier::Challenge { id, user, .. } => (id, user),
        };
        let ctx = call.ctx;
        let name = cookie_name(call, "two_factor");
        let consumed = ctx.db.consume_verification(id).await.or_internal(&ctx.logger, "two-factor challenge")?;
        if !consumed.is_some_and(|(value, expires_at)| value == user.id && expires_at > now_ms()) {
            call.out.cookies.expire(&name, &ctx.cookies.attributes);
            return Err(ApiError::new(401, e::INVALID_TWO_FACTOR_COOKIE));
        }
        let dont_remember = call.cookies.get_signed(&ctx.cookies.names.dont_remember, ctx.secret()).is_some();
        let session = create_session(call, &user.id, dont_remember)
            .await
            .map_err(|_| ApiError::with_message(500, codes::FAILED_TO_CREATE_SESSION, "failed to create session"))?;
        set_session_cookie(call, &session, user, None).await;
        call.out.cookies.expire(&name, &ctx.cookies.attributes);
        if trust_device {
            trust_this_device(call, user).await?;
            call.out.cookies.expire(&ctx.cookies.names.dont_remember, &ctx.cookies.attributes);
        }
        Ok(Reply::Json(json!({ "token": session.token, "user": user })))
    }
}

impl Attempt {
    /// A wrong code: the challenge counter back one higher, and the account's failure count.
    pub async fn record_failure(&self, call: &Call<'_>, row: &Value) {
        let ctx = call.ctx;
        if let Some((counter_id, attempts, expires_at)) = &self.counter {
            let _ = ctx.db.create_verification(counter_id, &(attempts + 1).to_string(), *expires_at).await;
        }
        if self.sign_in
            && let Err(err) = record_lockout_failure(call, row).await
        {
            ctx.logger.error(&format!("two-factor failed-attempt count: {err:?}"));
        }
    }

    /// The challenge counter as it was (the code could not be checked at all).
    pub async fn restore(&self, call: &Call<'_>) {
        if let Some((counter_id, attempts, expires_at)) = &self.counter {
            let _ = call.ctx.db.create_verification(counter_id, &attempts.to_string(), *expires_at).await;
        }
    }

    /// A right code at sign-in clears the account's failures.
    pub async fn succeeded(&self, call: &Call<'_>, row: &Value) -> Result<(), ApiError> {
        if !self.sign_in || call_lockout(call).is_none() {
            return Ok(());
        }
        let ctx = call.ctx;
        let mut data = Map::new();
        data.insert("failedVerificationCount".into(), json!(0));
        data.insert("lockedUntil".into(), Value::Null);
        ctx.db
            .update_rows(&TWO_FACTOR, &[Where::eq("id", row["id"].clone())], &data)
            .await
            .or_internal(&ctx.logger, "two-factor lockout")?;
        Ok(())
    }
}

fn call_lockout<'c>(call: &Call<'c>) -> Option<&'c super::Lockout> {
    options(call).lockout.as_ref()
}

/// 429 while the account is locked; an elapsed lock is cleared (conditionally, so a lock set
/// by a concurrent failure is not lost).
async fn assert_not_locked(call: &Call<'_>, row: &Value) -> Result<(), ApiError> {
    if call_lockout(call).is_none() {
        return Ok(());
    }
    let Some(locked_until) = row.get("lockedUntil").and_then(Value::as_str).and_then(crate::time_util::parse_iso) else { return Ok(()) };
    let now = now_ms();
    if locked_until > now {
        return Err(ApiError::new(429, e::ACCOUNT_TEMPORARILY_LOCKED));
    }
    let ctx = call.ctx;
    let mut data = Map::new();
    data.insert("failedVerificationCount".into(), json!(0));
    data.insert("lockedUntil".into(), Value::Null);
    let filter = [Where::eq("id", row["id"].clone()), Where::op("lockedUntil", Op::Lte, to_iso(now))];
    ctx.db.update_rows(&TWO_FACTOR, &filter, &data).await.or_internal(&ctx.logger, "two-factor lockout")?;
    Ok(())
}

/// One more failure, counted in the database (exact under concurrency); at the limit the
/// account is locked for `durationSeconds`.
async fn record_lockout_failure(call: &Call<'_>, row: &Value) -> Result<(), crate::db::DbError> {
    let Some(lockout) = call_lockout(call) else { return Ok(()) };
    let ctx = call.ctx;
    let id = Where::eq("id", row["id"].clone());
    ctx.db.increment_rows(&TWO_FACTOR, std::slice::from_ref(&id), "failedVerificationCount", 1).await?;
    let filter = [id, Where::op("failedVerificationCount", Op::Gte, lockout.max_failed_attempts)];
    let mut data = Map::new();
    data.insert("lockedUntil".into(), json!(to_iso(now_ms() + lockout.duration_ms)));
    ctx.db.update_rows(&TWO_FACTOR, &filter, &data).await?;
    Ok(())
}

/// HMAC-SHA256 of `<userId>!<trustId>`, base64url without padding (upstream's trust token).
fn trust_token(call: &Call<'_>, user_id: &str, trust_id: &str) -> String {
    URL_SAFE_NO_PAD.encode(crate::crypto::hmac_sha256(call.ctx.secret(), format!("{user_id}!{trust_id}").as_bytes()))
}

/// A trust row for this device and the signed cookie naming it.
async fn trust_this_device(call: &mut Call<'_>, user: &User) -> Result<(), ApiError> {
    let ctx = call.ctx;
    let max_age = options(call).trust_device_max_age;
    let trust_id = format!("{TRUST_PREFIX}{}", crate::crypto::random_url_safe(32));
    ctx.db.create_verification(&trust_id, &user.id, now_ms() + max_age * 1000).await.or_internal(&ctx.logger, "two-factor trust")?;
    let value = format!("{}!{trust_id}", trust_token(call, &user.id, &trust_id));
    let name = cookie_name(call, "trust_device");
    call.out.cookies.set_signed(&name, &value, Some(max_age), &ctx.cookies.attributes, ctx.secret());
    Ok(())
}

/// The trust cookie's row id, when its signature holds.
fn trust_cookie(call: &Call<'_>) -> Option<(String, String)> {
    let name = cookie_name(call, "trust_device");
    let value = call.cookies.get_signed(&name, call.ctx.secret())?;
    let (token, trust_id) = value.split_once('!')?;
    Some((token.to_owned(), trust_id.to_owned()))
}

/// `disable`: this device's trust row deleted and its cookie expired.
pub async fn forget_trusted_device(call: &mut Call<'_>) -> Result<(), ApiError> {
    let ctx = call.ctx;
    let name = cookie_name(call, "trust_device");
    if call.cookies.get_signed(&name, ctx.secret()).is_none() {
        return Ok(());
    }
    if let Some((_, trust_id)) = trust_cookie(call).filter(|(_, id)| !id.is_empty()) {
        ctx.db.delete_verification(&trust_id).await.or_internal(&ctx.logger, "two-factor trust")?;
    }
    call.out.cookies.expire(&name, &ctx.cookies.attributes);
    Ok(())
}

/// Whether this device is trusted for `user`; a trusted device's row and cookie are rotated.
async fn trusted_device(call: &mut Call<'_>, user: &User) -> Result<bool, ApiError> {
    let ctx = call.ctx;
    let name = cookie_name(call, "trust_device");
    if call.cookies.get_signed(&name, ctx.secret()).is_none() {
        return Ok(false);
    }
    let trusted = match trust_cookie(call) {
        Some((token, trust_id)) if crate::crypto::constant_time_eq(token.as_bytes(), trust_token(call, &user.id, &trust_id).as_bytes()) => {
            let row = ctx.db.find_verification(&trust_id).await.or_internal(&ctx.logger, "two-factor trust")?;
            let valid = row.is_some_and(|(value, expires_at)| value == user.id && expires_at > now_ms());
            if valid {
                ctx.db.delete_verification(&trust_id).await.or_internal(&ctx.logger, "two-factor trust")?;
                trust_this_device(call, user).await?;
            }
            valid
        }
        _ => false,
    };
    if !trusted {
        call.out.cookies.expire(&name, &ctx.cookies.attributes);
    }
    Ok(trusted)
}

/// The after-hook of the password sign-ins: a user with `twoFactorEnabled` gets a challenge
/// instead of a session (the session just made is deleted and its cookies expired, so no
/// valid session token or cache leaves in any `Set-Cookie`), unless this device is trusted.
pub async fn intercept_sign_in(call: &mut Call<'_>, result: Result<Reply, ApiError>) -> Result<Reply, ApiError> {
    let reply = result?;
    let Some(issued) = call.issued_session.take() else { return Ok(reply) };
    let (session, user) = &*issued;
    if !two_factor_enabled(user) {
        call.issued_session = Some(issued);
        return Ok(reply);
    }
    if trusted_device(call, user).await? {
        call.issued_session = Some(issued);
        return Ok(reply);
    }
    let ctx = call.ctx;
    let o = options(call);
    // The dont_remember marker stays: the session issued after verification honours it.
    expire_session_cookies(call);
    ctx.db.delete_session(&session.token).await.or_internal(&ctx.logger, "two-factor challenge")?;
    call.session = None;
    let expires_at = now_ms() + o.cookie_max_age * 1000;
    let id = format!("2fa-{}", crate::crypto::random_url_safe(20));
    ctx.db.create_verification(&id, &user.id, expires_at).await.or_internal(&ctx.logger, "two-factor challenge")?;
    ctx.db
        .create_verification(&format!("{ATTEMPTS_PREFIX}{id}"), "0", expires_at)
        .await
        .or_internal(&ctx.logger, "two-factor challenge")?;
    let name = cookie_name(call, "two_factor");
    call.out.cookies.set_signed(&name, &id, Some(o.cookie_max_age), &ctx.cookies.attributes, ctx.secret());
    let mut methods = Vec::new();
    if !o.totp_disabled && find_row(call, &user.id).await?.as_ref().is_some_and(row_verified) {
        methods.push("totp");
    }
    if o.send_otp.is_some() {
        methods.push("otp");
    }
    Ok(Reply::Json(json!({ "twoFactorRedirect": true, "twoFactorMethods": methods })))
}
