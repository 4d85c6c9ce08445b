//! A plugin's options, read strictly: every key a plugin reads is marked as read, and
//! [`PluginOptions::finish`] refuses whatever is left (a key upstream's plugin does not know).
//! Upstream keys we do not honour yet are passed to [`PluginOptions::not_yet`], which warns.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::option_keys::{describe, is_function};
use crate::options::{OptionWarnings, OptionsError};

pub struct PluginOptions<'a> {
    id: &'static str,
    /// Its place in `plugins: [...]`, for the path function options are called by.
    index: usize,
    map: Map<String, Value>,
    read: HashSet<String>,
    warnings: &'a mut OptionWarnings,
}

impl<'a> PluginOptions<'a> {
    pub fn new(id: &'static str, index: usize, raw: Option<&Value>, warnings: &'a mut OptionWarnings) -> Result<Self, OptionsError> {
        let map = match raw {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(map)) => map.clone(),
            Some(other) => {
                return Err(OptionsError(format!(
                    "better-auth-rs: invalid option `plugins[{id}]`: expected an options object, got {}",
                    describe(other)
                )));
            }
        };
        Ok(PluginOptions { id, index, map, read: HashSet::new(), warnings })
    }

    pub fn id(&self) -> &'static str {
        self.id
    }

    /// `plugins[<id>].<key>`, as errors and warnings name it.
    pub fn path(&self, key: &str) -> String {
        format!("plugins[{}].{key}", self.id)
    }

    pub fn invalid(&self, key: &str, why: impl std::fmt::Display) -> OptionsError {
        OptionsError(format!("better-auth-rs: invalid option `{}`: {why}", self.path(key)))
    }

    /// The raw value (marked read); `None` when absent or `null`/`undefined`.
    pub fn value(&mut self, key: &str) -> Option<&Value> {
        self.read.insert(key.to_owned());
        self.map.get(key).filter(|v| !v.is_null())
    }

    pub fn bool(&mut self, key: &str) -> Result<Option<bool>, OptionsError> {
        match self.value(key).cloned() {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(other) => Err(self.invalid(key, format!("expected true or false, got {}", describe(&other)))),
        }
    }

    pub fn number(&mut self, key: &str) -> Result<Option<f64>, OptionsError> {
        match self.value(key).cloned() {
            None => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_f64()),
            Some(other) => Err(self.invalid(key, format!("expected a number, got {}", describe(&other)))),
        }
    }

    /// A whole number >= 0.
    pub fn count(&mut self, key: &str) -> Result<Option<u64>, OptionsError> {
        match self.number(key)? {
            None => Ok(None),
            Some(n) if n >= 0.0 && n.fract() == 0.0 && n < 9.0e15 => Ok(Some(n as u64)),
            Some(n) => Err(self.invalid(key, format!("expected a whole number >= 0, got {n}"))),
        }
    }

    pub fn string(&mut self, key: &str) -> Result<Option<String>, OptionsError> {
        match self.value(key).cloned() {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(self.invalid(key, format!("expected a string, got {}", describe(&other)))),
        }
    }

    /// One of `allowed` strings.
    pub fn choice(&mut self, key: &str, allowed: &[&str]) -> Result<Option<String>, OptionsError> {
        match self.value(key).cloned() {
            None => Ok(None),
            Some(Value::String(s)) if allowed.contains(&s.as_str()) => Ok(Some(s)),
            Some(other) => Err(self.invalid(key, format!("expected one of {}, got {}", allowed.join(", "), show(&other)))),
        }
    }

    /// A function option: `Some(path)` to call it by (see `AuthContext::call_option`).
    pub fn function(&mut self, key: &str) -> Result<Option<Vec<String>>, OptionsError> {
        match self.value(key).cloned() {
            None => Ok(None),
            Some(v) if is_function(&v) => Ok(Some(self.function_path(&[key]))),
            Some(other) => Err(self.invalid(key, format!("expected a function, got {}", describe(&other)))),
        }
    }

    /// The path a function at `keys` below this plugin's options is called by.
    pub fn function_path(&self, keys: &[&str]) -> Vec<String> {
        let mut path = vec!["plugins".to_owned(), self.index.to_string(), "options".to_owned()];
        path.extend(keys.iter().map(|k| (*k).to_owned()));
        path
    }

    /// A nested object (marked read as a whole); its keys are the caller's to check.
    pub fn object(&mut self, key: &str) -> Result<Option<Map<String, Value>>, OptionsError> {
        match self.value(key).cloned() {
            None => Ok(None),
            Some(Value::Object(m)) if !crate::option_keys::is_marker(&Value::Object(m.clone())) => Ok(Some(m)),
            Some(other) => Err(self.invalid(key, format!("expected an object, got {}", describe(&other)))),
        }
    }

    /// A nested options object whose keys are checked here: `known` are read by the caller,
    /// `not_yet` warn, anything else is an error naming `plugins[<id>].<key>.<nested>`.
    pub fn section(&mut self, key: &str, known: &[&str], not_yet: &[&str]) -> Result<Map<String, Value>, OptionsError> {
        let Some(map) = self.object(key)? else { return Ok(Map::new()) };
        for nested in map.keys() {
            let path = self.path(&format!("{key}.{nested}"));
            if not_yet.contains(&nested.as_str()) {
                self.warnings.0.push(format!("option `{path}` is not supported by better-auth-rs yet and is ignored"));
            } else if !known.contains(&nested.as_str()) {
                return Err(OptionsError(format!(
                    "better-auth-rs: unknown option `{path}`: the {} plugin has no such option (check the spelling)",
                    self.id
                )));
            }
        }
        Ok(map)
    }

    /// Upstream's plugin `schema` option: `{ <model>: { modelName?, fields?: { <field>: "<column>" } } }`
    /// for the models (and their fields) this plugin declares, checked strictly.
    pub fn schema(&mut self, models: &[(&str, &[&str])]) -> Result<crate::db::names::Renames, OptionsError> {
        use crate::db::names::is_identifier;
        let mut renames = crate::db::names::Renames::default();
        let Some(schema) = self.object("schema")? else { return Ok(renames) };
        let unknown = |path: String, id: &str| {
            OptionsError(format!("better-auth-rs: unknown option `{path}`: the {id} plugin has no such option (check the spelling)"))
        };
        for (model, section) in &schema {
            let Some((_, fields)) = models.iter().find(|(m, _)| m == model) else {
                return Err(unknown(self.path(&format!("schema.{model}")), self.id));
            };
            let Some(section) = section.as_object() else { return Err(self.invalid(&format!("schema.{model}"), "expected an object")) };
            for (key, value) in section {
                let path = format!("schema.{model}.{key}");
                match (key.as_str(), value) {
                    ("modelName", Value::String(table)) if is_identifier(table) => {
                        renames.tables.insert((*model).to_owned(), table.clone());
                    }
                    ("fields", Value::Object(map)) => {
                        for (field, column) in map {
                            if !fields.contains(&field.as_str()) {
                                return Err(unknown(self.path(&format!("{path}.{field}")), self.id));
                            }
                            match column.as_str().filter(|c| is_identifier(c)) {
                                Some(c) => renames.columns.insert(((*model).to_owned(), field.clone()), c.to_owned()),
                                None => {
                                    return Err(
                                        self.invalid(&format!("{path}.{field}"), "expected a plain column name (letters, digits, _)")
                                    );
                                }
                            };
                        }
                    }
                    ("modelName" | "fields", _) => return Err(self.invalid(&path, "expected a table name / an object of field -> column")),
                    _ => return Err(unknown(self.path(&path), self.id)),
                }
            }
        }
        Ok(renames)
    }

    /// Upstream options this version accepts but does not honour yet: one warning each.
    pub fn not_yet(&mut self, keys: &[&str]) {
        for key in keys {
            if self.value(key).is_some() {
                let path = self.path(key);
                self.warnings.0.push(format!("option `{path}` is not supported by better-auth-rs yet and is ignored"));
            }
        }
    }

    pub fn warn(&mut self, message: String) {
        self.warnings.0.push(message);
    }

    /// Refuses keys nothing read: upstream's plugin has no such option.
    pub fn finish(&self) -> Result<(), OptionsError> {
        match self.map.keys().find(|k| !self.read.contains(*k)) {
            None => Ok(()),
            Some(key) => Err(OptionsError(format!(
                "better-auth-rs: unknown option `{}`: the {} plugin has no such option (check the spelling)",
                self.path(key),
                self.id
            ))),
        }
    }
}

fn show(value: &Value) -> String {
    match value {
        Value::String(s) => format!("\"{s}\""),
        other => describe(other),
    }
}
