//! Generic storage for plugin tables (upstream's adapter `create / findOne / findMany / count /
//! update / updateMany / delete / deleteMany`, `packages/core/src/db/adapter`): rows are JSON
//! objects keyed by field name, typed by the table's columns; where-clauses with upstream's
//! operators and connectors, sort, limit and offset. The core's hot paths keep their own SQL.

use serde_json::{Map, Value};

use super::dialect::{DbValue, RowRead, on_pool};
use super::schema::{Kind, Table};
use super::{Database, DbError};
use crate::fields::FieldType;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Lte,
    Gt,
    Gte,
    In,
    NotIn,
    Contains,
    StartsWith,
    EndsWith,
}

/// One condition; `or: true` joins it to the ones before with OR (upstream's `connector`).
#[derive(Debug, Clone)]
pub struct Where {
    pub field: String,
    pub op: Op,
    pub value: Value,
    pub or: bool,
}

impl Where {
    pub fn eq(field: &str, value: impl Into<Value>) -> Where {
        Where { field: field.to_owned(), op: Op::Eq, value: value.into(), or: false }
    }

    pub fn op(field: &str, op: Op, value: impl Into<Value>) -> Where {
        Where { field: field.to_owned(), op, value: value.into(), or: false }
    }
}

#[derive(Debug, Clone, Default)]
pub struct FindMany {
    pub filter: Vec<Where>,
    /// Field and descending.
    pub sort: Option<(String, bool)>,
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

fn field_type(kind: Kind) -> FieldType {
    match kind {
        Kind::Id | Kind::UserRef | Kind::Text | Kind::ShortText => FieldType::String,
        Kind::Bool => FieldType::Boolean,
        Kind::Date => FieldType::Date,
        Kind::Int | Kind::BigInt => FieldType::Number,
        Kind::Json => FieldType::Json,
    }
}

/// A table with the field names callers use, and the SQL pieces built from them.
struct Shape<'t> {
    table: &'t Table,
}

impl Shape<'_> {
    fn kind(&self, field: &str) -> Result<Kind, DbError> {
        self.table
            .columns
            .iter()
            .find(|c| c.name == field)
            .map(|c| c.kind)
            .ok_or_else(|| DbError::Corrupt(format!("table \"{}\" has no field \"{field}\"", self.table.name)))
    }

    fn value(&self, field: &str, value: &Value) -> Result<DbValue, DbError> {
        Ok(DbValue::from_json(&field_type(self.kind(field)?), value))
    }

    /// `where ...` (SQLite spelling, `?` placeholders) and the values to bind, in order.
    fn filter(&self, filter: &[Where]) -> Result<(String, Vec<DbValue>), DbError> {
        if filter.is_empty() {
            return Ok((String::new(), Vec::new()));
        }
        let mut sql = String::from(" where ");
        let mut binds = Vec::new();
        for (i, w) in filter.iter().enumerate() {
            if i > 0 {
                sql.push_str(if w.or { " or " } else { " and " });
            }
            let column = format!("\"{}\"", w.field);
            let kind = self.kind(&w.field)?;
            match w.op {
                Op::In | Op::NotIn => {
                    let items: Vec<Value> = match &w.value {
                        Value::Array(items) => items.clone(),
                        other => vec![other.clone()],
                    };
                    if items.is_empty() {
                        // Nothing is in an empty list (and everything is not in it).
                        sql.push_str(if w.op == Op::In { "1 = 0" } else { "1 = 1" });
                        continue;
                    }
                    let marks = vec!["?"; items.len()].join(", ");
                    sql.push_str(&format!("{column} {} ({marks})", if w.op == Op::In { "in" } else { "not in" }));
                    for item in &items {
                        binds.push(DbValue::from_json(&field_type(kind), item));
                    }
                }
                Op::Contains | Op::StartsWith | Op::EndsWith => {
                    // A non-string would become `%%` and match every row.
                    let Some(text) = w.value.as_str() else {
                        return Err(DbError::Corrupt(format!("`{:?}` on \"{}\" takes a string", w.op, w.field)));
                    };
                    // `!` escapes: a backslash would start an escape inside MySQL's string literal.
                    let text = text.replace('!', "!!").replace('%', "!%").replace('_', "!_");
                    let pattern = match w.op {
                        Op::Contains => format!("%{text}%"),
                        Op::StartsWith => format!("{text}%"),
                        _ => format!("%{text}"),
                    };
                    sql.push_str(&format!("{column} like ? escape '!'"));
                    binds.push(DbValue::Text(Some(pattern)));
                }
                Op::Eq | Op::Ne if w.value.is_null() => {
                    sql.push_str(&format!("{column} is {}null", if w.op == Op::Ne { "not " } else { "" }));
                }
                op => {
                    let symbol = match op {
                        Op::Eq => "=",
                        Op::Ne => "<>",
                        Op::Lt => "<",
                        Op::Lte => "<=",
                        Op::Gt => ">",
                        _ => ">=",
                    };
                    sql.push_str(&format!("{column} {symbol} ?"));
                    binds.push(self.value(&w.field, &w.value)?);
                }
            }
        }
        Ok((sql, binds))
    }

    fn row<R: RowRead>(&self, row: &R) -> Result<Value, DbError> {
        let mut out = Map::new();
        for c in self.table.columns.iter() {
            out.insert(c.name.to_string(), row.field(&c.name, &field_type(c.kind))?);
        }
        Ok(Value::Object(out))
    }
}

impl Database {
    /// Inserts a row (`id` generated when absent) and returns it as stored.
    pub async fn create_row(&self, table: &Table, data: &Map<String, Value>) -> Result<Value, DbError> {
        let shape = Shape { table };
        let mut data = data.clone();
        if !data.contains_key("id") {
            data.insert("id".into(), Value::String(crate::crypto::generate_id()));
        }
        let fields: Vec<&String> = data.keys().collect();
        for f in &fields {
            shape.kind(f)?;
        }
        let columns = fields.iter().map(|f| format!("\"{f}\"")).collect::<Vec<_>>().join(", ");
        let marks = vec!["?"; fields.len()].join(", ");
        let sql = self.names.dynamic(&format!("insert into \"{}\" ({columns}) values ({marks})", table.name));
        let values: Vec<DbValue> = fields.iter().map(|f| shape.value(f, &data[f.as_str()])).collect::<Result<_, _>>()?;
        on_pool!(self.pool().await?, |p, d| {
            let mut query = sqlx::query(sql);
            for v in values {
                query = query.bind(v);
            }
            query.execute(p).await?;
            Ok::<_, DbError>(())
        })?;
        let id = data["id"].clone();
        self.find_row(table, &[Where::eq("id", id)]).await?.ok_or_else(|| DbError::Corrupt("a created row is gone".into()))
    }

    pub async fn find_rows(&self, table: &Table, query: &FindMany) -> Result<Vec<Value>, DbError> {
        let shape = Shape { table };
        let (filter, mut binds) = shape.filter(&query.filter)?;
        let mut sql = format!("select * from \"{}\"{filter}", table.name);
        if let Some((field, desc)) = &query.sort {
            shape.kind(field)?;
            sql.push_str(&format!(" order by \"{field}\" {}", if *desc { "desc" } else { "asc" }));
        }
        // Bound, not written in: each distinct statement text is cached once per instance.
        if query.limit.is_some() || query.offset.is_some() {
            // MySQL has no OFFSET without LIMIT: the largest limit every dialect takes stands for none.
            let limit = query.limit.map_or(i64::MAX, |l| l.min(i64::MAX as u64) as i64);
            let offset = query.offset.unwrap_or(0).min(i64::MAX as u64) as i64;
            sql.push_str(" limit ? offset ?");
            binds.push(DbValue::Int(Some(limit)));
            binds.push(DbValue::Int(Some(offset)));
        }
        let sql = self.names.dynamic(&sql);
        on_pool!(self.pool().await?, |p, d| {
            let mut q = sqlx::query(sql);
            for v in binds {
                q = q.bind(v);
            }
            q.fetch_all(p).await?.iter().map(|r| shape.row(r)).collect()
        })
    }

    pub async fn find_row(&self, table: &Table, filter: &[Where]) -> Result<Option<Value>, DbError> {
        let rows = self.find_rows(table, &FindMany { filter: filter.to_vec(), limit: Some(1), ..Default::default() }).await?;
        Ok(rows.into_iter().next())
    }

    pub async fn count_rows(&self, table: &Table, filter: &[Where]) -> Result<i64, DbError> {
        let shape = Shape { table };
        let (filter, binds) = shape.filter(filter)?;
        let sql = self.names.dynamic(&format!("select count(*) as \"n\" from \"{}\"{filter}", table.name));
        on_pool!(self.pool().await?, |p, d| {
            let mut q = sqlx::query(sql);
            for v in binds {
                q = q.bind(v);
            }
            q.fetch_one(p).await?.int("n")
        })
    }

    /// Sets `data` on every matching row; the number changed.
    pub async fn update_rows(&self, table: &Table, filter: &[Where], data: &Map<String, Value>) -> Result<u64, DbError> {
        if data.is_empty() {
            return Ok(0);
        }
        let shape = Shape { table };
        let sets = data.keys().map(|f| format!("\"{f}\" = ?")).collect::<Vec<_>>().join(", ");
        let mut values: Vec<DbValue> = data.iter().map(|(f, v)| shape.value(f, v)).collect::<Result<_, _>>()?;
        let (filter, binds) = shape.filter(filter)?;
        values.extend(binds);
        let sql = self.names.dynamic(&format!("update \"{}\" set {sets}{filter}", table.name));
        on_pool!(self.pool().await?, |p, d| {
            let mut q = sqlx::query(sql);
            for v in values {
                q = q.bind(v);
            }
            Ok(q.execute(p).await?.rows_affected())
        })
    }

    /// Adds `by` to a number field of every matching row in one statement (upstream's
    /// `incrementOne`: exact under concurrency; a null counts as 0); the number changed.
    pub async fn increment_rows(&self, table: &Table, filter: &[Where], field: &str, by: i64) -> Result<u64, DbError> {
        let shape = Shape { table };
        shape.kind(field)?;
        let (filter, binds) = shape.filter(filter)?;
        let sql = self.names.dynamic(&format!("update \"{}\" set \"{field}\" = coalesce(\"{field}\", 0) + ?{filter}", table.name));
        on_pool!(self.pool().await?, |p, d| {
            let mut q = sqlx::query(sql).bind(DbValue::Int(Some(by)));
            for v in binds {
                q = q.bind(v);
            }
            Ok(q.execute(p).await?.rows_affected())
        })
    }

    /// Deletes every matching row; the number deleted (a single-use value is consumed by the
    /// caller whose delete counted 1).
    pub async fn delete_rows(&self, table: &Table, filter: &[Where]) -> Result<u64, DbError> {
        let shape = Shape { table };
        let (filter, binds) = shape.filter(filter)?;
        let sql = self.names.dynamic(&format!("delete from \"{}\"{filter}", table.name));
        on_pool!(self.pool().await?, |p, d| {
            let mut q = sqlx::query(sql);
            for v in binds {
                q = q.bind(v);
            }
            Ok(q.execute(p).await?.rows_affected())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::schema::{col, optional};
    use serde_json::json;
    use std::borrow::Cow;

    static TABLE: Table = Table {
        name: Cow::Borrowed("thing"),
        columns: Cow::Borrowed(&[col("id", Kind::Id), col("name", Kind::Text), optional("count", Kind::Int), optional("at", Kind::Date)]),
        indexes: &[],
    };

    #[test]
    fn where_clauses_follow_upstreams_operators_and_connectors() {
        let shape = Shape { table: &TABLE };
        let (sql, binds) = shape
            .filter(&[
                Where::eq("name", "a"),
                Where { or: true, ..Where::op("count", Op::Gte, 3) },
                Where::op("id", Op::In, json!(["x", "y"])),
                Where::op("name", Op::StartsWith, "50%_"),
                Where::op("at", Op::Ne, Value::Null),
                Where::op("id", Op::NotIn, json!([])),
            ])
            .unwrap();
        assert_eq!(
            sql,
            r#" where "name" = ? or "count" >= ? and "id" in (?, ?) and "name" like ? escape '!' and "at" is not null and 1 = 1"#
        );
        assert_eq!(binds.len(), 5);
        assert!(matches!(&binds[4], DbValue::Text(Some(p)) if p == "50!%!_%"));
        assert!(shape.filter(&[Where::eq("nope", 1)]).is_err(), "unknown fields are refused, never spliced into SQL");
    }
}
