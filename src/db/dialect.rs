//! Everything that differs between SQLite, Postgres and MySQL at run time: the pool type,
//! SQL text (placeholders and identifier quotes), date values and reading rows. The store in
//! `mod.rs` writes each query once, in SQLite's spelling, and `on_pool!` expands it per driver.

use std::sync::OnceLock;

use serde_json::Value;
use sqlx::mysql::{MySql, MySqlRow};
use sqlx::postgres::{PgRow, Postgres};
use sqlx::sqlite::{Sqlite, SqliteRow};
use sqlx::{Database, Encode, Row, Type};
use time::OffsetDateTime;

use super::DbError;
pub use super::schema::Dialect;
use crate::fields::FieldType;
use crate::time_util::{self, Millis};

pub enum Pool {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
    Mysql(sqlx::MySqlPool),
}

/// Runs `$body` with `$p` bound to the concrete pool and `$d` to its dialect.
macro_rules! on_pool {
    ($pool:expr, |$p:ident, $d:ident| $body:expr) => {
        match $pool {
            $crate::db::dialect::Pool::Sqlite($p) => {
                #[allow(unused_variables)]
                let $d = $crate::db::dialect::Dialect::Sqlite;
                $body
            }
            $crate::db::dialect::Pool::Postgres($p) => {
                #[allow(unused_variables)]
                let $d = $crate::db::dialect::Dialect::Postgres;
                $body
            }
            $crate::db::dialect::Pool::Mysql($p) => {
                #[allow(unused_variables)]
                let $d = $crate::db::dialect::Dialect::Mysql;
                $body
            }
        }
    };
}
pub(crate) use on_pool;

/// A query written in SQLite's spelling, translated once per dialect and kept for the process.
macro_rules! sql {
    ($names:expr, $text:expr) => {{
        static TRANSLATED: [std::sync::OnceLock<String>; 3] = [const { std::sync::OnceLock::new() }; 3];
        $names.query(&TRANSLATED, $text)
    }};
}
pub(crate) use sql;

pub fn cached(slots: &'static [OnceLock<String>; 3], dialect: Dialect, text: &str) -> &'static str {
    slots[dialect as usize].get_or_init(|| translate(dialect, text)).as_str()
}

/// `?` placeholders become `$1..` on Postgres; `"identifiers"` become backquoted on MySQL.
/// Our SQL has no string literals containing either character.
pub fn translate(dialect: Dialect, text: &str) -> String {
    match dialect {
        Dialect::Sqlite => text.to_owned(),
        Dialect::Mysql => text.replace('"', "`"),
        Dialect::Postgres => {
            let mut out = String::with_capacity(text.len() + 8);
            let mut n = 0;
            for c in text.chars() {
                if c == '?' {
                    n += 1;
                    out.push('$');
                    out.push_str(&n.to_string());
                } else {
                    out.push(c);
                }
            }
            out
        }
    }
}

/// A timestamp parameter, in each database's native form: ISO text in SQLite (what upstream's
/// Kysely adapter writes there), `timestamptz` / `timestamp(3)` elsewhere.
pub struct Stamp(pub Millis);

impl Stamp {
    fn offset(&self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(self.0 as i128 * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
}

macro_rules! stamp_as {
    ($db:ty, $repr:ty, |$s:ident| $convert:expr) => {
        impl Type<$db> for Stamp {
            fn type_info() -> <$db as Database>::TypeInfo {
                <$repr as Type<$db>>::type_info()
            }
        }
        impl<'q> Encode<'q, $db> for Stamp {
            fn encode_by_ref(&self, buf: &mut <$db as Database>::ArgumentBuffer) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                let $s = self;
                <$repr as Encode<'q, $db>>::encode($convert, buf)
            }
        }
    };
}
stamp_as!(Sqlite, String, |s| time_util::to_iso(s.0));
stamp_as!(Postgres, OffsetDateTime, |s| s.offset());
stamp_as!(MySql, OffsetDateTime, |s| s.offset());

/// An additional field's value, typed even when null (Postgres checks a parameter's type
/// against its column even for NULL).
pub enum DbValue {
    Text(Option<String>),
    Int(Option<i64>),
    Real(Option<f64>),
    Bool(Option<bool>),
    Date(Option<Millis>),
    Json(Option<Value>),
}

impl DbValue {
    /// From a checked JSON value of an additional field (see `fields.rs`).
    pub fn from_json(field_type: &FieldType, value: &Value) -> DbValue {
        match field_type {
            FieldType::String | FieldType::Enum(_) => DbValue::Text(value.as_str().map(str::to_owned)),
            FieldType::Number => match value.as_i64() {
                Some(n) => DbValue::Int(Some(n)),
                None => DbValue::Real(value.as_f64()),
            },
            FieldType::Boolean => DbValue::Bool(value.as_bool()),
            FieldType::Date => DbValue::Date(value.as_str().and_then(time_util::parse_iso).or_else(|| value.as_i64())),
            FieldType::Json | FieldType::StringArray | FieldType::NumberArray => DbValue::Json((!value.is_null()).then(|| value.clone())),
        }
    }
}

macro_rules! db_value_for {
    ($db:ty) => {
        impl Type<$db> for DbValue {
            fn type_info() -> <$db as Database>::TypeInfo {
                <String as Type<$db>>::type_info()
            }
            fn compatible(_: &<$db as Database>::TypeInfo) -> bool {
                true
            }
        }
        impl<'q> Encode<'q, $db> for DbValue {
            fn encode_by_ref(&self, buf: &mut <$db as Database>::ArgumentBuffer) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                match self {
                    DbValue::Text(v) => <Option<String> as Encode<'q, $db>>::encode_by_ref(v, buf),
                    DbValue::Int(v) => <Option<i64> as Encode<'q, $db>>::encode_by_ref(v, buf),
                    DbValue::Real(v) => <Option<f64> as Encode<'q, $db>>::encode_by_ref(v, buf),
                    DbValue::Bool(v) => <Option<bool> as Encode<'q, $db>>::encode_by_ref(v, buf),
                    DbValue::Date(v) => <Option<Stamp> as Encode<'q, $db>>::encode(v.map(Stamp), buf),
                    DbValue::Json(v) => {
                        <Option<sqlx::types::Json<Value>> as Encode<'q, $db>>::encode(v.clone().map(sqlx::types::Json), buf)
                    }
                }
            }
            fn produces(&self) -> Option<<$db as Database>::TypeInfo> {
                Some(match self {
                    DbValue::Text(_) => <String as Type<$db>>::type_info(),
                    DbValue::Int(_) => <i64 as Type<$db>>::type_info(),
                    DbValue::Real(_) => <f64 as Type<$db>>::type_info(),
                    DbValue::Bool(_) => <bool as Type<$db>>::type_info(),
                    DbValue::Date(_) => <Stamp as Type<$db>>::type_info(),
                    DbValue::Json(_) => <sqlx::types::Json<Value> as Type<$db>>::type_info(),
                })
            }
        }
    };
}
db_value_for!(Sqlite);
db_value_for!(Postgres);
db_value_for!(MySql);

/// Reading columns the same way from every driver's rows.
pub trait RowRead {
    fn text(&self, column: &str) -> Result<String, DbError>;
    fn opt_text(&self, column: &str) -> Result<Option<String>, DbError>;
    fn flag(&self, column: &str) -> Result<bool, DbError>;
    fn int(&self, column: &str) -> Result<i64, DbError>;
    fn opt_date(&self, column: &str) -> Result<Option<Millis>, DbError>;
    fn date(&self, column: &str) -> Result<Millis, DbError> {
        self.opt_date(column)?.ok_or_else(|| DbError::Corrupt(format!("{column} is null")))
    }
    fn opt_json(&self, column: &str) -> Result<Option<Value>, DbError>;
    fn opt_number(&self, column: &str) -> Result<Option<Value>, DbError>;
    fn opt_flag(&self, column: &str) -> Result<Option<bool>, DbError>;

    /// An additional field's value as JSON (dates as ISO text). Unparsable JSON reads as
    /// `null`, as upstream's `safeJSONParse`.
    fn field(&self, column: &str, field_type: &FieldType) -> Result<Value, DbError> {
        Ok(match field_type {
            FieldType::String | FieldType::Enum(_) => self.opt_text(column)?.map(Value::String).unwrap_or(Value::Null),
            FieldType::Number => self.opt_number(column)?.unwrap_or(Value::Null),
            FieldType::Boolean => self.opt_flag(column)?.map(Value::Bool).unwrap_or(Value::Null),
            FieldType::Date => self.opt_date(column)?.map(|ms| Value::String(time_util::to_iso(ms))).unwrap_or(Value::Null),
            FieldType::Json | FieldType::StringArray | FieldType::NumberArray => self.opt_json(column)?.unwrap_or(Value::Null),
        })
    }
}

macro_rules! row_read {
    ($row:ty, |$r:ident, $c:ident| $opt_date:expr) => {
        impl RowRead for $row {
            fn text(&self, column: &str) -> Result<String, DbError> {
                Ok(self.try_get(column)?)
            }
            fn opt_text(&self, column: &str) -> Result<Option<String>, DbError> {
                Ok(self.try_get(column)?)
            }
            fn flag(&self, column: &str) -> Result<bool, DbError> {
                match self.try_get::<bool, _>(column) {
                    Ok(b) => Ok(b),
                    Err(e) => self.try_get::<i64, _>(column).map(|n| n != 0).map_err(|_| e.into()),
                }
            }
            fn int(&self, column: &str) -> Result<i64, DbError> {
                match self.try_get::<i64, _>(column) {
                    Ok(n) => Ok(n),
                    Err(e) => self.try_get::<i32, _>(column).map(i64::from).map_err(|_| e.into()),
                }
            }
            fn opt_date(&self, column: &str) -> Result<Option<Millis>, DbError> {
                let ($r, $c) = (self, column);
                $opt_date
            }
            fn opt_json(&self, column: &str) -> Result<Option<Value>, DbError> {
                if let Ok(v) = self.try_get::<Option<sqlx::types::Json<Value>>, _>(column) {
                    return Ok(v.map(|j| j.0));
                }
                Ok(self.try_get::<Option<String>, _>(column)?.map(|t| serde_json::from_str(&t).unwrap_or(Value::Null)))
            }
            fn opt_number(&self, column: &str) -> Result<Option<Value>, DbError> {
                if let Ok(v) = self.try_get::<Option<i64>, _>(column) {
                    return Ok(v.map(Value::from));
                }
                if let Ok(v) = self.try_get::<Option<i32>, _>(column) {
                    return Ok(v.map(Value::from));
                }
                Ok(self.try_get::<Option<f64>, _>(column)?.map(Value::from))
            }
            fn opt_flag(&self, column: &str) -> Result<Option<bool>, DbError> {
                match self.try_get::<Option<bool>, _>(column) {
                    Ok(b) => Ok(b),
                    Err(e) => self.try_get::<Option<i64>, _>(column).map(|n| n.map(|n| n != 0)).map_err(|_| e.into()),
                }
            }
        }
    };
}

row_read!(SqliteRow, |row, column| {
    // What upstream or another ORM left: ISO text, or integer (milli)seconds.
    if let Ok(text) = row.try_get::<Option<String>, _>(column) {
        return text
            .map(|t| time_util::parse_iso(&t).ok_or_else(|| DbError::Corrupt(format!("{column} = {t:?} is not a date"))))
            .transpose();
    }
    if let Ok(n) = row.try_get::<Option<i64>, _>(column) {
        return Ok(n.map(time_util::from_integer));
    }
    if let Ok(f) = row.try_get::<Option<f64>, _>(column) {
        return Ok(f.map(|f| time_util::from_integer(f as i64)));
    }
    Err(DbError::Corrupt(format!("{column} is not a date")))
});
// `timestamptz`, or `timestamp` from upstream's older migrations (read as UTC).
row_read!(PgRow, |row, column| match row.try_get::<Option<OffsetDateTime>, _>(column) {
    Ok(t) => Ok(t.map(to_millis)),
    Err(e) => row.try_get::<Option<time::PrimitiveDateTime>, _>(column).map(|t| t.map(|t| to_millis(t.assume_utc()))).map_err(|_| e.into()),
});
row_read!(MySqlRow, |row, column| Ok(row.try_get::<Option<OffsetDateTime>, _>(column)?.map(to_millis)));

fn to_millis(t: OffsetDateTime) -> Millis {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translates_placeholders_and_quotes() {
        let q = r#"select "id" from "user" where "email" = ? and "id" != ?"#;
        assert_eq!(translate(Dialect::Sqlite, q), q);
        assert_eq!(translate(Dialect::Postgres, q), r#"select "id" from "user" where "email" = $1 and "id" != $2"#);
        assert_eq!(translate(Dialect::Mysql, q), "select `id` from `user` where `email` = ? and `id` != ?");
    }
}
