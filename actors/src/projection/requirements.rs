//! The requirements read model: every requirement's card with its bids
//! (live, withdrawn, declined, released, awarded), each vendor's load
//! (requirements awarded to it), and a full-text index over titles,
//! descriptions and skills — the same `tantivy` index and tokenizer as the
//! catalog (English words, Chinese character pairs, the last word as a
//! prefix).
//!
//! The index is not part of the serialized state (snapshots stay
//! byte-identical to a rebuild): deserializing rebuilds it from the cards.
//!
//! Whether bidding is still open depends on the time, which a projection
//! never reads: listings take `now` from the caller.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use agora_events::Timestamp;
use agora_events::domain::DomainEvent;
use agora_events::domain::requirement::{BidTerms, RequirementEvent, RequirementTerms, Visibility};
use serde::{Deserialize, Serialize};

use super::catalog::SearchUnavailable;
use super::catalog::search::SearchIndex;
use super::{Projection, SharedEvent};

/// Most requirements one listing page returns.
pub const MAX_REQUIREMENT_PAGE: usize = 100;

/// Where a requirement is, as the read side records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RequirementStatus {
    /// Neither awarded nor cancelled (bidding may still have closed).
    Open,
    /// Awarded to one bid.
    Awarded,
    /// Cancelled.
    Cancelled,
}

/// Where a bid is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum BidStatus {
    /// Live: may be revised, withdrawn or awarded.
    Live,
    /// Withdrawn by its vendor.
    Withdrawn,
    /// Lost to the awarded bid.
    Declined,
    /// Released when the requirement was cancelled.
    Released,
    /// Won the award.
    Awarded,
}

/// One bid as the read side sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BidCard {
    /// The vendor.
    pub vendor_id: String,
    /// The current terms.
    pub terms: BidTerms,
    /// Whether the vendor was at capacity at its last placement or
    /// revision.
    pub at_capacity: bool,
    /// Where the bid is.
    pub status: BidStatus,
    /// When it was placed.
    pub placed_at: Timestamp,
    /// When it last changed (placed, revised, withdrawn, decided).
    pub updated_at: Timestamp,
    /// Revisions since it was placed.
    pub revisions: u32,
}

/// One requirement as the read side sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequirementCard {
    /// The requirement's id.
    pub id: String,
    /// Its client.
    pub client_id: String,
    /// The terms in force.
    pub terms: RequirementTerms,
    /// When it was posted.
    pub posted_at: Timestamp,
    /// When bidding closes.
    pub bidding_closes_at: Timestamp,
    /// Where it is.
    pub status: RequirementStatus,
    /// The winning vendor, once awarded.
    pub awarded_to: Option<String>,
    /// When it was awarded or cancelled.
    pub decided_at: Option<Timestamp>,
    /// Every vendor's bid (the latest one per vendor).
    pub bids: BTreeMap<String, BidCard>,
    /// The aggregate version this card reflects (the HTTP `ETag`).
    pub version: u64,
}

impl RequirementCard {
    /// Live bids.
    pub fn live_bids(&self) -> usize {
        self.bids
            .values()
            .filter(|b| b.status == BidStatus::Live)
            .count()
    }

    /// Whether bids are taken at `now`.
    pub fn bidding_open(&self, now: Timestamp) -> bool {
        self.status == RequirementStatus::Open && now < self.bidding_closes_at
    }

    /// Whether `viewer` sees it: anyone for public and sealed ones; the
    /// client and invited vendors for an invited-only one; `oversight`
    /// (admins, auditors) always.
    pub fn visible_to(&self, viewer: Option<&str>, oversight: bool) -> bool {
        oversight
            || self.terms.visibility != Visibility::Invited
            || viewer
                .is_some_and(|v| v == self.client_id || self.terms.invited.iter().any(|i| i == v))
    }
}

/// Which requirements a listing shows, by where they are at `now`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StatusFilter {
    /// Taking bids.
    #[default]
    Open,
    /// Bidding window over, neither awarded nor cancelled.
    Closed,
    /// Awarded.
    Awarded,
    /// Cancelled.
    Cancelled,
    /// All of them.
    Any,
}

/// The order of a listing; ties go by id.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RequirementSort {
    /// Most recently posted first.
    #[default]
    Newest,
    /// Largest budget (its maximum) first.
    Budget,
    /// Bidding closing soonest first.
    Closing,
    /// Best full-text match first; needs a search text (without one,
    /// newest first).
    Relevance,
}

impl RequirementSort {
    fn tag(self) -> char {
        match self {
            Self::Newest => 'n',
            Self::Budget => 'b',
            Self::Closing => 'c',
            Self::Relevance => 'q',
        }
    }
}

/// A listing request; `None` filters match everything.
#[derive(Clone, Debug)]
pub struct RequirementQuery {
    /// Requirements whose title, description or skills contain every word.
    pub text: Option<String>,
    /// Requirements asking for this skill (lowercase).
    pub skill: Option<String>,
    /// Requirements whose budget reaches at least this many minor units.
    pub min_budget: Option<u64>,
    /// Requirements whose budget starts at most at this many minor units.
    pub max_budget: Option<u64>,
    /// Where they are.
    pub status: StatusFilter,
    /// The order.
    pub sort: RequirementSort,
    /// Page size, 1 to [`MAX_REQUIREMENT_PAGE`].
    pub limit: usize,
    /// Where the previous page ended.
    pub cursor: Option<String>,
    /// Who asks (for invited-only requirements).
    pub viewer: Option<String>,
    /// Whether the asker sees every requirement (admins, auditors).
    pub oversight: bool,
    /// The time the status filter is judged at.
    pub now: Timestamp,
}

impl Default for RequirementQuery {
    /// Open requirements, newest first, 20 a page, judged at time 0.
    fn default() -> Self {
        Self {
            text: None,
            skill: None,
            min_budget: None,
            max_budget: None,
            status: StatusFilter::Open,
            sort: RequirementSort::Newest,
            limit: 20,
            cursor: None,
            viewer: None,
            oversight: false,
            now: Timestamp(0),
        }
    }
}

/// Why a listing failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RequirementListError {
    /// The cursor is not one this listing's sort returned (400).
    #[error("the cursor is not one this listing's sort returned")]
    BadCursor,
    /// The search index failed (503).
    #[error(transparent)]
    Search(#[from] SearchUnavailable),
}

/// One page of a listing.
#[derive(Clone, Debug, PartialEq)]
pub struct RequirementPage {
    /// The requirements, in order.
    pub requirements: Vec<RequirementCard>,
    /// Pass as `cursor` for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// Every requirement by id, each vendor's load, and the full-text index.
///
/// Serialized as the requirements and loads; deserializing rebuilds the
/// index.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(from = "StoredRequirements")]
pub struct RequirementsView {
    requirements: BTreeMap<String, RequirementCard>,
    /// Requirements awarded to each vendor.
    awarded: BTreeMap<String, u64>,
    #[serde(skip)]
    search: SearchIndex,
}

/// The serialized shape of a [`RequirementsView`].
#[derive(Deserialize)]
struct StoredRequirements {
    requirements: BTreeMap<String, RequirementCard>,
    awarded: BTreeMap<String, u64>,
}

impl From<StoredRequirements> for RequirementsView {
    fn from(stored: StoredRequirements) -> Self {
        let mut view = Self {
            requirements: stored.requirements,
            awarded: stored.awarded,
            search: SearchIndex::default(),
        };
        for card in view.requirements.values() {
            view.search.upsert(
                &card.id,
                &card.terms.title,
                &card.terms.description,
                &card.terms.skills,
            );
        }
        view
    }
}

fn cursor(sort: RequirementSort, key: i64, id: &str) -> String {
    format!("{}{key}~{id}", sort.tag())
}

fn parse_cursor(
    sort: RequirementSort,
    cursor: &str,
) -> Result<(i64, String), RequirementListError> {
    let rest = cursor
        .strip_prefix(sort.tag())
        .ok_or(RequirementListError::BadCursor)?;
    let (key, id) = rest
        .split_once('~')
        .ok_or(RequirementListError::BadCursor)?;
    let key = key.parse().map_err(|_| RequirementListError::BadCursor)?;
    Ok((key, id.to_owned()))
}

/// A relevance score as an ordered integer key.
fn score_key(score: f32) -> i64 {
    i64::from(score.max(0.0).to_bits())
}

impl RequirementsView {
    /// The requirement with this id, whatever its visibility.
    pub fn get(&self, id: &str) -> Option<&RequirementCard> {
        self.requirements.get(id)
    }

    /// Requirements awarded to `vendor_id` (its load, until contracts
    /// report completions).
    pub fn awarded_to(&self, vendor_id: &str) -> u64 {
        self.awarded.get(vendor_id).copied().unwrap_or(0)
    }

    /// The ids of the awarded requirements, in id order.
    pub fn awarded_ids(&self) -> Vec<String> {
        self.requirements
            .values()
            .filter(|card| card.status == RequirementStatus::Awarded)
            .map(|card| card.id.clone())
            .collect()
    }

    /// Number of requirements.
    pub fn len(&self) -> usize {
        self.requirements.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// One page of the requirements `query` asks for.
    pub fn list(&self, query: &RequirementQuery) -> Result<RequirementPage, RequirementListError> {
        let sort = query.sort;
        let after = query
            .cursor
            .as_deref()
            .map(|c| parse_cursor(sort, c))
            .transpose()?;
        let limit = query.limit.clamp(1, MAX_REQUIREMENT_PAGE);
        let scored: Vec<(&RequirementCard, Option<f32>)> = match query.text.as_deref() {
            Some(text) => self
                .search
                .search(text)?
                .into_iter()
                .filter_map(|(id, score)| self.requirements.get(id).map(|c| (c, Some(score))))
                .collect(),
            None => self.requirements.values().map(|c| (c, None)).collect(),
        };
        let mut matching: Vec<(Reverse<i64>, &RequirementCard)> = scored
            .into_iter()
            .filter(|(card, _)| matches(card, query))
            .map(|(card, score)| {
                let key = match (sort, score) {
                    (RequirementSort::Relevance, Some(score)) => score_key(score),
                    (RequirementSort::Budget, _) => {
                        i64::try_from(card.terms.budget.max_cents).unwrap_or(i64::MAX)
                    }
                    (RequirementSort::Closing, _) => card.bidding_closes_at.0.saturating_neg(),
                    _ => card.posted_at.0,
                };
                (Reverse(key), card)
            })
            .filter(|(Reverse(key), card)| {
                after.as_ref().is_none_or(|(k, id)| {
                    (Reverse(*key), card.id.as_str()) > (Reverse(*k), id.as_str())
                })
            })
            .collect();
        matching.sort_by(|(ka, a), (kb, b)| (ka, &a.id).cmp(&(kb, &b.id)));
        let next_cursor = (matching.len() > limit).then(|| {
            let (Reverse(key), card) = matching[limit - 1];
            cursor(sort, key, &card.id)
        });
        let requirements = matching
            .into_iter()
            .take(limit)
            .map(|(_, card)| card.clone())
            .collect();
        Ok(RequirementPage {
            requirements,
            next_cursor,
        })
    }

    fn fold(&mut self, event: RequirementEvent, version: u64) {
        let id = event.requirement_id().to_owned();
        if let Some(card) = self.requirements.get_mut(&id) {
            card.version = version;
        }
        match event {
            RequirementEvent::Posted(e) => {
                self.search
                    .upsert(&id, &e.terms.title, &e.terms.description, &e.terms.skills);
                self.requirements.insert(
                    id.clone(),
                    RequirementCard {
                        id,
                        client_id: e.client_id,
                        terms: e.terms,
                        posted_at: e.posted_at,
                        bidding_closes_at: e.bidding_closes_at,
                        status: RequirementStatus::Open,
                        awarded_to: None,
                        decided_at: None,
                        bids: BTreeMap::new(),
                        version,
                    },
                );
            }
            RequirementEvent::Edited(e) => {
                self.search
                    .upsert(&id, &e.terms.title, &e.terms.description, &e.terms.skills);
                if let Some(card) = self.requirements.get_mut(&id) {
                    card.terms = e.terms;
                    card.bidding_closes_at = e.bidding_closes_at;
                }
            }
            RequirementEvent::Extended(e) => {
                if let Some(card) = self.requirements.get_mut(&id) {
                    card.terms.deadline_days = e.deadline_days;
                    card.terms.bidding_days = e.bidding_days;
                    card.bidding_closes_at = e.bidding_closes_at;
                }
            }
            RequirementEvent::Cancelled(e) => {
                if let Some(card) = self.requirements.get_mut(&id) {
                    card.status = RequirementStatus::Cancelled;
                    card.decided_at = Some(e.cancelled_at);
                    for vendor in &e.released {
                        if let Some(bid) = card.bids.get_mut(vendor) {
                            bid.status = BidStatus::Released;
                            bid.updated_at = e.cancelled_at;
                        }
                    }
                }
            }
            RequirementEvent::BidPlaced(e) => {
                if let Some(card) = self.requirements.get_mut(&id) {
                    card.bids.insert(
                        e.vendor_id.clone(),
                        BidCard {
                            vendor_id: e.vendor_id,
                            terms: e.terms,
                            at_capacity: e.at_capacity,
                            status: BidStatus::Live,
                            placed_at: e.placed_at,
                            updated_at: e.placed_at,
                            revisions: 0,
                        },
                    );
                }
            }
            RequirementEvent::BidRevised(e) => {
                if let Some(bid) = self.bid_mut(&id, &e.vendor_id) {
                    bid.terms = e.terms;
                    bid.at_capacity = e.at_capacity;
                    bid.updated_at = e.revised_at;
                    bid.revisions = bid.revisions.saturating_add(1);
                }
            }
            RequirementEvent::BidWithdrawn(e) => {
                if let Some(bid) = self.bid_mut(&id, &e.vendor_id) {
                    bid.status = BidStatus::Withdrawn;
                    bid.updated_at = e.withdrawn_at;
                }
            }
            RequirementEvent::Awarded(e) => {
                if let Some(card) = self.requirements.get_mut(&id) {
                    card.status = RequirementStatus::Awarded;
                    card.awarded_to = Some(e.vendor_id.clone());
                    card.decided_at = Some(e.at);
                    if let Some(bid) = card.bids.get_mut(&e.vendor_id) {
                        bid.status = BidStatus::Awarded;
                        bid.updated_at = e.at;
                    }
                    let load = self.awarded.entry(e.vendor_id).or_default();
                    *load = load.saturating_add(1);
                }
            }
            RequirementEvent::BidDeclined(e) => {
                if let Some(bid) = self.bid_mut(&id, &e.vendor_id) {
                    bid.status = BidStatus::Declined;
                    bid.updated_at = e.declined_at;
                }
            }
        }
    }

    fn bid_mut(&mut self, id: &str, vendor_id: &str) -> Option<&mut BidCard> {
        self.requirements.get_mut(id)?.bids.get_mut(vendor_id)
    }
}

/// Whether `card` passes every filter of `query`.
fn matches(card: &RequirementCard, query: &RequirementQuery) -> bool {
    let status = match query.status {
        StatusFilter::Any => true,
        StatusFilter::Open => card.bidding_open(query.now),
        StatusFilter::Closed => {
            card.status == RequirementStatus::Open && !card.bidding_open(query.now)
        }
        StatusFilter::Awarded => card.status == RequirementStatus::Awarded,
        StatusFilter::Cancelled => card.status == RequirementStatus::Cancelled,
    };
    status
        && card.visible_to(query.viewer.as_deref(), query.oversight)
        && query
            .skill
            .as_ref()
            .is_none_or(|s| card.terms.skills.iter().any(|k| k == s))
        && query
            .min_budget
            .is_none_or(|min| card.terms.budget.max_cents >= min)
        && query
            .max_budget
            .is_none_or(|max| card.terms.budget.min_cents <= max)
}

impl Projection for RequirementsView {
    const NAME: &'static str = "requirements";
    const VERSION: u32 = 1;

    fn apply_shared(&mut self, event: &SharedEvent<'_>) -> Result<(), String> {
        let recorded = event.recorded();
        if !RequirementEvent::TYPES.contains(&recorded.event_type.as_str()) {
            return Ok(());
        }
        let decoded = RequirementEvent::from_recorded(recorded).map_err(|e| e.to_string())?;
        self.fold(decoded, recorded.version);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use agora_events::domain::money::Money;
    use agora_events::domain::requirement::{
        BidPlaced, Budget, Milestone, RequirementAwarded, RequirementPosted,
    };

    use super::*;

    const DAY: i64 = 86_400_000_000;

    fn posted(
        id: &str,
        title: &str,
        max_cents: u64,
        visibility: Visibility,
        day: i64,
    ) -> RequirementEvent {
        RequirementEvent::Posted(RequirementPosted {
            requirement_id: id.into(),
            client_id: "cli".into(),
            terms: RequirementTerms {
                title: title.into(),
                description: "details".into(),
                skills: vec!["rust".into()],
                budget: Budget {
                    min_cents: 100,
                    max_cents,
                    currency: "CNY".into(),
                },
                deadline_days: 30,
                bidding_days: 7,
                visibility,
                invited: if visibility == Visibility::Invited {
                    vec!["ven".into()]
                } else {
                    vec![]
                },
            },
            bidding_closes_at: Timestamp((day + 7) * DAY),
            posted_at: Timestamp(day * DAY),
        })
    }

    fn view() -> RequirementsView {
        let mut view = RequirementsView::default();
        view.fold(
            posted("a", "Payment gateway in Rust", 1_000, Visibility::Public, 1),
            0,
        );
        view.fold(posted("b", "支付系统开发", 5_000, Visibility::Sealed, 2), 0);
        view.fold(
            posted("c", "Secret gateway", 9_000, Visibility::Invited, 3),
            0,
        );
        let price = Money {
            amount_cents: 500,
            currency: "CNY".into(),
        };
        view.fold(
            RequirementEvent::BidPlaced(BidPlaced {
                requirement_id: "a".into(),
                vendor_id: "ven".into(),
                terms: BidTerms {
                    price: price.clone(),
                    delivery_days: 3,
                    proposal: "p".into(),
                    milestones: vec![Milestone {
                        title: "m".into(),
                        amount_cents: 500,
                        due_day: 3,
                    }],
                },
                at_capacity: false,
                placed_at: Timestamp(2 * DAY),
            }),
            1,
        );
        view.fold(
            RequirementEvent::Awarded(RequirementAwarded {
                requirement_id: "a".into(),
                vendor_id: "ven".into(),
                contract_id: "a".into(),
                price,
                milestones: vec![],
                client_id: "cli".into(),
                at: Timestamp(3 * DAY),
            }),
            2,
        );
        view
    }

    fn ids(page: &RequirementPage) -> Vec<&str> {
        page.requirements.iter().map(|c| c.id.as_str()).collect()
    }

    fn query(now_day: i64) -> RequirementQuery {
        RequirementQuery {
            limit: 10,
            now: Timestamp(now_day * DAY),
            ..RequirementQuery::default()
        }
    }

    #[test]
    fn listings_filter_by_status_visibility_budget_and_text() {
        let view = view();
        assert_eq!(view.awarded_to("ven"), 1);
        let open = view.list(&query(4)).expect("list");
        assert_eq!(ids(&open), ["b"], "a awarded, c invited-only");
        let invited = RequirementQuery {
            viewer: Some("ven".into()),
            ..query(4)
        };
        assert_eq!(ids(&view.list(&invited).expect("list")), ["c", "b"]);
        let all = RequirementQuery {
            status: StatusFilter::Any,
            oversight: true,
            sort: RequirementSort::Budget,
            ..query(4)
        };
        assert_eq!(ids(&view.list(&all).expect("list")), ["c", "b", "a"]);
        let closed = RequirementQuery {
            status: StatusFilter::Closed,
            ..query(20)
        };
        assert_eq!(ids(&view.list(&closed).expect("list")), ["b"]);
        let rich = RequirementQuery {
            status: StatusFilter::Any,
            min_budget: Some(2_000),
            ..query(4)
        };
        assert_eq!(ids(&view.list(&rich).expect("list")), ["b"]);
        let chinese = RequirementQuery {
            text: Some("支付".into()),
            ..query(4)
        };
        assert_eq!(ids(&view.list(&chinese).expect("list")), ["b"]);
        let english = RequirementQuery {
            text: Some("gateway".into()),
            status: StatusFilter::Any,
            sort: RequirementSort::Relevance,
            ..query(4)
        };
        assert_eq!(ids(&view.list(&english).expect("list")), ["a"]);
    }

    #[test]
    fn cursors_continue_where_the_page_ended_and_restores_search_alike() {
        let view = view();
        let mut q = RequirementQuery {
            status: StatusFilter::Any,
            oversight: true,
            limit: 1,
            ..query(4)
        };
        let mut seen = Vec::new();
        loop {
            let page = view.list(&q).expect("list");
            seen.extend(ids(&page).into_iter().map(str::to_owned));
            match page.next_cursor {
                Some(c) => q.cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(seen, ["c", "b", "a"]);
        q.cursor = Some("zzz".into());
        assert_eq!(view.list(&q), Err(RequirementListError::BadCursor));
        let json = serde_json::to_string(&view).expect("serializes");
        let back: RequirementsView = serde_json::from_str(&json).expect("restores");
        assert_eq!(serde_json::to_string(&back).expect("serializes"), json);
        let chinese = RequirementQuery {
            text: Some("支付".into()),
            ..query(4)
        };
        assert_eq!(ids(&back.list(&chinese).expect("list")), ["b"]);
    }
}
