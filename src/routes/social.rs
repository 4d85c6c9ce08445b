//! `POST /sign-in/social` and `GET|POST /callback/:id` (upstream 1.7.25's
//! `api/routes/sign-in.ts`, `api/routes/callback.ts`, `oauth2/state.ts`, `oauth2/link-account.ts`
//! under `packages/better-auth/src/`).
//!
//! State: a verification row `auth-state:<state>` holding the flow's data (10 minutes) and a
//! signed `<prefix>.state` cookie (5 minutes); the callback needs both to agree.

use serde_json::{Map, Value, json};

use crate::context::Call;
use crate::crypto::{generate_id, random_string};
use crate::db::models::{OAuthAccount, OAuthTokens, User};
use crate::error::{ApiError, OrInternal, codes, extra_codes};
use crate::oauth::{self, AuthorizationRequest, Profile, Provider, RESERVED_PARAMS, UserInfo};
use crate::routes::Reply;
use crate::routes::db_hooks::{self, Before};
use crate::routes::session::{create_session, require_session, set_session_cookie};
use crate::time_util::now_ms;
use crate::validate::BodyReader;

const STATE_COOKIE_MAX_AGE: i64 = 300;
const STATE_TTL_MS: i64 = 600_000;

fn state_identifier(state: &str) -> String {
    format!("auth-state:{state}")
}

/// What starts an authorization (sign-in or link).
struct AuthorizationStart {
    callback_url: Option<String>,
    error_url: Option<String>,
    new_user_url: Option<String>,
    scopes: Vec<String>,
    login_hint: Option<String>,
    request_sign_up: Option<bool>,
    additional_params: Vec<(String, String)>,
    additional_data: Map<String, Value>,
    disable_redirect: bool,
    /// `/link-social`: the signed-in user the account will join.
    link: Option<Value>,
}

/// The body both `/sign-in/social` and `/link-social` take (the latter has no newUserCallbackURL).
fn read_start(body: &mut BodyReader<'_>, link: bool) -> AuthorizationStart {
    let start = AuthorizationStart {
        callback_url: body.optional_string("callbackURL"),
        error_url: body.optional_string("errorCallbackURL"),
        new_user_url: if link { None } else { body.optional_string("newUserCallbackURL") },
        disable_redirect: body.optional_bool("disableRedirect").unwrap_or(false),
        scopes: body.optional_strings("scopes").unwrap_or_default(),
        login_hint: body.optional_string("loginHint"),
        request_sign_up: body.optional_bool("requestSignUp"),
        additional_params: body.optional_string_record("additionalParams").unwrap_or_default(),
        additional_data: body.optional_map("additionalData").unwrap_or_default(),
        link: None,
    };
    if let Some((key, _)) = start.additional_params.iter().find(|(k, _)| RESERVED_PARAMS.contains(&k.as_str())) {
        body.refine("additionalParams", &format!("`{key}` is set by the authorization request itself"));
    }
    start
}

async fn find_provider(call: &Call<'_>, id: &str) -> Result<Provider, ApiError> {
    match call.ctx.provider(id).await? {
        Some(provider) => Ok(provider),
        None => {
            call.ctx.logger.error(&format!("Provider not found. Make sure to add the provider in your auth config: {id}"));
            Err(ApiError::new(404, codes::PROVIDER_NOT_FOUND))
        }
    }
}

pub async fn sign_in_social(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let mut body = BodyReader::object(&call.body);
    let provider_id = body.string("provider");
    let start = read_start(&mut body, false);
    let id_token = body.value("idToken").is_some();
    body.finish()?;
    let provider = find_provider(call, &provider_id).await?;
    if id_token {
        return sign_in_with_id_token(call, &provider, start.request_sign_up == Some(true)).await;
    }
    begin_authorization(call, &provider, start).await
}

/// What an `idToken` in the body vouches for (sign-in and `/link-social`).
struct IdTokenUser {
    tokens: OAuthTokens,
    info: UserInfo,
    mapped: Map<String, Value>,
}

/// Reads the `idToken` object, verifies the token against the provider's keys and maps its
/// user. `link`: upstream also stores the client's refresh token when linking, never on a
/// sign-in (`/refresh-token` must only ever send what the provider issued there).
async fn id_token_user(call: &Call<'_>, provider: &Provider, link: bool) -> Result<IdTokenUser, ApiError> {
    let ctx = call.ctx;
    let input = call.body.get("idToken").cloned().unwrap_or(Value::Null);
    let mut body = BodyReader::object(&input);
    let token = body.string("token");
    let nonce = body.optional_string("nonce");
    let access_token = body.optional_string("accessToken");
    let refresh_token = body.optional_string("refreshToken").filter(|_| link);
    body.finish()?;
    let Some(config) = provider.id_token.as_ref().filter(|_| provider.id_token_sign_in) else {
        ctx.logger.error(&format!("Provider does not support id token verification: {}", provider.id));
        return Err(ApiError::new(404, codes::ID_TOKEN_NOT_SUPPORTED));
    };
    if oauth::id_token::verify(config, &token, nonce.as_deref(), now_ms() / 1000).await.is_none() {
        ctx.logger.warn(&format!("Invalid id token: {}", provider.id));
        return Err(ApiError::new(401, codes::INVALID_TOKEN));
    }
    let tokens = OAuthTokens { id_token: Some(token), access_token, refresh_token, ..Default::default() };
    // Sign in with Apple posts the user's name with the first sign-in only.
    let posted_user = if link { None } else { input.get("user") };
    let Some((profile, mut info)) = provider.user_info(&tokens, posted_user, nonce.as_deref()).await else {
        return Err(ApiError::new(401, codes::FAILED_TO_GET_USER_INFO));
    };
    let mapped = map_profile(call, provider, &profile, &mut info).await?;
    if info.email.as_deref().unwrap_or_default().is_empty() {
        return Err(ApiError::new(401, codes::USER_EMAIL_NOT_FOUND));
    }
    Ok(IdTokenUser { tokens, info, mapped })
}

/// `idToken` in the body: a token the client got from the provider (Google One Tap, Sign in
/// with Apple on a device), verified against the provider's keys; then as a callback would.
async fn sign_in_with_id_token(call: &mut Call<'_>, provider: &Provider, request_sign_up: bool) -> Result<Reply, ApiError> {
    let IdTokenUser { tokens, info, mapped } = id_token_user(call, provider, false).await?;
    let email = info.email.clone().unwrap_or_default().to_lowercase();
    let (user, _) = match resolve_user(call, provider, &info, &email, mapped, tokens, request_sign_up).await {
        Ok(found) => found,
        Err(Failure::Reason("email_not_verified")) => return Err(ApiError::new(403, codes::EMAIL_NOT_VERIFIED)),
        Err(Failure::Reason(reason)) => return Err(oauth_link_error(reason)),
        Err(Failure::Api(e)) => return Err(e),
    };
    let session = create_session(call, &user.id, false).await.map_err(|_| oauth_link_error("unable to create session"))?;
    set_session_cookie(call, &session, &user, None).await;
    Ok(Reply::Json(json!({ "redirect": false, "token": session.token, "user": user })))
}

fn oauth_link_error(reason: &str) -> ApiError {
    ApiError::with_message(401, extra_codes::OAUTH_LINK_ERROR, reason)
}

/// `POST /link-social`: the signed-in user authorizes another provider account.
pub async fn link_social(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let mut body = BodyReader::object(&call.body);
    let provider_id = body.string("provider");
    let mut start = read_start(&mut body, true);
    let id_token = body.value("idToken").is_some();
    body.finish()?;
    let (session, user) = require_session(call).await?;
    let provider = find_provider(call, &provider_id).await?;
    if id_token {
        return link_with_id_token(call, &provider, &user).await;
    }
    // The linking session, sealed: the state row must not hold a usable session token.
    let sealed = crate::crypto::symmetric_encrypt_raw(&link_session_key(call.ctx.secret()), &session.token);
    start.link = Some(json!({ "userId": user.id, "email": user.email, "sealedSessionToken": sealed }));
    begin_authorization(call, &provider, start).await
}

/// `/link-social` with `idToken`: the token is verified, then linked to the signed-in user
/// (upstream's answers: 409 already linked elsewhere, 401 not allowed / other email, 417).
async fn link_with_id_token(call: &mut Call<'_>, provider: &Provider, user: &User) -> Result<Reply, ApiError> {
    let ctx = call.ctx;
    let IdTokenUser { tokens, info, mapped } = id_token_user(call, provider, true).await?;
    let done = || Reply::Json(json!({ "url": "", "status": true, "redirect": false }));
    let existing = ctx.db.find_oauth_accounts(&provider.id, &info.id).await.or_internal(&ctx.logger, "link-social")?;
    let now = now_ms();
    if let Some((account_row_id, owner)) = existing.into_iter().next() {
        if owner != user.id {
            return Err(ApiError::new(409, codes::SOCIAL_ACCOUNT_ALREADY_LINKED));
        }
        ctx.db
            .update_oauth_tokens(&account_row_id, &provider.id, &ctx.seal_tokens(tokens), None, now)
            .await
            .or_internal(&ctx.logger, "link-social")?;
        update_user_info_on_link(call, &user.id, &info, &mapped).await;
        return Ok(done());
    }
    let linking = &ctx.options.account_linking;
    let trusted = linking.trusted_providers.iter().any(|p| p == &provider.id);
    if (!trusted && !info.email_verified) || !linking.enabled {
        return Err(ApiError::new(401, extra_codes::LINKING_NOT_ALLOWED));
    }
    if info.email.as_deref().map(str::to_lowercase) != Some(user.email.to_lowercase()) && !linking.allow_different_emails {
        return Err(ApiError::new(401, extra_codes::LINKING_DIFFERENT_EMAILS_NOT_ALLOWED));
    }
    let failed = || ApiError::new(417, extra_codes::LINKING_FAILED);
    let mut account = new_account(call, provider, &info, &user.id, tokens, now);
    match db_hooks::before_create(call, "account", account.row_json()).await {
        Ok(Before::Abort) => return Err(failed()),
        Ok(Before::Proceed(data)) => merge_account(&mut account, &data),
        Err(thrown) => return Err(thrown.or(failed())),
    }
    ctx.db.link_oauth_account(&account).await.map_err(|_| failed())?;
    db_hooks::after_create(call, "account", account.row_json()).await.map_err(|t| t.or(ApiError::internal()))?;
    update_user_info_on_link(call, &user.id, &info, &mapped).await;
    Ok(done())
}

async fn begin_authorization(call: &mut Call<'_>, provider: &Provider, start: AuthorizationStart) -> Result<Reply, ApiError> {
    let ctx = call.ctx;
    let base_url = call.base_url();
    let callback_url = start.callback_url.filter(|u| !u.is_empty()).or_else(|| call.base_origin.clone());
    let Some(callback_url) = callback_url else { return Err(ApiError::bad_request(codes::CALLBACK_URL_REQUIRED)) };

    let state = random_string(32);
    let verifier = random_string(128);
    let mut data = start.additional_data;
    for key in ["callbackURL", "codeVerifier", "errorURL", "newUserURL", "link", "expiresAt", "requestSignUp", "idTokenNonce", "oauthState"]
    {
        data.remove(key);
    }
    data.insert("callbackURL".into(), json!(callback_url));
    data.insert("codeVerifier".into(), json!(verifier));
    if let Some(u) = start.error_url {
        data.insert("errorURL".into(), json!(u));
    }
    if let Some(u) = start.new_user_url {
        data.insert("newUserURL".into(), json!(u));
    }
    if let Some(link) = start.link {
        data.insert("link".into(), link);
    }
    data.insert("expiresAt".into(), json!(now_ms() + STATE_TTL_MS));
    if let Some(r) = start.request_sign_up {
        data.insert("requestSignUp".into(), json!(r));
    }
    let nonce = provider.requires_nonce().then(|| random_string(32));
    if let Some(nonce) = &nonce {
        data.insert("idTokenNonce".into(), json!(nonce));
    }
    data.insert("oauthState".into(), json!(state));
    let stored =
        db_hooks::create_verification(call, &state_identifier(&state), &Value::Object(data).to_string(), now_ms() + STATE_TTL_MS).await?;
    if !stored {
        return Err(ApiError::internal());
    }
    let cookie = ctx.cookies.state_cookie_name();
    call.out.cookies.set_signed(&cookie, &state, Some(STATE_COOKIE_MAX_AGE), &ctx.cookies.attributes, ctx.secret());

    let redirect_uri = provider.redirect_uri.clone().unwrap_or_else(|| format!("{base_url}/callback/{}", provider.id));
    let scopes = if provider.request_scopes_first {
        let mut all = start.scopes;
        all.extend(provider.scopes.iter().cloned());
        if matches!(provider.kind, oauth::ProviderKind::Generic { oidc: true, .. }) && !all.iter().any(|s| s == "openid") {
            all.insert(0, "openid".into());
        }
        all
    } else {
        provider.scopes.iter().cloned().chain(start.scopes).collect()
    };
    let url = oauth::authorization_url(
        provider,
        &AuthorizationRequest {
            state: &state,
            verifier: Some(&verifier),
            redirect_uri: &redirect_uri,
            scopes,
            login_hint: start.login_hint.as_deref(),
            nonce: nonce.as_deref(),
            additional: start.additional_params,
        },
    )
    .map_err(|e| {
        ctx.logger.error(&format!("{}: {e}", provider.id));
        ApiError::internal()
    })?;
    if !start.disable_redirect {
        call.out.set_header("location", url.clone());
    }
    Ok(Reply::Json(json!({ "url": url, "redirect": !start.disable_redirect })))
}

/// `?error=` (and `error_description`) added to a URL, as upstream's `appendQueryParams`.
fn with_error(url: &str, error: &str, description: Option<&str>) -> String {
    match description {
        Some(d) => crate::http::with_query(url, &[("error", error), ("error_description", d)]),
        None => crate::http::with_query(url, &[("error", error)]),
    }
}

pub async fn callback(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let ctx = call.ctx;
    let base_url = call.base_url();
    let id = call.param("id").unwrap_or_default().to_owned();
    let default_error_url = format!("{base_url}/error");
    let fail = |url: &str, error: &str| ApiError::redirect(with_error(url, error, None));

    // A form_post (Apple) comes back as a GET, so the browser sends the cookies along.
    if call.method == "POST" {
        let mut params: Vec<(String, String)> = Vec::new();
        let mut add = |map: &Map<String, Value>| {
            for (k, v) in map {
                if let Some(v) = v.as_str() {
                    params.retain(|(n, _)| n != k);
                    params.push((k.clone(), v.to_owned()));
                }
            }
        };
        if let Value::Object(body) = &call.body {
            add(body);
        }
        add(&call.query);
        if !ctx.options.providers.iter().any(|p| p.id == id) {
            return Err(fail(&default_error_url, "oauth_provider_not_found"));
        }
        let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
        let id = crate::http::encode_uri_component(&id);
        return Err(ApiError::redirect(format!("{base_url}/callback/{id}?{query}")));
    }
    let mut query = Map::new();
    for key in ["code", "error", "device_id", "error_description", "state", "user", "iss"] {
        match call.query.get(key) {
            None => {}
            Some(Value::String(s)) => {
                query.insert(key.to_owned(), Value::String(s.clone()));
            }
            Some(_) => return Err(fail(&default_error_url, "invalid_callback_request")),
        }
    }
    let text = |k: &str| query.get(k).and_then(Value::as_str).map(str::to_owned);
    let Some(state) = text("state") else { return Err(fail(&default_error_url, "state_not_found")) };

    // The state: the stored row, its copy of the state, the signed cookie, then expiry.
    let identifier = state_identifier(&state);
    let stored = ctx.db.find_verification(&identifier).await.map_err(|e| {
        ctx.logger.error(&format!("callback state lookup: {e}"));
        fail(&default_error_url, "internal_server_error")
    })?;
    let Some((value, _)) = stored else { return Err(fail(&default_error_url, "state_mismatch")) };
    let Ok(Value::Object(data)) = serde_json::from_str::<Value>(&value) else {
        return Err(fail(&default_error_url, "internal_server_error"));
    };
    let field = |k: &str| data.get(k).and_then(Value::as_str).map(str::to_owned);
    let error_url = field("errorURL").unwrap_or_else(|| default_error_url.clone());
    if field("oauthState").as_deref() != Some(state.as_str()) {
        return Err(fail(&error_url, "state_mismatch"));
    }
    let cookie = ctx.cookies.state_cookie_name();
    let cookie_state = call.cookies.get_signed(&cookie, ctx.secret()).map(str::to_owned);
    call.out.cookies.expire(&cookie, &ctx.cookies.attributes);
    if cookie_state.as_deref() != Some(state.as_str()) {
        return Err(fail(&error_url, "state_mismatch"));
    }
    // Taken once: of two callbacks racing with one state, only one goes on.
    let taken = ctx.db.consume_verification(&identifier).await.or_internal(&ctx.logger, "callback state delete")?;
    if taken.is_none() {
        return Err(fail(&error_url, "state_mismatch"));
    }
    if data.get("expiresAt").and_then(Value::as_i64).is_none_or(|at| at < now_ms()) {
        return Err(fail(&error_url, "state_mismatch"));
    }

    if let Some(error) = text("error") {
        return Err(ApiError::redirect(with_error(&error_url, &error, text("error_description").as_deref())));
    }
    let Some(code) = text("code") else { return Err(fail(&error_url, "no_code")) };
    let Some(provider) = ctx.provider(&id).await.ok().flatten() else { return Err(fail(&error_url, "oauth_provider_not_found")) };
    if let (Some(iss), Some(issuer)) = (text("iss"), &provider.issuer)
        && &iss != issuer
    {
        return Err(fail(&error_url, "issuer_mismatch"));
    }
    let expected_nonce = field("idTokenNonce");
    if provider.requires_nonce() && expected_nonce.is_none() {
        return Err(fail(&error_url, "nonce_binding_missing"));
    }
    let redirect_uri = provider.redirect_uri.clone().unwrap_or_else(|| format!("{base_url}/callback/{}", provider.id));
    let tokens =
        match oauth::exchange_code(&provider, &code, field("codeVerifier").filter(|_| provider.pkce).as_deref(), &redirect_uri, now_ms())
            .await
        {
            Ok(tokens) => tokens,
            Err(e) => {
                ctx.logger.error(&format!("{}: code exchange failed: {e}", provider.id));
                return Err(fail(&error_url, "invalid_code"));
            }
        };
    let Some((profile, mut info)) = provider.user_info(&tokens, query.get("user"), expected_nonce.as_deref()).await else {
        ctx.logger.error(&format!("{}: unable to get user info", provider.id));
        return Err(fail(&error_url, "unable_to_get_user_info"));
    };
    if info.id.is_empty() || info.id == "undefined" || info.id == "null" {
        return Err(fail(&error_url, "unable_to_get_user_info"));
    }
    let mapped = map_profile(call, &provider, &profile, &mut info).await?;
    let Some(callback_url) = field("callbackURL") else { return Err(fail(&error_url, "no_callback_url")) };
    if let Some(link) = data.get("link") {
        return match link_account(call, &provider, &info, &mapped, link, tokens).await {
            Ok(()) => Err(ApiError::redirect(callback_url)),
            Err(Failure::Reason(reason)) => Err(fail(&error_url, &reason.replace(' ', "_"))),
            Err(Failure::Api(e)) => Err(api_error_redirect(&error_url, e)),
        };
    }
    let Some(email) = info.email.clone().filter(|e| !e.is_empty()) else {
        ctx.logger.error(&format!("{}: the provider did not return an email", provider.id));
        return Err(fail(&error_url, "email_not_found"));
    };
    let request_sign_up = data.get("requestSignUp") == Some(&Value::Bool(true));
    let outcome = resolve_user(call, &provider, &info, &email.to_lowercase(), mapped, tokens, request_sign_up).await;
    let (user, is_new) = match outcome {
        Ok(found) => found,
        Err(Failure::Reason(reason)) => return Err(fail(&error_url, &reason.replace(' ', "_"))),
        Err(Failure::Api(e)) => return Err(api_error_redirect(&error_url, e)),
    };
    let session = match create_session(call, &user.id, false).await {
        Ok(session) => session,
        Err(_) => return Err(fail(&error_url, "unable_to_create_session")),
    };
    set_session_cookie(call, &session, &user, None).await;
    let location = if is_new { field("newUserURL").unwrap_or(callback_url) } else { callback_url };
    Err(ApiError::redirect(location))
}

/// `mapProfileToUser(profile)`: its fields override the mapped user; the rest are additional
/// fields for a new user.
async fn map_profile(call: &Call<'_>, provider: &Provider, profile: &Profile, info: &mut UserInfo) -> Result<Map<String, Value>, ApiError> {
    if !provider.map_profile {
        return Ok(Map::new());
    }
    let mut path: Vec<&str> = provider.options_path.iter().map(String::as_str).collect();
    path.push("mapProfileToUser");
    let mapped = call.ctx.call_option(&path, vec![Value::Object(profile.clone())]).await.map_err(|_| ApiError::internal())?;
    let Value::Object(mut mapped) = mapped else { return Ok(Map::new()) };
    if let Some(Value::String(name)) = mapped.remove("name") {
        info.name = name;
    }
    if let Some(email) = mapped.remove("email") {
        info.email = email.as_str().map(str::to_owned);
    }
    if let Some(image) = mapped.remove("image") {
        info.image = image.as_str().map(str::to_owned);
    }
    if let Some(verified) = mapped.remove("emailVerified") {
        info.email_verified = oauth::string_bool(Some(&verified));
    }
    mapped.remove("id");
    Ok(mapped)
}

/// The key that seals a linking session's token in the state row (its own purpose).
fn link_session_key(secret: &str) -> String {
    format!("{secret}\u{0}oauth-link-session-token")
}

/// A hook's APIError as the error URL's `error` and `error_description`.
fn api_error_redirect(error_url: &str, e: ApiError) -> ApiError {
    let code = e.body.as_ref().and_then(|b| b.code.clone()).unwrap_or_else(|| "internal_server_error".into());
    let message = e.body.as_ref().map(|b| b.message.clone());
    ApiError::redirect(with_error(error_url, &code, message.as_deref()))
}

/// Upstream's `linkOAuthAccount`: the linking session must still be live, the provider must
/// vouch for the email (or be trusted), the emails must match unless `allowDifferentEmails`,
/// and the account may not belong to someone else. An existing own account gets the new
/// tokens and the union of scopes.
async fn link_account(
    call: &Call<'_>,
    provider: &Provider,
    info: &UserInfo,
    mapped: &Map<String, Value>,
    link: &Value,
    tokens: OAuthTokens,
) -> Result<(), Failure> {
    let ctx = call.ctx;
    let internal = |e: crate::db::DbError| {
        ctx.logger.error(&format!("oauth link: {e}"));
        Failure::Reason("internal server error")
    };
    let user_id = link.get("userId").and_then(Value::as_str).unwrap_or_default();
    let link_email = link.get("email").and_then(Value::as_str).unwrap_or_default();
    if let Some(sealed) = link.get("sealedSessionToken").and_then(Value::as_str) {
        let Some(token) = crate::crypto::symmetric_decrypt_raw(&link_session_key(ctx.secret()), sealed) else {
            return Err(Failure::Reason("unable to link account"));
        };
        let live =
            ctx.db.find_session(&token).await.map_err(internal)?.is_some_and(|(s, _)| s.user_id == user_id && s.expires_at > now_ms());
        if !live {
            return Err(Failure::Reason("unable to link account"));
        }
    }
    let linking = &ctx.options.account_linking;
    let trusted = linking.trusted_providers.iter().any(|p| p == &provider.id);
    if (!trusted && !info.email_verified) || !linking.enabled {
        ctx.logger.error("Unable to link account - untrusted provider");
        return Err(Failure::Reason("unable to link account"));
    }
    if info.email.as_deref().map(str::to_lowercase) != Some(link_email.to_lowercase()) && !linking.allow_different_emails {
        return Err(Failure::Reason("email_does_not_match"));
    }
    let existing = ctx.db.find_oauth_accounts(&provider.id, &info.id).await.map_err(internal)?;
    let now = now_ms();
    if let Some((account_row_id, owner)) = existing.into_iter().next() {
        if owner != user_id {
            return Err(Failure::Reason("account_already_linked_to_different_user"));
        }
        let stored_scope = ctx
            .db
            .account_rows(user_id)
            .await
            .map_err(internal)?
            .into_iter()
            .find(|r| r["id"] == account_row_id.as_str())
            .and_then(|r| r["scope"].as_str().map(str::to_owned));
        let merged = merge_scopes(stored_scope.as_deref(), tokens.scope.as_deref());
        ctx.db
            .update_oauth_tokens(&account_row_id, &provider.id, &ctx.seal_tokens(tokens), merged.as_deref(), now)
            .await
            .map_err(internal)?;
        update_user_info_on_link(call, user_id, info, mapped).await;
        return Ok(());
    }
    let mut account = new_account(call, provider, info, user_id, tokens, now);
    match db_hooks::before_create(call, "account", account.row_json()).await {
        Ok(Before::Abort) => return Err(Failure::Reason("unable to link account")),
        Ok(Before::Proceed(data)) => merge_account(&mut account, &data),
        Err(thrown) => return Err(Failure::Api(thrown.or(ApiError::internal()))),
    }
    ctx.db.link_oauth_account(&account).await.map_err(|_| Failure::Reason("unable to link account"))?;
    db_hooks::after_create(call, "account", account.row_json()).await.map_err(|t| Failure::Api(t.or(ApiError::internal())))?;
    update_user_info_on_link(call, user_id, info, mapped).await;
    Ok(())
}

/// `accountLinking.updateUserInfoOnLink`: the provider's name, image and mapped fields onto
/// the user (a failure is logged, never fatal, as upstream).
async fn update_user_info_on_link(call: &Call<'_>, user_id: &str, info: &UserInfo, mapped: &Map<String, Value>) -> Option<User> {
    let ctx = call.ctx;
    if !ctx.options.account_linking.update_user_info_on_link {
        return None;
    }
    let fields = ctx.field_input("user", mapped, crate::fields::Mode::Update).await.ok().unwrap_or_default();
    match ctx.db.update_user(user_id, Some(&info.name), Some(info.image.as_deref()), &fields, now_ms()).await {
        Ok(user) => user,
        Err(e) => {
            ctx.logger.warn(&format!("Could not update user info on account link: {e}"));
            None
        }
    }
}

/// `overrideUserInfoOnSignIn`: name, image, email and mapped fields from the provider on every
/// sign-in; the email stays verified when it is unchanged.
async fn override_user_info(
    call: &Call<'_>,
    user: User,
    info: &UserInfo,
    email: &str,
    mapped: &Map<String, Value>,
) -> Result<User, Failure> {
    let ctx = call.ctx;
    let fields = ctx.field_input("user", mapped, crate::fields::Mode::Update).await.ok().unwrap_or_default();
    let now = now_ms();
    let verified = if email == user.email { user.email_verified || info.email_verified } else { info.email_verified };
    let updated = async {
        ctx.db.update_user(&user.id, Some(&info.name), Some(info.image.as_deref()), &fields, now).await?;
        ctx.db.update_user_email(&user.id, email, verified, now).await
    };
    match updated.await {
        Ok(Some(updated)) => Ok(updated),
        Ok(None) => Ok(user),
        Err(e) => {
            ctx.logger.warn(&format!("Could not update user info during OAuth sign in; preserving existing user for session: {e}"));
            Ok(user)
        }
    }
}

/// The stored scopes and the new ones, each once, in order (comma-joined).
fn merge_scopes(stored: Option<&str>, new: Option<&str>) -> Option<String> {
    let mut all: Vec<&str> = Vec::new();
    for scope in stored.into_iter().chain(new).flat_map(|s| s.split(',')).map(str::trim).filter(|s| !s.is_empty()) {
        if !all.contains(&scope) {
            all.push(scope);
        }
    }
    (!all.is_empty()).then(|| all.join(","))
}

enum Failure {
    /// Upstream's reason text (`account not linked`), sent as `error=account_not_linked`.
    Reason(&'static str),
    /// A hook's APIError: its code and message go to the error URL.
    Api(ApiError),
}

/// Upstream's `handleOAuthUserInfo`: the account's owner signs in; else a user with the
/// email is linked when both sides' emails are trusted; else a new user is created.
async fn resolve_user(
    call: &Call<'_>,
    provider: &Provider,
    info: &UserInfo,
    email: &str,
    mapped: Map<String, Value>,
    tokens: OAuthTokens,
    request_sign_up: bool,
) -> Result<(User, bool), Failure> {
    let ctx = call.ctx;
    let internal = |e: crate::db::DbError| {
        ctx.logger.error(&format!("oauth account resolution: {e}"));
        Failure::Reason("internal server error")
    };
    let now = now_ms();
    let linked = ctx.db.find_oauth_accounts(&provider.id, &info.id).await.map_err(internal)?;
    if linked.len() > 1 {
        return Err(Failure::Reason("unable to link account"));
    }
    let mut user = if let Some((account_row_id, user_id)) = linked.into_iter().next() {
        let Some(user) = ctx.db.find_user_by_id(&user_id).await.map_err(internal)? else {
            return Err(Failure::Reason("unable to link account"));
        };
        if ctx.options.account_linking.update_account_on_sign_in
            && !ctx
                .db
                .update_oauth_tokens(&account_row_id, &provider.id, &ctx.seal_tokens(tokens.clone()), None, now)
                .await
                .map_err(internal)?
        {
            return Err(Failure::Reason("unable to update account"));
        }
        let user = promote_verified(call, user, info, email).await?;
        if provider.override_user_info { override_user_info(call, user, info, email, &mapped).await? } else { user }
    } else if let Some(user) = ctx.db.find_user_by_email(email).await.map_err(internal)? {
        let linking = &ctx.options.account_linking;
        let trusted = linking.trusted_providers.iter().any(|p| p == &provider.id);
        let refused = (!trusted && !info.email_verified)
            || (linking.require_local_email_verified && !user.email_verified)
            || !linking.enabled
            || linking.disable_implicit_linking;
        if refused {
            return Err(Failure::Reason("account not linked"));
        }
        let mut account = new_account(call, provider, info, &user.id, tokens, now);
        match db_hooks::before_create(call, "account", account.row_json()).await {
            Ok(Before::Abort) => return Err(Failure::Reason("unable to link account")),
            Ok(Before::Proceed(data)) => merge_account(&mut account, &data),
            Err(thrown) => return Err(Failure::Api(thrown.or(ApiError::internal()))),
        }
        ctx.db.link_oauth_account(&account).await.map_err(|_| Failure::Reason("unable to link account"))?;
        db_hooks::after_create(call, "account", account.row_json()).await.map_err(|t| Failure::Api(t.or(ApiError::internal())))?;
        let user = promote_verified(call, user, info, email).await?;
        update_user_info_on_link(call, &user.id, info, &mapped).await.unwrap_or(user)
    } else {
        let disable_sign_up = (provider.disable_implicit_sign_up && !request_sign_up) || provider.disable_sign_up;
        if disable_sign_up {
            return Err(Failure::Reason("signup disabled"));
        }
        let fields = ctx.field_input("user", &mapped, crate::fields::Mode::Create).await.map_err(Failure::Api)?;
        let (extra, hidden) = crate::db::split_fields(&ctx.options.user_fields, fields);
        let mut user = User {
            id: generate_id(),
            name: info.name.clone(),
            email: email.to_owned(),
            email_verified: info.email_verified,
            image: info.image.clone(),
            created_at: now,
            updated_at: now,
            extra,
            hidden,
        };
        match db_hooks::before_create(call, "user", db_hooks::row_json(&user, &user.hidden)).await {
            Ok(Before::Abort) => return Err(Failure::Reason("unable to create user")),
            Ok(Before::Proceed(data)) => db_hooks::merge_user(&mut user, &data, &ctx.options.user_fields),
            Err(thrown) => return Err(Failure::Api(thrown.or(ApiError::internal()))),
        }
        let mut account = new_account(call, provider, info, &user.id, tokens, now);
        let account = match db_hooks::before_create(call, "account", account.row_json()).await {
            Ok(Before::Abort) => None,
            Ok(Before::Proceed(data)) => {
                merge_account(&mut account, &data);
                Some(account)
            }
            Err(thrown) => return Err(Failure::Api(thrown.or(ApiError::internal()))),
        };
        if let Err(e) = ctx.db.create_user_with_oauth_account(&user, account.as_ref()).await {
            ctx.logger.error(&format!("oauth sign-up: {e}"));
            return Err(Failure::Reason("unable to create user"));
        }
        let hook_error = |t: db_hooks::Thrown| Failure::Api(t.or(ApiError::internal()));
        db_hooks::after_create(call, "user", db_hooks::row_json(&user, &user.hidden)).await.map_err(hook_error)?;
        if let Some(account) = &account {
            db_hooks::after_create(call, "account", account.row_json()).await.map_err(hook_error)?;
        }
        return finish(provider, user, true);
    };
    user = finish(provider, user, false)?.0;
    Ok((user, false))
}

fn finish(provider: &Provider, user: User, is_new: bool) -> Result<(User, bool), Failure> {
    if provider.require_email_verification && !user.email_verified {
        return Err(Failure::Reason("email_not_verified"));
    }
    Ok((user, is_new))
}

/// The provider vouches for the email the user has: it becomes verified.
async fn promote_verified(call: &Call<'_>, user: User, info: &UserInfo, email: &str) -> Result<User, Failure> {
    if !info.email_verified || user.email_verified || user.email != email {
        return Ok(user);
    }
    let ctx = call.ctx;
    match ctx.db.set_email_verified(&user.id, now_ms()).await {
        Ok(Some(updated)) => Ok(updated),
        Ok(None) => Err(Failure::Reason("unable to link account")),
        Err(e) => {
            ctx.logger.error(&format!("oauth: {e}"));
            Err(Failure::Reason("internal server error"))
        }
    }
}

/// A `databaseHooks.account.create.before` answer `{ data }` over the row (tokens, scope).
fn merge_account(account: &mut OAuthAccount, data: &Map<String, Value>) {
    let text = |k: &str| match data.get(k) {
        Some(Value::String(s)) => Some(Some(s.clone())),
        Some(Value::Null) => Some(None),
        _ => None,
    };
    let t = &mut account.tokens;
    for (key, slot) in [
        ("accessToken", &mut t.access_token),
        ("refreshToken", &mut t.refresh_token),
        ("idToken", &mut t.id_token),
        ("scope", &mut t.scope),
    ] {
        if let Some(value) = text(key) {
            *slot = value;
        }
    }
}

/// The account row to insert (tokens sealed as configured).
fn new_account(call: &Call<'_>, provider: &Provider, info: &UserInfo, user_id: &str, tokens: OAuthTokens, now: i64) -> OAuthAccount {
    let tokens = call.ctx.seal_tokens(tokens);
    OAuthAccount {
        id: generate_id(),
        account_id: info.id.clone(),
        provider_id: provider.id.clone(),
        user_id: user_id.to_owned(),
        tokens,
        created_at: now,
        updated_at: now,
    }
}
