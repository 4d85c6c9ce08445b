//! Storage: one store over sqlx. The pool opens (and, with `autoMigrate`, migrates) on first use.

pub mod models;
pub mod schema;

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow};
// Migration DDL is built from our own static schema, never from input.
use sqlx::{AssertSqlSafe, Row, Sqlite, Transaction};
use tokio::sync::OnceCell;

use crate::logger::Logger;
use crate::options::{DatabaseConfig, DEFAULT_SQLITE_FILE};
use crate::time_util::{self, Millis};
use models::{AccountSummary, CREDENTIAL_PROVIDER, CredentialAccount, Session, User};

#[derive(Debug)]
pub enum DbError {
    Sqlx(sqlx::Error),
    Migration(String),
    /// A stored value we cannot read (a date in no known format, ...).
    Corrupt(String),
}

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DbError::Sqlx(e) => write!(f, "database error: {e}"),
            DbError::Migration(m) => write!(f, "migration: {m}"),
            DbError::Corrupt(m) => write!(f, "unreadable row: {m}"),
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
}

pub struct Database {
    config: DatabaseConfig,
    auto_migrate: bool,
    /// `rateLimit.storage: "database"` adds upstream's rate-limit table, with this name.
    rate_limit_table: Option<String>,
    logger: Logger,
    pool: OnceCell<SqlitePool>,
}

impl Database {
    pub fn new(config: DatabaseConfig, auto_migrate: bool, rate_limit_table: Option<String>, logger: Logger) -> Self {
        Database { config, auto_migrate, rate_limit_table, logger, pool: OnceCell::new() }
    }

    async fn pool(&self) -> Result<&SqlitePool, DbError> {
        self.pool
            .get_or_try_init(|| async {
                let pool = self.open().await?;
                if self.auto_migrate {
                    let applied = apply_migrations(&pool, self.rate_limit_table.as_deref()).await?;
                    if !applied.is_empty() {
                        self.logger.info(&format!("migrated the database: {} statement(s)", applied.len()));
                    }
                }
                Ok::<_, DbError>(pool)
            })
            .await
    }

    async fn open(&self) -> Result<SqlitePool, DbError> {
        let DatabaseConfig::Sqlite { url, implicit } = &self.config;
        if *implicit {
            self.logger.warn(&format!(
                "no `database` option: using the SQLite file {DEFAULT_SQLITE_FILE} (created if missing)"
            ));
        }
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let connect = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let connect = if in_memory { connect } else { connect.journal_mode(SqliteJournalMode::Wal) };
        // In-memory: every connection would be a new empty database, so keep exactly one forever.
        let pool = if in_memory {
            SqlitePoolOptions::new().min_connections(1).max_connections(1).idle_timeout(None).max_lifetime(None)
        } else {
            SqlitePoolOptions::new().max_connections(8).acquire_timeout(Duration::from_secs(10))
        };
        Ok(pool.connect_with(connect).await?)
    }

    /// The statements the database still needs (nothing is changed).
    pub async fn pending_migrations(&self) -> Result<Vec<String>, DbError> {
        let pool = self.open_for_cli().await?;
        plan_for(pool, self.rate_limit_table.as_deref()).await
    }

    /// Applies the pending statements and returns them.
    pub async fn migrate(&self) -> Result<Vec<String>, DbError> {
        apply_migrations(self.open_for_cli().await?, self.rate_limit_table.as_deref()).await
    }

    async fn open_for_cli(&self) -> Result<&SqlitePool, DbError> {
        self.pool.get_or_try_init(|| self.open()).await
    }

    // ---- users and credentials ----

    pub async fn find_user_by_email(&self, email: &str) -> Result<Option<User>, DbError> {
        let row = sqlx::query(r#"select * from "user" where "email" = ? limit 1"#)
            .bind(email)
            .fetch_optional(self.pool().await?)
            .await?;
        row.map(|r| user_from_row(&r, "")).transpose()
    }

    /// The user with this email and the password of their credential account, in one query.
    /// The credential row is matched on `providerId` and `accountId = userId`, as upstream.
    pub async fn find_user_with_password(&self, email: &str) -> Result<Option<(User, Option<String>)>, DbError> {
        let row = sqlx::query(
            r#"select u.*, a."password" as "a_password" from "user" u
               left join "account" a on a."userId" = u."id" and a."providerId" = ? and a."accountId" = u."id"
               where u."email" = ? limit 1"#,
        )
        .bind(CREDENTIAL_PROVIDER)
        .bind(email)
        .fetch_optional(self.pool().await?)
        .await?;
        match row {
            None => Ok(None),
            Some(r) => Ok(Some((user_from_row(&r, "")?, r.try_get::<Option<String>, _>("a_password")?))),
        }
    }

    /// Creates the user and their credential account atomically. A second sign-up with the
    /// same email loses on the unique index: see [`DbError::is_unique_violation`].
    pub async fn create_user_with_credential(&self, user: &User, account: &CredentialAccount) -> Result<(), DbError> {
        let mut tx = self.pool().await?.begin().await?;
        insert_user(&mut tx, user).await?;
        insert_credential_account(&mut tx, account).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Updates name and/or image (`Some(None)` clears the image); `None` if the user is gone.
    pub async fn update_user(&self, user_id: &str, name: Option<&str>, image: Option<Option<&str>>, now: Millis) -> Result<Option<User>, DbError> {
        let done = sqlx::query(
            r#"update "user" set "name" = coalesce(?, "name"), "image" = case when ? then ? else "image" end, "updatedAt" = ? where "id" = ?"#,
        )
        .bind(name)
        .bind(image.is_some())
        .bind(image.flatten())
        .bind(time_util::to_iso(now))
        .bind(user_id)
        .execute(self.pool().await?)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        let row = sqlx::query(r#"select * from "user" where "id" = ?"#).bind(user_id).fetch_optional(self.pool().await?).await?;
        row.map(|r| user_from_row(&r, "")).transpose()
    }

    /// The user's credential account: `(account id, password hash)`.
    pub async fn find_credential_account(&self, user_id: &str) -> Result<Option<(String, Option<String>)>, DbError> {
        Ok(sqlx::query_as(r#"select "id", "password" from "account" where "userId" = ? and "providerId" = ? and "accountId" = ? limit 1"#)
            .bind(user_id)
            .bind(CREDENTIAL_PROVIDER)
            .bind(user_id)
            .fetch_optional(self.pool().await?)
            .await?)
    }

    pub async fn set_account_password(&self, account_id: &str, hash: &str, now: Millis) -> Result<(), DbError> {
        sqlx::query(r#"update "account" set "password" = ?, "updatedAt" = ? where "id" = ?"#)
            .bind(hash)
            .bind(time_util::to_iso(now))
            .bind(account_id)
            .execute(self.pool().await?)
            .await?;
        Ok(())
    }

    pub async fn create_credential_account(&self, account: &CredentialAccount) -> Result<(), DbError> {
        let mut tx = self.pool().await?.begin().await?;
        insert_credential_account(&mut tx, account).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Replaces the password and, when `revoke_sessions`, deletes every session of the user,
    /// in one transaction (upstream's change-password).
    pub async fn change_password(&self, user_id: &str, account_id: &str, hash: &str, revoke_sessions: bool, now: Millis) -> Result<(), DbError> {
        let mut tx = self.pool().await?.begin().await?;
        if revoke_sessions {
            sqlx::query(r#"delete from "session" where "userId" = ?"#).bind(user_id).execute(&mut *tx).await?;
        }
        sqlx::query(r#"update "account" set "password" = ?, "updatedAt" = ? where "id" = ?"#)
            .bind(hash)
            .bind(time_util::to_iso(now))
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn list_accounts(&self, user_id: &str) -> Result<Vec<AccountSummary>, DbError> {
        let rows = sqlx::query(r#"select "id", "accountId", "providerId", "userId", "scope", "createdAt", "updatedAt" from "account" where "userId" = ?"#)
            .bind(user_id)
            .fetch_all(self.pool().await?)
            .await?;
        rows.iter()
            .map(|r| {
                let scope: Option<String> = r.try_get("scope")?;
                Ok(AccountSummary {
                    account_id: r.try_get("accountId")?,
                    provider_id: r.try_get("providerId")?,
                    user_id: r.try_get("userId")?,
                    created_at: get_date(r, "createdAt")?,
                    updated_at: get_date(r, "updatedAt")?,
                    id: r.try_get("id")?,
                    scopes: scope
                        .unwrap_or_default()
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect(),
                })
            })
            .collect()
    }

    pub async fn delete_account(&self, account_id: &str) -> Result<(), DbError> {
        sqlx::query(r#"delete from "account" where "id" = ?"#).bind(account_id).execute(self.pool().await?).await?;
        Ok(())
    }

    pub async fn find_user_by_id(&self, id: &str) -> Result<Option<User>, DbError> {
        let row = sqlx::query(r#"select * from "user" where "id" = ? limit 1"#).bind(id).fetch_optional(self.pool().await?).await?;
        row.map(|r| user_from_row(&r, "")).transpose()
    }

    /// Sets the user's email and whether it is verified; the updated user, or `None` if gone.
    pub async fn update_user_email(&self, user_id: &str, email: &str, verified: bool, now: Millis) -> Result<Option<User>, DbError> {
        sqlx::query(r#"update "user" set "email" = ?, "emailVerified" = ?, "updatedAt" = ? where "id" = ?"#)
            .bind(email)
            .bind(verified)
            .bind(time_util::to_iso(now))
            .bind(user_id)
            .execute(self.pool().await?)
            .await?;
        self.find_user_by_id(user_id).await
    }

    /// Marks the user's email verified; the updated user, or `None` if gone.
    pub async fn set_email_verified(&self, user_id: &str, now: Millis) -> Result<Option<User>, DbError> {
        sqlx::query(r#"update "user" set "emailVerified" = 1, "updatedAt" = ? where "id" = ?"#)
            .bind(time_util::to_iso(now))
            .bind(user_id)
            .execute(self.pool().await?)
            .await?;
        self.find_user_by_id(user_id).await
    }

    // ---- verification values (reset tokens, ...) ----

    pub async fn create_verification(&self, identifier: &str, value: &str, expires_at: Millis) -> Result<(), DbError> {
        let now = time_util::to_iso(time_util::now_ms());
        sqlx::query(
            r#"insert into "verification" ("id", "identifier", "value", "expiresAt", "createdAt", "updatedAt") values (?, ?, ?, ?, ?, ?)"#,
        )
        .bind(crate::crypto::generate_id())
        .bind(identifier)
        .bind(value)
        .bind(time_util::to_iso(expires_at))
        .bind(&now)
        .bind(&now)
        .execute(self.pool().await?)
        .await?;
        Ok(())
    }

    /// The newest `(value, expiresAt)` for an identifier. Like upstream, each lookup also
    /// deletes expired rows.
    pub async fn find_verification(&self, identifier: &str) -> Result<Option<(String, Millis)>, DbError> {
        let pool = self.pool().await?;
        sqlx::query(r#"delete from "verification" where "expiresAt" < ?"#)
            .bind(time_util::to_iso(time_util::now_ms()))
            .execute(pool)
            .await?;
        newest_verification(pool, identifier).await
    }

    /// Takes a single-use value: deletes every row of the identifier and returns the newest
    /// `(value, expiresAt)` it had, in one write transaction (only one caller can get it).
    pub async fn consume_verification(&self, identifier: &str) -> Result<Option<(String, Millis)>, DbError> {
        let mut tx = self.pool().await?.begin_with("BEGIN IMMEDIATE").await?;
        let found = newest_verification(&mut *tx, identifier).await?;
        sqlx::query(r#"delete from "verification" where "identifier" = ?"#).bind(identifier).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(found)
    }

    /// Deletes the user; their sessions and accounts go with them (foreign keys cascade).
    pub async fn delete_user(&self, user_id: &str) -> Result<(), DbError> {
        let mut tx = self.pool().await?.begin().await?;
        sqlx::query(r#"delete from "session" where "userId" = ?"#).bind(user_id).execute(&mut *tx).await?;
        sqlx::query(r#"delete from "account" where "userId" = ?"#).bind(user_id).execute(&mut *tx).await?;
        sqlx::query(r#"delete from "user" where "id" = ?"#).bind(user_id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Resets a password with a single-use token, atomically: the token is consumed (only
    /// the first caller wins, and only if unexpired), the credential password is set (the
    /// account created if missing), and with `revoke_sessions` every session is deleted.
    /// `Ok(false)`: the token was missing, expired or already used.
    pub async fn reset_password_with_token(
        &self,
        identifier: &str,
        user_id: &str,
        hash: &str,
        revoke_sessions: bool,
        now: Millis,
    ) -> Result<bool, DbError> {
        let mut tx = self.pool().await?.begin_with("BEGIN IMMEDIATE").await?;
        let valid = newest_verification(&mut *tx, identifier)
            .await?
            .is_some_and(|(value, expires_at)| expires_at >= now && value == user_id);
        sqlx::query(r#"delete from "verification" where "identifier" = ?"#).bind(identifier).execute(&mut *tx).await?;
        if !valid {
            tx.commit().await?;
            return Ok(false);
        }
        let updated = sqlx::query(r#"update "account" set "password" = ?, "updatedAt" = ? where "userId" = ? and "providerId" = ? and "accountId" = ?"#)
            .bind(hash)
            .bind(time_util::to_iso(now))
            .bind(user_id)
            .bind(CREDENTIAL_PROVIDER)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        if updated.rows_affected() == 0 {
            let account = CredentialAccount { id: crate::crypto::generate_id(), user_id: user_id.to_owned(), password_hash: hash.to_owned(), created_at: now };
            insert_credential_account(&mut tx, &account).await?;
        }
        if revoke_sessions {
            sqlx::query(r#"delete from "session" where "userId" = ?"#).bind(user_id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    // ---- sessions ----

    pub async fn create_session(&self, session: &Session) -> Result<(), DbError> {
        sqlx::query(
            r#"insert into "session" ("id", "expiresAt", "token", "createdAt", "updatedAt", "ipAddress", "userAgent", "userId")
               values (?, ?, ?, ?, ?, ?, ?, ?)"#,
        )
        .bind(&session.id)
        .bind(time_util::to_iso(session.expires_at))
        .bind(&session.token)
        .bind(time_util::to_iso(session.created_at))
        .bind(time_util::to_iso(session.updated_at))
        .bind(&session.ip_address)
        .bind(&session.user_agent)
        .bind(&session.user_id)
        .execute(self.pool().await?)
        .await?;
        Ok(())
    }

    /// The session with this token and its user, in one query.
    pub async fn find_session(&self, token: &str) -> Result<Option<(Session, User)>, DbError> {
        let row = sqlx::query(
            r#"select s."id", s."expiresAt", s."token", s."createdAt", s."updatedAt", s."ipAddress", s."userAgent", s."userId",
                      u."id" as "u_id", u."name" as "u_name", u."email" as "u_email", u."emailVerified" as "u_emailVerified",
                      u."image" as "u_image", u."createdAt" as "u_createdAt", u."updatedAt" as "u_updatedAt"
               from "session" s join "user" u on u."id" = s."userId" where s."token" = ? limit 1"#,
        )
        .bind(token)
        .fetch_optional(self.pool().await?)
        .await?;
        match row {
            None => Ok(None),
            Some(r) => Ok(Some((session_from_row(&r)?, user_from_row(&r, "u_")?))),
        }
    }

    /// Extends a session; `false` when it no longer exists.
    pub async fn refresh_session(&self, token: &str, expires_at: Millis, updated_at: Millis) -> Result<bool, DbError> {
        let done = sqlx::query(r#"update "session" set "expiresAt" = ?, "updatedAt" = ? where "token" = ?"#)
            .bind(time_util::to_iso(expires_at))
            .bind(time_util::to_iso(updated_at))
            .bind(token)
            .execute(self.pool().await?)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn list_sessions(&self, user_id: &str) -> Result<Vec<Session>, DbError> {
        let rows = sqlx::query(r#"select * from "session" where "userId" = ?"#)
            .bind(user_id)
            .fetch_all(self.pool().await?)
            .await?;
        rows.iter().map(session_from_row).collect()
    }

    /// Deletes the session only if it belongs to `user_id`.
    pub async fn delete_user_session(&self, token: &str, user_id: &str) -> Result<(), DbError> {
        sqlx::query(r#"delete from "session" where "token" = ? and "userId" = ?"#)
            .bind(token)
            .bind(user_id)
            .execute(self.pool().await?)
            .await?;
        Ok(())
    }

    /// Deletes all of a user's sessions, except the one with token `keep`.
    pub async fn delete_user_sessions(&self, user_id: &str, keep: Option<&str>) -> Result<(), DbError> {
        sqlx::query(r#"delete from "session" where "userId" = ? and "token" != ?"#)
            .bind(user_id)
            .bind(keep.unwrap_or(""))
            .execute(self.pool().await?)
            .await?;
        Ok(())
    }

    /// One request against a rate-limit bucket (upstream's sliding window, spec §8.4), in
    /// one write transaction so concurrent instances count every request. Returns
    /// `Err(retry_after_seconds)` when the request is refused.
    pub async fn consume_rate_limit(&self, key: &str, window_ms: i64, max: i64, now: i64) -> Result<Result<(), i64>, DbError> {
        // The table name was checked to be a plain identifier when the options were parsed.
        let table = self.rate_limit_table.as_deref().unwrap_or("rateLimit");
        let mut tx = self.pool().await?.begin_with("BEGIN IMMEDIATE").await?;
        let select = format!(r#"select "count", "lastRequest" from "{table}" where "key" = ?"#);
        let row: Option<(i64, i64)> = sqlx::query_as(AssertSqlSafe(select))
            .bind(key)
            .fetch_optional(&mut *tx)
            .await?;
        let (count, last, verdict) = match row {
            Some((count, last)) if now - last < window_ms && count >= max => {
                (count, last, Err((last + window_ms - now + 999) / 1000))
            }
            Some((count, last)) if now - last < window_ms => (count + 1, now, Ok(())),
            _ => (1, now, Ok(())),
        };
        if verdict.is_ok() {
            let upsert = format!(
                r#"insert into "{table}" ("id", "key", "count", "lastRequest") values (?, ?, ?, ?)
                   on conflict ("key") do update set "count" = excluded."count", "lastRequest" = excluded."lastRequest""#
            );
            sqlx::query(AssertSqlSafe(upsert))
            .bind(crate::crypto::generate_id())
            .bind(key)
            .bind(count)
            .bind(last)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(verdict)
    }

    pub async fn delete_session(&self, token: &str) -> Result<(), DbError> {
        sqlx::query(r#"delete from "session" where "token" = ?"#)
            .bind(token)
            .execute(self.pool().await?)
            .await?;
        Ok(())
    }
}

/// The newest `(value, expiresAt)` stored for a verification identifier.
async fn newest_verification<'c, E>(executor: E, identifier: &str) -> Result<Option<(String, Millis)>, DbError>
where
    E: sqlx::Executor<'c, Database = Sqlite>,
{
    let row = sqlx::query(r#"select "value", "expiresAt" from "verification" where "identifier" = ? order by "createdAt" desc limit 1"#)
        .bind(identifier)
        .fetch_optional(executor)
        .await?;
    row.map(|r| Ok((r.try_get("value")?, get_date(&r, "expiresAt")?))).transpose()
}

async fn insert_user(tx: &mut Transaction<'_, Sqlite>, user: &User) -> Result<(), DbError> {
    sqlx::query(
        r#"insert into "user" ("id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt")
           values (?, ?, ?, ?, ?, ?, ?)"#,
    )
    .bind(&user.id)
    .bind(&user.name)
    .bind(&user.email)
    .bind(user.email_verified)
    .bind(&user.image)
    .bind(time_util::to_iso(user.created_at))
    .bind(time_util::to_iso(user.updated_at))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_credential_account(tx: &mut Transaction<'_, Sqlite>, account: &CredentialAccount) -> Result<(), DbError> {
    sqlx::query(
        r#"insert into "account" ("id", "accountId", "providerId", "userId", "password", "createdAt", "updatedAt")
           values (?, ?, ?, ?, ?, ?, ?)"#,
    )
    .bind(&account.id)
    .bind(&account.user_id)
    .bind(CREDENTIAL_PROVIDER)
    .bind(&account.user_id)
    .bind(&account.password_hash)
    .bind(time_util::to_iso(account.created_at))
    .bind(time_util::to_iso(account.created_at))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A date column as upstream or another ORM left it: ISO text, or integer (milli)seconds.
fn get_date(row: &SqliteRow, column: &str) -> Result<Millis, DbError> {
    if let Ok(text) = row.try_get::<String, _>(column) {
        return time_util::parse_iso(&text).ok_or_else(|| DbError::Corrupt(format!("{column} = {text:?} is not a date")));
    }
    if let Ok(n) = row.try_get::<i64, _>(column) {
        return Ok(time_util::from_integer(n));
    }
    if let Ok(f) = row.try_get::<f64, _>(column) {
        return Ok(time_util::from_integer(f as i64));
    }
    Err(DbError::Corrupt(format!("{column} is not a date")))
}

fn user_from_row(row: &SqliteRow, prefix: &str) -> Result<User, DbError> {
    let col = |name: &str| format!("{prefix}{name}");
    Ok(User {
        id: row.try_get(col("id").as_str())?,
        name: row.try_get(col("name").as_str())?,
        email: row.try_get(col("email").as_str())?,
        email_verified: row.try_get(col("emailVerified").as_str())?,
        image: row.try_get(col("image").as_str())?,
        created_at: get_date(row, &col("createdAt"))?,
        updated_at: get_date(row, &col("updatedAt"))?,
    })
}

fn session_from_row(row: &SqliteRow) -> Result<Session, DbError> {
    Ok(Session {
        id: row.try_get("id")?,
        expires_at: get_date(row, "expiresAt")?,
        token: row.try_get("token")?,
        created_at: get_date(row, "createdAt")?,
        updated_at: get_date(row, "updatedAt")?,
        ip_address: row.try_get("ipAddress")?,
        user_agent: row.try_get("userAgent")?,
        user_id: row.try_get("userId")?,
    })
}

async fn plan_for(pool: &SqlitePool, rate_limit_table: Option<&str>) -> Result<Vec<String>, DbError> {
    let mut existing = schema::Existing::default();
    let tables: Vec<(String,)> =
        sqlx::query_as(r#"select name from sqlite_master where type = 'table' and name not like 'sqlite_%'"#)
            .fetch_all(pool)
            .await?;
    for (table,) in tables {
        let columns: Vec<String> = sqlx::query(AssertSqlSafe(format!("pragma table_info(\"{}\")", table.replace('"', "\"\""))))
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>("name"))
            .collect::<Result<_, _>>()?;
        existing.tables.insert(table, columns);
    }
    let indexes: Vec<(String,)> =
        sqlx::query_as(r#"select name from sqlite_master where type = 'index'"#).fetch_all(pool).await?;
    existing.indexes = indexes.into_iter().map(|(n,)| n).collect();
    schema::plan(schema::Dialect::Sqlite, &existing, rate_limit_table).map_err(|e| DbError::Migration(e.0))
}

/// Plans and applies in one transaction, so concurrent first requests cannot both create a table.
async fn apply_migrations(pool: &SqlitePool, rate_limit_table: Option<&str>) -> Result<Vec<String>, DbError> {
    let statements = plan_for(pool, rate_limit_table).await?;
    if statements.is_empty() {
        return Ok(statements);
    }
    let mut tx = pool.begin().await?;
    for sql in &statements {
        // Another process may have migrated between our plan and now: re-check cheaply.
        if let Err(e) = sqlx::query(AssertSqlSafe(sql.as_str())).execute(&mut *tx).await {
            if e.to_string().contains("already exists") {
                continue;
            }
            return Err(e.into());
        }
    }
    tx.commit().await?;
    Ok(statements)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::generate_id;

    fn memory_db() -> Database {
        Database::new(DatabaseConfig::Sqlite { url: "sqlite::memory:".into(), implicit: false }, true, Some("rateLimit".into()), Logger::stderr(None))
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
        }
    }

    #[tokio::test]
    async fn user_session_round_trip_and_unique_email() {
        let db = memory_db();
        let u = user("ann@example.com");
        let acct = CredentialAccount { id: generate_id(), user_id: u.id.clone(), password_hash: "h".into(), created_at: u.created_at };
        db.create_user_with_credential(&u, &acct).await.unwrap();
        let (found, pw) = db.find_user_with_password("ann@example.com").await.unwrap().unwrap();
        assert_eq!(found, u);
        assert_eq!(pw.as_deref(), Some("h"));

        let dup = user("ann@example.com");
        let acct2 = CredentialAccount { id: generate_id(), user_id: dup.id.clone(), password_hash: "h".into(), created_at: 0 };
        let err = db.create_user_with_credential(&dup, &acct2).await.unwrap_err();
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
