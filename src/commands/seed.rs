//! `agora seed`: open the store, start the domain on a manual clock, make
//! the demo users of `serve --demo` and then the seeded world (see
//! [`crate::seed`]), wait for the read models, close the store and print
//! one line of counts and throughput (or the report as JSON).

use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;

use super::{bulk_load_settings, finish_bulk_load};
use crate::bench::grouped;
use crate::cli::StoreArgs;
use crate::config::Settings;
use crate::domain::Domain;
use crate::seed::{self, Plan, SeedReport, Spec};
use crate::store;

/// `agora seed`.
#[derive(Debug, Args)]
pub(crate) struct SeedArgs {
    #[command(flatten)]
    pub(crate) store: StoreArgs,

    /// Users to register (5 % creators, the rest learners).
    #[arg(long, default_value_t = 1000)]
    pub(crate) users: usize,

    /// Content items to publish (articles, courses and columns, in English
    /// and Chinese).
    #[arg(long, default_value_t = 200)]
    pub(crate) contents: usize,

    /// Engagement commands (purchases, ratings, reviews, check-ins,
    /// comments, refunds) after the items are published.
    #[arg(long, default_value_t = 20_000)]
    pub(crate) events: usize,

    /// Seed of every choice: the same seed gives the same data.
    #[arg(long, default_value_t = 42)]
    pub(crate) seed: u64,

    /// Days before today the engagement is spread over.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub(crate) days: u32,

    /// Learners who get the password `demo-password` (every creator does);
    /// the others are registered without one, since hashing a password
    /// (argon2id) is slow on purpose.
    #[arg(long, default_value_t = 20)]
    pub(crate) logins: usize,

    /// Commands in flight at once.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) concurrency: u32,

    /// Print the report as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Seeds the store in `settings.data_dir`. Exit status 1 when a command
/// was refused (data seeded before with another seed, for instance).
pub(crate) fn run(settings: &Settings, args: &SeedArgs) -> anyhow::Result<ExitCode> {
    let spec = Spec {
        users: args.users,
        contents: args.contents,
        events: args.events,
        seed: args.seed,
        days: args.days,
        logins: args.logins,
    };
    let plan = Plan::new(&spec)?;
    let store = store::open(settings)?;
    // Seeded history happens in the past: the services read a manual clock
    // that the seed moves day by day.
    // A bulk load: the recommender trains when the server starts.
    let settings = Settings {
        manual_clock: true,
        ..bulk_load_settings(settings)
    };
    let report = actix_web::rt::System::new().block_on(async {
        let domain = Domain::start(&settings, Arc::new(store))?;
        crate::demo::seed(&domain).await?;
        let report = seed::run(&domain, &plan, &spec, args.concurrency as usize).await;
        drop(domain);
        report
    })?;
    finish_bulk_load(
        args.json,
        &report,
        summary,
        report.refused,
        &report.refusals,
    )
}

/// The final line (and a hint to log in, when there is a learner who can).
fn summary(r: &SeedReport) -> String {
    let mut text = format!(
        "seeded {} users ({} creators), {} items and {} engagement commands \
         ({} purchases, {} refunds, {} ratings, {} reviews, {} check-ins, {} comments) \
         over {} days: {} commands ({} written, {} unchanged, {} replayed, {} refused) in {:.1} s, {} commands/s",
        grouped(r.users as f64),
        grouped(r.creators as f64),
        grouped(r.contents as f64),
        grouped(
            (r.purchases + r.refunds + r.ratings + r.reviews + r.check_ins + r.comments) as f64
        ),
        grouped(r.purchases as f64),
        grouped(r.refunds as f64),
        grouped(r.ratings as f64),
        grouped(r.reviews as f64),
        grouped(r.check_ins as f64),
        grouped(r.comments as f64),
        r.days,
        grouped(r.commands as f64),
        grouped(r.written as f64),
        grouped(r.unchanged as f64),
        grouped(r.replayed as f64),
        grouped(r.refused as f64),
        r.seconds,
        grouped(r.commands_per_second),
    );
    text.push_str(&format!(
        "\noutsourcing: {} clients and vendors, {} vendor profiles, {} requirements (public, \
         invited-only, sealed), {} bids; log in as demo-client or demo-vendor",
        r.outsourcing_users, r.vendor_profiles, r.requirements, r.bids
    ));
    if let Some(example) = &r.example {
        text.push_str(&format!(
            "\nlog in as {} (password {}), who owns {} items",
            example.user_id,
            example.password,
            example.owns.len()
        ));
    }
    text
}
