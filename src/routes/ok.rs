//! `GET /ok` and `GET /error` (`packages/better-auth/src/api/routes/ok.ts`, `error.ts`).

use serde_json::json;

use crate::context::Call;
use crate::error::ApiError;
use crate::routes::Reply;

pub async fn ok(_call: &mut Call<'_>) -> Result<Reply, ApiError> {
    Ok(Reply::Json(json!({ "ok": true })))
}

fn query_str<'a>(call: &'a Call<'_>, key: &str) -> Option<&'a str> {
    call.query.get(key).and_then(|v| v.as_str())
}

/// Upstream's error page: the code (only `['A-Za-z0-9_-]`, else `UNKNOWN`) and description.
pub async fn error_page(call: &mut Call<'_>) -> Result<Reply, ApiError> {
    let code = query_str(call, "error")
        .filter(|c| !c.is_empty() && c.chars().all(|ch| ch.is_ascii_alphanumeric() || "'_-".contains(ch)))
        .unwrap_or("UNKNOWN")
        .to_owned();
    let description = query_str(call, "error_description").map(str::to_owned);
    if call.ctx.options.production {
        let mut location = format!("/?error={code}");
        if let Some(d) = &description {
            location.push_str(&format!("&error_description={d}"));
        }
        return Err(ApiError::redirect(location));
    }
    let description_html = description.map(|d| format!("<p class=\"description\">{}</p>", escape_html(&d))).unwrap_or_default();
    Ok(Reply::Html(format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"UTF-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1.0\"><title>Error</title>\
         <style>body{{font-family:system-ui,sans-serif;display:flex;min-height:100vh;align-items:center;justify-content:center;margin:0}}\
         main{{max-width:36rem;padding:2rem;text-align:center}}code{{font-size:1.1rem}}</style></head>\
         <body><main><h1>Something went wrong</h1><p>Error code: <code>{}</code></p>{description_html}\
         <p><a href=\"/\">Go home</a></p></main></body></html>",
        escape_html(&code)
    )))
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}
