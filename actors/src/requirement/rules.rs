//! Field rules of a requirement and of a bid: the limits, and the checks
//! that turn what a caller sends into what an event records.

use agora_events::Timestamp;
use agora_events::domain::money::Money;
use agora_events::domain::requirement::{
    BidTerms, Budget, Milestone, RequirementTerms, Visibility,
};

use super::{NewBid, NewTerms, RequirementError};
use crate::content::MICROS_PER_DAY;
use crate::ids::valid_id;
use crate::vendor::rules::normal_tags;

/// Longest title, in characters after trimming.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest description or proposal, in characters after trimming.
pub const MAX_TEXT_CHARS: usize = 20_000;
/// Most required skills.
pub const MAX_SKILLS: usize = 30;
/// Longest delivery deadline or bid delivery, in days (about ten years).
pub const MAX_DAYS: u32 = 3_660;
/// Longest bidding window, in days.
pub const MAX_BIDDING_DAYS: u32 = 365;
/// Most vendors invited to one requirement.
pub const MAX_INVITED: usize = 200;
/// Most milestones in one bid: the contract's limit, since the winning
/// bid's milestones become the contract's.
pub const MAX_MILESTONES: usize = crate::contract::MAX_MILESTONES;
/// Least a milestone may cost, in minor units: the contract's rule too.
pub const MIN_MILESTONE_CENTS: u64 = 1;
/// Longest cancellation reason, in characters after trimming.
pub const MAX_REASON_CHARS: usize = 1_000;

fn invalid(message: impl Into<String>) -> RequirementError {
    RequirementError::Invalid(message.into())
}

/// Trims and checks a one-line text of 1 to `max` characters.
fn line(text: &str, max: usize, what: &str) -> Result<String, RequirementError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(invalid(format!("the {what} is empty")));
    }
    if text.chars().count() > max {
        return Err(invalid(format!(
            "the {what} is longer than {max} characters"
        )));
    }
    if text.chars().any(char::is_control) {
        return Err(invalid(format!("the {what} contains a control character")));
    }
    Ok(text.to_owned())
}

/// Trims and checks a multi-line text of 1 to [`MAX_TEXT_CHARS`]
/// characters (newlines and tabs allowed).
fn text(text: &str, what: &str) -> Result<String, RequirementError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(invalid(format!("the {what} is empty")));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(invalid(format!(
            "the {what} is longer than {MAX_TEXT_CHARS} characters"
        )));
    }
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(invalid(format!("the {what} contains a control character")));
    }
    Ok(text.to_owned())
}

fn days(days: u32, max: u32, what: &str) -> Result<u32, RequirementError> {
    if (1..=max).contains(&days) {
        Ok(days)
    } else {
        Err(invalid(format!("{what} must be 1 to {max}, got {days}")))
    }
}

/// Checks a budget: both ends by the one rule of money, `min <= max`.
fn budget(budget: &Budget) -> Result<Budget, RequirementError> {
    for amount_cents in [budget.min_cents, budget.max_cents] {
        Money {
            amount_cents,
            currency: budget.currency.clone(),
        }
        .check()
        .map_err(|error| RequirementError::MoneyOutOfRange {
            what: "budget",
            error,
        })?;
    }
    if budget.min_cents > budget.max_cents {
        return Err(invalid(format!(
            "budget.min_cents ({}) is above budget.max_cents ({})",
            budget.min_cents, budget.max_cents
        )));
    }
    Ok(budget.clone())
}

/// Checks the invited list against the visibility: 1 to [`MAX_INVITED`]
/// valid ids for an invited-only requirement (sorted, deduplicated), none
/// otherwise.
fn invited(visibility: Visibility, invited: &[String]) -> Result<Vec<String>, RequirementError> {
    match visibility {
        Visibility::Invited => {
            if invited.is_empty() || invited.len() > MAX_INVITED {
                return Err(invalid(format!(
                    "an invited-only requirement invites 1 to {MAX_INVITED} vendors"
                )));
            }
            if let Some(bad) = invited.iter().find(|id| !valid_id(id)) {
                return Err(invalid(format!("{bad:?} is not a vendor id")));
            }
            let mut out = invited.to_vec();
            out.sort();
            out.dedup();
            Ok(out)
        }
        Visibility::Public | Visibility::Sealed if invited.is_empty() => Ok(Vec::new()),
        Visibility::Public | Visibility::Sealed => Err(invalid(
            "only an invited-only requirement (visibility \"invited\") lists invited vendors",
        )),
    }
}

/// Checks and normalises a requirement's terms.
pub(super) fn terms(new: &NewTerms) -> Result<RequirementTerms, RequirementError> {
    Ok(RequirementTerms {
        title: line(&new.title, MAX_TITLE_CHARS, "title")?,
        description: text(&new.description, "description")?,
        skills: normal_tags(&new.skills, MAX_SKILLS, "skill").map_err(invalid)?,
        budget: budget(&new.budget)?,
        deadline_days: days(new.deadline_days, MAX_DAYS, "deadline_days")?,
        bidding_days: days(new.bidding_days, MAX_BIDDING_DAYS, "bidding_days")?,
        visibility: new.visibility,
        invited: invited(new.visibility, &new.invited)?,
    })
}

/// Checks and normalises a bid against the requirement's `budget`
/// currency.
pub(super) fn bid(new: &NewBid, budget: &Budget) -> Result<BidTerms, RequirementError> {
    new.price
        .check()
        .map_err(|error| RequirementError::MoneyOutOfRange {
            what: "price",
            error,
        })?;
    if new.price.currency != budget.currency {
        return Err(invalid(format!(
            "the price is in {}, the budget in {}",
            new.price.currency, budget.currency
        )));
    }
    let delivery_days = days(new.delivery_days, MAX_DAYS, "delivery_days")?;
    let proposal = text(&new.proposal, "proposal")?;
    if new.milestones.is_empty() || new.milestones.len() > MAX_MILESTONES {
        return Err(invalid(format!(
            "a bid has 1 to {MAX_MILESTONES} milestones, this one {}",
            new.milestones.len()
        )));
    }
    let mut milestones = Vec::with_capacity(new.milestones.len());
    let mut sum: u128 = 0;
    for (index, m) in new.milestones.iter().enumerate() {
        let title = line(
            &m.title,
            MAX_TITLE_CHARS,
            &format!("title of milestone {index}"),
        )?;
        if m.amount_cents < MIN_MILESTONE_CENTS {
            return Err(invalid(format!(
                "milestone {index} costs {}, less than {MIN_MILESTONE_CENTS}",
                m.amount_cents
            )));
        }
        if !(1..=delivery_days).contains(&m.due_day) {
            return Err(invalid(format!(
                "milestone {index} is due on day {}, not within the {delivery_days} delivery days",
                m.due_day
            )));
        }
        sum = sum.saturating_add(u128::from(m.amount_cents));
        milestones.push(Milestone {
            title,
            amount_cents: m.amount_cents,
            due_day: m.due_day,
        });
    }
    if sum != u128::from(new.price.amount_cents) {
        return Err(RequirementError::MilestonesMismatch {
            sum,
            price: new.price.amount_cents,
        });
    }
    Ok(BidTerms {
        price: new.price.clone(),
        delivery_days,
        proposal,
        milestones,
    })
}

/// When bidding closes for a window of `days` from `posted_at`
/// (saturating).
pub(super) fn closes_at(posted_at: Timestamp, days: u32) -> Timestamp {
    Timestamp(
        posted_at
            .0
            .saturating_add(i64::from(days).saturating_mul(MICROS_PER_DAY)),
    )
}

#[cfg(test)]
mod tests {
    use agora_events::domain::money::MoneyError;
    use proptest::prelude::*;

    use super::*;

    fn cny_budget(min_cents: u64, max_cents: u64) -> Budget {
        Budget {
            min_cents,
            max_cents,
            currency: "CNY".into(),
        }
    }

    fn milestone(amount_cents: u64, due_day: u32) -> Milestone {
        Milestone {
            title: "step".into(),
            amount_cents,
            due_day,
        }
    }

    fn new_bid(price: u64, milestones: Vec<Milestone>) -> NewBid {
        NewBid {
            price: Money {
                amount_cents: price,
                currency: "CNY".into(),
            },
            delivery_days: 10,
            proposal: " We can. ".into(),
            milestones,
        }
    }

    #[test]
    fn budgets_follow_the_money_rule_and_stay_ordered() {
        assert!(budget(&cny_budget(1, 2)).is_ok());
        assert!(matches!(
            budget(&cny_budget(2, 1)),
            Err(RequirementError::Invalid(_))
        ));
        assert_eq!(
            budget(&cny_budget(0, Money::MAX_MINOR_UNITS + 1)),
            Err(RequirementError::MoneyOutOfRange {
                what: "budget",
                error: MoneyError::AboveCeiling {
                    amount: Money::MAX_MINOR_UNITS + 1
                }
            })
        );
    }

    #[test]
    fn invited_lists_go_with_invited_visibility_only() {
        assert_eq!(
            invited(Visibility::Invited, &["b".into(), "a".into(), "a".into()]),
            Ok(vec!["a".to_owned(), "b".to_owned()])
        );
        assert!(invited(Visibility::Invited, &[]).is_err());
        assert!(invited(Visibility::Public, &["a".into()]).is_err());
        assert_eq!(invited(Visibility::Sealed, &[]), Ok(vec![]));
    }

    #[test]
    fn milestones_add_up_to_the_price_within_the_delivery_days() {
        let budget = cny_budget(0, 1_000);
        let ok = bid(
            &new_bid(300, vec![milestone(100, 3), milestone(200, 10)]),
            &budget,
        );
        assert_eq!(ok.map(|b| b.proposal), Ok("We can.".to_owned()));
        assert_eq!(
            bid(&new_bid(300, vec![milestone(100, 3)]), &budget),
            Err(RequirementError::MilestonesMismatch {
                sum: 100,
                price: 300
            })
        );
        assert!(bid(&new_bid(300, vec![milestone(300, 11)]), &budget).is_err());
        assert!(bid(&new_bid(300, vec![milestone(300, 0)]), &budget).is_err());
        assert!(bid(&new_bid(0, vec![]), &budget).is_err());
        let many = vec![milestone(1, 1); MAX_MILESTONES + 1];
        assert!(bid(&new_bid(MAX_MILESTONES as u64 + 1, many), &budget).is_err());
        // Every milestone pays something: a contract refuses free ones.
        assert!(
            bid(
                &new_bid(100, vec![milestone(0, 1), milestone(100, 2)]),
                &budget
            )
            .is_err()
        );
        // Amounts past u64 together never wrap around to the price.
        let huge = vec![milestone(u64::MAX, 1), milestone(u64::MAX, 1)];
        assert!(matches!(
            bid(&new_bid(Money::MAX_MINOR_UNITS, huge), &budget),
            Err(RequirementError::MilestonesMismatch { .. })
        ));
        let mut usd = new_bid(100, vec![milestone(100, 1)]);
        usd.price.currency = "USD".into();
        assert!(matches!(
            bid(&usd, &budget),
            Err(RequirementError::Invalid(_))
        ));
    }

    proptest! {
        /// Any milestone amounts, even past `u64` together: a bid passes
        /// exactly when they add up to the price and none is free.
        #[test]
        fn milestones_pass_exactly_when_they_add_up_to_the_price(
            amounts in prop::collection::vec(any::<u64>(), 1..8),
            price in 0..=Money::MAX_MINOR_UNITS,
        ) {
            let milestones = amounts.iter().map(|a| milestone(*a, 1)).collect();
            let result = bid(&new_bid(price, milestones), &cny_budget(0, 1));
            let sum: u128 = amounts.iter().map(|a| u128::from(*a)).sum();
            let paid = amounts.iter().all(|a| *a >= MIN_MILESTONE_CENTS);
            prop_assert_eq!(result.is_ok(), paid && sum == u128::from(price));
        }

        /// A price split into any shares (the last takes the rest) always
        /// passes, and the recorded plan keeps every amount.
        #[test]
        fn a_price_split_into_shares_passes(
            shares in prop::collection::vec(0u64..1_000, 1..8),
            price in 8..=Money::MAX_MINOR_UNITS,
        ) {
            // Each milestone gets 1 and its share of the rest.
            let count = shares.len() as u64;
            let rest = u128::from(price - count);
            let total: u64 = shares.iter().sum::<u64>().max(1);
            let mut amounts: Vec<u64> = shares
                .iter()
                .map(|s| 1 + u64::try_from(rest * u128::from(*s) / u128::from(total)).unwrap_or(0))
                .collect();
            let given: u64 = amounts.iter().sum();
            if let Some(last) = amounts.last_mut() {
                *last += price - given;
            }
            let milestones = amounts.iter().map(|a| milestone(*a, 1)).collect();
            let recorded = bid(&new_bid(price, milestones), &cny_budget(0, 1));
            prop_assert!(recorded.is_ok(), "{recorded:?}");
            let kept: Vec<u64> = recorded
                .map(|b| b.milestones.iter().map(|m| m.amount_cents).collect())
                .unwrap_or_default();
            prop_assert_eq!(kept, amounts);
        }
    }
}
