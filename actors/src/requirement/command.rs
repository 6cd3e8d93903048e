//! What a requirement is asked to do, and why it may refuse.

use agora_events::domain::money::{Money, MoneyError};
use agora_events::domain::requirement::{Budget, Milestone, Visibility};

/// A requirement's terms as the client sends them (checked and normalised
/// by the aggregate).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewTerms {
    /// Short title.
    pub title: String,
    /// What is to be built.
    pub description: String,
    /// Required skills.
    pub skills: Vec<String>,
    /// The budget range.
    pub budget: Budget,
    /// Days the work may take from the award.
    pub deadline_days: u32,
    /// Days bids are taken from the posting.
    pub bidding_days: u32,
    /// Who sees it.
    pub visibility: Visibility,
    /// The invited vendors (only for [`Visibility::Invited`]).
    pub invited: Vec<String>,
}

/// A change of some of a requirement's terms; `None` keeps the field.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TermsPatch {
    /// New title.
    pub title: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New skills.
    pub skills: Option<Vec<String>>,
    /// New budget.
    pub budget: Option<Budget>,
    /// New delivery deadline, in days from the award.
    pub deadline_days: Option<u32>,
    /// New bidding window, in days from the posting.
    pub bidding_days: Option<u32>,
    /// New visibility.
    pub visibility: Option<Visibility>,
    /// New invited vendors.
    pub invited: Option<Vec<String>>,
}

/// A bid as the vendor sends it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewBid {
    /// The whole price.
    pub price: Money,
    /// Days from the award to delivery.
    pub delivery_days: u32,
    /// The proposal.
    pub proposal: String,
    /// The milestone plan.
    pub milestones: Vec<Milestone>,
}

/// What the service knows about the bidding vendor that the aggregate
/// cannot see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BidStanding {
    /// Whether the vendor has set a profile.
    pub has_profile: bool,
    /// Whether its open contracts fill its capacity.
    pub at_capacity: bool,
}

/// Commands a requirement accepts. The caller is `ctx.actor_id`; roles
/// (client to post, vendor to bid) are the route's policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequirementCommand {
    /// Post the requirement (the caller becomes its client).
    Post {
        /// Its terms.
        terms: NewTerms,
    },
    /// Edit it (before any bid), or extend it (after): the client only.
    Edit {
        /// What changes.
        patch: TermsPatch,
    },
    /// Cancel it, releasing every live bid: the client or an admin.
    Cancel {
        /// Why (may be empty).
        reason: String,
        /// Whether the caller is an admin.
        by_admin: bool,
    },
    /// The caller places its bid.
    Bid {
        /// The bid.
        bid: NewBid,
        /// Profile and capacity of the caller.
        standing: BidStanding,
    },
    /// The caller revises its live bid.
    Revise {
        /// The new bid.
        bid: NewBid,
        /// Profile and capacity of the caller.
        standing: BidStanding,
    },
    /// Withdraw `vendor_id`'s live bid: that vendor or an admin.
    Withdraw {
        /// Whose bid.
        vendor_id: String,
        /// Whether the caller is an admin.
        by_admin: bool,
    },
    /// Award the requirement to `vendor_id`'s live bid: the client only.
    Award {
        /// The winning vendor.
        vendor_id: String,
    },
}

/// Why a requirement refuses a command: one variant per rule; each doc
/// names the HTTP status. None is worth retrying unchanged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RequirementError {
    /// The command needs a known caller (401).
    #[error("the caller is not known")]
    Unauthenticated,
    /// No requirement has this id, or the caller may not see it (an
    /// invited-only requirement it is not invited to) (404).
    #[error("the requirement does not exist")]
    NotFound,
    /// A requirement with this id was posted already (409).
    #[error("a requirement with this id exists already")]
    Exists,
    /// Only the requirement's client may do this (403).
    #[error("only the requirement's client may do this")]
    NotTheClient,
    /// A client cannot bid on its own requirement (403).
    #[error("a client cannot bid on its own requirement")]
    OwnRequirement,
    /// Only the bidding vendor (or an admin) may change its bid (403).
    #[error("only the vendor who placed the bid may change it")]
    NotTheBidder,
    /// The vendor has no profile yet: set one with `PUT /v1/vendors/{id}`
    /// first (404 `vendor-not-found`).
    #[error("the vendor has no profile yet; set one with PUT /v1/vendors/{{id}} first")]
    NoVendorProfile,
    /// The vendor has a live bid already: revise it instead (409
    /// `bid-exists`).
    #[error("the vendor has a live bid on this requirement already; revise it instead")]
    BidExists,
    /// The vendor has no live bid here (404 `bid-not-found`).
    #[error("{0:?} has no live bid on this requirement")]
    BidNotFound(String),
    /// The bidding window has closed (409 `requirement-conflict`).
    #[error("bidding on this requirement closed")]
    BiddingClosed,
    /// The requirement was awarded already (409 `requirement-conflict`).
    #[error("the requirement was awarded already")]
    AlreadyAwarded,
    /// The requirement was cancelled (409 `requirement-conflict`).
    #[error("the requirement was cancelled")]
    Cancelled,
    /// After the first bid only `deadline_days` and `bidding_days` may
    /// change, and only upwards (409 `requirement-conflict`).
    #[error(
        "the requirement has bids: only deadline_days and bidding_days may change, and only grow ({0})"
    )]
    OnlyExtensions(&'static str),
    /// A field breaks its rule; the message names it (422
    /// `validation-failed`).
    #[error("{0}")]
    Invalid(String),
    /// A budget or price amount breaks the one rule of money (422
    /// `price-out-of-range`).
    #[error("the {what} is out of range: {error}")]
    MoneyOutOfRange {
        /// `budget` or `price`.
        what: &'static str,
        /// Which rule.
        error: MoneyError,
    },
    /// The milestone amounts do not add up to the price (422
    /// `milestones-mismatch`).
    #[error("the milestones add up to {sum} minor units, the price is {price}")]
    MilestonesMismatch {
        /// What the milestones add up to.
        sum: u128,
        /// The price.
        price: u64,
    },
}
