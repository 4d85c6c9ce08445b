//! `hooks.before` / `hooks.after` (`packages/better-auth/src/api/dispatch.ts`): the user's
//! functions around every endpoint, over HTTP (after body parsing and the origin check) and through
//! `auth.api`. `before` may change the body, query or headers, answer in the endpoint's place, or
//! throw an `APIError`; `after` sees what the endpoint returned and may replace it or throw. The
//! Node layer turns the description sent here into upstream's `ctx` and reports back what the hook
//! did.

use serde_json::{Map, Value, json};

use crate::context::Call;
use crate::error::ApiError;
use crate::http::Headers;
use crate::plugins::HookKind;
use crate::routes::db_hooks::{Thrown, thrown};
use crate::routes::{Endpoint, Reply};

const BEFORE: &str = "hooks.before";
const AFTER: &str = "hooks.after";

/// The endpoint, with the hooks around it: the user's `hooks.before`, then each plugin's
/// before hooks; after the endpoint the user's `hooks.after`, then the plugins' (upstream's
/// order, `packages/better-auth/src/api/dispatch.ts`).
pub async fn run(endpoint: &Endpoint, call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let ctx = call.ctx;
    let plugin_hooks = ctx.options.plugins.hooks();
    if !ctx.has_function(BEFORE) && !ctx.has_function(AFTER) && plugin_hooks.is_empty() {
        return (endpoint.handler)(call).await;
    }
    if ctx.has_function(BEFORE) {
        let answer = ctx.call_option(&["hooks", "before"], vec![description(call, None)]).await.map_err(|m| as_error(&m))?;
        if let Some(reply) = apply_before(call, answer) {
            return Ok(reply);
        }
    }
    for hook in plugin_hooks {
        if let HookKind::Before(before) = hook.run
            && (hook.matcher)(call)
            && let Some(reply) = before(call).await?
        {
            return Ok(reply);
        }
    }
    let mut result = (endpoint.handler)(call).await;
    if ctx.has_function(AFTER) {
        result = user_after(call, result).await;
    }
    for hook in plugin_hooks {
        if let HookKind::After(after) = hook.run
            && (hook.matcher)(call)
        {
            result = after(call, result).await;
        }
    }
    result
}

async fn user_after(call: &mut Call<'_>, result: Result<Reply, ApiError>) -> Result<Reply, ApiError> {
    let ctx = call.ctx;
    let returned = match &result {
        Ok(Reply::Json(v)) => v.clone(),
        Ok(_) => Value::Null,
        Err(e) => json!({ "$$apiError": { "status": e.status, "body": e.body } }),
    };
    let answer = match ctx.call_option(&["hooks", "after"], vec![description(call, Some(returned))]).await {
        Ok(answer) => answer,
        // Thrown after an endpoint error, upstream keeps the endpoint's status.
        Err(m) => {
            if let Some(Ok(marker)) = m.strip_prefix(crate::routes::db_hooks::API_ERROR_PREFIX).map(serde_json::from_str::<Value>) {
                push_response_headers(call, &marker);
            }
            let thrown = as_error(&m);
            return Err(match result {
                Err(original) => ApiError { status: original.status, ..thrown },
                Ok(_) => thrown,
            });
        }
    };
    push_response_headers(call, &answer);
    match answer.get("kind").and_then(Value::as_str) {
        Some("json") => {
            let body = answer.get("body").cloned().unwrap_or(Value::Null);
            match result {
                Err(original) => Ok(Reply::Raw {
                    status: original.status,
                    headers: Vec::new(),
                    body: serde_json::to_vec(&body).unwrap_or_default(),
                    json: true,
                }),
                Ok(_) => Ok(Reply::Json(body)),
            }
        }
        Some("response") => Ok(raw_response(&answer)),
        _ => result,
    }
}

fn as_error(message: &str) -> ApiError {
    match thrown(message) {
        Thrown::Api(e) => e,
        Thrown::Other => ApiError::empty(500),
    }
}

/// What the Node layer builds `ctx` from.
fn description(call: &Call<'_>, returned: Option<Value>) -> Value {
    let flat = |h: &Headers| -> Vec<String> { h.iter().flat_map(|(n, v)| [n.to_owned(), v.to_owned()]).collect() };
    let request = match (&call.request_line, &call.headers) {
        (Some((method, url)), Some(headers)) => json!({ "method": method, "url": url, "headers": flat(headers) }),
        _ => Value::Null,
    };
    let params: Map<String, Value> = call.params.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    json!({
        "path": call.path,
        "method": call.http.then(|| call.method.clone()),
        "headers": call.headers.as_ref().map(flat),
        "body": call.body,
        "query": call.http.then(|| call.query.clone()),
        "params": params,
        "request": request,
        "session": call.session.as_deref().map(|(s, u)| crate::routes::session::session_json(s, u)),
        "newSession": call.issued_session.as_deref().map(|(s, u)| crate::routes::session::session_json(s, u)),
        "returned": returned,
    })
}

fn push_response_headers(call: &mut Call<'_>, answer: &Value) {
    let Some(list) = answer.get("responseHeaders").and_then(Value::as_array) else { return };
    for pair in list.chunks(2) {
        if let [Value::String(name), Value::String(value)] = pair {
            if name == "set-cookie" {
                call.out.headers.push((name.clone(), value.clone()));
            } else {
                call.out.set_header(name, value.clone());
            }
        }
    }
}

/// Applies what `before` did; `Some` when it answered in the endpoint's place.
fn apply_before(call: &mut Call<'_>, answer: Value) -> Option<Reply> {
    push_response_headers(call, &answer);
    match answer.get("kind").and_then(Value::as_str) {
        Some("json") => Some(Reply::Json(answer.get("body").cloned().unwrap_or(Value::Null))),
        Some("response") => Some(raw_response(&answer)),
        _ => {
            if let Some(body) = answer.get("body").filter(|b| !b.is_null()) {
                call.body = body.clone();
            }
            if let Some(Value::Object(query)) = answer.get("query") {
                call.query = query.clone();
            }
            // Each header the hook gives replaces the request's of that name; the rest stay.
            if let Some(Value::Array(flat)) = answer.get("headers") {
                let given: Vec<(&str, &str)> = flat.chunks(2).filter_map(|p| Some((p.first()?.as_str()?, p.get(1)?.as_str()?))).collect();
                let mut headers = Headers::default();
                if let Some(old) = &call.headers {
                    for (n, v) in old.iter().filter(|(n, _)| !given.iter().any(|(g, _)| g.eq_ignore_ascii_case(n))) {
                        headers.append(n, v);
                    }
                }
                for (n, v) in given {
                    headers.append(n, v);
                }
                call.cookies = crate::cookies::RequestCookies::parse(headers.get("cookie").as_deref());
                call.headers = Some(headers);
            }
            None
        }
    }
}

fn raw_response(answer: &Value) -> Reply {
    let status = answer.get("status").and_then(Value::as_u64).filter(|s| (200..600).contains(s)).unwrap_or(200) as u16;
    let mut headers = Vec::new();
    if let Some(list) = answer.get("headers").and_then(Value::as_array) {
        for pair in list.chunks(2) {
            if let [Value::String(n), Value::String(v)] = pair {
                headers.push((n.clone(), v.clone()));
            }
        }
    }
    let body = answer.get("body").and_then(Value::as_str).unwrap_or_default().as_bytes().to_vec();
    Reply::Raw { status, headers, body, json: false }
}
