//! What a contract is asked to do, and why it may refuse.

use agora_events::domain::contract::MilestoneTerms;
use agora_events::domain::money::{Money, MoneyError};
use agora_events::domain::revenue::SplitError;

use super::MilestoneStage;

/// Commands a contract accepts. The caller is `ctx.actor_id` of the
/// [`CommandContext`](crate::aggregate::CommandContext) and the time is
/// `ctx.now`. Milestone indexes are `u64` as clients send them: an index
/// past the milestones is refused as
/// [`ContractError::MilestoneNotFound`], never truncated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContractCommand {
    /// Open the contract of an award. Repeating it with the same terms
    /// records nothing (the award route and a reconcile may both send it).
    Open {
        /// The requirement awarded (the contract id equals it).
        requirement_id: String,
        /// The client.
        client_id: String,
        /// The vendor.
        vendor_id: String,
        /// The awarded price.
        price: Money,
        /// The milestones, in order; their amounts add up to the price.
        milestones: Vec<MilestoneTerms>,
    },
    /// The client puts milestone `index`'s amount in escrow.
    Fund {
        /// The milestone.
        index: u64,
    },
    /// The vendor submits milestone `index` for acceptance.
    Submit {
        /// The milestone.
        index: u64,
        /// What the vendor says about the delivery.
        note: String,
        /// How long the client has to answer before the submission is
        /// accepted automatically, in microseconds (a setting).
        auto_accept_after_micros: i64,
    },
    /// The client accepts milestone `index`: its escrow is released.
    Accept {
        /// The milestone.
        index: u64,
        /// The outsourcing fee in force, in basis points (a setting).
        fee_bps: u32,
    },
    /// The client sends milestone `index` back for changes.
    RequestChanges {
        /// The milestone.
        index: u64,
        /// What should change.
        reason: String,
    },
    /// Either side disputes submitted milestone `index`.
    Dispute {
        /// The milestone.
        index: u64,
        /// Why.
        reason: String,
    },
    /// An admin resolves the dispute on milestone `index`: `vendor_cents`
    /// to the vendor (the fee applies), the rest refunded to the client.
    Resolve {
        /// The milestone.
        index: u64,
        /// The vendor's part, in minor units.
        vendor_cents: u64,
        /// The admin's note.
        note: String,
        /// The outsourcing fee in force, in basis points.
        fee_bps: u32,
        /// Whether the caller is an admin.
        by_admin: bool,
    },
    /// Accept automatically every submission whose automatic-acceptance
    /// time has come by `ctx.now` (sent by the sweeper).
    Sweep {
        /// The outsourcing fee in force, in basis points.
        fee_bps: u32,
    },
    /// A party reviews the other after completion.
    Review {
        /// Quality, 1–5.
        quality: u8,
        /// Communication, 1–5.
        communication: u8,
        /// Timeliness, 1–5.
        timeliness: u8,
        /// Optional text.
        text: String,
    },
}

/// Why a contract refuses a command: one variant per rule. Each doc says
/// the HTTP status a caller should answer with; none is worth retrying
/// unchanged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ContractError {
    /// The command needs a known caller and none was given (401).
    #[error("the caller is not known")]
    Unauthenticated,
    /// No contract with this id was opened (404).
    #[error("the contract does not exist")]
    ContractNotFound,
    /// A contract with this id was opened with other terms (409): one
    /// award makes one contract.
    #[error("a contract with this id was opened with other terms")]
    ContractExists,
    /// The contract has no milestone with this index (404).
    #[error("the contract has no milestone {0}")]
    MilestoneNotFound(u64),
    /// Only the contract's client may do this (403).
    #[error("only the contract's client may do this")]
    NotClient,
    /// Only the contract's vendor may do this (403).
    #[error("only the contract's vendor may do this")]
    NotVendor,
    /// Only the contract's client or vendor may do this (403).
    #[error("only the contract's client or vendor may do this")]
    NotParty,
    /// Only admins resolve disputes (403).
    #[error("only admins resolve disputes")]
    NeedsAdmin,
    /// The milestone's stage forbids the command (409); `detail` names the
    /// stage and what the command needs.
    #[error("milestone {index} is {}; this needs it {needs}", stage.name())]
    MilestoneStage {
        /// The milestone.
        index: u32,
        /// Where it is.
        stage: MilestoneStage,
        /// The stage(s) the command needs.
        needs: &'static str,
    },
    /// Reviews come after completion (409).
    #[error("the contract is not completed yet")]
    NotCompleted,
    /// This side reviewed the other already (409).
    #[error("this side reviewed the contract already")]
    AlreadyReviewed,
    /// The vendor's part of a resolution is more than the milestone's
    /// amount (422).
    #[error("the vendor's part {vendor_cents} is more than the milestone's {amount_cents}")]
    SplitAboveAmount {
        /// The part asked for.
        vendor_cents: u64,
        /// The milestone's amount.
        amount_cents: u64,
    },
    /// A review score is not between 1 and 5 (422).
    #[error("the {field} score {score} is not between 1 and 5")]
    ScoreOutOfRange {
        /// Which score.
        field: &'static str,
        /// The score sent.
        score: u8,
    },
    /// A text field breaks its rule (422): too long, or control characters.
    #[error("{0}")]
    InvalidText(String),
    /// The award's terms break a rule (422): no milestones or too many,
    /// a zero amount, amounts not adding up to the price, a due day out of
    /// range, the client awarding itself.
    #[error("invalid contract terms: {0}")]
    InvalidTerms(String),
    /// The price breaks the one rule of money ([`Money::check`]) (422).
    #[error("the price is out of range: {0}")]
    PriceOutOfRange(MoneyError),
    /// The fee setting cannot split a payment: an operator must fix the
    /// configuration (500).
    #[error("the outsourcing fee setting is invalid: {0}")]
    InvalidFee(SplitError),
}
