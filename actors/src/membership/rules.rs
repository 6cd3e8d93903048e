//! Field rules of a membership plan: the limits, and the checks that turn a
//! caller's value into the normalised value an event records.

use agora_events::Timestamp;
use agora_events::domain::content::Money;

use super::MembershipError;
use crate::content::MICROS_PER_DAY;

/// Longest plan title, in characters after trimming.
pub const MAX_TITLE_CHARS: usize = 200;
/// Shortest period, in days.
pub const MIN_PERIOD_DAYS: u32 = 1;
/// Longest period, in days (about ten years).
pub const MAX_PERIOD_DAYS: u32 = 3660;
/// Most renewals one membership gets in one sweep. A clock that jumped
/// far ahead (a server down for months, a test moving time by years) is
/// caught up over several sweeps instead of in one huge append.
pub const MAX_RENEWALS_PER_SWEEP: u32 = 100;

/// Trims and checks a plan title.
pub(super) fn title(title: &str) -> Result<String, MembershipError> {
    let title = title.trim();
    if title.is_empty() {
        return Err(MembershipError::EmptyTitle);
    }
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(MembershipError::TitleTooLong);
    }
    if title.chars().any(char::is_control) {
        return Err(MembershipError::ControlCharacter);
    }
    Ok(title.to_owned())
}

/// Checks a period length.
pub(super) fn period_days(days: u32) -> Result<u32, MembershipError> {
    if (MIN_PERIOD_DAYS..=MAX_PERIOD_DAYS).contains(&days) {
        Ok(days)
    } else {
        Err(MembershipError::PeriodOutOfRange(days))
    }
}

/// Checks a price by the one rule of money ([`Money::check`]): 0 (free) up
/// to [`Money::MAX_MINOR_UNITS`], in a known ISO 4217 currency.
pub(super) fn price(price: &Money) -> Result<Money, MembershipError> {
    price.check().map_err(MembershipError::PriceOutOfRange)?;
    Ok(price.clone())
}

/// The end of a period of `days` days starting at `start` (saturating).
pub(super) fn period_end(start: Timestamp, days: u32) -> Timestamp {
    Timestamp(
        start
            .0
            .saturating_add(i64::from(days).saturating_mul(MICROS_PER_DAY)),
    )
}

#[cfg(test)]
mod tests {
    use agora_events::domain::money::MoneyError;

    use super::*;

    #[test]
    fn titles_are_trimmed_and_bounded() {
        assert_eq!(title("  Gold  "), Ok("Gold".to_owned()));
        assert_eq!(title("   "), Err(MembershipError::EmptyTitle));
        assert_eq!(
            title(&"x".repeat(MAX_TITLE_CHARS + 1)),
            Err(MembershipError::TitleTooLong)
        );
        assert_eq!(title("a\nb"), Err(MembershipError::ControlCharacter));
    }

    #[test]
    fn periods_are_one_day_to_ten_years() {
        assert_eq!(period_days(0), Err(MembershipError::PeriodOutOfRange(0)));
        assert_eq!(period_days(1), Ok(1));
        assert_eq!(period_days(MAX_PERIOD_DAYS), Ok(MAX_PERIOD_DAYS));
        assert!(period_days(MAX_PERIOD_DAYS + 1).is_err());
        assert_eq!(period_end(Timestamp(5), 1), Timestamp(5 + MICROS_PER_DAY));
        assert_eq!(period_end(Timestamp(i64::MAX - 1), 30), Timestamp(i64::MAX));
    }

    #[test]
    fn prices_need_a_known_currency_and_stay_under_the_ceiling() {
        let money = |amount_cents: u64, currency: &str| Money {
            amount_cents,
            currency: currency.into(),
        };
        assert!(price(&money(100, "CNY")).is_ok());
        assert!(price(&money(Money::MAX_MINOR_UNITS, "KWD")).is_ok());
        for bad in ["cny", "CN", "CNYY", "", "ABC"] {
            assert_eq!(
                price(&money(100, bad)),
                Err(MembershipError::PriceOutOfRange(
                    MoneyError::UnknownCurrency(bad.into())
                ))
            );
        }
        assert_eq!(
            price(&money(Money::MAX_MINOR_UNITS + 1, "CNY")),
            Err(MembershipError::PriceOutOfRange(MoneyError::AboveCeiling {
                amount: Money::MAX_MINOR_UNITS + 1
            }))
        );
    }
}
