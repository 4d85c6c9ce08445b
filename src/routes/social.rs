//! `POST /sign-in/social` and `GET|POST /callback/:id` (spec §11; upstream 1.7.25's
//! `sign-in.ts`, `callback.ts`, `oauth2/state.ts`, `oauth2/link-account.ts`).
//!
//! State: a verification row `auth-state:<state>` holding the flow's data (10 minutes) and a
//! signed `<prefix>.state` cookie (5 minutes); the callback needs both to agree.

use serde_json::{Map, Value, json};

use crate::context::Call;
use crate::crypto::{generate_id, random_string};
use crate::db::models::{OAuthAccount, OAuthTokens, User};
use crate::error::{ApiError, OrInternal, codes};
use crate::oauth::{self, AuthorizationRequest, Profile, Provider, RESERVED_PARAMS, UserInfo};
use crate::routes::db_hooks::{self, Before};
use crate::routes::session::{create_session, set_session_cookie};
use crate::routes::Reply;
use crate::time_util::now_ms;
use crate::validate::BodyReader;

const STATE_COOKIE_MAX_AGE: i64 = 300;
const STATE_TTL_MS: i64 = 600_000;

fn state_identifier(state: &str) -> String {
    format!("auth-state:{state}")
}

pub async fn sign_in_social(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let mut body = BodyReader::object(&call.body);
    let provider_id = body.string("provider");
    let callback_url = body.optional_string("callbackURL");
    let new_user_url = body.optional_string("newUserCallbackURL");
    let error_url = body.optional_string("errorCallbackURL");
    let disable_redirect = body.optional_bool("disableRedirect").unwrap_or(false);
    let scopes = body.optional_strings("scopes").unwrap_or_default();
    let login_hint = body.optional_string("loginHint");
    let request_sign_up = body.optional_bool("requestSignUp");
    let additional_params = body.optional_string_record("additionalParams").unwrap_or_default();
    let additional_data = body.optional_map("additionalData").unwrap_or_default();
    if let Some((key, _)) = additional_params.iter().find(|(k, _)| RESERVED_PARAMS.contains(&k.as_str())) {
        body.refine("additionalParams", &format!("`{key}` is set by the authorization request itself"));
    }
    let id_token = body.value("idToken").is_some();
    body.finish()?;

    let ctx = call.ctx;
    let Some(provider) = ctx.provider(&provider_id).await? else {
        ctx.logger.error(&format!("Provider not found. Make sure to add the provider in your auth config: {provider_id}"));
        return Err(ApiError::new(404, codes::PROVIDER_NOT_FOUND));
    };
    if id_token {
        // ID-token sign-in (JWKS verification) is not implemented yet: as a provider without it.
        return Err(ApiError::new(404, codes::ID_TOKEN_NOT_SUPPORTED));
    }
    let base_url = call.base_url();
    let callback_url = callback_url.filter(|u| !u.is_empty()).or_else(|| call.base_origin.clone());
    let Some(callback_url) = callback_url else { return Err(ApiError::bad_request(codes::CALLBACK_URL_REQUIRED)) };

    let state = random_string(32);
    let verifier = random_string(128);
    let mut data = additional_data;
    for key in ["callbackURL", "codeVerifier", "errorURL", "newUserURL", "link", "expiresAt", "requestSignUp", "oauthState"] {
        data.remove(key);
    }
    data.insert("callbackURL".into(), json!(callback_url));
    data.insert("codeVerifier".into(), json!(verifier));
    if let Some(u) = error_url {
        data.insert("errorURL".into(), json!(u));
    }
    if let Some(u) = new_user_url {
        data.insert("newUserURL".into(), json!(u));
    }
    data.insert("expiresAt".into(), json!(now_ms() + STATE_TTL_MS));
    if let Some(r) = request_sign_up {
        data.insert("requestSignUp".into(), json!(r));
    }
    data.insert("oauthState".into(), json!(state));
    let stored = db_hooks::create_verification(call, &state_identifier(&state), &Value::Object(data).to_string(), now_ms() + STATE_TTL_MS).await?;
    if !stored {
        return Err(ApiError::internal());
    }
    let cookie = ctx.cookies.state_cookie_name();
    call.out.cookies.set_signed(&cookie, &state, Some(STATE_COOKIE_MAX_AGE), &ctx.cookies.attributes, ctx.secret());

    let redirect_uri = provider.redirect_uri.clone().unwrap_or_else(|| format!("{base_url}/callback/{}", provider.id));
    let scopes = if provider.request_scopes_first {
        let mut all = scopes;
        all.extend(provider.scopes.iter().cloned());
        if matches!(provider.kind, oauth::ProviderKind::Generic { oidc: true, .. }) && !all.iter().any(|s| s == "openid") {
            all.insert(0, "openid".into());
        }
        all
    } else {
        provider.scopes.iter().cloned().chain(scopes).collect()
    };
    let url = oauth::authorization_url(
        &provider,
        &AuthorizationRequest {
            state: &state,
            verifier: Some(&verifier),
            redirect_uri: &redirect_uri,
            scopes,
            login_hint: login_hint.as_deref(),
            nonce: None,
            additional: additional_params,
        },
    )
    .map_err(|e| {
        ctx.logger.error(&format!("{}: {e}", provider.id));
        ApiError::internal()
    })?;
    if !disable_redirect {
        call.out.set_header("location", url.clone());
    }
    Ok(Reply::Json(json!({ "url": url, "redirect": !disable_redirect })))
}

/// `?error=` (and `error_description`) added to a URL, as upstream's `appendQueryParams`.
fn with_error(url: &str, error: &str, description: Option<&str>) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("error", error);
    if let Some(d) = description {
        query.append_pair("error_description", d);
    }
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{}", query.finish())
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
    let Ok(Value::Object(data)) = serde_json::from_str::<Value>(&value) else { return Err(fail(&default_error_url, "internal_server_error")) };
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
    if let (Some(iss), Some(issuer)) = (text("iss"), &provider.issuer) {
        if &iss != issuer {
            return Err(fail(&error_url, "issuer_mismatch"));
        }
    }
    let redirect_uri = provider.redirect_uri.clone().unwrap_or_else(|| format!("{base_url}/callback/{}", provider.id));
    let tokens = match oauth::exchange_code(&provider, &code, field("codeVerifier").filter(|_| provider.pkce).as_deref(), &redirect_uri, now_ms()).await {
        Ok(tokens) => tokens,
        Err(e) => {
            ctx.logger.error(&format!("{}: code exchange failed: {e}", provider.id));
            return Err(fail(&error_url, "invalid_code"));
        }
    };
    let Some((profile, mut info)) = provider.user_info(&tokens, query.get("user")).await else {
        ctx.logger.error(&format!("{}: unable to get user info", provider.id));
        return Err(fail(&error_url, "unable_to_get_user_info"));
    };
    if info.id.is_empty() || info.id == "undefined" || info.id == "null" {
        return Err(fail(&error_url, "unable_to_get_user_info"));
    }
    let mapped = map_profile(call, &provider, &profile, &mut info).await?;
    let Some(callback_url) = field("callbackURL") else { return Err(fail(&error_url, "no_callback_url")) };
    let Some(email) = info.email.clone().filter(|e| !e.is_empty()) else {
        ctx.logger.error(&format!("{}: the provider did not return an email", provider.id));
        return Err(fail(&error_url, "email_not_found"));
    };
    let request_sign_up = data.get("requestSignUp") == Some(&Value::Bool(true));
    let outcome = resolve_user(call, &provider, &info, &email.to_lowercase(), mapped, tokens, request_sign_up).await;
    let (user, is_new) = match outcome {
        Ok(found) => found,
        Err(Failure::Reason(reason)) => return Err(fail(&error_url, &reason.replace(' ', "_"))),
        Err(Failure::Api(e)) => {
            let code = e.body.as_ref().and_then(|b| b.code.clone()).unwrap_or_else(|| "internal_server_error".into());
            let message = e.body.as_ref().map(|b| b.message.clone());
            return Err(ApiError::redirect(with_error(&error_url, &code, message.as_deref())));
        }
    };
    let session = match create_session(call, &user.id, false).await {
        Ok(session) => session,
        Err(_) => return Err(fail(&error_url, "unable_to_create_session")),
    };
    set_session_cookie(call, &session, &user, None).await;
    call.note_session(true, &session, &user);
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
        let Some(user) = ctx.db.find_user_by_id(&user_id).await.map_err(internal)? else { return Err(Failure::Reason("unable to link account")) };
        if !ctx.db.update_oauth_tokens(&account_row_id, &provider.id, &tokens, now).await.map_err(internal)? {
            return Err(Failure::Reason("unable to update account"));
        }
        promote_verified(call, user, info, email).await?
    } else if let Some(user) = ctx.db.find_user_by_email(email).await.map_err(internal)? {
        let linking = &ctx.options.account_linking;
        let trusted = linking.trusted_providers.iter().any(|p| p == &provider.id);
        let refused = (!trusted && !info.email_verified) || (linking.require_local_email_verified && !user.email_verified) || !linking.enabled || linking.disable_implicit_linking;
        if refused {
            return Err(Failure::Reason("account not linked"));
        }
        let account = new_account(provider, info, &user.id, tokens, now);
        match db_hooks::before_create(call, "account", account.row_json()).await {
            Ok(Before::Abort) => return Err(Failure::Reason("unable to link account")),
            Ok(Before::Proceed(_)) => {}
            Err(thrown) => return Err(Failure::Api(thrown.or(ApiError::internal()))),
        }
        ctx.db.link_oauth_account(&account).await.map_err(|_| Failure::Reason("unable to link account"))?;
        db_hooks::after_create(call, "account", account.row_json()).await.map_err(|t| Failure::Api(t.or(ApiError::internal())))?;
        promote_verified(call, user, info, email).await?
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
        let account = new_account(provider, info, &user.id, tokens, now);
        let account = match db_hooks::before_create(call, "account", account.row_json()).await {
            Ok(Before::Abort) => None,
            Ok(Before::Proceed(_)) => Some(account),
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

fn new_account(provider: &Provider, info: &UserInfo, user_id: &str, tokens: OAuthTokens, now: i64) -> OAuthAccount {
    OAuthAccount { id: generate_id(), account_id: info.id.clone(), provider_id: provider.id.clone(), user_id: user_id.to_owned(), tokens, created_at: now, updated_at: now }
}
