//! What a partner is asked to do, and why it may refuse.

/// Commands a partner accepts (all from admins; the HTTP layer checks).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PartnerCommand {
    /// Register the partner platform.
    Register {
        /// Public name.
        name: String,
        /// The user account it acts through (checked by the service to hold
        /// the partner role).
        user_id: String,
        /// Its share of each sale of its items, in basis points.
        share_bps: u32,
        /// The largest share allowed: 100 % minus the platform fee (a
        /// setting, passed in so the rule stays pure).
        max_share_bps: u32,
    },
    /// Change the share of future sales.
    ChangeShare {
        /// The new share, in basis points.
        share_bps: u32,
        /// The largest share allowed (see [`PartnerCommand::Register`]).
        max_share_bps: u32,
    },
    /// Suspend the partner: its imports are refused until reinstated.
    Suspend {
        /// Why (may be empty).
        reason: String,
    },
    /// Lift a suspension.
    Reinstate,
}

/// Why a partner refuses a command: one variant per rule; each doc names
/// the HTTP status to answer with. None is worth retrying unchanged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PartnerError {
    /// The command needs a known caller (401).
    #[error("the caller is not known")]
    Unauthenticated,
    /// No partner was registered under this id (404).
    #[error("the partner does not exist")]
    NotRegistered,
    /// A partner with this id is registered already (409).
    #[error("the partner already exists")]
    AlreadyRegistered,
    /// The partner is suspended already (409).
    #[error("the partner is already suspended")]
    AlreadySuspended,
    /// The partner is not suspended (409).
    #[error("the partner is not suspended")]
    NotSuspended,
    /// The name is empty after trimming (422).
    #[error("the name is empty")]
    EmptyName,
    /// The name is longer than
    /// [`MAX_PARTNER_NAME_CHARS`](super::MAX_PARTNER_NAME_CHARS) (422).
    #[error("the name is longer than 200 characters")]
    NameTooLong,
    /// The name contains a control character (422).
    #[error("the name contains a control character")]
    ControlCharacter,
    /// The suspension reason is longer than
    /// [`MAX_REASON_CHARS`](super::MAX_REASON_CHARS) (422).
    #[error("the reason is longer than 1000 characters")]
    ReasonTooLong,
    /// The share with the platform fee would exceed 100 % (422).
    #[error("a share of {share_bps} bps is above the largest allowed, {max_bps} bps")]
    ShareTooHigh {
        /// The share asked for.
        share_bps: u32,
        /// The largest allowed.
        max_bps: u32,
    },
    /// An id (named) is not 1–64 characters of `A-Za-z0-9_-.:` (422).
    #[error("the {0} is not a valid id")]
    InvalidId(&'static str),
}
