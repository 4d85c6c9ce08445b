//! `genericOAuth` (upstream's `packages/better-auth/src/plugins/generic-oauth`): any OAuth 2.0 /
//! OpenID Connect provider. In 1.7 it has no endpoints of its own: its providers join
//! `socialProviders` and use `/sign-in/social` and `/callback/:id`.

use serde_json::Value;

use crate::options::OptionsError;
use crate::plugins::{Plugin, PluginOptions};

pub fn register(options: &mut PluginOptions<'_>) -> Result<Plugin, OptionsError> {
    let mut plugin = Plugin::new("generic-oauth");
    let index_path = options.function_path(&[]);
    let base = index_path.join(".");
    let Some(Value::Array(configs)) = options.value("config").cloned() else {
        return Err(options.invalid("config", "genericOAuth needs `config: [...]`"));
    };
    for (j, config) in configs.iter().enumerate() {
        // The dotted path function options (mapProfileToUser) are called by.
        let path = format!("{base}.config.{j}");
        let map = config.as_object().ok_or_else(|| options.invalid(&format!("config[{j}]"), "expected a provider object"))?;
        let mut warnings = crate::options::OptionWarnings::default();
        plugin.providers.push(crate::oauth::providers::generic(map, path, &mut warnings)?);
        for warning in warnings.0 {
            options.warn(warning);
        }
    }
    Ok(plugin)
}
