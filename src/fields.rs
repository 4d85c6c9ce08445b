//! `user.additionalFields` / `session.additionalFields` (`packages/better-auth/src/db/schema.ts`):
//! their definitions, how request bodies fill them (upstream's `parseInputData`), and their
//! columns.
//!
//! Upstream checks no types here and stores whatever arrives (a string in an integer column,
//! an unparsable date that then fails as a 500). We check each value against its declared type
//! and answer `400 VALIDATION_ERROR` instead.

use serde_json::{Map, Value};

use crate::db::schema::Kind;
use crate::error::{ApiError, codes};
use crate::options::OptionsError;
use crate::time_util;

#[derive(Debug, Clone, PartialEq)]
pub enum FieldType {
    String,
    Number,
    Boolean,
    Date,
    Json,
    StringArray,
    NumberArray,
    /// `type: ["free", "pro"]`: one of these strings.
    Enum(Vec<String>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum FieldDefault {
    Value(Value),
    /// A function option, called with no arguments each time a default is needed.
    Function,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldDef {
    /// The key in JSON bodies and answers.
    pub name: String,
    /// The column (`fieldName`, else the name).
    pub column: String,
    pub field_type: FieldType,
    /// As given: the column is `not null` unless `required: false`; a create must supply the
    /// value only when `required: true`.
    pub required: Option<bool>,
    pub input: bool,
    pub returned: bool,
    pub default: Option<FieldDefault>,
    pub unique: bool,
    /// `index` or `sortable` (`varchar(255)` on MySQL).
    pub indexed: bool,
    pub bigint: bool,
}

const CORE_USER: &[&str] = &["id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt"];
const CORE_SESSION: &[&str] = &["id", "expiresAt", "token", "createdAt", "updatedAt", "ipAddress", "userAgent", "userId"];

fn invalid(path: &str, why: impl Into<String>) -> OptionsError {
    OptionsError(format!("invalid option `{path}`: {}", why.into()))
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !s.starts_with(|c: char| c.is_ascii_digit())
}

/// `<model>.additionalFields`, in the order given.
pub fn parse_fields(model: &str, raw: Option<&Value>) -> Result<Vec<FieldDef>, OptionsError> {
    let Some(raw) = raw.filter(|v| !v.is_null()) else { return Ok(Vec::new()) };
    let base = format!("{model}.additionalFields");
    let map = raw.as_object().ok_or_else(|| invalid(&base, "expected an object of fields"))?;
    let core = if model == "user" { CORE_USER } else { CORE_SESSION };
    let mut fields = Vec::new();
    for (name, spec) in map {
        let path = format!("{base}.{name}");
        let spec = spec.as_object().ok_or_else(|| invalid(&path, "expected { type, ... }"))?;
        if core.contains(&name.as_str()) {
            return Err(invalid(&path, format!("`{name}` is a core field of {model}")));
        }
        let field_type = match spec.get("type") {
            Some(Value::String(t)) => match t.as_str() {
                "string" => FieldType::String,
                "number" => FieldType::Number,
                "boolean" => FieldType::Boolean,
                "date" => FieldType::Date,
                "json" => FieldType::Json,
                "string[]" => FieldType::StringArray,
                "number[]" => FieldType::NumberArray,
                other => {
                    return Err(invalid(
                        &format!("{path}.type"),
                        format!("`{other}`; expected string, number, boolean, date, json, string[], number[] or an array of strings"),
                    ));
                }
            },
            Some(Value::Array(items)) if !items.is_empty() && items.iter().all(Value::is_string) => {
                FieldType::Enum(items.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            }
            _ => {
                return Err(invalid(
                    &format!("{path}.type"),
                    "is required: string, number, boolean, date, json, string[], number[] or an array of strings",
                ));
            }
        };
        let flag = |key: &str| -> Result<Option<bool>, OptionsError> {
            match spec.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Bool(b)) => Ok(Some(*b)),
                Some(_) => Err(invalid(&format!("{path}.{key}"), "expected true or false")),
            }
        };
        let column = match spec.get("fieldName") {
            None | Some(Value::Null) => name.clone(),
            Some(Value::String(c)) => c.clone(),
            Some(_) => return Err(invalid(&format!("{path}.fieldName"), "expected a column name")),
        };
        if !is_identifier(name) || !is_identifier(&column) {
            return Err(invalid(&path, "field and column names must be plain identifiers (letters, digits, _)"));
        }
        let default = match spec.get("defaultValue") {
            None | Some(Value::Null) => None,
            Some(v) if crate::option_keys::is_function(v) => Some(FieldDefault::Function),
            Some(v) => Some(FieldDefault::Value(v.clone())),
        };
        fields.push(FieldDef {
            name: name.clone(),
            column,
            field_type,
            required: flag("required")?,
            input: flag("input")?.unwrap_or(true),
            returned: flag("returned")?.unwrap_or(true),
            default,
            unique: flag("unique")?.unwrap_or(false),
            indexed: flag("index")?.unwrap_or(false) || flag("sortable")?.unwrap_or(false),
            bigint: flag("bigint")?.unwrap_or(false),
        });
    }
    Ok(fields)
}

impl FieldDef {
    pub fn kind(&self) -> Kind {
        match &self.field_type {
            FieldType::String if self.unique || self.indexed => Kind::ShortText,
            FieldType::String | FieldType::Enum(_) => Kind::Text,
            FieldType::Number if self.bigint => Kind::BigInt,
            FieldType::Number => Kind::Int,
            FieldType::Boolean => Kind::Bool,
            FieldType::Date => Kind::Date,
            FieldType::Json | FieldType::StringArray | FieldType::NumberArray => Kind::Json,
        }
    }

    /// The `default` upstream's migration gives a column added to an existing table.
    pub fn static_default_sql(&self, sqlite: bool) -> Option<String> {
        let Some(FieldDefault::Value(v)) = &self.default else { return None };
        match (&self.field_type, v) {
            (FieldType::String | FieldType::Enum(_), Value::String(s)) => Some(format!("'{}'", s.replace('\'', "''"))),
            (FieldType::Number, Value::Number(n)) => Some(n.to_string()),
            (FieldType::Boolean, Value::Bool(b)) if sqlite => Some(if *b { "1" } else { "0" }.into()),
            (FieldType::Boolean, Value::Bool(b)) => Some(b.to_string()),
            _ => None,
        }
    }

    /// Checks a value sent for this field; `Null` is always accepted (the column decides).
    fn check(&self, value: &Value) -> Result<Value, String> {
        let expected = |what: &str| format!("Invalid input: expected {what}, received {}", type_name(value));
        Ok(match (&self.field_type, value) {
            (_, Value::Null) => Value::Null,
            // `integer` (or `bigint`) columns: whole numbers within range, or the database refuses with a 500.
            (FieldType::Number, Value::Number(n)) => match n.as_i64() {
                Some(i) if self.bigint || i32::try_from(i).is_ok() => value.clone(),
                Some(_) => return Err(format!("Too big: expected number to be within {}..{}", i32::MIN, i32::MAX)),
                None => return Err("Invalid input: expected int, received number".into()),
            },
            (FieldType::String, Value::String(_)) | (FieldType::Boolean, Value::Bool(_)) => value.clone(),
            (FieldType::Json, _) => value.clone(),
            (FieldType::Date, Value::String(s)) => match time_util::parse_iso(s) {
                Some(ms) => Value::String(time_util::to_iso(ms)),
                None => return Err("Invalid input: expected date, received Invalid Date".into()),
            },
            (FieldType::Date, Value::Number(n)) if n.as_i64().is_some() => Value::String(time_util::to_iso(n.as_i64().unwrap_or_default())),
            (FieldType::StringArray, Value::Array(items)) if items.iter().all(Value::is_string) => value.clone(),
            (FieldType::NumberArray, Value::Array(items)) if items.iter().all(Value::is_number) => value.clone(),
            (FieldType::Enum(options), Value::String(s)) if options.contains(s) => value.clone(),
            (FieldType::Enum(options), _) => {
                let list: Vec<String> = options.iter().map(|o| format!("\"{o}\"")).collect();
                return Err(format!("Invalid option: expected one of {}", list.join("|")));
            }
            (FieldType::String, _) => return Err(expected("string")),
            (FieldType::Number, _) => return Err(expected("number")),
            (FieldType::Boolean, _) => return Err(expected("boolean")),
            (FieldType::Date, _) => return Err(expected("date")),
            (FieldType::StringArray, _) => return Err(expected("string[]")),
            (FieldType::NumberArray, _) => return Err(expected("number[]")),
        })
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Create,
    Update,
}

/// One field's value from the body, before function defaults are called.
#[derive(Debug)]
pub enum Input {
    Value(Value),
    CallDefault,
}

/// Upstream's `parseInputData` over the additional fields (core and unknown keys are not
/// looked at): `input: false` fields refused when sent truthy (or given their default on
/// create), `required: true` ones demanded on create, defaults applied on create.
pub fn parse_input(fields: &[FieldDef], body: &Map<String, Value>, mode: Mode) -> Result<Vec<(String, Input)>, ApiError> {
    let mut out = Vec::new();
    let mut issues = Vec::new();
    for field in fields {
        let sent = body.get(&field.name).filter(|v| !(v.is_null() && field.required == Some(true) && mode == Mode::Create));
        let default = || match &field.default {
            Some(FieldDefault::Value(v)) => Some(Input::Value(v.clone())),
            Some(FieldDefault::Function) => Some(Input::CallDefault),
            None => None,
        };
        match sent {
            Some(value) if !field.input => {
                if mode == Mode::Create && field.default.is_some() {
                    out.extend(default().map(|d| (field.name.clone(), d)));
                } else if crate::validate::is_truthy(value) {
                    let message = format!("{} is not allowed to be set", field.name);
                    return Err(ApiError::with_message(400, codes::FIELD_NOT_ALLOWED, message));
                }
            }
            Some(value) => match field.check(value) {
                Ok(v) => out.push((field.name.clone(), Input::Value(v))),
                Err(why) => issues.push(format!("[body.{}] {why}", field.name)),
            },
            None if mode == Mode::Create => match default() {
                Some(d) => out.push((field.name.clone(), d)),
                None if field.required == Some(true) => {
                    let message = format!("{} is required", field.name);
                    return Err(ApiError::with_message(400, codes::MISSING_FIELD, message));
                }
                None => {}
            },
            None => {}
        }
    }
    if !issues.is_empty() {
        return Err(ApiError::validation(issues.join("; ")));
    }
    Ok(out)
}

/// Field values as upstream answers them: every field (absent ones `null`), in order, with
/// `returned: false` ones left out.
pub fn returned_values(fields: &[FieldDef], values: &Map<String, Value>) -> Map<String, Value> {
    fields.iter().filter(|f| f.returned).map(|f| (f.name.clone(), values.get(&f.name).cloned().unwrap_or(Value::Null))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields() -> Vec<FieldDef> {
        parse_fields(
            "user",
            Some(&json!({
                "role": { "type": "string", "defaultValue": "user", "input": false },
                "age": { "type": "number", "required": true },
                "plan": { "type": ["free", "pro"], "required": false },
                "tags": { "type": "string[]", "required": false },
            })),
        )
        .unwrap()
    }

    fn names(parsed: &[(String, Input)]) -> Vec<(&str, Option<&Value>)> {
        parsed
            .iter()
            .map(|(n, i)| {
                (
                    n.as_str(),
                    match i {
                        Input::Value(v) => Some(v),
                        Input::CallDefault => None,
                    },
                )
            })
            .collect()
    }

    #[test]
    fn create_applies_defaults_and_demands_required_fields() {
        let f = fields();
        let body = json!({ "age": 30, "role": "admin", "foo": 1 });
        let parsed = parse_input(&f, body.as_object().unwrap(), Mode::Create).unwrap();
        assert_eq!(names(&parsed), vec![("role", Some(&json!("user"))), ("age", Some(&json!(30)))]);
        let err = parse_input(&f, json!({}).as_object().unwrap(), Mode::Create).unwrap_err();
        assert_eq!((err.status, err.body.unwrap().message), (400, "age is required".into()));
    }

    #[test]
    fn update_refuses_input_false_and_checks_types() {
        let f = fields();
        let err = parse_input(&f, json!({ "role": "admin" }).as_object().unwrap(), Mode::Update).unwrap_err();
        assert_eq!(err.body.unwrap().code.as_deref(), Some("FIELD_NOT_ALLOWED"));
        assert!(parse_input(&f, json!({ "role": "" }).as_object().unwrap(), Mode::Update).unwrap().is_empty());
        let err = parse_input(&f, json!({ "age": "abc", "plan": "gold", "tags": "x" }).as_object().unwrap(), Mode::Update).unwrap_err();
        assert_eq!(
            err.body.unwrap().message,
            "[body.age] Invalid input: expected number, received string; [body.plan] Invalid option: expected one of \"free\"|\"pro\"; [body.tags] Invalid input: expected string[], received string"
        );
    }

    #[test]
    fn refuses_core_names_and_unsafe_columns() {
        assert!(parse_fields("user", Some(&json!({ "email": { "type": "string" } }))).is_err());
        assert!(parse_fields("user", Some(&json!({ "x": { "type": "string", "fieldName": "a\"b" } }))).is_err());
        assert!(parse_fields("user", Some(&json!({ "x": { "type": "uuid" } }))).is_err());
    }
}
