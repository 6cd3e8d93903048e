//! `POST /v1/partners/{id}/catalog`: bulk imports. The route's policy lets
//! only partners and admins in; this handler then checks that the caller
//! is this partner's account (or an admin) **before** reading the body,
//! reads at most `partner_import_max_body_bytes`, and parses the items one
//! at a time, stopping at the first item past `partner_import_max_items`
//! (413 `import-too-large`) — a million junk items are never all parsed.

use std::fmt;

use actix_web::{HttpRequest, HttpResponse, web};
use agora_actors::partner::{ImportItem, ImportItemError, ImportOutcome, ImportStatus};
use agora_events::domain::content::Money;
use agora_events::domain::user::Role;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::views::{CatalogBody, CatalogItemBody, ImportReply, ItemResult};
use crate::http::AppState;
use crate::http::body::read_json_body;
use crate::http::command::Command;
use crate::http::problem::{ApiError, ProblemKind};

/// `POST /v1/partners/{id}/catalog`: the partner's user or an admin.
pub(crate) async fn import(
    state: web::Data<AppState>,
    command: Command,
    request: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    if !command.has(Role::Admin) {
        let (partner, _) = state.partners.get(&id).await?;
        if partner.user_id() != Some(command.user_id()) {
            return Err(ApiError::new(
                ProblemKind::Forbidden,
                "only the partner's user or an admin may import into this catalog",
            ));
        }
    }
    let settings = state.partners.import_settings();
    let body = read_json_body(
        &request,
        payload,
        settings.max_body_bytes,
        "a catalog import body",
    )
    .await?;
    let items = parse_catalog(&body, settings.max_items)?.items;
    let received = items.len();
    // External ids as sent, so even a malformed item's result names it.
    let sent_ids: Vec<Option<String>> = items
        .iter()
        .map(|v| {
            v.get("external_id")
                .and_then(|e| e.as_str())
                .map(str::to_owned)
        })
        .collect();
    let items = items.into_iter().map(parse_item).collect();
    let outcomes = state
        .partners
        .import(
            &state.contents,
            &id,
            items,
            &command.request(),
            command.has(Role::Admin),
        )
        .await?;
    let mut position = None;
    let items: Vec<ItemResult> = outcomes
        .into_iter()
        .map(|mut outcome| {
            if outcome.external_id.is_none() {
                outcome.external_id = sent_ids.get(outcome.index).cloned().flatten();
            }
            item_result(outcome, &mut position)
        })
        .collect();
    let count = |status: &str| items.iter().filter(|i| i.status == status).count();
    Ok(HttpResponse::Ok().json(ImportReply {
        partner_id: id.into_inner(),
        received,
        created: count("created"),
        updated: count("updated"),
        unchanged: count("unchanged"),
        failed: count("failed"),
        position,
        items,
    }))
}

/// The marker of the parse error that means "too many items".
const TOO_MANY: &str = "more items than an import may carry";

/// Parses `{"items": [...]}`, one item at a time: stops with 413 at the
/// first item past `max`, with 400 on malformed JSON or other fields.
fn parse_catalog(body: &[u8], max: usize) -> Result<CatalogBody, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let parsed = de::Deserializer::deserialize_map(&mut deserializer, CatalogVisitor { max })
        .and_then(|items| deserializer.end().map(|()| items));
    parsed.map(|items| CatalogBody { items }).map_err(|e| {
        if e.to_string().starts_with(TOO_MANY) {
            ApiError::new(
                ProblemKind::ImportTooLarge,
                format!("an import carries at most {max} items; split it into smaller calls"),
            )
        } else {
            ApiError::new(ProblemKind::InvalidRequest, e.to_string())
        }
    })
}

/// Visits the body object: `items` is its only field, and required.
struct CatalogVisitor {
    max: usize,
}

impl<'de> Visitor<'de> for CatalogVisitor {
    type Value = Vec<serde_json::Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object {\"items\": [...]}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut items = None;
        while let Some(key) = map.next_key::<String>()? {
            if key != "items" {
                return Err(de::Error::unknown_field(&key, &["items"]));
            }
            if items.is_some() {
                return Err(de::Error::duplicate_field("items"));
            }
            items = Some(map.next_value_seed(ItemsSeed { max: self.max })?);
        }
        items.ok_or_else(|| de::Error::missing_field("items"))
    }
}

/// The `items` array, refused at its first element past `max`.
struct ItemsSeed {
    max: usize,
}

impl<'de> DeserializeSeed<'de> for ItemsSeed {
    type Value = Vec<serde_json::Value>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ItemsSeed {
    type Value = Vec<serde_json::Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of catalog items")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(self.max.min(seq.size_hint().unwrap_or(0)));
        while let Some(item) = seq.next_element::<serde_json::Value>()? {
            if items.len() == self.max {
                return Err(de::Error::custom(TOO_MANY));
            }
            items.push(item);
        }
        Ok(items)
    }
}

/// One outcome on the wire; `position` keeps the largest position written.
fn item_result(outcome: ImportOutcome, position: &mut Option<u64>) -> ItemResult {
    match outcome.result {
        Ok(imported) => {
            if let Some(p) = imported.position {
                *position = Some(position.map_or(p, |q| q.max(p)));
            }
            ItemResult {
                index: outcome.index,
                external_id: outcome.external_id,
                status: match imported.status {
                    ImportStatus::Created => "created",
                    ImportStatus::Updated => "updated",
                    ImportStatus::Unchanged => "unchanged",
                },
                content_id: Some(imported.content_id),
                problem: None,
            }
        }
        Err(error) => ItemResult {
            index: outcome.index,
            external_id: outcome.external_id,
            status: "failed",
            content_id: None,
            problem: Some(from_item_error(error).to_doc()),
        },
    }
}

/// Parses one item on its own: a malformed item fails alone.
fn parse_item(value: serde_json::Value) -> Result<ImportItem, ImportItemError> {
    let body: CatalogItemBody =
        serde_json::from_value(value).map_err(|e| ImportItemError::Malformed(e.to_string()))?;
    Ok(ImportItem {
        external_id: body.external_id,
        creator_id: body.creator_id,
        kind: body.kind,
        title: body.title,
        summary: body.summary,
        body: body.body,
        tags: body.tags,
        language: body.language,
        price: Money {
            amount_cents: body.price.amount_cents,
            currency: body.price.currency,
        },
    })
}

/// Maps one item's failure to its problem.
fn from_item_error(error: ImportItemError) -> ApiError {
    match error {
        ImportItemError::Malformed(_) => {
            ApiError::new(ProblemKind::InvalidRequest, error.to_string())
        }
        ImportItemError::InvalidExternalId | ImportItemError::UnknownCreator(_) => {
            ApiError::new(ProblemKind::ValidationFailed, error.to_string())
        }
        ImportItemError::Content(e) => crate::http::contents::commands::from_service(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_items_fail_alone() {
        let bad = parse_item(serde_json::json!({"external_id": "1", "kind": "video"}));
        assert!(matches!(bad, Err(ImportItemError::Malformed(_))));
        let good = parse_item(serde_json::json!({
            "external_id": "1", "kind": "article", "title": "T", "body": {"text": "b"},
            "language": "en", "price": {"amount_cents": 100, "currency": "CNY"},
        }));
        assert!(good.is_ok());
    }

    #[test]
    fn parsing_stops_at_the_first_item_past_the_cap() {
        let body = br#"{"items": [1, 2, 3, "#;
        // Malformed after the cap: refused for the cap, not the syntax.
        let error = parse_catalog(body, 2).err().map(|e| e.kind());
        assert_eq!(error, Some(ProblemKind::ImportTooLarge));
        let fits = parse_catalog(br#"{"items": [1, 2]}"#, 2);
        assert_eq!(fits.ok().map(|v| v.items.len()), Some(2));
        for bad in [
            &br#"{"items": [1], "x": 1}"#[..],
            b"{}",
            b"[1]",
            b"{\"items\": [1]} 2",
        ] {
            let error = parse_catalog(bad, 2).err().map(|e| e.kind());
            assert_eq!(error, Some(ProblemKind::InvalidRequest));
        }
    }
}
