//! `jwt` (upstream's `packages/better-auth/src/plugins/jwt`): JWTs for services that cannot
//! read the session cookie. `GET /token`, `GET /jwks`, a `set-auth-jwt` header on get-session,
//! server-only `signJWT` / `verifyJWT`; keys in upstream's `jwks` table (private keys sealed
//! with the auth secret), so keys either side created sign and verify on the other.

mod keys;

use std::borrow::Cow;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::context::{AuthContext, Call};
use crate::db::adapter::FindMany;
use crate::db::models::full_row;
use crate::db::schema::{Kind, Table, col, optional};
use crate::error::{ApiError, OrInternal};
use crate::options::OptionsError;
use crate::plugins::{Hook, HookKind, Plugin, PluginOptions};
use crate::routes::session::{require_session, session_json};
use crate::routes::{Endpoint, Reply};
use crate::time_util::{now_ms, parse_iso};
use crate::validate::BodyReader;
use crate::{after_hook, handler};
use keys::Alg;

/// Upstream's `jwks` schema (`plugins/jwt/schema.ts`): no indexes, no references.
pub static JWKS: Table = Table {
    name: Cow::Borrowed("jwks"),
    columns: Cow::Borrowed(&[
        col("id", Kind::Id),
        col("publicKey", Kind::Text),
        col("privateKey", Kind::Text),
        col("createdAt", Kind::Date),
        optional("expiresAt", Kind::Date),
        optional("alg", Kind::Text),
        optional("crv", Kind::Text),
    ]),
    indexes: &[],
};

#[derive(Clone, Copy)]
enum Expiration {
    /// A duration string (`"15m"`), counted from `iat`.
    Duration(i64),
    /// Seconds since the epoch: upstream takes a number as an absolute time.
    At(i64),
}

/// `jwt.issuer`, `jwt.audience`, `jwt.expirationTime`: the plugin's, or a `signJWT` call's
/// `overrideOptions.jwt` (which replaces them as a whole, as upstream's shallow merge does).
#[derive(Clone)]
struct Claims {
    issuer: Option<String>,
    audience: Option<Value>,
    expiration: Expiration,
}

impl Claims {
    fn parse(jwt: &Map<String, Value>) -> Result<Claims, String> {
        let expiration =
            match jwt.get("expirationTime") {
                None | Some(Value::Null) => Expiration::Duration(15 * 60),
                Some(Value::Number(n)) => Expiration::At(n.as_f64().unwrap_or(0.0) as i64),
                Some(Value::String(s)) => match parse_iso(s) {
                    Some(ms) => Expiration::At(ms.div_euclid(1000)),
                    None => Expiration::Duration(duration_seconds(s).ok_or_else(|| {
                        format!("Invalid time string format: \"{s}\". Use formats like \"7d\", \"30m\", \"1 hour\", etc.")
                    })?),
                },
                Some(_) => return Err("expected a number, a time string or a Date".into()),
            };
        Ok(Claims {
            issuer: jwt.get("issuer").and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned),
            audience: jwt.get("audience").filter(|a| a.is_string() || a.is_array()).cloned(),
            expiration,
        })
    }
}

struct Options {
    alg: Alg,
    modulus_length: usize,
    encrypt_private_keys: bool,
    rotation_interval_s: Option<i64>,
    grace_period_s: i64,
    remote_url: Option<String>,
    claims: Claims,
    define_payload: Option<Vec<String>>,
    get_subject: Option<Vec<String>>,
    custom_sign: Option<Vec<String>>,
    disable_header: bool,
    /// One key is minted at a time per instance.
    mint: tokio::sync::Mutex<()>,
}

pub fn register(options: &mut PluginOptions<'_>) -> Result<Plugin, OptionsError> {
    let jwks = options.section(
        "jwks",
        &["keyPairConfig", "disablePrivateKeyEncryption", "rotationInterval", "gracePeriod", "jwksPath", "remoteUrl"],
        &["keyPairConfigs"],
    )?;
    let jwt = options.section("jwt", &["issuer", "audience", "expirationTime", "definePayload", "getSubject", "sign"], &[])?;
    let pair = jwks.get("keyPairConfig").and_then(Value::as_object).cloned().unwrap_or_default();
    let alg = match pair.get("alg").and_then(Value::as_str) {
        None => Alg::EdDsa,
        Some(name) => Alg::parse(name)
            .ok_or_else(|| options.invalid("jwks.keyPairConfig.alg", format!("`{name}`: use EdDSA, ES256, ES512, RS256 or PS256")))?,
    };
    if let Some(crv) = pair.get("crv").and_then(Value::as_str)
        && Some(crv) != alg.curve()
    {
        return Err(options.invalid("jwks.keyPairConfig.crv", format!("`{crv}` does not go with {}", alg.name())));
    }
    let modulus_length = pair.get("modulusLength").and_then(Value::as_u64).unwrap_or(2048) as usize;
    let seconds = |key: &str| jwks.get(key).and_then(Value::as_f64).map(|s| s as i64);
    let jwks_path = jwks.get("jwksPath").and_then(Value::as_str).unwrap_or("/jwks").to_owned();
    if jwks_path.is_empty() || !jwks_path.starts_with('/') || jwks_path.contains("..") {
        return Err(
            options.invalid("jwks.jwksPath", "options.jwks.jwksPath must be a non-empty string starting with '/' and not contain '..'")
        );
    }
    let remote_url = jwks.get("remoteUrl").and_then(Value::as_str).map(str::to_owned);
    let has_fn = |key: &str| jwt.get(key).is_some_and(crate::option_keys::is_function);
    if has_fn("sign") && remote_url.is_none() {
        return Err(options.invalid("jwt.sign", "options.jwks.remoteUrl must be set when using options.jwt.sign"));
    }
    if remote_url.is_some() && pair.get("alg").is_none() {
        return Err(options.invalid(
            "jwks.keyPairConfig.alg",
            "options.jwks.keyPairConfig.alg must be specified when options.jwks.remoteUrl is used for OpenID metadata",
        ));
    }
    let claims = Claims::parse(&jwt).map_err(|why| options.invalid("jwt.expirationTime", why))?;
    let function = |key: &str| has_fn(key).then(|| options.function_path(&["jwt", key]));
    let state = Options {
        alg,
        modulus_length,
        encrypt_private_keys: jwks.get("disablePrivateKeyEncryption") != Some(&Value::Bool(true)),
        // 0 means no rotation, as upstream's falsy check.
        rotation_interval_s: seconds("rotationInterval").filter(|s| *s > 0),
        grace_period_s: seconds("gracePeriod").unwrap_or(2_592_000),
        remote_url,
        claims,
        define_payload: function("definePayload"),
        get_subject: function("getSubject"),
        custom_sign: function("sign"),
        disable_header: options.bool("disableSettingJwtHeader")?.unwrap_or(false),
        mint: tokio::sync::Mutex::new(()),
    };
    let fields: Vec<&str> = JWKS.columns.iter().map(|c| c.name.as_ref()).filter(|n| *n != "id").collect();
    let renames = options.schema(&[("jwks", &fields)])?;
    options.not_yet(&["adapter", "sessionCookieCache"]);

    let mut plugin = Plugin::new("jwt");
    // The JWKS path is an option; one small string per instance lives as long as the process.
    let jwks_path: &'static str = Box::leak(jwks_path.into_boxed_str());
    plugin.endpoints = vec![
        Endpoint::new("getJwks", jwks_path, &["GET"], handler!(get_jwks))
            .describe("Get the JSON Web Key Set")
            .operation("getJSONWebKeySet"),
        Endpoint::new("getToken", "/token", &["GET"], handler!(get_token)).describe("Get a JWT token").operation("getJSONWebToken"),
        Endpoint::server_only("signJWT", handler!(sign_jwt)),
        Endpoint::server_only("verifyJWT", handler!(verify_jwt)),
    ];
    plugin.hooks.push(Hook { matcher: |call| call.path == "/get-session", run: HookKind::After(after_hook!(set_jwt_header)) });
    plugin.tables.push(JWKS.clone());
    plugin.renames = renames;
    plugin.state = Arc::new(state);
    Ok(plugin)
}

/// Upstream's `sec()` (`utils/time.ts`): `"15m"`, `"1 hour"`, `"7 days ago"`, ... in seconds.
fn duration_seconds(text: &str) -> Option<i64> {
    static PATTERN: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = PATTERN.get_or_init(|| {
        regex::Regex::new(r"(?i)^(\+|-)? ?(\d+|\d+\.\d+) ?(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w|months?|mo|years?|yrs?|y)(?: (ago|from now))?$").expect("valid pattern")
    });
    let caps = re.captures(text)?;
    let value: f64 = caps.get(2)?.as_str().parse().ok()?;
    let unit = caps.get(3)?.as_str().to_ascii_lowercase();
    let factor = match unit.as_str() {
        "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
        "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600.0,
        "d" | "day" | "days" => 86_400.0,
        "w" | "week" | "weeks" => 604_800.0,
        "mo" | "month" | "months" => 2_592_000.0,
        _ => 31_557_600.0,
    };
    let negative = caps.get(1).is_some_and(|s| s.as_str() == "-");
    let ago = caps.get(4).is_some_and(|s| s.as_str().eq_ignore_ascii_case("ago"));
    if negative && ago {
        return None;
    }
    let seconds = (value * factor).round() as i64;
    Some(if negative || ago { -seconds } else { seconds })
}

fn options(ctx: &AuthContext) -> &Options {
    ctx.options.plugins.state::<Options>("jwt").expect("jwt plugin state")
}

fn row_alg(o: &Options, row: &Value) -> Alg {
    row.get("alg").and_then(Value::as_str).and_then(Alg::parse).unwrap_or(o.alg)
}

fn millis(row: &Value, field: &str) -> Option<i64> {
    row.get(field).and_then(Value::as_str).and_then(parse_iso)
}

async fn all_keys(ctx: &AuthContext) -> Result<Vec<Value>, ApiError> {
    ctx.db.find_rows(&JWKS, &FindMany::default()).await.or_internal(&ctx.logger, "jwks")
}

/// Mints and stores a key pair as upstream's `createJwk` does.
async fn create_key(ctx: &AuthContext) -> Result<Value, ApiError> {
    let o = options(ctx);
    let (alg, modulus) = (o.alg, o.modulus_length);
    let (public, private) =
        tokio::task::spawn_blocking(move || keys::generate(alg, modulus)).await.map_err(|_| ApiError::internal())?.map_err(|e| {
            ctx.logger.error(&format!("jwt: key generation failed: {e}"));
            ApiError::internal()
        })?;
    // Upstream stores the sealed key as a JSON string (quotes included).
    let private_text =
        if o.encrypt_private_keys { Value::String(ctx.encrypt(&private.to_string())).to_string() } else { private.to_string() };
    let now = now_ms();
    let mut row = Map::new();
    row.insert("alg".into(), json!(alg.name()));
    if let Some(crv) = alg.curve() {
        row.insert("crv".into(), json!(crv));
    }
    row.insert("publicKey".into(), json!(public.to_string()));
    row.insert("privateKey".into(), json!(private_text));
    row.insert("createdAt".into(), json!(crate::time_util::to_iso(now)));
    if let Some(interval) = o.rotation_interval_s {
        row.insert("expiresAt".into(), json!(crate::time_util::to_iso(now + interval * 1000)));
    }
    ctx.db.create_row(&JWKS, &row).await.or_internal(&ctx.logger, "jwks")
}

/// The key to sign with: the newest live key of the configured algorithm, else the newest
/// live key; a new one when there is none (this is how keys rotate), as `resolveSigningKey`.
async fn signing_key(ctx: &AuthContext) -> Result<(Alg, String, Map<String, Value>), ApiError> {
    let o = options(ctx);
    let pick = |rows: &[Value]| -> Option<Value> {
        let now = now_ms();
        let live: Vec<&Value> = rows.iter().filter(|r| millis(r, "expiresAt").is_none_or(|at| at > now)).collect();
        let newest = |keys: Vec<&Value>| keys.into_iter().max_by_key(|r| millis(r, "createdAt").unwrap_or(0)).cloned();
        newest(live.iter().copied().filter(|r| row_alg(o, r) == o.alg).collect()).or_else(|| newest(live))
    };
    let row = match pick(&all_keys(ctx).await?) {
        Some(row) => row,
        None => {
            let _minting = o.mint.lock().await;
            match pick(&all_keys(ctx).await?) {
                Some(row) => row,
                None => create_key(ctx).await?,
            }
        }
    };
    let private = open_private_key(ctx, &row).ok_or_else(|| {
        ctx.logger.error("Failed to decrypt private key. Make sure the secret currently in use is the same as the one used to encrypt the private key. If you are using a different secret, either clean up your JWKS or disable private key encryption.");
        ApiError::internal()
    })?;
    Ok((row_alg(o, &row), row["id"].as_str().unwrap_or_default().to_owned(), private))
}

fn open_private_key(ctx: &AuthContext, row: &Value) -> Option<Map<String, Value>> {
    let stored = row.get("privateKey")?.as_str()?;
    let text = if options(ctx).encrypt_private_keys {
        ctx.decrypt(serde_json::from_str::<String>(stored).ok()?.as_str())?
    } else {
        stored.to_owned()
    };
    serde_json::from_str(&text).ok()
}

/// `iss` / `aud` when neither the payload nor the options give them: the base URL's origin.
fn base_origin(call: &Call<'_>) -> String {
    call.base_origin.clone().unwrap_or_default()
}

/// Upstream's `signJWT`: `exp`, `iss`, `aud` filled in, signed with the current key (or the
/// app's `jwt.sign`).
async fn sign_payload(call: &Call<'_>, mut payload: Map<String, Value>, claims: &Claims) -> Result<String, ApiError> {
    let ctx = call.ctx;
    let o = options(ctx);
    // A null claim is a missing one (upstream's `??`): no token goes out without `exp`.
    payload.retain(|k, v| !(v.is_null() && matches!(k.as_str(), "exp" | "iss" | "aud" | "iat" | "nbf")));
    let iat = payload.get("iat").and_then(Value::as_i64);
    if !payload.contains_key("exp") {
        let exp = match claims.expiration {
            Expiration::At(at) => at,
            Expiration::Duration(seconds) => iat.unwrap_or(now_ms() / 1000) + seconds,
        };
        payload.insert("exp".into(), json!(exp));
    }
    let origin = base_origin(call);
    if !payload.contains_key("iss") {
        payload.insert("iss".into(), json!(claims.issuer.clone().unwrap_or_else(|| origin.clone())));
    }
    if !payload.contains_key("aud") {
        payload.insert("aud".into(), claims.audience.clone().unwrap_or_else(|| json!(origin)));
    }
    if origin.is_empty() && (claims.issuer.is_none() || claims.audience.is_none()) {
        ctx.logger.warn(
            "[better-auth] The JWT plugin signed a JWT without an issuer or audience; set `baseURL` or `jwt.issuer` / `jwt.audience`",
        );
    }
    if let Some(path) = &o.custom_sign {
        let segments: Vec<&str> = path.iter().map(String::as_str).collect();
        let args = vec![Value::Object(payload), Value::Null, json!({})];
        return match ctx.call_option(&segments, args).await {
            Ok(Value::String(token)) => Ok(token),
            _ => Err(ApiError::internal()),
        };
    }
    let (alg, kid, private) = signing_key(ctx).await?;
    let payload = Value::Object(payload);
    tokio::task::spawn_blocking(move || keys::compact_jws(alg, &kid, &private, &payload)).await.map_err(|_| ApiError::internal())?.map_err(
        |e| {
            ctx.logger.error(&format!("jwt: signing failed: {e}"));
            ApiError::internal()
        },
    )
}

/// Upstream's `getJwtToken`: `{ iat, ...user (or definePayload), sub }`, signed.
async fn session_token(call: &Call<'_>, session: Value) -> Result<String, ApiError> {
    let ctx = call.ctx;
    let o = options(ctx);
    let call_fn = |path: &Vec<String>, arg: Value| {
        let segments: Vec<String> = path.clone();
        async move {
            let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
            ctx.call_option(&segments, vec![arg]).await.map_err(|_| ApiError::internal())
        }
    };
    let base = match &o.define_payload {
        Some(path) => call_fn(path, session.clone()).await?,
        None => session.get("user").cloned().unwrap_or(Value::Null),
    };
    let subject = match &o.get_subject {
        Some(path) => call_fn(path, session.clone()).await?.as_str().map(str::to_owned),
        None => None,
    };
    let mut payload = Map::new();
    payload.insert("iat".into(), json!(now_ms() / 1000));
    if let Value::Object(fields) = base {
        payload.extend(fields);
    }
    let sub = subject.or_else(|| session.pointer("/user/id").and_then(Value::as_str).map(str::to_owned));
    payload.insert("sub".into(), json!(sub));
    sign_payload(call, payload, &o.claims).await
}

/// `GET /jwks`: every key still in its grace period, public parts only, `kid` = row id.
async fn get_jwks(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let ctx = call.ctx;
    let o = options(ctx);
    if o.remote_url.is_some() {
        return Err(ApiError::empty(404));
    }
    let mut rows = all_keys(ctx).await?;
    if rows.is_empty() {
        let _minting = o.mint.lock().await;
        rows = all_keys(ctx).await?;
        if rows.is_empty() {
            rows.push(create_key(ctx).await?);
        }
    }
    let now = now_ms();
    let keys: Vec<Value> = rows
        .iter()
        .filter(|r| millis(r, "expiresAt").is_none_or(|at| at + o.grace_period_s * 1000 > now))
        .map(|r| {
            let mut key = Map::new();
            key.insert("alg".into(), json!(row_alg(o, r).name()));
            if let Some(crv) = r.get("crv").and_then(Value::as_str).or_else(|| o.alg.curve().filter(|_| r.get("alg").is_none())) {
                key.insert("crv".into(), json!(crv));
            }
            if let Some(Value::Object(public)) = r.get("publicKey").and_then(Value::as_str).and_then(|s| serde_json::from_str(s).ok()) {
                key.extend(public);
            }
            key.insert("kid".into(), r["id"].clone());
            Value::Object(key)
        })
        .collect();
    Ok(Reply::Json(json!({ "keys": keys })))
}

/// `GET /token`: a JWT for the current session.
async fn get_token(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let (session, user) = require_session(call).await?;
    let token = session_token(call, session_json(&session, &user)).await?;
    Ok(Reply::Json(json!({ "token": token })))
}

/// `set-auth-jwt` on every get-session answer that has a session: the session the request
/// came with (or the one it made), as stored, whatever shape the answer was given.
async fn set_jwt_header(call: &mut Call<'_>, result: Result<Reply, ApiError>) -> Result<Reply, ApiError> {
    if options(call.ctx).disable_header {
        return result;
    }
    let Some((session, user)) = call.session.as_deref().or(call.issued_session.as_deref()) else { return result };
    let raw = json!({ "session": full_row(session, &session.hidden), "user": full_row(user, &user.hidden) });
    let token = session_token(call, raw).await?;
    call.out.set_header("set-auth-jwt", token);
    call.out.expose_header("set-auth-jwt");
    result
}

/// Server only: `signJWT({ body: { payload } })` → `{ token }` (no `iat` added, as upstream).
async fn sign_jwt(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let body = BodyReader::object(&call.body);
    let payload = body.value("payload").cloned();
    let overrides = body.value("overrideOptions").cloned();
    body.finish()?;
    let Some(Value::Object(payload)) = payload else {
        return Err(ApiError::validation("[body.payload] Invalid input: expected record, received undefined"));
    };
    let claims = match overrides.as_ref().and_then(|o| o.get("jwt")) {
        None => options(call.ctx).claims.clone(),
        Some(Value::Object(jwt)) => Claims::parse(jwt).map_err(|why| ApiError::validation(format!("[body.overrideOptions.jwt] {why}")))?,
        Some(_) => return Err(ApiError::validation("[body.overrideOptions.jwt] Invalid input: expected object")),
    };
    if let Some(other) = overrides.as_ref().and_then(Value::as_object).and_then(|o| o.keys().find(|k| *k != "jwt")) {
        // Key and storage overrides would sign with something other than the JWKS: refused, not ignored.
        return Err(ApiError::validation(format!("[body.overrideOptions.{other}] is not supported by better-auth-rs yet")));
    }
    let token = sign_payload(call, payload, &claims).await?;
    Ok(Reply::Json(json!({ "token": token })))
}

/// Server only: `verifyJWT({ body: { token, issuer? } })` → `{ payload }`, `null` when the
/// token is not one of ours, is expired, or names another issuer or audience.
async fn verify_jwt(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let mut body = BodyReader::object(&call.body);
    let token = body.string("token");
    let issuer = body.optional_string("issuer");
    body.finish()?;
    let payload = verified(call, &token, issuer).await?;
    Ok(Reply::Json(json!({ "payload": payload })))
}

async fn verified(call: &Call<'_>, token: &str, issuer: Option<String>) -> Result<Option<Map<String, Value>>, ApiError> {
    let ctx = call.ctx;
    let o = options(ctx);
    let Some(keys::Jws { header, payload, signing_input, signature }) = keys::decode_parts(token) else { return Ok(None) };
    let Some(kid) = header.get("kid").and_then(Value::as_str) else { return Ok(None) };
    let rows = all_keys(ctx).await?;
    let Some(row) = rows.iter().find(|r| r["id"].as_str() == Some(kid)) else { return Ok(None) };
    let alg = row_alg(o, row);
    if header.get("alg").and_then(Value::as_str) != Some(alg.name()) {
        return Ok(None);
    }
    let Some(Value::Object(public)) = row.get("publicKey").and_then(Value::as_str).and_then(|s| serde_json::from_str(s).ok()) else {
        return Ok(None);
    };
    if !keys::verify(alg, &public, signing_input.as_bytes(), &signature) {
        return Ok(None);
    }
    let now = now_ms() / 1000;
    // As jose: time claims, when present, must be numbers.
    if ["exp", "nbf", "iat"].iter().any(|k| payload.get(*k).is_some_and(|v| !v.is_number())) {
        return Ok(None);
    }
    let number = |k: &str| payload.get(k).and_then(Value::as_f64);
    if number("exp").is_some_and(|exp| exp <= now as f64) || number("nbf").is_some_and(|nbf| nbf > now as f64) {
        return Ok(None);
    }
    let expected_issuer = issuer.filter(|i| !i.is_empty()).or_else(|| o.claims.issuer.clone()).or_else(|| ctx.options.base_origin.clone());
    if let Some(expected) = expected_issuer
        && payload.get("iss").and_then(Value::as_str) != Some(expected.as_str())
    {
        return Ok(None);
    }
    let expected_audience: Vec<String> = match o.claims.audience.clone().or_else(|| ctx.options.base_origin.clone().map(Value::String)) {
        Some(Value::String(a)) => vec![a],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        _ => Vec::new(),
    };
    let audiences: Vec<&str> = match payload.get("aud") {
        Some(Value::String(a)) => vec![a.as_str()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !expected_audience.is_empty() && !expected_audience.iter().any(|a| audiences.contains(&a.as_str())) {
        return Ok(None);
    }
    if payload.get("sub").is_none_or(Value::is_null) || audiences.is_empty() {
        return Ok(None);
    }
    Ok(Some(payload))
}

#[cfg(test)]
mod tests {
    use super::duration_seconds;

    #[test]
    fn time_strings_as_upstreams_sec() {
        assert_eq!(duration_seconds("1h"), Some(3600));
        assert_eq!(duration_seconds("7 days"), Some(604_800));
        assert_eq!(duration_seconds("30 minutes"), Some(1800));
        assert_eq!(duration_seconds("1h ago"), Some(-3600));
        assert_eq!(duration_seconds("-1h"), Some(-3600));
        assert_eq!(duration_seconds("-1h ago"), None);
        assert_eq!(duration_seconds("abc123"), None);
        assert_eq!(duration_seconds(""), None);
    }
}
