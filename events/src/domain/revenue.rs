//! Revenue shares: how the money of one sale (a purchase or a membership
//! payment) is split between the creator, the platform and a partner
//! platform, decided once at the moment of sale and recorded in the sale's
//! event. A later change of rates never rewrites past sales; the ledger
//! projection only adds up what the events say.
//!
//! Rates are in basis points (1/100 of a percent, [`BPS_SCALE`] = 100 %).
//! Rounding never loses a cent: the platform's and the partner's shares are
//! rounded down and the seller gets the rest, so the shares of a sale always
//! add up to its price.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// 100 % in basis points.
pub const BPS_SCALE: u32 = 10_000;

/// Who a share of a sale goes to.
///
/// On the wire (JSON) it is `{"kind": "platform"}` or `{"kind": "creator" |
/// "partner" | "vendor", "id": "..."}`; in event payloads (bincode, not
/// self-describing, where an adjacently tagged unit variant cannot be read
/// back) it is a plain enum: variant index, then the id. The variant order
/// is part of the payload schema.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, JsonSchema)]
#[serde(tag = "kind", content = "id", rename_all = "lowercase")]
pub enum Account {
    /// The platform itself (its fee, or all of a platform membership).
    Platform,
    /// A creator, by user id.
    Creator(String),
    /// A partner platform, by partner id.
    Partner(String),
    /// An outsourcing vendor, by user id (its released milestones).
    Vendor(String),
}

/// [`Account`] as human-readable formats show it.
#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "lowercase")]
enum TaggedAccount {
    Platform,
    Creator(String),
    Partner(String),
    Vendor(String),
}

/// [`Account`] as binary formats store it.
#[derive(Serialize, Deserialize)]
enum PlainAccount {
    Platform,
    Creator(String),
    Partner(String),
    Vendor(String),
}

impl Serialize for Account {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            match self.clone() {
                Self::Platform => TaggedAccount::Platform,
                Self::Creator(id) => TaggedAccount::Creator(id),
                Self::Partner(id) => TaggedAccount::Partner(id),
                Self::Vendor(id) => TaggedAccount::Vendor(id),
            }
            .serialize(serializer)
        } else {
            match self.clone() {
                Self::Platform => PlainAccount::Platform,
                Self::Creator(id) => PlainAccount::Creator(id),
                Self::Partner(id) => PlainAccount::Partner(id),
                Self::Vendor(id) => PlainAccount::Vendor(id),
            }
            .serialize(serializer)
        }
    }
}

impl<'de> Deserialize<'de> for Account {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(if deserializer.is_human_readable() {
            match TaggedAccount::deserialize(deserializer)? {
                TaggedAccount::Platform => Self::Platform,
                TaggedAccount::Creator(id) => Self::Creator(id),
                TaggedAccount::Partner(id) => Self::Partner(id),
                TaggedAccount::Vendor(id) => Self::Vendor(id),
            }
        } else {
            match PlainAccount::deserialize(deserializer)? {
                PlainAccount::Platform => Self::Platform,
                PlainAccount::Creator(id) => Self::Creator(id),
                PlainAccount::Partner(id) => Self::Partner(id),
                PlainAccount::Vendor(id) => Self::Vendor(id),
            }
        })
    }
}

/// One account's part of one sale.
///
/// Guarantees (for shares made by [`split_sale`]): `amount_cents > 0`, and
/// the shares of one sale name each account at most once and add up to the
/// sale's price.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct RevenueShare {
    /// Who gets it.
    pub account: Account,
    /// How much, in the sale currency's minor unit.
    pub amount_cents: u64,
}

/// Why a sale cannot be split.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    /// The platform's and the partner's rates together exceed 100 % (a
    /// configuration mistake: fix the settings, do not retry).
    #[error("platform fee {platform_bps} bps and partner share {partner_bps} bps exceed 100%")]
    RatesAboveWhole {
        /// The platform's rate.
        platform_bps: u32,
        /// The partner's rate.
        partner_bps: u32,
    },
}

/// Splits `price_cents` of a sale made by `seller` into shares: the
/// platform takes `platform_bps` of it, the partner (if any) its rate, both
/// rounded down, and the seller the rest. When the seller is the platform,
/// the platform's fee and the rest are one share.
///
/// Guarantees: the shares add up to `price_cents` exactly; no share is
/// zero (a free sale has no shares); each account appears at most once, in
/// the order seller, platform, partner.
pub fn split_sale(
    price_cents: u64,
    seller: &Account,
    platform_bps: u32,
    partner: Option<(&str, u32)>,
) -> Result<Vec<RevenueShare>, SplitError> {
    let partner_bps = partner.map_or(0, |(_, bps)| bps);
    if u64::from(platform_bps) + u64::from(partner_bps) > u64::from(BPS_SCALE) {
        return Err(SplitError::RatesAboveWhole {
            platform_bps,
            partner_bps,
        });
    }
    let part = |bps: u32| {
        // price * bps / 10_000 fits: u64 * u32 in u128, result <= price.
        (u128::from(price_cents) * u128::from(bps) / u128::from(BPS_SCALE)) as u64
    };
    let partner_cents = part(partner_bps);
    let mut platform_cents = part(platform_bps);
    let mut seller_cents = price_cents - partner_cents - platform_cents;
    if *seller == Account::Platform {
        platform_cents += seller_cents;
        seller_cents = 0;
    }
    let mut shares = Vec::with_capacity(3);
    let mut push = |account: Account, amount_cents: u64| {
        if amount_cents > 0 {
            shares.push(RevenueShare {
                account,
                amount_cents,
            });
        }
    };
    if *seller != Account::Platform {
        push(seller.clone(), seller_cents);
    }
    push(Account::Platform, platform_cents);
    if let Some((partner_id, _)) = partner {
        push(Account::Partner(partner_id.to_owned()), partner_cents);
    }
    Ok(shares)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn creator() -> Account {
        Account::Creator("c1".into())
    }

    #[test]
    fn a_partner_sale_splits_three_ways_rounding_for_the_creator() {
        let shares = split_sale(999, &creator(), 2_000, Some(("p1", 1_500))).unwrap_or_default();
        assert_eq!(
            shares,
            vec![
                RevenueShare {
                    account: creator(),
                    amount_cents: 651,
                },
                RevenueShare {
                    account: Account::Platform,
                    amount_cents: 199,
                },
                RevenueShare {
                    account: Account::Partner("p1".into()),
                    amount_cents: 149,
                },
            ]
        );
    }

    #[test]
    fn free_sales_have_no_shares_and_platform_sales_one() {
        assert_eq!(split_sale(0, &creator(), 2_000, None), Ok(vec![]));
        assert_eq!(
            split_sale(500, &Account::Platform, 2_000, None),
            Ok(vec![RevenueShare {
                account: Account::Platform,
                amount_cents: 500,
            }])
        );
    }

    #[test]
    fn rates_above_the_whole_are_refused() {
        assert!(split_sale(100, &creator(), 6_000, Some(("p", 5_000))).is_err());
    }

    #[test]
    fn accounts_round_trip_in_payloads_and_json() {
        let shares = vec![
            RevenueShare {
                account: Account::Platform,
                amount_cents: 1,
            },
            RevenueShare {
                account: creator(),
                amount_cents: 2,
            },
            RevenueShare {
                account: Account::Partner("p".into()),
                amount_cents: 3,
            },
        ];
        let bytes = crate::codec::encode_payload(&shares).unwrap_or_default();
        let back: Result<Vec<RevenueShare>, _> = crate::codec::decode_payload(&bytes);
        assert_eq!(back.ok(), Some(shares.clone()));
        let json = serde_json::to_value(&shares).unwrap_or_default();
        assert_eq!(json[0]["account"], serde_json::json!({"kind": "platform"}));
        assert_eq!(
            json[1]["account"],
            serde_json::json!({"kind": "creator", "id": "c1"})
        );
        let back: Result<Vec<RevenueShare>, _> = serde_json::from_value(json);
        assert_eq!(back.ok(), Some(shares));
    }

    proptest! {
        #[test]
        fn shares_add_up_to_the_price(
            price in any::<u64>(),
            platform_bps in 0u32..=BPS_SCALE,
            partner_bps in 0u32..=BPS_SCALE,
            with_partner: bool,
            platform_seller: bool,
        ) {
            let partner_bps = partner_bps.min(BPS_SCALE - platform_bps);
            let seller = if platform_seller { Account::Platform } else { creator() };
            let partner = with_partner.then_some(("p", partner_bps));
            let shares = split_sale(price, &seller, platform_bps, partner);
            prop_assert!(shares.is_ok());
            let shares = shares.unwrap_or_default();
            let total: u128 = shares.iter().map(|s| u128::from(s.amount_cents)).sum();
            prop_assert_eq!(total, u128::from(price));
            prop_assert!(shares.iter().all(|s| s.amount_cents > 0));
            let accounts: std::collections::BTreeSet<_> = shares.iter().map(|s| &s.account).collect();
            prop_assert_eq!(accounts.len(), shares.len());
        }
    }
}
