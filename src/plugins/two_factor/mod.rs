//! `twoFactor` (upstream's `packages/better-auth/src/plugins/two-factor`): TOTP, OTP sent by
//! `otpOptions.sendOTP`, and backup codes as a second factor. A password sign-in of a user with
//! `twoFactorEnabled` answers `{ twoFactorRedirect: true }` with a signed challenge cookie and
//! no session; a verify endpoint with that cookie issues the session.

mod otp;
mod totp;
mod verify;

use std::borrow::Cow;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::context::Call;
use crate::db::adapter::Where;
use crate::db::models::{Session, User};
use crate::db::schema::{Kind, Table, col, optional};
use crate::error::{ApiError, OrInternal, codes};
use crate::fields::{FieldDef, FieldDefault, FieldType};
use crate::option_keys::{describe, is_function};
use crate::options::{OptionsError, RateRule};
use crate::plugins::{Hook, HookKind, Plugin, PluginOptions, RateLimitRule};
use crate::routes::session::{create_session, require_session, session_creation_failed, set_session_cookie};
use crate::routes::{Endpoint, Reply, check_password_length};
use crate::validate::BodyReader;
use crate::{after_hook, handler};

crate::error_codes! { mod error_codes {
    OTP_NOT_ENABLED => "OTP not enabled",
    OTP_NOT_CONFIGURED => "OTP is not available",
    OTP_HAS_EXPIRED => "OTP has expired",
    TOTP_NOT_ENABLED => "TOTP not enabled",
    TOTP_ALREADY_ENABLED => "TOTP is already enabled",
    TOTP_NOT_CONFIGURED => "TOTP is not available",
    TWO_FACTOR_NOT_ENABLED => "Two factor isn't enabled",
    BACKUP_CODES_NOT_ENABLED => "Backup codes aren't enabled",
    INVALID_BACKUP_CODE => "Invalid backup code",
    INVALID_CODE => "Invalid code",
    TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE => "Too many attempts. Please request a new code.",
    ACCOUNT_TEMPORARILY_LOCKED => "Too many failed verification attempts. Your account is temporarily locked. Please try again later.",
    INVALID_TWO_FACTOR_COOKIE => "Invalid two factor cookie",
} }
use error_codes as e;

const ID: &str = "two-factor";
const ENABLED_FIELD: &str = "twoFactorEnabled";
/// Upstream's `signInPaths`: the sign-ins a second factor guards.
const SIGN_IN_PATHS: &[&str] = &["/sign-in/email", "/sign-in/username", "/sign-in/phone-number"];

/// Upstream's `twoFactor` schema (`plugins/two-factor/schema.ts`): no timestamps; `secret`
/// and `userId` indexed.
pub static TWO_FACTOR: Table = Table {
    name: Cow::Borrowed("twoFactor"),
    columns: Cow::Borrowed(&[
        col("id", Kind::Id),
        col("secret", Kind::ShortText).not_returned(),
        col("backupCodes", Kind::Text).not_returned(),
        col("userId", Kind::UserRef).not_returned(),
        optional("verified", Kind::Bool).read_only().documented_default("true"),
        optional("failedVerificationCount", Kind::Int).read_only().not_returned().documented_default("0"),
        optional("lockedUntil", Kind::Date).read_only().not_returned(),
    ]),
    indexes: &["secret", "userId"],
};

#[derive(Clone, Copy)]
enum OtpStore {
    Plain,
    /// base64url(SHA-256(otp)), unpadded.
    Hashed,
    Encrypted,
}

#[derive(Clone, Copy, PartialEq)]
enum BackupStore {
    Plain,
    Encrypted,
}

struct Lockout {
    max_failed_attempts: i64,
    duration_ms: i64,
}

struct Options {
    issuer: Option<String>,
    skip_verification_on_enable: bool,
    allow_passwordless: bool,
    totp_digits: u32,
    totp_period: u64,
    totp_disabled: bool,
    totp_issuer: Option<String>,
    totp_allow_passwordless: Option<bool>,
    send_otp: Option<Vec<String>>,
    otp_period_ms: i64,
    otp_digits: usize,
    otp_allowed_attempts: i64,
    otp_store: OtpStore,
    backup_amount: usize,
    backup_length: usize,
    backup_store: BackupStore,
    backup_allow_passwordless: Option<bool>,
    cookie_max_age: i64,
    trust_device_max_age: i64,
    lockout: Option<Lockout>,
}

fn section_number(options: &PluginOptions<'_>, map: &Map<String, Value>, section: &str, key: &str) -> Result<Option<f64>, OptionsError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(other) => Err(options.invalid(&format!("{section}.{key}"), format!("expected a number, got {}", describe(other)))),
    }
}

fn section_bool(options: &PluginOptions<'_>, map: &Map<String, Value>, section: &str, key: &str) -> Result<Option<bool>, OptionsError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(options.invalid(&format!("{section}.{key}"), format!("expected true or false, got {}", describe(other)))),
    }
}

/// A positive whole number of a section, within `range`.
fn section_count(
    options: &PluginOptions<'_>,
    map: &Map<String, Value>,
    section: &str,
    key: &str,
    range: std::ops::RangeInclusive<f64>,
) -> Result<Option<f64>, OptionsError> {
    match section_number(options, map, section, key)? {
        Some(n) if n.fract() != 0.0 || !range.contains(&n) => Err(options
            .invalid(&format!("{section}.{key}"), format!("expected a whole number from {} to {}, got {n}", range.start(), range.end()))),
        n => Ok(n),
    }
}

pub fn register(options: &mut PluginOptions<'_>) -> Result<Plugin, OptionsError> {
    let totp = options.section("totpOptions", &["digits", "period", "disable", "issuer", "allowPasswordless", "backupCodes"], &[])?;
    let otp = options.section("otpOptions", &["sendOTP", "period", "digits", "allowedAttempts", "storeOTP"], &[])?;
    let backup = options.section(
        "backupCodeOptions",
        &["amount", "length", "storeBackupCodes", "allowPasswordless"],
        &["customBackupCodesGenerate"],
    )?;
    let lockout = options.section("accountLockout", &["enabled", "maxFailedAttempts", "durationSeconds"], &[])?;
    let send_otp = match otp.get("sendOTP") {
        None | Some(Value::Null) => None,
        Some(v) if is_function(v) => Some(options.function_path(&["otpOptions", "sendOTP"])),
        Some(other) => return Err(options.invalid("otpOptions.sendOTP", format!("expected a function, got {}", describe(other)))),
    };
    let otp_store = match otp.get("storeOTP") {
        None | Some(Value::Null) => OtpStore::Plain,
        Some(Value::String(s)) if s == "plain" => OtpStore::Plain,
        Some(Value::String(s)) if s == "hashed" => OtpStore::Hashed,
        Some(Value::String(s)) if s == "encrypted" => OtpStore::Encrypted,
        Some(Value::Object(_)) => {
            return Err(options.invalid("otpOptions.storeOTP", "custom hash/encrypt functions are not supported by better-auth-rs yet"));
        }
        Some(other) => {
            return Err(
                options.invalid("otpOptions.storeOTP", format!("expected \"plain\", \"hashed\" or \"encrypted\", got {}", describe(other)))
            );
        }
    };
    let backup_store = match backup.get("storeBackupCodes") {
        // Upstream's default is encrypted.
        None => BackupStore::Encrypted,
        Some(Value::String(s)) if s == "encrypted" => BackupStore::Encrypted,
        // `{ storeBackupCodes: undefined }` and "plain" spread to plain JSON.
        Some(Value::Null) => BackupStore::Plain,
        Some(Value::String(s)) if s == "plain" => BackupStore::Plain,
        Some(Value::Object(_)) => {
            return Err(options.invalid(
                "backupCodeOptions.storeBackupCodes",
                "custom encrypt/decrypt functions are not supported by better-auth-rs yet",
            ));
        }
        Some(other) => {
            return Err(options
                .invalid("backupCodeOptions.storeBackupCodes", format!("expected \"plain\" or \"encrypted\", got {}", describe(other))));
        }
    };
    let seconds = |options: &mut PluginOptions<'_>, key: &str, default: i64| -> Result<i64, OptionsError> {
        Ok(options.count(key)?.map_or(default, |n| n as i64))
    };
    let state = Options {
        issuer: options.string("issuer")?,
        skip_verification_on_enable: options.bool("skipVerificationOnEnable")?.unwrap_or(false),
        allow_passwordless: options.bool("allowPasswordless")?.unwrap_or(false),
        totp_digits: section_count(options, &totp, "totpOptions", "digits", 1.0..=8.0)?.map_or(6, |n| n as u32),
        totp_period: section_count(options, &totp, "totpOptions", "period", 1.0..=86_400.0)?.map_or(30, |n| n as u64),
        totp_disabled: section_bool(options, &totp, "totpOptions", "disable")?.unwrap_or(false),
        totp_issuer: match totp.get("issuer") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => return Err(options.invalid("totpOptions.issuer", format!("expected a string, got {}", describe(other)))),
        },
        totp_allow_passwordless: section_bool(options, &totp, "totpOptions", "allowPasswordless")?,
        send_otp,
        // Minutes, as upstream.
        otp_period_ms: section_number(options, &otp, "otpOptions", "period")?
            .filter(|m| *m > 0.0)
            .map_or(3 * 60_000, |m| (m * 60_000.0) as i64),
        otp_digits: section_count(options, &otp, "otpOptions", "digits", 1.0..=32.0)?.map_or(6, |n| n as usize),
        otp_allowed_attempts: section_count(options, &otp, "otpOptions", "allowedAttempts", 1.0..=1e6)?.map_or(5, |n| n as i64),
        otp_store,
        backup_amount: section_count(options, &backup, "backupCodeOptions", "amount", 1.0..=1000.0)?.map_or(10, |n| n as usize),
        backup_length: section_count(options, &backup, "backupCodeOptions", "length", 1.0..=256.0)?.map_or(10, |n| n as usize),
        backup_store,
        backup_allow_passwordless: section_bool(options, &backup, "backupCodeOptions", "allowPasswordless")?,
        cookie_max_age: seconds(options, "twoFactorCookieMaxAge", 600)?,
        trust_device_max_age: seconds(options, "trustDeviceMaxAge", 30 * 24 * 60 * 60)?,
        lockout: match section_bool(options, &lockout, "accountLockout", "enabled")? {
            Some(false) => None,
            _ => Some(Lockout {
                max_failed_attempts: section_count(options, &lockout, "accountLockout", "maxFailedAttempts", 1.0..=1e9)?
                    .map_or(10, |n| n as i64),
                duration_ms: section_count(options, &lockout, "accountLockout", "durationSeconds", 0.0..=1e9)?
                    .map_or(900_000, |n| n as i64 * 1000),
            }),
        },
    };
    let mut fields: Vec<&str> = TWO_FACTOR.columns.iter().map(|c| c.name.as_ref()).filter(|n| *n != "id").collect();
    fields.sort_unstable();
    let mut renames = options.schema(&[("twoFactor", &fields), ("user", &[ENABLED_FIELD])])?;
    if let Some(table) = options.string("twoFactorTable")? {
        if !crate::db::names::is_identifier(&table) {
            return Err(options.invalid("twoFactorTable", "expected a plain table name (letters, digits, _)"));
        }
        renames.tables.entry("twoFactor".to_owned()).or_insert(table);
    }
    // `schema.user.modelName` is the core's to set, as upstream ignores a plugin's.
    renames.tables.remove("user");
    let enabled_column = renames.columns.remove(&("user".to_owned(), ENABLED_FIELD.to_owned())).unwrap_or_else(|| ENABLED_FIELD.to_owned());

    let mut plugin = Plugin::new(ID);
    plugin.error_codes = e::ALL;
    plugin.endpoints = vec![
        Endpoint::new("enableTwoFactor", "/two-factor/enable", &["POST"], handler!(enable))
            .body("password:string method?:string issuer?:string")
            .describe("Enable two factor authentication. Pass method 'totp' (default) to set up an authenticator app (returns TOTP URI and backup codes), or 'otp' to enable email/SMS-based codes immediately."),
        Endpoint::new("disableTwoFactor", "/two-factor/disable", &["POST"], handler!(disable))
            .body("password:string")
            .describe("Use this endpoint to disable two factor authentication."),
        Endpoint::new("getTOTPURI", "/two-factor/get-totp-uri", &["POST"], handler!(totp::get_totp_uri))
            .body("password:string")
            .describe("Use this endpoint to get the TOTP URI"),
        Endpoint::new("verifyTOTP", "/two-factor/verify-totp", &["POST"], handler!(totp::verify_totp))
            .body("code:string trustDevice?:boolean")
            .describe("Verify two factor TOTP"),
        Endpoint::new("sendTwoFactorOTP", "/two-factor/send-otp", &["POST"], handler!(otp::send_otp))
            .optional_body("trustDevice?:boolean")
            .describe("Send two factor OTP to the user"),
        Endpoint::new("verifyTwoFactorOTP", "/two-factor/verify-otp", &["POST"], handler!(otp::verify_otp))
            .body("code:string trustDevice?:boolean")
            .describe("Verify two factor OTP"),
        Endpoint::new("verifyBackupCode", "/two-factor/verify-backup-code", &["POST"], handler!(verify_backup_code))
            .body("code:string disableSession?:boolean trustDevice?:boolean")
            .describe("Verify a backup code for two-factor authentication"),
        Endpoint::new("generateBackupCodes", "/two-factor/generate-backup-codes", &["POST"], handler!(generate_backup_codes))
            .body("password:string")
            .describe("Generate new backup codes for two-factor authentication"),
        Endpoint::server_only("generateTOTP", handler!(totp::generate_totp)),
        Endpoint::server_only("viewBackupCodes", handler!(view_backup_codes)),
    ];
    plugin
        .hooks
        .push(Hook { matcher: |call| SIGN_IN_PATHS.contains(&call.path), run: HookKind::After(after_hook!(verify::intercept_sign_in)) });
    plugin.rate_limits.push(RateLimitRule { path_matcher: |p| p.starts_with("/two-factor/"), rule: RateRule { window: 10, max: 3 } });
    // Upstream's `user.twoFactorEnabled`: optional, never from a body, false by default.
    plugin.user_fields.push(FieldDef {
        name: ENABLED_FIELD.to_owned(),
        column: enabled_column,
        field_type: FieldType::Boolean,
        required: Some(false),
        input: false,
        returned: true,
        default: Some(FieldDefault::Value(Value::Bool(false))),
        unique: false,
        indexed: false,
        bigint: false,
    });
    plugin.tables.push(TWO_FACTOR.clone());
    plugin.renames = renames;
    plugin.state = Arc::new(state);
    Ok(plugin)
}

fn options<'c>(call: &Call<'c>) -> &'c Options {
    call.ctx.options.plugins.state::<Options>(ID).expect("two-factor plugin state")
}

fn two_factor_enabled(user: &User) -> bool {
    user.extra.get(ENABLED_FIELD).is_some_and(crate::validate::is_truthy)
}

/// The user's `twoFactor` row, if any.
async fn find_row(call: &Call<'_>, user_id: &str) -> Result<Option<Value>, ApiError> {
    let ctx = call.ctx;
    ctx.db.find_row(&TWO_FACTOR, &[Where::eq("userId", user_id)]).await.or_internal(&ctx.logger, "two-factor row")
}

fn row_str<'v>(row: &'v Value, field: &str) -> &'v str {
    row.get(field).and_then(Value::as_str).unwrap_or_default()
}

/// Upstream's `verified !== false`: a row without the flag (older schema) counts as verified.
fn row_verified(row: &Value) -> bool {
    row.get("verified") != Some(&Value::Bool(false))
}

/// Upstream's `shouldRequirePassword`: always, unless passwordless is allowed and the user has
/// no password to give.
async fn password_required(call: &Call<'_>, user_id: &str, allow_passwordless: bool) -> Result<Option<String>, ApiError> {
    let ctx = call.ctx;
    let account = ctx.db.find_credential_account(user_id).await.or_internal(&ctx.logger, "two-factor password")?;
    let stored = account.and_then(|(_, hash)| hash);
    Ok(if allow_passwordless && stored.is_none() { None } else { Some(stored.unwrap_or_default()) })
}

/// Checks the body's password when one is required (upstream's `validatePassword` /
/// `checkPassword`: the same answers; with no stored password a hash is still computed).
async fn check_password(call: &Call<'_>, user_id: &str, password: Option<&str>, allow_passwordless: bool) -> Result<(), ApiError> {
    let ctx = call.ctx;
    let Some(stored) = password_required(call, user_id, allow_passwordless).await? else { return Ok(()) };
    let Some(password) = password.filter(|p| !p.is_empty()) else { return Err(ApiError::bad_request(codes::INVALID_PASSWORD)) };
    check_password_length(ctx, password, false)?;
    if stored.is_empty() {
        // The same work as a real check, so a missing password is not told apart by timing.
        let _ = ctx.hash_password(password).await;
        return Err(ApiError::bad_request(codes::INVALID_PASSWORD));
    }
    if !ctx.verify_password(password, &stored).await.or_internal(&ctx.logger, "two-factor password")? {
        return Err(ApiError::bad_request(codes::INVALID_PASSWORD));
    }
    Ok(())
}

/// The password of a body whose schema makes it optional only when passwordless is allowed.
fn read_password(body: &mut BodyReader<'_>, allow_passwordless: bool) -> Option<String> {
    if allow_passwordless { body.optional_string("password") } else { Some(body.string("password")) }
}

/// `twoFactorEnabled` set, and the session replaced by a new one for the updated user
/// (upstream rotates the session whenever the flag changes).
async fn set_enabled_and_rotate(call: &mut Call<'_>, session: &Session, user: &User, enabled: bool) -> Result<(Session, User), ApiError> {
    let ctx = call.ctx;
    let mut fields = Map::new();
    fields.insert(ENABLED_FIELD.to_owned(), Value::Bool(enabled));
    let updated = ctx
        .db
        .update_user(&user.id, None, None, &fields, crate::time_util::now_ms())
        .await
        .or_internal(&ctx.logger, "two-factor user update")?
        .ok_or_else(|| ApiError::bad_request(codes::USER_NOT_FOUND))?;
    let new_session = create_session(call, &updated.id, false).await.map_err(|err| session_creation_failed(call, 500, err))?;
    set_session_cookie(call, &new_session, &updated, None).await;
    ctx.db.delete_session(&session.token).await.or_internal(&ctx.logger, "two-factor session rotation")?;
    Ok((new_session, updated))
}

/// `POST /two-factor/enable`: TOTP (a new unverified secret and backup codes, verified by the
/// first `/verify-totp`) or OTP (enabled at once).
async fn enable(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let o = options(call);
    let mut body = BodyReader::object(&call.body);
    let password = read_password(&mut body, o.allow_passwordless);
    let method = body.optional_string("method");
    let issuer = body.optional_string("issuer");
    if method.as_deref().is_some_and(|m| m != "otp" && m != "totp") {
        body.refine("method", "Invalid option: expected one of \"otp\"|\"totp\"");
    }
    body.finish()?;
    let (session, user) = require_session(call).await?;
    check_password(call, &user.id, password.as_deref(), o.allow_passwordless).await?;
    let ctx = call.ctx;
    if method.as_deref() == Some("otp") {
        if o.send_otp.is_none() {
            return Err(ApiError::bad_request(e::OTP_NOT_CONFIGURED));
        }
        set_enabled_and_rotate(call, &session, &user, true).await?;
        return Ok(Reply::Json(json!({ "method": "otp" })));
    }
    if o.totp_disabled {
        return Err(ApiError::bad_request(e::TOTP_NOT_CONFIGURED));
    }
    let existing = find_row(call, &user.id).await?;
    if existing.as_ref().is_some_and(row_verified) {
        return Err(ApiError::bad_request(e::TOTP_ALREADY_ENABLED));
    }
    let codes = generate_codes(o);
    let secret = crate::crypto::random_url_safe(32);
    if o.skip_verification_on_enable {
        set_enabled_and_rotate(call, &session, &user, true).await?;
    }
    let mut data = Map::new();
    data.insert("secret".into(), json!(ctx.encrypt(&secret)));
    data.insert("backupCodes".into(), json!(encode_codes(call, &codes)));
    data.insert("verified".into(), json!(o.skip_verification_on_enable));
    match existing {
        Some(row) => {
            ctx.db
                .update_rows(&TWO_FACTOR, &[Where::eq("id", row["id"].clone())], &data)
                .await
                .or_internal(&ctx.logger, "two-factor enable")?;
        }
        None => {
            data.insert("userId".into(), json!(user.id));
            data.insert("failedVerificationCount".into(), json!(0));
            ctx.db.create_row(&TWO_FACTOR, &data).await.or_internal(&ctx.logger, "two-factor enable")?;
        }
    }
    let issuer = issuer.filter(|i| !i.is_empty()).or_else(|| o.issuer.clone()).unwrap_or_else(|| ctx.options.app_name.clone());
    let uri = totp::uri(o, secret.as_bytes(), &issuer, &user.email);
    Ok(Reply::Json(json!({ "method": "totp", "totpURI": uri, "backupCodes": codes })))
}

/// `POST /two-factor/disable`: the flag off, the secret and codes gone, this device's trust
/// ended, the session rotated.
async fn disable(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let o = options(call);
    let mut body = BodyReader::object(&call.body);
    let password = read_password(&mut body, o.allow_passwordless);
    body.finish()?;
    let (session, user) = require_session(call).await?;
    check_password(call, &user.id, password.as_deref(), o.allow_passwordless).await?;
    let ctx = call.ctx;
    ctx.db.delete_rows(&TWO_FACTOR, &[Where::eq("userId", user.id.as_str())]).await.or_internal(&ctx.logger, "two-factor disable")?;
    set_enabled_and_rotate(call, &session, &user, false).await?;
    verify::forget_trusted_device(call).await?;
    Ok(Reply::Json(json!({ "status": true })))
}

/// `amount` codes of `length` characters from `[a-z0-9A-Z]`, a dash after the fifth.
fn generate_codes(o: &Options) -> Vec<String> {
    (0..o.backup_amount)
        .map(|_| {
            let code = crate::crypto::random_from(b"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", o.backup_length);
            let split = code.len().min(5);
            format!("{}-{}", &code[..split], &code[split..])
        })
        .collect()
}

/// The `backupCodes` column: the JSON array, encrypted by default.
fn encode_codes(call: &Call<'_>, codes: &[String]) -> String {
    let text = Value::from(codes.to_vec()).to_string();
    match options(call).backup_store {
        BackupStore::Encrypted => call.ctx.encrypt(&text),
        BackupStore::Plain => text,
    }
}

/// The codes a row holds; `None` when they do not decrypt or parse.
fn decode_codes(call: &Call<'_>, stored: &str) -> Option<Vec<String>> {
    let text = match options(call).backup_store {
        BackupStore::Encrypted => call.ctx.decrypt(stored)?,
        BackupStore::Plain => stored.to_owned(),
    };
    serde_json::from_str::<Vec<String>>(&text).ok()
}

/// `POST /two-factor/verify-backup-code`: a backup code as the second factor, each usable once
/// (a compare-and-swap on the stored codes).
async fn verify_backup_code(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let mut body = BodyReader::object(&call.body);
    let code = body.string("code");
    let disable_session = body.optional_bool("disableSession").unwrap_or(false);
    let trust_device = body.optional_bool("trustDevice").unwrap_or(false);
    body.finish()?;
    let verifier = verify::resolve(call).await?;
    let ctx = call.ctx;
    let Some(row) = find_row(call, &verifier.user().id).await? else { return Err(ApiError::bad_request(e::BACKUP_CODES_NOT_ENABLED)) };
    let attempt = verifier.begin_attempt(call, &row).await?;
    let stored = row_str(&row, "backupCodes").to_owned();
    let codes = decode_codes(call, &stored);
    let matched = codes.as_ref().is_some_and(|codes| codes.iter().any(|c| crate::crypto::constant_time_eq(c.as_bytes(), code.as_bytes())));
    let Some(codes) = codes.filter(|_| matched) else {
        attempt.record_failure(call, &row).await;
        return Err(ApiError::new(401, e::INVALID_BACKUP_CODE));
    };
    let remaining: Vec<String> = codes.into_iter().filter(|c| *c != code).collect();
    let mut data = Map::new();
    data.insert("backupCodes".into(), json!(encode_codes(call, &remaining)));
    let swapped = ctx
        .db
        .update_rows(&TWO_FACTOR, &[Where::eq("id", row["id"].clone()), Where::eq("backupCodes", stored)], &data)
        .await
        .or_internal(&ctx.logger, "two-factor backup code")?;
    if swapped == 0 {
        // Another request spent it first.
        return Err(ApiError::message_only(409, "Failed to verify backup code. Please try again."));
    }
    attempt.succeeded(call, &row).await?;
    if disable_session {
        let user = verifier.user().clone();
        return Ok(Reply::Json(match &verifier {
            verify::Verifier::Session { session, .. } => json!({ "token": session.token, "user": user }),
            verify::Verifier::Challenge { .. } => json!({ "user": user }),
        }));
    }
    verifier.valid(call, trust_device).await
}

/// `POST /two-factor/generate-backup-codes`: a new set, replacing the old.
async fn generate_backup_codes(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let o = options(call);
    let allow_passwordless = o.backup_allow_passwordless.unwrap_or(o.allow_passwordless);
    let mut body = BodyReader::object(&call.body);
    let password = read_password(&mut body, allow_passwordless);
    body.finish()?;
    let (_, user) = require_session(call).await?;
    if !two_factor_enabled(&user) {
        return Err(ApiError::bad_request(e::TWO_FACTOR_NOT_ENABLED));
    }
    check_password(call, &user.id, password.as_deref(), allow_passwordless).await?;
    let Some(row) = find_row(call, &user.id).await? else { return Err(ApiError::bad_request(e::TWO_FACTOR_NOT_ENABLED)) };
    let codes = generate_codes(o);
    let mut data = Map::new();
    data.insert("backupCodes".into(), json!(encode_codes(call, &codes)));
    let ctx = call.ctx;
    ctx.db
        .update_rows(&TWO_FACTOR, &[Where::eq("id", row["id"].clone())], &data)
        .await
        .or_internal(&ctx.logger, "two-factor backup codes")?;
    Ok(Reply::Json(json!({ "status": true, "backupCodes": codes })))
}

/// `auth.api.viewBackupCodes({ body: { userId } })` (server only).
async fn view_backup_codes(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let user_id = match call.body.get("userId") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => {
            let mut body = BodyReader::object(&call.body);
            body.string("userId");
            body.finish()?;
            String::new()
        }
    };
    let Some(row) = find_row(call, &user_id).await? else { return Err(ApiError::bad_request(e::BACKUP_CODES_NOT_ENABLED)) };
    let Some(codes) = decode_codes(call, row_str(&row, "backupCodes")) else { return Err(ApiError::bad_request(e::INVALID_BACKUP_CODE)) };
    Ok(Reply::Json(json!({ "status": true, "backupCodes": codes })))
}
