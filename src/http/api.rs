//! The route table of the HTTP API as documentation: one row per route,
//! with who may call it and the types of its query, body and answer. The
//! OpenAPI document ([`super::openapi`]) and the command schemas in
//! `schemas/commands/` are generated from it; tests check it against the
//! routes the application really serves.

use std::sync::OnceLock;

use super::command::CommandReply;
use super::contents::{commands, discussions, generate, reads, verify};
use super::openapi::{self, Endpoint};
use super::{
    clock, dashboard, health, ledger, library, memberships, partners, recommendations, sessions,
    users,
};

/// Every route of the API, in the order the document lists them.
pub(crate) fn endpoints() -> Vec<Endpoint> {
    let mut all = vec![
        Endpoint::get("/healthz", "Liveness: `ok` while the process serves.")
            .text("text/plain"),
        Endpoint::get(
            "/readyz",
            "Readiness: the store is open and every projection caught up (503 otherwise).",
        )
        .reply::<health::Readiness>(200),
        Endpoint::get(
            "/metrics",
            "Prometheus text: requests by route and status, latency histograms, events appended, projection lag.",
        )
        .text("text/plain; version=0.0.4"),
        Endpoint::get("/openapi.json", "This document.").text("application/json"),
    ];
    all.extend(identity());
    all.extend(contents());
    all.extend(engagement());
    all.extend(reading());
    all.extend(membership());
    all.extend(partnership());
    all.extend(revenue());
    all.extend(recommending());
    all.extend(admin());
    all
}

fn identity() -> Vec<Endpoint> {
    vec![
        Endpoint::post(
            "/v1/users",
            "Register a user (argon2id-hashed password; admin and auditor roles are granted by admins only).",
        )
        .body::<users::RegisterBody>()
        .reply::<CommandReply>(201)
        .keyed(),
        Endpoint::get(
            "/v1/users/{id}",
            "Read a user; personal data only to the user, admins and auditors.",
        )
        .query::<users::ReadQuery>()
        .reply::<users::UserView>(200),
        Endpoint::patch("/v1/users/{id}", "Change a profile.")
            .token("the user themself or an admin")
            .body::<users::UpdateBody>()
            .reply::<CommandReply>(200)
            .keyed()
            .conditional(),
        Endpoint::post(
            "/v1/sessions",
            "Log in: an opaque bearer token (rate-limited per account and per address).",
        )
        .body::<sessions::LoginBody>()
        .reply::<sessions::SessionReply>(201),
        Endpoint::delete("/v1/sessions/current", "Log out: revoke this token.")
            .token("any user")
            .empty(204),
    ]
}

fn contents() -> Vec<Endpoint> {
    const CREATOR: &str = "the item's creator (role creator)";
    vec![
        Endpoint::post("/v1/contents", "Draft a new article, course or column.")
            .token("creators")
            .body::<commands::DraftBody>()
            .reply::<CommandReply>(201)
            .keyed(),
        Endpoint::get(
            "/v1/contents",
            "The catalog: filter by tag, kind, language, price range and creator; sort by newest, \
             rating, sales or relevance; full-text search with `q` (title, summary, tags; English \
             and Chinese); cursor pages.",
        )
        .query::<reads::ListQuery>()
        .reply::<reads::PageView>(200),
        Endpoint::get(
            "/v1/contents/{id}",
            "One item: published ones to everyone, drafts to their creator, admins and auditors; \
             the body only to those who may read it (creator, owners, members, admins, auditors).",
        )
        .query::<reads::ReadQuery>()
        .reply::<reads::DetailView>(200),
        Endpoint::patch(
            "/v1/contents/{id}",
            "Edit a draft (never after the first publishing).",
        )
        .token(CREATOR)
        .body::<commands::EditBody>()
        .reply::<CommandReply>(200)
        .keyed()
        .conditional(),
        Endpoint::put(
            "/v1/contents/{id}/price",
            "Set the price future purchases pay.",
        )
        .token(CREATOR)
        .body::<commands::PriceBody>()
        .reply::<CommandReply>(200)
        .keyed()
        .conditional(),
        Endpoint::post(
            "/v1/contents/{id}/publish",
            "Publish: needs a title, a body and a price, and with \
             `models.require_verification_to_publish` a verification of the current text scoring \
             at least `models.min_verification_score_bps` (409 `verification-required` otherwise).",
        )
        .token(CREATOR)
        .reply::<CommandReply>(200)
        .keyed()
        .conditional(),
        Endpoint::post(
            "/v1/contents/{id}/unpublish",
            "Hide a published item; owners keep it.",
        )
        .token(CREATOR)
        .reply::<CommandReply>(200)
        .keyed()
        .conditional(),
        Endpoint::post(
            "/v1/contents/{id}/retire",
            "Withdraw an item for good; owners keep it.",
        )
        .token(CREATOR)
        .reply::<CommandReply>(200)
        .keyed()
        .conditional(),
        Endpoint::post(
            "/v1/contents/{id}/verify",
            "Verify the current text and the images sent (base64 PNG, JPEG, TIFF or PDF, every \
             page of a PDF up to `models.max_pdf_pages`; OCR in English, Chinese or both; an \
             image of more than `models.max_image_pixels` pixels by its header is refused with \
             413 `image-too-large` before anything decodes it): \
             rule checks, near copies and paraphrases of published \
             items, a score in [0, 1] with every finding that lowered it; recorded as \
             `ContentVerified`. 503 `models-unavailable` / `models-overloaded` (with \
             `Retry-After`), 504 `models-timed-out`.",
        )
        .token("the item's creator or an admin")
        .body::<verify::VerifyBody>()
        .reply::<verify::VerifyReply>(200),
        Endpoint::post(
            "/v1/contents/{id}/drafts:generate",
            "Generate a draft with the language model: `text/event-stream` of `token` events \
             (`{\"text\"}`), then `done` (a `GenerateDone`, recorded as \
             `ContentDraftGenerated`) or `error` (a problem). Greedy decoding (temperature 0) is \
             deterministic. 503 `models-unavailable` / `models-overloaded` (with `Retry-After`).",
        )
        .token(CREATOR)
        .body::<generate::GenerateBody>()
        .text("text/event-stream"),
    ]
}

fn engagement() -> Vec<Endpoint> {
    const OWNER: &str =
        "owners of the item (a live purchase) and members of a plan covering its creator";
    vec![
        Endpoint::post(
            "/v1/contents/{id}/purchases",
            "Buy an item: one entitlement per buyer, never charged twice; the sale is split \
             between creator, platform and partner by the shares in force.",
        )
        .token("any user but the item's creator")
        .reply::<CommandReply>(201)
        .keyed(),
        Endpoint::post(
            "/v1/contents/{id}/purchases/{purchase_id}/refund",
            "Refund a purchase within the refund window: the entitlement ends, the ledger entries are reversed.",
        )
        .token("the buyer")
        .reply::<CommandReply>(200)
        .keyed(),
        Endpoint::put("/v1/contents/{id}/rating", "Rate 1–5 (one rating per user; a new one replaces it).")
            .token(OWNER)
            .body::<commands::RatingBody>()
            .reply::<CommandReply>(200)
            .keyed(),
        Endpoint::put("/v1/contents/{id}/review", "Write or replace a review.")
            .token(OWNER)
            .body::<commands::ReviewBody>()
            .reply::<CommandReply>(200)
            .keyed(),
        Endpoint::post(
            "/v1/contents/{id}/check-ins",
            "Check in on a course today (打卡); streaks are derived.",
        )
        .token(OWNER)
        .body::<commands::CheckInBody>()
        .reply::<CommandReply>(201)
        .keyed(),
        Endpoint::post(
            "/v1/contents/{id}/comments",
            "Comment, reply, or ask a question on a published item.",
        )
        .token("any user")
        .body::<commands::CommentBody>()
        .reply::<CommandReply>(201)
        .keyed(),
        Endpoint::post(
            "/v1/contents/{id}/comments/{comment_id}/answer",
            "Mark a reply as the answer to a question.",
        )
        .token("the item's creator")
        .body::<commands::AnswerBody>()
        .reply::<CommandReply>(200)
        .keyed(),
        Endpoint::get(
            "/v1/contents/{id}/reviews",
            "An item's reviews, each with the rating its writer gives (null: not rated), newest \
             first (a rewritten review moves to the front); `next_after` as `after` continues. \
             For whoever may see the item (404 otherwise, as `GET /v1/contents/{id}`).",
        )
        .query::<discussions::DiscussionQuery>()
        .reply::<discussions::ReviewPage>(200),
        Endpoint::get(
            "/v1/contents/{id}/comments",
            "An item's comment threads, newest first: each first comment with every reply \
             (oldest first, each naming its parent); questions say whether they are `answered` \
             and by which `answer_id`; `next_after` as `after` continues. For whoever may see \
             the item (404 otherwise).",
        )
        .query::<discussions::DiscussionQuery>()
        .reply::<discussions::ThreadPage>(200),
    ]
}

fn reading() -> Vec<Endpoint> {
    vec![
        Endpoint::get(
            "/v1/users/{id}/library",
            "A learner's library: owned items, course progress, streaks, ratings given.",
        )
        .token("the user, admins, auditors")
        .query::<library::LibraryQuery>()
        .reply::<library::LibraryResponse>(200),
        Endpoint::get(
            "/v1/creators/{id}/dashboard",
            "A creator's sales, revenue, refunds and ratings per day over a period (`from`, `to`: YYYY-MM-DD).",
        )
        .token("the creator, admins, auditors")
        .query::<dashboard::DashboardQuery>()
        .reply::<dashboard::DashboardResponse>(200),
    ]
}

fn membership() -> Vec<Endpoint> {
    const PLAN_OWNER: &str = "the plan's creator, admins";
    vec![
        Endpoint::post(
            "/v1/plans",
            "Offer a membership plan (period, price): creators for themselves, admins for the platform.",
        )
        .token("creators (own plans), admins (platform plans)")
        .body::<memberships::OfferBody>()
        .reply::<CommandReply>(201)
        .keyed(),
        Endpoint::get("/v1/plans", "Membership plans, filtered by owner, in pages.")
            .query::<memberships::ListQuery>()
            .reply::<memberships::PlanPage>(200),
        Endpoint::get("/v1/plans/{id}", "One membership plan.")
            .query::<memberships::ReadQuery>()
            .reply::<memberships::PlanView>(200),
        Endpoint::put(
            "/v1/plans/{id}/price",
            "Change a plan's price: applies from the next payment (new member or renewal).",
        )
        .token(PLAN_OWNER)
        .body::<memberships::MoneyBody>()
        .reply::<CommandReply>(200)
        .keyed(),
        Endpoint::post(
            "/v1/plans/{id}/withdraw",
            "Withdraw a plan: no new members, no renewals; paid periods run out.",
        )
        .token(PLAN_OWNER)
        .reply::<CommandReply>(200)
        .keyed(),
        Endpoint::get("/v1/plans/{id}/members", "A plan's memberships.")
            .token("the plan's creator, admins, auditors")
            .query::<memberships::ReadQuery>()
            .reply::<memberships::MembershipList>(200),
        Endpoint::post(
            "/v1/plans/{id}/subscriptions",
            "Join a plan and pay the first period; renewals and expiry follow the clock.",
        )
        .token("learners")
        .reply::<CommandReply>(201)
        .keyed(),
        Endpoint::post(
            "/v1/plans/{id}/subscriptions/{user}/cancel",
            "Stop renewing: access stays until the paid period ends.",
        )
        .token("the member, admins")
        .reply::<CommandReply>(200)
        .keyed(),
        Endpoint::get(
            "/v1/users/{id}/memberships",
            "A user's memberships with status, access, period and payments.",
        )
        .token("the user, admins, auditors")
        .query::<memberships::ReadQuery>()
        .reply::<memberships::MembershipList>(200),
        Endpoint::get(
            "/v1/users/{id}/memberships/coverage",
            "Whether the user's memberships cover a creator's content now.",
        )
        .token("the user, admins, auditors")
        .query::<memberships::CoverageQuery>()
        .reply::<memberships::CoverageView>(200),
    ]
}

fn partnership() -> Vec<Endpoint> {
    vec![
        Endpoint::post(
            "/v1/partners",
            "Register a partner platform, its account (a user with role partner) and its revenue share.",
        )
        .token("admin")
        .body::<partners::RegisterPartnerBody>()
        .reply::<CommandReply>(201)
        .keyed(),
        Endpoint::get("/v1/partners/{id}", "A partner platform and its current share.")
            .token("the partner's account, admins, auditors")
            .reply::<partners::PartnerView>(200),
        Endpoint::put(
            "/v1/partners/{id}/share",
            "Change a partner's revenue share (future sales only).",
        )
        .token("admin")
        .body::<partners::ShareBody>()
        .reply::<CommandReply>(200)
        .keyed(),
        Endpoint::post(
            "/v1/partners/{id}/suspend",
            "Suspend a partner: no more imports; its items stay on sale.",
        )
        .token("admin")
        .body::<partners::SuspendBody>()
        .reply::<CommandReply>(200)
        .keyed(),
        Endpoint::post("/v1/partners/{id}/reinstate", "Lift a suspension.")
            .token("admin")
            .reply::<CommandReply>(200)
            .keyed(),
        Endpoint::post(
            "/v1/partners/{id}/catalog",
            "Import catalog items in bulk (thousands per call), each validated on its own; the \
             answer lists every item's result. Re-importing an item is an idempotent upsert.",
        )
        .token("the partner's account, admins")
        .body::<partners::CatalogBody>()
        .reply::<partners::ImportReply>(200),
    ]
}

fn revenue() -> Vec<Endpoint> {
    vec![
        Endpoint::get(
            "/v1/creators/{id}/statement",
            "A creator's payout statement: opening balance, ledger entries in [from, to), closing balance.",
        )
        .token("the creator, admins, auditors")
        .query::<ledger::StatementQuery>()
        .reply::<ledger::StatementView>(200),
        Endpoint::get(
            "/v1/partners/{id}/statement",
            "A partner's revenue-share statement over [from, to).",
        )
        .token("the partner's account, admins, auditors")
        .query::<ledger::StatementQuery>()
        .reply::<ledger::StatementView>(200),
        Endpoint::get(
            "/v1/ledger/platform",
            "The platform's own ledger account over [from, to).",
        )
        .token("admins, auditors")
        .query::<ledger::StatementQuery>()
        .reply::<ledger::StatementView>(200),
    ]
}

fn recommending() -> Vec<Endpoint> {
    vec![
        Endpoint::get(
            "/v1/users/{id}/recommendations",
            "Top-k items on sale for the user from the current model version (never one they own, \
             rated or made); `source` says whether the user's trained vector, a fold-in of their \
             current interactions or popularity answered; `explain=true` lists the user's items \
             that contributed most to each.",
        )
        .token("the user, admins")
        .query::<recommendations::RecommendationsQuery>()
        .reply::<recommendations::RecommendationsView>(200),
        Endpoint::get(
            "/v1/contents/{id}/similar",
            "Items closest to a published item by cosine of their factor vectors.",
        )
        .query::<recommendations::SimilarQuery>()
        .reply::<recommendations::SimilarView>(200),
        Endpoint::get(
            "/v1/admin/recommender",
            "The recommender: published model version, its parameters and metrics, training state, \
             interactions since the last run.",
        )
        .token("admins, auditors")
        .query::<recommendations::StatusQuery>()
        .reply::<recommendations::RecommenderStatusView>(200),
        Endpoint::post(
            "/v1/admin/recommender:train",
            "Train now (off the HTTP workers) and answer the model version published.",
        )
        .token("admin")
        .reply::<recommendations::ModelView>(200),
    ]
}

fn admin() -> Vec<Endpoint> {
    vec![
        Endpoint::get(
            "/v1/admin/clock",
            "Read the clock commands are stamped with.",
        )
        .token("admin, auditor")
        .reply::<clock::ClockReading>(200),
        Endpoint::post(
            "/v1/admin/clock",
            "Move a manual clock (settings `manual_clock`); runs due renewals and expiries.",
        )
        .token("admin")
        .body::<clock::MoveClock>()
        .reply::<clock::ClockReading>(200),
    ]
}

/// The OpenAPI document as served: pretty JSON with a final newline,
/// byte-identical to `schemas/openapi.json`.
pub(crate) fn openapi_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        let document = openapi::document(&endpoints());
        let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
        text.push('\n');
        text
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    use super::*;

    fn repo_file(relative: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
    }

    /// Compares `text` with the committed file, or rewrites the file when
    /// `AGORA_BLESS=1` (after a deliberate API change).
    fn check_committed(relative: &str, text: &str) -> Result<(), String> {
        let path = repo_file(relative);
        if std::env::var_os("AGORA_BLESS").is_some_and(|v| v == "1") {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
            }
            std::fs::write(&path, text).map_err(|e| e.to_string())?;
            return Ok(());
        }
        match std::fs::read_to_string(&path) {
            Ok(committed) if committed == text => Ok(()),
            Ok(_) => Err(format!(
                "{relative} differs from the code; if the API change is deliberate, run \
                 `AGORA_BLESS=1 cargo test --bin agora schemas` and commit the result"
            )),
            Err(e) => Err(format!("{relative}: {e}")),
        }
    }

    #[test]
    fn committed_openapi_document_matches_the_code() {
        check_committed("schemas/openapi.json", openapi_text()).unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn committed_command_schemas_match_the_code() {
        let mut expected = BTreeSet::new();
        let mut failures = Vec::new();
        for endpoint in endpoints() {
            let Some(schema) = endpoint.body_schema() else {
                continue;
            };
            let name = format!("schemas/commands/{}.json", endpoint.operation_id());
            let mut text = serde_json::to_string_pretty(&schema).expect("schema JSON");
            text.push('\n');
            if let Err(e) = check_committed(&name, &text) {
                failures.push(e);
            }
            expected.insert(name);
        }
        // No stale schema of a command that no longer exists.
        let dir = repo_file("schemas/commands");
        for entry in std::fs::read_dir(&dir).expect("schemas/commands") {
            let name = format!(
                "schemas/commands/{}",
                entry.expect("entry").file_name().to_string_lossy()
            );
            if !expected.contains(&name) {
                failures.push(format!("{name} has no command any more: delete it"));
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
    }

    #[test]
    fn the_document_is_openapi_3_1_with_unique_operations() {
        let document: serde_json::Value =
            serde_json::from_str(openapi_text()).expect("the document is JSON");
        assert_eq!(document["openapi"], "3.1.0");
        let mut ids = BTreeSet::new();
        let mut routes = BTreeSet::new();
        for endpoint in endpoints() {
            assert!(
                ids.insert(endpoint.operation_id()),
                "two rows share the operation id {}",
                endpoint.operation_id()
            );
            assert!(
                routes.insert((endpoint.path, endpoint.method)),
                "{} {:?} is listed twice",
                endpoint.path,
                endpoint.method
            );
        }
        // Every `$ref` points at a schema the document has.
        let text = openapi_text();
        for reference in text.split("\"$ref\": \"").skip(1) {
            let target = &reference[..reference.find('"').expect("closing quote")];
            let name = target
                .strip_prefix("#/components/schemas/")
                .or_else(|| target.strip_prefix("#/components/responses/"))
                .unwrap_or_else(|| panic!("unexpected $ref {target}"));
            let found = document["components"]["schemas"].get(name).is_some()
                || document["components"]["responses"].get(name).is_some();
            assert!(found, "dangling $ref {target}");
        }
    }

    /// Every `(path, method)` registered in the HTTP modules' `routes`
    /// functions, read from their source.
    fn registered_routes() -> BTreeSet<(String, String)> {
        let mut found = BTreeSet::new();
        let dir = repo_file("src/http");
        let mut files = vec![dir];
        let mut sources = Vec::new();
        while let Some(path) = files.pop() {
            if path.is_dir() {
                for entry in std::fs::read_dir(&path).expect("src/http") {
                    files.push(entry.expect("entry").path());
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                sources.push(std::fs::read_to_string(&path).expect("source"));
            }
        }
        for source in sources {
            // The registration code sits before the first `#[cfg(test)]`.
            let source = source.split("#[cfg(test)]").next().unwrap_or_default();
            let mut rest = source;
            while let Some(start) = rest.find("resource(\"") {
                let after = &rest[start + "resource(\"".len()..];
                let Some(end) = after.find('"') else { break };
                let path = &after[..end];
                let block_end = after[end..]
                    .find("resource(\"")
                    .map_or(after.len(), |i| end + i);
                let block = &after[end..block_end];
                for method in ["get", "post", "put", "patch", "delete"] {
                    if block.contains(&format!("web::{method}()")) {
                        found.insert((path.to_owned(), method.to_owned()));
                    }
                }
                rest = &after[end..];
            }
            let mut rest = source;
            while let Some(start) = rest.find(".service(get(\"") {
                let after = &rest[start + ".service(get(\"".len()..];
                let Some(end) = after.find('"') else { break };
                found.insert((after[..end].to_owned(), "get".to_owned()));
                rest = &after[end..];
            }
        }
        found
    }

    #[test]
    fn every_route_is_documented_and_every_row_is_a_route() {
        let documented: BTreeSet<(String, String)> = endpoints()
            .iter()
            .map(|e| (e.path.to_owned(), e.method.key().to_owned()))
            .collect();
        let registered = registered_routes();
        assert!(
            registered.len() > 10,
            "the route scan found too little: {registered:?}"
        );
        let undocumented: Vec<_> = registered.difference(&documented).collect();
        let unserved: Vec<_> = documented.difference(&registered).collect();
        assert!(
            undocumented.is_empty(),
            "routes without a row: {undocumented:?}"
        );
        assert!(unserved.is_empty(), "rows without a route: {unserved:?}");
    }
}
