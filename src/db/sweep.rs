//! The expired-row sweep (ours): upstream deletes an expired session, verification value or
//! rate-limit counter only when that exact row is read again, so a busy database keeps
//! every one of them forever. A background task deletes them in small batches, off the
//! request path. Deleting an expired row is idempotent, so many instances may sweep one
//! database at once. Secondary storage expires its own keys by TTL.

use std::sync::Weak;
use std::time::Duration;

use serde_json::Value;

use super::adapter::{FindMany, Op, Where};
use super::schema::{RATE_LIMIT_TABLE, TABLES, Table};
use super::{Database, DbError};
use crate::context::AuthContext;
use crate::options::RateLimitStorage;
use crate::time_util::{now_ms, to_iso};

/// Batches per table in one sweep: a backlog is worked off over several sweeps.
const MAX_BATCHES: usize = 100;
/// A rate-limit row idle this long is dead under any rule (windows are seconds to minutes).
const RATE_LIMIT_IDLE_MS: i64 = 24 * 60 * 60 * 1000;

/// `expiredRowSweep` (ours): `{ enabled: true, intervalSeconds: 3600, batchSize: 1000 }`.
#[derive(Debug, Clone, Copy)]
pub struct SweepOptions {
    pub enabled: bool,
    pub interval: Duration,
    pub batch_size: u64,
}

impl Default for SweepOptions {
    fn default() -> Self {
        SweepOptions { enabled: true, interval: Duration::from_secs(3600), batch_size: 1000 }
    }
}

fn core_table(name: &str) -> &'static Table {
    TABLES.iter().find(|t| t.name == name).expect("core table")
}

impl Database {
    /// Deletes up to `batch * MAX_BATCHES` rows matching `filter`, a batch at a time.
    async fn delete_in_batches(&self, table: &Table, filter: Vec<Where>, batch: u64) -> Result<u64, DbError> {
        let mut deleted = 0;
        for _ in 0..MAX_BATCHES {
            let rows = self.find_rows(table, &FindMany { filter: filter.clone(), limit: Some(batch), ..Default::default() }).await?;
            let ids: Vec<Value> = rows.iter().filter_map(|r| r.get("id").cloned()).collect();
            if ids.is_empty() {
                break;
            }
            let found = ids.len() as u64;
            deleted += self.delete_rows(table, &[Where::op("id", Op::In, Value::Array(ids))]).await?;
            if found < batch {
                break;
            }
        }
        Ok(deleted)
    }
}

/// One sweep: the expired rows of every table the database holds for this instance.
pub async fn sweep_once(ctx: &AuthContext) -> Result<u64, DbError> {
    let db = &ctx.db;
    let batch = ctx.options.sweep.batch_size.max(1);
    let now = now_ms();
    let expired = || vec![Where::op("expiresAt", Op::Lt, to_iso(now))];
    let mut deleted = 0;
    if db.sessions_in_database() {
        deleted += db.delete_in_batches(core_table("session"), expired(), batch).await?;
    }
    if db.verifications_in_database() {
        deleted += db.delete_in_batches(core_table("verification"), expired(), batch).await?;
    }
    if ctx.options.rate_limit.storage == RateLimitStorage::Database {
        let idle = vec![Where::op("lastRequest", Op::Lt, now - RATE_LIMIT_IDLE_MS)];
        deleted += db.delete_in_batches(&RATE_LIMIT_TABLE, idle, batch).await?;
    }
    Ok(deleted)
}

/// Sweeps now and then every interval, until the instance is gone.
pub async fn run(ctx: Weak<AuthContext>) {
    loop {
        let interval = {
            let Some(ctx) = ctx.upgrade() else { return };
            match sweep_once(&ctx).await {
                Ok(0) => {}
                Ok(n) => ctx.logger.info(&format!("expired-row sweep: deleted {n} expired rows")),
                // The next sweep tries again; requests are unaffected.
                Err(e) => ctx.logger.warn(&format!("expired-row sweep failed: {e}")),
            }
            ctx.options.sweep.interval
        };
        tokio::time::sleep(interval).await;
    }
}
