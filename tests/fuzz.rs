//! Property-based fuzzing of what parses untrusted input: the request pipeline (routing, body
//! parsing, validation), the cookie parser and signature check, and origin/redirect matching.
//! cargo-fuzz needs a nightly toolchain this project's machines do not have, so proptest
//! drives these instead. `PROPTEST_CASES=N` makes a longer run (`.ci/run` does a bounded one).

use better_auth_rs::Auth;
use better_auth_rs::cookies::{RequestCookies, ResponseCookies};
use better_auth_rs::http::{Headers, Request};
use better_auth_rs::logger::Logger;
use better_auth_rs::middleware::trusted_origins::{is_trusted, matches_origin_pattern};
use better_auth_rs::options::{CookieAttributes, Env, SameSite};
use better_auth_rs::router::handle_http;
use proptest::prelude::*;
use serde_json::json;

fn auth() -> Auth {
    let options = json!({
        "database": "sqlite::memory:",
        "secret": "fuzz-secret-0123456789abcdef0123456789",
        "emailAndPassword": { "enabled": true },
        "trustedOrigins": ["http://localhost:5173"],
    });
    Auth::new(&options, &Env::default(), Logger::stderr(None)).expect("valid options").0
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

const PATHS: &[&str] = &[
    "/ok",
    "/error",
    "/sign-up/email",
    "/sign-in/email",
    "/get-session",
    "/sign-out",
    "/list-sessions",
    "/revoke-session",
    "/revoke-sessions",
    "/revoke-other-sessions",
    "/nope",
];
const TYPES: &[&str] = &[
    "application/json",
    "application/x-www-form-urlencoded",
    "text/plain",
    "application/json; charset=utf-8",
    "application/vnd.api+json",
    "",
];

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        ".{0,40}".prop_map(serde_json::Value::from),
        "[a-z]{1,10}@[a-z]{1,8}\\.[a-z]{2,4}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("email".to_string()),
                    Just("password".to_string()),
                    Just("name".to_string()),
                    Just("token".to_string()),
                    Just("callbackURL".to_string()),
                    ".{0,8}".prop_map(String::from)
                ],
                inner,
                0..5
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    /// Whatever arrives, the pipeline answers without panicking and without a 5xx, and
    /// every JSON body it sends is valid JSON.
    #[test]
    fn the_pipeline_never_fails_on_any_request(
        method in prop_oneof![Just("GET"), Just("POST"), Just("PUT"), Just("HEAD")],
        path in prop::sample::select(PATHS),
        suffix in "(|/|//|%2F|\\?[a-zA-Z=&%]{0,20})",
        content_type in prop::sample::select(TYPES),
        body in prop_oneof![
            json_value().prop_map(|v| v.to_string().into_bytes()),
            prop::collection::vec(any::<u8>(), 0..200),
            "[a-zA-Z=&%]{0,60}".prop_map(String::into_bytes),
        ],
        cookie in ".{0,80}",
        origin in prop_oneof![Just("http://localhost:5173".to_string()), Just("https://evil.example".to_string()), Just("null".to_string()), ".{0,20}"],
    ) {
        let auth = auth();
        let mut headers = Headers::new();
        if !content_type.is_empty() {
            headers.append("content-type", content_type);
        }
        headers.append("cookie", cookie);
        headers.append("origin", origin);
        let request = Request {
            method: method.to_string(),
            url: format!("http://localhost:3005/api/auth{path}{suffix}"),
            headers,
            body: Some(body),
            extra_trusted_origins: Vec::new(),
        };
        let response = runtime().block_on(handle_http(auth.context(), request));
        prop_assert!(response.status < 500, "status {} body {}", response.status, String::from_utf8_lossy(&response.body));
        if response.header("content-type") == Some("application/json") && !response.body.is_empty() {
            prop_assert!(serde_json::from_slice::<serde_json::Value>(&response.body).is_ok());
        }
    }

    /// The cookie parser takes any header; only a value signed with the secret comes back (an
    /// empty value cannot be signed: upstream requires a character before the dot too).
    #[test]
    fn cookies_parse_anything_and_only_signed_values_verify(header in ".{0,200}", value in "[ -~]{1,64}") {
        let jar = RequestCookies::parse(Some(&header));
        let _ = jar.get_signed("better-auth.session_token", "secret");
        let attrs = CookieAttributes { secure: false, same_site: SameSite::Lax, path: "/".into(), http_only: true, domain: None, partitioned: false };
        let mut out = ResponseCookies::default();
        out.set_signed("n", &value, None, &attrs, "secret");
        let set_cookie = out.header_values().next().unwrap_or_default().to_string();
        let pair = set_cookie.split(';').next().unwrap_or_default();
        let jar = RequestCookies::parse(Some(pair));
        prop_assert_eq!(jar.get_signed("n", "secret"), Some(value.as_str()));
        prop_assert_eq!(jar.get_signed("n", "other secret"), None);
    }

    /// Origin matching takes any input; a relative redirect it accepts can never leave the site.
    #[test]
    fn redirects_it_accepts_stay_on_site(url in ".{0,60}", pattern in ".{0,30}") {
        let _ = matches_origin_pattern(&url, &pattern, true);
        let trusted = vec!["https://trusted.com".to_string()];
        if is_trusted(&url, &trusted, true) && url.starts_with('/') {
            prop_assert!(!url.starts_with("//") && !url.contains('\\'));
            let base = url::Url::parse("https://site.invalid").unwrap();
            let joined = base.join(&url).unwrap();
            prop_assert_eq!(joined.host_str(), Some("site.invalid"));
        }
        if is_trusted(&url, &trusted, false) {
            let parsed = url::Url::parse(&url).unwrap();
            prop_assert_eq!(parsed.origin().ascii_serialization(), "https://trusted.com");
        }
    }
}
