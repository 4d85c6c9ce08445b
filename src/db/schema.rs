//! Upstream's tables, exactly as better-auth 1.7.25's migration creates them on SQLite, and the
//! additive migration: missing tables, columns and indexes are created; nothing is dropped.
//! Additional fields (`user.additionalFields`, ...) become columns after the core ones.
//! (The spec, read from 1.7.1, has an `account.issuer` column; 1.7.3+ removed it again, and
//! upstream's published behaviour wins.)

use std::borrow::Cow;

use super::names::Names;
use crate::fields::FieldDef;

/// How a column is declared; each dialect maps it to upstream's type
/// (`packages/better-auth/src/db/get-migration.ts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Primary key: `text`, `varchar(36)` on MySQL.
    Id,
    /// `user.id` reference, cascading deletes.
    UserRef,
    /// Long text everywhere.
    Text,
    /// Text that is unique, indexed or sortable: `varchar(255)` on MySQL.
    ShortText,
    Bool,
    Date,
    Int,
    BigInt,
    /// JSON and arrays: `text`, `jsonb` on Postgres, `json` on MySQL.
    Json,
}

#[derive(Clone)]
pub struct Column {
    pub name: Cow<'static, str>,
    pub kind: Kind,
    pub required: bool,
    pub unique: bool,
    /// `default CURRENT_TIMESTAMP` on Postgres and MySQL (upstream emits none on SQLite).
    pub default_now: bool,
    /// An additional field's static default, emitted only when the column is added to an
    /// existing table (as upstream's migration does).
    pub added_default: Option<String>,
    /// How upstream's OpenAPI model shows the field (`input: false`, `returned: false`,
    /// `defaultValue` in a plugin's schema); no effect on storage.
    pub doc: ColumnDoc,
}

#[derive(Clone, Copy)]
pub struct ColumnDoc {
    pub read_only: bool,
    pub not_returned: bool,
    /// `defaultValue` as a JSON literal.
    pub default: Option<&'static str>,
}

impl ColumnDoc {
    /// An input field, returned, without a documented default.
    pub const PLAIN: ColumnDoc = ColumnDoc { read_only: false, not_returned: false, default: None };
}

impl Column {
    /// Not input (`input: false`): `readOnly` in the OpenAPI model.
    pub const fn read_only(mut self) -> Column {
        self.doc.read_only = true;
        self
    }

    /// `returned: false`: never listed as required in the OpenAPI model.
    pub const fn not_returned(mut self) -> Column {
        self.doc.not_returned = true;
        self
    }

    /// Upstream's `defaultValue`, as JSON, for the OpenAPI model.
    pub const fn documented_default(mut self, json: &'static str) -> Column {
        self.doc.default = Some(json);
        self
    }
}

#[derive(Clone)]
pub struct Table {
    pub name: Cow<'static, str>,
    pub columns: Cow<'static, [Column]>,
    /// Fields with upstream's single-column index (`index: true` in a plugin's schema).
    pub indexes: &'static [&'static str],
}

/// What the schema holds beyond upstream's core tables, and what things are called.
#[derive(Default, Clone, Copy)]
pub struct SchemaOptions<'a> {
    /// `rateLimit.storage: "database"`: upstream's rate-limit table.
    pub rate_limit: bool,
    /// Core tables left out (secondary storage holds their rows).
    pub omit: &'a [&'a str],
    pub user_fields: &'a [FieldDef],
    pub session_fields: &'a [FieldDef],
    /// Renamed tables and columns (`None`: upstream's default names).
    pub names: Option<&'a Names>,
    /// Plugins' own tables (jwt's `jwks`, ...), after the core's.
    pub plugin_tables: &'a [Table],
}

impl SchemaOptions<'_> {
    fn table<'a>(&'a self, model: &'a str) -> &'a str {
        self.names.map_or(model, |n| n.table(model))
    }

    fn column<'a>(&'a self, model: &str, field: &'a str) -> &'a str {
        self.names.map_or(field, |n| n.column(model, field))
    }
}

/// A single-column index, named by upstream's rule from the actual table and column.
pub struct Index {
    pub model: &'static str,
    pub field: &'static str,
}

/// Upstream's generated index name: `<table>_<column>_idx`, shortened with a hash of the
/// whole name past 63 bytes (FNV-1a, as `getDatabaseIndexName`).
pub fn index_name(table: &str, column: &str) -> String {
    kind_index_name(table, column, "idx")
}

/// `<table>_<column>_uidx`: the unique index upstream adds with a unique column.
pub fn unique_index_name(table: &str, column: &str) -> String {
    kind_index_name(table, column, "uidx")
}

fn kind_index_name(table: &str, column: &str, kind: &str) -> String {
    const MAX: usize = 63;
    let generated = format!("{table}_{column}_{kind}");
    if generated.len() <= MAX {
        return generated;
    }
    let hash = generated.bytes().fold(2166136261u32, |h, b| (h ^ b as u32).wrapping_mul(16777619));
    let suffix = format!("_{hash:08x}_{kind}");
    let head = &generated[..generated.len() - kind.len() - 1];
    format!("{}{suffix}", &head[..MAX - suffix.len()])
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
    Mysql,
}

impl Dialect {
    pub fn parse(name: &str) -> Option<Dialect> {
        match name {
            "sqlite" => Some(Dialect::Sqlite),
            "postgres" | "postgresql" | "pg" => Some(Dialect::Postgres),
            "mysql" | "mariadb" => Some(Dialect::Mysql),
            _ => None,
        }
    }

    fn quote(self, name: &str) -> String {
        match self {
            Dialect::Mysql => format!("`{name}`"),
            _ => format!("\"{name}\""),
        }
    }

    fn column_type(self, kind: Kind) -> &'static str {
        use Dialect::*;
        use Kind::*;
        match (self, kind) {
            (Mysql, Id | UserRef) => "varchar(36)",
            (Mysql, ShortText) => "varchar(255)",
            (_, Id | UserRef | Text | ShortText) => "text",
            (Sqlite, Bool) => "integer",
            (_, Bool) => "boolean",
            (Sqlite, Date) => "date",
            (Postgres, Date) => "timestamptz",
            (Mysql, Date) => "timestamp(3)",
            (_, Int) => "integer",
            (_, BigInt) => "bigint",
            (Sqlite, Json) => "text",
            (Postgres, Json) => "jsonb",
            (Mysql, Json) => "json",
        }
    }

    fn column_sql(self, column: &Column, user_table: &str) -> String {
        let mut sql = format!("{} {}", self.quote(&column.name), self.column_type(column.kind));
        if column.default_now {
            match self {
                Dialect::Sqlite => {}
                Dialect::Postgres => sql.push_str(" default CURRENT_TIMESTAMP"),
                Dialect::Mysql => sql.push_str(" default CURRENT_TIMESTAMP(3)"),
            }
        }
        if column.required {
            sql.push_str(" not null");
        }
        if column.kind == Kind::Id {
            sql.push_str(" primary key");
        }
        if column.unique {
            sql.push_str(" unique");
        }
        if column.kind == Kind::UserRef {
            sql.push_str(&format!(" references {} ({}) on delete cascade", self.quote(user_table), self.quote("id")));
        }
        sql
    }

    fn create_table_sql(self, table: &Table, user_table: &str) -> String {
        let cols: Vec<String> = table.columns.iter().map(|c| self.column_sql(c, user_table)).collect();
        format!("create table {} ({});", self.quote(&table.name), cols.join(", "))
    }

    fn create_index_sql(self, name: &str, table: &str, column: &str) -> String {
        format!("create index {} on {} ({});", self.quote(name), self.quote(table), self.quote(column))
    }

    /// The whole schema for an empty database, as upstream's migration would create it.
    pub fn full_schema(self, rate_limit: bool) -> Vec<String> {
        plan(self, &Existing::default(), &SchemaOptions { rate_limit, ..Default::default() }).unwrap_or_default()
    }
}

pub const fn column(name: &'static str, kind: Kind, required: bool, unique: bool, default_now: bool) -> Column {
    Column { name: Cow::Borrowed(name), kind, required, unique, default_now, added_default: None, doc: ColumnDoc::PLAIN }
}

pub const fn col(name: &'static str, kind: Kind) -> Column {
    column(name, kind, true, false, false)
}

pub const fn optional(name: &'static str, kind: Kind) -> Column {
    column(name, kind, false, false, false)
}

const fn unique(name: &'static str) -> Column {
    column(name, Kind::ShortText, true, true, false)
}

const fn date_now(name: &'static str) -> Column {
    column(name, Kind::Date, true, false, true)
}

pub const TABLES: &[Table] = &[
    Table {
        name: Cow::Borrowed("user"),
        columns: Cow::Borrowed(&[
            col("id", Kind::Id),
            col("name", Kind::ShortText),
            unique("email"),
            // Upstream's core schema: not input, false by default.
            col("emailVerified", Kind::Bool).read_only().documented_default("false"),
            optional("image", Kind::Text),
            date_now("createdAt"),
            date_now("updatedAt"),
        ]),
        indexes: &[],
    },
    Table {
        name: Cow::Borrowed("session"),
        columns: Cow::Borrowed(&[
            col("id", Kind::Id),
            col("expiresAt", Kind::Date),
            unique("token"),
            date_now("createdAt"),
            col("updatedAt", Kind::Date),
            optional("ipAddress", Kind::Text),
            optional("userAgent", Kind::Text),
            col("userId", Kind::UserRef),
        ]),
        indexes: &[],
    },
    Table {
        name: Cow::Borrowed("account"),
        columns: Cow::Borrowed(&[
            col("id", Kind::Id),
            col("accountId", Kind::Text),
            col("providerId", Kind::Text),
            col("userId", Kind::UserRef),
            optional("accessToken", Kind::Text),
            optional("refreshToken", Kind::Text),
            optional("idToken", Kind::Text),
            optional("accessTokenExpiresAt", Kind::Date),
            optional("refreshTokenExpiresAt", Kind::Date),
            optional("scope", Kind::Text),
            optional("password", Kind::Text),
            date_now("createdAt"),
            col("updatedAt", Kind::Date),
        ]),
        indexes: &[],
    },
    Table {
        name: Cow::Borrowed("verification"),
        columns: Cow::Borrowed(&[
            col("id", Kind::Id),
            col("identifier", Kind::ShortText),
            col("value", Kind::Text),
            col("expiresAt", Kind::Date),
            date_now("createdAt"),
            date_now("updatedAt"),
        ]),
        indexes: &[],
    },
];

/// Only with `rateLimit.storage: "database"`.
pub static RATE_LIMIT_TABLE: Table = Table {
    name: Cow::Borrowed("rateLimit"),
    columns: Cow::Borrowed(&[col("id", Kind::Id), unique("key"), col("count", Kind::Int), col("lastRequest", Kind::BigInt)]),
    indexes: &[],
};

/// A model's core columns under their field names (empty for an unknown model).
pub fn core_columns(model: &str) -> &'static [Column] {
    match TABLES.iter().chain([&RATE_LIMIT_TABLE]).find(|t| t.name == model).map(|t| &t.columns) {
        Some(Cow::Borrowed(columns)) => columns,
        _ => &[],
    }
}

pub const INDEXES: &[Index] = &[
    Index { model: "session", field: "userId" },
    Index { model: "account", field: "userId" },
    Index { model: "verification", field: "identifier" },
];

/// What the database has now, as far as the migration cares.
#[derive(Debug, Default)]
pub struct Existing {
    /// table name -> its column names
    pub tables: std::collections::HashMap<String, Vec<String>>,
    pub indexes: std::collections::HashSet<String>,
}

#[derive(Debug, PartialEq, Eq)]
pub struct MigrationError(pub String);

/// The statements that bring `existing` up to upstream's schema, in order.
pub fn plan(dialect: Dialect, existing: &Existing, options: &SchemaOptions) -> Result<Vec<String>, MigrationError> {
    let mut statements = Vec::new();
    let mut deferred = Vec::new();
    let user_table = options.table("user");
    let rate_limit = options.rate_limit.then_some(&RATE_LIMIT_TABLE);
    for model in TABLES.iter().filter(|t| !options.omit.contains(&t.name.as_ref())).chain(rate_limit).chain(options.plugin_tables) {
        let model_name = model.name.as_ref();
        let table = options.table(model_name);
        let fields = match model_name {
            "user" => options.user_fields,
            "session" => options.session_fields,
            _ => &[],
        };
        let core = model.columns.iter().map(|c| Column { name: Cow::Owned(options.column(model_name, &c.name).to_owned()), ..c.clone() });
        let columns: Vec<Column> = core.chain(fields.iter().map(|f| field_column(f, dialect))).collect();
        match existing.tables.get(table) {
            None => {
                statements.push(dialect.create_table_sql(
                    &Table { name: Cow::Owned(table.to_owned()), columns: Cow::Owned(columns), indexes: &[] },
                    user_table,
                ))
            }
            Some(present) => {
                for column in columns.iter().filter(|c| !present.iter().any(|p| p == c.name.as_ref())) {
                    if column.required && column.added_default.is_none() {
                        // Upstream's migration refuses this too: existing rows would have no value.
                        return Err(MigrationError(format!(
                            "table \"{table}\" lacks the required column \"{}\" and it has no default; add it by hand (or make it `required: false`)",
                            column.name
                        )));
                    }
                    let mut sql = format!("alter table {} add column {}", dialect.quote(table), dialect.quote(&column.name));
                    sql.push(' ');
                    sql.push_str(dialect.column_type(column.kind));
                    if let Some(default) = &column.added_default {
                        sql.push_str(&format!(" default {default}"));
                    }
                    // A unique column gets upstream's separate unique index, after the columns
                    // (SQLite cannot add a column with an inline UNIQUE).
                    if column.unique {
                        let name = unique_index_name(table, &column.name);
                        deferred.push(format!(
                            "create unique index {} on {} ({});",
                            dialect.quote(&name),
                            dialect.quote(table),
                            dialect.quote(&column.name)
                        ));
                    }
                    let rest = dialect.column_sql(&Column { added_default: None, unique: false, ..column.clone() }, user_table);
                    // The constraints after the type, as for a new table.
                    let type_end = dialect.quote(&column.name).len() + 1 + dialect.column_type(column.kind).len();
                    sql.push_str(&rest[type_end..]);
                    sql.push(';');
                    statements.push(sql);
                }
            }
        }
    }
    let core_indexes = INDEXES.iter().filter(|i| !options.omit.contains(&i.model)).map(|i| (i.model, i.field));
    let plugin_indexes = options.plugin_tables.iter().flat_map(|t| t.indexes.iter().map(move |f| (t.name.as_ref(), *f)));
    for (model, field) in core_indexes.chain(plugin_indexes) {
        let (table, column) = (options.table(model), options.column(model, field));
        let name = index_name(table, column);
        if !existing.indexes.contains(&name) {
            statements.push(dialect.create_index_sql(&name, table, column));
        }
    }
    statements.extend(deferred);
    Ok(statements)
}

fn field_column(field: &FieldDef, dialect: Dialect) -> Column {
    Column {
        name: Cow::Owned(field.column.clone()),
        kind: field.kind(),
        required: field.required != Some(false),
        unique: field.unique,
        default_now: false,
        added_default: field.static_default_sql(dialect == Dialect::Sqlite),
        doc: ColumnDoc::PLAIN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_defaults_are_json() {
        let tables = TABLES.iter().chain([&crate::plugins::two_factor::TWO_FACTOR]);
        for column in tables.flat_map(|t| t.columns.iter()) {
            if let Some(default) = column.doc.default {
                assert!(serde_json::from_str::<serde_json::Value>(default).is_ok(), "{}: {default}", column.name);
            }
        }
    }

    // What better-auth 1.7.25's migration runs on a fresh SQLite database (read back from
    // sqlite_master), statement for statement.
    const UPSTREAM_SQLITE: &str = r#"create table "user" ("id" text not null primary key, "name" text not null, "email" text not null unique, "emailVerified" integer not null, "image" text, "createdAt" date not null, "updatedAt" date not null);
create table "session" ("id" text not null primary key, "expiresAt" date not null, "token" text not null unique, "createdAt" date not null, "updatedAt" date not null, "ipAddress" text, "userAgent" text, "userId" text not null references "user" ("id") on delete cascade);
create table "account" ("id" text not null primary key, "accountId" text not null, "providerId" text not null, "userId" text not null references "user" ("id") on delete cascade, "accessToken" text, "refreshToken" text, "idToken" text, "accessTokenExpiresAt" date, "refreshTokenExpiresAt" date, "scope" text, "password" text, "createdAt" date not null, "updatedAt" date not null);
create table "verification" ("id" text not null primary key, "identifier" text not null, "value" text not null, "expiresAt" date not null, "createdAt" date not null, "updatedAt" date not null);
create index "session_userId_idx" on "session" ("userId");
create index "account_userId_idx" on "account" ("userId");
create index "verification_identifier_idx" on "verification" ("identifier");"#;

    #[test]
    fn fresh_database_gets_upstreams_exact_ddl() {
        let statements = plan(Dialect::Sqlite, &Existing::default(), &SchemaOptions::default()).unwrap();
        assert_eq!(statements.join("\n"), UPSTREAM_SQLITE);
        assert_eq!(Dialect::Sqlite.full_schema(false), statements);
    }

    // Upstream 1.7.25's `compileMigrations()` against empty Postgres and MariaDB databases.
    const UPSTREAM_POSTGRES: &str = r#"create table "user" ("id" text not null primary key, "name" text not null, "email" text not null unique, "emailVerified" boolean not null, "image" text, "createdAt" timestamptz default CURRENT_TIMESTAMP not null, "updatedAt" timestamptz default CURRENT_TIMESTAMP not null);
create table "session" ("id" text not null primary key, "expiresAt" timestamptz not null, "token" text not null unique, "createdAt" timestamptz default CURRENT_TIMESTAMP not null, "updatedAt" timestamptz not null, "ipAddress" text, "userAgent" text, "userId" text not null references "user" ("id") on delete cascade);
create table "account" ("id" text not null primary key, "accountId" text not null, "providerId" text not null, "userId" text not null references "user" ("id") on delete cascade, "accessToken" text, "refreshToken" text, "idToken" text, "accessTokenExpiresAt" timestamptz, "refreshTokenExpiresAt" timestamptz, "scope" text, "password" text, "createdAt" timestamptz default CURRENT_TIMESTAMP not null, "updatedAt" timestamptz not null);
create table "verification" ("id" text not null primary key, "identifier" text not null, "value" text not null, "expiresAt" timestamptz not null, "createdAt" timestamptz default CURRENT_TIMESTAMP not null, "updatedAt" timestamptz default CURRENT_TIMESTAMP not null);
create index "session_userId_idx" on "session" ("userId");
create index "account_userId_idx" on "account" ("userId");
create index "verification_identifier_idx" on "verification" ("identifier");"#;

    const UPSTREAM_MYSQL: &str = r#"create table `user` (`id` varchar(36) not null primary key, `name` varchar(255) not null, `email` varchar(255) not null unique, `emailVerified` boolean not null, `image` text, `createdAt` timestamp(3) default CURRENT_TIMESTAMP(3) not null, `updatedAt` timestamp(3) default CURRENT_TIMESTAMP(3) not null);
create table `session` (`id` varchar(36) not null primary key, `expiresAt` timestamp(3) not null, `token` varchar(255) not null unique, `createdAt` timestamp(3) default CURRENT_TIMESTAMP(3) not null, `updatedAt` timestamp(3) not null, `ipAddress` text, `userAgent` text, `userId` varchar(36) not null references `user` (`id`) on delete cascade);
create table `account` (`id` varchar(36) not null primary key, `accountId` text not null, `providerId` text not null, `userId` varchar(36) not null references `user` (`id`) on delete cascade, `accessToken` text, `refreshToken` text, `idToken` text, `accessTokenExpiresAt` timestamp(3), `refreshTokenExpiresAt` timestamp(3), `scope` text, `password` text, `createdAt` timestamp(3) default CURRENT_TIMESTAMP(3) not null, `updatedAt` timestamp(3) not null);
create table `verification` (`id` varchar(36) not null primary key, `identifier` varchar(255) not null, `value` text not null, `expiresAt` timestamp(3) not null, `createdAt` timestamp(3) default CURRENT_TIMESTAMP(3) not null, `updatedAt` timestamp(3) default CURRENT_TIMESTAMP(3) not null);
create index `session_userId_idx` on `session` (`userId`);
create index `account_userId_idx` on `account` (`userId`);
create index `verification_identifier_idx` on `verification` (`identifier`);"#;

    #[test]
    fn postgres_and_mysql_ddl_match_upstream() {
        assert_eq!(Dialect::Postgres.full_schema(false).join("\n"), UPSTREAM_POSTGRES);
        assert_eq!(Dialect::Mysql.full_schema(false).join("\n"), UPSTREAM_MYSQL);
    }

    #[test]
    fn rate_limit_table_matches_upstream() {
        let with = Dialect::Sqlite.full_schema(true);
        assert!(with.contains(&r#"create table "rateLimit" ("id" text not null primary key, "key" text not null unique, "count" integer not null, "lastRequest" bigint not null);"#.to_string()));
        assert!(Dialect::Mysql.full_schema(true).contains(&"create table `rateLimit` (`id` varchar(36) not null primary key, `key` varchar(255) not null unique, `count` integer not null, `lastRequest` bigint not null);".to_string()));
    }

    #[test]
    fn complete_database_needs_nothing() {
        let mut existing = Existing::default();
        for t in TABLES {
            existing.tables.insert(t.name.to_string(), t.columns.iter().map(|c| c.name.to_string()).collect());
        }
        existing.indexes = INDEXES.iter().map(|i| index_name(i.model, i.field)).collect();
        let none = SchemaOptions::default();
        assert!(plan(Dialect::Sqlite, &existing, &none).unwrap().is_empty());
        existing.tables.get_mut("account").unwrap().retain(|c| c != "scope");
        assert_eq!(plan(Dialect::Sqlite, &existing, &none).unwrap(), vec![r#"alter table "account" add column "scope" text;"#]);
        let omit = SchemaOptions { omit: &["session", "verification"], ..none };
        assert_eq!(plan(Dialect::Sqlite, &Existing::default(), &omit).unwrap().len(), 3);
        existing.tables.get_mut("account").unwrap().retain(|c| c != "providerId");
        assert!(plan(Dialect::Sqlite, &existing, &none).unwrap_err().0.contains("providerId"));
    }

    #[test]
    fn additional_fields_become_columns_as_upstream_declares_them() {
        let user_fields = crate::fields::parse_fields(
            "user",
            Some(&serde_json::json!({
                "role": { "type": "string", "required": false, "defaultValue": "user", "input": false },
                "age": { "type": "number", "required": true },
                "isPro": { "type": "boolean", "defaultValue": false },
                "tags": { "type": "string[]", "required": false },
                "birthday": { "type": "date", "required": false },
            })),
        )
        .unwrap();
        let session_fields = crate::fields::parse_fields(
            "session",
            Some(&serde_json::json!({ "device": { "type": "string", "required": false, "defaultValue": "web" } })),
        )
        .unwrap();
        let options = SchemaOptions { user_fields: &user_fields, session_fields: &session_fields, ..Default::default() };
        let fresh = plan(Dialect::Sqlite, &Existing::default(), &options).unwrap();
        // Upstream 1.7.25's migration on SQLite, read back from sqlite_master.
        assert_eq!(
            fresh[0],
            r#"create table "user" ("id" text not null primary key, "name" text not null, "email" text not null unique, "emailVerified" integer not null, "image" text, "createdAt" date not null, "updatedAt" date not null, "role" text, "age" integer not null, "isPro" integer not null, "tags" text, "birthday" date);"#
        );
        assert!(
            fresh[1].ends_with(r#""userId" text not null references "user" ("id") on delete cascade, "device" text);"#),
            "{}",
            fresh[1]
        );
        let pg = plan(Dialect::Postgres, &Existing::default(), &options).unwrap();
        assert!(
            pg[0].ends_with(r#""role" text, "age" integer not null, "isPro" boolean not null, "tags" jsonb, "birthday" timestamptz);"#),
            "{}",
            pg[0]
        );

        // Added to existing tables: static defaults, as upstream's ALTER path emits them.
        let mut existing = Existing::default();
        for t in TABLES {
            existing.tables.insert(t.name.to_string(), t.columns.iter().map(|c| c.name.to_string()).collect());
        }
        existing.indexes = INDEXES.iter().map(|i| index_name(i.model, i.field)).collect();
        let without_age: Vec<FieldDef> = user_fields.iter().filter(|f| f.name != "age").cloned().collect();
        let added = plan(
            Dialect::Sqlite,
            &existing,
            &SchemaOptions { user_fields: &without_age, session_fields: &session_fields, ..Default::default() },
        )
        .unwrap();
        assert_eq!(
            added,
            vec![
                r#"alter table "user" add column "role" text default 'user';"#,
                r#"alter table "user" add column "isPro" integer default 0 not null;"#,
                r#"alter table "user" add column "tags" text;"#,
                r#"alter table "user" add column "birthday" date;"#,
                r#"alter table "session" add column "device" text default 'web';"#,
            ]
        );
        assert!(plan(Dialect::Sqlite, &existing, &options).unwrap_err().0.contains("\"age\""));
    }
}
