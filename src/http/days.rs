//! Calendar days on the wire: `YYYY-MM-DD` (UTC) for the day numbers the
//! projections keep (whole days since the Unix epoch).

use std::time::{Duration, UNIX_EPOCH};

/// Seconds in a day.
const SECS_PER_DAY: u64 = 86_400;

/// `2026-12-01` for day 20_788.
pub(crate) fn format_day(day: u32) -> String {
    let time = UNIX_EPOCH + Duration::from_secs(u64::from(day) * SECS_PER_DAY);
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
    }
}
