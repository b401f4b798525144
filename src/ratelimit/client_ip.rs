//! Which address a request is counted against.
//!
//! The socket peer, unless the peer is one of our trusted proxies: then
//! `X-Forwarded-For` is read from the right (each proxy appends the address it saw),
//! skipping trusted hops, and the first untrusted address is the client. Anything left
//! of it was written by the client and could be forged, so it is never read.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use ipnet::IpNet;

/// The address to rate limit: `peer`, or the right-most untrusted address of
/// `forwarded_for` (the `X-Forwarded-For` values, comma-joined) when `peer` is trusted.
///
/// If every forwarded hop is trusted, the left-most one is the client. If a hop does
/// not parse, the last trusted address before it is used: a proxy we trust wrote
/// nonsense, and guessing further left would believe the client. IPv4-mapped IPv6
/// addresses (`::ffff:192.0.2.1`, seen on dual-stack sockets) count as IPv4.
pub fn client_ip(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpNet]) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let Some(forwarded_for) = forwarded_for else {
        return peer;
    };
    let mut client = peer;
    for hop in forwarded_for.rsplit(',').map(str::trim) {
        if hop.is_empty() {
            continue;
        }
        let Some(ip) = parse_hop(hop) else {
            return client;
        };
        client = ip;
        if !is_trusted(&ip) {
            return ip;
        }
    }
    client
}

/// Every `X-Forwarded-For` line of a request joined in order into one list, as RFC 9110
/// reads repeated header lines; `None` when there is none. A line that is not text
/// becomes a hop that does not parse, so the walk in [`client_ip`] stops there.
pub fn join_forwarded_for<'a>(
    lines: impl IntoIterator<Item = Option<&'a str>>,
) -> Option<Cow<'a, str>> {
    let mut joined: Option<Cow<'a, str>> = None;
    for line in lines {
        let line = line.unwrap_or("unreadable");
        joined = Some(match joined {
            None => Cow::Borrowed(line),
            Some(before) => Cow::Owned(format!("{before}, {line}")),
        });
    }
    joined
}

/// The rate-limit key for a client address: IPv4 as is, IPv6 by its /64.
///
/// One IPv6 subscriber usually holds a whole /64, so keying on the full address would
/// give a brute-forcer 2^64 separate budgets.
pub fn ip_key(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & (u128::MAX << 64);
            format!("{}/64", Ipv6Addr::from(prefix))
        }
    }
}

/// A hop as proxies write it: `192.0.2.1`, `2001:db8::1`, and (some proxies add the
/// port) `192.0.2.1:4711` or `[2001:db8::1]:4711`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|addr| addr.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(value: &str) -> IpAddr {
        value.parse().unwrap()
    }

    fn nets(values: &[&str]) -> Vec<IpNet> {
        values.iter().map(|v| v.parse().unwrap()).collect()
    }

    #[test]
    fn untrusted_peer_is_the_client_whatever_it_forwards() {
        let trusted = nets(&["10.0.0.0/8"]);
        assert_eq!(
            client_ip(ip("203.0.113.9"), Some("198.51.100.1"), &trusted),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_ip(ip("203.0.113.9"), Some("198.51.100.1"), &[]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn trusted_peer_yields_the_rightmost_untrusted_hop() {
        let trusted = nets(&["10.0.0.0/8", "192.0.2.7/32"]);
        // The client forged "1.1.1.1"; our proxies appended the real address and hops.
        let header = "1.1.1.1, 203.0.113.50, 192.0.2.7,10.1.2.3";
        assert_eq!(
            client_ip(ip("10.0.0.2"), Some(header), &trusted),
            ip("203.0.113.50")
        );
    }

    #[test]
    fn trusted_peer_without_header_is_the_client() {
        let trusted = nets(&["10.0.0.0/8"]);
        assert_eq!(client_ip(ip("10.0.0.2"), None, &trusted), ip("10.0.0.2"));
        assert_eq!(
            client_ip(ip("10.0.0.2"), Some(" "), &trusted),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn all_hops_trusted_gives_the_leftmost() {
        let trusted = nets(&["10.0.0.0/8"]);
        assert_eq!(
            client_ip(ip("10.0.0.2"), Some("10.9.9.9, 10.0.0.3"), &trusted),
            ip("10.9.9.9")
        );
    }

    #[test]
    fn garbage_stops_the_walk_at_the_last_trusted_hop() {
        let trusted = nets(&["10.0.0.0/8"]);
        assert_eq!(
            client_ip(
                ip("10.0.0.2"),
                Some("203.0.113.5, unknown, 10.0.0.3"),
                &trusted
            ),
            ip("10.0.0.3")
        );
        assert_eq!(
            client_ip(ip("10.0.0.2"), Some("not-an-ip"), &trusted),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn ports_and_mapped_addresses() {
        let trusted = nets(&["10.0.0.0/8", "2001:db8::/32"]);
        assert_eq!(
            client_ip(ip("::ffff:10.0.0.2"), Some("203.0.113.5:4711"), &trusted),
            ip("203.0.113.5")
        );
        assert_eq!(
            client_ip(
                ip("2001:db8::1"),
                Some("[2001:db8:ffff::1]:80, [2a00::5]:443"),
                &trusted
            ),
            ip("2a00::5")
        );
        assert_eq!(
            client_ip(ip("::ffff:203.0.113.9"), None, &trusted),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn repeated_lines_are_joined_in_order_and_read_from_the_right() {
        let trusted = nets(&["10.0.0.0/8"]);
        // The client sent its own line; the proxy appended a second with what it saw.
        let joined = join_forwarded_for([Some("10.0.2.7"), Some("9.9.9.9")]).unwrap();
        assert_eq!(joined, "10.0.2.7, 9.9.9.9");
        assert_eq!(
            client_ip(ip("10.0.0.2"), Some(&joined), &trusted),
            ip("9.9.9.9")
        );
        let three = join_forwarded_for([Some("1.1.1.1, 10.0.0.9"), Some(" 203.0.113.4 ")]);
        assert_eq!(
            client_ip(ip("10.0.0.2"), three.as_deref(), &trusted),
            ip("203.0.113.4")
        );
        assert_eq!(
            join_forwarded_for([Some("192.0.2.1")]).unwrap(),
            "192.0.2.1"
        );
        assert!(join_forwarded_for([]).is_none());
    }

    #[test]
    fn an_unreadable_line_stops_the_walk() {
        let trusted = nets(&["10.0.0.0/8"]);
        let joined = join_forwarded_for([Some("203.0.113.5"), None, Some("10.0.0.3")]);
        assert_eq!(
            client_ip(ip("10.0.0.2"), joined.as_deref(), &trusted),
            ip("10.0.0.3")
        );
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        assert_eq!(ip_key(ip("203.0.113.9")), "203.0.113.9");
        assert_eq!(ip_key(ip("::ffff:203.0.113.9")), "203.0.113.9");
        assert_eq!(ip_key(ip("2001:db8:1:2:aaaa::1")), "2001:db8:1:2::/64");
        assert_eq!(
            ip_key(ip("2001:db8:1:2:ffff::9")),
            ip_key(ip("2001:db8:1:2::1"))
        );
    }
}
