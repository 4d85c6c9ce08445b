//! The request pipeline (`packages/better-auth/src/api/index.ts`): routing under the base path,
//! body parsing, the origin middleware, the endpoint, and the response. `auth.api` calls enter at
//! [`call_api`].

use serde_json::{Map, Value};
use url::Url;

use crate::context::{AuthContext, Call, Outgoing};
use crate::cookies::RequestCookies;
use crate::error::{ApiError, extra_codes};
use crate::http::{Headers, Request, Response};
use crate::middleware::origin_check::origin_check_middleware;
use crate::routes::{self, Endpoint, Reply};

const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";

pub async fn handle_http(ctx: &AuthContext, req: Request) -> Response {
    let Ok(url) = Url::parse(&req.url) else { return Response::empty(404) };
    if let Some(refused) = ctx.rate_limiter.check(ctx, &req.method, &req.url, &req.headers, url.path()).await {
        return refused;
    }
    let Some((endpoint, params)) = route(ctx.options.plugins.endpoints(), &ctx.options.base_path, url.path(), &req.method) else {
        return Response::empty(404);
    };
    let base_origin = ctx.options.base_origin.clone().or_else(|| Some(url.origin().ascii_serialization()));
    let body = match parse_body(ctx, &req, endpoint) {
        Ok(body) => body,
        Err(e) => return respond(Err(e), Outgoing::default()),
    };
    let mut call = Call {
        ctx,
        path: endpoint.path,
        method: req.method.clone(),
        body,
        query: parse_query(url.query()),
        params,
        cookies: RequestCookies::parse(req.headers.get("cookie").as_deref()),
        headers: Some(req.headers),
        out: Outgoing::default(),
        http: true,
        base_origin,
        extra_trusted_origins: req.extra_trusted_origins,
        request_line: Some((req.method.clone(), req.url.clone())),
        session: None,
        issued_session: None,
    };
    let result = match origin_check_middleware(&call) {
        Ok(()) => routes::request_hooks::run(endpoint, &mut call).await,
        Err(e) => Err(e),
    };
    respond(result, call.out)
}

/// An `auth.api.<name>(...)` call: no routing, media-type or origin checks, as upstream.
pub struct ApiInput {
    pub name: String,
    pub body: Value,
    pub query: Map<String, Value>,
    pub headers: Option<Headers>,
    pub method: Option<String>,
    /// Path parameters, e.g. `{ token }` for `/reset-password/:token`.
    pub params: Map<String, Value>,
}

pub async fn call_api(ctx: &AuthContext, input: ApiInput) -> Option<Response> {
    let endpoint = ctx.options.plugins.endpoints().iter().find(|e| e.api_name == input.name)?;
    let cookie_header = input.headers.as_ref().and_then(|h| h.get("cookie"));
    let mut call = Call {
        ctx,
        path: endpoint.path,
        method: input.method.unwrap_or_else(|| endpoint.methods[0].to_owned()).to_ascii_uppercase(),
        body: input.body,
        query: input.query,
        params: input.params.into_iter().filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_owned()))).collect(),
        cookies: RequestCookies::parse(cookie_header.as_deref()),
        headers: input.headers,
        out: Outgoing::default(),
        http: false,
        base_origin: ctx.options.base_origin.clone(),
        extra_trusted_origins: Vec::new(),
        request_line: None,
        session: None,
        issued_session: None,
    };
    let result = routes::request_hooks::run(endpoint, &mut call).await;
    Some(respond(result, call.out))
}

/// The endpoint for a path and its `:param` values, or `None` (a 404 with an empty body, as
/// upstream).
fn route<'e>(endpoints: &'e [Endpoint], base_path: &str, path: &str, method: &str) -> Option<(&'e Endpoint, Vec<(String, String)>)> {
    let rest = if base_path.is_empty() { path } else { path.strip_prefix(base_path)? };
    if !rest.starts_with('/') || rest.len() < 2 || rest.contains("//") {
        return None;
    }
    endpoints.iter().filter(|e| !e.path.is_empty() && e.methods.contains(&method)).find_map(|e| {
        let pattern: Vec<&str> = e.path.split('/').collect();
        let actual: Vec<&str> = rest.split('/').collect();
        if pattern.len() != actual.len() {
            return None;
        }
        let mut params = Vec::new();
        for (p, a) in pattern.iter().zip(&actual) {
            match p.strip_prefix(':') {
                Some(name) if !a.is_empty() => {
                    let value = percent_encoding::percent_decode_str(a).decode_utf8_lossy().into_owned();
                    params.push((name.to_owned(), value));
                }
                None if p == a => {}
                _ => return None,
            }
        }
        Some((e, params))
    })
}

fn parse_query(query: Option<&str>) -> Map<String, Value> {
    let mut map = Map::new();
    for (key, value) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        let value = Value::String(value.into_owned());
        match map.get_mut(key.as_ref()) {
            None => {
                map.insert(key.into_owned(), value);
            }
            Some(Value::Array(values)) => values.push(value),
            Some(first) => *first = Value::Array(vec![first.take(), value]),
        }
    }
    map
}

fn parse_body(ctx: &AuthContext, req: &Request, endpoint: &Endpoint) -> Result<Value, ApiError> {
    if matches!(req.method.as_str(), "GET" | "HEAD") {
        return Ok(Value::Null);
    }
    let Some(bytes) = req.body.as_deref().filter(|b| !b.is_empty()) else { return Ok(Value::Null) };
    if bytes.len() as u64 > ctx.options.max_body_size {
        return Err(ApiError::new(413, extra_codes::PAYLOAD_TOO_LARGE));
    }
    let allowed: &[&str] = if endpoint.accepts_form { &[FORM, JSON] } else { &[JSON] };
    let unsupported = |message: String| ApiError::with_message(415, extra_codes::UNSUPPORTED_MEDIA_TYPE, message);
    let Some(raw_type) = req.headers.get("content-type") else {
        return Err(unsupported(format!("Content-Type is required. Allowed types: {}", allowed.join(", "))));
    };
    let media = raw_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if !allowed.iter().any(|t| media == *t || media.contains(t)) {
        return Err(unsupported(format!("Content-Type \"{raw_type}\" is not allowed. Allowed types: {}", allowed.join(", "))));
    }
    if media.contains(FORM) {
        let mut map = Map::new();
        for (k, v) in url::form_urlencoded::parse(bytes) {
            map.insert(k.into_owned(), Value::String(v.into_owned()));
        }
        return Ok(Value::Object(map));
    }
    serde_json::from_slice(bytes).map_err(|_| ApiError::new(400, extra_codes::INVALID_JSON))
}

/// Builds the wire response; the endpoint's headers and cookies go out on errors too.
pub fn respond(result: Result<Reply, ApiError>, out: Outgoing) -> Response {
    let mut headers = out.headers;
    let (status, body) = match result {
        Ok(Reply::Json(value)) => {
            headers.push(("content-type".into(), "application/json".into()));
            (200, serde_json::to_vec(&value).unwrap_or_else(|_| b"null".to_vec()))
        }
        Ok(Reply::Html(html)) => {
            headers.push(("content-type".into(), "text/html".into()));
            (200, html.into_bytes())
        }
        Ok(Reply::Raw { status, headers: own, body, json }) => {
            if json {
                headers.push(("content-type".into(), "application/json".into()));
            }
            headers.extend(own);
            (status, body)
        }
        Err(e) => {
            for (name, value) in e.headers {
                headers.retain(|(n, _)| *n != name);
                headers.push((name, value));
            }
            let body = match &e.body {
                Some(b) => serde_json::to_vec(b).unwrap_or_default(),
                None => Vec::new(),
            };
            // Redirects too: upstream's thrown `ctx.redirect` is an APIError like any other.
            headers.push(("content-type".into(), "application/json".into()));
            (e.status, body)
        }
    };
    headers.extend(out.cookies.header_values().map(|c| ("set-cookie".to_owned(), c.to_owned())));
    // CR and LF cannot be in a header (Node would throw, and they would split it): upstream
    // strips them from redirect targets; so do we, from every value.
    for (_, value) in headers.iter_mut().filter(|(_, v)| v.contains(['\r', '\n'])) {
        value.retain(|c| c != '\r' && c != '\n');
    }
    Response { status, headers, body }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routing_follows_upstreams_rules() {
        let table = routes::core_endpoints();
        let route = |base: &str, p: &str, m: &str| route(&table, base, p, m);
        let path = |p: &str, m: &str| route("/api/auth", p, m).map(|(e, _)| e.path);
        assert_eq!(path("/api/auth/ok", "GET"), Some("/ok"));
        let (e, params) = route("/api/auth", "/api/auth/reset-password/abc%20d", "GET").unwrap();
        assert_eq!((e.path, params), ("/reset-password/:token", vec![("token".to_string(), "abc d".to_string())]));
        assert!(route("/api/auth", "/api/auth/reset-password/", "GET").is_none());
        assert!(route("/api/auth", "/api/auth/ok/", "GET").is_none());
        assert!(route("/api/auth", "/api/auth//ok", "GET").is_none());
        assert!(route("/api/auth", "/api/authok", "GET").is_none());
        assert!(route("/api/auth", "/api/auth/", "GET").is_none());
        assert!(route("/api/auth", "/api/auth/sign-in/email", "GET").is_none());
        assert!(route("/api/auth", "/api/auth/OK", "GET").is_none());
        assert_eq!(route("", "/ok", "GET").map(|(e, _)| e.path), Some("/ok"));
    }

    #[test]
    fn repeated_query_keys_become_arrays() {
        let q = parse_query(Some("a=1&b=2&a=3"));
        assert_eq!(q["a"], serde_json::json!(["1", "3"]));
        assert_eq!(q["b"], "2");
    }
}
