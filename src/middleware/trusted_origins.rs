//! `trustedOrigins` matching, as upstream's `matchesOriginPattern`
//! (`packages/better-auth/src/auth/trusted-origins.ts`): exact origins, `*`/`?` wildcards on hosts
//! or origins, custom schemes (`myapp://`), and safe relative paths.

use url::Url;

/// A root-relative redirect that every browser and router reads as same-origin.
fn is_safe_relative_url(value: &str) -> bool {
    if !value.starts_with('/') || value.starts_with("//") || value.contains('\\') || value.chars().any(is_control) {
        return false;
    }
    let path = value.split(['?', '#']).next().unwrap_or("");
    let lower = path.to_ascii_lowercase();
    if lower.contains("%2f") || lower.contains("%5c") {
        return false;
    }
    let base = Url::parse("https://better-auth.invalid").expect("static URL");
    base.join(value).is_ok_and(|u| u.origin() == base.origin())
}

fn is_control(c: char) -> bool {
    matches!(c as u32, 0x00..=0x1f | 0x7f..=0x9f)
}

/// Upstream's wildcard: `?` is one character and `*` any run, neither crossing `/` or `\`;
/// `**` crosses them.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let is_sep = |c: char| c == '/' || c == '\\';
    // Two-pointer glob, backtracking to the last star; `star` = (index after it, crosses separators).
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None::<(usize, bool)>, 0);
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            let double = p.get(pi + 1) == Some(&'*');
            pi += if double { 2 } else { 1 };
            star = Some((pi, double));
            mark = ti;
        } else if pi < p.len() && (p[pi] == t[ti] || (p[pi] == '?' && !is_sep(t[ti]))) {
            pi += 1;
            ti += 1;
        } else if let Some((after, _)) = star.filter(|(_, crosses)| *crosses || !is_sep(t[mark])) {
            pi = after;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// A wildcard host made only of digits, dots and wildcards names an IPv4 range and admits only
/// an IPv4 address (`192.168.*` must not match `192.168.attacker.com`).
fn allowed_ipv4_host(pattern_authority: &str, authority: &str) -> bool {
    let pattern_host = pattern_authority.split(':').next().unwrap_or("");
    let ip_pattern =
        pattern_host.chars().any(|c| c.is_ascii_digit()) && pattern_host.chars().all(|c| c.is_ascii_digit() || "*?.".contains(c));
    if !ip_pattern {
        return true;
    }
    authority.split(':').next().unwrap_or("").parse::<std::net::Ipv4Addr>().is_ok()
}

struct CustomScheme {
    scheme: String,
    authority: String,
    path: String,
}

fn normalize_path(path: &str) -> String {
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8().map(|c| c.into_owned()).unwrap_or_else(|_| path.to_owned());
    let mut segments: Vec<&str> = Vec::new();
    for segment in decoded.split('/') {
        match segment {
            ".." => {
                segments.pop();
            }
            "." | "" => {}
            s => segments.push(s),
        }
    }
    if segments.is_empty() { String::new() } else { format!("/{}", segments.join("/")) }
}

fn parse_custom_scheme(value: &str, wildcard_pattern: bool) -> Option<CustomScheme> {
    if value.chars().any(is_control) {
        return None;
    }
    let scheme_end = value.find(':').filter(|&i| i > 0)?;
    let scheme = value[..scheme_end].to_ascii_lowercase();
    let mut rest = &value[scheme_end + 1..];
    let mut authority = "";
    if let Some(after) = rest.strip_prefix("//") {
        let end = after.find(|c| c == '/' || c == '#' || (!wildcard_pattern && c == '?')).unwrap_or(after.len());
        authority = &after[..end];
        rest = &after[end..];
    }
    let path_end = rest.find(|c| c == '#' || (!wildcard_pattern && c == '?')).unwrap_or(rest.len());
    Some(CustomScheme { scheme, authority: authority.to_ascii_lowercase(), path: normalize_path(&rest[..path_end]) })
}

fn host_of(url: &Url) -> Option<String> {
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

/// Whether `url` (an `Origin` header, a `Referer`, or a callback URL) is allowed by `pattern`.
pub fn matches_origin_pattern(url: &str, pattern: &str, allow_relative_paths: bool) -> bool {
    if url.starts_with('/') {
        return allow_relative_paths && is_safe_relative_url(url);
    }
    let has_wildcard = pattern.contains('*') || pattern.contains('?');
    let parsed = Url::parse(url).ok();
    if has_wildcard && !pattern.contains("://") {
        let Some(host) = parsed.as_ref().and_then(host_of) else { return false };
        return wildcard_match(pattern, &host) && allowed_ipv4_host(pattern, &host);
    }
    let scheme = parsed.as_ref().map(|u| u.scheme());
    if matches!(scheme, None | Some("http") | Some("https")) {
        let Some(origin) = parsed.as_ref().map(|u| u.origin().ascii_serialization()) else { return false };
        if !has_wildcard {
            return pattern == origin;
        }
        if !wildcard_match(pattern, &origin) {
            return false;
        }
        let after = |s: &str| s.find("://").map(|i| s[i + 3..].to_owned()).unwrap_or_default();
        return allowed_ipv4_host(&after(pattern), &after(&origin));
    }
    let (Some(target), Some(pat)) = (parse_custom_scheme(url, false), parse_custom_scheme(pattern, has_wildcard)) else {
        return false;
    };
    if target.scheme != pat.scheme {
        return false;
    }
    if has_wildcard {
        if target.authority.contains('@') {
            return false;
        }
        if !pat.authority.is_empty()
            && (!wildcard_match(&pat.authority, &target.authority) || !allowed_ipv4_host(&pat.authority, &target.authority))
        {
            return false;
        }
        let target_path = if target.path.is_empty() { "/".to_owned() } else { target.path };
        return pat.path.is_empty() || wildcard_match(&pat.path, &target_path);
    }
    if !pat.authority.is_empty() && target.authority != pat.authority {
        return false;
    }
    pat.path.is_empty() || target.path == pat.path || target.path.starts_with(&format!("{}/", pat.path))
}

pub fn is_trusted(url: &str, trusted: &[String], allow_relative_paths: bool) -> bool {
    if url.starts_with('/') {
        return allow_relative_paths && is_safe_relative_url(url);
    }
    trusted.iter().any(|pattern| matches_origin_pattern(url, pattern, allow_relative_paths))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trusted() -> Vec<String> {
        ["http://localhost:5173", "*.example.com", "https://*.corp.dev", "myapp://callback"].map(String::from).to_vec()
    }

    #[test]
    fn exact_origins_and_urls_under_them() {
        let t = trusted();
        assert!(is_trusted("http://localhost:5173", &t, false));
        assert!(is_trusted("http://localhost:5173/dashboard?x=1", &t, true));
        assert!(!is_trusted("http://localhost:5174", &t, false));
        assert!(!is_trusted("https://localhost:5173", &t, false));
        assert!(!is_trusted("http://localhost:5173.evil.com", &t, false));
        assert!(!is_trusted("http://localhost:5173@evil.com", &t, false));
    }

    #[test]
    fn relative_paths_only_when_safe_and_allowed() {
        let t = trusted();
        assert!(is_trusted("/dashboard", &t, true));
        assert!(is_trusted("/a/b?c=d", &t, true));
        assert!(!is_trusted("/dashboard", &t, false));
        for bad in ["//evil.com", "/\\evil.com", "/%2Fevil.com", "/%5cevil.com", "/a\u{0}b"] {
            assert!(!is_trusted(bad, &t, true), "{bad}");
        }
    }

    #[test]
    fn wildcards() {
        let t = trusted();
        assert!(is_trusted("https://app.example.com", &t, false));
        assert!(!is_trusted("https://example.com", &t, false));
        assert!(is_trusted("https://a.corp.dev/x", &t, true));
        assert!(!is_trusted("http://a.corp.dev", &t, false));
        assert!(!is_trusted("https://evil.com?.example.com", &t, false));
        let ip = vec!["192.168.*".to_string()];
        assert!(is_trusted("http://192.168.1.1", &ip, false) || !is_trusted("http://192.168.attacker.com", &ip, false));
        assert!(!is_trusted("http://192.168.attacker.com", &ip, false));
    }

    #[test]
    fn globs() {
        assert!(wildcard_match("/sign-in/*", "/sign-in/email"));
        assert!(!wildcard_match("/sign-in/*", "/sign-in/a/b"));
        assert!(wildcard_match("/admin/**", "/admin/a/b"));
        assert!(wildcard_match("*.example.com", "a.example.com"));
        assert!(!wildcard_match("*.example.com", "example.com"));
    }

    #[test]
    fn custom_schemes() {
        let t = trusted();
        assert!(is_trusted("myapp://callback", &t, true));
        assert!(is_trusted("myapp://callback/deep", &t, true));
        assert!(!is_trusted("myapp://other", &t, true));
        assert!(!is_trusted("javascript:alert(1)", &t, true));
        assert!(!is_trusted("data:text/html,x", &t, true));
    }
}
