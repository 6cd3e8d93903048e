//! `agora import ratings --format movielens FILE`: turns a MovieLens-format
//! rating file into commands through the same services the HTTP handlers
//! call, so every rule, event and projection is the real one.
//!
//! User `U` becomes learner `ml-u<U>`, item `I` becomes article `ml-i<I>`
//! made and published by the creator `ml-catalog`; each row is a purchase
//! of the item by the user and their rating (rounded to 1–5 stars; when a
//! pair appears twice, the last row wins). Every command carries an
//! idempotency key derived from the row, so importing the same file again
//! writes nothing new. A progress bar runs on stderr; the summary with the
//! throughput goes to stdout.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use agora_actors::aggregate::{CommandError, Executed};
use agora_actors::content::{Content, ContentError, ContentServiceError, NewContent, Request};
use agora_actors::ids::idempotency_id;
use agora_actors::user::{Registration, UserError, UserServiceError};
use agora_events::EventMetadata;
use agora_events::domain::content::{Body, ContentKind, Money};
use agora_events::domain::user::{PersonalDetails, Role};
use clap::{Args, Subcommand, ValueEnum};
use futures::StreamExt as _;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use super::{bulk_load_settings, finish_bulk_load};
use crate::bench::grouped;
use crate::cli::StoreArgs;
use crate::config::Settings;
use crate::domain::Domain;
use crate::{movielens, store};

/// Scope of the idempotency keys of imported commands.
const KEY_SCOPE: &str = "agora import ratings";
/// The creator every imported item belongs to.
const CATALOG_CREATOR: &str = "ml-catalog";
/// Price of an imported item, in cents.
const ITEM_PRICE_CENTS: u64 = 100;
/// Refusals quoted in the report.
const QUOTED_REFUSALS: usize = 5;
/// How long to wait for the read models to apply the last imported event.
const CATCH_UP_WAIT: Duration = Duration::from_secs(120);

/// `agora import`.
#[derive(Debug, Subcommand)]
pub(crate) enum ImportCommand {
    /// Import ratings: each row becomes a purchase and a rating.
    Ratings(RatingsArgs),
}

impl ImportCommand {
    /// The store flags.
    pub(crate) fn store_args(&self) -> &StoreArgs {
        match self {
            Self::Ratings(args) => &args.store,
        }
    }
}

/// The formats `agora import ratings` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum RatingsFormat {
    /// `user item rating [timestamp]` rows, tab, comma or `::` separated,
    /// with or without a header line.
    Movielens,
}

/// `agora import ratings`.
#[derive(Debug, Args)]
pub(crate) struct RatingsArgs {
    #[command(flatten)]
    pub(crate) store: StoreArgs,

    /// The file's format.
    #[arg(long, value_enum, default_value_t = RatingsFormat::Movielens)]
    pub(crate) format: RatingsFormat,

    /// The rating file.
    pub(crate) file: PathBuf,

    /// Commands in flight at once.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) concurrency: u32,

    /// Print the report as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// What an import did.
#[derive(Debug, Default, Serialize)]
pub(crate) struct ImportReport {
    /// Rows read (distinct user–item pairs).
    pub(crate) rows: usize,
    /// Distinct users.
    pub(crate) users: usize,
    /// Distinct items.
    pub(crate) items: usize,
    /// Commands sent.
    pub(crate) commands: u64,
    /// Commands that wrote events.
    pub(crate) written: u64,
    /// Commands answered from an earlier import, or that found their
    /// result already there (user registered, item owned).
    pub(crate) replayed: u64,
    /// Commands accepted that changed nothing.
    pub(crate) unchanged: u64,
    /// Commands refused.
    pub(crate) refused: u64,
    /// The first refusals, quoted.
    pub(crate) refusals: Vec<String>,
    /// Wall-clock seconds.
    pub(crate) seconds: f64,
    /// Rows per second.
    pub(crate) rows_per_second: f64,
    /// Commands per second.
    pub(crate) commands_per_second: f64,
}

/// One row after de-duplication.
struct Row {
    user: String,
    item: String,
    stars: u8,
}

/// How a command ended.
enum Outcome {
    Written(Option<u64>),
    Replayed,
    Refused(String),
}

/// Runs `agora import`. Exit status 1 when a command was refused.
pub(crate) fn run(settings: &Settings, command: &ImportCommand) -> anyhow::Result<ExitCode> {
    let ImportCommand::Ratings(args) = command;
    let RatingsFormat::Movielens = args.format;
    let rows = rows(movielens::read(&args.file)?);
    let store = store::open(settings)?;
    let settings = bulk_load_settings(settings);
    let report = actix_web::rt::System::new().block_on(async {
        let domain = Domain::start(&settings, Arc::new(store))?;
        let report = import(&domain, &rows, args.concurrency as usize).await;
        drop(domain);
        Ok::<_, anyhow::Error>(report)
    })?;
    finish_bulk_load(
        args.json,
        &report,
        summary,
        report.refused,
        &report.refusals,
    )
}

/// The rows as imported: ids prefixed, ratings as stars, one per pair (the
/// last in the file), in file order of the pairs' first appearance.
fn rows(ratings: Vec<movielens::Rating>) -> Vec<Row> {
    let mut order: Vec<(String, String)> = Vec::new();
    let mut last: BTreeMap<(String, String), f32> = BTreeMap::new();
    for r in ratings {
        let pair = (format!("ml-u{}", r.user), format!("ml-i{}", r.item));
        if last.insert(pair.clone(), r.rating).is_none() {
            order.push(pair);
        }
    }
    order
        .into_iter()
        .map(|pair| {
            let rating = last.get(&pair).copied().unwrap_or(3.0);
            Row {
                stars: stars(rating),
                user: pair.0,
                item: pair.1,
            }
        })
        .collect()
}

/// A rating as whole stars, 1 to 5 (MovieLens has half stars and 0.5).
fn stars(rating: f32) -> u8 {
    if rating.is_finite() {
        rating.round().clamp(1.0, 5.0) as u8
    } else {
        3
    }
}

fn key(what: &str) -> uuid::Uuid {
    idempotency_id(KEY_SCOPE, what)
}

/// Sends every command of `rows` through `domain`.
async fn import(domain: &Domain, rows: &[Row], concurrency: usize) -> ImportReport {
    let started = Instant::now();
    let mut users: Vec<&str> = rows.iter().map(|r| r.user.as_str()).collect();
    users.sort_unstable();
    users.dedup();
    let mut items: Vec<&str> = rows.iter().map(|r| r.item.as_str()).collect();
    items.sort_unstable();
    items.dedup();
    let mut report = ImportReport {
        rows: rows.len(),
        users: users.len(),
        items: items.len(),
        ..ImportReport::default()
    };
    let total = 1 + users.len() + items.len() * 3 + rows.len() * 2;
    let progress = progress_bar(total as u64);
    let mut last_position = None;
    let mut record = |outcomes: Vec<Outcome>, report: &mut ImportReport| {
        for outcome in outcomes {
            report.commands += 1;
            progress.inc(1);
            match outcome {
                Outcome::Written(Some(position)) => {
                    report.written += 1;
                    last_position = last_position.max(Some(position));
                }
                Outcome::Written(None) => report.unchanged += 1,
                Outcome::Replayed => report.replayed += 1,
                Outcome::Refused(why) => {
                    report.refused += 1;
                    if report.refusals.len() < QUOTED_REFUSALS {
                        report.refusals.push(why);
                    }
                }
            }
        }
    };
    let concurrency = concurrency.max(1);
    progress.set_message("registering users");
    record(
        vec![register(domain, CATALOG_CREATOR, Role::Creator).await],
        &mut report,
    );
    let mut registered = futures::stream::iter(users.iter())
        .map(|user| register(domain, user, Role::Learner))
        .buffer_unordered(concurrency);
    while let Some(outcome) = registered.next().await {
        record(vec![outcome], &mut report);
    }
    drop(registered);
    progress.set_message("publishing items");
    let mut published = futures::stream::iter(items.iter())
        .map(|item| publish(domain, item))
        .buffer_unordered(concurrency);
    while let Some(outcomes) = published.next().await {
        record(outcomes, &mut report);
    }
    drop(published);
    progress.set_message("purchases and ratings");
    let mut engaged = futures::stream::iter(rows.iter())
        .map(|row| buy_and_rate(domain, row))
        .buffer_unordered(concurrency);
    while let Some(outcomes) = engaged.next().await {
        record(outcomes, &mut report);
    }
    drop(engaged);
    progress.finish_and_clear();
    if let Some(position) = last_position
        && !domain
            .recommender
            .interactions()
            .wait_for(position, CATCH_UP_WAIT)
            .await
    {
        tracing::warn!(
            position,
            "the interaction matrix did not reach the last imported event in time; it catches up at the next start"
        );
    }
    report.seconds = started.elapsed().as_secs_f64();
    if report.seconds > 0.0 {
        report.rows_per_second = report.rows as f64 / report.seconds;
        report.commands_per_second = report.commands as f64 / report.seconds;
    }
    report
}

fn progress_bar(total: u64) -> ProgressBar {
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} commands ({per_sec}, eta {eta}) {msg}",
    ) {
        bar.set_style(style);
    }
    bar
}

async fn register(domain: &Domain, id: &str, role: Role) -> Outcome {
    let registration = Registration {
        id: Some(id.to_owned()),
        display_name: id.to_owned(),
        roles: vec![role],
        personal: PersonalDetails {
            email: format!("{id}@import.agora.example"),
            real_name: None,
            phone: None,
        },
        password: None,
    };
    let metadata = EventMetadata {
        actor_id: Some(KEY_SCOPE.into()),
        ..EventMetadata::default()
    };
    match domain
        .users
        .register(registration, Some(key(&format!("user:{id}"))), metadata)
        .await
    {
        Ok((_, executed)) if executed.replayed => Outcome::Replayed,
        Ok((_, executed)) => Outcome::Written(executed.position),
        Err(UserServiceError::Command(CommandError::Domain(UserError::AlreadyRegistered))) => {
            Outcome::Replayed
        }
        Err(e) => Outcome::Refused(format!("registering {id}: {e}")),
    }
}

/// The outcome of a content command; `done_already` tells which refusal
/// means an earlier import did it.
fn outcome(
    what: &str,
    result: Result<Executed<Content>, ContentServiceError>,
    done_already: fn(&ContentError) -> bool,
) -> Outcome {
    match result {
        Ok(executed) if executed.replayed => Outcome::Replayed,
        Ok(executed) => Outcome::Written(executed.position),
        Err(ContentServiceError::Command(CommandError::Domain(e))) if done_already(&e) => {
            Outcome::Replayed
        }
        Err(e) => Outcome::Refused(format!("{what}: {e}")),
    }
}

/// Drafts, prices and publishes item `id`, in order; stops at a refusal.
async fn publish(domain: &Domain, id: &str) -> Vec<Outcome> {
    let request = |step: &str| Request {
        idempotency_key: Some(key(&format!("{step}:{id}"))),
        ..Request::by(CATALOG_CREATOR)
    };
    let contents = &domain.contents;
    let draft = NewContent {
        id: Some(id.to_owned()),
        kind: ContentKind::Article,
        title: format!("MovieLens item {}", id.trim_start_matches("ml-i")),
        summary: String::new(),
        body: Body::Text(format!("Imported MovieLens item {id}.")),
        tags: vec!["movielens".into()],
        language: "en".into(),
    };
    let drafted = contents
        .draft(draft, &request("draft"))
        .await
        .map(|(_, executed)| executed);
    let mut outcomes = vec![outcome(&format!("draft {id}"), drafted, |e| {
        matches!(e, ContentError::AlreadyDrafted)
    })];
    if matches!(outcomes[0], Outcome::Refused(_)) {
        return outcomes;
    }
    let price = Money {
        amount_cents: ITEM_PRICE_CENTS,
        currency: "CNY".into(),
    };
    let priced = contents.set_price(id, price, &request("price")).await;
    outcomes.push(outcome(&format!("price {id}"), priced, |_| false));
    if matches!(outcomes[1], Outcome::Refused(_)) {
        return outcomes;
    }
    // An operator's bulk load of rating data: its items carry no text to
    // verify, so the publish-requires-verification setting does not apply.
    let published = contents.publish(id, None, &request("publish")).await;
    outcomes.push(outcome(&format!("publish {id}"), published, |_| false));
    outcomes
}

/// The row's user buys the item, then rates it.
async fn buy_and_rate(domain: &Domain, row: &Row) -> Vec<Outcome> {
    let (user, item) = (row.user.as_str(), row.item.as_str());
    let contents = &domain.contents;
    let bought = contents
        .purchase(
            item,
            &Request {
                idempotency_key: Some(key(&format!("purchase:{user}:{item}"))),
                ..Request::by(user)
            },
        )
        .await
        .map(|(_, executed)| executed);
    let bought = outcome(&format!("purchase of {item} by {user}"), bought, |e| {
        matches!(e, ContentError::AlreadyOwned)
    });
    if matches!(bought, Outcome::Refused(_)) {
        return vec![bought];
    }
    let request = Request {
        idempotency_key: Some(key(&format!("rate:{user}:{item}:{}", row.stars))),
        ..Request::by(user)
    };
    let rated = contents.rate(item, row.stars, None, &request).await;
    vec![
        bought,
        outcome(&format!("rating of {item} by {user}"), rated, |_| false),
    ]
}

/// The final line.
fn summary(r: &ImportReport) -> String {
    format!(
        "imported {} ratings ({} users, {} items): {} commands ({} written, {} replayed, {} unchanged, {} refused) in {:.1} s, {} rows/s, {} commands/s",
        grouped(r.rows as f64),
        grouped(r.users as f64),
        grouped(r.items as f64),
        grouped(r.commands as f64),
        grouped(r.written as f64),
        grouped(r.replayed as f64),
        grouped(r.unchanged as f64),
        grouped(r.refused as f64),
        r.seconds,
        grouped(r.rows_per_second),
        grouped(r.commands_per_second),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rating(user: &str, item: &str, rating: f32) -> movielens::Rating {
        movielens::Rating {
            user: user.into(),
            item: item.into(),
            rating,
            timestamp: 0,
        }
    }

    #[test]
    fn repeated_pairs_keep_the_last_rating_and_stars_are_whole() {
        let rows = rows(vec![
            rating("1", "10", 4.0),
            rating("2", "10", 0.5),
            rating("1", "10", 2.4),
            rating("1", "11", 4.5),
        ]);
        let got: Vec<(&str, &str, u8)> = rows
            .iter()
            .map(|r| (r.user.as_str(), r.item.as_str(), r.stars))
            .collect();
        assert_eq!(
            got,
            [
                ("ml-u1", "ml-i10", 2),
                ("ml-u2", "ml-i10", 1),
                ("ml-u1", "ml-i11", 5)
            ]
        );
        assert_eq!(stars(f32::NAN), 3);
        assert_eq!(stars(9.0), 5);
    }
}
