//! Time on the wire: RFC 3339 in UTC with microseconds.

use agora_events::Timestamp;

/// `2026-11-22T05:33:04.123456Z`.
pub(crate) fn rfc3339(t: Timestamp) -> String {
    humantime::format_rfc3339_micros(t.to_system_time()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_with_microseconds() {
        assert_eq!(
            rfc3339(Timestamp(1_700_000_000_123_456)),
            "2023-11-14T22:13:20.123456Z"
        );
    }
}
