//! Ranking a requirement's bids, and suggesting vendors who have not bid:
//! the semantic part from [`SemanticFit`], the rest from [`super::score`],
//! ordered by score (ties by vendor id, so the order is stable).

use std::time::Instant;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::score::{
    BidSignals, MatchingSettings, RequirementSignals, Score, VendorSignals, score_bid, score_vendor,
};
use super::semantic::{SemanticError, SemanticFit, bid_text, requirement_text};
use crate::models::ModelPool;

/// The requirement being ranked for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RequirementInput {
    /// Its title.
    pub title: String,
    /// Its description.
    pub description: String,
    /// Skills, budget and deadline.
    pub signals: RequirementSignals,
}

/// One live bid with what its vendor brings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BidInput {
    /// The bidding vendor.
    pub vendor_id: String,
    /// The bid's proposal text.
    pub proposal: String,
    /// The vendor's profile text (portfolio).
    pub vendor_profile: String,
    /// The vendor's skills, capacity, load and reviews.
    pub vendor: VendorSignals,
    /// The bid's price and delivery.
    pub bid: BidSignals,
}

/// A vendor who has not bid, for suggestions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct VendorInput {
    /// The vendor.
    pub vendor_id: String,
    /// Its profile text (portfolio).
    pub profile: String,
    /// Its skills, capacity, load and reviews.
    pub vendor: VendorSignals,
}

/// A vendor with its score and every part of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Ranked {
    /// The vendor (of the bid, or suggested).
    pub vendor_id: String,
    /// The score and its parts.
    #[serde(flatten)]
    pub score: Score,
}

/// Orders by score, highest first, ties by vendor id.
pub fn order(ranked: &mut [Ranked]) {
    ranked.sort_by(|a, b| {
        b.score
            .score
            .total_cmp(&a.score.score)
            .then_with(|| a.vendor_id.cmp(&b.vendor_id))
    });
}

/// Every bid scored (p_ij with its parts) and ordered, best first.
pub async fn rank_bids(
    settings: &MatchingSettings,
    fit: &SemanticFit,
    pool: &ModelPool,
    requirement: &RequirementInput,
    bids: &[BidInput],
    deadline: Instant,
) -> Result<Vec<Ranked>, SemanticError> {
    let texts: Vec<String> = bids
        .iter()
        .map(|b| bid_text(&b.proposal, &b.vendor_profile))
        .collect();
    let anchor = requirement_text(&requirement.title, &requirement.description);
    let cosines = fit.cosines(pool, &anchor, &texts, deadline).await?;
    let mut ranked: Vec<Ranked> = bids
        .iter()
        .zip(cosines)
        .map(|(b, cos)| Ranked {
            vendor_id: b.vendor_id.clone(),
            score: score_bid(settings, &requirement.signals, &b.vendor, &b.bid, cos),
        })
        .collect();
    order(&mut ranked);
    Ok(ranked)
}

/// The `k` best vendors among `vendors` (who have not bid) by semantic fit
/// of their profile, skills, reputation and load, best first.
pub async fn suggest_vendors(
    settings: &MatchingSettings,
    fit: &SemanticFit,
    pool: &ModelPool,
    requirement: &RequirementInput,
    vendors: &[VendorInput],
    k: usize,
    deadline: Instant,
) -> Result<Vec<Ranked>, SemanticError> {
    let texts: Vec<String> = vendors
        .iter()
        .map(|v| v.profile.trim().to_owned())
        .collect();
    let anchor = requirement_text(&requirement.title, &requirement.description);
    let cosines = fit.cosines(pool, &anchor, &texts, deadline).await?;
    let mut ranked: Vec<Ranked> = vendors
        .iter()
        .zip(cosines)
        .map(|(v, cos)| Ranked {
            vendor_id: v.vendor_id.clone(),
            score: score_vendor(settings, &requirement.signals, &v.vendor, cos),
        })
        .collect();
    order(&mut ranked);
    ranked.truncate(k);
    Ok(ranked)
}
