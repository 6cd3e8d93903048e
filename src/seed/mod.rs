//! `agora seed`: realistic demo data made through the same services the
//! HTTP handlers call (`UserService`, `ContentService`), so every rule,
//! event, projection and ledger entry is the real one.
//!
//! [`plan`] decides everything up front from the seed (pure); this module
//! carries the plan out on a manual clock: the users register and the
//! items are published on the first morning, then each day's commands run
//! concurrently (at most `concurrency` in flight), stamped across the day
//! from 08:00 to 22:00 UTC, over the `days` days before today. Every
//! command carries an idempotency key derived from the seed, so running
//! the same seed again on the same data replays instead of writing.

mod outsourcing;
mod plan;
mod words;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use agora_actors::aggregate::{CommandError, Executed};
use agora_actors::content::{Content, ContentServiceError, Request};
use agora_actors::user::{Registration, UserError, UserServiceError};
use agora_events::domain::user::{PersonalDetails, Role};
use agora_events::{EventMetadata, Timestamp};
use futures::StreamExt as _;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use uuid::Uuid;

use crate::demo::DEMO_PASSWORD;
use crate::domain::Domain;
use plan::{Action, PlannedItem, PlannedUser, Step};
pub(crate) use plan::{Plan, Spec};

/// Microseconds in a day.
const DAY_MICROS: i64 = 86_400_000_000;
/// When each seeded day's activity starts (08:00 UTC), from midnight.
const DAY_OPENS_MICROS: i64 = 8 * 3_600_000_000;
/// How long each seeded day's activity lasts (until 22:00 UTC).
const DAY_LENGTH_MICROS: i64 = 14 * 3_600_000_000;
/// How long to wait for the read models to apply the last seeded event.
const CATCH_UP_WAIT: Duration = Duration::from_secs(120);
/// Refusals quoted in the report.
const QUOTED_REFUSALS: usize = 5;
/// The `actor_id` of the registrations (the users act as themselves after).
const SEED_ACTOR: &str = "agora-seed";

/// What the seed did.
#[derive(Debug, Default, Serialize)]
pub(crate) struct SeedReport {
    /// The seed.
    pub(crate) seed: u64,
    /// Users in the plan.
    pub(crate) users: usize,
    /// Of which creators.
    pub(crate) creators: usize,
    /// Content items in the plan.
    pub(crate) contents: usize,
    /// Days the engagement spans.
    pub(crate) days: u32,
    /// Engagement commands accepted, by kind.
    pub(crate) purchases: u64,
    /// Refunds accepted.
    pub(crate) refunds: u64,
    /// Ratings accepted.
    pub(crate) ratings: u64,
    /// Reviews accepted.
    pub(crate) reviews: u64,
    /// Check-ins accepted.
    pub(crate) check_ins: u64,
    /// Comments, questions and answers accepted.
    pub(crate) comments: u64,
    /// Outsourcing: clients and vendors registered (the demo ones aside).
    pub(crate) outsourcing_users: u64,
    /// Vendor profiles set.
    pub(crate) vendor_profiles: u64,
    /// Requirements posted (public, invited-only and sealed).
    pub(crate) requirements: u64,
    /// Bids placed.
    pub(crate) bids: u64,
    /// Commands sent (registrations, item set-up and engagement).
    pub(crate) commands: u64,
    /// Commands that wrote events.
    pub(crate) written: u64,
    /// Commands accepted that changed nothing (a rating equal to the
    /// current one).
    pub(crate) unchanged: u64,
    /// Commands answered from an earlier run (same seed, same data).
    pub(crate) replayed: u64,
    /// Registrations of users that already existed under another key.
    pub(crate) existing: u64,
    /// Commands refused; 0 on fresh data.
    pub(crate) refused: u64,
    /// The first refusals, quoted.
    pub(crate) refusals: Vec<String>,
    /// Wall-clock seconds.
    pub(crate) seconds: f64,
    /// Commands per second.
    pub(crate) commands_per_second: f64,
    /// A learner to log in as (password `demo-password`) and what they own.
    pub(crate) example: Option<Example>,
}

/// A learner who can log in, and the items they own after the seed.
#[derive(Debug, Serialize)]
pub(crate) struct Example {
    /// User id.
    pub(crate) user_id: String,
    /// Their password.
    pub(crate) password: &'static str,
    /// Item ids they own.
    pub(crate) owns: Vec<String>,
}

/// How a command ended.
enum Outcome {
    /// Accepted: `replayed` if it repeated an earlier run; `id` is a new
    /// purchase or comment id.
    Done {
        replayed: bool,
        position: Option<u64>,
        id: Option<String>,
    },
    /// The user existed already (registered without this key).
    Existing,
    /// Refused, with the reason.
    Refused(String),
}

/// Carries `plan` out on `domain`, whose clock must be manual.
pub(crate) async fn run(
    domain: &Domain,
    plan: &Plan,
    spec: &Spec,
    concurrency: usize,
) -> anyhow::Result<SeedReport> {
    if !domain.clock.is_manual() {
        anyhow::bail!("seeding needs a manual clock");
    }
    let started = Instant::now();
    let mut run = Run {
        domain,
        plan,
        concurrency: concurrency.max(1),
        report: SeedReport {
            seed: spec.seed,
            users: plan.users.len(),
            creators: plan
                .users
                .iter()
                .filter(|u| u.role == Role::Creator)
                .count(),
            contents: plan.items.len(),
            days: spec.days,
            ..SeedReport::default()
        },
        progress: progress_bar(plan),
        ids: HashMap::new(),
        last_position: None,
    };
    let today = domain.clock.now().0.div_euclid(DAY_MICROS);
    let first_day = today - i64::from(spec.days);
    let opens = |day: i64| Timestamp(day * DAY_MICROS + DAY_OPENS_MICROS);
    domain.clock.set(opens(first_day));
    run.users().await;
    run.items().await;
    for (day, steps) in plan.days.iter().enumerate() {
        let day = day as i64;
        domain.clock.set(opens(first_day + day));
        run.progress
            .set_message(format!("day {}/{}", day + 1, spec.days));
        run.day(steps).await;
    }
    run.outsourcing(spec.seed).await;
    run.progress.finish_and_clear();
    run.catch_up().await;
    let mut report = run.report;
    report.seconds = started.elapsed().as_secs_f64();
    report.commands_per_second = if report.seconds > 0.0 {
        report.commands as f64 / report.seconds
    } else {
        0.0
    };
    report.example = example(plan);
    Ok(report)
}

fn progress_bar(plan: &Plan) -> ProgressBar {
    let total = plan.users.len() + plan.items.len() * 3 + plan.steps();
    let bar = ProgressBar::new(total as u64);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} commands ({per_sec}, eta {eta}) {msg}",
    ) {
        bar.set_style(style);
    }
    bar
}

/// The learner with a password who owns the most, from the plan.
fn example(plan: &Plan) -> Option<Example> {
    let mut owns: HashMap<usize, Vec<usize>> = HashMap::new();
    for step in plan.days.iter().flatten() {
        match &step.action {
            Action::Purchase { user, item } => owns.entry(*user).or_default().push(*item),
            Action::Refund { user, item, .. } => {
                owns.entry(*user).or_default().retain(|i| i != item);
            }
            _ => {}
        }
    }
    let (user, items) = owns
        .into_iter()
        .filter(|(user, _)| plan.users[*user].password)
        .max_by_key(|(user, items)| (items.len(), std::cmp::Reverse(*user)))?;
    Some(Example {
        user_id: plan.users[user].id.clone(),
        password: DEMO_PASSWORD,
        owns: items
            .iter()
            .filter_map(|&i| plan.items[i].draft.id.clone())
            .collect(),
    })
}

/// The state of a seeding run.
struct Run<'a> {
    domain: &'a Domain,
    plan: &'a Plan,
    concurrency: usize,
    report: SeedReport,
    progress: ProgressBar,
    /// Purchase and comment ids by the key of the step that made them.
    ids: HashMap<Uuid, String>,
    last_position: Option<u64>,
}

impl Run<'_> {
    fn record(&mut self, outcome: Outcome) -> bool {
        self.report.commands += 1;
        self.progress.inc(1);
        match outcome {
            Outcome::Done {
                replayed, position, ..
            } => {
                if replayed {
                    self.report.replayed += 1;
                } else if position.is_some() {
                    self.report.written += 1;
                } else {
                    self.report.unchanged += 1;
                }
                self.last_position = self.last_position.max(position);
                true
            }
            Outcome::Existing => {
                self.report.existing += 1;
                true
            }
            Outcome::Refused(why) => {
                self.report.refused += 1;
                if self.report.refusals.len() < QUOTED_REFUSALS {
                    self.report.refusals.push(why);
                }
                false
            }
        }
    }

    async fn users(&mut self) {
        self.progress.set_message("registering users");
        let domain = self.domain;
        let mut results = futures::stream::iter(self.plan.users.iter())
            .map(|user| register(domain, user))
            .buffer_unordered(self.concurrency);
        let mut outcomes = Vec::new();
        while let Some(outcome) = results.next().await {
            outcomes.push(outcome);
        }
        drop(results);
        for outcome in outcomes {
            self.record(outcome);
        }
    }

    async fn items(&mut self) {
        self.progress.set_message("publishing items");
        let (domain, plan) = (self.domain, self.plan);
        let mut results = futures::stream::iter(plan.items.iter())
            .map(|item| publish(domain, plan, item))
            .buffer_unordered(self.concurrency);
        let mut outcomes = Vec::new();
        while let Some(three) = results.next().await {
            outcomes.extend(three);
        }
        drop(results);
        for outcome in outcomes {
            self.record(outcome);
        }
    }

    async fn day(&mut self, steps: &[Step]) {
        let (domain, plan) = (self.domain, self.plan);
        let stride = DAY_LENGTH_MICROS / (steps.len() as i64 + 1);
        let ids = &self.ids;
        let mut results = futures::stream::iter(steps.iter())
            .map(|step| {
                domain
                    .clock
                    .advance(Duration::from_micros(stride.unsigned_abs()));
                async move { (step, engage(domain, plan, ids, step).await) }
            })
            .buffer_unordered(self.concurrency);
        let mut outcomes = Vec::with_capacity(steps.len());
        while let Some(done) = results.next().await {
            outcomes.push(done);
        }
        drop(results);
        for (step, outcome) in outcomes {
            if let Outcome::Done { id: Some(id), .. } = &outcome {
                self.ids.insert(step.key, id.clone());
            }
            if self.record(outcome) {
                let counter = match step.action {
                    Action::Purchase { .. } => &mut self.report.purchases,
                    Action::Refund { .. } => &mut self.report.refunds,
                    Action::Rate { .. } => &mut self.report.ratings,
                    Action::Review { .. } => &mut self.report.reviews,
                    Action::CheckIn { .. } => &mut self.report.check_ins,
                    Action::Comment { .. } => &mut self.report.comments,
                };
                *counter += 1;
            }
        }
    }

    /// The outsourcing part (see [`outsourcing`]): clients and vendors,
    /// profiles, then requirements, then bids, each stage concurrently.
    async fn outsourcing(&mut self, seed: u64) {
        self.progress.set_message("outsourcing");
        let plan = outsourcing::plan(seed);
        let domain = self.domain;
        let outcomes: Vec<Outcome> = futures::stream::iter(plan.users.iter())
            .map(|user| register(domain, user))
            .buffer_unordered(self.concurrency)
            .collect()
            .await;
        for outcome in outcomes {
            if self.record(outcome) {
                self.report.outsourcing_users += 1;
            }
        }
        // The vendor role is read from the users view: let it see them.
        if let Some(position) = self.last_position
            && !domain.users.view().wait_for(position, CATCH_UP_WAIT).await
        {
            tracing::warn!(
                position,
                "the users view did not reach the seeded vendors in time"
            );
        }
        let outcomes: Vec<Outcome> = futures::stream::iter(plan.profiles.iter())
            .map(|p| async move {
                let request = outsourcing::request(&p.vendor, p.key);
                let set = domain
                    .vendors
                    .set_profile(&p.vendor, p.profile.clone(), false, &request)
                    .await;
                keyed(&p.vendor, "vendor profile", set)
            })
            .buffer_unordered(self.concurrency)
            .collect()
            .await;
        for outcome in outcomes {
            if self.record(outcome) {
                self.report.vendor_profiles += 1;
            }
        }
        let outcomes: Vec<Outcome> = futures::stream::iter(plan.requirements.iter())
            .map(|r| async move {
                let request = outsourcing::request(&r.client, r.key);
                let id = r.new.id.clone().unwrap_or_default();
                let posted = domain
                    .requirements
                    .post(r.new.clone(), &request)
                    .await
                    .map(|(_, executed)| executed);
                keyed(&id, "requirement", posted)
            })
            .buffer_unordered(self.concurrency)
            .collect()
            .await;
        for outcome in outcomes {
            if self.record(outcome) {
                self.report.requirements += 1;
            }
        }
        let outcomes: Vec<Outcome> = futures::stream::iter(plan.bids.iter())
            .map(|b| async move {
                let request = outsourcing::request(&b.vendor, b.key);
                let placed = domain
                    .requirements
                    .bid(&b.requirement, b.bid.clone(), &request)
                    .await;
                keyed(&b.requirement, "bid", placed)
            })
            .buffer_unordered(self.concurrency)
            .collect()
            .await;
        for outcome in outcomes {
            if self.record(outcome) {
                self.report.bids += 1;
            }
        }
    }

    /// Waits until the read models applied the last seeded event, so their
    /// snapshots (written when the domain stops) include everything.
    async fn catch_up(&self) {
        let Some(position) = self.last_position else {
            return;
        };
        let users = self.domain.users.view().wait_for(position, CATCH_UP_WAIT);
        let catalog = self
            .domain
            .contents
            .catalog()
            .wait_for(position, CATCH_UP_WAIT);
        let (users, catalog) = futures::join!(users, catalog);
        if !(users && catalog) {
            tracing::warn!(
                position,
                "the read models did not reach the last seeded event in time; they catch up at the next start"
            );
        }
    }
}

async fn register(domain: &Domain, user: &PlannedUser) -> Outcome {
    let registration = Registration {
        id: Some(user.id.clone()),
        display_name: user.display_name.clone(),
        roles: vec![user.role],
        personal: PersonalDetails {
            email: format!("{}@seed.agora.example", user.id),
            real_name: Some(user.display_name.clone()),
            phone: None,
        },
        password: user.password.then(|| DEMO_PASSWORD.to_owned()),
    };
    let metadata = EventMetadata {
        actor_id: Some(SEED_ACTOR.into()),
        ..EventMetadata::default()
    };
    match domain
        .users
        .register(registration, Some(user.key), metadata)
        .await
    {
        Ok((_, executed)) => Outcome::Done {
            replayed: executed.replayed,
            position: executed.position,
            id: None,
        },
        Err(UserServiceError::Command(CommandError::Domain(UserError::AlreadyRegistered))) => {
            Outcome::Existing
        }
        Err(e) => Outcome::Refused(format!("registering {}: {e}", user.id)),
    }
}

/// Drafts, prices and publishes one item, in order; stops at a refusal.
async fn publish(domain: &Domain, plan: &Plan, item: &PlannedItem) -> Vec<Outcome> {
    let id = item.draft.id.clone().unwrap_or_default();
    let creator = &plan.users[item.creator].id;
    let request = |key: Uuid| Request {
        idempotency_key: Some(key),
        ..Request::by(creator.as_str())
    };
    let contents = &domain.contents;
    let mut outcomes = Vec::with_capacity(3);
    let drafted = contents
        .draft(item.draft.clone(), &request(item.keys[0]))
        .await
        .map(|(_, executed)| executed);
    outcomes.push(outcome(&id, "draft", drafted, None));
    if matches!(outcomes[0], Outcome::Refused(_)) {
        return outcomes;
    }
    let priced = contents
        .set_price(&id, item.price.clone(), &request(item.keys[1]))
        .await;
    outcomes.push(outcome(&id, "price", priced, None));
    if matches!(outcomes[1], Outcome::Refused(_)) {
        return outcomes;
    }
    let published = contents.publish(&id, None, &request(item.keys[2])).await;
    outcomes.push(outcome(&id, "publish", published, None));
    outcomes
}

fn outcome(
    item: &str,
    what: &str,
    result: Result<Executed<Content>, ContentServiceError>,
    id: Option<String>,
) -> Outcome {
    match result {
        Ok(executed) => Outcome::Done {
            replayed: executed.replayed,
            position: executed.position,
            id,
        },
        Err(e) => Outcome::Refused(format!("{what} on {item}: {e}")),
    }
}

/// How a keyed command on `id` (`what` it was) ended.
fn keyed<A: agora_actors::aggregate::Aggregate>(
    id: &str,
    what: &str,
    result: Result<Executed<A>, impl std::fmt::Display>,
) -> Outcome {
    match result {
        Ok(executed) => Outcome::Done {
            replayed: executed.replayed,
            position: executed.position,
            id: None,
        },
        Err(e) => Outcome::Refused(format!("{what} on {id}: {e}")),
    }
}

/// The id of item `item`.
fn item_id(plan: &Plan, item: usize) -> &str {
    plan.items[item].draft.id.as_deref().unwrap_or_default()
}

/// Runs one engagement step as its user.
async fn engage(domain: &Domain, plan: &Plan, ids: &HashMap<Uuid, String>, step: &Step) -> Outcome {
    let contents = &domain.contents;
    let request = |user: usize| Request {
        idempotency_key: Some(step.key),
        ..Request::by(plan.users[user].id.as_str())
    };
    match &step.action {
        Action::Purchase { user, item } => {
            match contents
                .purchase(item_id(plan, *item), &request(*user))
                .await
            {
                Ok((purchase_id, executed)) => outcome(
                    item_id(plan, *item),
                    "purchase",
                    Ok(executed),
                    Some(purchase_id),
                ),
                Err(e) => outcome(item_id(plan, *item), "purchase", Err(e), None),
            }
        }
        Action::Refund {
            user,
            item,
            purchase,
        } => {
            let Some(purchase_id) = ids.get(purchase) else {
                return Outcome::Refused(format!(
                    "refund on {}: its purchase was not recorded",
                    item_id(plan, *item)
                ));
            };
            let refunded = contents
                .refund(item_id(plan, *item), purchase_id, &request(*user))
                .await;
            outcome(item_id(plan, *item), "refund", refunded, None)
        }
        Action::Rate { user, item, stars } => {
            let rated = contents
                .rate(item_id(plan, *item), *stars, None, &request(*user))
                .await;
            outcome(item_id(plan, *item), "rating", rated, None)
        }
        Action::Review { user, item, text } => {
            let reviewed = contents
                .review(
                    item_id(plan, *item),
                    (*text).to_owned(),
                    None,
                    &request(*user),
                )
                .await;
            outcome(item_id(plan, *item), "review", reviewed, None)
        }
        Action::CheckIn { user, item, note } => {
            let checked = contents
                .check_in(
                    item_id(plan, *item),
                    Some((*note).to_owned()),
                    None,
                    &request(*user),
                )
                .await;
            outcome(item_id(plan, *item), "check-in", checked, None)
        }
        Action::Comment {
            user,
            item,
            text,
            question,
            parent,
        } => {
            let parent_id = match parent {
                Some(key) => match ids.get(key) {
                    Some(id) => Some(id.clone()),
                    None => {
                        return Outcome::Refused(format!(
                            "reply on {}: its question was not recorded",
                            item_id(plan, *item)
                        ));
                    }
                },
                None => None,
            };
            match contents
                .comment(
                    item_id(plan, *item),
                    (*text).to_owned(),
                    parent_id,
                    *question,
                    &request(*user),
                )
                .await
            {
                Ok((comment_id, executed)) => outcome(
                    item_id(plan, *item),
                    "comment",
                    Ok(executed),
                    Some(comment_id),
                ),
                Err(e) => outcome(item_id(plan, *item), "comment", Err(e), None),
            }
        }
    }
}
