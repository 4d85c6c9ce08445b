//! The table of upstream option keys (`option_keys.txt`) and the walk that checks a user's
//! options against it: unknown keys are errors, upstream keys we do not honour yet are warnings.
//!
//! Values JavaScript cannot express as JSON arrive as marker objects made by the Node layer:
//! `{"$$betterAuthRs": "function"}` and `{"$$betterAuthRs": "instance", "name": <class>}`.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::{Map, Value};

const MARKER: &str = "$$betterAuthRs";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Support {
    Honoured,
    NotYet,
    Ours,
}

fn table() -> &'static HashMap<&'static str, Support> {
    static TABLE: OnceLock<HashMap<&'static str, Support>> = OnceLock::new();
    TABLE.get_or_init(|| {
        include_str!("option_keys.txt")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| {
                let (mark, path) = l.split_once(' ')?;
                let support = match mark {
                    "+" => Support::Honoured,
                    "*" => Support::Ours,
                    _ => Support::NotYet,
                };
                Some((path.trim(), support))
            })
            .collect()
    })
}

/// `true` for a function or class-instance marker (values we never descend into).
pub fn is_marker(value: &Value) -> bool {
    value.get(MARKER).is_some()
}

pub fn is_function(value: &Value) -> bool {
    value.get(MARKER).and_then(Value::as_str) == Some("function")
}

/// A short description of a value for error messages ("a function", "a Pool instance", ...).
pub fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(_) => "a boolean".into(),
        Value::Number(_) => "a number".into(),
        Value::String(_) => "a string".into(),
        Value::Array(_) => "an array".into(),
        Value::Object(m) => match m.get(MARKER).and_then(Value::as_str) {
            Some("function") => "a function".into(),
            Some(_) => match m.get("name").and_then(Value::as_str) {
                Some(name) => format!("a {name} instance"),
                None => "a class instance".into(),
            },
            None => "an object".into(),
        },
    }
}

/// Every dotted path in the options whose value is a function marker.
pub fn function_paths(options: &Value) -> std::collections::HashSet<String> {
    fn walk(value: &Value, path: &str, out: &mut std::collections::HashSet<String>) {
        if is_function(value) {
            out.insert(path.to_owned());
        } else if let Value::Object(map) = value {
            if is_marker(value) {
                return;
            }
            for (k, v) in map {
                walk(v, &if path.is_empty() { k.clone() } else { format!("{path}.{k}") }, out);
            }
        } else if let Value::Array(items) = value {
            // `plugins.0.options.config.1.mapProfileToUser`: indices as keys, as JS reads them.
            for (i, v) in items.iter().enumerate() {
                walk(v, &format!("{path}.{i}"), out);
            }
        }
    }
    let mut out = std::collections::HashSet::new();
    walk(options, "", &mut out);
    out
}

#[derive(Debug, Default)]
pub struct KeyCheck {
    /// The first key upstream does not know, as a dotted path.
    pub unknown: Option<String>,
    /// Upstream keys we accept but do not honour yet (outermost ones only).
    pub unsupported: Vec<String>,
}

pub fn check(options: &Map<String, Value>) -> KeyCheck {
    let mut result = KeyCheck::default();
    walk(options, "", "", false, &mut result);
    result
}

fn walk(map: &Map<String, Value>, pattern: &str, shown: &str, inside_unsupported: bool, out: &mut KeyCheck) {
    let table = table();
    for (key, value) in map {
        if out.unknown.is_some() {
            return;
        }
        let join = |base: &str, k: &str| if base.is_empty() { k.to_owned() } else { format!("{base}.{k}") };
        let shown_path = join(shown, key);
        // A key is either named in the table or stands for a map entry (`*`).
        let (path, support) = match table.get(join(pattern, key).as_str()) {
            Some(s) => (join(pattern, key), *s),
            None => match table.get(join(pattern, "*").as_str()) {
                Some(s) => (join(pattern, "*"), *s),
                None => {
                    out.unknown = Some(shown_path);
                    return;
                }
            },
        };
        let not_yet = support == Support::NotYet;
        if not_yet && !inside_unsupported {
            out.unsupported.push(shown_path.clone());
        }
        if let Value::Object(children) = value {
            let has_children = table.keys().any(|k| k.starts_with(&format!("{path}.")));
            if has_children && !is_marker(value) {
                walk(children, &path, &shown_path, inside_unsupported || not_yet, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(v: Value) -> KeyCheck {
        check(v.as_object().unwrap())
    }

    #[test]
    fn honoured_keys_pass_silently() {
        let r = run(json!({"emailAndPassword": {"enabled": true}, "session": {"expiresIn": 1}, "autoMigrate": false}));
        assert!(r.unknown.is_none() && r.unsupported.is_empty(), "{r:?}");
    }

    #[test]
    fn maps_accept_any_name_but_check_below() {
        let r = run(json!({"advanced": {"cookies": {"session_token": {"name": "x"}}}}));
        assert_eq!(r.unsupported, vec!["advanced.cookies"]);
        let r = run(json!({"advanced": {"cookies": {"session_token": {"nmae": "x"}}}}));
        assert_eq!(r.unknown.as_deref(), Some("advanced.cookies.session_token.nmae"));
    }

    #[test]
    fn unsupported_reported_once_at_the_top() {
        let r = run(
            json!({"account": {"accountLinking": {"enabled": true, "allowUnlinkingAll": true}}, "user": {"additionalFields": {"role": {"type": "string", "validator": {}}}}}),
        );
        assert_eq!(r.unsupported, vec!["account.accountLinking.allowUnlinkingAll", "user.additionalFields.role.validator"]);
    }

    #[test]
    fn markers_are_leaves() {
        let r = run(json!({"advanced": {"database": {"generateId": {"$$betterAuthRs": "function"}}}}));
        assert_eq!(r.unsupported, vec!["advanced.database"]);
        let functions = function_paths(&json!({"emailAndPassword": {"sendResetPassword": {"$$betterAuthRs": "function"}}, "x": 1}));
        assert_eq!(functions.into_iter().collect::<Vec<_>>(), vec!["emailAndPassword.sendResetPassword"]);
        assert_eq!(describe(&json!({"$$betterAuthRs": "instance", "name": "Pool"})), "a Pool instance");
    }
}
