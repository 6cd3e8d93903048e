//! Sums of money in read models: amounts by currency, kept in `i128`.
//!
//! The write side caps a price at
//! [`Money::MAX_MINOR_UNITS`](agora_events::domain::money::Money::MAX_MINOR_UNITS),
//! but an old log may hold any `u64` amount. An `i128` holds the sum of
//! more than 2^63 such amounts, so no history the store can hold overflows
//! it; the additions are checked all the same, and an overflow saturates
//! and is reported to the caller (who records the anomaly) instead of
//! failing: a read model never stops on an amount the write side accepted.
//!
//! The HTTP layer shows amounts as 64-bit integers; [`saturated_i64`] and
//! [`saturated_u64`] clamp a sum that does not fit to the nearest bound.

use std::collections::BTreeMap;

/// Amounts by ISO 4217 code, in the currency's minor unit.
pub type Sums = BTreeMap<String, i128>;

/// Adds `amount` to the sum of `currency`. Returns `false` when the sum
/// would overflow: it is then left at the nearest bound (saturated) and the
/// caller should record the anomaly.
#[must_use = "an overflow is an anomaly the read model should record"]
pub fn add(sums: &mut Sums, currency: &str, amount: i128) -> bool {
    let sum = match sums.get_mut(currency) {
        Some(sum) => sum,
        None => sums.entry(currency.to_owned()).or_default(),
    };
    match sum.checked_add(amount) {
        Some(total) => {
            *sum = total;
            true
        }
        None => {
            *sum = sum.saturating_add(amount);
            false
        }
    }
}

/// Adds every sum of `other` into `sums`. Returns `false` if any sum
/// saturated (see [`add`]).
#[must_use = "an overflow is an anomaly the read model should record"]
pub fn add_all(sums: &mut Sums, other: &Sums) -> bool {
    other.iter().fold(true, |ok, (currency, amount)| {
        add(sums, currency, *amount) && ok
    })
}

/// `sums` as 64-bit signed integers, a sum beyond `i64` clamped to the
/// nearest bound.
pub fn saturated_i64(sums: &Sums) -> BTreeMap<String, i64> {
    sums.iter()
        .map(|(currency, sum)| (currency.clone(), clamp_i64(*sum)))
        .collect()
}

/// `sums` as 64-bit unsigned integers, a negative sum shown as 0 and one
/// beyond `u64` as `u64::MAX`.
pub fn saturated_u64(sums: &Sums) -> BTreeMap<String, u64> {
    sums.iter()
        .map(|(currency, sum)| {
            let clamped = u64::try_from(*sum).unwrap_or(if *sum < 0 { 0 } else { u64::MAX });
            (currency.clone(), clamped)
        })
        .collect()
}

/// `amount` clamped into `i64`.
pub fn clamp_i64(amount: i128) -> i64 {
    i64::try_from(amount).unwrap_or(if amount < 0 { i64::MIN } else { i64::MAX })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn sums_of_the_largest_amounts_do_not_wrap() {
        let mut sums = Sums::new();
        for _ in 0..4 {
            assert!(add(&mut sums, "CNY", i128::from(u64::MAX)));
        }
        assert_eq!(sums["CNY"], 4 * i128::from(u64::MAX));
        assert_eq!(saturated_i64(&sums)["CNY"], i64::MAX);
        assert_eq!(saturated_u64(&sums)["CNY"], u64::MAX);
        assert!(add(&mut sums, "CNY", -5 * i128::from(u64::MAX)));
        assert_eq!(saturated_i64(&sums)["CNY"], i64::MIN);
        assert_eq!(saturated_u64(&sums)["CNY"], 0);
    }

    #[test]
    fn an_overflow_saturates_and_is_reported() {
        let mut sums = Sums::new();
        assert!(add(&mut sums, "USD", i128::MAX - 1));
        assert!(!add(&mut sums, "USD", 2));
        assert_eq!(sums["USD"], i128::MAX);
        assert!(add(&mut sums, "USD", -1));
        let mut total = Sums::new();
        assert!(add(&mut total, "USD", 10));
        assert!(!add_all(&mut total, &sums));
        assert_eq!(total["USD"], i128::MAX);
    }

    proptest! {
        #[test]
        fn sums_are_exact_for_any_u64_amounts(amounts in proptest::collection::vec((any::<u64>(), any::<bool>()), 0..50)) {
            let mut sums = Sums::new();
            let mut expected: i128 = 0;
            for (amount, negative) in amounts {
                let amount = if negative { -i128::from(amount) } else { i128::from(amount) };
                prop_assert!(add(&mut sums, "EUR", amount));
                expected += amount;
            }
            prop_assert_eq!(sums.get("EUR").copied().unwrap_or(0), expected);
        }
    }
}

#[cfg(test)]
mod histories;
