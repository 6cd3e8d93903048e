//! Money: an amount in the minor unit of an ISO 4217 currency, and the one
//! rule every price obeys where it enters the system ([`Money::check`]).
//!
//! The rule: the currency is one of [`CURRENCIES`] (ISO 4217 codes with
//! their minor units) and the amount is at most [`Money::MAX_MINOR_UNITS`].
//! The ceiling keeps every sum a read model makes far from any integer
//! limit: even a million sales at the ceiling add up to 10^18 minor units,
//! which still fits an `i64`. Events written before the rule existed may
//! carry any `u64`; read models add amounts in `i128`, so those never
//! overflow either.
//!
//! The wire format (serde, bincode) is the struct's two fields, unchanged
//! since the first event log.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An amount of money in the smallest unit of a currency.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct Money {
    /// Amount in cents (the currency's minor unit); 0 means free.
    pub amount_cents: u64,
    /// ISO 4217 code: exactly three uppercase ASCII letters (`"CNY"`).
    pub currency: String,
}

/// Why an amount of money is refused where a price enters the system.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The amount is above [`Money::MAX_MINOR_UNITS`]: send a smaller amount
    /// (422).
    #[error(
        "{amount} minor units is above the ceiling of {} per price",
        Money::MAX_MINOR_UNITS
    )]
    AboveCeiling {
        /// The amount sent.
        amount: u64,
    },
    /// The currency is not one of the ISO 4217 codes this server knows
    /// ([`CURRENCIES`]): send a known currency (422).
    #[error("{0:?} is not a known ISO 4217 currency code")]
    UnknownCurrency(String),
}

/// One ISO 4217 currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Currency {
    /// The three-letter code.
    pub code: &'static str,
    /// Digits after the decimal point of its minor unit (`2`: cents; `0`:
    /// no minor unit, as the yen; `3`: thousandths, as the dinars).
    pub minor_digits: u8,
}

const fn currency(code: &'static str, minor_digits: u8) -> Currency {
    Currency { code, minor_digits }
}

/// The currencies a price may be in, with their minor units (ISO 4217), in
/// code order.
pub const CURRENCIES: &[Currency] = &[
    currency("AED", 2),
    currency("ARS", 2),
    currency("AUD", 2),
    currency("BHD", 3),
    currency("BRL", 2),
    currency("CAD", 2),
    currency("CHF", 2),
    currency("CLP", 0),
    currency("CNY", 2),
    currency("COP", 2),
    currency("CZK", 2),
    currency("DKK", 2),
    currency("EGP", 2),
    currency("EUR", 2),
    currency("GBP", 2),
    currency("HKD", 2),
    currency("HUF", 2),
    currency("IDR", 2),
    currency("ILS", 2),
    currency("INR", 2),
    currency("IQD", 3),
    currency("ISK", 0),
    currency("JOD", 3),
    currency("JPY", 0),
    currency("KRW", 0),
    currency("KWD", 3),
    currency("KZT", 2),
    currency("LYD", 3),
    currency("MOP", 2),
    currency("MXN", 2),
    currency("MYR", 2),
    currency("NGN", 2),
    currency("NOK", 2),
    currency("NZD", 2),
    currency("OMR", 3),
    currency("PHP", 2),
    currency("PKR", 2),
    currency("PLN", 2),
    currency("PYG", 0),
    currency("RUB", 2),
    currency("SAR", 2),
    currency("SEK", 2),
    currency("SGD", 2),
    currency("THB", 2),
    currency("TND", 3),
    currency("TRY", 2),
    currency("TWD", 2),
    currency("UAH", 2),
    currency("UGX", 0),
    currency("USD", 2),
    currency("VND", 0),
    currency("XAF", 0),
    currency("XOF", 0),
    currency("ZAR", 2),
];

/// The currency with ISO 4217 code `code` (exact, uppercase), if known.
pub fn currency_of(code: &str) -> Option<Currency> {
    CURRENCIES
        .binary_search_by(|c| c.code.cmp(code))
        .ok()
        .and_then(|i| CURRENCIES.get(i).copied())
}

impl Money {
    /// The most minor units one price may have: 10^12 (ten billion yuan,
    /// dollars or euros; a trillion yen). Enforced by [`Money::check`] where
    /// a price enters; amounts in old events may be larger and read models
    /// must still add them up.
    pub const MAX_MINOR_UNITS: u64 = 1_000_000_000_000;

    /// Checks the one rule of a price: a known currency ([`CURRENCIES`])
    /// and an amount of at most [`Money::MAX_MINOR_UNITS`]. The currency is
    /// checked first.
    pub fn check(&self) -> Result<(), MoneyError> {
        if currency_of(&self.currency).is_none() {
            return Err(MoneyError::UnknownCurrency(self.currency.clone()));
        }
        if self.amount_cents > Self::MAX_MINOR_UNITS {
            return Err(MoneyError::AboveCeiling {
                amount: self.amount_cents,
            });
        }
        Ok(())
    }

    /// Digits after the decimal point of this amount's minor unit, if its
    /// currency is known (`Some(2)`: `amount_cents` counts hundredths).
    pub fn minor_digits(&self) -> Option<u8> {
        currency_of(&self.currency).map(|c| c.minor_digits)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn money(amount_cents: u64, currency: &str) -> Money {
        Money {
            amount_cents,
            currency: currency.into(),
        }
    }

    #[test]
    fn the_table_is_sorted_without_repeats_and_well_formed() {
        for pair in CURRENCIES.windows(2) {
            assert!(pair[0].code < pair[1].code, "{pair:?}");
        }
        for c in CURRENCIES {
            assert!(
                c.code.len() == 3 && c.code.bytes().all(|b| b.is_ascii_uppercase()),
                "{c:?}"
            );
            assert!(c.minor_digits <= 3, "{c:?}");
        }
        assert!(CURRENCIES.len() >= 40);
    }

    #[test]
    fn minor_units_follow_iso_4217() {
        let digits = |code: &str| money(1, code).minor_digits();
        assert_eq!(digits("CNY"), Some(2));
        assert_eq!(digits("USD"), Some(2));
        assert_eq!(digits("EUR"), Some(2));
        assert_eq!(digits("JPY"), Some(0));
        assert_eq!(digits("KRW"), Some(0));
        assert_eq!(digits("BHD"), Some(3));
        assert_eq!(digits("KWD"), Some(3));
        assert_eq!(digits("cny"), None);
        assert_eq!(digits("XYZ"), None);
    }

    #[test]
    fn prices_up_to_the_ceiling_in_known_currencies_pass() {
        assert_eq!(money(0, "CNY").check(), Ok(()));
        assert_eq!(money(Money::MAX_MINOR_UNITS, "JPY").check(), Ok(()));
        assert_eq!(
            money(Money::MAX_MINOR_UNITS + 1, "CNY").check(),
            Err(MoneyError::AboveCeiling {
                amount: Money::MAX_MINOR_UNITS + 1
            })
        );
        assert_eq!(
            money(u64::MAX, "USD").check(),
            Err(MoneyError::AboveCeiling { amount: u64::MAX })
        );
        for bad in ["", "cny", "CN", "CNYY", "C1Y", "XYZ"] {
            assert_eq!(
                money(1, bad).check(),
                Err(MoneyError::UnknownCurrency(bad.into())),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_wire_format_is_unchanged() {
        let price = money(4_900, "CNY");
        let json = serde_json::to_value(&price).expect("json");
        assert_eq!(
            json,
            serde_json::json!({"amount_cents": 4_900, "currency": "CNY"})
        );
        // bincode: varint amount, then the length-prefixed code.
        let bytes = crate::codec::encode_payload(&price).expect("encodes");
        assert_eq!(bytes, [251, 36, 19, 3, b'C', b'N', b'Y']);
        let back: Money = crate::codec::decode_payload(&bytes).expect("decodes");
        assert_eq!(back, price);
    }

    proptest! {
        #[test]
        fn check_is_the_ceiling_and_the_table(amount in any::<u64>(), index in 0usize..CURRENCIES.len(), code in "[A-Z]{3}") {
            let known = CURRENCIES[index].code;
            prop_assert_eq!(
                money(amount, known).check().is_ok(),
                amount <= Money::MAX_MINOR_UNITS
            );
            let in_table = CURRENCIES.iter().any(|c| c.code == code);
            let checked = money(0, &code).check();
            prop_assert_eq!(checked.is_ok(), in_table);
        }
    }
}
