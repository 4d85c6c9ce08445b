//! TOTP (upstream's `plugins/two-factor/totp` over `@better-auth/utils/otp`): HMAC-SHA1 keyed
//! with the secret's UTF-8 bytes, one period of skew either way, and the otpauth URI.

use serde_json::{Value, json};
use totp_rs::{Algorithm, Secret, TOTP};

use super::{Options, e, find_row, options, read_password, row_str, row_verified, set_enabled_and_rotate, two_factor_enabled, verify};
use crate::context::Call;
use crate::db::adapter::Where;
use crate::error::{ApiError, OrInternal};
use crate::routes::Reply;
use crate::routes::session::require_session;
use crate::validate::BodyReader;

fn totp(o: &Options, key: Vec<u8>) -> TOTP {
    // Unchecked: upstream's secrets are 32 bytes, but imported ones may be shorter.
    TOTP::new_unchecked(Algorithm::SHA1, o.totp_digits as usize, 1, o.totp_period, key)
}

/// The HMAC key of a decrypted secret: `base32:<secret>` (imported) is decoded, anything else
/// is its own UTF-8 bytes.
fn key_of(secret: &str) -> Option<Vec<u8>> {
    match secret.strip_prefix("base32:") {
        Some(encoded) => Secret::Encoded(encoded.to_uppercase()).to_bytes().ok(),
        None => Some(secret.as_bytes().to_vec()),
    }
}

fn now_s() -> u64 {
    (crate::time_util::now_ms() / 1000).max(0) as u64
}

/// `otpauth://totp/<issuer>:<account>?secret=…&issuer=…&digits=…&period=…`, encoded as
/// upstream's `createOTP().url`: the label with `encodeURIComponent`, the query as a form.
pub fn uri(o: &Options, key: &[u8], issuer: &str, account: &str) -> String {
    let secret = totp(o, key.to_vec()).get_secret_base32();
    let query: String =
        url::form_urlencoded::Serializer::new(String::new()).append_pair("secret", &secret).append_pair("issuer", issuer).finish();
    let label = |s: &str| crate::http::encode_uri_component(s);
    format!("otpauth://totp/{}:{}?{query}&digits={}&period={}", label(issuer), label(account), o.totp_digits, o.totp_period)
}

fn not_configured() -> ApiError {
    ApiError::with_message(400, e::TOTP_NOT_CONFIGURED, "totp isn't configured")
}

/// `POST /two-factor/get-totp-uri`: the enrolled secret's URI again (password required).
pub async fn get_totp_uri(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let o = options(call);
    let allow_passwordless = o.totp_allow_passwordless.unwrap_or(o.allow_passwordless);
    let mut body = BodyReader::object(&call.body);
    let password = read_password(&mut body, allow_passwordless);
    body.finish()?;
    let (_, user) = require_session(call).await?;
    if o.totp_disabled {
        return Err(not_configured());
    }
    let Some(row) = find_row(call, &user.id).await? else { return Err(ApiError::bad_request(e::TOTP_NOT_ENABLED)) };
    let ctx = call.ctx;
    let secret = ctx.decrypt(row_str(&row, "secret")).and_then(|s| key_of(&s)).ok_or_else(|| {
        ctx.logger.error("two-factor: a TOTP secret does not decrypt with the configured secrets");
        ApiError::internal()
    })?;
    super::check_password(call, &user.id, password.as_deref(), allow_passwordless).await?;
    // Upstream names `totpOptions.issuer` here, not the top-level `issuer`.
    let issuer = o.totp_issuer.clone().unwrap_or_else(|| ctx.options.app_name.clone());
    Ok(Reply::Json(json!({ "totpURI": uri(o, &secret, &issuer, &user.email) })))
}

/// `POST /two-factor/verify-totp`: at sign-in, the second factor; signed in, completes
/// enrolment (`twoFactorEnabled` set, the row verified).
pub async fn verify_totp(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let mut body = BodyReader::object(&call.body);
    let code = body.string("code");
    let trust_device = body.optional_bool("trustDevice").unwrap_or(false);
    body.finish()?;
    let o = options(call);
    if o.totp_disabled {
        return Err(not_configured());
    }
    let verifier = verify::resolve(call).await?;
    let Some(row) = find_row(call, &verifier.user().id).await? else { return Err(ApiError::bad_request(e::TOTP_NOT_ENABLED)) };
    if verifier.is_sign_in() && !row_verified(&row) {
        return Err(ApiError::bad_request(e::TOTP_NOT_ENABLED));
    }
    let attempt = verifier.begin_attempt(call, &row).await?;
    let ctx = call.ctx;
    let Some(key) = ctx.decrypt(row_str(&row, "secret")).and_then(|s| key_of(&s)) else {
        attempt.restore(call).await;
        ctx.logger.error("two-factor: a TOTP secret does not decrypt with the configured secrets");
        return Err(ApiError::internal());
    };
    if !totp(o, key).check(&code, now_s()) {
        attempt.record_failure(call, &row).await;
        return Err(ApiError::new(401, e::INVALID_CODE));
    }
    attempt.succeeded(call, &row).await?;
    if row.get("verified") != Some(&Value::Bool(true)) {
        if let verify::Verifier::Session { session, user } = &verifier
            && !two_factor_enabled(user)
        {
            set_enabled_and_rotate(call, session, user, true).await?;
        }
        let mut data = serde_json::Map::new();
        data.insert("verified".into(), Value::Bool(true));
        ctx.db
            .update_rows(&super::TWO_FACTOR, &[Where::eq("id", row["id"].clone())], &data)
            .await
            .or_internal(&ctx.logger, "two-factor")?;
    }
    verifier.valid(call, trust_device).await
}

/// `auth.api.generateTOTP({ body: { secret } })` (server only): the current code of a plain secret.
pub async fn generate_totp(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let mut body = BodyReader::object(&call.body);
    let secret = body.string("secret");
    body.finish()?;
    let o = options(call);
    if o.totp_disabled {
        return Err(not_configured());
    }
    let key = key_of(&secret).ok_or_else(|| ApiError::validation("[body.secret] Invalid base32 secret"))?;
    Ok(Reply::Json(json!({ "code": totp(o, key).generate(now_s()) })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6238_sha1_vectors_with_the_secret_bytes_as_key() {
        // RFC 6238 appendix B, SHA-1, 8 digits: the key is the ASCII of "12345678901234567890".
        let t = TOTP::new_unchecked(Algorithm::SHA1, 8, 1, 30, b"12345678901234567890".to_vec());
        assert_eq!(t.generate(59), "94287082");
        assert_eq!(t.generate(1111111109), "07081804");
        assert!(t.check("94287082", 59 + 30), "one period of skew");
        assert!(!t.check("94287082", 59 + 61));
    }

    #[test]
    fn imported_base32_secrets_decode() {
        assert_eq!(key_of("base32:gezdgnbvgy3tqojq"), Some(b"1234567890".to_vec()));
        assert_eq!(key_of("abc"), Some(b"abc".to_vec()));
    }
}
