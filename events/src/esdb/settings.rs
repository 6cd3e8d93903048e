//! The connection string: the defaults that bound discovery, and redaction
//! of credentials before a connection string appears in a message.

/// Discovery settings added to a connection string that does not set them,
/// so that an unreachable server fails in about a second instead of hanging:
///
/// - `maxDiscoverAttempts=2`: one real attempt (kurrentdb counts the first
///   node selection as an attempt) and, for a cluster, one more gossip round;
/// - `discoveryInterval=100`: 100 ms between attempts (default 500 ms);
/// - `gossipTimeout=1000`: 1 s for a gossip or server-features call to a
///   node that does not answer at all (default 3 s).
///
/// A refused connection fails after about 100 ms, a black-holed single node
/// after about 1.1 s, a cluster whose seeds all black-hole after about
/// `2 × seeds × 1 s`. Keep-alive (`keepAliveInterval`/`keepAliveTimeout`,
/// 10 s each, which kurrentdb will not lower) bounds how long an established
/// connection to a node that died silently takes to fail.
pub(super) const BOUNDED_DISCOVERY: [(&str, &str); 3] = [
    ("maxDiscoverAttempts", "2"),
    ("discoveryInterval", "100"),
    ("gossipTimeout", "1000"),
];

/// `url` with every [`BOUNDED_DISCOVERY`] parameter it does not already set
/// (names compare case-insensitively, as kurrentdb reads them) appended to
/// its query.
pub(super) fn with_bounded_discovery(url: &str) -> String {
    let query = url.split_once('?').map_or("", |(_, query)| query);
    let present: Vec<String> = query
        .split('&')
        .filter_map(|pair| pair.split('=').next())
        .map(|name| name.trim().to_ascii_lowercase())
        .collect();
    let mut out = url.to_owned();
    let mut separator = match url.split_once('?') {
        None => "?",
        Some((_, "")) => "",
        Some(_) if url.ends_with('&') => "",
        Some(_) => "&",
    };
    for (name, value) in BOUNDED_DISCOVERY {
        if !present.iter().any(|p| p.eq_ignore_ascii_case(name)) {
            out.push_str(separator);
            out.push_str(name);
            out.push('=');
            out.push_str(value);
            separator = "&";
        }
    }
    out
}

/// `url` with any `user:password@` replaced by `***@`, fit for logs and
/// error messages.
pub(super) fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}://***@{}", &url[..scheme_end], &rest[at + 1..]),
        None => url.to_owned(),
    }
}

/// `message` with every occurrence of each of `secrets` replaced by its
/// redacted form (kurrentdb puts the whole connection string in some parse
/// errors).
pub(super) fn scrub(message: &str, secrets: &[&str]) -> String {
    let mut out = message.to_owned();
    for secret in secrets {
        if !secret.is_empty() {
            out = out.replace(secret, &redact(secret));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_discovery_settings_are_added() {
        assert_eq!(
            with_bounded_discovery("esdb://localhost:2113?tls=false"),
            "esdb://localhost:2113?tls=false&maxDiscoverAttempts=2&discoveryInterval=100&gossipTimeout=1000"
        );
        assert_eq!(
            with_bounded_discovery("esdb://localhost:2113"),
            "esdb://localhost:2113?maxDiscoverAttempts=2&discoveryInterval=100&gossipTimeout=1000"
        );
        assert_eq!(
            with_bounded_discovery("esdb://a:2113,b:2113?"),
            "esdb://a:2113,b:2113?maxDiscoverAttempts=2&discoveryInterval=100&gossipTimeout=1000"
        );
    }

    #[test]
    fn settings_given_in_the_url_win() {
        assert_eq!(
            with_bounded_discovery(
                "esdb://h:2113?tls=false&MAXDISCOVERATTEMPTS=10&gossipTimeout=5000"
            ),
            "esdb://h:2113?tls=false&MAXDISCOVERATTEMPTS=10&gossipTimeout=5000&discoveryInterval=100"
        );
    }

    #[test]
    fn the_result_parses() {
        for url in [
            "esdb://localhost:2113?tls=false",
            "esdb://admin:changeit@node1:2113,node2:2113,node3:2113?tls=true&tlsVerifyCert=false",
            "esdb+discover://cluster.example.com:2113",
        ] {
            let full = with_bounded_discovery(url);
            let settings: kurrentdb::ClientSettings = full.parse().expect("parses");
            assert_eq!(settings.max_discover_attempts(), 2, "{full}");
            assert_eq!(
                settings.gossip_timeout(),
                std::time::Duration::from_secs(1),
                "{full}"
            );
            assert_eq!(
                settings.discovery_interval(),
                std::time::Duration::from_millis(100),
                "{full}"
            );
        }
    }

    #[test]
    fn credentials_are_redacted() {
        assert_eq!(
            redact("esdb://admin:changeit@node1:2113,node2:2113?tls=true"),
            "esdb://***@node1:2113,node2:2113?tls=true"
        );
        assert_eq!(
            redact("esdb://node1:2113?tls=false"),
            "esdb://node1:2113?tls=false"
        );
        assert_eq!(redact("not a url"), "not a url");
        assert_eq!(
            scrub("bad: esdb://u:p@h:1/x", &["esdb://u:p@h:1/x"]),
            "bad: esdb://***@h:1/x"
        );
    }
}
