//! `/v1/contents`: draft, edit, price, publish, buy, refund, rate, review,
//! check in, comment — and the catalog.
//!
//! - Routes are declared in the route table (`super::api`), whose policy
//!   decides who may call before a handler runs (401 without a token, 403
//!   for auditors on every write, drafting needs the `creator` role); the
//!   caller becomes the events' actor and the aggregate checks what only it
//!   can know (the creator edits, prices and publishes; owners rate, review
//!   and check in; the buyer refunds; someone else's draft is 404).
//! - Commands answer `{id, version, position, replayed}` (plus the new
//!   `purchase_id` or `comment_id`) and the item's `ETag`; `If-Match`
//!   makes a command conditional (412 when stale); `Idempotency-Key` makes
//!   a repeat answer the first answer. Keys are scoped to the route and the
//!   caller. A purchase's id is derived from its key, so concurrent repeats
//!   record one purchase.
//! - `GET /v1/contents/{id}` and `GET /v1/contents` read the projections
//!   (`?min_position=P` waits until they applied `P`). A published item's
//!   metadata is public; an item in another stage is shown only to those
//!   [`bodies::may_see_unlisted`] allows (404 to anyone else). The body is
//!   included only for those [`bodies::may_read_body`] allows. Listings
//!   show published items only, filtered, sorted and searched (`q=`).
//!
//! - `GET /v1/contents/{id}/reviews` and `GET /v1/contents/{id}/comments`
//!   ([`discussions`]) page an item's reviews and comment threads, for
//!   whoever may see the item.
//!
//! - `POST /v1/contents/{id}/verify` and `POST
//!   /v1/contents/{id}/drafts:generate` run the model workers (503 while
//!   they are not loaded or their queue is full).
//!
//! Files: [`commands`] (the mutations), [`reads`] (item and listing),
//! [`bodies`] (who may read what of an item), [`verify`] and [`generate`]
//! (the model endpoints) with what they share in [`models`].

mod bodies;
pub(crate) mod commands;
pub(crate) mod discussions;
pub(crate) mod generate;
mod models;
pub(crate) mod reads;
pub(crate) mod verify;
