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
