//! The route table of the HTTP API: one row per route, with its handler,
//! who may call it ([`Policy`]) and the types of its query, body and
//! answer. The router registers every route from it (and checks each
//! row's policy before the handler runs, see [`super::policy`]); the
//! OpenAPI document ([`super::openapi`]) and the command schemas in
//! `schemas/commands/` are generated from it. Adding an endpoint is one row
//! here, a parse type and a service call.

use std::sync::OnceLock;

use agora_events::domain::user::Role;
use serde_json::json;

use super::command::CommandReply;
use super::contents::{commands, discussions, generate, reads, verify};
use super::openapi::{self, Endpoint};
use super::policy::{ADMIN, OVERSIGHT, Policy, Who};
use super::{
    audit, clock, contracts, dashboard, health, integrity, ledger, library, memberships, metrics,
    partners, recommendations, requirements, sessions, users, vendors,
};

/// Any logged-in user who may write (auditors never do).
const ANY_WRITER: Policy = Policy::write(Who::AnyUser);
/// The user `{id}`, admins and auditors read.
const SELF_OR_OVERSIGHT: Policy = Policy::read(Who::PathUserOr(OVERSIGHT));
/// Admins and auditors read.
const OVERSIGHT_READ: Policy = Policy::read(Who::AnyRole(OVERSIGHT));
/// Admins write.
const ADMIN_WRITE: Policy = Policy::write(Who::AnyRole(ADMIN));

/// Every route of the API, in the order the document lists them.
pub(crate) fn endpoints() -> Vec<Endpoint> {
    let mut all = vec![
        Endpoint::get("/healthz", "Liveness: `ok` while the process serves.")
            .to(health::healthz)
            .text("text/plain"),
        Endpoint::get(
            "/readyz",
            "Readiness: the store is open and every projection caught up (503 otherwise).",
        )
        .to(health::readyz)
        .reply::<health::Readiness>(200),
        Endpoint::get(
            "/metrics",
            "Prometheus text: requests by route and status, latency histograms, events appended, projection lag.",
        )
        .to(metrics::metrics)
        .text("text/plain; version=0.0.4"),
        Endpoint::get("/openapi.json", "This document.")
            .to(openapi::serve)
            .text("application/json"),
    ];
    all.extend(identity());
    all.extend(contents());
    all.extend(engagement());
    all.extend(reading());
    all.extend(membership());
    all.extend(partnership());
    all.extend(tendering());
    all.extend(revenue());
    all.extend(recommending());
    all.extend(admin());
    all.extend(contracting());
    all.extend(auditing());
    all
}

fn identity() -> Vec<Endpoint> {
    vec![
        Endpoint::post(
            "/v1/users",
            "Register a user (argon2id-hashed password; admin and auditor roles are granted by admins only).",
        )
        .policy(Policy::write(Who::Anyone))
        .to(users::register)
        .body::<users::RegisterBody>()
        .example(json!({
            "id": "ada", "display_name": "Ada", "email": "ada@example.org",
            "roles": ["learner"], "password": "correct-horse-battery"
        }))
        .creates("id", "id")
        .reply::<CommandReply>(201)
        .keyed(),
        Endpoint::get(
            "/v1/users/{id}",
            "Read a user; personal data only to the user, admins and auditors.",
        )
        .to(users::read)
        .query::<users::ReadQuery>()
        .reply::<users::UserView>(200),
        Endpoint::patch("/v1/users/{id}", "Change a profile.")
            .policy(Policy::write(Who::PathUserOr(ADMIN)))
            .to(users::update)
            .body::<users::UpdateBody>()
            .example(json!({"display_name": "Ada L."}))
            .reply::<CommandReply>(200)
            .keyed()
            .conditional(),
        Endpoint::delete(
            "/v1/users/{id}/personal-data",
            "Erase a user's personal data (crypto-shredding): `UserPersonalDataErased` is \
             recorded and the user's data key destroyed, so e-mail, real name, phone and the \
             password credential are unreadable for good while the log and its hash chain stay \
             complete. The account is closed: its sessions end and it can no longer log in; its \
             id, public name and history stay, views show `[erased]`. A repeat changes nothing.",
        )
        .policy(Policy::write(Who::PathUserOr(ADMIN)))
        .to(users::erase)
        .reply::<CommandReply>(200)
        .keyed(),
        Endpoint::post(
            "/v1/sessions",
            "Log in: an opaque bearer token (rate-limited per account and address pair, per \
             address, and per account).",
        )
        .policy(Policy::session(Who::Anyone))
        .to(sessions::login)
        .body::<sessions::LoginBody>()
        .example(json!({"user_id": "ada", "password": "correct-horse-battery"}))
        .reply::<sessions::SessionReply>(201),
        Endpoint::delete("/v1/sessions/current", "Log out: revoke this token.")
            .policy(Policy::session(Who::AnyUser))
            .to(sessions::logout)
            .empty(204),
    ]
}

fn contents() -> Vec<Endpoint> {
    const CREATOR: Policy = Policy::write(Who::AnyUser).note("the item's creator");
    vec![
        Endpoint::post("/v1/contents", "Draft a new article, course or column.")
            .policy(Policy::write(Who::AnyRole(&[Role::Creator])))
            .to(commands::draft)
            .body::<commands::DraftBody>()
            .example(json!({
                "id": "rust-101", "kind": "course", "title": "Rust in 10 lessons",
                "summary": "From ownership to async.", "body": {"text": "Lesson one."},
                "tags": ["rust"], "language": "en"
            }))
            .creates("id", "id")
            .reply::<CommandReply>(201)
            .keyed(),
        Endpoint::get(
            "/v1/contents",
            "The catalog: filter by tag, kind, language, price range and creator; sort by newest, \
             rating, sales or relevance; full-text search with `q` (title, summary, tags; English \
             and Chinese; the last word also matches as a prefix); cursor pages.",
        )
        .to(reads::list)
        .query::<reads::ListQuery>()
        .reply::<reads::PageView>(200),
        Endpoint::get(
            "/v1/contents/{id}",
            "One item: published ones to everyone, drafts to their creator, admins and auditors; \
             the body only to those who may read it (creator, owners, members, admins, auditors).",
        )
        .to(reads::read)
        .query::<reads::ReadQuery>()
        .reply::<reads::DetailView>(200),
        Endpoint::patch(
            "/v1/contents/{id}",
            "Edit a draft (never after the first publishing).",
        )
        .policy(CREATOR)
        .to(commands::edit)
        .body::<commands::EditBody>()
        .example(json!({"title": "Rust in 12 lessons"}))
        .reply::<CommandReply>(200)
        .keyed()
        .conditional(),
        Endpoint::put(
            "/v1/contents/{id}/price",
            "Set the price future purchases pay (at most `Money::MAX_MINOR_UNITS` minor units of \
             a known ISO 4217 currency; 422 `price-out-of-range` otherwise).",
        )
        .policy(CREATOR)
        .to(commands::set_price)
        .body::<commands::PriceBody>()
        .example(json!({"amount_cents": 9900, "currency": "CNY"}))
        .reply::<CommandReply>(200)
        .keyed()
        .conditional(),
        Endpoint::post(
            "/v1/contents/{id}/publish",
            "Publish: needs a title, a body and a price, and with \
             `models.require_verification_to_publish` a verification of the current text scoring \
             at least `models.min_verification_score_bps` (409 `verification-required` otherwise).",
        )
        .policy(CREATOR)
        .to(commands::publish)
        .reply::<CommandReply>(200)
        .keyed()
        .conditional(),
        Endpoint::post(
            "/v1/contents/{id}/unpublish",
            "Hide a published item; owners keep it.",
        )
        .policy(CREATOR)
        .to(commands::unpublish)
        .reply::<CommandReply>(200)
        .keyed()
        .conditional(),
        Endpoint::post(
            "/v1/contents/{id}/retire",
            "Withdraw an item for good; owners keep it.",
        )
        .policy(CREATOR)
        .to(commands::retire)
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
        .policy(ANY_WRITER.note("the item's creator or an admin"))
        .to(verify::verify)
        .body::<verify::VerifyBody>()
        .example(json!({"images": []}))
        .reply::<verify::VerifyReply>(200),
        Endpoint::post(
            "/v1/contents/{id}/drafts:generate",
            "Generate a draft with the language model: `text/event-stream` of `token` events \
             (`{\"text\"}`), then `done` (a `GenerateDone`, recorded as \
             `ContentDraftGenerated`) or `error` (a problem). Greedy decoding (temperature 0) is \
             deterministic. 503 `models-unavailable` / `models-overloaded` (with `Retry-After`).",
        )
        .policy(CREATOR)
        .to(generate::generate)
        .body::<generate::GenerateBody>()
        .example(json!({"prompt": "An outline of lesson three", "max_tokens": 64}))
        .text("text/event-stream"),
    ]
}

fn engagement() -> Vec<Endpoint> {
    const OWNER: Policy = Policy::write(Who::AnyUser)
        .note("owners of the item (a live purchase) and members of a plan covering its creator");
    vec![
        Endpoint::post(
            "/v1/contents/{id}/purchases",
            "Buy an item: one entitlement per buyer, never charged twice; the sale is split \
             between creator, platform and partner by the shares in force.",
        )
        .policy(ANY_WRITER.note("not the item's creator"))
        .to(commands::purchase)
        .creates("purchase_id", "purchase_id")
        .reply::<CommandReply>(201)
        .keyed(),
        Endpoint::post(
            "/v1/contents/{id}/purchases/{purchase_id}/refund",
            "Refund a purchase within the refund window: the entitlement ends, the ledger entries are reversed.",
        )
        .policy(ANY_WRITER.note("the buyer"))
        .to(commands::refund)
        .reply::<CommandReply>(200)
        .keyed(),
        Endpoint::put("/v1/contents/{id}/rating", "Rate 1–5 (one rating per user; a new one replaces it).")
            .policy(OWNER)
            .to(commands::rate)
            .body::<commands::RatingBody>()
            .example(json!({"stars": 5}))
            .reply::<CommandReply>(200)
            .keyed(),
        Endpoint::put("/v1/contents/{id}/review", "Write or replace a review.")
            .policy(OWNER)
            .to(commands::review)
            .body::<commands::ReviewBody>()
            .example(json!({"text": "Clear and practical."}))
            .reply::<CommandReply>(200)
            .keyed(),
        Endpoint::post(
            "/v1/contents/{id}/check-ins",
            "Check in on a course today (打卡); streaks are derived.",
        )
        .policy(OWNER)
        .to(commands::check_in)
        .body::<commands::CheckInBody>()
        .example(json!({"note": "Lesson two done"}))
        .reply::<CommandReply>(201)
        .keyed(),
        Endpoint::post(
            "/v1/contents/{id}/comments",
            "Comment, reply, or ask a question on a published item.",
        )
        .policy(ANY_WRITER)
        .to(commands::comment)
        .body::<commands::CommentBody>()
        .example(json!({"text": "Is lesson four out?", "is_question": true}))
        .creates("comment_id", "comment_id")
        .reply::<CommandReply>(201)
        .keyed(),
        Endpoint::post(
            "/v1/contents/{id}/comments/{comment_id}/answer",
            "Mark a reply as the answer to a question.",
        )
        .policy(ANY_WRITER.note("the item's creator"))
        .to(commands::mark_answer)
        .body::<commands::AnswerBody>()
        .example(json!({"answer_id": "c-0190a1b2c3d4e5f6"}))
        .reply::<CommandReply>(200)
        .keyed(),
        Endpoint::get(
            "/v1/contents/{id}/reviews",
            "An item's reviews, each with the rating its writer gives (null: not rated), newest \
             first (a rewritten review moves to the front); `next_after` as `after` continues. \
             For whoever may see the item (404 otherwise, as `GET /v1/contents/{id}`).",
        )
        .to(discussions::reviews)
        .query::<discussions::DiscussionQuery>()
        .reply::<discussions::ReviewPage>(200),
        Endpoint::get(
            "/v1/contents/{id}/comments",
            "An item's comment threads, newest first: each first comment with every reply \
             (oldest first, each naming its parent); questions say whether they are `answered` \
             and by which `answer_id`; `next_after` as `after` continues. For whoever may see \
             the item (404 otherwise).",
        )
        .to(discussions::comments)
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
        .policy(SELF_OR_OVERSIGHT)
        .to(library::read)
        .query::<library::LibraryQuery>()
        .reply::<library::LibraryResponse>(200),
        Endpoint::get(
            "/v1/creators/{id}/dashboard",
            "A creator's sales, revenue, refunds and ratings per day over a period (`from`, `to`: YYYY-MM-DD).",
        )
        .policy(SELF_OR_OVERSIGHT)
        .to(dashboard::read)
        .query::<dashboard::DashboardQuery>()
        .reply::<dashboard::DashboardResponse>(200),
    ]
}

fn membership() -> Vec<Endpoint> {
    const PLAN_OWNER: Policy = Policy::write(Who::AnyUser).note("the plan's creator, admins");
    vec![
        Endpoint::post(
            "/v1/plans",
            "Offer a membership plan (period, price): creators for themselves, admins for the platform.",
        )
        .policy(Policy::write(Who::AnyRole(&[Role::Creator, Role::Admin])).note(
            "creators offer their own plans, admins platform plans",
        ))
        .to(memberships::commands::offer)
        .body::<memberships::views::OfferBody>()
        .example(json!({
            "id": "gold", "title": "Gold", "period_days": 30,
            "price": {"amount_cents": 3000, "currency": "CNY"}
        }))
        .creates("id", "id")
        .reply::<CommandReply>(201)
        .keyed(),
        Endpoint::get("/v1/plans", "Membership plans, filtered by owner, in pages.")
            .to(memberships::reads::list)
            .query::<memberships::reads::ListQuery>()
            .reply::<memberships::views::PlanPage>(200),
        Endpoint::get("/v1/plans/{id}", "One membership plan.")
            .to(memberships::reads::read)
            .query::<memberships::reads::ReadQuery>()
            .reply::<memberships::views::PlanView>(200),
        Endpoint::put(
            "/v1/plans/{id}/price",
            "Change a plan's price: applies from the next payment (new member or renewal).",
        )
        .policy(PLAN_OWNER)
        .to(memberships::commands::change_price)
        .body::<memberships::views::MoneyBody>()
        .example(json!({"amount_cents": 2500, "currency": "CNY"}))
        .reply::<CommandReply>(200)
        .keyed(),
        Endpoint::post(
            "/v1/plans/{id}/withdraw",
            "Withdraw a plan: no new members, no renewals; paid periods run out.",
        )
        .policy(PLAN_OWNER)
        .to(memberships::commands::withdraw)
        .reply::<CommandReply>(200)
        .keyed(),
        Endpoint::get("/v1/plans/{id}/members", "A plan's memberships.")
            .policy(Policy::read(Who::AnyUser).note("the plan's creator, admins, auditors"))
            .to(memberships::reads::members)
            .query::<memberships::reads::ReadQuery>()
            .reply::<memberships::views::MembershipList>(200),
        Endpoint::post(
            "/v1/plans/{id}/subscriptions",
            "Join a plan and pay the first period; renewals and expiry follow the clock.",
        )
        .policy(Policy::write(Who::AnyRole(&[Role::Learner])))
        .to(memberships::commands::subscribe)
        .reply::<CommandReply>(201)
        .keyed(),
        Endpoint::post(
            "/v1/plans/{id}/subscriptions/{user}/cancel",
            "Stop renewing: access stays until the paid period ends.",
        )
        .policy(ANY_WRITER.note("the member, admins"))
        .to(memberships::commands::cancel)
        .reply::<CommandReply>(200)
        .keyed(),
        Endpoint::get(
            "/v1/users/{id}/memberships",
            "A user's memberships with status, access, period and payments.",
        )
        .policy(SELF_OR_OVERSIGHT)
        .to(memberships::reads::memberships_of)
        .query::<memberships::reads::ReadQuery>()
        .reply::<memberships::views::MembershipList>(200),
        Endpoint::get(
            "/v1/users/{id}/memberships/coverage",
            "Whether the user's memberships cover a creator's content now.",
        )
        .policy(SELF_OR_OVERSIGHT)
        .to(memberships::reads::coverage)
        .query::<memberships::reads::CoverageQuery>()
        .reply::<memberships::views::CoverageView>(200),
    ]
}

fn partnership() -> Vec<Endpoint> {
    vec![
        Endpoint::post(
            "/v1/partners",
            "Register a partner platform, its account (a user with role partner) and its revenue share.",
        )
        .policy(ADMIN_WRITE)
        .to(partners::commands::register)
        .body::<partners::views::RegisterPartnerBody>()
        .example(json!({"id": "p1", "name": "Partner One", "user_id": "pat", "share_bps": 1000}))
        .creates("id", "id")
        .reply::<CommandReply>(201)
        .keyed(),
        Endpoint::get("/v1/partners/{id}", "A partner platform and its current share.")
            .policy(Policy::read(Who::AnyUser).note("the partner's account, admins, auditors"))
            .to(partners::reads::read)
            .reply::<partners::views::PartnerView>(200),
        Endpoint::put(
            "/v1/partners/{id}/share",
            "Change a partner's revenue share (future sales only).",
        )
        .policy(ADMIN_WRITE)
        .to(partners::commands::change_share)
        .body::<partners::views::ShareBody>()
        .example(json!({"share_bps": 1500}))
        .reply::<CommandReply>(200)
        .keyed(),
        Endpoint::post(
            "/v1/partners/{id}/suspend",
            "Suspend a partner: no more imports; its items stay on sale.",
        )
        .policy(ADMIN_WRITE)
        .to(partners::commands::suspend)
        .body::<partners::views::SuspendBody>()
        .example(json!({"reason": "unpaid invoices"}))
        .reply::<CommandReply>(200)
        .keyed(),
        Endpoint::post("/v1/partners/{id}/reinstate", "Lift a suspension.")
            .policy(ADMIN_WRITE)
            .to(partners::commands::reinstate)
            .reply::<CommandReply>(200)
            .keyed(),
        Endpoint::post(
            "/v1/partners/{id}/catalog",
            "Import catalog items in bulk (thousands per call), each validated on its own; the \
             answer lists every item's result. Re-importing an item is an idempotent upsert. The \
             caller is checked before the body is read; items are parsed one by one and the \
             import stops at `partner_import_max_items` (413 `import-too-large`).",
        )
        .policy(
            Policy::write(Who::AnyRole(&[Role::Partner, Role::Admin]))
                .note("the partner's account, admins"),
        )
        .to(partners::import::import)
        .body::<partners::views::CatalogBody>()
        .example(json!({"items": [{
            "external_id": "x1", "kind": "article", "title": "Imported", "body": {"text": "Text."},
            "language": "en", "price": {"amount_cents": 500, "currency": "CNY"}
        }]}))
        .reply::<partners::views::ImportReply>(200),
    ]
}

/// Outsourcing up to the award: vendors' profiles, requirements, bids.
fn tendering() -> Vec<Endpoint> {
    use requirements::{commands as rc, reads as rr, views as rv};
    const CLIENT: &[Role] = &[Role::Client];
    const VENDOR: &[Role] = &[Role::Vendor];
    let bid_example = json!({
        "price": {"amount_cents": 3_000_000, "currency": "CNY"}, "delivery_days": 30,
        "proposal": "We built three payment gateways in Rust.",
        "milestones": [
            {"title": "Design", "amount_cents": 1_000_000, "due_day": 7},
            {"title": "Delivery", "amount_cents": 2_000_000, "due_day": 30}
        ]
    });
    vec![
        Endpoint::put(
            "/v1/vendors/{id}",
            "Set (replace) a vendor's public profile: skills, team size, capacity (most \
             concurrent contracts, 1–100), hourly rate, portfolio, languages, content items its \
             members published.",
        )
        .policy(
            Policy::write(Who::PathUserOr(ADMIN))
                .note("`{id}` must hold the vendor role (404 `vendor-not-found` otherwise)"),
        )
        .to(vendors::commands::set_profile)
        .body::<vendors::views::ProfileBody>()
        .example(json!({
            "skills": ["rust", "postgres"], "team_size": 8, "capacity": 3,
            "hourly_rate": {"amount_cents": 30_000, "currency": "CNY"},
            "portfolio": "Payment systems for three banks.", "languages": ["en", "zh"],
            "content_ids": []
        }))
        .reply::<CommandReply>(200)
        .keyed()
        .conditional(),
        Endpoint::get(
            "/v1/vendors/{id}",
            "A vendor's public profile with its reputation and load (as `/reputation` answers).",
        )
            .to(vendors::reads::read)
            .query::<vendors::reads::ReadQuery>()
            .reply::<vendors::views::VendorView>(200),
        Endpoint::post(
            "/v1/requirements",
            "Post a requirement: title, description, skills, budget range, delivery deadline, \
             bidding window, visibility (public, invited vendors only, or sealed bids).",
        )
        .policy(Policy::write(Who::AnyRole(CLIENT)))
        .to(rc::post)
        .body::<rv::PostBody>()
        .example(json!({
            "id": "pay-gw", "title": "Payment gateway", "description": "A gateway for WeChat Pay and cards.",
            "skills": ["rust", "payments"],
            "budget": {"min_cents": 2_000_000, "max_cents": 5_000_000, "currency": "CNY"},
            "deadline_days": 60, "bidding_days": 14, "visibility": "public"
        }))
        .creates("id", "id")
        .reply::<CommandReply>(201)
        .keyed(),
        Endpoint::get(
            "/v1/requirements",
            "Requirements (open ones by default): full-text search with `q` (title, description, \
             skills; English and Chinese; the last word also matches as a prefix), filter by \
             skill, budget and status, sort by newest, budget, closing or relevance; cursor \
             pages. Invited-only requirements are listed to their client, their invited vendors, \
             admins and auditors.",
        )
        .to(rr::list)
        .query::<rr::ListQuery>()
        .reply::<rv::RequirementPageView>(200),
        Endpoint::get(
            "/v1/requirements/{id}",
            "One requirement (an invited-only one answers 404 to anyone but its client, its \
             invited vendors, admins and auditors).",
        )
        .to(rr::read)
        .query::<rr::ReadQuery>()
        .reply::<rv::RequirementView>(200),
        Endpoint::patch(
            "/v1/requirements/{id}",
            "Edit a requirement while no bid was ever placed; after that only `deadline_days` and \
             `bidding_days` may change, and only grow (409 `requirement-conflict`).",
        )
        .policy(Policy::write(Who::AnyRole(CLIENT)).note("the requirement's client"))
        .to(rc::edit)
        .body::<rv::PatchBody>()
        .example(json!({"bidding_days": 21}))
        .reply::<CommandReply>(200)
        .keyed()
        .conditional(),
        Endpoint::post(
            "/v1/requirements/{id}/cancel",
            "Cancel a requirement that is not awarded: every live bid is released.",
        )
        .policy(
            Policy::write(Who::AnyRole(&[Role::Client, Role::Admin]))
                .note("the requirement's client, admins"),
        )
        .to(rc::cancel)
        .body::<rv::CancelBody>()
        .example(json!({"reason": "budget moved to next year"}))
        .reply::<CommandReply>(200)
        .keyed()
        .conditional(),
        Endpoint::post(
            "/v1/requirements/{id}/bids",
            "Bid while bidding is open: one live bid per vendor; milestone amounts add up to the \
             price (422 `milestones-mismatch`); the price in the budget's currency within the \
             money rules. A vendor whose awarded work fills its capacity may bid, marked \
             `at_capacity`.",
        )
        .policy(Policy::write(Who::AnyRole(VENDOR)).note(
            "a vendor with a profile, not the requirement's client; only invited vendors on an \
             invited-only requirement",
        ))
        .to(rc::bid)
        .body::<rv::BidBody>()
        .example(bid_example.clone())
        .creates("vendor_id", "vendor_id")
        .reply::<CommandReply>(201)
        .keyed(),
        Endpoint::get(
            "/v1/requirements/{id}/bids",
            "A requirement's bids as the caller may see them: all with amounts for public and \
             invited-only ones and after an award; while a sealed one is not awarded, its client \
             sees every bid with amounts, admins and auditors every bid without amounts, a vendor \
             only its own, anyone else none. With `rank=true` (the client; admins and auditors \
             unless the amounts are sealed from them) the live bids are also scored p_ij in [0, 1] \
             with every part shown (semantic fit, skills, price, delivery, reputation, load), \
             best first; without the model workers the semantic part is left out and the answer \
             says why.",
        )
        .to(rr::bids)
        .query::<rr::BidsQuery>()
        .reply::<rv::BidsView>(200),
        Endpoint::get(
            "/v1/requirements/{id}/vendors",
            "Vendors to invite: those with a profile who have not bid (nor the client itself), \
             scored in [0, 1] by semantic fit of their portfolio to the requirement, skills, \
             reputation and load, with every part shown, best first (`k`, default 10). The \
             best 100 by the other parts are embedded; without the model workers the semantic \
             part is left out and the answer says why.",
        )
        .policy(
            Policy::read(Who::AnyRole(&[Role::Client, Role::Admin, Role::Auditor]))
                .note("the requirement's client, admins, auditors"),
        )
        .to(rr::vendors)
        .query::<rr::VendorsQuery>()
        .reply::<super::requirements::ranking::SuggestionsView>(200),
        Endpoint::put(
            "/v1/requirements/{id}/bids/{vendor_id}",
            "Revise a live bid while bidding is open.",
        )
        .policy(Policy::write(Who::AnyRole(VENDOR)).note("the bid's vendor"))
        .to(rc::revise)
        .body::<rv::BidBody>()
        .example(bid_example)
        .reply::<CommandReply>(200)
        .keyed()
        .conditional(),
        Endpoint::delete(
            "/v1/requirements/{id}/bids/{vendor_id}",
            "Withdraw a live bid while bidding is open.",
        )
        .policy(
            Policy::write(Who::AnyRole(&[Role::Vendor, Role::Admin]))
                .note("the bid's vendor, admins"),
        )
        .to(rc::withdraw)
        .reply::<CommandReply>(200)
        .keyed()
        .conditional(),
        Endpoint::post(
            "/v1/requirements/{id}/award",
            "Award the requirement to a live bid: answers 201 with `contract_id` (the \
             requirement's id); every other live bid is declined. Of two racing awards exactly \
             one wins; the other gets 409 `requirement-conflict`.",
        )
        .policy(Policy::write(Who::AnyRole(CLIENT)).note("the requirement's client"))
        .to(rc::award)
        .body::<rv::AwardBody>()
        .example(json!({"vendor_id": "acme-dev"}))
        .creates_at("/v1/contracts", "id", "contract_id")
        .reply::<CommandReply>(201)
        .keyed()
        .conditional(),
    ]
}

fn revenue() -> Vec<Endpoint> {
    vec![
        Endpoint::get(
            "/v1/creators/{id}/statement",
            "A creator's payout statement: opening balance, ledger entries in [from, to), closing balance.",
        )
        .policy(SELF_OR_OVERSIGHT)
        .to(ledger::creator)
        .query::<ledger::StatementQuery>()
        .reply::<ledger::StatementView>(200),
        Endpoint::get(
            "/v1/partners/{id}/statement",
            "A partner's revenue-share statement over [from, to).",
        )
        .policy(Policy::read(Who::AnyUser).note("the partner's account, admins, auditors"))
        .to(ledger::partner)
        .query::<ledger::StatementQuery>()
        .reply::<ledger::StatementView>(200),
        Endpoint::get(
            "/v1/ledger/platform",
            "The platform's own ledger account over [from, to).",
        )
        .policy(OVERSIGHT_READ)
        .to(ledger::platform)
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
        .policy(Policy::read(Who::PathUserOr(ADMIN)))
        .to(recommendations::for_user)
        .query::<recommendations::RecommendationsQuery>()
        .reply::<recommendations::RecommendationsView>(200),
        Endpoint::get(
            "/v1/contents/{id}/similar",
            "Items closest to a published item by cosine of their factor vectors.",
        )
        .to(recommendations::similar)
        .query::<recommendations::SimilarQuery>()
        .reply::<recommendations::SimilarView>(200),
        Endpoint::get(
            "/v1/admin/recommender",
            "The recommender: published model version, its parameters and metrics, training state, \
             interactions since the last run.",
        )
        .policy(OVERSIGHT_READ)
        .to(recommendations::status)
        .query::<recommendations::StatusQuery>()
        .reply::<recommendations::RecommenderStatusView>(200),
        Endpoint::post(
            "/v1/admin/recommender:train",
            "Train now (off the HTTP workers) and answer the model version published.",
        )
        .policy(ADMIN_WRITE)
        .to(recommendations::train)
        .reply::<recommendations::ModelView>(200),
    ]
}

fn admin() -> Vec<Endpoint> {
    vec![
        Endpoint::get(
            "/v1/admin/clock",
            "Read the clock commands are stamped with.",
        )
        .policy(OVERSIGHT_READ)
        .to(clock::read)
        .reply::<clock::ClockReading>(200),
        Endpoint::post(
            "/v1/admin/clock",
            "Move a manual clock (settings `manual_clock`); runs due renewals and expiries. \
             Times are checked: the clock stays within years 1970–9999.",
        )
        .policy(ADMIN_WRITE)
        .to(clock::moved)
        .body::<clock::MoveClock>()
        .example(json!({"advance_secs": 86400}))
        .reply::<clock::ClockReading>(200),
    ]
}

/// Outsourcing after the award: contracts, milestone escrow, disputes,
/// reviews, vendors' reputation and statements.
fn contracting() -> Vec<Endpoint> {
    const CLIENT: Policy =
        Policy::write(Who::AnyRole(&[Role::Client])).note("the contract's client");
    const VENDOR: Policy =
        Policy::write(Who::AnyRole(&[Role::Vendor])).note("the contract's vendor");
    const PARTY: Policy = Policy::write(Who::AnyRole(&[Role::Client, Role::Vendor]))
        .note("the contract's client or vendor");
    vec![
        Endpoint::get(
            "/v1/contracts/{id}",
            "An outsourcing contract (its id is the awarded requirement's): the parties, the \
             price, each milestone's stage and escrow (funded, released, refunded, held), the \
             escrow over all milestones, the reviews.",
        )
        .policy(Policy::read(Who::AnyUser).note("the contract's client and vendor, admins, auditors"))
        .to(contracts::reads::read)
        .query::<contracts::reads::ReadQuery>()
        .reply::<contracts::views::ContractView>(200),
        Endpoint::post(
            "/v1/contracts/{id}/milestones/{index}/fund",
            "Fund a milestone (index from 0): its amount goes into escrow.",
        )
        .policy(CLIENT)
        .to(contracts::commands::fund)
        .reply::<CommandReply>(200)
        .keyed()
        .conditional(),
        Endpoint::post(
            "/v1/contracts/{id}/milestones/{index}/submit",
            "Submit a funded milestone's work; unanswered for `auto_accept_days` it is accepted \
             automatically.",
        )
        .policy(VENDOR)
        .to(contracts::commands::submit)
        .body::<contracts::views::SubmitBody>()
        .example(json!({"note": "Staging build: https://staging.example.org"}))
        .reply::<CommandReply>(200)
        .keyed()
        .conditional(),
        Endpoint::post(
            "/v1/contracts/{id}/milestones/{index}/accept",
            "Accept a submitted milestone: its escrow is released to the vendor minus \
             `outsourcing_fee_bps`; the last settled milestone completes the contract.",
        )
        .policy(CLIENT)
        .to(contracts::commands::accept)
        .reply::<CommandReply>(200)
        .keyed()
        .conditional(),
        Endpoint::post(
            "/v1/contracts/{id}/milestones/{index}/request-changes",
            "Send a submitted milestone back: in progress again, its money still in escrow.",
        )
        .policy(CLIENT)
        .to(contracts::commands::request_changes)
        .body::<contracts::views::ReasonBody>()
        .example(json!({"reason": "The export misses the totals row."}))
        .reply::<CommandReply>(200)
        .keyed()
        .conditional(),
        Endpoint::post(
            "/v1/contracts/{id}/milestones/{index}/dispute",
            "Dispute a submitted milestone: no acceptance (nor automatic acceptance) until an \
             admin resolves it.",
        )
        .policy(PARTY)
        .to(contracts::commands::dispute)
        .body::<contracts::views::ReasonBody>()
        .example(json!({"reason": "Half of the screens are missing."}))
        .reply::<CommandReply>(200)
        .keyed()
        .conditional(),
        Endpoint::post(
            "/v1/contracts/{id}/milestones/{index}/resolve",
            "Resolve a dispute with a split: `vendor_cents` of the escrow to the vendor (the fee \
             applies), the rest refunded to the client (422 `split-out-of-range` above the \
             milestone's amount).",
        )
        .policy(ADMIN_WRITE)
        .to(contracts::commands::resolve)
        .body::<contracts::views::ResolveBody>()
        .example(json!({"vendor_cents": 150000, "note": "Half of the work was delivered."}))
        .reply::<CommandReply>(200)
        .keyed()
        .conditional(),
        Endpoint::post(
            "/v1/contracts/{id}/reviews",
            "Review the other side once the contract is complete (quality, communication, \
             timeliness 1–5; 422 `rating-out-of-range` otherwise); feeds the reviewee's reputation.",
        )
        .policy(PARTY)
        .to(contracts::commands::review)
        .body::<contracts::views::ReviewBody>()
        .example(json!({"quality": 5, "communication": 4, "timeliness": 5, "text": "On time."}))
        .reply::<CommandReply>(201)
        .keyed(),
        Endpoint::get(
            "/v1/vendors/{id}/reputation",
            "A vendor's reputation — the Bayesian average of the reviews it received (prior \
             `reputation_prior_mean` weighted as `reputation_prior_weight` reviews, so one \
             5-star review does not beat fifty 4.8s) — and its load (open contracts).",
        )
        .to(contracts::reads::reputation)
        .query::<contracts::reads::ReadQuery>()
        .reply::<contracts::views::ReputationView>(200),
        Endpoint::get(
            "/v1/vendors/{id}/statement",
            "A vendor's payout statement: released milestones (after the platform's fee) over \
             [from, to).",
        )
        .policy(SELF_OR_OVERSIGHT)
        .to(ledger::vendor)
        .query::<ledger::StatementQuery>()
        .reply::<ledger::StatementView>(200),
    ]
}

/// What auditors read: the history, its integrity, checkpoints.
fn auditing() -> Vec<Endpoint> {
    vec![
        Endpoint::get(
            "/v1/audit/events",
            "The event history (`$all`) in global order, each event with its metadata and its \
             payload as JSON (sealed personal fields as `[sealed]`), filtered by type, stream \
             prefix and time; a page ends after `limit` matches or 10000 events looked at, \
             `next_position` continues it. `Accept: application/x-ndjson` streams every event \
             up to the head instead, one per line. Every call is recorded as `AuditLogRead` on \
             `audit-{caller}`.",
        )
        .policy(OVERSIGHT_READ)
        .to(audit::events)
        .query::<audit::EventsQuery>()
        .reply::<audit::EventPage>(200)
        .or_text(audit::NDJSON),
        Endpoint::get(
            "/v1/audit/streams/{stream}",
            "One stream's events in version order (an unknown stream reads as empty); \
             `next_version` continues. `Accept: application/x-ndjson` streams them all. Recorded \
             as `AuditLogRead` on `audit-{caller}`.",
        )
        .policy(OVERSIGHT_READ)
        .to(audit::stream)
        .query::<audit::StreamQuery>()
        .reply::<audit::StreamPage>(200)
        .or_text(audit::NDJSON),
        Endpoint::get(
            "/v1/audit/checkpoints/latest",
            "The head's position and chain hash, signed now with the server's Ed25519 key \
             (`audit_signing_key_file`): keep it outside the system and prove later, offline, \
             that the log up to there was not rewritten (`agora verify --checkpoint FILE`). \
             Recorded as `AuditLogRead`.",
        )
        .policy(OVERSIGHT_READ)
        .to(integrity::latest)
        .reply::<crate::checkpoint::Checkpoint>(200),
        Endpoint::get(
            "/v1/audit/verify",
            "Walk the hash chain from `from` (trusting `prev_hash` as the hash before it) over \
             at most 100000 records and report the first break; `next_position` and \
             `last_hash` continue the walk. Recorded as `AuditLogRead`.",
        )
        .policy(OVERSIGHT_READ)
        .to(integrity::verify)
        .query::<integrity::VerifyQuery>()
        .reply::<integrity::VerifyReport>(200),
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

    #[test]
    fn every_row_is_served_by_a_handler() {
        let missing: Vec<String> = endpoints()
            .iter()
            .filter(|e| e.route.is_none())
            .map(|e| format!("{} {}", e.method.key(), e.path))
            .collect();
        assert!(missing.is_empty(), "rows without a handler: {missing:?}");
    }

    /// A route that changes state must say so: the policy of every
    /// non-GET row other than logging in and out is a write, which
    /// auditors never pass.
    #[test]
    fn every_mutating_route_is_a_write_that_auditors_cannot_call() {
        use super::super::policy::Effect;
        for endpoint in endpoints() {
            let session = endpoint.path.starts_with("/v1/sessions");
            match (endpoint.method, session) {
                (openapi::Method::Get, _) => {
                    assert_eq!(endpoint.policy.effect, Effect::Read, "{}", endpoint.path);
                }
                (_, true) => assert_eq!(endpoint.policy.effect, Effect::Session),
                (_, false) => assert_eq!(
                    endpoint.policy.effect,
                    Effect::Write,
                    "{} {}",
                    endpoint.method.key(),
                    endpoint.path
                ),
            }
        }
    }

    /// The `METHOD /path` routes the README's endpoint table names (a row
    /// may name several: `` `POST /v1/contents/{id}/publish`, `/unpublish` ``
    /// is a sibling of the previous path; queries and `[...]` are dropped).
    fn readme_routes() -> BTreeSet<(String, String)> {
        let readme = std::fs::read_to_string(repo_file("README.md")).expect("README.md");
        let table = readme
            .split("### HTTP endpoints")
            .nth(1)
            .expect("the README has an HTTP endpoints section");
        let mut routes = BTreeSet::new();
        for line in table.lines().skip_while(|l| !l.starts_with('|')) {
            if !line.starts_with('|') {
                break;
            }
            let first = line.split('|').nth(1).unwrap_or_default();
            let mut last: Option<(String, String)> = None;
            for code in first.split('`').skip(1).step_by(2) {
                let clean = |p: &str| {
                    p.split(['?', '['])
                        .next()
                        .unwrap_or_default()
                        .trim()
                        .to_owned()
                };
                let route = match code.split_once(' ') {
                    Some((method, path)) if method.chars().all(|c| c.is_ascii_uppercase()) => {
                        (method.to_lowercase(), clean(path))
                    }
                    _ if code.starts_with('/') => match &last {
                        Some((method, path)) => {
                            let parent = path.rsplit_once('/').map_or("", |(p, _)| p);
                            (method.clone(), format!("{parent}{}", clean(code)))
                        }
                        None => continue,
                    },
                    _ => continue,
                };
                routes.insert(route.clone());
                last = Some(route);
            }
        }
        routes
    }

    #[test]
    fn the_readme_lists_exactly_the_routes_of_the_table() {
        let table: BTreeSet<(String, String)> = endpoints()
            .iter()
            .map(|e| (e.method.key().to_owned(), e.path.to_owned()))
            .collect();
        let readme = readme_routes();
        let undocumented: Vec<_> = table.difference(&readme).collect();
        let stale: Vec<_> = readme.difference(&table).collect();
        assert!(
            undocumented.is_empty() && stale.is_empty(),
            "routes missing from the README: {undocumented:?}; README rows without a route: {stale:?}"
        );
    }

    #[test]
    fn every_body_has_an_example_and_every_creation_links_onward() {
        let document: serde_json::Value =
            serde_json::from_str(openapi_text()).expect("the document is JSON");
        for endpoint in endpoints() {
            let operation = &document["paths"][endpoint.path][endpoint.method.key()];
            if let Some(body) = operation.get("requestBody") {
                assert!(
                    body["content"]["application/json"].get("example").is_some(),
                    "{} {} has no example body",
                    endpoint.method.key(),
                    endpoint.path
                );
            }
        }
        for (path, method, target) in [
            ("/v1/contents", "post", "post_contents_by_id_publish"),
            (
                "/v1/contents/{id}/purchases",
                "post",
                "post_contents_by_id_purchases_by_purchase_id_refund",
            ),
            ("/v1/plans", "post", "post_plans_by_id_subscriptions"),
            ("/v1/partners", "post", "post_partners_by_id_catalog"),
            (
                "/v1/contents/{id}/comments",
                "post",
                "post_contents_by_id_comments_by_comment_id_answer",
            ),
        ] {
            let responses = &document["paths"][path][method]["responses"];
            let link = responses
                .as_object()
                .and_then(|r| r.values().find_map(|v| v["links"].get(target)));
            assert!(link.is_some(), "{method} {path} does not link to {target}");
        }
    }
}
