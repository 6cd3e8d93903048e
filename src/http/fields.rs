//! The rules of request fields as JSON Schemas, for the OpenAPI document.
//!
//! Each type here stands for one rule the server checks (an id, a title, a
//! price, a page size, ...) and is used only as a schema: a request type
//! keeps its plain Rust field and names the rule with
//! `#[schemars(with = "fields::Title")]` (or `Option<fields::Title>`,
//! `Vec<fields::Tag>`). Every bound comes from the constant the check uses
//! (`agora_actors::content::MAX_TITLE_CHARS`, `Money::MAX_MINOR_UNITS`,
//! [`CURRENCIES`], the settings' defaults, ...), so the document cannot
//! drift from the code; the tests below hold each pattern against its
//! check on generated strings.
//!
//! Strings are described in the form the server keeps them: trimmed (no
//! white space at either end). The server also accepts, and trims, padded
//! text; a client that sends the canonical form never sees the difference.
//!
//! Settings that change a limit (`recommender.max_k`,
//! `models.max_prompt_chars`, `models.max_images`) are documented with
//! their defaults, the values every document a client downloads states.

use std::borrow::Cow;

use agora_actors::content as content_rules;
use agora_actors::ids::{ID_PATTERN, MAX_ID_CHARS};
use agora_actors::models::generator::{
    MAX_NEW_TOKENS, MAX_NO_REPEAT_NGRAM, MAX_REPETITION_PENALTY,
};
use agora_actors::projection::catalog::MAX_PAGE;
use agora_actors::projection::discussions::MAX_DISCUSSION_PAGE;
use agora_actors::projection::memberships::MAX_PLAN_PAGE;
use agora_actors::projection::requirements::MAX_REQUIREMENT_PAGE;
use agora_actors::requirement::rules as requirement;
use agora_actors::user::{MAX_DISPLAY_NAME_CHARS, MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};
use agora_actors::{contract, membership, partner, vendor};
use agora_events::domain::money::{CURRENCIES, Money};
use agora_events::domain::revenue::BPS_SCALE;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde_json::{Value, json};

use crate::config::{DEFAULT_MAX_IMAGES, DEFAULT_MAX_K, DEFAULT_MAX_PROMPT_CHARS};
use crate::timefmt;

/// Characters no trimmed one-line text may hold: C0 and C1 controls
/// (what `char::is_control` refuses), as a regex class body.
const CONTROLS: &str = r"\x00-\x1f\x7f-\x9f";

/// Longest e-mail address, in bytes (RFC 5321's path limit), as the
/// server's check counts it.
pub(crate) const MAX_EMAIL_CHARS: usize = 254;
/// Shortest phone number, in characters.
pub(crate) const MIN_PHONE_CHARS: usize = 5;
/// Longest phone number, in characters.
pub(crate) const MAX_PHONE_CHARS: usize = 32;
/// Longest real name, in characters after trimming.
pub(crate) const MAX_REAL_NAME_CHARS: usize = 200;
/// Longest stream name, prefix or event type the audit API takes, in
/// characters (an aggregate's category, `-` and a 64-character id fit).
pub(crate) const MAX_STREAM_CHARS: usize = 128;
/// The stream names the audit API takes.
pub(crate) const STREAM_PATTERN: &str = "^[A-Za-z0-9_.:-]+$";
/// Longest search text (`q`), in characters.
pub(crate) const MAX_SEARCH_CHARS: usize = 200;
/// Longest page cursor a server ever hands out (a sort tag, a 64-bit key,
/// `~` and an id), in characters; longer ones cannot be valid.
pub(crate) const MAX_CURSOR_CHARS: usize = 96;
/// Longest base64 image a verify request may carry: `models.max_image_bytes`
/// (default 8 MiB) encoded, in characters.
pub(crate) const MAX_IMAGE_BASE64_CHARS: usize = (8_usize << 20).div_ceil(3) * 4;

/// A trimmed one-line text of 1 to `max` characters without control
/// characters: the rule of titles, names and tags.
fn line(max: usize, description: &str) -> Schema {
    let pattern = format!("^[^\\s{CONTROLS}](?:[^{CONTROLS}]*[^\\s{CONTROLS}])?$");
    json_schema!({
        "type": "string",
        "minLength": 1,
        "maxLength": max,
        "pattern": pattern,
        "description": description,
    })
}

/// A trimmed text of 1 to `max` characters (line breaks allowed): the
/// rule of reviews, comments and prompts.
fn text(max: usize, description: &str) -> Schema {
    json_schema!({
        "type": "string",
        "minLength": 1,
        "maxLength": max,
        "pattern": r"^\S(?:[\s\S]*\S)?$",
        "description": description,
    })
}

/// A text of at most `max` characters, possibly empty (trimmed by the
/// server before it counts).
fn free_text(max: usize, description: &str) -> Schema {
    json_schema!({"type": "string", "maxLength": max, "description": description})
}

/// Control characters but tab, line feed and carriage return: what a
/// requirement's description or a bid's proposal may not hold.
const CONTROLS_BUT_TAB_LF_CR: &str = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f";
/// Control characters but tab and line feed: what a contract's notes and
/// reviews may not hold.
const CONTROLS_BUT_TAB_LF: &str = r"\x00-\x08\x0b-\x1f\x7f-\x9f";

/// A trimmed text of 1 to `max` characters without the control
/// characters of `controls` (a regex class body): a requirement's
/// description, a bid's proposal.
fn long_text(max: usize, controls: &str, description: &str) -> Schema {
    json_schema!({
        "type": "string",
        "minLength": 1,
        "maxLength": max,
        "pattern": format!("^[^\\s{CONTROLS}](?:[^{controls}]*[^\\s{CONTROLS}])?$"),
        "description": description,
    })
}

/// A text of at most `max` characters, possibly empty, without the
/// control characters of `controls` (trimmed by the server before it
/// counts): a contract's notes and reviews.
fn plain_text(max: usize, controls: &str, description: &str) -> Schema {
    json_schema!({
        "type": "string",
        "maxLength": max,
        "pattern": format!("^[^{controls}]*$"),
        "description": description,
    })
}

/// An array of at most `max` items of `item`.
fn list(max: usize, item: &Schema, description: &str) -> Schema {
    json_schema!({
        "type": "array",
        "maxItems": max,
        "items": item,
        "description": description,
    })
}

/// An integer from `min` to `max`, both included.
fn integer(min: impl Into<Value>, max: impl Into<Value>, description: &str) -> Schema {
    json_schema!({
        "type": "integer",
        "minimum": min.into(),
        "maximum": max.into(),
        "description": description,
    })
}

/// Declares field rules: a unit type per rule whose JSON Schema is the
/// expression given, named after the type in `#/components/schemas`.
macro_rules! rules {
    ($( $(#[$doc:meta])* $name:ident => $schema:expr; )*) => {$(
        $(#[$doc])*
        pub(crate) struct $name;

        impl JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }

            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                $schema
            }
        }
    )*};
}

rules! {
    /// A client-chosen id of a user, item, plan, partner, comment, ...:
    /// [`agora_actors::ids::valid_id`].
    Id => json_schema!({
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_ID_CHARS,
        "pattern": ID_PATTERN,
        "description": "1 to 64 characters of A-Z a-z 0-9 _ - . :",
    });
    /// A password: 8 to 128 characters (any), as `user::password` checks.
    Password => json_schema!({
        "type": "string",
        "minLength": MIN_PASSWORD_CHARS,
        "maxLength": MAX_PASSWORD_CHARS,
        "description": "8 to 128 characters",
    });
    /// An e-mail address as the user service checks it: one `@`, a
    /// non-empty local part, a domain with a dot not at either end, no
    /// white space or control characters, at most 254 bytes.
    Email => {
        let c = format!("[^@\\s{CONTROLS}]");
        let edge = format!("[^@.\\s{CONTROLS}]");
        json_schema!({
            "type": "string",
            "minLength": 5,
            "maxLength": MAX_EMAIL_CHARS,
            "pattern": format!("^{c}+@{edge}(?:{c}*\\.{c}*){edge}$"),
            "description": "an e-mail address: local@domain.tld",
        })
    };
    /// A phone number: 5 to 32 of digits, spaces, `+`, `-`, `(` and `)`.
    Phone => json_schema!({
        "type": "string",
        "minLength": MIN_PHONE_CHARS,
        "maxLength": MAX_PHONE_CHARS,
        "pattern": "^[0-9+()-](?:[0-9 +()-]*[0-9+()-])?$",
        "description": "5 to 32 of digits, spaces, + - ( and )",
    });
    /// A real name: a trimmed line of 1 to 200 characters.
    RealName => line(MAX_REAL_NAME_CHARS, "1 to 200 characters, no control characters");
    /// A display name: a trimmed line of 1 to 80 characters.
    DisplayName => line(MAX_DISPLAY_NAME_CHARS, "1 to 80 characters, no control characters");
    /// The title of an item or of a chapter.
    ContentTitle => line(content_rules::MAX_TITLE_CHARS, "1 to 200 characters, no control characters");
    /// The title of a membership plan.
    PlanTitle => line(membership::MAX_TITLE_CHARS, "1 to 200 characters, no control characters");
    /// A partner's name.
    PartnerName => line(partner::MAX_PARTNER_NAME_CHARS, "1 to 200 characters, no control characters");
    /// One tag of an item.
    Tag => line(content_rules::MAX_TAG_CHARS, "1 to 40 characters, no control characters");
    /// The tags of an item.
    Tags => json_schema!({
        "type": "array",
        "maxItems": content_rules::MAX_TAGS,
        "items": line(content_rules::MAX_TAG_CHARS, "1 to 40 characters, no control characters"),
        "description": "at most 20 tags; repeats are dropped",
    });
    /// An item's summary.
    Summary => free_text(content_rules::MAX_SUMMARY_CHARS, "at most 1000 characters");
    /// A language tag (BCP 47 shape): `en`, `zh-CN`, `zh-Hans-CN`.
    Language => json_schema!({
        "type": "string",
        "minLength": 2,
        "maxLength": content_rules::MAX_LANGUAGE_CHARS,
        "pattern": "^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$",
        "description": "a BCP 47 language tag such as en or zh-CN",
    });
    /// The text of a body or of a chapter (the server counts bytes of
    /// UTF-8, at most `MAX_BODY_BYTES` for the whole body).
    BodyText => free_text(content_rules::MAX_BODY_BYTES, "at most 1 MiB of UTF-8 for the whole body");
    /// A review.
    Review => text(content_rules::MAX_REVIEW_CHARS, "1 to 5000 characters");
    /// A comment.
    Comment => text(content_rules::MAX_COMMENT_CHARS, "1 to 5000 characters");
    /// A check-in note (blank: no note).
    Note => free_text(content_rules::MAX_CHECK_IN_NOTE_CHARS, "at most 1000 characters");
    /// Why a partner is suspended.
    Reason => free_text(partner::MAX_REASON_CHARS, "at most 1000 characters");
    /// A generation prompt.
    Prompt => text(DEFAULT_MAX_PROMPT_CHARS, "1 to models.max_prompt_chars (default 4000) characters");
    /// A rating.
    Stars => integer(content_rules::MIN_STARS, content_rules::MAX_STARS, "1 to 5");
    /// An ISO 4217 currency the server knows ([`CURRENCIES`]).
    Currency => json_schema!({
        "type": "string",
        "enum": CURRENCIES.iter().map(|c| c.code).collect::<Vec<_>>(),
        "description": "an ISO 4217 code this server knows",
    });
    /// An amount in a currency's minor unit, up to [`Money::MAX_MINOR_UNITS`].
    AmountCents => integer(0, Money::MAX_MINOR_UNITS, "minor units (cents), 0 (free) to 10^12");
    /// The length of a plan's period.
    PeriodDays => integer(membership::MIN_PERIOD_DAYS, membership::MAX_PERIOD_DAYS, "1 to 3660 days");
    /// A share in basis points (the server also keeps share + platform fee
    /// within 100 %).
    ShareBps => integer(0, BPS_SCALE, "0 to 10000 basis points, with the platform fee at most 10000");
    /// A catalog page size.
    CatalogLimit => integer(1, MAX_PAGE, "page size, 1 to 100 (default 20)");
    /// An audit page size.
    AuditLimit => integer(1, super::audit::MAX_AUDIT_PAGE, "page size, 1 to 1000 (default 100)");
    /// A stream's name as the audit API takes it: an aggregate's
    /// `{category}-{id}` or `audit-{user}`.
    StreamName => json_schema!({
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_STREAM_CHARS,
        "pattern": STREAM_PATTERN,
        "description": "1 to 128 characters of A-Z a-z 0-9 _ - . : (`user-ada`, `content-rust-101`, `audit-aud`)",
    });
    /// The start of stream names (`content-`), possibly empty.
    StreamPrefix => json_schema!({
        "type": "string",
        "minLength": 0,
        "maxLength": MAX_STREAM_CHARS,
        "pattern": "^[A-Za-z0-9_.:-]*$",
        "description": "0 to 128 characters of A-Z a-z 0-9 _ - . :",
    });
    /// An event type name (`ContentPurchased`).
    EventType => json_schema!({
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_STREAM_CHARS,
        "pattern": "^[A-Za-z0-9_.:-]+$",
        "description": "an event type name such as ContentPurchased",
    });
    /// A discussion page size.
    DiscussionLimit => integer(1, MAX_DISCUSSION_PAGE, "page size, 1 to 100 (default 20)");
    /// A plan page size.
    PlanLimit => integer(1, MAX_PLAN_PAGE, "page size, 1 to 100 (default 50)");
    /// How many recommendations or similar items.
    K => integer(1, DEFAULT_MAX_K, "1 to recommender.max_k (default 100); 10 when absent");
    /// Most tokens to generate.
    MaxTokens => integer(1, MAX_NEW_TOKENS, "1 to 2048 (default 256)");
    /// A sampling temperature.
    Temperature => json_schema!({
        "type": "number",
        "minimum": 0,
        "maximum": f32::MAX,
        "description": "0 (greedy) or more (default 0.7)",
    });
    /// A repetition penalty.
    RepetitionPenalty => json_schema!({
        "type": "number",
        "minimum": 1,
        "maximum": MAX_REPETITION_PENALTY,
        "description": "1 (off) to 2 (default 1.1)",
    });
    /// An n-gram length never to repeat.
    NoRepeatNgram => integer(0, MAX_NO_REPEAT_NGRAM, "0 (off, the default) to 16 tokens");
    /// A nucleus sampling mass.
    TopP => json_schema!({
        "type": "number",
        "minimum": f32::MIN_POSITIVE,
        "maximum": 1,
        "description": "in (0, 1] (default 0.9); read as a 32-bit float, so at least its smallest normal value",
    });
    /// A search text.
    SearchText => free_text(MAX_SEARCH_CHARS, "at most 200 characters");
    /// Seconds to move a manual clock forward (it must stay before 10000).
    AdvanceSecs => integer(0, timefmt::LATEST.0 / 1_000_000, "seconds; the clock must stay within years 1970-9999");
    /// A time in microseconds since the epoch, within years 1970–9999.
    Micros => integer(timefmt::EARLIEST.0, timefmt::LATEST.0, "microseconds since the epoch, years 1970-9999");
    /// A page cursor from an earlier page (`next_cursor`, `next_after`).
    Cursor => json_schema!({
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_CURSOR_CHARS,
        "description": "the previous page's cursor, as given",
    });
    /// A time: RFC 3339 in UTC, or microseconds since the epoch, within
    /// years 1970–9999 ([`timefmt::parse_time`]).
    Time => json_schema!({
        "type": "string",
        "minLength": 1,
        "maxLength": 30,
        "pattern": TIME_PATTERN,
        "description": format!("RFC 3339 UTC (2026-12-01T00:00:00Z) or microseconds since the epoch, {}", timefmt::RANGE_TEXT),
    });
    /// A day: `YYYY-MM-DD`, from 1970.
    Day => json_schema!({
        "type": "string",
        "minLength": 10,
        "maxLength": 10,
        "pattern": format!("^{YEAR}-{MONTH}-{DAY}$"),
        "description": "YYYY-MM-DD (UTC), 1970-01-01 to 9999-12-31",
    });
    /// A skill tag (a vendor's or a requirement's; lowercased by the
    /// server).
    Skill => line(vendor::MAX_TAG_CHARS, "1 to 40 characters, no control characters; lowercased");
    /// A vendor's skills.
    VendorSkills => list(
        vendor::MAX_SKILLS,
        &line(vendor::MAX_TAG_CHARS, "1 to 40 characters, no control characters"),
        "at most 30 skill tags; lowercased, repeats dropped",
    );
    /// A requirement's skills.
    RequirementSkills => list(
        requirement::MAX_SKILLS,
        &line(vendor::MAX_TAG_CHARS, "1 to 40 characters, no control characters"),
        "at most 30 skill tags; lowercased, repeats dropped",
    );
    /// People on a vendor's team.
    TeamSize => integer(1, vendor::MAX_TEAM_SIZE, "1 to 100000 people");
    /// Most contracts a vendor takes at once.
    Capacity => integer(1, vendor::MAX_CAPACITY, "1 to 100 concurrent contracts");
    /// A vendor's portfolio.
    Portfolio => free_text(vendor::MAX_PORTFOLIO_CHARS, "at most 20000 characters");
    /// A vendor's working languages.
    VendorLanguages => list(
        vendor::MAX_LANGUAGES,
        &json_schema!({
            "type": "string",
            "minLength": vendor::MIN_LANGUAGE_CHARS,
            "maxLength": vendor::MAX_LANGUAGE_CHARS,
            "pattern": format!("^[A-Za-z0-9-]{{{},{}}}$", vendor::MIN_LANGUAGE_CHARS, vendor::MAX_LANGUAGE_CHARS),
        }),
        "at most 20 language tags (2 to 16 of letters, digits and -; lowercased)",
    );
    /// Content items a vendor's members published.
    ContentIds => list(
        vendor::MAX_CONTENT_IDS,
        &json_schema!({"type": "string", "minLength": 1, "maxLength": MAX_ID_CHARS, "pattern": ID_PATTERN}),
        "at most 100 content ids",
    );
    /// A requirement's title.
    RequirementTitle => line(requirement::MAX_TITLE_CHARS, "1 to 200 characters, no control characters");
    /// A requirement's description or a bid's proposal.
    RequirementText => long_text(
        requirement::MAX_TEXT_CHARS,
        CONTROLS_BUT_TAB_LF_CR,
        "1 to 20000 characters; no control characters but tab and line breaks",
    );
    /// Days the work may take (a requirement's deadline, a bid's delivery).
    Days => integer(1, requirement::MAX_DAYS, "1 to 3660 days");
    /// Days a requirement takes bids.
    BiddingDays => integer(1, requirement::MAX_BIDDING_DAYS, "1 to 365 days");
    /// The vendors invited to an invited-only requirement.
    Invited => list(
        requirement::MAX_INVITED,
        &json_schema!({"type": "string", "minLength": 1, "maxLength": MAX_ID_CHARS, "pattern": ID_PATTERN}),
        "vendor ids, 1 to 200 with visibility invited, none otherwise",
    );
    /// Why a requirement is cancelled.
    CancelReason => free_text(requirement::MAX_REASON_CHARS, "at most 1000 characters");
    /// A milestone's title.
    MilestoneTitle => line(requirement::MAX_TITLE_CHARS, "1 to 200 characters, no control characters");
    /// What a milestone pays.
    MilestoneCents => integer(
        requirement::MIN_MILESTONE_CENTS,
        Money::MAX_MINOR_UNITS,
        "minor units, 1 to 10^12; the milestones add up to the price",
    );
    /// The day after the award a milestone is due.
    DueDay => integer(1, requirement::MAX_DAYS, "1 to the bid's delivery_days");
    /// A milestone's index in its contract, from 0.
    MilestoneIndex => integer(0, contract::MAX_MILESTONES - 1, "the milestone's index, from 0");
    /// A contract's note, reason or resolution.
    ContractNote => plain_text(
        contract::MAX_NOTE_CHARS,
        CONTROLS_BUT_TAB_LF,
        "at most 2000 characters; no control characters but tab and line feed",
    );
    /// A contract review's text.
    ContractReview => plain_text(
        contract::MAX_REVIEW_CHARS,
        CONTROLS_BUT_TAB_LF,
        "at most 4000 characters; no control characters but tab and line feed",
    );
    /// A review score.
    Score => integer(contract::MIN_SCORE, contract::MAX_SCORE, "1 to 5");
    /// A requirements page size.
    RequirementLimit => integer(1, MAX_REQUIREMENT_PAGE, "page size, 1 to 100 (default 20)");
    /// How many vendors to suggest for a requirement.
    SuggestK => integer(1, crate::http::requirements::ranking::MAX_SUGGESTIONS, "1 to 50 (default 10)");
    /// Base64 of one image or PDF sent to verify.
    ImageData => json_schema!({
        "type": "string",
        "minLength": 4,
        "maxLength": MAX_IMAGE_BASE64_CHARS,
        "pattern": "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$",
        "description": "the file, base64 (standard alphabet, padded), at most models.max_image_bytes (default 8 MiB)",
    });
}

/// An item's body as a request carries it: `{"text": "..."}` or
/// `{"chapters": [{"title", "body"}]}` (`agora_events::domain::content::Body`
/// with its limits).
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(rename = "BodyInput")]
#[expect(
    dead_code,
    reason = "a schema only: requests parse into the event's own `Body`"
)]
pub(crate) enum BodyInput {
    /// One text.
    Text(#[schemars(with = "BodyText")] String),
    /// Chapters in reading order.
    Chapters(Vec<ChapterInput>),
}

/// One chapter of a [`BodyInput`].
#[derive(JsonSchema)]
#[expect(
    dead_code,
    reason = "a schema only: requests parse into the event's own `Chapter`"
)]
pub(crate) struct ChapterInput {
    /// The chapter's title.
    #[schemars(with = "ContentTitle")]
    title: String,
    /// The chapter's text.
    #[schemars(with = "BodyText")]
    body: String,
}

/// Years 1970 to 9999.
const YEAR: &str = "(?:19[7-9][0-9]|[2-9][0-9]{3})";
/// Months 01 to 12.
const MONTH: &str = "(?:0[1-9]|1[0-2])";
/// Days 01 to 31 (a day past the month's end is refused by the server).
const DAY: &str = "(?:0[1-9]|[12][0-9]|3[01])";
/// RFC 3339 in UTC from 1970 to 9999, or up to 17 digits of microseconds
/// (every such number is inside the accepted range).
const TIME_PATTERN: &str = concat!(
    "^(?:[0-9]{1,17}|",
    "(?:19[7-9][0-9]|[2-9][0-9]{3})-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])",
    "T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{1,9})?Z)$"
);

/// Reads a JSON integer as JSON Schema defines one — any number with no
/// fractional part, so `3000.0` is `3000` — into `T`, refusing fractions
/// and values outside `T` (serde alone refuses `3000.0` for a `u64`,
/// which the document calls an integer).
pub(crate) fn integral<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<i128>,
{
    let number = <serde_json::Number as serde::Deserialize>::deserialize(deserializer)?;
    whole(&number).ok_or_else(|| {
        serde::de::Error::custom(format!("{number} is not an integer in the accepted range"))
    })
}

/// [`integral`] for an optional field (absent or `null`: `None`).
pub(crate) fn integral_opt<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<i128>,
{
    let number = <Option<serde_json::Number> as serde::Deserialize>::deserialize(deserializer)?;
    number
        .map(|n| {
            whole(&n).ok_or_else(|| {
                serde::de::Error::custom(format!("{n} is not an integer in the accepted range"))
            })
        })
        .transpose()
}

/// `number` as a `T` when it is whole and in `T`'s range.
fn whole<T: TryFrom<i128>>(number: &serde_json::Number) -> Option<T> {
    let wide = match (number.as_u64(), number.as_i64(), number.as_f64()) {
        (Some(n), _, _) => i128::from(n),
        (None, Some(n), _) => i128::from(n),
        // Every whole f64 below 2^64 in size converts exactly.
        (None, None, Some(f)) if f.fract() == 0.0 && f.abs() < 18_446_744_073_709_551_616.0 => {
            #[expect(
                clippy::cast_possible_truncation,
                reason = "whole and below 2^64 in size: exact in i128"
            )]
            let n = f as i128;
            n
        }
        _ => return None,
    };
    T::try_from(wide).ok()
}

/// The most images one verify request may carry (`models.max_images`'s
/// default).
pub(crate) const MAX_IMAGES: usize = DEFAULT_MAX_IMAGES;

/// The JSON Schema of an `If-Match` header: a version, quoted as an ETag
/// or bare (the pattern bounds its length, 1 to 21 characters).
pub(crate) fn if_match() -> Value {
    json!({
        "type": "string",
        "pattern": IF_MATCH_PATTERN,
    })
}

/// A version of up to 19 digits (always a `u64`), quoted or bare: what
/// `command::version_tag` takes.
const IF_MATCH_PATTERN: &str = "^(\"[0-9]{1,19}\"|[0-9]{1,19})$";

/// Whether `pattern` is anchored at both ends and repeats nothing without
/// a bound (no `*`, `+` or `{n,}` outside a character class): then it
/// bounds the length of what it matches, as a `maxLength` would (used by
/// the document's walk test).
#[cfg(test)]
pub(crate) fn bounded_pattern(pattern: &str) -> bool {
    let Some(body) = pattern.strip_prefix('^').and_then(|p| p.strip_suffix('$')) else {
        return false;
    };
    let mut chars = body.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '*' | '+' if !in_class => return false,
            '{' if !in_class => {
                let quantifier: String = chars.by_ref().take_while(|c| *c != '}').collect();
                if quantifier.ends_with(',') {
                    return false;
                }
            }
            _ => {}
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use agora_actors::ids::valid_id;
    use proptest::prelude::*;
    use regex::Regex;

    use super::*;

    fn schema<T: JsonSchema>() -> Value {
        T::json_schema(&mut SchemaGenerator::default()).to_value()
    }

    /// Whether `text` passes the string rules of `schema` (length in
    /// characters, pattern), as a JSON Schema validator decides.
    fn passes(schema: &Value, text: &str) -> bool {
        let chars = text.chars().count() as u64;
        let min = schema["minLength"].as_u64().unwrap_or(0);
        let max = schema["maxLength"].as_u64().unwrap_or(u64::MAX);
        let pattern_ok = schema["pattern"]
            .as_str()
            .is_none_or(|p| Regex::new(p).expect("valid pattern").is_match(text));
        (min..=max).contains(&chars) && pattern_ok
    }

    /// Strings of the characters that matter to the rules: the id
    /// alphabet, white space, controls, `@`, `.`, digits, non-ASCII.
    fn tricky() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop::sample::select(vec![
                'a', 'Z', '0', '9', '_', '-', '.', ':', '@', ' ', '\t', '\n', '\u{7}', '\u{85}',
                '\u{a0}', 'é', '中', '+', '(', ')', 'T', 'Z',
            ]),
            0..12,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    proptest! {
        #[test]
        fn if_match_pattern_is_the_check(text in "\"?[0-9]{0,21}\"?|[\"0-9+ W/*a-]{0,23}") {
            let pattern = Regex::new(IF_MATCH_PATTERN).expect("pattern");
            prop_assert_eq!(
                pattern.is_match(&text),
                crate::http::command::version_tag(&text).is_some(),
                "{}", text
            );
        }

        #[test]
        fn the_id_schema_is_the_id_check(text in tricky()) {
            prop_assert_eq!(passes(&schema::<Id>(), &text), valid_id(&text));
        }

        #[test]
        fn the_display_name_schema_accepts_only_what_the_check_keeps(text in tricky()) {
            if passes(&schema::<DisplayName>(), &text) {
                let kept = agora_actors::user::valid_display_name(&text);
                prop_assert_eq!(kept.as_deref(), Ok(text.as_str()));
            }
        }

        #[test]
        fn the_language_schema_is_the_language_check(text in "[a-zA-Z0-9-]{0,12}") {
            let check = text.len() >= 2
                && text.split('-').enumerate().all(|(i, s)| if i == 0 {
                    (2..=3).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphabetic())
                } else {
                    (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
                });
            prop_assert_eq!(passes(&schema::<Language>(), &text), check);
        }

        #[test]
        fn times_the_schema_accepts_are_parsed(
            micros in 0u64..100_000_000_000_000_000,
            year in 1970u32..=9999, month in 1u32..=12, day in 1u32..=28,
            hour in 0u32..24, minute in 0u32..60, second in 0u32..60,
        ) {
            let schema = schema::<Time>();
            let number = micros.to_string();
            prop_assert!(passes(&schema, &number));
            prop_assert!(timefmt::parse_time(&number).is_ok());
            let rfc = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z");
            prop_assert!(passes(&schema, &rfc), "{}", rfc);
            prop_assert!(timefmt::parse_time(&rfc).is_ok(), "{}", rfc);
        }
    }

    #[test]
    fn bounded_patterns_are_told_from_open_ones() {
        assert!(bounded_pattern(IF_MATCH_PATTERN));
        assert!(bounded_pattern(ID_PATTERN));
        assert!(bounded_pattern("^[0-9+()-]{5}$"));
        assert!(!bounded_pattern("^[0-9]+$"));
        assert!(!bounded_pattern("^a*$"));
        assert!(!bounded_pattern("^a{2,}$"));
        assert!(!bounded_pattern("[0-9]{1,3}"));
        let if_match = Regex::new(IF_MATCH_PATTERN).expect("pattern");
        assert!(if_match.is_match("\"3\""));
        assert!(if_match.is_match(&format!("\"{}\"", "9".repeat(19))));
        assert!(if_match.is_match("3"));
        assert!(!if_match.is_match("\"3"));
    }

    #[test]
    fn whole_numbers_are_integers_whatever_their_spelling() {
        let read = |text: &str| -> Option<u64> {
            let mut reader = serde_json::Deserializer::from_str(text);
            integral(&mut reader).ok()
        };
        assert_eq!(read("3000"), Some(3000));
        assert_eq!(read("3000.0"), Some(3000));
        assert_eq!(read("3e3"), Some(3000));
        assert_eq!(read("3000.5"), None);
        assert_eq!(read("-1"), None);
        assert_eq!(read("1e300"), None);
        assert_eq!(read("18446744073709551615"), Some(u64::MAX));
        let small = |text: &str| -> Option<u8> {
            let mut reader = serde_json::Deserializer::from_str(text);
            integral(&mut reader).ok()
        };
        assert_eq!(small("5.0"), Some(5));
        assert_eq!(small("256"), None);
    }

    #[test]
    fn email_and_phone_schemas_follow_the_checks() {
        let email = schema::<Email>();
        for good in ["a@b.co", "ada.l@example.org", "x@a.b.c"] {
            assert!(passes(&email, good), "{good}");
        }
        for bad in [
            "a@b", "@b.co", "a@.b.co", "a@b.co.", "a b@c.de", "a@b@c.de", "a@b.c\n",
        ] {
            assert!(!passes(&email, bad), "{bad}");
        }
        let phone = schema::<Phone>();
        assert!(passes(&phone, "+86 (10) 1234-5678"));
        assert!(!passes(&phone, "1234"));
        assert!(!passes(&phone, "12345x"));
        assert!(!passes(&phone, " 12345"));
    }

    #[test]
    fn out_of_range_times_and_days_are_refused_by_the_schema() {
        let time = schema::<Time>();
        assert!(!passes(&time, "-1"));
        assert!(!passes(&time, "1969-12-31T23:59:59Z"));
        assert!(!passes(&time, "253402300800000000"));
        assert!(passes(&time, "9999-12-31T23:59:59.999999Z"));
        let day = schema::<Day>();
        assert!(passes(&day, "2026-12-01"));
        assert!(!passes(&day, "1969-12-31"));
        assert!(!passes(&day, "2026-13-01"));
    }

    #[test]
    fn money_rules_are_the_money_check() {
        let currencies = schema::<Currency>();
        let codes: Vec<&str> = currencies["enum"]
            .as_array()
            .expect("an enum")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for code in &codes {
            let price = Money {
                amount_cents: Money::MAX_MINOR_UNITS,
                currency: (*code).to_owned(),
            };
            assert!(price.check().is_ok(), "{code}");
        }
        assert_eq!(codes.len(), CURRENCIES.len());
        let amount = schema::<AmountCents>();
        assert_eq!(amount["maximum"], json!(Money::MAX_MINOR_UNITS));
        let above = Money {
            amount_cents: Money::MAX_MINOR_UNITS + 1,
            currency: "CNY".into(),
        };
        assert!(above.check().is_err());
    }
}
