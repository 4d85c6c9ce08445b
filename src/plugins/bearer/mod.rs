//! `bearer` (upstream's `packages/better-auth/src/plugins/bearer`): a session token in
//! `Authorization: Bearer <token>` stands for the session cookie, and every response that sets
//! the session cookie also carries it in `set-auth-token`, for clients without cookies.

use crate::context::Call;
use crate::error::ApiError;
use crate::http::{Headers, encode_uri_component};
use crate::plugins::{Hook, HookKind, Plugin, PluginOptions};
use crate::routes::Reply;
use crate::{after_hook, before_hook};

struct Options {
    /// Only signed tokens (`token.signature`, as `set-auth-token` gives them) are accepted.
    require_signature: bool,
}

pub fn register(options: &mut PluginOptions<'_>) -> Result<Plugin, crate::options::OptionsError> {
    let mut plugin = Plugin::new("bearer");
    plugin.state = std::sync::Arc::new(Options { require_signature: options.bool("requireSignature")?.unwrap_or(false) });
    plugin.hooks = vec![
        Hook { matcher: |call| call.has_header("authorization"), run: HookKind::Before(before_hook!(token_to_cookie)) },
        Hook { matcher: |_| true, run: HookKind::After(after_hook!(expose_token)) },
    ];
    Ok(plugin)
}

fn try_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8().map(|c| c.into_owned()).unwrap_or_else(|_| s.to_owned())
}

/// A valid `Bearer` token becomes the request's session cookie; anything else is ignored, as
/// upstream does (the endpoint then sees no session).
async fn token_to_cookie(call: &mut Call<'_>) -> Result<Option<Reply>, ApiError> {
    let Some(header) = call.header("authorization") else { return Ok(None) };
    if header.len() < 7 || !header.is_char_boundary(7) || !header[..7].eq_ignore_ascii_case("bearer ") {
        return Ok(None);
    }
    let token = header[7..].trim();
    if token.is_empty() {
        return Ok(None);
    }
    let ctx = call.ctx;
    let signed = if token.contains('.') {
        if token.contains('%') { try_decode(token) } else { token.to_owned() }
    } else {
        let require_signature = ctx.options.plugins.state::<Options>("bearer").is_some_and(|o| o.require_signature);
        if require_signature {
            return Ok(None);
        }
        format!("{token}.{}", crate::crypto::sign(ctx.secret(), token))
    };
    let mut parts = signed.split('.');
    let (Some(value), Some(signature)) = (parts.next(), parts.next()) else { return Ok(None) };
    if !crate::crypto::verify_signature_any_base64(ctx.secret(), value, signature) {
        return Ok(None);
    }
    let name = ctx.cookies.names.session_token.clone();
    let mut cookies: Vec<(String, String)> =
        call.cookies.pairs().filter(|(n, _)| *n != name).map(|(n, v)| (n.to_owned(), v.to_owned())).collect();
    cookies.push((name, signed));
    let cookie_header = cookies.iter().map(|(n, v)| format!("{n}={}", encode_uri_component(v))).collect::<Vec<_>>().join("; ");
    let mut headers = Headers::new();
    for (n, v) in call.headers.iter().flat_map(|h| h.iter()).filter(|(n, _)| *n != "cookie") {
        headers.append(n, v);
    }
    headers.append("cookie", cookie_header);
    call.cookies = crate::cookies::RequestCookies::parse(headers.get("cookie").as_deref());
    call.headers = Some(headers);
    Ok(None)
}

/// `set-auth-token: <signed token>` whenever the response sets a live session cookie.
async fn expose_token(call: &mut Call<'_>, result: Result<Reply, ApiError>) -> Result<Reply, ApiError> {
    let name = &call.ctx.cookies.names.session_token;
    let live = call.out.cookies.find(name).filter(|c| !c.value().is_empty() && c.max_age().is_none_or(|age| !age.is_zero()));
    if let Some(cookie) = live {
        let token = cookie.value().to_owned();
        call.out.set_header("set-auth-token", token);
        call.out.expose_header("set-auth-token");
    }
    result
}
