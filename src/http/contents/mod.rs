//! `/v1/contents`: draft, edit, price, publish, buy, refund, rate, review,
//! check in, comment — and the catalog.
//!
//! - Every mutation needs a bearer token (401 without); the caller becomes
//!   the events' actor and the aggregate checks who may do what (the
//!   creator edits, prices and publishes; owners rate, review and check
//!   in; the buyer refunds). Drafting also needs the `creator` role.
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
pub(super) mod commands;
pub(super) mod discussions;
pub(super) mod generate;
mod models;
pub(super) mod reads;
pub(super) mod verify;

use actix_web::web;

use commands::{
    check_in, comment, draft, edit, mark_answer, publish, purchase, rate, refund, retire, review,
    set_price, unpublish,
};
use reads::{list, read};

/// The routes of this module.
pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    let resource =
        |path: &str| web::resource(path).default_service(web::to(super::method_not_allowed));
    cfg.service(
        resource("/v1/contents")
            .route(web::post().to(draft))
            .route(web::get().to(list)),
    )
    .service(
        resource("/v1/contents/{id}")
            .route(web::get().to(read))
            .route(web::patch().to(edit)),
    )
    .service(resource("/v1/contents/{id}/price").route(web::put().to(set_price)))
    .service(resource("/v1/contents/{id}/publish").route(web::post().to(publish)))
    .service(resource("/v1/contents/{id}/unpublish").route(web::post().to(unpublish)))
    .service(resource("/v1/contents/{id}/retire").route(web::post().to(retire)))
    .service(resource("/v1/contents/{id}/purchases").route(web::post().to(purchase)))
    .service(
        resource("/v1/contents/{id}/purchases/{purchase_id}/refund").route(web::post().to(refund)),
    )
    .service(resource("/v1/contents/{id}/rating").route(web::put().to(rate)))
    .service(resource("/v1/contents/{id}/review").route(web::put().to(review)))
    .service(resource("/v1/contents/{id}/check-ins").route(web::post().to(check_in)))
    .service(
        resource("/v1/contents/{id}/comments")
            .route(web::post().to(comment))
            .route(web::get().to(discussions::comments)),
    )
    .service(resource("/v1/contents/{id}/reviews").route(web::get().to(discussions::reviews)))
    .service(
        resource("/v1/contents/{id}/comments/{comment_id}/answer")
            .route(web::post().to(mark_answer)),
    )
    .service(resource("/v1/contents/{id}/verify").route(web::post().to(verify::verify)))
    .service(
        resource("/v1/contents/{id}/drafts:generate").route(web::post().to(generate::generate)),
    );
}
