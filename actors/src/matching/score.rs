//! The explainable bid score p_ij ∈ [0, 1].
//!
//! A bid's score is a weighted mean of six parts, each a raw value in
//! [0, 1] that the answer shows beside its weight and contribution, so a
//! client sees why one bid ranks above another:
//!
//! | part | raw value |
//! |---|---|
//! | `semantic` | cosine of the embeddings of (proposal + vendor profile) and (requirement title + description), below 0 counted as 0 (computed by [`super::semantic`]) |
//! | `skills` | share of the required skills the vendor lists (case-insensitive; no required skill: 1) |
//! | `price` | 1 at or below the budget's minimum, falling linearly to 0.5 at its maximum, then to 0 at twice the maximum; 0 in another currency |
//! | `delivery` | 1 for immediate delivery, falling linearly to 0.75 at the deadline, then to 0 at twice the deadline |
//! | `reputation` | the Bayesian average of the vendor's reviews (1–5 stars) with a prior (`reputation_prior_mean`, `reputation_prior_weight`), mapped from [1, 5] to [0, 1] |
//! | `load` | 1 − open contracts / capacity (0 at or past capacity) |
//!
//! Weights are settings ([`MatchingSettings`]): non-negative, not all
//! zero, normalised so they sum to 1; the score is then Σ weight × raw,
//! always within [0, 1]. Vendors who have not bid are suggested by the
//! same signals without price and delivery ([`score_vendor`]), the four
//! remaining weights normalised again.
//!
//! Everything here is pure: the semantic cosine comes in as an argument.

use std::collections::BTreeSet;

use agora_events::domain::money::Money;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The settings of bid scoring (`matching.*` in the configuration).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MatchingSettings {
    /// Weight of the semantic fit of proposal and profile to the requirement.
    pub weight_semantic: f64,
    /// Weight of the required skills the vendor covers.
    pub weight_skills: f64,
    /// Weight of the price against the budget range.
    pub weight_price: f64,
    /// Weight of the delivery days against the deadline.
    pub weight_delivery: f64,
    /// Weight of the vendor's reputation (Bayesian average of reviews).
    pub weight_reputation: f64,
    /// Weight of the vendor's free capacity (open contracts against capacity).
    pub weight_load: f64,
    /// Mean stars (1–5) a vendor is assumed to have before its reviews.
    pub reputation_prior_mean: f64,
    /// How many reviews the prior counts as (≥ 0): the larger, the more
    /// reviews a vendor needs to move away from the prior.
    pub reputation_prior_weight: f64,
    /// Sentence embeddings kept in memory for the semantic part (texts
    /// already embedded are not embedded again).
    pub embedding_cache_entries: usize,
}

impl Default for MatchingSettings {
    fn default() -> Self {
        MatchingSettings {
            weight_semantic: 0.30,
            weight_skills: 0.20,
            weight_price: 0.15,
            weight_delivery: 0.10,
            weight_reputation: 0.15,
            weight_load: 0.10,
            reputation_prior_mean: 3.5,
            reputation_prior_weight: 5.0,
            embedding_cache_entries: 10_000,
        }
    }
}

/// Why scoring settings are refused (at start-up: fix the configuration).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum MatchingSettingsError {
    /// A weight is negative or not a finite number.
    #[error("matching.{0} must be a finite number ≥ 0")]
    BadWeight(&'static str),
    /// Every weight is zero: nothing would rank bids.
    #[error("the matching weights are all zero; at least one must be positive")]
    AllWeightsZero,
    /// Semantic, skills, reputation and load weights are all zero: vendor
    /// suggestions (which have no price or delivery) would have no signal.
    #[error(
        "matching.weight_semantic, weight_skills, weight_reputation and weight_load are all \
         zero; vendor suggestions need one of them"
    )]
    NoSuggestionWeight,
    /// The prior mean is outside 1–5 stars.
    #[error("matching.reputation_prior_mean must lie within 1..=5")]
    BadPriorMean,
    /// The prior weight is negative or not finite.
    #[error("matching.reputation_prior_weight must be a finite number ≥ 0")]
    BadPriorWeight,
}

impl MatchingSettings {
    /// Checks the settings: every weight finite and ≥ 0, not all zero (nor
    /// all four weights of vendor suggestions), the prior mean within 1–5
    /// and its weight ≥ 0. Scoring with settings that fail this check still
    /// never panics, but scores everything 0.
    pub fn validate(&self) -> Result<(), MatchingSettingsError> {
        for (name, w) in self.named_weights() {
            if !w.is_finite() || w < 0.0 {
                return Err(MatchingSettingsError::BadWeight(name));
            }
        }
        if self.named_weights().iter().all(|(_, w)| *w == 0.0) {
            return Err(MatchingSettingsError::AllWeightsZero);
        }
        if [
            self.weight_semantic,
            self.weight_skills,
            self.weight_reputation,
            self.weight_load,
        ]
        .iter()
        .all(|w| *w == 0.0)
        {
            return Err(MatchingSettingsError::NoSuggestionWeight);
        }
        if !(1.0..=5.0).contains(&self.reputation_prior_mean) {
            return Err(MatchingSettingsError::BadPriorMean);
        }
        if !self.reputation_prior_weight.is_finite() || self.reputation_prior_weight < 0.0 {
            return Err(MatchingSettingsError::BadPriorWeight);
        }
        Ok(())
    }

    fn named_weights(&self) -> [(&'static str, f64); 6] {
        [
            ("weight_semantic", self.weight_semantic),
            ("weight_skills", self.weight_skills),
            ("weight_price", self.weight_price),
            ("weight_delivery", self.weight_delivery),
            ("weight_reputation", self.weight_reputation),
            ("weight_load", self.weight_load),
        ]
    }

    fn weight(&self, part: ScorePartKind) -> f64 {
        let w = match part {
            ScorePartKind::Semantic => self.weight_semantic,
            ScorePartKind::Skills => self.weight_skills,
            ScorePartKind::Price => self.weight_price,
            ScorePartKind::Delivery => self.weight_delivery,
            ScorePartKind::Reputation => self.weight_reputation,
            ScorePartKind::Load => self.weight_load,
        };
        if w.is_finite() && w > 0.0 { w } else { 0.0 }
    }
}

/// What a requirement brings to scoring (mapped from the requirements read
/// model by the caller).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RequirementSignals {
    /// The skills the client asks for (tags).
    pub skills: Vec<String>,
    /// The budget's lower end.
    pub budget_min: Money,
    /// The budget's upper end (same currency as `budget_min`).
    pub budget_max: Money,
    /// Days from award to the deadline.
    pub deadline_days: u32,
}

/// What a vendor brings to scoring (profile, reviews and load).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct VendorSignals {
    /// The vendor's skills (tags).
    pub skills: Vec<String>,
    /// Most concurrent contracts the vendor takes.
    pub capacity: u32,
    /// Contracts the vendor has open now.
    pub open_contracts: u32,
    /// Reviews the vendor received.
    pub review_count: u32,
    /// Their mean stars (1–5); ignored when `review_count` is 0.
    pub review_mean: f64,
}

/// What a bid brings to scoring.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BidSignals {
    /// The bid's price.
    pub price: Money,
    /// Days the vendor needs from award to delivery.
    pub delivery_days: u32,
}

/// Which part of a score.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ScorePartKind {
    /// Embedding cosine of proposal + profile to the requirement.
    Semantic,
    /// Required skills the vendor covers.
    Skills,
    /// The price against the budget range.
    Price,
    /// Delivery days against the deadline.
    Delivery,
    /// Bayesian average of the vendor's reviews.
    Reputation,
    /// Free capacity of the vendor.
    Load,
}

/// One part of a score, shown to the client.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ScorePart {
    /// Which part.
    pub part: ScorePartKind,
    /// The raw value, in [0, 1].
    pub value: f64,
    /// Its normalised weight (the weights of a score sum to 1).
    pub weight: f64,
    /// `value × weight`; the contributions sum to the score.
    pub contribution: f64,
    /// Why the value is what it is, in words ("3 of 4 required skills").
    pub reason: String,
}

/// A score in [0, 1] with every part that made it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Score {
    /// Σ contributions, in [0, 1].
    pub score: f64,
    /// Every part, in [`ScorePartKind`] order.
    pub parts: Vec<ScorePart>,
    /// True when the vendor has no free capacity (it may still bid).
    pub at_capacity: bool,
}

/// The score p_ij of a bid: all six parts. `semantic_cosine` is the cosine
/// of the two texts' embeddings ([`super::semantic::SemanticFit`]).
pub fn score_bid(
    settings: &MatchingSettings,
    requirement: &RequirementSignals,
    vendor: &VendorSignals,
    bid: &BidSignals,
    semantic_cosine: f64,
) -> Score {
    let raw = vec![
        semantic_part(semantic_cosine),
        skills_part(&requirement.skills, &vendor.skills),
        price_part(&bid.price, &requirement.budget_min, &requirement.budget_max),
        delivery_part(bid.delivery_days, requirement.deadline_days),
        reputation_part(settings, vendor.review_count, vendor.review_mean),
        load_part(vendor.capacity, vendor.open_contracts),
    ];
    combine(settings, raw, at_capacity(vendor))
}

/// The score of a vendor who has not bid, for suggestions: semantic fit
/// (of the vendor's profile text), skills, reputation and load, their
/// weights normalised over these four.
pub fn score_vendor(
    settings: &MatchingSettings,
    requirement: &RequirementSignals,
    vendor: &VendorSignals,
    semantic_cosine: f64,
) -> Score {
    let raw = vec![
        semantic_part(semantic_cosine),
        skills_part(&requirement.skills, &vendor.skills),
        reputation_part(settings, vendor.review_count, vendor.review_mean),
        load_part(vendor.capacity, vendor.open_contracts),
    ];
    combine(settings, raw, at_capacity(vendor))
}

fn at_capacity(vendor: &VendorSignals) -> bool {
    vendor.open_contracts >= vendor.capacity
}

/// Normalises the weights of the parts present and sums the contributions.
fn combine(
    settings: &MatchingSettings,
    raw: Vec<(ScorePartKind, f64, String)>,
    full: bool,
) -> Score {
    let total_weight: f64 = raw.iter().map(|(k, _, _)| settings.weight(*k)).sum();
    let mut score = 0.0;
    let parts = raw
        .into_iter()
        .map(|(part, value, reason)| {
            let value = unit(value);
            let weight = if total_weight > 0.0 {
                settings.weight(part) / total_weight
            } else {
                0.0
            };
            let contribution = value * weight;
            score += contribution;
            ScorePart {
                part,
                value,
                weight,
                contribution,
                reason,
            }
        })
        .collect();
    Score {
        score: unit(score),
        parts,
        at_capacity: full,
    }
}

/// `x` clamped to [0, 1]; not-a-number counts as 0.
fn unit(x: f64) -> f64 {
    if x.is_nan() { 0.0 } else { x.clamp(0.0, 1.0) }
}

fn semantic_part(cosine: f64) -> (ScorePartKind, f64, String) {
    let value = unit(cosine);
    (
        ScorePartKind::Semantic,
        value,
        format!("text similarity {value:.3}"),
    )
}

/// Skills compared trimmed and lower-cased; blanks and repeats ignored.
fn skill_set(skills: &[String]) -> BTreeSet<String> {
    skills
        .iter()
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

fn skills_part(required: &[String], offered: &[String]) -> (ScorePartKind, f64, String) {
    let required = skill_set(required);
    if required.is_empty() {
        return (ScorePartKind::Skills, 1.0, "no skill required".into());
    }
    let offered = skill_set(offered);
    let covered = required.intersection(&offered).count();
    (
        ScorePartKind::Skills,
        covered as f64 / required.len() as f64,
        format!("{covered} of {} required skills", required.len()),
    )
}

fn price_part(price: &Money, min: &Money, max: &Money) -> (ScorePartKind, f64, String) {
    if price.currency != min.currency || price.currency != max.currency {
        return (
            ScorePartKind::Price,
            0.0,
            format!(
                "priced in {}, the budget is in {}",
                price.currency, max.currency
            ),
        );
    }
    // Amounts are at most 10^12 minor units (Money::check): exact in f64.
    let (p, lo, hi) = (
        price.amount_cents as f64,
        min.amount_cents.min(max.amount_cents) as f64,
        max.amount_cents.max(min.amount_cents) as f64,
    );
    let value = if p <= lo {
        1.0
    } else if p <= hi {
        1.0 - 0.5 * (p - lo) / (hi - lo)
    } else if hi > 0.0 {
        0.5 * (1.0 - (p - hi) / hi).max(0.0)
    } else {
        0.0
    };
    let reason = if p <= lo {
        "at or below the budget's minimum".to_owned()
    } else if p <= hi {
        "within the budget".to_owned()
    } else {
        format!("{:.0} % above the budget's maximum", percent_over(p, hi))
    };
    (ScorePartKind::Price, value, reason)
}

fn percent_over(x: f64, limit: f64) -> f64 {
    if limit > 0.0 {
        (x - limit) / limit * 100.0
    } else {
        100.0
    }
}

fn delivery_part(days: u32, deadline: u32) -> (ScorePartKind, f64, String) {
    let (d, dl) = (f64::from(days), f64::from(deadline));
    let value = if deadline == 0 {
        if days == 0 { 1.0 } else { 0.0 }
    } else if d <= dl {
        1.0 - 0.25 * d / dl
    } else {
        0.75 * (1.0 - (d - dl) / dl).max(0.0)
    };
    let reason = if days <= deadline {
        format!("{days} of {deadline} days")
    } else {
        format!("{} days past the {deadline}-day deadline", days - deadline)
    };
    (ScorePartKind::Delivery, value, reason)
}

/// The Bayesian average of a vendor's stars: `(w0·m0 + n·mean) / (w0 + n)`
/// with the prior mean `m0` and weight `w0` from the settings. A mean
/// outside 1–5 is clamped into it, and a mean that is not a number counts
/// as no reviews.
pub fn bayesian_stars(settings: &MatchingSettings, count: u32, mean: f64) -> f64 {
    let m0 = if (1.0..=5.0).contains(&settings.reputation_prior_mean) {
        settings.reputation_prior_mean
    } else {
        3.0
    };
    let w0 = if settings.reputation_prior_weight.is_finite() {
        settings.reputation_prior_weight.max(0.0)
    } else {
        0.0
    };
    let (n, mean) = if mean.is_nan() || count == 0 {
        (0.0, m0)
    } else {
        (f64::from(count), mean.clamp(1.0, 5.0))
    };
    if w0 + n == 0.0 {
        return m0;
    }
    (w0 * m0 + n * mean) / (w0 + n)
}

fn reputation_part(
    settings: &MatchingSettings,
    count: u32,
    mean: f64,
) -> (ScorePartKind, f64, String) {
    let stars = bayesian_stars(settings, count, mean);
    (
        ScorePartKind::Reputation,
        (stars - 1.0) / 4.0,
        format!("{stars:.2} stars from {count} reviews and the prior"),
    )
}

fn load_part(capacity: u32, open: u32) -> (ScorePartKind, f64, String) {
    let value = if capacity == 0 {
        0.0
    } else {
        1.0 - f64::from(open.min(capacity)) / f64::from(capacity)
    };
    (
        ScorePartKind::Load,
        value,
        format!("{open} of {capacity} contracts open"),
    )
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn cny(amount_cents: u64) -> Money {
        Money {
            amount_cents,
            currency: "CNY".into(),
        }
    }

    fn requirement() -> RequirementSignals {
        RequirementSignals {
            skills: vec!["Rust".into(), "PostgreSQL".into(), "微信小程序".into()],
            budget_min: cny(1_000_000),
            budget_max: cny(2_000_000),
            deadline_days: 30,
        }
    }

    fn vendor() -> VendorSignals {
        VendorSignals {
            skills: vec!["rust ".into(), "postgresql".into()],
            capacity: 4,
            open_contracts: 1,
            review_count: 10,
            review_mean: 4.5,
        }
    }

    fn bid(amount: u64, days: u32) -> BidSignals {
        BidSignals {
            price: cny(amount),
            delivery_days: days,
        }
    }

    fn part(score: &Score, kind: ScorePartKind) -> &ScorePart {
        score
            .parts
            .iter()
            .find(|p| p.part == kind)
            .expect("part present")
    }

    #[test]
    fn every_part_is_shown_and_the_contributions_sum_to_the_score() {
        let s = MatchingSettings::default();
        let score = score_bid(&s, &requirement(), &vendor(), &bid(1_500_000, 15), 0.6);
        assert_eq!(score.parts.len(), 6);
        let sum: f64 = score.parts.iter().map(|p| p.contribution).sum();
        assert!((sum - score.score).abs() < 1e-12);
        let weights: f64 = score.parts.iter().map(|p| p.weight).sum();
        assert!((weights - 1.0).abs() < 1e-12);
        assert_eq!(part(&score, ScorePartKind::Semantic).value, 0.6);
        let skills = part(&score, ScorePartKind::Skills);
        assert!((skills.value - 2.0 / 3.0).abs() < 1e-12, "case-insensitive");
        assert_eq!(skills.reason, "2 of 3 required skills");
        assert_eq!(part(&score, ScorePartKind::Price).value, 0.75);
        assert_eq!(part(&score, ScorePartKind::Delivery).value, 0.875);
        assert_eq!(part(&score, ScorePartKind::Load).value, 0.75);
        assert!(!score.at_capacity);
    }

    #[test]
    fn one_five_star_review_does_not_beat_fifty_of_four_point_eight() {
        let s = MatchingSettings::default();
        let one = bayesian_stars(&s, 1, 5.0);
        let fifty = bayesian_stars(&s, 50, 4.8);
        assert!(fifty > one, "{fifty} > {one}");
        let none = bayesian_stars(&s, 0, f64::NAN);
        assert_eq!(none, s.reputation_prior_mean);
    }

    #[test]
    fn a_vendor_at_capacity_scores_lower_and_is_marked() {
        let s = MatchingSettings::default();
        let free = score_bid(&s, &requirement(), &vendor(), &bid(1_500_000, 15), 0.6);
        let full_vendor = VendorSignals {
            open_contracts: 4,
            ..vendor()
        };
        let full = score_bid(&s, &requirement(), &full_vendor, &bid(1_500_000, 15), 0.6);
        assert!(full.score < free.score);
        assert!(full.at_capacity);
        assert_eq!(part(&full, ScorePartKind::Load).value, 0.0);
    }

    #[test]
    fn price_falls_through_the_budget_and_to_zero_at_twice_its_maximum() {
        let (lo, hi) = (cny(1_000), cny(2_000));
        let value = |p| price_part(&cny(p), &lo, &hi).1;
        assert_eq!(value(500), 1.0);
        assert_eq!(value(1_000), 1.0);
        assert_eq!(value(2_000), 0.5);
        assert_eq!(value(3_000), 0.25);
        assert_eq!(value(4_000), 0.0);
        assert_eq!(value(1_000_000_000_000), 0.0);
        let usd = Money {
            amount_cents: 10,
            currency: "USD".into(),
        };
        let (_, v, reason) = price_part(&usd, &lo, &hi);
        assert_eq!(v, 0.0);
        assert!(reason.contains("USD"));
    }

    #[test]
    fn delivery_past_the_deadline_scores_less_than_within_it() {
        assert_eq!(delivery_part(0, 30).1, 1.0);
        assert_eq!(delivery_part(30, 30).1, 0.75);
        assert!(delivery_part(31, 30).1 < 0.75);
        assert_eq!(delivery_part(60, 30).1, 0.0);
        assert_eq!(delivery_part(5, 0).1, 0.0);
        assert_eq!(delivery_part(0, 0).1, 1.0);
    }

    #[test]
    fn suggestions_leave_out_price_and_delivery() {
        let s = MatchingSettings::default();
        let score = score_vendor(&s, &requirement(), &vendor(), 0.5);
        let kinds: Vec<_> = score.parts.iter().map(|p| p.part).collect();
        assert_eq!(
            kinds,
            [
                ScorePartKind::Semantic,
                ScorePartKind::Skills,
                ScorePartKind::Reputation,
                ScorePartKind::Load
            ]
        );
        let weights: f64 = score.parts.iter().map(|p| p.weight).sum();
        assert!((weights - 1.0).abs() < 1e-12);
    }

    #[test]
    fn settings_are_validated() {
        assert_eq!(MatchingSettings::default().validate(), Ok(()));
        let zero = MatchingSettings {
            weight_semantic: 0.0,
            weight_skills: 0.0,
            weight_price: 0.0,
            weight_delivery: 0.0,
            weight_reputation: 0.0,
            weight_load: 0.0,
            ..MatchingSettings::default()
        };
        assert_eq!(zero.validate(), Err(MatchingSettingsError::AllWeightsZero));
        let only_price = MatchingSettings {
            weight_price: 1.0,
            ..zero
        };
        assert_eq!(
            only_price.validate(),
            Err(MatchingSettingsError::NoSuggestionWeight)
        );
        let negative = MatchingSettings {
            weight_load: -0.1,
            ..MatchingSettings::default()
        };
        assert_eq!(
            negative.validate(),
            Err(MatchingSettingsError::BadWeight("weight_load"))
        );
        let nan = MatchingSettings {
            weight_skills: f64::NAN,
            ..MatchingSettings::default()
        };
        assert_eq!(
            nan.validate(),
            Err(MatchingSettingsError::BadWeight("weight_skills"))
        );
        let prior = MatchingSettings {
            reputation_prior_mean: 6.0,
            ..MatchingSettings::default()
        };
        assert_eq!(prior.validate(), Err(MatchingSettingsError::BadPriorMean));
    }

    proptest! {
        #[test]
        fn any_input_scores_within_zero_and_one(
            price in 0u64..=1_000_000_000_000,
            lo in 0u64..=1_000_000_000_000,
            hi in 0u64..=1_000_000_000_000,
            days in any::<u32>(),
            deadline in any::<u32>(),
            capacity in any::<u32>(),
            open in any::<u32>(),
            count in any::<u32>(),
            mean in proptest::num::f64::ANY,
            cosine in proptest::num::f64::ANY,
            weights in proptest::collection::vec(0.0f64..10.0, 6),
        ) {
            let s = MatchingSettings {
                weight_semantic: weights[0],
                weight_skills: weights[1],
                weight_price: weights[2],
                weight_delivery: weights[3],
                weight_reputation: weights[4],
                weight_load: weights[5],
                ..MatchingSettings::default()
            };
            let r = RequirementSignals {
                skills: vec!["a".into()],
                budget_min: cny(lo),
                budget_max: cny(hi),
                deadline_days: deadline,
            };
            let v = VendorSignals {
                skills: vec!["A".into()],
                capacity,
                open_contracts: open,
                review_count: count,
                review_mean: mean,
            };
            for score in [
                score_bid(&s, &r, &v, &bid(price, days), cosine),
                score_vendor(&s, &r, &v, cosine),
            ] {
                prop_assert!((0.0..=1.0).contains(&score.score));
                for p in &score.parts {
                    prop_assert!((0.0..=1.0).contains(&p.value));
                    prop_assert!((0.0..=1.0).contains(&p.weight));
                }
            }
        }
    }
}
