//! The request and response the core works on: what a web `Request`/`Response` or a Node
//! `IncomingMessage` carries, in one value each, so a request crosses from JS into Rust once.

/// Header names are stored lower-case; repeated headers keep every value in order.
#[derive(Debug, Clone, Default)]
pub struct Headers(Vec<(String, String)>);

impl Headers {
    pub fn new() -> Self {
        Headers(Vec::new())
    }

    pub fn append(&mut self, name: &str, value: impl Into<String>) {
        self.0.push((name.to_ascii_lowercase(), value.into()));
    }

    /// A header's value as `Headers#get` gives it: repeated values joined with `", "`
    /// (`Cookie` with `"; "`, as browsers and Node join it).
    pub fn get(&self, name: &str) -> Option<String> {
        let mut values = self.0.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str());
        let first = values.next()?;
        let rest: Vec<&str> = values.collect();
        if rest.is_empty() {
            return Some(first.to_owned());
        }
        let sep = if name == "cookie" { "; " } else { ", " };
        Some(std::iter::once(first).chain(rest).collect::<Vec<_>>().join(sep))
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _)| n == name)
    }

    /// From a flat `[name, value, name, value, ...]` list (the binding's wire format).
    pub fn from_flat(flat: &[String]) -> Self {
        let mut headers = Headers::new();
        for pair in flat.chunks_exact(2) {
            headers.append(&pair[0], pair[1].clone());
        }
        headers
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }
}

#[derive(Debug, Clone)]
pub struct Request {
    /// Upper-case, as `Request#method`.
    pub method: String,
    /// Absolute: `http://localhost:3005/api/auth/ok?x=1`.
    pub url: String,
    pub headers: Headers,
    pub body: Option<Vec<u8>>,
    /// What a `trustedOrigins` function returned for this request.
    pub extra_trusted_origins: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub status: u16,
    /// Lower-case names; each `set-cookie` is its own entry.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    pub fn empty(status: u16) -> Self {
        Response { status, headers: Vec::new(), body: Vec::new() }
    }

    pub fn text(status: u16, body: &str) -> Self {
        Response { status, headers: vec![("content-type".into(), "text/plain;charset=UTF-8".into())], body: body.as_bytes().to_vec() }
    }
}

/// JavaScript's `encodeURIComponent` (cookie values, callback URLs in mailed links).
pub fn encode_uri_component(s: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'!')
        .remove(b'~')
        .remove(b'*')
        .remove(b'\'')
        .remove(b'(')
        .remove(b')');
    percent_encoding::utf8_percent_encode(s, SET).to_string()
}

/// Upstream's `appendQueryParams` (`packages/core/src/utils/url.ts`): the URL parsed as a browser
/// would (tabs and newlines dropped, spaces encoded), the pairs appended to its query, and a
/// root-relative input kept relative. `None` for what upstream refuses (`//host`, `/\\host`, junk).
pub fn append_query_params(input: &str, pairs: &[(&str, &str)]) -> Option<String> {
    const REFERENCE: &str = "https://better-auth.invalid";
    let relative = input.starts_with('/');
    if input.starts_with("//") || input.starts_with("/\\") {
        return None;
    }
    let reference = url::Url::parse(REFERENCE).ok()?;
    let mut parsed = if relative { reference.join(input).ok()? } else { url::Url::parse(input).ok()? };
    if relative && parsed.origin() != reference.origin() {
        return None;
    }
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        query.append_pair(k, v);
    }
    let query = query.finish();
    if !query.is_empty() {
        let joined = match parsed.query().filter(|q| !q.is_empty()) {
            Some(existing) if existing.ends_with('&') => format!("{existing}{query}"),
            Some(existing) => format!("{existing}&{query}"),
            None => query,
        };
        parsed.set_query(Some(&joined));
    }
    let href = parsed.to_string();
    Some(if relative { href[parsed.origin().ascii_serialization().len()..].to_owned() } else { href })
}

/// [`append_query_params`], or for a URL it cannot parse (already refused by the callback
/// checks, so not expected) the pairs appended as text.
pub fn with_query(url: &str, pairs: &[(&str, &str)]) -> String {
    append_query_params(url, pairs).unwrap_or_else(|| {
        let query: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        format!("{url}{}{query}", if url.contains('?') { '&' } else { '?' })
    })
}

#[cfg(test)]
mod tests {
    use super::append_query_params;

    #[test]
    fn query_params_are_appended_as_upstream_does() {
        let e = [("error", "INVALID_TOKEN")];
        assert_eq!(
            append_query_params("http://localhost:5173/done\r\nx y", &e).unwrap(),
            "http://localhost:5173/donex%20y?error=INVALID_TOKEN"
        );
        assert_eq!(append_query_params("/welcome?ref=a&", &e).unwrap(), "/welcome?ref=a&error=INVALID_TOKEN");
        assert_eq!(append_query_params("/welcome?ref=a", &e).unwrap(), "/welcome?ref=a&error=INVALID_TOKEN");
        assert_eq!(append_query_params("https://app.test", &e).unwrap(), "https://app.test/?error=INVALID_TOKEN");
        assert_eq!(append_query_params("//evil.test/x", &e), None);
        assert_eq!(append_query_params("/\\evil.test", &e), None);
    }
}
