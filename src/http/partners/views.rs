//! The wire types of `/v1/partners`.

use agora_events::domain::content::{Body, ContentKind};
use serde::{Deserialize, Serialize};

use crate::http::fields;
use crate::http::problem::ProblemDoc;

/// Body of `POST /v1/partners`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RegisterPartnerBody {
    /// The partner's id (1–64 of `A-Za-z0-9_-.:`).
    #[schemars(with = "fields::Id")]
    pub(crate) id: String,
    /// Its public name.
    #[schemars(with = "fields::PartnerName")]
    pub(crate) name: String,
    /// The user account it acts through; must hold the `partner` role.
    #[schemars(with = "fields::Id")]
    pub(crate) user_id: String,
    /// Its share of each sale of its items, in basis points (10000 = 100 %);
    /// with the platform fee at most 100 %.
    #[schemars(with = "fields::ShareBps")]
    #[serde(deserialize_with = "crate::http::fields::integral")]
    pub(crate) share_bps: u32,
}

/// Body of `PUT /v1/partners/{id}/share`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ShareBody {
    /// The share of future sales, in basis points.
    #[schemars(with = "fields::ShareBps")]
    #[serde(deserialize_with = "crate::http::fields::integral")]
    pub(crate) share_bps: u32,
}

/// Body of `POST /v1/partners/{id}/suspend`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SuspendBody {
    /// Why (kept in the event).
    #[serde(default)]
    #[schemars(with = "fields::Reason")]
    pub(crate) reason: String,
}

/// Body of `POST /v1/partners/{id}/catalog`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CatalogBody {
    /// The items; each is checked on its own (see [`CatalogItemBody`]).
    #[schemars(with = "Vec<CatalogItemBody>")]
    pub(crate) items: Vec<serde_json::Value>,
}

/// One item of a catalog import.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CatalogItemBody {
    /// The item's id in the partner's catalog (1–64 of `A-Za-z0-9_-.:`,
    /// and `p-{partner}-{external_id}` at most 64).
    #[schemars(with = "fields::Id")]
    pub(crate) external_id: String,
    /// The creator credited with the item (a user with the creator role);
    /// default: the partner's user.
    #[schemars(with = "Option<fields::Id>")]
    pub(crate) creator_id: Option<String>,
    /// `article`, `course` or `column`.
    pub(crate) kind: ContentKind,
    /// The title.
    #[schemars(with = "fields::ContentTitle")]
    pub(crate) title: String,
    /// A short summary.
    #[serde(default)]
    #[schemars(with = "fields::Summary")]
    pub(crate) summary: String,
    /// `{"text": "..."}` or `{"chapters": [{"title", "body"}]}`; needs text.
    #[schemars(with = "fields::BodyInput")]
    pub(crate) body: Body,
    /// Tags.
    #[serde(default)]
    #[schemars(with = "fields::Tags")]
    pub(crate) tags: Vec<String>,
    /// Language tag, e.g. `en` or `zh-CN`.
    #[schemars(with = "fields::Language")]
    pub(crate) language: String,
    /// The price.
    pub(crate) price: PriceBody,
}

/// A price on the wire.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "CatalogItemPrice")]
pub(crate) struct PriceBody {
    /// Amount in the currency's minor unit; 0 = free.
    #[schemars(with = "fields::AmountCents")]
    #[serde(deserialize_with = "crate::http::fields::integral")]
    pub(crate) amount_cents: u64,
    /// ISO 4217 code, e.g. `CNY`.
    #[schemars(with = "fields::Currency")]
    pub(crate) currency: String,
}

/// A partner as read.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct PartnerView {
    /// The partner's id.
    pub(crate) id: String,
    /// Its public name.
    pub(crate) name: String,
    /// The user account it acts through.
    pub(crate) user_id: String,
    /// Its share of future sales, in basis points.
    pub(crate) share_bps: u32,
    /// Whether its imports are suspended.
    pub(crate) suspended: bool,
    /// The aggregate's version (the `ETag`).
    pub(crate) version: u64,
}

/// What became of one imported item.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct ItemResult {
    /// The item's 0-based index in the request.
    pub(crate) index: usize,
    /// Its external id, when the item had a readable one.
    pub(crate) external_id: Option<String>,
    /// `created`, `updated`, `unchanged` or `failed`.
    #[schemars(extend("enum" = ["created", "updated", "unchanged", "failed"]))]
    pub(crate) status: &'static str,
    /// The content item it is, unless it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) content_id: Option<String>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) problem: Option<ProblemDoc>,
}

/// The answer to a catalog import.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct ImportReply {
    /// The partner.
    pub(crate) partner_id: String,
    /// Items received.
    pub(crate) received: usize,
    /// Items newly listed.
    pub(crate) created: usize,
    /// Items whose price changed.
    pub(crate) updated: usize,
    /// Items already listed exactly like this.
    pub(crate) unchanged: usize,
    /// Items refused (each with its problem).
    pub(crate) failed: usize,
    /// Position of the last event written (pass as `min_position` to read
    /// the items back); `null` when nothing was written.
    pub(crate) position: Option<u64>,
    /// One result per item, in the request's order.
    pub(crate) items: Vec<ItemResult>,
}
