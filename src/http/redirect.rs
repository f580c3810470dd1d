//! Where a redirect may lead: the requested host, its www twin and hosts the source allows,
//! never into loopback, private or link-local address space from a site outside it (SSRF),
//! at most [`MAX_REDIRECTS`] hops and no loops. The policy runs inside reqwest; a refusal
//! travels back in reqwest's error as a [`RedirectRefused`].

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::Url;

/// Redirects followed before giving up; WordPress http→https→www→slash chains need about 3.
pub(super) const MAX_REDIRECTS: usize = 5;

/// The error our redirect policy hands to reqwest; found again in the error chain.
#[derive(Debug, thiserror::Error)]
#[error("redirect to {to} refused: {reason}")]
pub(super) struct RedirectRefused {
    pub(super) to: String,
    pub(super) reason: String,
}

/// Why following a redirect from the chain `previous` (starting at `origin`) to `next` is
/// refused, or `None` when it may be followed.
pub(super) fn redirect_refusal(
    origin: &Url,
    previous: &[Url],
    next: &Url,
    allowed_hosts: &[String],
) -> Option<String> {
    if previous.len() > MAX_REDIRECTS {
        return Some(format!("too many redirects (more than {MAX_REDIRECTS})"));
    }
    if previous.contains(next) {
        return Some("redirect loop".to_string());
    }
    if !matches!(next.scheme(), "http" | "https") {
        return Some(format!("scheme {:?} is not http(s)", next.scheme()));
    }
    let Some(host) = next.host_str() else {
        return Some("no host".to_string());
    };
    if !host_allowed(origin, host, allowed_hosts) {
        return Some(format!(
            "host {host} is not {} or an allowed host",
            origin.host_str().unwrap_or_default()
        ));
    }
    let (from, to) = (address_class(origin), address_class(next));
    if to != AddressClass::Public && from != to {
        return Some(format!(
            "{host} is a {} address and {} is not",
            to.name(),
            origin.host_str().unwrap_or_default()
        ));
    }
    None
}

pub(super) fn normalize_host_pattern(pattern: &str) -> String {
    pattern.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// The requested host, its www twin, or one of `allowed` (`*.x` matches subdomains of x).
pub(super) fn host_allowed(origin: &Url, host: &str, allowed: &[String]) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let bare = |h: &str| {
        h.strip_prefix("www.")
            .map(str::to_string)
            .unwrap_or_else(|| h.to_string())
    };
    if let Some(own) = origin.host_str() {
        let own = own.trim_end_matches('.').to_ascii_lowercase();
        if own == host || bare(&own) == bare(&host) {
            return true;
        }
    }
    allowed.iter().any(|pattern| {
        let pattern = normalize_host_pattern(pattern);
        match pattern.strip_prefix("*.") {
            Some(parent) => host == parent || host.ends_with(&format!(".{parent}")),
            None => host == pattern,
        }
    })
}

/// Where an address points; only `Public` may be reached from a site of another class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AddressClass {
    Public,
    Loopback,
    Private,
    LinkLocal,
}

impl AddressClass {
    fn name(self) -> &'static str {
        match self {
            AddressClass::Public => "public",
            AddressClass::Loopback => "loopback",
            AddressClass::Private => "private",
            AddressClass::LinkLocal => "link-local",
        }
    }
}

/// The class of a URL's host as written. Names are not resolved here (a public name that
/// resolves to a private address is not caught); `localhost` names count as loopback.
pub(super) fn address_class(url: &Url) -> AddressClass {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip_class(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => ip_class(IpAddr::V6(ip)),
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            if name == "localhost" || name.ends_with(".localhost") {
                AddressClass::Loopback
            } else {
                AddressClass::Public
            }
        }
        None => AddressClass::Public,
    }
}

pub(super) fn ip_class(ip: IpAddr) -> AddressClass {
    match ip {
        IpAddr::V4(v4) => v4_class(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return v4_class(v4);
            }
            let first = v6.segments()[0];
            if v6.is_loopback() || v6.is_unspecified() {
                AddressClass::Loopback
            } else if first & 0xffc0 == 0xfe80 {
                AddressClass::LinkLocal
            } else if first & 0xfe00 == 0xfc00 || v6 == Ipv6Addr::UNSPECIFIED {
                AddressClass::Private
            } else {
                AddressClass::Public
            }
        }
    }
}

pub(super) fn v4_class(ip: Ipv4Addr) -> AddressClass {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() || ip.is_unspecified() {
        AddressClass::Loopback
    } else if ip.is_link_local() {
        AddressClass::LinkLocal
    } else if ip.is_private()
        || ip.is_broadcast()
        // 100.64.0.0/10, carrier-grade NAT: not on the public internet either.
        || (a == 100 && (64..128).contains(&b))
    {
        AddressClass::Private
    } else {
        AddressClass::Public
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_rules() {
        let u = |s: &str| Url::parse(s).expect("URL");
        let origin = u("http://example.kz/news/");
        let chain = [origin.clone()];
        let refuse =
            |to: &str, allowed: &[String]| redirect_refusal(&origin, &chain, &u(to), allowed);
        assert_eq!(refuse("https://example.kz/news/", &[]), None);
        assert_eq!(refuse("https://www.example.kz/news/", &[]), None);
        assert!(refuse("https://cdn.example.kz/", &[]).is_some());
        assert_eq!(
            refuse("https://cdn.example.kz/", &["*.example.kz".into()]),
            None
        );
        assert_eq!(refuse("https://gov.kz/", &["GOV.KZ".into()]), None);
        let private = refuse("http://192.168.1.1/", &["192.168.1.1".into()]);
        assert!(private.is_some_and(|r| r.contains("private")));
        let loopback = refuse("http://localhost/", &["localhost".into()]);
        assert!(loopback.is_some_and(|r| r.contains("loopback")));
        assert!(refuse("ftp://example.kz/", &[]).is_some());
        assert!(refuse("http://example.kz/news/", &[]).is_some_and(|r| r.contains("loop")));
        // A loopback origin may stay on loopback but not go into the LAN.
        let local = u("http://127.0.0.1:8080/");
        let local_chain = [local.clone()];
        assert_eq!(
            redirect_refusal(&local, &local_chain, &u("http://127.0.0.1:8080/a"), &[]),
            None
        );
        assert!(
            redirect_refusal(
                &local,
                &local_chain,
                &u("http://10.0.0.1/"),
                &["10.0.0.1".into()]
            )
            .is_some()
        );
        assert_eq!(
            ip_class("fe80::1".parse().expect("ip")),
            AddressClass::LinkLocal
        );
        assert_eq!(
            ip_class("fd00::1".parse().expect("ip")),
            AddressClass::Private
        );
        assert_eq!(
            ip_class("::ffff:10.1.1.1".parse().expect("ip")),
            AddressClass::Private
        );
        assert_eq!(
            ip_class("169.254.169.254".parse().expect("ip")),
            AddressClass::LinkLocal
        );
        assert_eq!(
            ip_class("100.64.0.1".parse().expect("ip")),
            AddressClass::Private
        );
        assert_eq!(
            ip_class("8.8.8.8".parse().expect("ip")),
            AddressClass::Public
        );
    }
}
