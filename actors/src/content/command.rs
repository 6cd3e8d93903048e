//! What a content item is asked to do, and why it may refuse.

use agora_events::domain::content::{Body, ContentKind, Money};
use agora_events::domain::content_models::{DraftParams, Finding, ModelVersion};
use agora_events::domain::money::MoneyError;

/// Commands a content item accepts. The caller is `ctx.actor_id` of the
/// [`CommandContext`](crate::aggregate::CommandContext) and the time is
/// `ctx.now`, except where a field names the user.
#[derive(Clone, Debug, PartialEq)]
pub enum ContentCommand {
    /// Start the item as a draft; the caller becomes its creator.
    DraftContent {
        /// What kind of item it is.
        kind: ContentKind,
        /// The title (required).
        title: String,
        /// A short summary (may be empty).
        summary: String,
        /// The body (may be empty until publishing).
        body: Body,
        /// Tags.
        tags: Vec<String>,
        /// Language tag, e.g. `en` or `zh-CN`.
        language: String,
    },
    /// Change a draft (creator only, and only before the first publish).
    EditDraft(DraftChanges),
    /// Set the price of future purchases (creator only; 0 cents = free).
    SetPrice {
        /// The new price.
        price: Money,
    },
    /// Make the item visible and purchasable (creator only).
    Publish {
        /// When set (a setting of the caller, passed in so the rule stays
        /// pure), the current text must carry a verification scoring at
        /// least this many basis points (10 000 = 1.0).
        required_score_bps: Option<u32>,
    },
    /// Hide a published item (creator only).
    Unpublish,
    /// Withdraw the item for good (creator only).
    Retire,
    /// Record a purchase of the item, at its current price, by `buyer_id`.
    /// The service layer decides who may buy for whom (a user for
    /// themselves, a partner platform for its users) and charges nothing
    /// unless this succeeds.
    ///
    /// The rates in force are looked up by the service before the command
    /// and passed in (the aggregate stays pure), then fixed into the sale's
    /// shares. An item listed by a partner must be sold with that partner's
    /// rate (else [`ContentError::PartnerRateMissing`]).
    Purchase {
        /// Who buys.
        buyer_id: String,
        /// A fresh id for this purchase, unique within the item.
        purchase_id: String,
        /// The platform's fee on this sale, in basis points (a setting).
        platform_fee_bps: u32,
        /// The partner credited with the sale and its current share: the
        /// partner that listed the item, or one the sale came through.
        partner: Option<PartnerRate>,
    },
    /// Refund a purchase (its buyer only).
    Refund {
        /// The purchase to refund.
        purchase_id: String,
        /// How long after the purchase a refund is still allowed, in
        /// microseconds: a setting of the caller, passed in so the rule
        /// stays pure.
        window_micros: u64,
    },
    /// Rate the item (owners and covering members only); replaces the
    /// caller's earlier rating.
    Rate {
        /// 1 to 5.
        stars: u8,
        /// The creator whose content an active membership of the caller
        /// covers, as the membership side found when the command was sent
        /// (`None`: not a member). Entitles the caller while the item is
        /// published and is this creator's.
        member_of: Option<String>,
    },
    /// Review the item (owners and covering members only); replaces the
    /// caller's earlier review.
    Review {
        /// The review.
        text: String,
        /// The creator whose content an active membership of the caller
        /// covers, as the membership side found when the command was sent
        /// (`None`: not a member). Entitles the caller while the item is
        /// published and is this creator's.
        member_of: Option<String>,
    },
    /// Record today's progress on a course (owners and covering members
    /// only, once a day).
    CheckIn {
        /// What the caller did today.
        note: Option<String>,
        /// The creator whose content an active membership of the caller
        /// covers, as the membership side found when the command was sent
        /// (`None`: not a member). Entitles the caller while the item is
        /// published and is this creator's.
        member_of: Option<String>,
    },
    /// Comment on a published item, or reply to a comment (anyone).
    PostComment {
        /// A fresh id for the comment, unique within the item.
        comment_id: String,
        /// The comment replied to, if any.
        parent_id: Option<String>,
        /// The comment.
        text: String,
        /// Whether it asks a question.
        is_question: bool,
    },
    /// Mark a reply in a question's thread as its answer (creator only);
    /// replaces an earlier mark.
    MarkAnswer {
        /// The question.
        comment_id: String,
        /// The reply that answers it.
        answer_id: String,
    },
    /// List (or re-list) an item of a partner's catalog import: a new item is
    /// drafted for `creator_id`, marked as listed by the partner, priced and
    /// published in one append; an item this partner listed before under the
    /// same external id gets its new price, and nothing else changes (its
    /// text is fixed once published: a different text is refused). The
    /// caller (the partner's user or an admin) was authorised by the
    /// service.
    ImportListing(PartnerListing),
    /// Record a draft the language model generated for the item (creator
    /// only; drafted, not retired items). The body is not changed.
    RecordGeneratedDraft(GeneratedDraft),
    /// Record the result of a verification of the item's current text (not
    /// retired). Who may verify (the creator or an admin) is decided by the
    /// service; the aggregate checks the score is in [0, 1].
    RecordVerification(VerificationOutcome),
}

/// A draft generated by the language model, as the worker returned it.
#[derive(Clone, Debug, PartialEq)]
pub struct GeneratedDraft {
    /// The creator's prompt.
    pub prompt: String,
    /// The generated text.
    pub text: String,
    /// The model (`name@sha256`).
    pub model: String,
    /// How it was decoded.
    pub params: DraftParams,
    /// Tokens generated.
    pub tokens: u32,
    /// Tokens of the formatted prompt.
    pub prompt_tokens: u32,
    /// Why generation ended.
    pub finish: String,
    /// How long it took, in milliseconds.
    pub duration_ms: u64,
}

/// The result of the verification pipeline.
#[derive(Clone, Debug, PartialEq)]
pub struct VerificationOutcome {
    /// Score in [0, 1].
    pub score: f32,
    /// Every finding that lowered it.
    pub findings: Vec<Finding>,
    /// The models that produced it.
    pub model_versions: Vec<ModelVersion>,
}

/// A partner's share of one sale, as in force when the sale is decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartnerRate {
    /// The partner.
    pub partner_id: String,
    /// Its share, in basis points.
    pub share_bps: u32,
}

/// One item of a partner's catalog import, as the content aggregate needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartnerListing {
    /// The partner importing it.
    pub partner_id: String,
    /// The item's id in the partner's catalog.
    pub external_id: String,
    /// The creator credited with the item (the seller of its sales).
    pub creator_id: String,
    /// Article, course or column.
    pub kind: ContentKind,
    /// The title.
    pub title: String,
    /// A short summary.
    pub summary: String,
    /// The body (publishing needs some text).
    pub body: Body,
    /// Tags.
    pub tags: Vec<String>,
    /// Language tag.
    pub language: String,
    /// The price.
    pub price: Money,
}

/// The fields of an [`ContentCommand::EditDraft`]; absent fields are left
/// as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DraftChanges {
    /// The new kind.
    pub kind: Option<ContentKind>,
    /// The new title.
    pub title: Option<String>,
    /// The new summary.
    pub summary: Option<String>,
    /// The new body.
    pub body: Option<Body>,
    /// The new tags (all of them).
    pub tags: Option<Vec<String>>,
    /// The new language.
    pub language: Option<String>,
}

/// Why a content item refuses a command: one variant per rule. Each doc
/// says the HTTP status a caller should answer with; none of them is worth
/// retrying unchanged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ContentError {
    /// The command needs a known caller and none was given (401).
    #[error("the caller is not known")]
    Unauthenticated,
    /// No content with this id was drafted, or it is someone else's draft
    /// that was never published: it does not exist for the caller, so a
    /// draft's id cannot be discovered (404).
    #[error("the content does not exist")]
    NotDrafted,
    /// The content was drafted already (409).
    #[error("the content already exists")]
    AlreadyDrafted,
    /// Only the content's creator may do this (403).
    #[error("only the creator may do this")]
    NotCreator,
    /// Only a user who owns the content (a buyer whose purchase was not
    /// refunded) may do this (403).
    #[error("only an owner of the content, or a member whose plan covers it, may do this")]
    NotOwner,
    /// Only the buyer of the purchase may refund it (403).
    #[error("only the buyer may refund this purchase")]
    NotBuyer,
    /// The content was published once, so its text is fixed even if it was
    /// unpublished since: edits happen only while it is a draft (409).
    #[error("the content is no longer a draft")]
    NoLongerDraft,
    /// The content is retired: it is never changed or sold again (409).
    #[error("the content is retired")]
    Retired,
    /// The content is published already (409).
    #[error("the content is already published")]
    AlreadyPublished,
    /// The content is not published (409).
    #[error("the content is not published")]
    NotPublished,
    /// The content is retired already (409).
    #[error("the content is already retired")]
    AlreadyRetired,
    /// Publishing needs a body with some text (409).
    #[error("the content has no body to publish")]
    PublishWithoutBody,
    /// Publishing needs a price, even a free one (409).
    #[error("the content has no price")]
    PublishWithoutPrice,
    /// Publishing needs a verification of the current text and there is
    /// none (never verified, or edited since): verify, then publish (409).
    #[error("publishing needs a verification of the current text: verify it first")]
    VerificationRequired,
    /// The current text's verification scored below the required score
    /// (409): fix the findings, verify again, then publish.
    #[error("the verification scored {score_bps} basis points; publishing needs {required_bps}")]
    VerificationScoreTooLow {
        /// The last verification's score, in basis points.
        score_bps: u32,
        /// The required score, in basis points.
        required_bps: u32,
    },
    /// A verification score is not a number in [0, 1] (422).
    #[error("the verification score is not in [0, 1]")]
    InvalidScore,
    /// The buyer owns the content already (409): a second purchase is
    /// refused, never charged.
    #[error("the buyer already owns this content")]
    AlreadyOwned,
    /// The creator cannot buy their own content (409).
    #[error("the creator cannot buy their own content")]
    OwnContent,
    /// A purchase with this id was recorded already (409).
    #[error("purchase id {0:?} is already used")]
    DuplicatePurchaseId(String),
    /// No purchase with this id (404).
    #[error("purchase {0:?} does not exist")]
    PurchaseNotFound(String),
    /// The purchase was refunded already (409).
    #[error("the purchase was already refunded")]
    AlreadyRefunded,
    /// The refund window of the purchase has passed (409).
    #[error("the refund window has closed")]
    RefundWindowClosed,
    /// Check-ins are for courses only (409).
    #[error("check-ins are only for courses")]
    NotACourse,
    /// The caller checked in on this day already (409).
    #[error("already checked in on day {0}")]
    AlreadyCheckedIn(u32),
    /// A comment with this id was posted already (409).
    #[error("comment id {0:?} is already used")]
    DuplicateCommentId(String),
    /// No comment with this id on this content (404).
    #[error("comment {0:?} does not exist")]
    CommentNotFound(String),
    /// Answers are marked on questions only (409).
    #[error("the comment is not a question")]
    NotAQuestion,
    /// The answer must be a reply in the question's thread (422).
    #[error("the answer is not a reply in the question's thread")]
    AnswerNotInThread,
    /// The title is empty after trimming (422).
    #[error("the title is empty")]
    EmptyTitle,
    /// The title is longer than [`MAX_TITLE_CHARS`](super::MAX_TITLE_CHARS)
    /// characters (422).
    #[error("the title is longer than 200 characters")]
    TitleTooLong,
    /// The summary is longer than
    /// [`MAX_SUMMARY_CHARS`](super::MAX_SUMMARY_CHARS) characters (422).
    #[error("the summary is longer than 1000 characters")]
    SummaryTooLong,
    /// The body is larger than [`MAX_BODY_BYTES`](super::MAX_BODY_BYTES)
    /// (422).
    #[error("the body is larger than 1 MiB")]
    BodyTooLarge,
    /// A chapter's title is empty after trimming (422).
    #[error("a chapter title is empty")]
    EmptyChapterTitle,
    /// A chapter's title is longer than
    /// [`MAX_TITLE_CHARS`](super::MAX_TITLE_CHARS) characters (422).
    #[error("a chapter title is longer than 200 characters")]
    ChapterTitleTooLong,
    /// A one-line field (named) contains a control character (422).
    #[error("the {0} contains a control character")]
    ControlCharacter(&'static str),
    /// More than [`MAX_TAGS`](super::MAX_TAGS) distinct tags (422).
    #[error("more than 20 tags")]
    TooManyTags,
    /// A tag is empty after trimming (422).
    #[error("a tag is empty")]
    EmptyTag,
    /// A tag is longer than [`MAX_TAG_CHARS`](super::MAX_TAG_CHARS)
    /// characters (422).
    #[error("a tag is longer than 40 characters")]
    TagTooLong,
    /// The language is not a language tag like `en` or `zh-CN` (422).
    #[error("the language is not a language tag like en or zh-CN")]
    InvalidLanguage,
    /// The price breaks the one rule of money ([`Money::check`]): its amount
    /// is above [`Money::MAX_MINOR_UNITS`] or its currency is not a known
    /// ISO 4217 code (422: send a smaller amount or a known currency).
    #[error("the price is out of range: {0}")]
    PriceOutOfRange(MoneyError),
    /// A rating is 1 to 5 stars (422).
    #[error("{0} stars is not between 1 and 5")]
    StarsOutOfRange(u8),
    /// The review is empty after trimming (422).
    #[error("the review is empty")]
    EmptyReview,
    /// The review is longer than
    /// [`MAX_REVIEW_CHARS`](super::MAX_REVIEW_CHARS) characters (422).
    #[error("the review is longer than 5000 characters")]
    ReviewTooLong,
    /// The comment is empty after trimming (422).
    #[error("the comment is empty")]
    EmptyComment,
    /// The comment is longer than
    /// [`MAX_COMMENT_CHARS`](super::MAX_COMMENT_CHARS) characters (422).
    #[error("the comment is longer than 5000 characters")]
    CommentTooLong,
    /// The check-in note is longer than
    /// [`MAX_CHECK_IN_NOTE_CHARS`](super::MAX_CHECK_IN_NOTE_CHARS)
    /// characters (422).
    #[error("the note is longer than 1000 characters")]
    NoteTooLong,
    /// A client-chosen id (named) is not 1–64 characters of
    /// `A-Za-z0-9_-.:` (422).
    #[error("the {0} is not a valid id")]
    InvalidId(&'static str),
    /// The item was listed by a partner and the purchase did not carry that
    /// partner's rate. The service looks the listing and the rate up before
    /// it sends a purchase, so this only happens when the item was listed
    /// between that lookup and the sale (409: retry).
    #[error("the item is listed by partner {0:?}; its share is needed")]
    PartnerRateMissing(String),
    /// The platform fee and the partner share exceed 100 % (a configuration
    /// mistake: 500, fix the settings).
    #[error("the platform fee and the partner share exceed 100%")]
    RatesAboveWhole,
    /// A catalog import names an item that exists and was not listed by this
    /// partner under this external id (409).
    #[error("the content id is taken by an item this partner did not list under this external id")]
    NotThisListing,
    /// A re-import changes the text of an item that is published: its text
    /// is fixed (409); only the price may change.
    #[error("the item is published: its text is fixed, only the price may change")]
    ListingTextFixed,
}
