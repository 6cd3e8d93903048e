//! The wire types of `/v1/vendors`.

use agora_actors::projection::vendors::VendorCard;
use agora_events::domain::money::Money;
use serde::{Deserialize, Serialize};

use crate::http::contracts::views::ReputationView;
use crate::http::fields;
use crate::timefmt::rfc3339;

/// An amount of money on the wire (outsourcing routes).
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Amount")]
pub(crate) struct AmountBody {
    /// Amount in the currency's minor unit (at most 10^12).
    #[schemars(with = "fields::AmountCents")]
    #[serde(deserialize_with = "crate::http::fields::integral")]
    pub(crate) amount_cents: u64,
    /// ISO 4217 code, e.g. `CNY`.
    #[schemars(with = "fields::Currency")]
    pub(crate) currency: String,
}

impl From<AmountBody> for Money {
    fn from(body: AmountBody) -> Self {
        Self {
            amount_cents: body.amount_cents,
            currency: body.currency,
        }
    }
}

impl From<Money> for AmountBody {
    fn from(money: Money) -> Self {
        Self {
            amount_cents: money.amount_cents,
            currency: money.currency,
        }
    }
}

/// Body of `PUT /v1/vendors/{id}`: the whole profile.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProfileBody {
    /// Skill tags (at most 30, each 1–40 characters; lowercased).
    #[schemars(with = "fields::VendorSkills")]
    pub(crate) skills: Vec<String>,
    /// People on the team (at least 1).
    #[schemars(with = "fields::TeamSize")]
    #[serde(deserialize_with = "crate::http::fields::integral")]
    pub(crate) team_size: u32,
    /// Most contracts at once, 1–100; a vendor whose awarded work fills it
    /// may still bid, marked `at_capacity`.
    #[schemars(with = "fields::Capacity")]
    #[serde(deserialize_with = "crate::http::fields::integral")]
    pub(crate) capacity: u32,
    /// What an hour costs.
    pub(crate) hourly_rate: AmountBody,
    /// Past work, references (at most 20,000 characters).
    #[serde(default)]
    #[schemars(with = "fields::Portfolio")]
    pub(crate) portfolio: String,
    /// Working languages (`en`, `zh`, `zh-CN`).
    #[serde(default)]
    #[schemars(with = "fields::VendorLanguages")]
    pub(crate) languages: Vec<String>,
    /// Content items its members published (at most 100).
    #[serde(default)]
    #[schemars(with = "fields::ContentIds")]
    pub(crate) content_ids: Vec<String>,
}

/// A vendor's public profile.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct VendorView {
    /// The vendor's user id.
    pub(crate) id: String,
    /// Skill tags.
    pub(crate) skills: Vec<String>,
    /// People on the team.
    pub(crate) team_size: u32,
    /// Most contracts at once.
    pub(crate) capacity: u32,
    /// What an hour costs.
    pub(crate) hourly_rate: AmountBody,
    /// Past work.
    pub(crate) portfolio: String,
    /// Working languages.
    pub(crate) languages: Vec<String>,
    /// Content items its members published.
    pub(crate) content_ids: Vec<String>,
    /// Its reputation from the reviews of its contracts, and its load (as
    /// `GET /v1/vendors/{id}/reputation` answers).
    pub(crate) reputation: ReputationView,
    /// When the profile was last set (RFC 3339).
    pub(crate) updated_at: String,
    /// The aggregate's version (the `ETag`).
    pub(crate) version: u64,
}

impl VendorView {
    /// The view of `card` with the vendor's `reputation`.
    pub(crate) fn of(card: VendorCard, reputation: ReputationView) -> Self {
        Self {
            id: card.id,
            skills: card.skills,
            team_size: card.team_size,
            capacity: card.capacity,
            hourly_rate: card.hourly_rate.into(),
            portfolio: card.portfolio,
            languages: card.languages,
            content_ids: card.content_ids,
            reputation,
            updated_at: rfc3339(card.updated_at),
            version: card.version,
        }
    }
}
