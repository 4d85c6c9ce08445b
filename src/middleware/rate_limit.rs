//! Rate limiting (`packages/better-auth/src/api/rate-limiter/index.ts`), before routing, for HTTP
//! requests only: buckets per client IP and path, upstream's special rules for the sign-in family
//! and mail-sending endpoints, `customRules`, and memory or database storage. Beyond upstream, the
//! path is normalized (case, repeated and trailing slashes, percent-encoding) so that no spelling
//! gets a fresh bucket.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Value, json};

use crate::callbacks::request_arg;
use crate::client_ip::client_ip;
use crate::context::AuthContext;
use crate::http::{Headers, Response};
use crate::middleware::trusted_origins::wildcard_match;
use crate::options::{CustomRule, RateLimitStorage, RateRule};
use crate::time_util::now_ms;

const MEMORY_MAX_ENTRIES: usize = 100_000;
const NO_TRUSTED_IP: &str = "no-trusted-ip";

struct Entry {
    count: u64,
    last_request: i64,
    expires_at: i64,
}

#[derive(Default)]
pub struct RateLimiter {
    memory: Mutex<HashMap<String, Entry>>,
    warned_no_ip: AtomicBool,
}

/// The path as the rules see it: below the base path, decoded, lower-case, single slashes,
/// no trailing slash.
pub fn normalize_path(pathname: &str, base_path: &str) -> String {
    let decoded = percent_encoding::percent_decode_str(pathname).decode_utf8_lossy().to_lowercase();
    let mut path = String::with_capacity(decoded.len());
    for c in decoded.chars() {
        let c = if c == '\\' { '/' } else { c };
        if !(c == '/' && path.ends_with('/')) {
            path.push(c);
        }
    }
    let base = base_path.to_lowercase();
    if !base.is_empty()
        && let Some(rest) = path.strip_prefix(&base)
        && (rest.is_empty() || rest.starts_with('/'))
    {
        path = rest.to_owned();
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() { "/".to_owned() } else { trimmed.to_owned() }
}

fn special_rule(path: &str) -> Option<RateRule> {
    if ["/sign-in", "/sign-up", "/change-password", "/change-email"].iter().any(|p| path.starts_with(p)) {
        return Some(RateRule { window: 10, max: 3 });
    }
    let mail =
        ["/request-password-reset", "/send-verification-email", "/email-otp/send-verification-otp", "/email-otp/request-password-reset"];
    if mail.contains(&path) || path.starts_with("/forget-password") {
        return Some(RateRule { window: 60, max: 3 });
    }
    None
}

impl RateLimiter {
    /// `Some(429 response)` when the request is over its limit.
    pub async fn check(&self, ctx: &AuthContext, method: &str, url: &str, headers: &Headers, pathname: &str) -> Option<Response> {
        let opts = &ctx.options.rate_limit;
        if !opts.enabled {
            return None;
        }
        let path = normalize_path(pathname, &ctx.options.base_path);
        let ip = client_ip(headers, &ctx.options.ip, ctx.options.development);
        if ip.is_none() && ctx.options.ip.disable_tracking {
            return None;
        }
        if ip.is_none() && !self.warned_no_ip.swap(true, Ordering::Relaxed) {
            ctx.logger.warn(
                "Rate limiting could not determine a client IP and is falling back to a single shared per-path bucket. \
                 Set `advanced.ipAddress.ipAddressHeaders` or `advanced.ipAddress.trustedProxies` so the address can be resolved.",
            );
        }
        let mut rule = special_rule(&path).unwrap_or(opts.default_rule);
        if let Some(plugin_rule) = ctx.options.plugins.rate_limit(&path) {
            rule = plugin_rule;
        }
        let custom = opts.custom_rules.iter().find(|(pattern, _)| {
            let pattern = pattern.to_lowercase();
            if pattern.contains('*') { wildcard_match(&pattern, &path) } else { pattern == path }
        });
        match custom {
            Some((_, CustomRule::Exempt)) => return None,
            Some((_, CustomRule::Rule(r))) => rule = *r,
            Some((pattern, CustomRule::Function)) => {
                let args = vec![request_arg(method, url, headers), json!({ "window": rule.window, "max": rule.max })];
                match ctx.call_option(&["rateLimit", "customRules", pattern], args).await {
                    Ok(Value::Bool(false)) => return None,
                    Ok(value @ Value::Object(_)) => match serde_json::from_value::<RateRule>(value) {
                        Ok(r) => rule = r,
                        Err(e) => ctx.logger.error(&format!("rateLimit.customRules.{pattern} returned no {{ window, max }}: {e}")),
                    },
                    // Anything else (or a throw, already logged) keeps the rule in force.
                    _ => {}
                }
            }
            None => {}
        }
        let key = format!("{}|{path}", ip.as_deref().unwrap_or(NO_TRUSTED_IP));
        let now = now_ms();
        let verdict = match opts.storage {
            RateLimitStorage::Memory => self.consume_memory(key, rule, now),
            RateLimitStorage::Database => {
                match ctx.db.consume_rate_limit(&key, rule.window as i64 * 1000, rule.max as i64, now).await {
                    Ok(v) => v,
                    Err(e) => {
                        // Fail open: a storage outage must not lock every user out.
                        ctx.logger.error(&format!("rate limit storage: {e}"));
                        Ok(())
                    }
                }
            }
            // Upstream: a counter that expires a window after its first request.
            RateLimitStorage::SecondaryStorage => match ctx.db.increment_rate_limit(&key, rule.window).await {
                Ok(count) if count > rule.max as i64 => Err(rule.window as i64),
                Ok(_) => Ok(()),
                Err(e) => {
                    ctx.logger.error(&format!("rate limit storage: {e}"));
                    Ok(())
                }
            },
        };
        verdict.err().map(too_many_requests)
    }

    fn consume_memory(&self, key: String, rule: RateRule, now: i64) -> Result<(), i64> {
        let window_ms = rule.window as i64 * 1000;
        let mut map = self.memory.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if map.len() >= MEMORY_MAX_ENTRIES {
            map.retain(|_, e| e.expires_at > now);
            let overflow = map.len().saturating_sub(MEMORY_MAX_ENTRIES - 1);
            let doomed: Vec<String> = map.keys().take(overflow).cloned().collect();
            for k in doomed {
                map.remove(&k);
            }
        }
        let live = map.get(&key).filter(|e| e.expires_at > now);
        let (count, verdict) = match live {
            None => (1, Ok(())),
            Some(e) if now - e.last_request >= window_ms => (1, Ok(())),
            Some(e) if e.count >= rule.max => (e.count, Err((e.last_request + window_ms - now + 999) / 1000)),
            Some(e) => (e.count + 1, Ok(())),
        };
        if verdict.is_ok() {
            map.insert(key, Entry { count, last_request: now, expires_at: now + window_ms });
        }
        verdict
    }
}

fn too_many_requests(retry_after: i64) -> Response {
    Response {
        status: 429,
        headers: vec![("content-type".into(), "application/json".into()), ("x-retry-after".into(), retry_after.max(1).to_string())],
        body: br#"{"message":"Too many requests. Please try again later."}"#.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_a_path_share_a_bucket() {
        for p in [
            "/api/auth/sign-in/email",
            "/api/auth/Sign-In/Email/",
            "/api/auth//sign-in//email",
            "/api/auth/sign-in%2Femail",
            "/API/auth/sign-in/email",
        ] {
            assert_eq!(normalize_path(p, "/api/auth"), "/sign-in/email", "{p}");
        }
        assert_eq!(normalize_path("/api/auth", "/api/auth"), "/");
    }

    #[test]
    fn special_rules() {
        assert_eq!(special_rule("/sign-in/email"), Some(RateRule { window: 10, max: 3 }));
        assert_eq!(special_rule("/request-password-reset"), Some(RateRule { window: 60, max: 3 }));
        assert_eq!(special_rule("/get-session"), None);
    }

    #[test]
    fn sliding_window_in_memory() {
        let limiter = RateLimiter::default();
        let rule = RateRule { window: 10, max: 3 };
        let key = || "ip|/x".to_string();
        for t in [0, 1000, 2000] {
            assert_eq!(limiter.consume_memory(key(), rule, t), Ok(()));
        }
        assert_eq!(limiter.consume_memory(key(), rule, 2500), Err(10));
        assert_eq!(limiter.consume_memory(key(), rule, 11_999), Err(1));
        assert_eq!(limiter.consume_memory(key(), rule, 12_000), Ok(()), "a window after the last allowed request");
        assert_eq!(limiter.consume_memory("other|/x".into(), rule, 2500), Ok(()), "buckets are per key");
    }
}
