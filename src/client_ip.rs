//! The client address (`packages/core/src/utils/ip.ts`), for sessions and rate limits: from the
//! configured headers (default `X-Forwarded-For`). Without trusted proxies only a single-hop value
//! is believed; with them the chain is walked right to left, skipping trusted hops. IPv4-mapped
//! IPv6 becomes IPv4; IPv6 is expanded and masked to `ipv6Subnet` bits (default /64).

use std::net::{IpAddr, Ipv6Addr};

use crate::http::Headers;
use crate::options::IpOptions;

pub fn client_ip(headers: &Headers, options: &IpOptions, dev_fallback: bool) -> Option<String> {
    if options.disable_tracking {
        return None;
    }
    let from_headers = options.headers.iter().find_map(|name| {
        let value = headers.get(name)?;
        ip_from_header(&value, options)
    });
    from_headers.or_else(|| dev_fallback.then(|| "127.0.0.1".to_owned()))
}

fn ip_from_header(value: &str, options: &IpOptions) -> Option<String> {
    let hops: Vec<&str> = value.split(',').map(str::trim).filter(|h| !h.is_empty()).collect();
    if !options.trusted_proxies.is_empty() {
        for hop in hops.iter().rev() {
            // A malformed hop means the chain cannot be trusted at all.
            let ip = hop.parse::<IpAddr>().ok()?;
            if options.trusted_proxies.iter().any(|net| net.contains(&ip)) {
                continue;
            }
            return Some(normalize(ip, options.ipv6_subnet));
        }
        return None;
    }
    match hops.as_slice() {
        [single] => single.parse::<IpAddr>().ok().map(|ip| normalize(ip, options.ipv6_subnet)),
        _ => None,
    }
}

fn normalize(ip: IpAddr, ipv6_subnet: u8) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let mask = if ipv6_subnet == 0 { 0 } else { !0u128 << (128 - u32::from(ipv6_subnet.min(128))) };
                let masked = Ipv6Addr::from(u128::from(v6) & mask);
                masked.segments().iter().map(|s| format!("{s:04x}")).collect::<Vec<_>>().join(":")
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(proxies: &[&str]) -> IpOptions {
        IpOptions {
            headers: vec!["x-forwarded-for".into()],
            disable_tracking: false,
            ipv6_subnet: 64,
            trusted_proxies: proxies.iter().map(|p| p.parse().unwrap()).collect(),
        }
    }

    fn h(v: &str) -> Headers {
        let mut h = Headers::new();
        h.append("x-forwarded-for", v);
        h
    }

    #[test]
    fn only_a_single_hop_is_believed_without_trusted_proxies() {
        let o = opts(&[]);
        assert_eq!(client_ip(&h("203.0.113.9"), &o, false).as_deref(), Some("203.0.113.9"));
        assert_eq!(client_ip(&h("203.0.113.9, 10.0.0.1"), &o, false), None);
        assert_eq!(client_ip(&h("not-an-ip"), &o, false), None);
        assert_eq!(client_ip(&Headers::new(), &o, true).as_deref(), Some("127.0.0.1"));
    }

    #[test]
    fn trusted_proxies_are_skipped_right_to_left() {
        let o = opts(&["10.0.0.0/8", "192.168.1.1/32"]);
        assert_eq!(client_ip(&h("1.2.3.4, 203.0.113.9, 10.1.2.3"), &o, false).as_deref(), Some("203.0.113.9"));
        // A client cannot move itself into another bucket by prepending hops.
        assert_eq!(client_ip(&h("6.6.6.6, 203.0.113.9, 192.168.1.1"), &o, false).as_deref(), Some("203.0.113.9"));
        assert_eq!(client_ip(&h("garbage, 10.1.2.3"), &o, false), None);
        assert_eq!(client_ip(&h("10.0.0.1, 10.0.0.2"), &o, false), None);
    }

    #[test]
    fn ipv6_is_expanded_and_masked_and_tracking_can_be_off() {
        let o = opts(&[]);
        assert_eq!(client_ip(&h("::ffff:192.0.2.1"), &o, false).as_deref(), Some("192.0.2.1"));
        assert_eq!(client_ip(&h("2001:db8::1234:5678"), &o, false).as_deref(), Some("2001:0db8:0000:0000:0000:0000:0000:0000"));
        let off = IpOptions { disable_tracking: true, ..opts(&[]) };
        assert_eq!(client_ip(&h("203.0.113.9"), &off, true), None);
    }
}
