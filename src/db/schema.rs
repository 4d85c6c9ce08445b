//! Upstream's tables, exactly as better-auth 1.7.25's migration creates them on SQLite, and the
//! additive migration: missing tables, columns and indexes are created; nothing is dropped.
//! (The spec, read from 1.7.1, has an `account.issuer` column; 1.7.3+ removed it again, and
//! upstream's published behaviour wins.)

pub struct Column {
    pub name: &'static str,
    /// The column definition after the name, as upstream's DDL has it.
    pub definition: &'static str,
}

pub struct Table {
    pub name: &'static str,
    pub columns: &'static [Column],
}

pub struct Index {
    pub name: &'static str,
    pub table: &'static str,
    pub columns: &'static [&'static str],
    pub unique: bool,
}

macro_rules! columns {
    ($($name:literal => $def:literal),* $(,)?) => { &[$(Column { name: $name, definition: $def }),*] };
}

pub const TABLES: &[Table] = &[
    Table {
        name: "user",
        columns: columns![
            "id" => "text not null primary key",
            "name" => "text not null",
            "email" => "text not null unique",
            "emailVerified" => "integer not null",
            "image" => "text",
            "createdAt" => "date not null",
            "updatedAt" => "date not null",
        ],
    },
    Table {
        name: "session",
        columns: columns![
            "id" => "text not null primary key",
            "expiresAt" => "date not null",
            "token" => "text not null unique",
            "createdAt" => "date not null",
            "updatedAt" => "date not null",
            "ipAddress" => "text",
            "userAgent" => "text",
            "userId" => "text not null references \"user\" (\"id\") on delete cascade",
        ],
    },
    Table {
        name: "account",
        columns: columns![
            "id" => "text not null primary key",
            "accountId" => "text not null",
            "providerId" => "text not null",
            "userId" => "text not null references \"user\" (\"id\") on delete cascade",
            "accessToken" => "text",
            "refreshToken" => "text",
            "idToken" => "text",
            "accessTokenExpiresAt" => "date",
            "refreshTokenExpiresAt" => "date",
            "scope" => "text",
            "password" => "text",
            "createdAt" => "date not null",
            "updatedAt" => "date not null",
        ],
    },
    Table {
        name: "verification",
        columns: columns![
            "id" => "text not null primary key",
            "identifier" => "text not null",
            "value" => "text not null",
            "expiresAt" => "date not null",
            "createdAt" => "date not null",
            "updatedAt" => "date not null",
        ],
    },
];

pub const INDEXES: &[Index] = &[
    Index { name: "session_userId_idx", table: "session", columns: &["userId"], unique: false },
    Index { name: "account_userId_idx", table: "account", columns: &["userId"], unique: false },
    Index { name: "verification_identifier_idx", table: "verification", columns: &["identifier"], unique: false },
];

fn quoted(names: &[&str]) -> String {
    names.iter().map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(", ")
}

pub fn create_table_sql(table: &Table) -> String {
    let cols: Vec<String> = table.columns.iter().map(|c| format!("\"{}\" {}", c.name, c.definition)).collect();
    format!("create table \"{}\" ({});", table.name, cols.join(", "))
}

pub fn create_index_sql(index: &Index) -> String {
    format!(
        "create {}index \"{}\" on \"{}\" ({});",
        if index.unique { "unique " } else { "" },
        index.name,
        index.table,
        quoted(index.columns)
    )
}

/// What the database has now, as far as the migration cares.
#[derive(Debug, Default)]
pub struct Existing {
    /// table name -> its column names
    pub tables: std::collections::HashMap<String, Vec<String>>,
    pub indexes: std::collections::HashSet<String>,
}

#[derive(Debug, PartialEq, Eq)]
pub struct MigrationError(pub String);

/// The statements that bring `existing` up to upstream 1.7's schema, in order.
pub fn plan(existing: &Existing) -> Result<Vec<String>, MigrationError> {
    let mut statements = Vec::new();
    for table in TABLES {
        match existing.tables.get(table.name) {
            None => statements.push(create_table_sql(table)),
            Some(present) => {
                for column in table.columns.iter().filter(|c| !present.iter().any(|p| p == c.name)) {
                    if column.definition.contains("not null") {
                        // Upstream's migration refuses this too: existing rows would have no value.
                        return Err(MigrationError(format!(
                            "table \"{}\" lacks the required column \"{}\"; upgrade it with upstream's migration guide first",
                            table.name, column.name
                        )));
                    }
                    statements.push(format!("alter table \"{}\" add column \"{}\" {};", table.name, column.name, column.definition));
                }
            }
        }
    }
    for index in INDEXES.iter().filter(|i| !existing.indexes.contains(i.name)) {
        statements.push(create_index_sql(index));
    }
    Ok(statements)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let statements = plan(&Existing::default()).unwrap();
        assert_eq!(statements.join("\n"), UPSTREAM_SQLITE);
    }

    #[test]
    fn complete_database_needs_nothing() {
        let mut existing = Existing::default();
        for t in TABLES {
            existing.tables.insert(t.name.into(), t.columns.iter().map(|c| c.name.to_string()).collect());
        }
        existing.indexes = INDEXES.iter().map(|i| i.name.to_string()).collect();
        assert!(plan(&existing).unwrap().is_empty());
        existing.tables.get_mut("account").unwrap().retain(|c| c != "scope");
        assert_eq!(plan(&existing).unwrap(), vec![r#"alter table "account" add column "scope" text;"#]);
        existing.tables.get_mut("account").unwrap().retain(|c| c != "providerId");
        assert!(plan(&existing).unwrap_err().0.contains("providerId"));
    }
}
