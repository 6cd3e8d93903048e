//! What a membership plan is asked to do, and why it may refuse.

use agora_events::domain::content::Money;
use agora_events::domain::membership::PlanOwner;
use agora_events::domain::money::MoneyError;
use agora_events::domain::revenue::SplitError;

/// Commands a plan accepts. The caller is `ctx.actor_id` of the
/// [`CommandContext`](crate::aggregate::CommandContext) and the time is
/// `ctx.now`. `by_admin` says whether the caller holds the admin role (the
/// service reads it from the caller's session; the aggregate cannot see
/// roles).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MembershipCommand {
    /// Offer a new plan: a creator for themselves, or an admin for the
    /// platform.
    OfferPlan {
        /// Who offers it (and is paid for it).
        owner: PlanOwner,
        /// The plan's name.
        title: String,
        /// Length of one period, in days.
        period_days: u32,
        /// Price of one period.
        price: Money,
        /// Whether the caller is an admin.
        by_admin: bool,
    },
    /// Change the price later payments pay (the owner, or an admin).
    ChangePrice {
        /// The new price of one period.
        price: Money,
        /// Whether the caller is an admin.
        by_admin: bool,
    },
    /// Withdraw the plan for good (the owner, or an admin).
    Withdraw {
        /// Whether the caller is an admin.
        by_admin: bool,
    },
    /// `member_id` subscribes and pays the first period at the plan's
    /// current price.
    Subscribe {
        /// Who becomes a member.
        member_id: String,
        /// The platform's fee in force now, in basis points (a setting,
        /// passed in so the rule stays pure).
        platform_fee_bps: u32,
    },
    /// Stop a membership's auto-renewal (the member, or an admin); access
    /// stays until the paid period ends.
    Cancel {
        /// The member whose membership stops renewing.
        member_id: String,
        /// Whether the caller is an admin.
        by_admin: bool,
    },
    /// Settle every membership whose period ended by `ctx.now`: renew it
    /// (a new payment at the current price) or, if it was cancelled or the
    /// plan withdrawn, expire it.
    Sweep {
        /// The platform's fee in force now, in basis points.
        platform_fee_bps: u32,
    },
}

/// Why a plan refuses a command: one variant per rule. Each doc says the
/// HTTP status a caller should answer with; none is worth retrying
/// unchanged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MembershipError {
    /// The command needs a known caller and none was given (401).
    #[error("the caller is not known")]
    Unauthenticated,
    /// No plan with this id was offered (404).
    #[error("the plan does not exist")]
    PlanNotFound,
    /// A plan with this id was offered already (409).
    #[error("the plan already exists")]
    PlanExists,
    /// Only admins offer or manage platform plans (403).
    #[error("only admins may offer or change platform plans")]
    PlatformPlanNeedsAdmin,
    /// A creator offers plans only for themselves (403).
    #[error("creators offer plans only for themselves")]
    OfferForAnotherCreator,
    /// Only the plan's creator or an admin may change it (403).
    #[error("only the plan's creator or an admin may change it")]
    NotPlanOwner,
    /// Only the member or an admin may cancel a membership (403).
    #[error("only the member or an admin may cancel this membership")]
    NotMemberOrAdmin,
    /// The plan is withdrawn: nobody subscribes or changes it (409).
    #[error("the plan is withdrawn")]
    PlanWithdrawn,
    /// The plan's creator cannot subscribe to their own plan (409).
    #[error("the creator cannot subscribe to their own plan")]
    OwnPlan,
    /// The user is a member already, until the period ends or expiry
    /// (409): subscribing twice is refused, never charged.
    #[error("already a member of this plan")]
    AlreadyMember,
    /// The user has no membership of this plan that is not expired (404).
    #[error("{0:?} has no current membership of this plan")]
    NotMember(String),
    /// The membership was cancelled already (409).
    #[error("the membership is already cancelled")]
    AlreadyCancelled,
    /// The title is empty after trimming (422).
    #[error("the title is empty")]
    EmptyTitle,
    /// The title is longer than [`MAX_TITLE_CHARS`](super::MAX_TITLE_CHARS)
    /// characters (422).
    #[error("the title is longer than 200 characters")]
    TitleTooLong,
    /// The title contains a control character (422).
    #[error("the title contains a control character")]
    ControlCharacter,
    /// The period is not between [`MIN_PERIOD_DAYS`](super::MIN_PERIOD_DAYS)
    /// and [`MAX_PERIOD_DAYS`](super::MAX_PERIOD_DAYS) days (422).
    #[error("a period of {0} days is not between 1 and 3660 days")]
    PeriodOutOfRange(u32),
    /// The price breaks the one rule of money ([`Money::check`]): its amount
    /// is above [`Money::MAX_MINOR_UNITS`] or its currency is not a known
    /// ISO 4217 code (422: send a smaller amount or a known currency).
    #[error("the price is out of range: {0}")]
    PriceOutOfRange(MoneyError),
    /// The platform fee setting cannot split a payment: an operator must
    /// fix the configuration (500).
    #[error("the platform fee setting is invalid: {0}")]
    InvalidFee(SplitError),
}
