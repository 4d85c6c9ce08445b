//! Storage: one store over sqlx for SQLite, Postgres and MySQL. Each query is written once in
//! SQLite's spelling; `dialect.rs` holds what differs. The pool opens (and, with `autoMigrate`,
//! migrates) on first use, and again on a later request if that failed.

pub mod adapter;
pub mod dialect;
pub mod models;
pub mod names;
pub mod schema;
pub mod secondary;
pub mod sweep;

use std::str::FromStr;
use std::time::Duration;

use sqlx::mysql::{MySqlConnectOptions, MySqlPoolOptions};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
// Migration DDL is built from our own static schema, never from input.

use serde_json::{Map, Value};
use sqlx::AssertSqlSafe;
use tokio::sync::OnceCell;

use crate::fields::FieldDef;
use crate::logger::Logger;
use crate::options::{DEFAULT_SQLITE_FILE, DatabaseConfig};
use crate::time_util::{self, Millis};
use dialect::{DbValue, Dialect, Pool, RowRead, Stamp, on_pool, sql};
use models::{AccountSummary, CREDENTIAL_PROVIDER, CredentialAccount, OAuthAccount, OAuthTokens, Session, User};
use names::Names;
use sqlx::SqlStr;

#[derive(Debug)]
pub enum DbError {
    Sqlx(sqlx::Error),
    Migration(String),
    /// A stored value we cannot read (a date in no known format, ...).
    Corrupt(String),
    /// The secondary storage failed (Redis down, the user's function threw).
    Storage(String),
}

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DbError::Sqlx(e) => write!(f, "database error: {e}"),
            DbError::Migration(m) => write!(f, "migration: {m}"),
            DbError::Corrupt(m) => write!(f, "unreadable row: {m}"),
            DbError::Storage(m) => write!(f, "secondary storage: {m}"),
        }
    }
}

impl From<sqlx::Error> for DbError {
    fn from(e: sqlx::Error) -> Self {
        DbError::Sqlx(e)
    }
}

impl DbError {
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, DbError::Sqlx(sqlx::Error::Database(e)) if e.is_unique_violation())
    }

    /// A deadlock or serialization failure: the transaction can simply run again.
    pub fn is_retryable(&self) -> bool {
        matches!(self, DbError::Sqlx(sqlx::Error::Database(e)) if matches!(e.code().as_deref(), Some("40001" | "40P01")))
    }
}

pub struct Database {
    config: DatabaseConfig,
    store: StoreOptions,
    names: Names,
    field_sql: FieldSql,
    logger: Logger,
    pool: OnceCell<Pool>,
}

/// Where each kind of row lives, from the options.
#[derive(Default)]
pub struct StoreOptions {
    pub auto_migrate: bool,
    /// `rateLimit.storage: "database"` adds upstream's rate-limit table.
    pub rate_limit_table: bool,
    /// `<model>.modelName` / `<model>.fields`.
    pub renames: names::Renames,
    pub secondary: Option<secondary::SecondaryStorage>,
    /// `session.storeSessionInDatabase` (sessions always go to the database without secondary storage).
    pub sessions_in_database: bool,
    /// `session.preserveSessionInDatabase`: ended sessions keep their row, expired now.
    pub preserve_sessions: bool,
    /// `verification.storeInDatabase`.
    pub verifications_in_database: bool,
    /// `session.expiresIn`, for how long a revocation marker must outlive sessions.
    pub session_expires_in_secs: u64,
    pub user_fields: Vec<FieldDef>,
    pub session_fields: Vec<FieldDef>,
    /// Tables plugins add (migrated with the core's; read and written through [`adapter`]).
    pub plugin_tables: Vec<schema::Table>,
}

/// Statements that name the additional fields' columns, built once for the dialect.
struct FieldSql {
    insert_user: SqlStr,
    insert_session: SqlStr,
    find_session: SqlStr,
}

impl FieldSql {
    /// Written with field names, as every query; `names` maps them to columns.
    fn new(names: &Names, user_fields: &[FieldDef], session_fields: &[FieldDef]) -> FieldSql {
        let columns =
            |fields: &[FieldDef], prefix: &str| -> String { fields.iter().map(|f| format!(r#", {prefix}"{}""#, f.name)).collect() };
        let marks = |n: usize| ", ?".repeat(n);
        let insert_user = format!(
            r#"insert into "user" ("id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt"{}) values (?, ?, ?, ?, ?, ?, ?{})"#,
            columns(user_fields, ""),
            marks(user_fields.len())
        );
        let insert_session = format!(
            r#"insert into "session" ("id", "expiresAt", "token", "createdAt", "updatedAt", "ipAddress", "userAgent", "userId"{}) values (?, ?, ?, ?, ?, ?, ?, ?{})"#,
            columns(session_fields, ""),
            marks(session_fields.len())
        );
        let user_extras: String = user_fields.iter().map(|f| format!(r#", u."{0}" as "u_{0}""#, f.name)).collect();
        let session_extras: String = session_fields.iter().map(|f| format!(r#", s."{0}" as "{0}""#, f.name)).collect();
        let find_session = format!(
            r#"select s."id" as "id", s."expiresAt" as "expiresAt", s."token" as "token", s."createdAt" as "createdAt", s."updatedAt" as "updatedAt",
                      s."ipAddress" as "ipAddress", s."userAgent" as "userAgent", s."userId" as "userId"{session_extras},
                      u."id" as "u_id", u."name" as "u_name", u."email" as "u_email", u."emailVerified" as "u_emailVerified",
                      u."image" as "u_image", u."createdAt" as "u_createdAt", u."updatedAt" as "u_updatedAt"{user_extras}
               from "session" s join "user" u on u."id" = s."userId" where s."token" = ? limit 1"#
        );
        FieldSql {
            insert_user: names.dynamic(&insert_user),
            insert_session: names.dynamic(&insert_session),
            find_session: names.dynamic(&find_session),
        }
    }
}

/// An additional field's stored value (returned or hidden), `null` when absent.
fn field_value<'a>(extra: &'a Map<String, Value>, hidden: &'a Map<String, Value>, name: &str) -> &'a Value {
    extra.get(name).or_else(|| hidden.get(name)).unwrap_or(&Value::Null)
}

/// The additional fields an update sets, and their `, "column" = ?` assignments (bound in
/// the same order).
fn field_assignments<'a>(defs: &'a [FieldDef], fields: &Map<String, Value>) -> (Vec<&'a FieldDef>, String) {
    let set: Vec<&FieldDef> = defs.iter().filter(|f| fields.contains_key(&f.name)).collect();
    let sql = set.iter().map(|f| format!(r#", "{}" = ?"#, f.name)).collect();
    (set, sql)
}

/// Splits additional-field values into the returned ones and the `returned: false` ones.
pub fn split_fields(fields: &[FieldDef], mut values: Map<String, Value>) -> (Map<String, Value>, Map<String, Value>) {
    let mut extra = Map::new();
    let mut hidden = Map::new();
    for f in fields {
        let value = values.remove(&f.name).unwrap_or(Value::Null);
        if f.returned {
            extra.insert(f.name.clone(), value)
        } else {
            hidden.insert(f.name.clone(), value)
        };
    }
    (extra, hidden)
}

/// Inserts a user row (inside a transaction or not).
macro_rules! insert_user {
    ($self:expr, $executor:expr, $user:expr) => {{
        let user: &User = $user;
        let mut query = sqlx::query($self.field_sql.insert_user.clone())
            .bind(&user.id)
            .bind(&user.name)
            .bind(&user.email)
            .bind(user.email_verified)
            .bind(&user.image)
            .bind(Stamp(user.created_at))
            .bind(Stamp(user.updated_at));
        for f in &$self.store.user_fields {
            query = query.bind(DbValue::from_json(&f.field_type, field_value(&user.extra, &user.hidden, &f.name)));
        }
        query.execute($executor).await
    }};
}

macro_rules! insert_credential_account {
    ($names:expr, $executor:expr, $account:expr) => {{
        let account: &CredentialAccount = $account;
        sqlx::query(sql!($names, r#"insert into "account" ("id", "accountId", "providerId", "userId", "password", "createdAt", "updatedAt") values (?, ?, ?, ?, ?, ?, ?)"#))
            .bind(&account.id)
            .bind(&account.user_id)
            .bind(CREDENTIAL_PROVIDER)
            .bind(&account.user_id)
            .bind(&account.password_hash)
            .bind(Stamp(account.created_at))
            .bind(Stamp(account.created_at))
            .execute($executor)
            .await
    }};
}

macro_rules! insert_oauth_account {
    ($names:expr, $executor:expr, $account:expr) => {{
        let account: &OAuthAccount = $account;
        let t = &account.tokens;
        sqlx::query(sql!(
            $names,
            r#"insert into "account" ("id", "accountId", "providerId", "userId", "accessToken", "refreshToken", "idToken",
               "accessTokenExpiresAt", "refreshTokenExpiresAt", "scope", "createdAt", "updatedAt") values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"#
        ))
        .bind(&account.id)
        .bind(&account.account_id)
        .bind(&account.provider_id)
        .bind(&account.user_id)
        .bind(&t.access_token)
        .bind(&t.refresh_token)
        .bind(&t.id_token)
        .bind(t.access_token_expires_at.map(Stamp))
        .bind(t.refresh_token_expires_at.map(Stamp))
        .bind(&t.scope)
        .bind(Stamp(account.created_at))
        .bind(Stamp(account.updated_at))
        .execute($executor)
        .await
    }};
}

/// The newest `(value, expiresAt)` stored for a verification identifier.
macro_rules! newest_verification {
    ($names:expr, $executor:expr, $identifier:expr) => {{
        let row = sqlx::query(sql!(
            $names,
            r#"select "value", "expiresAt" from "verification" where "identifier" = ? order by "createdAt" desc limit 1"#
        ))
        .bind($identifier)
        .fetch_optional($executor)
        .await?;
        row.map(|r| Ok::<_, DbError>((r.text("value")?, r.date("expiresAt")?))).transpose()?
    }};
}

/// A transaction that takes SQLite's write lock at once (Postgres and MySQL lock rows as they go).
macro_rules! begin_write {
    ($p:expr, $d:expr) => {
        if $d == Dialect::Sqlite { $p.begin_with("BEGIN IMMEDIATE").await? } else { $p.begin().await? }
    };
}

/// The statements the database behind `$conn` still needs, from its catalog (in the schema the
/// connection uses).
macro_rules! plan_on {
    ($d:expr, $conn:expr, $schema:expr) => {
        async {
            let (columns_sql, indexes_sql) = catalog_queries($d);
            let mut existing = schema::Existing::default();
            for row in sqlx::query(columns_sql).fetch_all(&mut *$conn).await? {
                existing.tables.entry(row.text("t")?).or_default().push(row.text("c")?);
            }
            for row in sqlx::query(indexes_sql).fetch_all(&mut *$conn).await? {
                existing.indexes.insert(row.text("i")?);
            }
            schema::plan($d, &existing, $schema).map_err(|e| DbError::Migration(e.0))
        }
    };
}

impl Database {
    pub fn new(config: DatabaseConfig, store: StoreOptions, logger: Logger) -> Self {
        let names = Names::new(config.dialect, &store.renames, &store.user_fields, &store.session_fields, &store.plugin_tables);
        let field_sql = FieldSql::new(&names, &store.user_fields, &store.session_fields);
        Database { config, store, names, field_sql, logger, pool: OnceCell::new() }
    }

    /// The core tables upstream leaves out when secondary storage holds their rows.
    fn omitted_tables(&self) -> Vec<&'static str> {
        let mut omit = Vec::new();
        if !self.sessions_in_database() {
            omit.push("session");
        }
        if !self.verifications_in_database() {
            omit.push("verification");
        }
        omit
    }

    fn schema_options<'a>(&'a self, omit: &'a [&'a str]) -> schema::SchemaOptions<'a> {
        schema::SchemaOptions {
            rate_limit: self.store.rate_limit_table,
            omit,
            user_fields: &self.store.user_fields,
            session_fields: &self.store.session_fields,
            names: Some(&self.names),
            plugin_tables: &self.store.plugin_tables,
        }
    }

    pub fn sessions_in_database(&self) -> bool {
        self.store.secondary.is_none() || self.store.sessions_in_database
    }

    pub fn verifications_in_database(&self) -> bool {
        self.store.secondary.is_none() || self.store.verifications_in_database
    }

    pub fn dialect(&self) -> Dialect {
        self.config.dialect
    }

    async fn pool(&self) -> Result<&Pool, DbError> {
        self.pool
            .get_or_try_init(|| async {
                let pool = self.open().await?;
                if self.store.auto_migrate {
                    let applied = apply_migrations(&pool, &self.schema_options(&self.omitted_tables())).await?;
                    if !applied.is_empty() {
                        self.logger.info(&format!("migrated the database: {} statement(s)", applied.len()));
                    }
                }
                Ok::<_, DbError>(pool)
            })
            .await
    }

    async fn open(&self) -> Result<Pool, DbError> {
        let DatabaseConfig { dialect, url, implicit, pool: settings } = &self.config;
        let acquire = Duration::from_millis(settings.acquire_timeout_ms);
        let idle = (settings.idle_timeout_ms > 0).then(|| Duration::from_millis(settings.idle_timeout_ms));
        match dialect {
            Dialect::Sqlite => {
                if *implicit {
                    self.logger.warn(&format!("no `database` option: using the SQLite file {DEFAULT_SQLITE_FILE} (created if missing)"));
                }
                let in_memory = url.contains(":memory:") || url.contains("mode=memory");
                let connect =
                    SqliteConnectOptions::from_str(url)?.create_if_missing(true).foreign_keys(true).busy_timeout(Duration::from_secs(5));
                let connect = if in_memory { connect } else { connect.journal_mode(SqliteJournalMode::Wal) };
                // In-memory: every connection would be a new empty database, so keep exactly one forever.
                let pool = if in_memory {
                    SqlitePoolOptions::new().min_connections(1).max_connections(1).idle_timeout(None).max_lifetime(None)
                } else {
                    SqlitePoolOptions::new().max_connections(settings.max.min(8)).acquire_timeout(acquire).idle_timeout(idle)
                };
                Ok(Pool::Sqlite(pool.connect_with(connect).await?))
            }
            // Lazy: a server that is down at start-up is retried on each request until it answers.
            Dialect::Postgres => Ok(Pool::Postgres(
                PgPoolOptions::new()
                    .max_connections(settings.max)
                    .acquire_timeout(acquire)
                    .idle_timeout(idle)
                    .connect_lazy_with(PgConnectOptions::from_str(url)?.application_name("better-auth-rs")),
            )),
            Dialect::Mysql => Ok(Pool::Mysql(
                MySqlPoolOptions::new()
                    .max_connections(settings.max)
                    .acquire_timeout(acquire)
                    .idle_timeout(idle)
                    .connect_lazy_with(MySqlConnectOptions::from_str(url)?),
            )),
        }
    }

    /// The statements the database still needs (nothing is changed).
    pub async fn pending_migrations(&self) -> Result<Vec<String>, DbError> {
        let pool = self.open_for_cli().await?;
        on_pool!(pool, |p, d| {
            let mut conn = p.acquire().await?;
            plan_on!(d, conn, &self.schema_options(&self.omitted_tables())).await
        })
    }

    /// Applies the pending statements and returns them.
    pub async fn migrate(&self) -> Result<Vec<String>, DbError> {
        apply_migrations(self.open_for_cli().await?, &self.schema_options(&self.omitted_tables())).await
    }

    async fn open_for_cli(&self) -> Result<&Pool, DbError> {
        self.pool.get_or_try_init(|| self.open()).await
    }

    // ---- users and credentials ----

    pub async fn find_user_by_email(&self, email: &str) -> Result<Option<User>, DbError> {
        on_pool!(self.pool().await?, |p, d| {
            let row =
                sqlx::query(sql!(self.names, r#"select * from "user" where "email" = ? limit 1"#)).bind(email).fetch_optional(p).await?;
            row.map(|r| user_from_row(&r, "", &self.store.user_fields)).transpose()
        })
    }

    /// Whether any credential account holds a password hash that is not argon2 (upstream's
    /// scrypt, typically): sign-ins then pay for both formats, so timing tells no user apart.
    pub async fn holds_non_argon2_passwords(&self) -> Result<bool, DbError> {
        on_pool!(self.pool().await?, |p, d| {
            let row = sqlx::query(sql!(
                self.names,
                r#"select a."id" from "account" a where a."providerId" = ? and a."password" is not null and a."password" not like ? limit 1"#
            ))
            .bind(CREDENTIAL_PROVIDER)
            .bind("$argon2%")
            .fetch_optional(p)
            .await?;
            Ok(row.is_some())
        })
    }

    /// The user whose `field` (a user field: core or additional, e.g. `username`) equals
    /// `value`, with the password of their credential account (`accountId = userId`).
    pub async fn find_user_with_password_by(&self, field: &str, value: &str) -> Result<Option<(User, Option<String>)>, DbError> {
        let query = self.names.dynamic(&format!(
            r#"select u.*, a."password" as "a_password" from "user" u
               left join "account" a on a."userId" = u."id" and a."providerId" = ? and a."accountId" = u."id"
               where u."{field}" = ? limit 1"#
        ));
        on_pool!(self.pool().await?, |p, d| {
            let row = sqlx::query(query).bind(CREDENTIAL_PROVIDER).bind(value).fetch_optional(p).await?;
            match row {
                None => Ok(None),
                Some(r) => Ok(Some((user_from_row(&r, "", &self.store.user_fields)?, r.opt_text("a_password")?))),
            }
        })
    }

    /// The user whose `field` equals `value` (`None`: no such user).
    pub async fn find_user_by(&self, field: &str, value: &str) -> Result<Option<User>, DbError> {
        let query = self.names.dynamic(&format!(r#"select * from "user" where "{field}" = ? limit 1"#));
        on_pool!(self.pool().await?, |p, d| {
            let row = sqlx::query(query).bind(value).fetch_optional(p).await?;
            row.map(|r| user_from_row(&r, "", &self.store.user_fields)).transpose()
        })
    }

    /// Creates the user and their credential account atomically. A second sign-up with the
    /// same email loses on the unique index: see [`DbError::is_unique_violation`].
    /// (`account: None`: a `databaseHooks.account.create.before` refused it.)
    pub async fn create_user_with_credential(&self, user: &User, account: Option<&CredentialAccount>) -> Result<(), DbError> {
        on_pool!(self.pool().await?, |p, d| {
            let mut tx = p.begin().await?;
            insert_user!(self, &mut *tx, user)?;
            if let Some(account) = account {
                insert_credential_account!(self.names, &mut *tx, account)?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Updates name and/or image (`Some(None)` clears the image); `None` if the user is gone.
    /// `fields`: additional fields to set (checked against their definitions).
    pub async fn update_user(
        &self,
        user_id: &str,
        name: Option<&str>,
        image: Option<Option<&str>>,
        fields: &Map<String, Value>,
        now: Millis,
    ) -> Result<Option<User>, DbError> {
        let (defs, sets) = field_assignments(&self.store.user_fields, fields);
        let update = self.names.dynamic(&format!(
            r#"update "user" set "name" = coalesce(?, "name"), "image" = case when ? then ? else "image" end, "updatedAt" = ?{sets} where "id" = ?"#
        ));
        let done = on_pool!(self.pool().await?, |p, d| {
            let mut query = sqlx::query(update).bind(name).bind(image.is_some()).bind(image.flatten()).bind(Stamp(now));
            for f in &defs {
                query = query.bind(DbValue::from_json(&f.field_type, &fields[&f.name]));
            }
            query.bind(user_id).execute(p).await?.rows_affected()
        });
        if done == 0 {
            return Ok(None);
        }
        self.user_changed(user_id).await
    }

    /// The user's credential account: `(account id, password hash)`.
    pub async fn find_credential_account(&self, user_id: &str) -> Result<Option<(String, Option<String>)>, DbError> {
        on_pool!(self.pool().await?, |p, d| {
            let row = sqlx::query(sql!(
                self.names,
                r#"select "id", "password" from "account" where "userId" = ? and "providerId" = ? and "accountId" = ? limit 1"#
            ))
            .bind(user_id)
            .bind(CREDENTIAL_PROVIDER)
            .bind(user_id)
            .fetch_optional(p)
            .await?;
            row.map(|r| Ok((r.text("id")?, r.opt_text("password")?))).transpose()
        })
    }

    pub async fn set_account_password(&self, account_id: &str, hash: &str, now: Millis) -> Result<(), DbError> {
        on_pool!(self.pool().await?, |p, d| {
            sqlx::query(sql!(self.names, r#"update "account" set "password" = ?, "updatedAt" = ? where "id" = ?"#))
                .bind(hash)
                .bind(Stamp(now))
                .bind(account_id)
                .execute(p)
                .await?;
        });
        Ok(())
    }

    pub async fn create_credential_account(&self, account: &CredentialAccount) -> Result<(), DbError> {
        on_pool!(self.pool().await?, |p, d| {
            insert_credential_account!(self.names, p, account)?;
        });
        Ok(())
    }

    /// Replaces the password and, when `revoke_sessions`, deletes every session of the user,
    /// in one transaction (upstream's change-password).
    pub async fn change_password(
        &self,
        user_id: &str,
        account_id: &str,
        hash: &str,
        revoke_sessions: bool,
        now: Millis,
    ) -> Result<(), DbError> {
        on_pool!(self.pool().await?, |p, d| {
            let mut tx = p.begin().await?;
            if revoke_sessions && self.sessions_in_database() {
                sqlx::query(sql!(self.names, r#"delete from "session" where "userId" = ?"#)).bind(user_id).execute(&mut *tx).await?;
            }
            sqlx::query(sql!(self.names, r#"update "account" set "password" = ?, "updatedAt" = ? where "id" = ?"#))
                .bind(hash)
                .bind(Stamp(now))
                .bind(account_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        if revoke_sessions {
            self.sessions_revoked(user_id).await?;
        }
        Ok(())
    }

    /// Creates a user with the account a provider vouches for, atomically.
    pub async fn create_user_with_oauth_account(&self, user: &User, account: Option<&OAuthAccount>) -> Result<(), DbError> {
        on_pool!(self.pool().await?, |p, d| {
            let mut tx = p.begin().await?;
            insert_user!(self, &mut *tx, user)?;
            if let Some(account) = account {
                insert_oauth_account!(self.names, &mut *tx, account)?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    pub async fn link_oauth_account(&self, account: &OAuthAccount) -> Result<(), DbError> {
        on_pool!(self.pool().await?, |p, d| {
            insert_oauth_account!(self.names, p, account)?;
        });
        Ok(())
    }

    /// The accounts with this provider key: `(row id, userId)` (upstream refuses more than one).
    pub async fn find_oauth_accounts(&self, provider_id: &str, account_id: &str) -> Result<Vec<(String, String)>, DbError> {
        on_pool!(self.pool().await?, |p, d| {
            let rows =
                sqlx::query(sql!(self.names, r#"select "id", "userId" from "account" where "providerId" = ? and "accountId" = ? limit 2"#))
                    .bind(provider_id)
                    .bind(account_id)
                    .fetch_all(p)
                    .await?;
            rows.iter().map(|r| Ok((r.text("id")?, r.text("userId")?))).collect()
        })
    }

    /// A sign-in's fresh tokens (only those the provider sent; `scope` stays, as upstream).
    /// `scope: Some` replaces the stored scopes (a link merges them first).
    pub async fn update_oauth_tokens(
        &self,
        id: &str,
        provider_id: &str,
        tokens: &OAuthTokens,
        scope: Option<&str>,
        now: Millis,
    ) -> Result<bool, DbError> {
        let done = on_pool!(self.pool().await?, |p, d| {
            sqlx::query(sql!(
                self.names,
                r#"update "account" set "providerId" = ?, "accessToken" = coalesce(?, "accessToken"), "refreshToken" = coalesce(?, "refreshToken"),
                   "idToken" = coalesce(?, "idToken"), "accessTokenExpiresAt" = coalesce(?, "accessTokenExpiresAt"),
                   "refreshTokenExpiresAt" = coalesce(?, "refreshTokenExpiresAt"), "scope" = coalesce(?, "scope"), "updatedAt" = ? where "id" = ?"#
            ))
            .bind(provider_id)
            .bind(&tokens.access_token)
            .bind(&tokens.refresh_token)
            .bind(&tokens.id_token)
            .bind(tokens.access_token_expires_at.map(Stamp))
            .bind(tokens.refresh_token_expires_at.map(Stamp))
            .bind(scope)
            .bind(Stamp(now))
            .bind(id)
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(done > 0)
    }

    pub async fn list_accounts(&self, user_id: &str) -> Result<Vec<AccountSummary>, DbError> {
        on_pool!(self.pool().await?, |p, d| {
            let rows = sqlx::query(sql!(
                self.names,
                r#"select "id", "accountId", "providerId", "userId", "scope", "createdAt", "updatedAt" from "account" where "userId" = ?"#
            ))
            .bind(user_id)
            .fetch_all(p)
            .await?;
            rows.iter().map(account_summary_from_row).collect()
        })
    }

    /// A user's accounts as whole rows (tokens and password included), as hooks see them.
    pub async fn account_rows(&self, user_id: &str) -> Result<Vec<Value>, DbError> {
        on_pool!(self.pool().await?, |p, d| {
            let rows = sqlx::query(sql!(self.names, r#"select * from "account" where "userId" = ?"#)).bind(user_id).fetch_all(p).await?;
            rows.iter()
                .map(|r| {
                    let date = |c: &str| -> Result<Value, DbError> {
                        Ok(r.opt_date(c)?.map(|ms| Value::String(time_util::to_iso(ms))).unwrap_or(Value::Null))
                    };
                    let text = |c: &str| -> Result<Value, DbError> { Ok(r.opt_text(c)?.map(Value::String).unwrap_or(Value::Null)) };
                    Ok(serde_json::json!({
                        "accountId": text("accountId")?,
                        "providerId": text("providerId")?,
                        "userId": text("userId")?,
                        "accessToken": text("accessToken")?,
                        "refreshToken": text("refreshToken")?,
                        "idToken": text("idToken")?,
                        "accessTokenExpiresAt": date("accessTokenExpiresAt")?,
                        "refreshTokenExpiresAt": date("refreshTokenExpiresAt")?,
                        "scope": text("scope")?,
                        "password": text("password")?,
                        "createdAt": date("createdAt")?,
                        "updatedAt": date("updatedAt")?,
                        "id": text("id")?,
                    }))
                })
                .collect()
        })
    }

    pub async fn delete_account(&self, account_id: &str) -> Result<(), DbError> {
        on_pool!(self.pool().await?, |p, d| {
            sqlx::query(sql!(self.names, r#"delete from "account" where "id" = ?"#)).bind(account_id).execute(p).await?;
        });
        Ok(())
    }

    pub async fn find_user_by_id(&self, id: &str) -> Result<Option<User>, DbError> {
        on_pool!(self.pool().await?, |p, d| {
            let row = sqlx::query(sql!(self.names, r#"select * from "user" where "id" = ? limit 1"#)).bind(id).fetch_optional(p).await?;
            row.map(|r| user_from_row(&r, "", &self.store.user_fields)).transpose()
        })
    }

    /// Sets the user's email and whether it is verified; the updated user, or `None` if gone.
    pub async fn update_user_email(&self, user_id: &str, email: &str, verified: bool, now: Millis) -> Result<Option<User>, DbError> {
        on_pool!(self.pool().await?, |p, d| {
            sqlx::query(sql!(self.names, r#"update "user" set "email" = ?, "emailVerified" = ?, "updatedAt" = ? where "id" = ?"#))
                .bind(email)
                .bind(verified)
                .bind(Stamp(now))
                .bind(user_id)
                .execute(p)
                .await?;
        });
        self.user_changed(user_id).await
    }

    /// As [`Database::update_user_email`], only while the user's email is still `from`: of
    /// concurrent uses of one change-email link, one wins. `Ok(None)`: it was already changed
    /// (or the user is gone).
    pub async fn change_user_email(
        &self,
        user_id: &str,
        from: &str,
        to: &str,
        verified: bool,
        now: Millis,
    ) -> Result<Option<User>, DbError> {
        let changed = on_pool!(self.pool().await?, |p, d| {
            sqlx::query(sql!(
                self.names,
                r#"update "user" set "email" = ?, "emailVerified" = ?, "updatedAt" = ? where "id" = ? and lower("email") = ?"#
            ))
            .bind(to)
            .bind(verified)
            .bind(Stamp(now))
            .bind(user_id)
            .bind(from.to_lowercase())
            .execute(p)
            .await?
            .rows_affected()
        });
        if changed != 1 {
            return Ok(None);
        }
        self.user_changed(user_id).await
    }

    /// Marks the user's email verified; the updated user, or `None` if gone.
    pub async fn set_email_verified(&self, user_id: &str, now: Millis) -> Result<Option<User>, DbError> {
        on_pool!(self.pool().await?, |p, d| {
            sqlx::query(sql!(self.names, r#"update "user" set "emailVerified" = ?, "updatedAt" = ? where "id" = ?"#))
                .bind(true)
                .bind(Stamp(now))
                .bind(user_id)
                .execute(p)
                .await?;
        });
        self.user_changed(user_id).await
    }

    // ---- verification values (reset tokens, ...) ----

    pub(super) async fn db_create_verification(&self, identifier: &str, value: &str, expires_at: Millis) -> Result<(), DbError> {
        let now = time_util::now_ms();
        on_pool!(self.pool().await?, |p, d| {
            sqlx::query(sql!(
                self.names,
                r#"insert into "verification" ("id", "identifier", "value", "expiresAt", "createdAt", "updatedAt") values (?, ?, ?, ?, ?, ?)"#
            ))
            .bind(crate::crypto::generate_id())
            .bind(identifier)
            .bind(value)
            .bind(Stamp(expires_at))
            .bind(Stamp(now))
            .bind(Stamp(now))
            .execute(p)
            .await?;
        });
        Ok(())
    }

    /// The newest verification row of an identifier, whole, as hooks see it.
    pub(super) async fn db_verification_row(&self, identifier: &str) -> Result<Option<Value>, DbError> {
        on_pool!(self.pool().await?, |p, d| {
            let row =
                sqlx::query(sql!(self.names, r#"select * from "verification" where "identifier" = ? order by "createdAt" desc limit 1"#))
                    .bind(identifier)
                    .fetch_optional(p)
                    .await?;
            row.map(|r| {
                let iso = |ms: Millis| Value::String(time_util::to_iso(ms));
                Ok(serde_json::json!({
                    "identifier": r.text("identifier")?,
                    "value": r.text("value")?,
                    "expiresAt": iso(r.date("expiresAt")?),
                    "createdAt": r.opt_date("createdAt")?.map(iso).unwrap_or(Value::Null),
                    "updatedAt": r.opt_date("updatedAt")?.map(iso).unwrap_or(Value::Null),
                    "id": r.text("id")?,
                }))
            })
            .transpose()
        })
    }

    /// The newest `(value, expiresAt)` for an identifier. Like upstream, each lookup also
    /// deletes expired rows.
    pub(super) async fn db_find_verification(&self, identifier: &str) -> Result<Option<(String, Millis)>, DbError> {
        on_pool!(self.pool().await?, |p, d| {
            sqlx::query(sql!(self.names, r#"delete from "verification" where "expiresAt" < ?"#))
                .bind(Stamp(time_util::now_ms()))
                .execute(p)
                .await?;
            Ok(newest_verification!(self.names, p, identifier))
        })
    }

    /// Takes a single-use value: deletes every row of the identifier and returns the newest
    /// `(value, expiresAt)` it had, in one transaction. Of concurrent callers only the one whose
    /// delete removed the rows gets it (the others' deletes wait for it, then find nothing).
    pub(super) async fn db_consume_verification(&self, identifier: &str) -> Result<Option<(String, Millis)>, DbError> {
        on_pool!(self.pool().await?, |p, d| {
            let mut tx = begin_write!(p, d);
            let found = newest_verification!(self.names, &mut *tx, identifier);
            let deleted = sqlx::query(sql!(self.names, r#"delete from "verification" where "identifier" = ?"#))
                .bind(identifier)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            Ok(found.filter(|_| deleted > 0))
        })
    }

    /// Deletes the user with their sessions and accounts.
    pub async fn delete_user(&self, user_id: &str) -> Result<(), DbError> {
        on_pool!(self.pool().await?, |p, d| {
            let mut tx = p.begin().await?;
            if self.sessions_in_database() {
                sqlx::query(sql!(self.names, r#"delete from "session" where "userId" = ?"#)).bind(user_id).execute(&mut *tx).await?;
            }
            sqlx::query(sql!(self.names, r#"delete from "account" where "userId" = ?"#)).bind(user_id).execute(&mut *tx).await?;
            sqlx::query(sql!(self.names, r#"delete from "user" where "id" = ?"#)).bind(user_id).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        self.sessions_revoked(user_id).await
    }

    /// Resets a password with a single-use token, atomically: the token is consumed (only
    /// the first caller wins, and only if unexpired), the credential password is set (the
    /// account created if missing), and with `revoke_sessions` every session is deleted.
    /// `Ok(false)`: the token was missing, expired or already used.
    /// `identifier: None`: the token was already taken from secondary storage.
    pub(super) async fn db_reset_password_with_token(
        &self,
        identifier: Option<&str>,
        user_id: &str,
        hash: &str,
        revoke_sessions: bool,
        now: Millis,
    ) -> Result<bool, DbError> {
        on_pool!(self.pool().await?, |p, d| {
            let mut tx = begin_write!(p, d);
            if let Some(identifier) = identifier {
                let newest = newest_verification!(self.names, &mut *tx, identifier);
                let deleted = sqlx::query(sql!(self.names, r#"delete from "verification" where "identifier" = ?"#))
                    .bind(identifier)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                let valid = deleted > 0 && newest.is_some_and(|(value, expires_at)| expires_at >= now && value == user_id);
                if !valid {
                    tx.commit().await?;
                    return Ok(false);
                }
            }
            let updated = sqlx::query(sql!(
                self.names,
                r#"update "account" set "password" = ?, "updatedAt" = ? where "userId" = ? and "providerId" = ? and "accountId" = ?"#
            ))
            .bind(hash)
            .bind(Stamp(now))
            .bind(user_id)
            .bind(CREDENTIAL_PROVIDER)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
            if updated.rows_affected() == 0 {
                let account = CredentialAccount {
                    id: crate::crypto::generate_id(),
                    user_id: user_id.to_owned(),
                    password_hash: hash.to_owned(),
                    created_at: now,
                };
                insert_credential_account!(self.names, &mut *tx, &account)?;
            }
            if revoke_sessions && self.sessions_in_database() {
                sqlx::query(sql!(self.names, r#"delete from "session" where "userId" = ?"#)).bind(user_id).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(true)
        })
    }

    // ---- sessions ----

    pub(super) async fn db_create_session(&self, session: &Session) -> Result<(), DbError> {
        on_pool!(self.pool().await?, |p, d| {
            let mut query = sqlx::query(self.field_sql.insert_session.clone())
                .bind(&session.id)
                .bind(Stamp(session.expires_at))
                .bind(&session.token)
                .bind(Stamp(session.created_at))
                .bind(Stamp(session.updated_at))
                .bind(&session.ip_address)
                .bind(&session.user_agent)
                .bind(&session.user_id);
            for f in &self.store.session_fields {
                query = query.bind(DbValue::from_json(&f.field_type, field_value(&session.extra, &session.hidden, &f.name)));
            }
            query.execute(p).await?;
        });
        Ok(())
    }

    /// The session with this token and its user, in one query.
    pub(super) async fn db_find_session(&self, token: &str) -> Result<Option<(Session, User)>, DbError> {
        on_pool!(self.pool().await?, |p, d| {
            let row = sqlx::query(self.field_sql.find_session.clone()).bind(token).fetch_optional(p).await?;
            match row {
                None => Ok(None),
                Some(r) => Ok(Some((session_from_row(&r, &self.store.session_fields)?, user_from_row(&r, "u_", &self.store.user_fields)?))),
            }
        })
    }

    /// Sets session additional fields; `false` when the session no longer exists.
    pub(super) async fn db_update_session_fields(&self, token: &str, fields: &Map<String, Value>, now: Millis) -> Result<bool, DbError> {
        let (defs, sets) = field_assignments(&self.store.session_fields, fields);
        let update = self.names.dynamic(&format!(r#"update "session" set "updatedAt" = ?{sets} where "token" = ?"#));
        let done = on_pool!(self.pool().await?, |p, d| {
            let mut query = sqlx::query(update).bind(Stamp(now));
            for f in &defs {
                query = query.bind(DbValue::from_json(&f.field_type, &fields[&f.name]));
            }
            query.bind(token).execute(p).await?.rows_affected()
        });
        Ok(done > 0)
    }

    /// Extends a session; `false` when it no longer exists.
    pub(super) async fn db_refresh_session(&self, token: &str, expires_at: Millis, updated_at: Millis) -> Result<bool, DbError> {
        let done = on_pool!(self.pool().await?, |p, d| {
            sqlx::query(sql!(self.names, r#"update "session" set "expiresAt" = ?, "updatedAt" = ? where "token" = ?"#))
                .bind(Stamp(expires_at))
                .bind(Stamp(updated_at))
                .bind(token)
                .execute(p)
                .await?
                .rows_affected()
        });
        Ok(done > 0)
    }

    pub(super) async fn db_list_sessions(&self, user_id: &str) -> Result<Vec<Session>, DbError> {
        on_pool!(self.pool().await?, |p, d| {
            let rows = sqlx::query(sql!(self.names, r#"select * from "session" where "userId" = ?"#)).bind(user_id).fetch_all(p).await?;
            rows.iter().map(|r| session_from_row(r, &self.store.session_fields)).collect()
        })
    }

    /// Ends the session only if it belongs to `user_id`.
    pub(super) async fn db_delete_user_session(&self, token: &str, user_id: &str) -> Result<(), DbError> {
        let now = Stamp(time_util::now_ms());
        on_pool!(self.pool().await?, |p, d| {
            let query = if self.store.preserve_sessions {
                sqlx::query(sql!(self.names, r#"update "session" set "expiresAt" = ? where "token" = ? and "userId" = ?"#)).bind(now)
            } else {
                sqlx::query(sql!(self.names, r#"delete from "session" where "token" = ? and "userId" = ?"#))
            };
            query.bind(token).bind(user_id).execute(p).await?;
        });
        Ok(())
    }

    /// Ends all of a user's sessions, except the one with token `keep`.
    pub(super) async fn db_delete_user_sessions(&self, user_id: &str, keep: Option<&str>) -> Result<(), DbError> {
        let now = Stamp(time_util::now_ms());
        on_pool!(self.pool().await?, |p, d| {
            let query = if self.store.preserve_sessions {
                sqlx::query(sql!(self.names, r#"update "session" set "expiresAt" = ? where "userId" = ? and "token" != ?"#)).bind(now)
            } else {
                sqlx::query(sql!(self.names, r#"delete from "session" where "userId" = ? and "token" != ?"#))
            };
            query.bind(user_id).bind(keep.unwrap_or("")).execute(p).await?;
        });
        Ok(())
    }

    /// Ends the session (with `preserveSessionInDatabase`, its row stays, expired now).
    pub(super) async fn db_delete_session(&self, token: &str) -> Result<(), DbError> {
        let now = Stamp(time_util::now_ms());
        on_pool!(self.pool().await?, |p, d| {
            let query = if self.store.preserve_sessions {
                sqlx::query(sql!(self.names, r#"update "session" set "expiresAt" = ? where "token" = ?"#)).bind(now)
            } else {
                sqlx::query(sql!(self.names, r#"delete from "session" where "token" = ?"#))
            };
            query.bind(token).execute(p).await?;
        });
        Ok(())
    }

    /// One request against a rate-limit bucket (upstream's sliding window,
    /// `packages/better-auth/src/api/rate-limiter/index.ts`), in one write transaction so
    /// concurrent instances count every request. Returns `Err(retry_after_seconds)` when the
    /// request is refused.
    pub async fn consume_rate_limit(&self, key: &str, window_ms: i64, max: i64, now: i64) -> Result<Result<(), i64>, DbError> {
        // InnoDB may pick concurrent first requests as deadlock victims; they are retried.
        let mut attempts = 0;
        loop {
            match self.consume_rate_limit_once(key, window_ms, max, now).await {
                Err(e) if e.is_retryable() && attempts < 5 => attempts += 1,
                other => return other,
            }
        }
    }

    async fn consume_rate_limit_once(&self, key: &str, window_ms: i64, max: i64, now: i64) -> Result<Result<(), i64>, DbError> {
        on_pool!(self.pool().await?, |p, d| {
            let mut conn = p.acquire().await?;
            // MySQL: one named lock per bucket serializes its requests (InnoDB row and gap locks
            // on a new key deadlock under concurrency). Postgres: the row is created if missing,
            // then locked. SQLite: the write transaction excludes everyone else.
            let bucket_lock = format!("barl:{}", &crate::crypto::sha256_hex(key)[..56]);
            if d == Dialect::Mysql {
                let got: Option<i64> = sqlx::query_scalar("select get_lock(?, 10)").bind(&bucket_lock).fetch_one(&mut *conn).await?;
                if got != Some(1) {
                    return Err(DbError::Migration("rate-limit bucket lock timed out".into()));
                }
            }
            let result = async {
                let mut tx = if d == Dialect::Sqlite { sqlx::Connection::begin_with(&mut *conn, "BEGIN IMMEDIATE").await? } else { sqlx::Connection::begin(&mut *conn).await? };
                if d == Dialect::Postgres {
                    let ensure = sql!(self.names, r#"insert into "rateLimit" ("id", "key", "count", "lastRequest") values (?, ?, 0, 0) on conflict ("key") do nothing"#);
                    sqlx::query(ensure).bind(crate::crypto::generate_id()).bind(key).execute(&mut *tx).await?;
                }
                let select = if d == Dialect::Postgres {
                    sql!(self.names, r#"select "count", "lastRequest" from "rateLimit" where "key" = ? for update"#)
                } else {
                    sql!(self.names, r#"select "count", "lastRequest" from "rateLimit" where "key" = ?"#)
                };
                let row = sqlx::query(select).bind(key).fetch_optional(&mut *tx).await?;
                let row = row.map(|r| Ok::<_, DbError>((r.int("count")?, r.int("lastRequest")?))).transpose()?;
                let (count, last, verdict) = match row {
                    Some((count, last)) if now - last < window_ms && count >= max => (count, last, Err((last + window_ms - now + 999) / 1000)),
                    Some((count, last)) if now - last < window_ms => (count + 1, now, Ok(())),
                    _ => (1, now, Ok(())),
                };
                if verdict.is_ok() {
                    let upsert = match d {
                        Dialect::Mysql => sql!(
                            self.names,
                            r#"insert into "rateLimit" ("id", "key", "count", "lastRequest") values (?, ?, ?, ?)
                               on duplicate key update "count" = values("count"), "lastRequest" = values("lastRequest")"#
                        ),
                        _ => sql!(
                            self.names,
                            r#"insert into "rateLimit" ("id", "key", "count", "lastRequest") values (?, ?, ?, ?)
                               on conflict ("key") do update set "count" = excluded."count", "lastRequest" = excluded."lastRequest""#
                        ),
                    };
                    sqlx::query(upsert)
                        .bind(crate::crypto::generate_id())
                        .bind(key)
                        .bind(count as i32)
                        .bind(last)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok::<_, DbError>(verdict)
            }
            .await;
            if d == Dialect::Mysql {
                sqlx::query("select release_lock(?)").bind(&bucket_lock).execute(&mut *conn).await?;
            }
            result
        })
    }
}

/// Additional fields read from a row: the returned ones and the `returned: false` ones.
type FieldValues = (Map<String, Value>, Map<String, Value>);

fn fields_from_row<R: RowRead>(row: &R, prefix: &str, fields: &[FieldDef]) -> Result<FieldValues, DbError> {
    let mut values = Map::new();
    for f in fields {
        values.insert(f.name.clone(), row.field(&format!("{prefix}{}", f.name), &f.field_type)?);
    }
    Ok(split_fields(fields, values))
}

fn user_from_row<R: RowRead>(row: &R, prefix: &str, fields: &[FieldDef]) -> Result<User, DbError> {
    let col = |name: &str| format!("{prefix}{name}");
    let (extra, hidden) = fields_from_row(row, prefix, fields)?;
    Ok(User {
        id: row.text(&col("id"))?,
        name: row.text(&col("name"))?,
        email: row.text(&col("email"))?,
        email_verified: row.flag(&col("emailVerified"))?,
        image: row.opt_text(&col("image"))?,
        created_at: row.date(&col("createdAt"))?,
        updated_at: row.date(&col("updatedAt"))?,
        extra,
        hidden,
    })
}

fn session_from_row<R: RowRead>(row: &R, fields: &[FieldDef]) -> Result<Session, DbError> {
    let (extra, hidden) = fields_from_row(row, "", fields)?;
    Ok(Session {
        id: row.text("id")?,
        expires_at: row.date("expiresAt")?,
        token: row.text("token")?,
        created_at: row.date("createdAt")?,
        updated_at: row.date("updatedAt")?,
        ip_address: row.opt_text("ipAddress")?,
        user_agent: row.opt_text("userAgent")?,
        user_id: row.text("userId")?,
        extra,
        hidden,
    })
}

fn account_summary_from_row<R: RowRead>(row: &R) -> Result<AccountSummary, DbError> {
    Ok(AccountSummary {
        account_id: row.text("accountId")?,
        provider_id: row.text("providerId")?,
        user_id: row.text("userId")?,
        created_at: row.date("createdAt")?,
        updated_at: row.date("updatedAt")?,
        id: row.text("id")?,
        scopes: row.opt_text("scope")?.unwrap_or_default().split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect(),
    })
}

/// `(table, column)` pairs as `t`, `c`; index names as `i`.
fn catalog_queries(dialect: Dialect) -> (&'static str, &'static str) {
    match dialect {
        Dialect::Sqlite => (
            r#"select m.name as "t", p.name as "c" from sqlite_master m join pragma_table_info(m.name) p
               where m.type = 'table' and m.name not like 'sqlite_%'"#,
            r#"select name as "i" from sqlite_master where type = 'index'"#,
        ),
        Dialect::Postgres => (
            r#"select table_name::text as "t", column_name::text as "c" from information_schema.columns where table_schema = current_schema()"#,
            r#"select indexname::text as "i" from pg_indexes where schemaname = current_schema()"#,
        ),
        Dialect::Mysql => (
            "select cast(table_name as char) as t, cast(column_name as char) as c from information_schema.columns where table_schema = database()",
            "select distinct cast(index_name as char) as i from information_schema.statistics where table_schema = database()",
        ),
    }
}

/// Plans and applies under a lock, so instances starting together migrate once: SQLite's write
/// transaction, a Postgres advisory lock, a MySQL named lock. (MySQL commits each DDL itself.)
async fn apply_migrations(pool: &Pool, schema: &schema::SchemaOptions<'_>) -> Result<Vec<String>, DbError> {
    on_pool!(pool, |p, d| {
        let mut conn = p.acquire().await?;
        match d {
            Dialect::Sqlite => sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await.map(drop)?,
            Dialect::Postgres => sqlx::query("BEGIN").execute(&mut *conn).await.map(drop)?,
            Dialect::Mysql => {}
        }
        let result = async {
            match d {
                Dialect::Postgres => sqlx::query("select pg_advisory_xact_lock(7265406352413)").execute(&mut *conn).await.map(drop)?,
                Dialect::Mysql => {
                    let got: Option<i64> =
                        sqlx::query_scalar("select get_lock('better_auth_rs_migrate', 60)").fetch_one(&mut *conn).await?;
                    if got != Some(1) {
                        return Err(DbError::Migration("another instance held the migration lock for 60 s".into()));
                    }
                }
                Dialect::Sqlite => {}
            }
            let statements = plan_on!(d, conn, schema).await?;
            for statement in &statements {
                sqlx::query(AssertSqlSafe(statement.as_str())).execute(&mut *conn).await?;
            }
            Ok::<_, DbError>(statements)
        }
        .await;
        let end = match (d, result.is_ok()) {
            (Dialect::Mysql, _) => "select release_lock('better_auth_rs_migrate')",
            (_, true) => "COMMIT",
            (_, false) => "ROLLBACK",
        };
        sqlx::query(end).execute(&mut *conn).await?;
        result
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::generate_id;

    fn memory_db() -> Database {
        Database::new(
            DatabaseConfig::sqlite("sqlite::memory:"),
            StoreOptions { auto_migrate: true, rate_limit_table: true, ..Default::default() },
            Logger::stderr(None),
        )
    }

    fn user(email: &str) -> User {
        let now = time_util::now_ms();
        User {
            id: generate_id(),
            name: "Ann".into(),
            email: email.into(),
            email_verified: false,
            image: None,
            created_at: now,
            updated_at: now,
            extra: Map::new(),
            hidden: Map::new(),
        }
    }

    #[tokio::test]
    async fn user_session_round_trip_and_unique_email() {
        let db = memory_db();
        let u = user("ann@example.com");
        let acct = CredentialAccount { id: generate_id(), user_id: u.id.clone(), password_hash: "h".into(), created_at: u.created_at };
        db.create_user_with_credential(&u, Some(&acct)).await.unwrap();
        let (found, pw) = db.find_user_with_password_by("email", "ann@example.com").await.unwrap().unwrap();
        assert_eq!(found, u);
        assert_eq!(pw.as_deref(), Some("h"));

        let dup = user("ann@example.com");
        let acct2 = CredentialAccount { id: generate_id(), user_id: dup.id.clone(), password_hash: "h".into(), created_at: 0 };
        let err = db.create_user_with_credential(&dup, Some(&acct2)).await.unwrap_err();
        assert!(err.is_unique_violation(), "{err}");

        let now = time_util::now_ms();
        let s = Session {
            id: generate_id(),
            expires_at: now + 1000,
            token: generate_id(),
            created_at: now,
            updated_at: now,
            ip_address: Some(String::new()),
            user_agent: None,
            user_id: u.id.clone(),
            extra: Map::new(),
            hidden: Map::new(),
        };
        db.create_session(&s).await.unwrap();
        let (fs, fu) = db.find_session(&s.token).await.unwrap().unwrap();
        assert_eq!((fs, fu), (s.clone(), u));
        assert!(db.refresh_session(&s.token, now + 5000, now).await.unwrap());
        db.delete_session(&s.token).await.unwrap();
        assert!(db.find_session(&s.token).await.unwrap().is_none());
        assert!(!db.refresh_session(&s.token, now, now).await.unwrap());
        assert!(db.pending_migrations().await.unwrap().is_empty());
    }
}
