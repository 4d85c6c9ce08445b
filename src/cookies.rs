//! Auth cookies as upstream names, signs and serializes them
//! (`packages/better-auth/src/cookies/index.ts`).

use cookie::{Cookie, SameSite as CookieSameSite};

use crate::crypto;
use crate::http::encode_uri_component;
use crate::options::{AuthOptions, CookieAttributes, SameSite};

/// The names of the auth cookies, fixed at construction (`__Secure-` iff cookies are secure).
#[derive(Debug, Clone)]
pub struct CookieNames {
    pub session_token: String,
    pub session_data: String,
    pub dont_remember: String,
}

impl CookieNames {
    pub fn new(prefix: &str, secure: bool) -> Self {
        let name = |key: &str| format!("{}{prefix}.{key}", if secure { "__Secure-" } else { "" });
        CookieNames { session_token: name("session_token"), session_data: name("session_data"), dont_remember: name("dont_remember") }
    }
}

/// The request's `Cookie` header, parsed once. The first occurrence of a name wins.
#[derive(Debug, Default)]
pub struct RequestCookies(Vec<(String, String)>);

impl RequestCookies {
    pub fn parse(header: Option<&str>) -> Self {
        let Some(header) = header else { return RequestCookies::default() };
        let pairs = Cookie::split_parse_encoded(header.to_owned())
            .filter_map(Result::ok)
            .map(|c| (c.name().to_owned(), c.value_trimmed().to_owned()))
            .collect();
        RequestCookies(pairs)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Every `(name, value)`, values decoded, in the header's order.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// A `value.signature` cookie whose HMAC verifies with `secret`; anything else is absent.
    pub fn get_signed(&self, name: &str, secret: &str) -> Option<&str> {
        let raw = self.get(name)?;
        let dot = raw.rfind('.').filter(|&i| i >= 1)?;
        let (value, signature) = (&raw[..dot], &raw[dot + 1..]);
        if signature.len() != 44 || !signature.ends_with('=') {
            return None;
        }
        crypto::verify_signature(secret, value, signature).then_some(value)
    }
}

/// `Set-Cookie` values queued on a response, in order. Expiring a cookie drops any value for
/// it queued earlier, so a response never carries both.
#[derive(Debug, Default, Clone)]
pub struct ResponseCookies(Vec<(String, String)>);

impl ResponseCookies {
    pub fn set(&mut self, name: &str, value: &str, max_age: Option<i64>, attrs: &CookieAttributes) {
        self.0.retain(|(n, _)| n != name);
        self.0.push((name.to_owned(), serialize(name, value, max_age, attrs)));
    }

    pub fn set_signed(&mut self, name: &str, value: &str, max_age: Option<i64>, attrs: &CookieAttributes, secret: &str) {
        let signed = format!("{value}.{}", crypto::sign(secret, value));
        self.set(name, &signed, max_age, attrs);
    }

    pub fn expire(&mut self, name: &str, attrs: &CookieAttributes) {
        self.set(name, "", Some(0), attrs);
    }

    /// The queued cookie of that name (its value as sent, percent-encoded).
    pub fn find(&self, name: &str) -> Option<Cookie<'static>> {
        let (_, serialized) = self.0.iter().find(|(n, _)| n == name)?;
        Cookie::parse(serialized.clone()).ok()
    }

    pub fn header_values(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(_, v)| v.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The length of the `Set-Cookie` value for this cookie (for sizing chunks).
pub fn serialized_len(name: &str, value: &str, max_age: Option<i64>, attrs: &CookieAttributes) -> usize {
    serialize(name, value, max_age, attrs).len()
}

fn serialize(name: &str, value: &str, max_age: Option<i64>, attrs: &CookieAttributes) -> String {
    let encoded = encode_uri_component(value);
    let mut c = Cookie::new(name.to_owned(), encoded);
    c.set_path(attrs.path.clone());
    c.set_http_only(attrs.http_only);
    c.set_same_site(match attrs.same_site {
        SameSite::Lax => CookieSameSite::Lax,
        SameSite::Strict => CookieSameSite::Strict,
        SameSite::None => CookieSameSite::None,
    });
    // A `__Secure-` name is only accepted by browsers with Secure.
    if attrs.secure || name.starts_with("__Secure-") {
        c.set_secure(true);
    }
    if let Some(domain) = &attrs.domain {
        c.set_domain(domain.clone());
    }
    if attrs.partitioned {
        c.set_partitioned(true);
    }
    if let Some(seconds) = max_age {
        c.set_max_age(cookie::time::Duration::seconds(seconds));
    }
    c.to_string()
}

/// Names and attributes every endpoint shares, derived from the options once.
#[derive(Debug, Clone)]
pub struct CookieConfig {
    pub names: CookieNames,
    pub attributes: CookieAttributes,
}

impl CookieConfig {
    /// The signed OAuth state cookie (`<prefix>.state`).
    pub fn state_cookie_name(&self) -> String {
        self.names.session_token.replace(".session_token", ".state")
    }

    pub fn new(options: &AuthOptions) -> Self {
        CookieConfig {
            names: CookieNames::new(&options.cookie_prefix, options.cookie_attributes.secure),
            attributes: options.cookie_attributes.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(secure: bool) -> CookieAttributes {
        CookieAttributes { secure, same_site: SameSite::Lax, path: "/".into(), http_only: true, domain: None, partitioned: false }
    }

    #[test]
    fn names_follow_prefix_and_secure() {
        assert_eq!(CookieNames::new("better-auth", false).session_token, "better-auth.session_token");
        assert_eq!(CookieNames::new("app", true).dont_remember, "__Secure-app.dont_remember");
    }

    #[test]
    fn signed_cookie_round_trips_through_the_header() {
        let mut out = ResponseCookies::default();
        out.set_signed("better-auth.session_token", "abc", Some(604800), &attrs(false), "s3cret");
        let header = out.header_values().next().unwrap().to_owned();
        assert!(header.starts_with("better-auth.session_token=abc."));
        assert!(header.contains("%3D"), "signature is URL-encoded: {header}");
        for attr in ["Max-Age=604800", "Path=/", "HttpOnly", "SameSite=Lax"] {
            assert!(header.contains(attr), "{attr} in {header}");
        }
        assert!(!header.contains("Secure"));
        let pair = header.split(';').next().unwrap();
        let jar = RequestCookies::parse(Some(&format!("other=1; {pair}")));
        assert_eq!(jar.get_signed("better-auth.session_token", "s3cret"), Some("abc"));
        assert_eq!(jar.get_signed("better-auth.session_token", "wrong"), None);
    }

    #[test]
    fn tampered_or_malformed_signed_cookies_are_absent() {
        let sig = crypto::sign("k", "tok");
        let enc = encode_uri_component;
        for bad in [format!("tok2.{sig}"), "tok".into(), ".".into(), format!(".{sig}"), "tok.short=".into()] {
            let jar = RequestCookies::parse(Some(&format!("n={}", enc(&bad))));
            assert_eq!(jar.get_signed("n", "k"), None, "{bad}");
        }
        let jar = RequestCookies::parse(Some(&format!("n={}", enc(&format!("tok.{sig}")))));
        assert_eq!(jar.get_signed("n", "k"), Some("tok"));
    }

    #[test]
    fn expiring_replaces_an_earlier_value() {
        let mut out = ResponseCookies::default();
        out.set("a", "1", None, &attrs(false));
        out.expire("a", &attrs(false));
        let all: Vec<_> = out.header_values().collect();
        assert_eq!(all.len(), 1);
        assert!(all[0].starts_with("a=;") && all[0].contains("Max-Age=0"), "{}", all[0]);
    }

    #[test]
    fn secure_prefix_forces_secure() {
        let mut out = ResponseCookies::default();
        out.set("__Secure-x", "v", None, &attrs(false));
        assert!(out.header_values().next().unwrap().contains("Secure"));
    }
}
