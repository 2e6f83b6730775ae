//! The client's address as the limits count it: behind trusted proxies, the one their
//! forwarding header names.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;

use crate::config::{ClientAddressHeader, TrustedProxies};

/// One client address as the limits count it: an IPv4 address (a mapped one too), or the /64
/// an IPv6 address is in (one subscriber's network, which it can fill with addresses at will).
#[must_use]
pub fn address_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !(u128::MAX >> 64);
            IpAddr::V6(std::net::Ipv6Addr::from(bits))
        }
        v4 => v4,
    }
}

pub(super) fn trusted(proxies: &TrustedProxies, ip: IpAddr) -> bool {
    let ip = ip.to_canonical();
    proxies.networks.iter().any(|n| n.contains(&ip))
}

/// The client's address: the TCP peer's, unless the peer is a trusted proxy; then the address
/// its forwarding header names, read right to left past the trusted proxies (the entries on
/// the left are whatever the client wrote, so only the ones our proxies appended count).
///
/// A header naming no usable address leaves the last trusted hop's.
#[must_use]
pub fn client_address(peer: IpAddr, headers: &HeaderMap, proxies: &TrustedProxies) -> IpAddr {
    if !trusted(proxies, peer) {
        return peer;
    }
    let values = |name: &str| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|hop| hop.trim().to_owned())
            .collect()
    };
    let hops: Vec<Option<IpAddr>> = match proxies.header {
        ClientAddressHeader::XForwardedFor => values("x-forwarded-for")
            .iter()
            .map(|hop| node_address(hop))
            .collect(),
        ClientAddressHeader::Forwarded => values("forwarded")
            .iter()
            .map(|element| {
                element.split(';').find_map(|pair| {
                    let (name, value) = pair.split_once('=')?;
                    name.trim()
                        .eq_ignore_ascii_case("for")
                        .then(|| node_address(value.trim()))?
                })
            })
            .collect(),
    };
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Some(ip) = hop else { break };
        client = *ip;
        if !trusted(proxies, *ip) {
            break;
        }
    }
    client
}

/// An address as forwarding headers write it: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`,
/// `"[2001:db8::1]:4711"`; `None` for `unknown` and obfuscated names (`_proxy1`).
fn node_address(text: &str) -> Option<IpAddr> {
    let text = text.trim().trim_matches('"');
    if let Some(rest) = text.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    text.parse::<IpAddr>()
        .ok()
        .or_else(|| text.parse::<SocketAddr>().ok().map(|s| s.ip()))
}
