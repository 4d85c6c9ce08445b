//! The plugin platform. A plugin is a folder here (as upstream's
//! `packages/better-auth/src/plugins/<id>/`) whose `register` reads its options and returns a
//! [`Plugin`]: what it contributes, in one place, as upstream's `BetterAuthPlugin`
//! (`packages/core/src/types/plugin.ts`): endpoints, hooks, schema, error codes, rate-limit
//! rules. Adding a plugin is its folder plus one line in [`REGISTRY`].

pub mod anonymous;
pub mod bearer;
pub mod custom_session;
pub mod generic_oauth;
pub mod jwt;
pub mod last_login_method;
pub mod multi_session;
pub mod one_time_token;
pub mod open_api;
pub mod options;
pub mod two_factor;
pub mod username;

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::Value;

use crate::context::Call;
use crate::error::{ApiError, ErrorCode};
use crate::fields::FieldDef;
use crate::options::{OptionWarnings, OptionsError, RateRule};
use crate::routes::{Endpoint, Reply};

pub use options::PluginOptions;

/// Every plugin this package ships, by upstream's id.
const REGISTRY: &[(&str, Register)] = &[
    ("generic-oauth", generic_oauth::register),
    ("bearer", bearer::register),
    ("username", username::register),
    ("one-time-token", one_time_token::register),
    ("last-login-method", last_login_method::register),
    ("jwt", jwt::register),
    ("open-api", open_api::register),
    ("anonymous", anonymous::register),
    ("multi-session", multi_session::register),
    ("custom-session", custom_session::register),
    ("two-factor", two_factor::register),
];

/// Upstream plugins that refuse or restrict what the core allows (a second factor, bans,
/// captchas, breached passwords): without them an app would silently let everyone in, so an
/// unsupported one is an error rather than a warning.
const GUARDS: &[&str] = &["admin", "captcha", "have-i-been-pwned", "organization", "access"];

/// Reads a plugin's options (strictly: [`PluginOptions::finish`] refuses unknown keys).
pub type Register = fn(&mut PluginOptions<'_>) -> Result<Plugin, OptionsError>;

pub type HookFuture<'c, T> = Pin<Box<dyn Future<Output = Result<T, ApiError>> + Send + 'c>>;
/// Runs before the endpoint; `Some(reply)` answers in its place.
pub type BeforeHook = for<'c, 'a> fn(&'c mut Call<'a>) -> HookFuture<'c, Option<Reply>>;
/// Runs after the endpoint with what it returned, and returns what the caller gets.
pub type AfterHook = for<'c, 'a> fn(&'c mut Call<'a>, Result<Reply, ApiError>) -> HookFuture<'c, Reply>;

/// `before_hook!(f)` / `after_hook!(f)`: an `async fn` as a hook.
#[macro_export]
macro_rules! before_hook {
    ($f:path) => {{
        fn boxed<'c, 'a>(call: &'c mut $crate::context::Call<'a>) -> $crate::plugins::HookFuture<'c, Option<$crate::routes::Reply>> {
            Box::pin($f(call))
        }
        boxed as $crate::plugins::BeforeHook
    }};
}

#[macro_export]
macro_rules! after_hook {
    ($f:path) => {{
        fn boxed<'c, 'a>(
            call: &'c mut $crate::context::Call<'a>,
            result: Result<$crate::routes::Reply, $crate::error::ApiError>,
        ) -> $crate::plugins::HookFuture<'c, $crate::routes::Reply> {
            Box::pin($f(call, result))
        }
        boxed as $crate::plugins::AfterHook
    }};
}

/// A hook and the endpoints it applies to (upstream's `{ matcher, handler }`).
#[derive(Clone)]
pub struct Hook {
    pub matcher: fn(&Call<'_>) -> bool,
    pub run: HookKind,
}

#[derive(Clone)]
pub enum HookKind {
    Before(BeforeHook),
    After(AfterHook),
}

/// A rate-limit rule for paths a plugin owns (upstream's plugin `rateLimit`).
#[derive(Clone)]
pub struct RateLimitRule {
    pub path_matcher: fn(&str) -> bool,
    pub rule: RateRule,
}

/// What one plugin contributes.
pub struct Plugin {
    pub id: &'static str,
    pub endpoints: Vec<Endpoint>,
    pub hooks: Vec<Hook>,
    /// Columns on upstream's `user` / `session` tables (upstream's `schema.user.fields`).
    pub user_fields: Vec<FieldDef>,
    pub session_fields: Vec<FieldDef>,
    /// Tables of its own, as upstream's migration creates them (`schema.<model>`).
    pub tables: Vec<crate::db::schema::Table>,
    /// Its `schema` option's renames of those tables and their columns.
    pub renames: crate::db::names::Renames,
    /// Merged into `auth.$ERROR_CODES`.
    pub error_codes: &'static [ErrorCode],
    pub rate_limits: Vec<RateLimitRule>,
    /// OAuth providers that join `socialProviders` (genericOAuth's `init`).
    pub providers: Vec<crate::oauth::Provider>,
    /// The plugin's parsed options, read back by its handlers with [`Plugins::state`].
    pub state: Arc<dyn Any + Send + Sync>,
}

impl Plugin {
    pub fn new(id: &'static str) -> Plugin {
        Plugin {
            id,
            endpoints: Vec::new(),
            hooks: Vec::new(),
            user_fields: Vec::new(),
            session_fields: Vec::new(),
            tables: Vec::new(),
            renames: Default::default(),
            error_codes: &[],
            rate_limits: Vec::new(),
            providers: Vec::new(),
            state: Arc::new(()),
        }
    }
}

/// The plugins of one `betterAuth()` instance, in the order given, and the endpoint table
/// they make with the core's.
#[derive(Clone, Default)]
pub struct Plugins {
    list: Vec<Arc<Plugin>>,
    endpoints: Arc<Vec<Endpoint>>,
    hooks: Arc<Vec<Hook>>,
}

impl std::fmt::Debug for Plugins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.list.iter().map(|p| p.id)).finish()
    }
}

impl Plugins {
    /// Reads `plugins: [...]` (each `{ id, options }` from `better-auth-rs/plugins`).
    pub fn parse(raw: Option<&Value>, warnings: &mut OptionWarnings) -> Result<Plugins, OptionsError> {
        let mut list = Vec::new();
        let items: &[Value] = match raw {
            None | Some(Value::Null) => &[],
            Some(Value::Array(items)) => items,
            Some(_) => return Err(OptionsError("better-auth-rs: invalid option `plugins`: expected an array of plugins".into())),
        };
        for (index, item) in items.iter().enumerate() {
            let id = item.get("id").and_then(Value::as_str).unwrap_or("");
            let Some(&(id, register)) = REGISTRY.iter().find(|(known, _)| *known == id) else {
                let shown = if id.is_empty() { "(no id)" } else { id };
                if GUARDS.contains(&id) {
                    return Err(OptionsError(format!(
                        "better-auth-rs: plugin `{shown}` is not supported yet, and ignoring it would let requests through that it refuses; remove it or use upstream better-auth"
                    )));
                }
                warnings.0.push(format!("plugin `{shown}` is not supported by better-auth-rs yet and is ignored"));
                continue;
            };
            if list.iter().any(|p: &Arc<Plugin>| p.id == id) {
                return Err(OptionsError(format!("better-auth-rs: invalid option `plugins`: plugin `{id}` is given twice")));
            }
            let mut reader = PluginOptions::new(id, index, item.get("options"), warnings)?;
            let plugin = register(&mut reader)?;
            reader.finish()?;
            list.push(Arc::new(plugin));
        }
        Plugins::assemble(list)
    }

    fn assemble(list: Vec<Arc<Plugin>>) -> Result<Plugins, OptionsError> {
        let mut endpoints = crate::routes::core_endpoints();
        for plugin in &list {
            for endpoint in &plugin.endpoints {
                // A plugin endpoint under a core endpoint's name replaces it, as upstream spreads
                // plugin endpoints over the core's by key (customSession's `getSession`).
                if let Some(core) = endpoints.iter_mut().find(|e| e.plugin.is_none() && e.api_name == endpoint.api_name) {
                    *core = Endpoint { plugin: Some(plugin.id), ..endpoint.clone() };
                    continue;
                }
                let clash = endpoints.iter().find(|e| {
                    e.api_name == endpoint.api_name
                        || (!e.path.is_empty() && e.path == endpoint.path && e.methods.iter().any(|m| endpoint.methods.contains(m)))
                });
                if let Some(other) = clash {
                    let owner = other.plugin.unwrap_or("the core");
                    return Err(OptionsError(format!(
                        "better-auth-rs: plugin `{}` endpoint `{}` ({}) conflicts with {owner}'s `{}` ({})",
                        plugin.id, endpoint.api_name, endpoint.path, other.api_name, other.path
                    )));
                }
                endpoints.push(Endpoint { plugin: Some(plugin.id), ..endpoint.clone() });
            }
        }
        let hooks = list.iter().flat_map(|p| p.hooks.iter().cloned()).collect();
        Ok(Plugins { list, endpoints: Arc::new(endpoints), hooks: Arc::new(hooks) })
    }

    /// The table the router and `auth.api` use: the core's endpoints, then each plugin's.
    pub fn endpoints(&self) -> &[Endpoint] {
        if self.endpoints.is_empty() { core_table() } else { &self.endpoints }
    }

    pub fn hooks(&self) -> &[Hook] {
        &self.hooks
    }

    pub fn iter(&self) -> impl Iterator<Item = &Plugin> {
        self.list.iter().map(|p| p.as_ref())
    }

    pub fn has(&self, id: &str) -> bool {
        self.list.iter().any(|p| p.id == id)
    }

    /// A plugin's parsed options (its `state`), when that plugin is in use.
    pub fn state<T: Any + Send + Sync>(&self, id: &str) -> Option<&T> {
        self.list.iter().find(|p| p.id == id).and_then(|p| p.state.downcast_ref::<T>())
    }

    pub fn error_codes(&self) -> impl Iterator<Item = &ErrorCode> {
        self.list.iter().flat_map(|p| p.error_codes.iter())
    }

    /// The first plugin rate-limit rule for a (normalized) path.
    pub fn rate_limit(&self, path: &str) -> Option<RateRule> {
        self.list.iter().flat_map(|p| p.rate_limits.iter()).find(|r| (r.path_matcher)(path)).map(|r| r.rule)
    }

    /// Every plugin's user or session fields, for the schema.
    pub fn fields(&self, model: &str) -> Vec<FieldDef> {
        self.list.iter().flat_map(|p| if model == "user" { p.user_fields.iter() } else { p.session_fields.iter() }).cloned().collect()
    }
}

/// The core's own endpoints, before any plugin replaced one (also the table of an instance
/// built without [`Plugins::parse`], `Default`).
pub fn core_table() -> &'static [Endpoint] {
    static TABLE: std::sync::OnceLock<Vec<Endpoint>> = std::sync::OnceLock::new();
    TABLE.get_or_init(crate::routes::core_endpoints)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_api_name_and_route_is_unique() {
        let all = json!([{ "id": "bearer" }, { "id": "username" }, { "id": "one-time-token" }]);
        let plugins = Plugins::parse(Some(&all), &mut OptionWarnings::default()).unwrap();
        let endpoints = plugins.endpoints();
        let names: std::collections::HashSet<_> = endpoints.iter().map(|e| e.api_name).collect();
        assert_eq!(names.len(), endpoints.len());
        assert!(endpoints.iter().any(|e| e.api_name == "signInUsername" && e.plugin == Some("username")));
    }

    #[test]
    fn plugin_rate_limit_rules_apply_to_their_paths_and_endpoint_clashes_are_refused() {
        let mut limited = Plugin::new("limited");
        limited.rate_limits.push(RateLimitRule { path_matcher: |p| p.starts_with("/limited/"), rule: RateRule { window: 60, max: 1 } });
        limited.endpoints.push(Endpoint::new("limitedSend", "/limited/send", &["POST"], crate::handler!(crate::routes::ok::ok)));
        let plugins = Plugins::assemble(vec![Arc::new(limited)]).unwrap();
        assert_eq!(plugins.rate_limit("/limited/send"), Some(RateRule { window: 60, max: 1 }));
        assert_eq!(plugins.rate_limit("/sign-in/email"), None);
        let mut clash = Plugin::new("clash");
        clash.endpoints.push(Endpoint::new("mine", "/sign-in/email", &["POST"], crate::handler!(crate::routes::ok::ok)));
        let err = Plugins::assemble(vec![Arc::new(clash)]).err().unwrap();
        assert!(err.0.contains("plugin `clash` endpoint `mine` (/sign-in/email) conflicts with the core's `signInEmail`"), "{}", err.0);
    }

    #[test]
    fn unknown_plugins_warn_and_twice_is_an_error() {
        let mut warnings = OptionWarnings::default();
        Plugins::parse(Some(&json!([{ "id": "nope" }])), &mut warnings).unwrap();
        assert_eq!(warnings.0, vec!["plugin `nope` is not supported by better-auth-rs yet and is ignored"]);
        let twice = Plugins::parse(Some(&json!([{ "id": "bearer" }, { "id": "bearer" }])), &mut warnings);
        assert!(twice.unwrap_err().0.contains("given twice"));
        let guard = Plugins::parse(Some(&json!([{ "id": "admin" }])), &mut warnings);
        assert!(guard.unwrap_err().0.contains("plugin `admin` is not supported yet, and ignoring it would let requests through"));
    }

    #[test]
    fn unknown_plugin_option_names_its_path() {
        let err =
            Plugins::parse(Some(&json!([{ "id": "username", "options": { "minUsernameLenght": 3 } }])), &mut OptionWarnings::default());
        assert_eq!(
            err.unwrap_err().0,
            "better-auth-rs: unknown option `plugins[username].minUsernameLenght`: the username plugin has no such option (check the spelling)"
        );
    }
}
