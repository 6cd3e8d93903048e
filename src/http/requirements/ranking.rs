//! `GET /v1/requirements/{id}/bids?rank=true`: a requirement's live bids
//! scored p_ij ∈ [0, 1] with every part shown, best first
//! (`agora_actors::matching::ranking`; weights and reputation prior are the
//! `matching.*` settings).
//!
//! The inputs come from the read side: the requirement's card, each
//! bidding vendor's profile (skills, capacity, portfolio) from the vendors
//! view, and its standing (reviews, open contracts) from the contracts
//! view. The semantic part is the cosine of sentence embeddings from the
//! model workers, waited for at most `read_wait_ms` like any read. When the
//! workers are off, still loading, fail or miss that deadline, the bids
//! are ranked by the other five parts (their weights renormalised, the
//! semantic part shown with weight 0) and the answer says why; a full
//! embedding queue is 503 `models-overloaded` with `Retry-After`.

use std::time::Instant;

use agora_actors::matching::MatchingSettings;
use agora_actors::matching::ranking::{
    BidInput, Ranked, RequirementInput, VendorInput, order, rank_bids, suggest_vendors,
};
use agora_actors::matching::score::{
    BidSignals, RequirementSignals, VendorSignals, score_bid, score_vendor,
};
use agora_actors::matching::semantic::{DEFAULT_KIND, SemanticError, SemanticFit};
use agora_actors::projection::requirements::{BidStatus, RequirementCard};
use agora_actors::projection::vendors::VendorCard;
use agora_events::domain::money::Money;
use schemars::JsonSchema;
use serde::Serialize;

use crate::http::AppState;
use crate::http::problem::{ApiError, ProblemKind};

/// The scoring settings and the embedding cache of bid rankings; one per
/// server.
pub(crate) struct BidRanking {
    settings: MatchingSettings,
    fit: SemanticFit,
}

impl BidRanking {
    /// Rankings under `settings` (checked at start-up), with an empty
    /// cache of `settings.embedding_cache_entries` embeddings.
    pub(crate) fn new(settings: &MatchingSettings) -> Self {
        Self {
            settings: settings.clone(),
            fit: SemanticFit::new(DEFAULT_KIND, settings.embedding_cache_entries),
        }
    }
}

/// The ranking part of a bids answer.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct RankingView {
    /// Whether the semantic part (embedding cosine of proposal and profile
    /// to the requirement) is in the scores.
    semantic: bool,
    /// Why it is not, when it is not (the model workers' state).
    semantic_unavailable: Option<String>,
    /// The live bids, best first (ties by vendor id): each vendor with its
    /// score and every part of it (value, normalised weight, contribution,
    /// reason).
    bids: Vec<Ranked>,
}

/// Most vendors one suggestion answer names.
pub(crate) const MAX_SUGGESTIONS: usize = 50;
/// Most vendors whose profiles are embedded for one suggestion: the best
/// by every other part go on to the semantic part, so the work per
/// request is bounded however many vendors there are.
const SUGGESTION_CANDIDATES: usize = 100;

/// The answer of `GET /v1/requirements/{id}/vendors`.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct SuggestionsView {
    /// The requirement.
    requirement_id: String,
    /// Whether the semantic part (embedding cosine of the vendor's
    /// portfolio to the requirement) is in the scores.
    semantic: bool,
    /// Why it is not, when it is not (the model workers' state).
    semantic_unavailable: Option<String>,
    /// Vendors with a profile who have not bid (nor the client itself),
    /// best first (ties by vendor id), each with its score and every part
    /// of it; price and delivery are not known before a bid and weigh 0.
    vendors: Vec<Ranked>,
}

/// The `k` vendors (at most [`MAX_SUGGESTIONS`]) best suited to `card`
/// among those with a profile who have not bid on it, for the client to
/// invite.
pub(crate) async fn suggest(
    state: &AppState,
    card: &RequirementCard,
    k: usize,
) -> Result<SuggestionsView, ApiError> {
    let ranking = &state.ranking;
    let requirement = requirement_input(card);
    let mut vendors: Vec<VendorInput> = state.requirements.vendor_view().read(|view| {
        view.iter()
            .filter(|v| v.id != card.client_id && !card.bids.contains_key(&v.id))
            .map(|v| VendorInput {
                vendor_id: v.id.clone(),
                profile: v.portfolio.clone(),
                vendor: vendor_signals(state, v),
            })
            .collect()
    });
    // The best candidates by every part but the semantic one.
    let without = MatchingSettings {
        weight_semantic: 0.0,
        ..ranking.settings.clone()
    };
    let mut pre: Vec<(Ranked, VendorInput)> = vendors
        .drain(..)
        .map(|v| {
            let score = score_vendor(&without, &requirement.signals, &v.vendor, 0.0);
            let ranked = Ranked {
                vendor_id: v.vendor_id.clone(),
                score,
            };
            (ranked, v)
        })
        .collect();
    pre.sort_by(|(a, _), (b, _)| {
        b.score
            .score
            .total_cmp(&a.score.score)
            .then_with(|| a.vendor_id.cmp(&b.vendor_id))
    });
    pre.truncate(SUGGESTION_CANDIDATES);
    let (mut fallback, candidates): (Vec<Ranked>, Vec<VendorInput>) = pre.into_iter().unzip();
    let k = k.clamp(1, MAX_SUGGESTIONS);
    let deadline = Instant::now() + state.read_wait;
    let semantic = match state.models.ready() {
        Ok(ready) => suggest_vendors(
            &ranking.settings,
            &ranking.fit,
            &ready.pool,
            &requirement,
            &candidates,
            k,
            deadline,
        )
        .await
        .map_err(|e| semantic_problem(&e)),
        Err(reason) => Err(Ok(reason)),
    };
    let requirement_id = card.id.clone();
    match semantic {
        Ok(vendors) => Ok(SuggestionsView {
            requirement_id,
            semantic: true,
            semantic_unavailable: None,
            vendors,
        }),
        Err(Err(problem)) => Err(problem),
        Err(Ok(reason)) => {
            order(&mut fallback);
            fallback.truncate(k);
            Ok(SuggestionsView {
                requirement_id,
                semantic: false,
                semantic_unavailable: Some(reason),
                vendors: fallback,
            })
        }
    }
}

/// A semantic failure as the answer takes it: a full embedding queue is a
/// 503 with `Retry-After` (`Err`), anything else is ranked without the
/// semantic part, for the reason given (`Ok`).
fn semantic_problem(error: &SemanticError) -> Result<String, ApiError> {
    match error {
        SemanticError::Overloaded { retry_after } => Err(ApiError::retry_after(
            ProblemKind::ModelsOverloaded,
            error.to_string(),
            u32::try_from(retry_after.as_secs()).unwrap_or(u32::MAX),
        )),
        other => Ok(other.to_string()),
    }
}

/// What scoring needs of a requirement.
fn requirement_input(card: &RequirementCard) -> RequirementInput {
    let budget = &card.terms.budget;
    let money = |amount_cents| Money {
        amount_cents,
        currency: budget.currency.clone(),
    };
    RequirementInput {
        title: card.terms.title.clone(),
        description: card.terms.description.clone(),
        signals: RequirementSignals {
            skills: card.terms.skills.clone(),
            budget_min: money(budget.min_cents),
            budget_max: money(budget.max_cents),
            deadline_days: card.terms.deadline_days,
        },
    }
}

/// Ranks the live bids of `card`.
pub(crate) async fn rank(
    state: &AppState,
    card: &RequirementCard,
) -> Result<RankingView, ApiError> {
    let ranking = &state.ranking;
    let requirement = requirement_input(card);
    let bids: Vec<BidInput> = card
        .bids
        .values()
        .filter(|bid| bid.status == BidStatus::Live)
        .map(|bid| bid_input(state, bid))
        .collect();
    let deadline = Instant::now() + state.read_wait;
    let semantic = match state.models.ready() {
        Ok(ready) => rank_bids(
            &ranking.settings,
            &ranking.fit,
            &ready.pool,
            &requirement,
            &bids,
            deadline,
        )
        .await
        .map_err(|e| semantic_problem(&e)),
        Err(reason) => Err(Ok(reason)),
    };
    match semantic {
        Ok(bids) => Ok(RankingView {
            semantic: true,
            semantic_unavailable: None,
            bids,
        }),
        Err(Err(problem)) => Err(problem),
        Err(Ok(reason)) => Ok(RankingView {
            semantic: false,
            semantic_unavailable: Some(reason),
            bids: without_semantic(&ranking.settings, &requirement, &bids),
        }),
    }
}

/// What scoring needs of one live bid and its vendor.
fn bid_input(state: &AppState, bid: &agora_actors::projection::requirements::BidCard) -> BidInput {
    let profile = state
        .requirements
        .vendor_view()
        .read(|view| view.get(&bid.vendor_id).cloned());
    let (vendor, portfolio) = match &profile {
        Some(card) => (vendor_signals(state, card), card.portfolio.clone()),
        None => (
            VendorSignals {
                skills: Vec::new(),
                capacity: 0,
                ..standing_signals(state, &bid.vendor_id)
            },
            String::new(),
        ),
    };
    BidInput {
        vendor_id: bid.vendor_id.clone(),
        proposal: bid.terms.proposal.clone(),
        vendor_profile: portfolio,
        vendor,
        bid: BidSignals {
            price: bid.terms.price.clone(),
            delivery_days: bid.terms.delivery_days,
        },
    }
}

/// A vendor's skills and capacity from its profile, with its standing.
fn vendor_signals(state: &AppState, card: &VendorCard) -> VendorSignals {
    VendorSignals {
        skills: card.skills.clone(),
        capacity: card.capacity,
        ..standing_signals(state, &card.id)
    }
}

/// A vendor's load and reviews (from the contracts view), without a
/// profile's skills and capacity.
fn standing_signals(state: &AppState, vendor_id: &str) -> VendorSignals {
    let standing = state.contracts.standing(vendor_id);
    VendorSignals {
        skills: Vec::new(),
        capacity: 0,
        open_contracts: u32::try_from(standing.open_contracts).unwrap_or(u32::MAX),
        review_count: u32::try_from(standing.reputation.reviews).unwrap_or(u32::MAX),
        review_mean: standing.reputation.mean.unwrap_or(0.0),
    }
}

/// The bids scored by every part but the semantic one (its weight 0, the
/// others' renormalised), best first.
fn without_semantic(
    settings: &MatchingSettings,
    requirement: &RequirementInput,
    bids: &[BidInput],
) -> Vec<Ranked> {
    let settings = MatchingSettings {
        weight_semantic: 0.0,
        ..settings.clone()
    };
    let mut ranked: Vec<Ranked> = bids
        .iter()
        .map(|b| Ranked {
            vendor_id: b.vendor_id.clone(),
            score: score_bid(&settings, &requirement.signals, &b.vendor, &b.bid, 0.0),
        })
        .collect();
    order(&mut ranked);
    ranked
}
