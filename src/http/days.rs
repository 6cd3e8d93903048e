//! Calendar days on the wire: `YYYY-MM-DD` (UTC) for the day numbers the
//! projections keep (whole days since the Unix epoch).

use std::time::{Duration, UNIX_EPOCH};

/// Seconds in a day.
const SECS_PER_DAY: u64 = 86_400;

/// Day of 9999-12-31, the last day the API formats.
const LAST_DAY: u32 = 2_932_896;

/// `2026-12-01` for day 20_788. Guarantees: never panics; a day after
/// 9999-12-31 is shown as that day.
pub(crate) fn format_day(day: u32) -> String {
    let time = UNIX_EPOCH + Duration::from_secs(u64::from(day.min(LAST_DAY)) * SECS_PER_DAY);
    let text = humantime::format_rfc3339_seconds(time).to_string();
    text.get(..10).unwrap_or(&text).to_owned()
}

/// The day of `YYYY-MM-DD` (or of an RFC 3339 time, UTC); `None` if it is
/// neither, or before 1970.
pub(crate) fn parse_day(text: &str) -> Option<u32> {
    let text = text.trim();
    let time = if text.len() == 10 {
        humantime::parse_rfc3339(&format!("{text}T00:00:00Z")).ok()?
    } else {
        humantime::parse_rfc3339_weak(text).ok()?
    };
    let secs = time.duration_since(UNIX_EPOCH).ok()?.as_secs();
    u32::try_from(secs / SECS_PER_DAY).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_through_dates() {
        assert_eq!(format_day(0), "1970-01-01");
        assert_eq!(parse_day("2026-12-01"), Some(20_788));
        assert_eq!(format_day(20_788), "2026-12-01");
        assert_eq!(parse_day("2026-12-01T23:59:59Z"), Some(20_788));
        assert_eq!(parse_day("yesterday"), None);
        assert_eq!(parse_day("1969-12-31"), None);
        assert_eq!(parse_day("9999-12-31"), Some(LAST_DAY));
        assert_eq!(format_day(LAST_DAY), "9999-12-31");
        assert_eq!(format_day(u32::MAX), "9999-12-31");
    }
}
