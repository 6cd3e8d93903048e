//! Time on the wire: RFC 3339 in UTC with microseconds, and the one range
//! of times the API accepts from clients (years 1970 to 9999), so parsing
//! answers a clear error and formatting never panics.

use agora_events::Timestamp;

/// The earliest time a client may send: `1970-01-01T00:00:00Z`.
pub(crate) const EARLIEST: Timestamp = Timestamp(0);
/// The latest time a client may send: `9999-12-31T23:59:59.999999Z`.
pub(crate) const LATEST: Timestamp = Timestamp(253_402_300_799_999_999);

/// The accepted range, for error messages.
pub(crate) const RANGE_TEXT: &str =
    "1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z (0 to 253402300799999999 microseconds)";

/// `2026-11-22T05:33:04.123456Z`. Guarantees: never panics; a time outside
/// [`EARLIEST`, `LATEST`] is shown as the nearest bound.
pub(crate) fn rfc3339(t: Timestamp) -> String {
    let t = Timestamp(t.0.clamp(EARLIEST.0, LATEST.0));
    humantime::format_rfc3339_micros(t.to_system_time()).to_string()
}

/// Why a client's time was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TimeError {
    /// Neither RFC 3339 nor a number of microseconds.
    #[error(
        "{0:?} is neither RFC 3339 (UTC, e.g. 2026-12-01T00:00:00Z) nor microseconds since the epoch"
    )]
    Malformed(String),
    /// Outside the accepted range.
    #[error("{0:?} is outside the accepted range, {RANGE_TEXT}")]
    OutOfRange(String),
}

/// Parses a client's time: RFC 3339 in UTC, or microseconds since the
/// epoch; only times in [`EARLIEST`, `LATEST`] are accepted.
pub(crate) fn parse_time(text: &str) -> Result<Timestamp, TimeError> {
    let text = text.trim();
    let micros = if let Ok(micros) = text.parse::<i128>() {
        micros
    } else {
        let time = humantime::parse_rfc3339(text).map_err(|e| match e {
            humantime::TimestampError::OutOfRange => TimeError::OutOfRange(text.to_owned()),
            _ => TimeError::Malformed(text.to_owned()),
        })?;
        match time.duration_since(std::time::UNIX_EPOCH) {
            Ok(after) => i128::try_from(after.as_micros()).unwrap_or(i128::MAX),
            Err(_) => -1,
        }
    };
    checked(micros).ok_or_else(|| TimeError::OutOfRange(text.to_owned()))
}

/// `micros` as a timestamp, if inside the accepted range.
pub(crate) fn checked(micros: i128) -> Option<Timestamp> {
    (i128::from(EARLIEST.0)..=i128::from(LATEST.0))
        .contains(&micros)
        .then(|| i64::try_from(micros).ok().map(Timestamp))
        .flatten()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn formats_utc_with_microseconds() {
        assert_eq!(
            rfc3339(Timestamp(1_700_000_000_123_456)),
            "2023-11-14T22:13:20.123456Z"
        );
        assert_eq!(rfc3339(LATEST), "9999-12-31T23:59:59.999999Z");
        assert_eq!(rfc3339(Timestamp(i64::MAX)), "9999-12-31T23:59:59.999999Z");
        assert_eq!(rfc3339(Timestamp(i64::MIN)), "1970-01-01T00:00:00.000000Z");
    }

    #[test]
    fn client_times_are_rfc3339_or_micros_within_range() {
        assert_eq!(
            parse_time("1700000000000000"),
            Ok(Timestamp(1_700_000_000_000_000))
        );
        assert_eq!(
            parse_time("2023-11-14T22:13:20Z"),
            Ok(Timestamp(1_700_000_000_000_000))
        );
        assert_eq!(parse_time("9999-12-31T23:59:59.999999Z"), Ok(LATEST));
        assert!(matches!(
            parse_time("yesterday"),
            Err(TimeError::Malformed(_))
        ));
        for out in [
            "-1",
            "-9223372036854775808",
            "9223372036854775807",
            "253402300800000000",
            "99999999999999999999999999",
            "1969-12-31T23:59:59Z",
        ] {
            assert!(
                matches!(parse_time(out), Err(TimeError::OutOfRange(_))),
                "{out}"
            );
        }
    }

    proptest! {
        /// Whatever a client sends, parsing answers and formatting what it
        /// accepted never panics and reads back the same time.
        #[test]
        fn parsing_and_formatting_never_panic(text in ".{0,40}", micros in any::<i64>()) {
            let _ = parse_time(&text);
            let _ = rfc3339(Timestamp(micros));
            if let Ok(t) = parse_time(&micros.to_string()) {
                prop_assert_eq!(parse_time(&rfc3339(t)), Ok(t));
            }
        }
    }
}
