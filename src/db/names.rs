//! What the tables and columns are called: upstream's `<model>.modelName` and
//! `<model>.fields` renames, and additional fields' `fieldName`.
//!
//! Every query is written once with upstream's default names (`"user"`, `"emailVerified"`).
//! Without renames it runs as written. With them, [`Names::rewrite`] maps each quoted table
//! and column to its configured name, and expands `*` into `"column" as "field"` so rows
//! always come back under the field names the row readers use.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use serde_json::Value;
use sqlx::{AssertSqlSafe, SqlSafeStr, SqlStr};

use super::dialect::{self, Dialect};
use super::schema;
use crate::fields::FieldDef;
use crate::options::OptionsError;

/// The models whose names can change, as upstream spells them in options.
pub const MODELS: &[&str] = &["user", "session", "account", "verification", "rateLimit"];

/// The renames found in the options, checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Renames {
    /// model -> table
    pub tables: HashMap<String, String>,
    /// (model, field) -> column
    pub columns: HashMap<(String, String), String>,
}

pub fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !s.starts_with(|c: char| c.is_ascii_digit())
}

fn invalid(path: &str, why: impl std::fmt::Display) -> OptionsError {
    OptionsError(format!("better-auth-rs: invalid option `{path}`: {why}"))
}

impl Renames {
    /// Reads `<model>.modelName` and `<model>.fields` from the user's options.
    pub fn parse(raw: &Value) -> Result<Renames, OptionsError> {
        let mut renames = Renames::default();
        for &model in MODELS {
            let section = &raw[model];
            match &section["modelName"] {
                Value::Null => {}
                Value::String(name) if is_identifier(name) => {
                    renames.tables.insert(model.into(), name.clone());
                }
                other => {
                    return Err(invalid(&format!("{model}.modelName"), format!("{other} must be a plain table name (letters, digits, _)")));
                }
            }
            let fields = match &section["fields"] {
                Value::Null => continue,
                Value::Object(map) => map,
                _ => return Err(invalid(&format!("{model}.fields"), "expected an object of field -> column name")),
            };
            let core = schema::core_columns(model);
            for (field, column) in fields {
                let path = format!("{model}.fields.{field}");
                if field == "id" || !core.iter().any(|c| c.name == field.as_str()) {
                    let known: Vec<&str> = core.iter().map(|c| c.name.as_ref()).filter(|n| *n != "id").collect();
                    return Err(OptionsError(format!(
                        "better-auth-rs: unknown option `{path}`: {model} has no field `{field}` to rename (its fields: {})",
                        known.join(", ")
                    )));
                }
                match column {
                    Value::String(c) if is_identifier(c) => {
                        renames.columns.insert((model.into(), field.clone()), c.clone());
                    }
                    other => return Err(invalid(&path, format!("{other} must be a plain column name (letters, digits, _)"))),
                }
            }
        }
        let mut tables: Vec<String> =
            MODELS.iter().map(|m| renames.tables.get(*m).cloned().unwrap_or_else(|| (*m).to_owned()).to_lowercase()).collect();
        tables.sort();
        if tables.windows(2).any(|w| w[0] == w[1]) {
            return Err(invalid("modelName", "two models would share one table"));
        }
        Ok(renames)
    }
}

struct Model {
    name: String,
    table: String,
    /// (field, column), the core fields first, then additional fields.
    fields: Vec<(String, String)>,
}

pub struct Names {
    dialect: Dialect,
    models: Vec<Model>,
    /// No table or column differs from its field name: queries run as written.
    identity: bool,
    /// Rewritten and translated statements, by their source text.
    rewritten: RwLock<HashMap<Box<str>, Arc<str>>>,
}

impl Names {
    /// `plugin_tables`: plugins' own tables, renamed by `renames` too (their `schema` option).
    pub fn new(
        dialect: Dialect,
        renames: &Renames,
        user_fields: &[FieldDef],
        session_fields: &[FieldDef],
        plugin_tables: &[schema::Table],
    ) -> Names {
        let mut models: Vec<Model> = MODELS
            .iter()
            .map(|&model| {
                let extra: &[FieldDef] = match model {
                    "user" => user_fields,
                    "session" => session_fields,
                    _ => &[],
                };
                let core = schema::core_columns(model).iter().map(|c| {
                    let field = c.name.to_string();
                    let column = renames.columns.get(&(model.to_owned(), field.clone())).cloned().unwrap_or_else(|| field.clone());
                    (field, column)
                });
                Model {
                    name: model.to_owned(),
                    table: renames.tables.get(model).cloned().unwrap_or_else(|| model.to_owned()),
                    fields: core.chain(extra.iter().map(|f| (f.name.clone(), f.column.clone()))).collect(),
                }
            })
            .collect();
        for table in plugin_tables {
            let model = table.name.to_string();
            let fields = table
                .columns
                .iter()
                .map(|c| {
                    let field = c.name.to_string();
                    let column = renames.columns.get(&(model.clone(), field.clone())).cloned().unwrap_or_else(|| field.clone());
                    (field, column)
                })
                .collect();
            models.push(Model { table: renames.tables.get(&model).cloned().unwrap_or_else(|| model.clone()), name: model, fields });
        }
        let identity = models.iter().all(|m| m.table == m.name && m.fields.iter().all(|(f, c)| f == c));
        Names { dialect, models, identity, rewritten: RwLock::default() }
    }

    /// Refuses two fields of one model stored in one column (renames and `fieldName`s together).
    pub fn check(&self) -> Result<(), OptionsError> {
        for m in &self.models {
            let mut columns: Vec<String> = m.fields.iter().map(|(_, c)| c.to_lowercase()).collect();
            columns.sort();
            if let Some(w) = columns.windows(2).find(|w| w[0] == w[1]) {
                return Err(invalid(&format!("{}.fields", m.name), format!("two fields of {} would share the column `{}`", m.name, w[0])));
            }
        }
        Ok(())
    }

    /// Upstream's names, for a dialect.
    pub fn defaults(dialect: Dialect) -> Names {
        Names::new(dialect, &Renames::default(), &[], &[], &[])
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    fn model(&self, model: &str) -> Option<&Model> {
        self.models.iter().find(|m| m.name == model)
    }

    pub fn table<'a>(&'a self, model: &'a str) -> &'a str {
        self.model(model).map_or(model, |m| m.table.as_str())
    }

    pub fn column<'a>(&'a self, model: &str, field: &'a str) -> &'a str {
        self.model(model).and_then(|m| m.fields.iter().find(|(f, _)| f == field)).map_or(field, |(_, c)| c.as_str())
    }

    /// A statement from [`sql!`](super::dialect::sql): the static translation when nothing is
    /// renamed, else the rewritten one (made once per instance).
    pub fn query(&self, slots: &'static [OnceLock<String>; 3], text: &'static str) -> SqlStr {
        if self.identity {
            return dialect::cached(slots, self.dialect, text).into_sql_str();
        }
        self.dynamic(text)
    }

    /// A statement assembled at run time (written with upstream's default names).
    pub fn dynamic(&self, text: &str) -> SqlStr {
        if self.identity {
            return AssertSqlSafe(dialect::translate(self.dialect, text)).into_sql_str();
        }
        if let Some(done) = self.rewritten.read().unwrap_or_else(|e| e.into_inner()).get(text) {
            return AssertSqlSafe(done.clone()).into_sql_str();
        }
        let done: Arc<str> = dialect::translate(self.dialect, &self.rewrite(text)).into();
        self.rewritten.write().unwrap_or_else(|e| e.into_inner()).insert(text.into(), done.clone());
        AssertSqlSafe(done).into_sql_str()
    }

    /// Maps the quoted tables and columns of one statement (SQLite spelling) to their names.
    /// Tables follow `from`, `join`, `into` or a leading `update`; a column belongs to the
    /// table its alias names (`u."email"`), else to the statement's only table. Names after
    /// `as` are output names and stay.
    pub fn rewrite(&self, sql: &str) -> String {
        let tokens = tokenize(sql);
        let significant: Vec<usize> = (0..tokens.len()).filter(|&i| !matches!(tokens[i], Tok::Space(_))).collect();
        let word = |k: usize| match significant.get(k).map(|&i| &tokens[i]) {
            Some(Tok::Word(w)) => Some(w.to_ascii_lowercase()),
            _ => None,
        };
        // Pass 1: the tables, their positions and aliases.
        let mut table_at = std::collections::HashSet::new();
        let mut aliases: HashMap<String, &str> = HashMap::new();
        let mut only_model: Option<&str> = None;
        let mut models_seen = 0;
        for (k, &i) in significant.iter().enumerate() {
            let Tok::Quoted(name) = tokens[i] else { continue };
            let introduced = k > 0
                && match word(k - 1).as_deref() {
                    Some("from" | "join" | "into") => true,
                    Some("update") => k == 1,
                    _ => false,
                };
            let Some(model) = introduced.then(|| self.model(name)).flatten() else { continue };
            table_at.insert(i);
            models_seen += 1;
            only_model = Some(model.name.as_str());
            if let Some(alias) = word(k + 1).filter(|w| !KEYWORDS.contains(&w.as_str())) {
                aliases.insert(alias, model.name.as_str());
            }
        }
        let single = if models_seen == 1 { only_model } else { None };
        // Pass 2: rewrite.
        let mut out = String::with_capacity(sql.len() + 64);
        let mut in_select_list = false;
        let mut k = 0;
        while k < significant.len() {
            let i = significant[k];
            let next_i = significant.get(k + 1).copied().unwrap_or(tokens.len());
            let gap: String = tokens[i + 1..next_i].iter().map(Tok::text).collect();
            match word(k).as_deref() {
                Some("select") => in_select_list = true,
                Some("from") => in_select_list = false,
                _ => {}
            }
            match tokens[i] {
                Tok::Quoted(name) if table_at.contains(&i) => out.push_str(&quote(self.table(name))),
                Tok::Quoted(name) if k > 0 && word(k - 1).as_deref() == Some("as") => out.push_str(&quote(name)),
                Tok::Quoted(name) => {
                    let qualifier = (k >= 2 && matches!(tokens[significant[k - 1]], Tok::Punct('.'))).then(|| word(k - 2)).flatten();
                    let model = qualifier.and_then(|q| aliases.get(&q).copied()).or(single);
                    let column = model.map_or(name, |m| self.column(m, name));
                    out.push_str(&quote(column));
                    // A selected column comes back under its field name.
                    if in_select_list && column != name && word(k + 1).as_deref() != Some("as") {
                        out.push_str(" as ");
                        out.push_str(&quote(name));
                    }
                }
                // `alias.*`: every column of the alias's table, under its field name.
                Tok::Word(w)
                    if aliases.contains_key(&w.to_ascii_lowercase())
                        && matches!(tokens.get(next_i), Some(Tok::Punct('.')))
                        && significant.get(k + 2).is_some_and(|&j| matches!(tokens[j], Tok::Punct('*'))) =>
                {
                    let model = aliases[&w.to_ascii_lowercase()];
                    out.push_str(&self.star(model, &format!("{w}.")));
                    k += 3;
                    if let Some(&after) = significant.get(k - 1) {
                        out.extend(tokens[after + 1..significant.get(k).copied().unwrap_or(tokens.len())].iter().map(Tok::text));
                    }
                    continue;
                }
                Tok::Punct('*') if k > 0 && word(k - 1).as_deref() == Some("select") && single.is_some() => {
                    out.push_str(&self.star(single.unwrap_or_default(), ""));
                }
                ref t => out.push_str(t.text()),
            }
            out.push_str(&gap);
            k += 1;
        }
        // Leading whitespace, if any.
        let lead: String = tokens[..significant.first().copied().unwrap_or(tokens.len())].iter().map(Tok::text).collect();
        lead + &out
    }

    fn star(&self, model: &str, prefix: &str) -> String {
        let Some(m) = self.model(model) else { return format!("{prefix}*") };
        m.fields
            .iter()
            .map(|(field, column)| {
                if field == column {
                    format!("{prefix}{}", quote(column))
                } else {
                    format!("{prefix}{} as {}", quote(column), quote(field))
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

const KEYWORDS: &[&str] = &["where", "set", "on", "left", "inner", "join", "limit", "order", "values", "group", "as"];

fn quote(name: &str) -> String {
    format!("\"{name}\"")
}

#[derive(Debug)]
enum Tok<'a> {
    Quoted(&'a str),
    Word(&'a str),
    Space(&'a str),
    Punct(char),
    Other(&'a str),
}

impl Tok<'_> {
    fn text(&self) -> &str {
        match self {
            Tok::Quoted(_) => unreachable!("quoted names are written by the rewrite"),
            Tok::Word(s) | Tok::Space(s) | Tok::Other(s) => s,
            Tok::Punct(c) => match c {
                '.' => ".",
                '*' => "*",
                _ => unreachable!("only . and * are punctuation tokens"),
            },
        }
    }
}

/// Our SQL has no string literals or comments, so quotes always delimit identifiers.
fn tokenize(sql: &str) -> Vec<Tok<'_>> {
    let mut tokens = Vec::new();
    let bytes = sql.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        if c == b'"' {
            let end = sql[i + 1..].find('"').map_or(sql.len(), |n| i + 1 + n);
            tokens.push(Tok::Quoted(&sql[i + 1..end]));
            i = (end + 1).min(sql.len());
        } else if c.is_ascii_whitespace() {
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            tokens.push(Tok::Space(&sql[start..i]));
        } else if c.is_ascii_alphanumeric() || c == b'_' {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            tokens.push(Tok::Word(&sql[start..i]));
        } else if c == b'.' || c == b'*' {
            tokens.push(Tok::Punct(c as char));
            i += 1;
        } else {
            // Any other character (a multi-byte one whole).
            let len = sql[i..].chars().next().map_or(1, char::len_utf8);
            tokens.push(Tok::Other(&sql[i..i + len]));
            i += len;
        }
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn names(options: Value) -> Names {
        let renames = Renames::parse(&options).unwrap();
        let fields = crate::fields::parse_fields("user", Some(&json!({ "role": { "type": "string", "fieldName": "user_role" } }))).unwrap();
        Names::new(Dialect::Sqlite, &renames, &fields, &[], &[])
    }

    #[test]
    fn defaults_run_queries_as_written() {
        let n = Names::defaults(Dialect::Postgres);
        assert!(n.identity);
        assert_eq!(n.dynamic(r#"select * from "user" where "id" = ?"#).as_str(), r#"select * from "user" where "id" = $1"#);
    }

    #[test]
    fn rewrites_tables_columns_and_stars() {
        let n = names(
            json!({ "user": { "modelName": "users", "fields": { "email": "email_address", "emailVerified": "email_verified" } }, "session": { "modelName": "sessions", "fields": { "userId": "user_id" } } }),
        );
        assert_eq!(
            n.rewrite(r#"select * from "user" where "email" = ? limit 1"#),
            r#"select "id", "name", "email_address" as "email", "email_verified" as "emailVerified", "image", "createdAt", "updatedAt", "user_role" as "role" from "users" where "email_address" = ? limit 1"#
        );
        assert_eq!(
            n.rewrite(r#"update "user" set "emailVerified" = ?, "updatedAt" = ? where "id" = ?"#),
            r#"update "users" set "email_verified" = ?, "updatedAt" = ? where "id" = ?"#
        );
        assert_eq!(
            n.rewrite(r#"select s."userId", u."email" as "u_email", u."role" as "u_role" from "session" s join "user" u on u."id" = s."userId" where s."token" = ?"#),
            r#"select s."user_id" as "userId", u."email_address" as "u_email", u."user_role" as "u_role" from "sessions" s join "users" u on u."id" = s."user_id" where s."token" = ?"#
        );
        assert!(
            n.rewrite(r#"select u.*, a."password" as "a_password" from "user" u left join "account" a on a."userId" = u."id""#)
                .starts_with(r#"select u."id", u."name", u."email_address" as "email", u."email_verified" as "emailVerified", "#)
        );
        assert_eq!(
            n.rewrite(r#"insert into "session" ("id", "userId") values (?, ?)"#),
            r#"insert into "sessions" ("id", "user_id") values (?, ?)"#
        );
    }

    #[test]
    fn rate_limit_upserts_keep_their_keywords() {
        let n = names(json!({ "rateLimit": { "modelName": "rate_limits", "fields": { "lastRequest": "last_request" } } }));
        assert_eq!(
            n.rewrite(r#"insert into "rateLimit" ("key", "lastRequest") values (?, ?) on duplicate key update "lastRequest" = values("lastRequest")"#),
            r#"insert into "rate_limits" ("key", "last_request") values (?, ?) on duplicate key update "last_request" = values("last_request")"#
        );
        assert_eq!(
            n.rewrite(
                r#"insert into "rateLimit" ("key") values (?) on conflict ("key") do update set "lastRequest" = excluded."lastRequest""#
            ),
            r#"insert into "rate_limits" ("key") values (?) on conflict ("key") do update set "last_request" = excluded."last_request""#
        );
    }

    #[test]
    fn bad_renames_are_refused_by_name() {
        let err = Renames::parse(&json!({ "user": { "fields": { "mail": "x" } } })).unwrap_err();
        assert!(err.0.contains("`user.fields.mail`"), "{err}");
        assert!(Renames::parse(&json!({ "user": { "fields": { "id": "uid" } } })).is_err());
        assert!(Renames::parse(&json!({ "session": { "modelName": "a b" } })).is_err());
        assert!(Renames::parse(&json!({ "session": { "modelName": "user" } })).unwrap_err().0.contains("share one table"));
        let r = Renames::parse(&json!({ "user": { "fields": { "name": "email" } } })).unwrap();
        assert!(Names::new(Dialect::Sqlite, &r, &[], &[], &[]).check().is_err());
    }
}
