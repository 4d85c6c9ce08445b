//! The client address recorded on sessions (spec §8.6): a single valid `X-Forwarded-For`
//! value, IPv4-mapped IPv6 reduced to IPv4, IPv6 expanded and masked to its /64.

use std::net::{IpAddr, Ipv6Addr};

use crate::http::Headers;

pub fn client_ip(headers: &Headers, dev_fallback: bool) -> Option<String> {
    let forwarded = headers.get("x-forwarded-for");
    let single = forwarded.as_deref().filter(|v| !v.contains(',')).map(str::trim);
    match single.and_then(|v| v.parse::<IpAddr>().ok()) {
        Some(ip) => Some(normalize(ip)),
        None if dev_fallback => Some("127.0.0.1".into()),
        None => None,
    }
}

fn normalize(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let masked = u128::from(v6) & (!0u128 << 64);
                Ipv6Addr::from(masked).segments().iter().map(|s| format!("{s:04x}")).collect::<Vec<_>>().join(":")
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(v: &str) -> Headers {
        let mut h = Headers::new();
        h.append("x-forwarded-for", v);
        h
    }

    #[test]
    fn only_a_single_hop_is_believed() {
        assert_eq!(client_ip(&h("203.0.113.9"), false).as_deref(), Some("203.0.113.9"));
        assert_eq!(client_ip(&h("203.0.113.9, 10.0.0.1"), false), None);
        assert_eq!(client_ip(&h("not-an-ip"), false), None);
        assert_eq!(client_ip(&Headers::new(), true).as_deref(), Some("127.0.0.1"));
    }

    #[test]
    fn ipv6_is_expanded_and_masked() {
        assert_eq!(client_ip(&h("::ffff:192.0.2.1"), false).as_deref(), Some("192.0.2.1"));
        assert_eq!(
            client_ip(&h("2001:db8::1234:5678"), false).as_deref(),
            Some("2001:0db8:0000:0000:0000:0000:0000:0000")
        );
    }
}
