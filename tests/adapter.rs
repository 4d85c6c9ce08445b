//! Generic storage for plugin tables, one suite run on SQLite, PostgreSQL and MySQL/MariaDB
//! (the machine's servers; `TEST_POSTGRES_URL` / `TEST_MYSQL_URL` point elsewhere): every
//! operator, connectors, sort, limit and offset, counts, updates and deletes, each in a
//! throwaway database.

use std::borrow::Cow;

use better_auth_rs::db::adapter::{FindMany, Op, Where};
use better_auth_rs::db::schema::{Dialect, Kind, Table, col, optional};
use better_auth_rs::db::{Database, StoreOptions};
use better_auth_rs::logger::Logger;
use better_auth_rs::options::{DatabaseConfig, PoolSettings};
use serde_json::{Map, Value, json};
use sqlx::Connection;

static THING: Table = Table {
    name: Cow::Borrowed("thing"),
    columns: Cow::Borrowed(&[
        col("id", Kind::Id),
        col("name", Kind::ShortText),
        optional("count", Kind::Int),
        optional("active", Kind::Bool),
        optional("at", Kind::Date),
        optional("note", Kind::Text),
    ]),
    indexes: &[],
};

fn server(var: &str, default: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| default.to_owned())
}

/// A fresh database on `dialect` and a way to drop it.
async fn throwaway(dialect: Dialect) -> (String, Option<(String, String)>) {
    let name = format!("ba_rs_adapter_{}", better_auth_rs::crypto::random_lowercase_token(10));
    match dialect {
        Dialect::Sqlite => ("sqlite::memory:".into(), None),
        Dialect::Postgres => {
            let admin = format!("{}/postgres", server("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432"));
            let mut conn = sqlx::PgConnection::connect(&admin).await.expect("PostgreSQL reachable");
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("create database \"{name}\""))).execute(&mut conn).await.unwrap();
            (format!("{}/{name}", server("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")), Some((admin, name)))
        }
        Dialect::Mysql => {
            let admin = format!("{}/mysql", server("TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306"));
            let mut conn = sqlx::MySqlConnection::connect(&admin).await.expect("MySQL reachable");
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("create database `{name}`"))).execute(&mut conn).await.unwrap();
            (format!("{}/{name}", server("TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306")), Some((admin, name)))
        }
    }
}

async fn drop_database(dialect: Dialect, admin: &str, name: &str) {
    match dialect {
        Dialect::Postgres => {
            let mut conn = sqlx::PgConnection::connect(admin).await.unwrap();
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("drop database \"{name}\" with (force)"))).execute(&mut conn).await;
        }
        Dialect::Mysql => {
            let mut conn = sqlx::MySqlConnection::connect(admin).await.unwrap();
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("drop database `{name}`"))).execute(&mut conn).await;
        }
        Dialect::Sqlite => {}
    }
}

fn row(id: &str, name: &str, count: i64, active: bool, at: &str) -> Map<String, Value> {
    json!({ "id": id, "name": name, "count": count, "active": active, "at": at }).as_object().unwrap().clone()
}

fn ids(rows: &[Value]) -> Vec<&str> {
    rows.iter().map(|r| r["id"].as_str().unwrap()).collect()
}

async fn suite(dialect: Dialect) {
    let (url, cleanup) = throwaway(dialect).await;
    let config = DatabaseConfig { dialect, url, implicit: false, pool: PoolSettings::default() };
    let store = StoreOptions { plugin_tables: vec![THING.clone()], ..Default::default() };
    let db = Database::new(config, store, Logger::stderr(None));
    db.migrate().await.unwrap();

    let created = db.create_row(&THING, &row("a", "alpha", 1, true, "2026-01-01T00:00:00.000Z")).await.unwrap();
    assert_eq!(created, json!({ "id": "a", "name": "alpha", "count": 1, "active": true, "at": "2026-01-01T00:00:00.000Z", "note": null }));
    db.create_row(&THING, &row("b", "beta", 2, false, "2026-02-01T00:00:00.000Z")).await.unwrap();
    db.create_row(&THING, &row("c", "gamma_50%", 3, true, "2026-03-01T00:00:00.000Z")).await.unwrap();
    let generated = db.create_row(&THING, json!({ "name": "delta" }).as_object().unwrap()).await.unwrap();
    assert_eq!(generated["id"].as_str().unwrap().len(), 32, "ids generated as upstream's");
    assert!(db.create_row(&THING, json!({ "nope": 1 }).as_object().unwrap()).await.is_err(), "unknown fields refused");
    let not_text = FindMany { filter: vec![Where::op("name", Op::Contains, 5)], ..Default::default() };
    assert!(db.find_rows(&THING, &not_text).await.is_err(), "contains takes a string (it would match every row)");

    let find = |filter: Vec<Where>| FindMany { filter, sort: Some(("name".into(), false)), ..Default::default() };
    let cases: Vec<(Vec<Where>, Vec<&str>)> = vec![
        (vec![Where::eq("name", "beta")], vec!["b"]),
        (vec![Where::op("name", Op::Ne, "beta")], vec!["a", "generated", "c"]),
        (vec![Where::op("count", Op::Lt, 2)], vec!["a"]),
        (vec![Where::op("count", Op::Lte, 2)], vec!["a", "b"]),
        (vec![Where::op("count", Op::Gt, 2)], vec!["c"]),
        (vec![Where::op("count", Op::Gte, 2)], vec!["b", "c"]),
        (vec![Where::op("id", Op::In, json!(["a", "c", "zz"]))], vec!["a", "c"]),
        (vec![Where::op("id", Op::NotIn, json!(["a", "c"]))], vec!["b", "generated"]),
        (vec![Where::op("id", Op::In, json!([]))], vec![]),
        (vec![Where::op("name", Op::Contains, "mm")], vec!["c"]),
        (vec![Where::op("name", Op::Contains, "50%")], vec!["c"]),
        (vec![Where::op("name", Op::Contains, "%")], vec!["c"]),
        (vec![Where::op("name", Op::StartsWith, "al")], vec!["a"]),
        (vec![Where::op("name", Op::EndsWith, "ta")], vec!["b", "generated"]),
        (vec![Where::eq("active", true)], vec!["a", "c"]),
        (vec![Where::op("at", Op::Gt, "2026-01-15T00:00:00.000Z")], vec!["b", "c"]),
        (vec![Where::eq("count", Value::Null)], vec!["generated"]),
        (vec![Where::eq("name", "alpha"), Where { or: true, ..Where::eq("name", "gamma_50%") }], vec!["a", "c"]),
        (vec![Where::eq("active", true), Where::op("count", Op::Gt, 1)], vec!["c"]),
    ];
    for (filter, expected) in cases {
        let shown = format!("{filter:?}");
        let rows = db.find_rows(&THING, &find(filter)).await.unwrap();
        let expected: Vec<&str> =
            expected.iter().map(|id| if *id == "generated" { generated["id"].as_str().unwrap() } else { id }).collect();
        assert_eq!(ids(&rows), expected, "{dialect:?}: {shown}");
    }
    let page =
        FindMany { sort: Some(("count".into(), true)), limit: Some(2), offset: Some(1), filter: vec![Where::op("count", Op::Gte, 1)] };
    assert_eq!(ids(&db.find_rows(&THING, &page).await.unwrap()), vec!["b", "a"]);
    let skip = FindMany {
        sort: Some(("count".into(), false)),
        offset: Some(2),
        filter: vec![Where::op("count", Op::Gte, 1)],
        ..Default::default()
    };
    assert_eq!(ids(&db.find_rows(&THING, &skip).await.unwrap()), vec!["c"]);
    assert_eq!(db.count_rows(&THING, &[Where::eq("active", true)]).await.unwrap(), 2);
    assert_eq!(db.find_row(&THING, &[Where::eq("id", "zz")]).await.unwrap(), None);

    let set = json!({ "note": "seen", "active": false }).as_object().unwrap().clone();
    assert_eq!(db.update_rows(&THING, &[Where::op("count", Op::Gte, 2)], &set).await.unwrap(), 2);
    assert_eq!(db.find_row(&THING, &[Where::eq("id", "c")]).await.unwrap().unwrap()["note"], "seen");
    assert_eq!(db.count_rows(&THING, &[Where::eq("active", false)]).await.unwrap(), 2);
    // A single-use value: only the first delete counts it.
    assert_eq!(db.delete_rows(&THING, &[Where::eq("id", "a")]).await.unwrap(), 1);
    assert_eq!(db.delete_rows(&THING, &[Where::eq("id", "a")]).await.unwrap(), 0);
    assert_eq!(db.delete_rows(&THING, &[]).await.unwrap(), 3);
    assert_eq!(db.count_rows(&THING, &[]).await.unwrap(), 0);

    if let Some((admin, name)) = cleanup {
        drop(db);
        drop_database(dialect, &admin, &name).await;
    }
}

#[tokio::test]
async fn generic_storage_on_sqlite() {
    suite(Dialect::Sqlite).await;
}

#[tokio::test]
async fn generic_storage_on_postgres() {
    suite(Dialect::Postgres).await;
}

#[tokio::test]
async fn generic_storage_on_mysql() {
    suite(Dialect::Mysql).await;
}
