//! `secondaryStorage`: a key-value store beside the database, as upstream uses it
//! (`packages/better-auth/src/db/internal-adapter.ts`): sessions under their token,
//! `active-sessions-<userId>` lists, revocation markers, `verification:<identifier>` values and
//! rate-limit counters. Either the built-in Redis client (`secondaryStorage: "redis://..."`) or the
//! user's JavaScript object (`get`, `set`, `delete`, `getAndDelete`, `increment`), called through
//! the callbacks.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};
use tokio::sync::OnceCell;

use super::DbError;
use crate::callbacks::Callbacks;

// One per instance: boxing the larger variant would save nothing.
#[allow(clippy::large_enum_variant)]
pub enum SecondaryStorage {
    Redis(Redis),
    Js { callbacks: Arc<dyn Callbacks>, get_and_delete: bool, increment: bool },
}

pub struct Redis {
    /// `Err`: the URL did not parse (the options check already refuses most of those).
    client: Result<redis::Client, String>,
    timeout: Duration,
    connection: OnceCell<redis::aio::ConnectionManager>,
}

impl Redis {
    pub fn new(url: &str, timeout: Duration) -> Redis {
        Redis { client: redis::Client::open(url).map_err(|e| e.to_string()), timeout, connection: OnceCell::new() }
    }

    /// The shared connection; it reconnects by itself after Redis restarts.
    async fn connection(&self) -> Result<redis::aio::ConnectionManager, DbError> {
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout))
            .set_number_of_retries(1);
        self.connection
            .get_or_try_init(|| async {
                let client = self.client.clone().map_err(storage_error)?;
                redis::aio::ConnectionManager::new_with_config(client, config).await.map_err(storage_error)
            })
            .await
            .cloned()
    }

    async fn query<T: redis::FromRedisValue>(&self, command: &redis::Cmd) -> Result<T, DbError> {
        command.query_async(&mut self.connection().await?).await.map_err(storage_error)
    }
}

fn storage_error(e: impl std::fmt::Display) -> DbError {
    DbError::Storage(e.to_string())
}

impl SecondaryStorage {
    pub async fn get(&self, key: &str) -> Result<Option<String>, DbError> {
        match self {
            SecondaryStorage::Redis(r) => r.query(redis::cmd("GET").arg(key)).await,
            SecondaryStorage::Js { callbacks, .. } => Ok(text(call(callbacks, "get", vec![json!(key)]).await?)),
        }
    }

    /// Stores `value`; with `ttl_seconds`, it expires after that long.
    pub async fn set(&self, key: &str, value: &str, ttl_seconds: Option<u64>) -> Result<(), DbError> {
        match self {
            SecondaryStorage::Redis(r) => {
                let mut command = redis::cmd("SET");
                command.arg(key).arg(value);
                if let Some(ttl) = ttl_seconds.filter(|t| *t > 0) {
                    command.arg("EX").arg(ttl);
                }
                r.query::<()>(&command).await
            }
            SecondaryStorage::Js { callbacks, .. } => {
                let mut args = vec![json!(key), json!(value)];
                args.extend(ttl_seconds.map(|t| json!(t)));
                call(callbacks, "set", args).await.map(drop)
            }
        }
    }

    pub async fn delete(&self, key: &str) -> Result<(), DbError> {
        match self {
            SecondaryStorage::Redis(r) => r.query::<()>(redis::cmd("DEL").arg(key)).await,
            SecondaryStorage::Js { callbacks, .. } => call(callbacks, "delete", vec![json!(key)]).await.map(drop),
        }
    }

    /// Reads and removes atomically: of concurrent callers, one gets the value.
    pub async fn get_and_delete(&self, key: &str) -> Result<Option<String>, DbError> {
        match self {
            SecondaryStorage::Redis(r) => r.query(redis::cmd("GETDEL").arg(key)).await,
            SecondaryStorage::Js { callbacks, get_and_delete: true, .. } => {
                Ok(text(call(callbacks, "getAndDelete", vec![json!(key)]).await?))
            }
            // Upstream requires getAndDelete; without it, the best we can do is not atomic.
            SecondaryStorage::Js { .. } => {
                let value = self.get(key).await?;
                self.delete(key).await?;
                Ok(value)
            }
        }
    }

    /// Adds one and returns the new count; the TTL applies only when the key is created.
    pub async fn increment(&self, key: &str, ttl_seconds: u64) -> Result<i64, DbError> {
        match self {
            SecondaryStorage::Redis(r) => {
                // Created with its TTL if missing, then counted: atomic, on any Redis since 2.6.
                let mut pipe = redis::pipe();
                pipe.atomic().cmd("SET").arg(key).arg(0).arg("EX").arg(ttl_seconds.max(1)).arg("NX").ignore().cmd("INCR").arg(key);
                let (count,): (i64,) = pipe.query_async(&mut r.connection().await?).await.map_err(storage_error)?;
                Ok(count)
            }
            SecondaryStorage::Js { callbacks, increment: true, .. } => {
                let value = call(callbacks, "increment", vec![json!(key), json!(ttl_seconds)]).await?;
                value
                    .as_i64()
                    .or_else(|| value.as_f64().map(|f| f as i64))
                    .ok_or_else(|| storage_error(format!("secondaryStorage.increment returned {value}, not a number")))
            }
            SecondaryStorage::Js { .. } => Err(storage_error("secondary-storage rate limiting requires secondaryStorage.increment")),
        }
    }
}

async fn call(callbacks: &Arc<dyn Callbacks>, name: &str, args: Vec<Value>) -> Result<Value, DbError> {
    callbacks.call(&["secondaryStorage", name], args).await.map_err(|e| storage_error(format!("secondaryStorage.{name}: {e}")))
}

/// Upstream accepts a string or an already-parsed object from `get`.
fn text(value: Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s),
        other => Some(other.to_string()),
    }
}

/// Seconds until `expires_at`, rounded down, never negative (upstream's `getTTLSeconds`).
pub fn ttl_seconds(expires_at: i64, now: i64) -> u64 {
    ((expires_at - now) / 1000).max(0) as u64
}

// ---- the store's session and verification operations, with secondary storage in front ----

use super::Database;
use super::models::{Session, User};
use crate::fields::FieldDef;
use crate::time_util::{self, Millis};

const ACTIVE_SESSIONS: &str = "active-sessions-";
const REVOKED_BEFORE: &str = "revoked-sessions-before-";
const VERIFICATION: &str = "verification:";

#[derive(serde::Serialize, serde::Deserialize)]
struct ActiveSession {
    token: String,
    #[serde(rename = "expiresAt")]
    expires_at: i64,
}

fn parse_cached(text: &str, session_fields: &[FieldDef], user_fields: &[FieldDef]) -> Option<(Session, User)> {
    let value: Value = serde_json::from_str(text).ok()?;
    session_and_user_from_json(value.get("session")?, value.get("user")?, session_fields, user_fields)
}

/// A session and its user from their JSON (as cached in secondary storage or the cookie cache).
pub fn session_and_user_from_json(
    session: &Value,
    user: &Value,
    session_fields: &[FieldDef],
    user_fields: &[FieldDef],
) -> Option<(Session, User)> {
    let mut s = session_from_json(session)?;
    (s.extra, s.hidden) = fields_from_json(session_fields, session);
    let mut u = user_from_json(user)?;
    (u.extra, u.hidden) = fields_from_json(user_fields, user);
    Some((s, u))
}

/// The additional fields of a cached row (hidden ones are stored beside the returned ones).
fn fields_from_json(fields: &[FieldDef], row: &Value) -> (Map<String, Value>, Map<String, Value>) {
    let values = fields.iter().map(|f| (f.name.clone(), row.get(&f.name).cloned().unwrap_or(Value::Null))).collect();
    super::split_fields(fields, values)
}

fn date(value: &Value, key: &str) -> Option<Millis> {
    match value.get(key)? {
        Value::String(s) => time_util::parse_iso(s),
        Value::Number(n) => n.as_i64(),
        _ => None,
    }
}

fn opt_string(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn session_from_json(v: &Value) -> Option<Session> {
    Some(Session {
        id: opt_string(v, "id")?,
        expires_at: date(v, "expiresAt")?,
        token: opt_string(v, "token")?,
        created_at: date(v, "createdAt")?,
        updated_at: date(v, "updatedAt")?,
        ip_address: opt_string(v, "ipAddress"),
        user_agent: opt_string(v, "userAgent"),
        user_id: opt_string(v, "userId")?,
        extra: Map::new(),
        hidden: Map::new(),
    })
}

fn user_from_json(v: &Value) -> Option<User> {
    Some(User {
        id: opt_string(v, "id")?,
        name: opt_string(v, "name")?,
        email: opt_string(v, "email")?,
        email_verified: match v.get("emailVerified") {
            Some(Value::Bool(b)) => *b,
            Some(Value::Number(n)) => n.as_i64() != Some(0),
            _ => false,
        },
        image: opt_string(v, "image"),
        created_at: date(v, "createdAt")?,
        updated_at: date(v, "updatedAt")?,
        extra: Map::new(),
        hidden: Map::new(),
    })
}

impl Database {
    fn read_cached(&self, text: &str) -> Option<(Session, User)> {
        parse_cached(text, &self.store.session_fields, &self.store.user_fields)
    }

    fn secondary(&self) -> Option<&SecondaryStorage> {
        self.store.secondary.as_ref()
    }

    /// Secondary storage is the only place sessions are looked up (no database fallback).
    fn sessions_only_in_storage(&self) -> bool {
        self.secondary().is_some() && (!self.store.sessions_in_database || self.store.preserve_sessions)
    }

    async fn active_sessions(&self, storage: &SecondaryStorage, user_id: &str) -> Result<Vec<ActiveSession>, DbError> {
        let text = storage.get(&format!("{ACTIVE_SESSIONS}{user_id}")).await?;
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default())
    }

    /// Writes the list back: expired and duplicate tokens dropped, sorted by expiry, kept
    /// until the last one expires (deleted when none is left).
    async fn save_active_sessions(&self, storage: &SecondaryStorage, user_id: &str, mut list: Vec<ActiveSession>) -> Result<(), DbError> {
        let now = time_util::now_ms();
        list.retain(|s| s.expires_at > now);
        list.sort_by_key(|s| s.expires_at);
        let mut seen = std::collections::HashSet::new();
        list.retain(|s| seen.insert(s.token.clone()));
        let key = format!("{ACTIVE_SESSIONS}{user_id}");
        match list.last().map(|s| ttl_seconds(s.expires_at, now)) {
            Some(ttl) if ttl > 0 => storage.set(&key, &serde_json::to_string(&list).unwrap_or_default(), Some(ttl)).await,
            _ => storage.delete(&key).await,
        }
    }

    async fn cache_session(&self, storage: &SecondaryStorage, session: &Session, user: &User) -> Result<(), DbError> {
        let ttl = ttl_seconds(session.expires_at, time_util::now_ms());
        if ttl > 0 {
            let value = json!({ "session": super::models::full_row(session, &session.hidden), "user": super::models::full_row(user, &user.hidden) });
            storage.set(&session.token, &value.to_string(), Some(ttl)).await?;
        }
        Ok(())
    }

    /// The cached session, unless a revocation of all the user's sessions came after it.
    async fn cached_session(&self, storage: &SecondaryStorage, token: &str) -> Result<Option<(Session, User)>, DbError> {
        let Some((session, user)) = storage.get(token).await?.as_deref().and_then(|t| self.read_cached(t)) else {
            return Ok(None);
        };
        let revoked_before = storage.get(&format!("{REVOKED_BEFORE}{}", session.user_id)).await?.and_then(|t| t.trim().parse::<i64>().ok());
        if revoked_before.is_some_and(|before| session.created_at < before) {
            return Ok(None);
        }
        Ok(Some((session, user)))
    }

    pub async fn create_session(&self, session: &Session) -> Result<(), DbError> {
        if self.sessions_in_database() {
            self.db_create_session(session).await?;
        }
        if let Some(storage) = self.secondary() {
            let mut list = self.active_sessions(storage, &session.user_id).await?;
            list.push(ActiveSession { token: session.token.clone(), expires_at: session.expires_at });
            self.save_active_sessions(storage, &session.user_id, list).await?;
            let user =
                self.find_user_by_id(&session.user_id).await?.ok_or_else(|| DbError::Corrupt("session for a missing user".into()))?;
            self.cache_session(storage, session, &user).await?;
        }
        Ok(())
    }

    /// The session with this token and its user.
    pub async fn find_session(&self, token: &str) -> Result<Option<(Session, User)>, DbError> {
        if let Some(storage) = self.secondary() {
            if let Some(found) = self.cached_session(storage, token).await? {
                return Ok(Some(found));
            }
            if self.sessions_only_in_storage() {
                return Ok(None);
            }
        }
        self.db_find_session(token).await
    }

    /// Extends a session; `false` when it no longer exists.
    pub async fn refresh_session(&self, token: &str, expires_at: Millis, updated_at: Millis) -> Result<bool, DbError> {
        if self.sessions_in_database() && !self.db_refresh_session(token, expires_at, updated_at).await? {
            if let Some(storage) = self.secondary() {
                self.uncache_session(storage, token).await?;
            }
            return Ok(false);
        }
        let mut refreshed = self.sessions_in_database();
        if let Some(storage) = self.secondary()
            && let Some((mut session, user)) = storage.get(token).await?.as_deref().and_then(|t| self.read_cached(t))
        {
            session.expires_at = expires_at;
            session.updated_at = updated_at;
            self.cache_session(storage, &session, &user).await?;
            let mut list = self.active_sessions(storage, &session.user_id).await?;
            list.retain(|s| s.token != token);
            list.push(ActiveSession { token: token.to_owned(), expires_at });
            self.save_active_sessions(storage, &session.user_id, list).await?;
            refreshed = true;
        }
        Ok(refreshed)
    }

    /// Sets session additional fields; the updated session, or `None` when it is gone.
    pub async fn update_session_fields(&self, token: &str, fields: &Map<String, Value>, now: Millis) -> Result<Option<Session>, DbError> {
        let mut found = None;
        if let Some(storage) = self.secondary()
            && let Some((mut session, user)) = storage.get(token).await?.as_deref().and_then(|t| self.read_cached(t))
        {
            session.updated_at = now;
            for (name, value) in fields {
                if session.extra.contains_key(name) {
                    session.extra.insert(name.clone(), value.clone());
                } else {
                    session.hidden.insert(name.clone(), value.clone());
                }
            }
            self.cache_session(storage, &session, &user).await?;
            found = Some(session);
        }
        if self.sessions_in_database() {
            found = None;
            if self.db_update_session_fields(token, fields, now).await? {
                found = self.db_find_session(token).await?.map(|(s, _)| s);
            }
        }
        Ok(found)
    }

    pub async fn list_sessions(&self, user_id: &str) -> Result<Vec<Session>, DbError> {
        let Some(storage) = self.secondary().filter(|_| self.sessions_only_in_storage()) else {
            return self.db_list_sessions(user_id).await;
        };
        let now = time_util::now_ms();
        let mut sessions = Vec::new();
        for entry in self.active_sessions(storage, user_id).await?.into_iter().filter(|s| s.expires_at > now) {
            if let Some((session, _)) = self.cached_session(storage, &entry.token).await? {
                sessions.push(session);
            }
        }
        Ok(sessions)
    }

    async fn uncache_session(&self, storage: &SecondaryStorage, token: &str) -> Result<(), DbError> {
        if let Some((session, _)) = storage.get(token).await?.as_deref().and_then(|t| self.read_cached(t)) {
            let mut list = self.active_sessions(storage, &session.user_id).await?;
            list.retain(|s| s.token != token);
            self.save_active_sessions(storage, &session.user_id, list).await?;
        }
        storage.delete(token).await
    }

    pub async fn delete_session(&self, token: &str) -> Result<(), DbError> {
        if let Some(storage) = self.secondary() {
            self.uncache_session(storage, token).await?;
        }
        if self.sessions_in_database() {
            self.db_delete_session(token).await?;
        }
        Ok(())
    }

    /// Ends the session only if it belongs to `user_id`.
    pub async fn delete_user_session(&self, token: &str, user_id: &str) -> Result<(), DbError> {
        if let Some(storage) = self.secondary() {
            let owner = storage.get(token).await?.as_deref().and_then(|t| self.read_cached(t)).map(|(s, _)| s.user_id);
            if owner.as_deref() == Some(user_id) {
                self.uncache_session(storage, token).await?;
            }
        }
        if self.sessions_in_database() {
            self.db_delete_user_session(token, user_id).await?;
        }
        Ok(())
    }

    /// Ends all of a user's sessions, except the one with token `keep`.
    pub async fn delete_user_sessions(&self, user_id: &str, keep: Option<&str>) -> Result<(), DbError> {
        match (self.secondary(), keep) {
            (Some(storage), Some(keep)) => {
                for entry in self.active_sessions(storage, user_id).await? {
                    if entry.token != keep {
                        self.uncache_session(storage, &entry.token).await?;
                    }
                }
            }
            (Some(_), None) => self.sessions_revoked(user_id).await?,
            (None, _) => {}
        }
        if self.sessions_in_database() {
            self.db_delete_user_sessions(user_id, keep).await?;
        }
        Ok(())
    }

    /// After every session of the user ended in the database: the same in secondary storage,
    /// with a marker that refuses any cached copy created before now.
    pub(super) async fn sessions_revoked(&self, user_id: &str) -> Result<(), DbError> {
        let Some(storage) = self.secondary() else { return Ok(()) };
        let now = time_util::now_ms();
        let marker = format!("{REVOKED_BEFORE}{user_id}");
        let previous = storage.get(&marker).await?.and_then(|t| t.trim().parse::<i64>().ok()).unwrap_or(0);
        let ttl = self.store.session_expires_in_secs.max(86_400);
        storage.set(&marker, &now.max(previous).to_string(), Some(ttl)).await?;
        for entry in self.active_sessions(storage, user_id).await? {
            storage.delete(&entry.token).await?;
        }
        storage.delete(&format!("{ACTIVE_SESSIONS}{user_id}")).await
    }

    /// After a user row changed: the cached copies in their sessions are rewritten.
    pub(super) async fn user_changed(&self, user_id: &str) -> Result<Option<User>, DbError> {
        let user = self.find_user_by_id(user_id).await?;
        if let (Some(storage), Some(user)) = (self.secondary(), &user) {
            let now = time_util::now_ms();
            for entry in self.active_sessions(storage, user_id).await?.into_iter().filter(|s| s.expires_at > now) {
                if let Some((session, _)) = storage.get(&entry.token).await?.as_deref().and_then(|t| self.read_cached(t)) {
                    self.cache_session(storage, &session, user).await?;
                }
            }
        }
        Ok(user)
    }

    // ---- verification values ----

    pub async fn create_verification(&self, identifier: &str, value: &str, expires_at: Millis) -> Result<(), DbError> {
        if let Some(storage) = self.secondary() {
            let now = time_util::now_ms();
            let ttl = ttl_seconds(expires_at, now);
            if ttl > 0 {
                let row = json!({
                    "createdAt": time_util::to_iso(now),
                    "updatedAt": time_util::to_iso(now),
                    "value": value,
                    "identifier": identifier,
                    "expiresAt": time_util::to_iso(expires_at),
                });
                storage.set(&format!("{VERIFICATION}{identifier}"), &row.to_string(), Some(ttl)).await?;
            }
        }
        if self.verifications_in_database() {
            self.db_create_verification(identifier, value, expires_at).await?;
        }
        Ok(())
    }

    fn verification_from_text(text: &str) -> Option<(String, Millis)> {
        let v: Value = serde_json::from_str(text).ok()?;
        Some((opt_string(&v, "value")?, date(&v, "expiresAt")?))
    }

    /// The newest `(value, expiresAt)` for an identifier.
    pub async fn find_verification(&self, identifier: &str) -> Result<Option<(String, Millis)>, DbError> {
        if let Some(storage) = self.secondary() {
            let found = storage.get(&format!("{VERIFICATION}{identifier}")).await?;
            if let Some(found) = found.as_deref().and_then(Self::verification_from_text) {
                return Ok(Some(found));
            }
            if !self.verifications_in_database() {
                return Ok(None);
            }
        }
        self.db_find_verification(identifier).await
    }

    /// The verification row of an identifier, whole (for hooks).
    pub async fn verification_row(&self, identifier: &str) -> Result<Option<Value>, DbError> {
        if let Some(storage) = self.secondary() {
            let found = storage.get(&format!("{VERIFICATION}{identifier}")).await?;
            if let Some(row) = found.and_then(|t| serde_json::from_str::<Value>(&t).ok()) {
                return Ok(Some(row));
            }
            if !self.verifications_in_database() {
                return Ok(None);
            }
        }
        self.db_verification_row(identifier).await
    }

    /// Deletes every value of an identifier (a reset whose password change a hook refused).
    pub async fn delete_verification(&self, identifier: &str) -> Result<(), DbError> {
        self.consume_verification(identifier).await.map(drop)
    }

    /// Takes a single-use value: of concurrent callers, one gets it.
    pub async fn consume_verification(&self, identifier: &str) -> Result<Option<(String, Millis)>, DbError> {
        let key = format!("{VERIFICATION}{identifier}");
        match self.secondary() {
            Some(storage) if !self.verifications_in_database() => {
                Ok(storage.get_and_delete(&key).await?.as_deref().and_then(Self::verification_from_text))
            }
            storage => {
                let found = self.db_consume_verification(identifier).await?;
                if let Some(storage) = storage {
                    storage.delete(&key).await?;
                }
                Ok(found)
            }
        }
    }

    /// Resets a password with a single-use token: the token is consumed (only the first caller
    /// wins, and only if unexpired), the password set, and with `revoke_sessions` every session
    /// ended. `Ok(false)`: the token was missing, expired or already used.
    pub async fn reset_password_with_token(
        &self,
        identifier: &str,
        user_id: &str,
        hash: &str,
        revoke_sessions: bool,
        now: Millis,
    ) -> Result<bool, DbError> {
        let done = match self.secondary() {
            Some(storage) if !self.verifications_in_database() => {
                let taken = storage.get_and_delete(&format!("{VERIFICATION}{identifier}")).await?;
                let valid = taken
                    .as_deref()
                    .and_then(Self::verification_from_text)
                    .is_some_and(|(value, expires_at)| expires_at >= now && value == user_id);
                valid && self.db_reset_password_with_token(None, user_id, hash, revoke_sessions, now).await?
            }
            storage => {
                let done = self.db_reset_password_with_token(Some(identifier), user_id, hash, revoke_sessions, now).await?;
                if let Some(storage) = storage {
                    storage.delete(&format!("{VERIFICATION}{identifier}")).await?;
                }
                done
            }
        };
        if done && revoke_sessions {
            self.sessions_revoked(user_id).await?;
        }
        Ok(done)
    }

    /// Counts a request for secondary-storage rate limiting; the new count.
    pub async fn increment_rate_limit(&self, key: &str, window_secs: u64) -> Result<i64, DbError> {
        match self.secondary() {
            Some(storage) => storage.increment(key, window_secs).await,
            None => Err(DbError::Storage("rate limiting in secondary storage without `secondaryStorage`".into())),
        }
    }
}
