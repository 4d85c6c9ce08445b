//! Request-body validation with upstream's (zod v4 via better-call) messages:
//! `400 VALIDATION_ERROR`, `"[body.email] Invalid email address"`, issues joined by `"; "`.

use std::sync::OnceLock;

use regex::Regex;
use serde_json::{Map, Value};

use crate::error::ApiError;

fn type_name(v: Option<&Value>) -> &'static str {
    match v {
        None => "undefined",
        Some(Value::Null) => "null",
        Some(Value::Bool(_)) => "boolean",
        Some(Value::Number(_)) => "number",
        Some(Value::String(_)) => "string",
        Some(Value::Array(_)) => "array",
        Some(Value::Object(_)) => "object",
    }
}

/// RFC 5321's limit on an address (upstream accepts any length).
pub const MAX_EMAIL_LENGTH: usize = 254;
/// What fits MySQL's `varchar(255)` for `user.name`.
pub const MAX_NAME_LENGTH: usize = 255;
pub const MAX_IMAGE_URL_LENGTH: usize = 2048;

/// zod v4's `z.email()` pattern (its lookaheads written out as checks).
pub fn is_valid_email(email: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"^[A-Za-z0-9_'+\-.]*[A-Za-z0-9_+\-]@([A-Za-z0-9][A-Za-z0-9\-]*\.)+[A-Za-z]{2,}$").expect("static regex")
    });
    !email.starts_with('.') && !email.contains("..") && re.is_match(email)
}

/// Reads fields from a JSON body, collecting every issue before failing, as zod does.
pub struct BodyReader<'a> {
    map: Option<&'a Map<String, Value>>,
    location: &'static str,
    issues: Vec<String>,
}

static EMPTY: OnceLock<Map<String, Value>> = OnceLock::new();

impl<'a> BodyReader<'a> {
    /// The body must be an object (`z.object`).
    pub fn object(body: &'a Value) -> Self {
        Self::shaped(body, "object")
    }

    /// The body must be an object of any keys (`z.record`: zod names it differently).
    pub fn record(body: &'a Value) -> Self {
        Self::shaped(body, "record")
    }

    /// Sign-up's body: an object that also takes any additional field (upstream's
    /// `z.intersection(z.object(...), z.record(...))`, which reports both halves).
    pub fn object_and_record(body: &'a Value) -> Self {
        Self::shaped_as(body, &["object", "record"])
    }

    fn shaped(body: &'a Value, expected: &str) -> Self {
        Self::shaped_as(body, &[expected])
    }

    fn shaped_as(body: &'a Value, expected: &[&str]) -> Self {
        match body {
            Value::Object(map) => BodyReader { map: Some(map), location: "body", issues: Vec::new() },
            other => {
                let received = if other.is_null() { "undefined" } else { type_name(Some(other)) };
                let issues = expected.iter().map(|e| format!("[body] Invalid input: expected {e}, received {received}")).collect();
                BodyReader { map: None, location: "body", issues }
            }
        }
    }

    /// A key's raw value, when the body is an object.
    pub fn value(&self, key: &str) -> Option<&'a Value> {
        self.get(key)
    }

    /// An optional body (`z.object(...).optional()`): absent is fine, a non-object is not.
    pub fn optional_object(body: &'a Value) -> Self {
        match body {
            Value::Null => BodyReader { map: Some(EMPTY.get_or_init(Map::new)), location: "body", issues: Vec::new() },
            other => Self::object(other),
        }
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.and_then(|m| m.get(key))
    }

    fn issue(&mut self, key: &str, message: impl std::fmt::Display) {
        self.issues.push(format!("[{}.{key}] {message}", self.location));
    }

    fn expected(&mut self, key: &str, expected: &str) {
        if self.map.is_some() {
            let received = type_name(self.get(key));
            self.issue(key, format!("Invalid input: expected {expected}, received {received}"));
        }
    }

    pub fn string(&mut self, key: &str) -> String {
        match self.get(key) {
            Some(Value::String(s)) => s.clone(),
            _ => {
                self.expected(key, "string");
                String::new()
            }
        }
    }

    pub fn nonempty_string(&mut self, key: &str) -> String {
        let s = self.string(key);
        if s.is_empty() && matches!(self.get(key), Some(Value::String(_))) {
            self.issue(key, "Too small: expected string to have >=1 characters");
        }
        s
    }

    pub fn email(&mut self, key: &str) -> String {
        let s = self.string(key);
        if matches!(self.get(key), Some(Value::String(_))) && !is_valid_email(&s) {
            self.issue(key, "Invalid email address");
        }
        self.at_most(key, &s, MAX_EMAIL_LENGTH);
        s
    }

    /// Beyond upstream: a length cap (in characters), with zod's wording.
    pub fn at_most(&mut self, key: &str, value: &str, max: usize) {
        if value.chars().count() > max {
            self.issue(key, format!("Too big: expected string to have <={max} characters"));
        }
    }

    pub fn optional_string(&mut self, key: &str) -> Option<String> {
        match self.get(key) {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                self.expected(key, "string");
                None
            }
        }
    }

    pub fn optional_bool(&mut self, key: &str) -> Option<bool> {
        match self.get(key) {
            None => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                self.expected(key, "boolean");
                None
            }
        }
    }

    /// An optional array of strings.
    pub fn optional_strings(&mut self, key: &str) -> Option<Vec<String>> {
        match self.get(key) {
            None => None,
            Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
                Some(items.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            }
            Some(_) => {
                self.expected(key, "array");
                None
            }
        }
    }

    /// An optional object of strings (`z.record(z.string(), z.string())`).
    pub fn optional_string_record(&mut self, key: &str) -> Option<Vec<(String, String)>> {
        match self.get(key) {
            None => None,
            Some(Value::Object(map)) if map.values().all(Value::is_string) => {
                Some(map.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned())).collect())
            }
            Some(_) => {
                self.expected(key, "record");
                None
            }
        }
    }

    /// An optional object, whole.
    pub fn optional_map(&mut self, key: &str) -> Option<Map<String, Value>> {
        match self.get(key) {
            None => None,
            Some(Value::Object(map)) => Some(map.clone()),
            Some(_) => {
                self.expected(key, "record");
                None
            }
        }
    }

    /// Adds an issue of the caller's own (a refinement).
    pub fn refine(&mut self, key: &str, message: &str) {
        self.issue(key, message);
    }

    pub fn finish(self) -> Result<(), ApiError> {
        if self.issues.is_empty() { Ok(()) } else { Err(ApiError::validation(self.issues.join("; "))) }
    }
}

/// JavaScript truthiness of a JSON value (upstream's `if (body.email)` and `a || b`).
pub fn is_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

/// `z.coerce.boolean()` on a query value: any non-empty string (even `"false"`) is true.
pub fn query_bool(query: &Map<String, Value>, key: &str) -> bool {
    match query.get(key) {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::Array(_)) | Some(Value::Object(_)) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn email_pattern_is_zods() {
        for ok in ["a@b.co", "first.last+tag@sub.example.org", "o'neil@example.com"] {
            assert!(is_valid_email(ok), "{ok}");
        }
        for bad in ["", "a@b", ".a@b.co", "a..b@c.co", "a@b.c", "a b@c.co", "a@-b.co", "a.@b.co"] {
            assert!(!is_valid_email(bad), "{bad}");
        }
    }

    #[test]
    fn issues_are_joined_in_field_order() {
        let body = json!({"email": "nope", "password": 5});
        let mut r = BodyReader::object(&body);
        r.string("name");
        r.email("email");
        r.nonempty_string("password");
        let err = r.finish().unwrap_err();
        assert_eq!(
            err.body.unwrap().message,
            "[body.name] Invalid input: expected string, received undefined; [body.email] Invalid email address; [body.password] Invalid input: expected string, received number"
        );
    }

    #[test]
    fn missing_body_is_one_issue() {
        let mut r = BodyReader::object(&Value::Null);
        r.string("email");
        assert_eq!(r.finish().unwrap_err().body.unwrap().message, "[body] Invalid input: expected object, received undefined");
        assert!(BodyReader::optional_object(&Value::Null).finish().is_ok());
    }

    #[test]
    fn query_booleans_coerce_like_js() {
        let q = json!({"a": "false", "b": "", "c": true}).as_object().unwrap().clone();
        assert!(query_bool(&q, "a"));
        assert!(!query_bool(&q, "b"));
        assert!(query_bool(&q, "c"));
        assert!(!query_bool(&q, "d"));
    }
}
