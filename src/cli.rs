//! The command line: every subcommand, its flags and their help text.
//!
//! Flags that are also settings (`--data-dir`, `--listen`) are optional here
//! and become the top layer of the configuration (see [`crate::config`]), so
//! a flag beats the environment, which beats the file, which beats the
//! default.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::Overrides;

/// Agora: an event-sourced marketplace backend for paid knowledge and
/// technology outsourcing.
#[derive(Debug, Parser)]
#[command(
    name = "agora",
    version,
    args_override_self = true,
    after_help = "Settings: defaults <- TOML file (--config, else ./agora.toml if present) \
                  <- AGORA_* environment variables (nested with __, e.g. AGORA_LOG__SEGMENT_BYTES) \
                  <- command-line flags. Logging: RUST_LOG, else the log_level setting \
                  (AGORA_LOG_LEVEL); logs go to stderr."
)]
pub(crate) struct Cli {
    /// TOML configuration file [default: ./agora.toml if it exists].
    #[arg(long, global = true, value_name = "FILE", env = "AGORA_CONFIG")]
    pub(crate) config: Option<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the HTTP server on the embedded event store.
    ///
    /// Prints `listening on http://ADDR` on stdout once the socket is bound
    /// (port 0 picks a free port). Endpoints: GET /healthz, /readyz, /metrics.
    /// Stops gracefully on SIGINT or SIGTERM, then closes the store.
    Serve(ServeArgs),

    /// Walk the hash chain of the event log and report the first break.
    ///
    /// Opening the store runs recovery (a record failing its checksum in the
    /// middle of the log is reported as a break). Exit status: 0 if the
    /// chain is intact, 2 if it is broken, 1 if the check could not run.
    /// The last hash printed is the auditor's next checkpoint: pass it with
    /// --prev-hash and the next position with --from to continue later.
    Verify(VerifyArgs),

    /// Print what opening the store found (recovery report) and its
    /// counters, as JSON.
    Info(StoreArgs),

    /// Rebuild every projection (read model) from the event log alone.
    ///
    /// With --check, only compare: each projection's saved snapshot must be
    /// byte-identical to the rebuild at the snapshot's checkpoint (exit 2 if
    /// one differs). Without it, the snapshots are replaced by the rebuilds.
    /// The server must be stopped (the store's lock ensures it).
    Replay(ReplayArgs),

    /// Administration: `agora admin create` makes an administrator.
    #[command(subcommand)]
    Admin(AdminCommand),

    /// Print the effective configuration (defaults, file, environment and
    /// flags merged) as JSON.
    Config(ConfigArgs),

    /// Measure the event store: append flood, read flood, open time.
    #[command(subcommand)]
    Bench(BenchCommand),

    /// Create realistic demo data through the normal command path: users
    /// (mostly learners, some creators), published items of every kind,
    /// and engagement with power-law popularity (purchases, ratings,
    /// reviews, daily check-ins on courses, comments, some refunds),
    /// laid out over the past --days days. The same --seed gives the same
    /// data; seeding again with the same seed adds nothing. The server
    /// must be stopped (the store's lock).
    Seed(crate::commands::seed::SeedArgs),
    /// Train the recommender offline on a MovieLens-format file and rank a
    /// held-out file: precision@k, recall@k, NDCG@k and MAP@k for ALS and
    /// for the popularity baseline side by side, plus the fit time.
    Eval(crate::commands::eval::EvalArgs),
    /// Import data through the normal command path: `agora import ratings
    /// --format movielens FILE` turns each rating row into a purchase and a
    /// rating (users `ml-u<ID>`, items `ml-i<ID>`); re-running writes
    /// nothing new.
    #[command(subcommand)]
    Import(crate::commands::import::ImportCommand),
}

impl Command {
    /// The settings given as flags to this subcommand.
    pub(crate) fn overrides(&self) -> Overrides {
        let store = |args: &StoreArgs| Overrides {
            data_dir: args.data_dir.clone(),
            listen: None,
        };
        match self {
            Self::Serve(args) => Overrides {
                data_dir: args.store.data_dir.clone(),
                listen: args.listen.clone(),
            },
            Self::Verify(args) => store(&args.store),
            Self::Info(args) => store(args),
            Self::Replay(args) => store(&args.store),
            Self::Admin(AdminCommand::Create(args)) => store(&args.store),
            Self::Config(args) => Overrides {
                data_dir: args.store.data_dir.clone(),
                listen: args.listen.clone(),
            },
            Self::Bench(bench) => bench.store_args().map(store).unwrap_or_default(),
            Self::Seed(args) => store(&args.store),
            Self::Eval(_) => Overrides::default(),
            Self::Import(import) => store(import.store_args()),
        }
    }
}

/// Where the event store lives.
#[derive(Clone, Debug, Args)]
pub(crate) struct StoreArgs {
    /// Data directory of the embedded event store [setting: data_dir, default ./data].
    #[arg(long, value_name = "DIR")]
    pub(crate) data_dir: Option<PathBuf>,
}

/// `agora serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    pub(crate) store: StoreArgs,

    /// Address to listen on [setting: listen, default 127.0.0.1:8080].
    #[arg(long, value_name = "HOST:PORT")]
    pub(crate) listen: Option<String>,

    /// Seed demo data before serving (users `demo-learner`,
    /// `demo-creator`, `demo-vendor`, `demo-client`, password
    /// `demo-password`); already seeded data is left as it is.
    #[arg(long)]
    pub(crate) demo: bool,
}

/// `agora verify`.
#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    #[command(flatten)]
    pub(crate) store: StoreArgs,

    /// Global position to start from.
    #[arg(long, value_name = "POSITION", default_value_t = 0)]
    pub(crate) from: u64,

    /// Trusted hash of the record before --from (64 hex digits), from an
    /// earlier run. Without it, a walk from 0 starts at the genesis hash and
    /// a walk from elsewhere trusts the first record's link.
    #[arg(long, value_name = "HEX", value_parser = crate::hex::parse_hash)]
    pub(crate) prev_hash: Option<[u8; 32]>,

    /// A signed checkpoint (the JSON of `GET /v1/audit/checkpoints/latest`)
    /// to prove the log up to its position was not rewritten since: its
    /// signature must verify and the record at its position must carry
    /// its chain hash.
    #[arg(long, value_name = "FILE")]
    pub(crate) checkpoint: Option<std::path::PathBuf>,

    /// The Ed25519 public key (64 hex digits) the checkpoint must be
    /// signed by; without it, the key the checkpoint names.
    #[arg(long, value_name = "HEX", value_parser = crate::hex::parse_hash, requires = "checkpoint")]
    pub(crate) public_key: Option<[u8; 32]>,

    /// Print the report as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `agora replay`.
#[derive(Debug, Args)]
pub(crate) struct ReplayArgs {
    #[command(flatten)]
    pub(crate) store: StoreArgs,

    /// Compare with the saved snapshots instead of replacing them.
    #[arg(long)]
    pub(crate) check: bool,
}

/// `agora admin ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum AdminCommand {
    /// Create an administrator (the only way to get the admin role). The
    /// password is read from AGORA_ADMIN_PASSWORD, else from the first line
    /// of standard input. The server must be stopped (the store's lock).
    Create(AdminCreateArgs),
}

/// `agora admin create`.
#[derive(Debug, Args)]
pub(crate) struct AdminCreateArgs {
    #[command(flatten)]
    pub(crate) store: StoreArgs,

    /// The admin's user id (1–64 of A-Z a-z 0-9 _ - . :).
    #[arg(long)]
    pub(crate) id: String,

    /// The admin's public name.
    #[arg(long)]
    pub(crate) display_name: String,

    /// The admin's e-mail (stored encrypted).
    #[arg(long)]
    pub(crate) email: String,

    /// Create an auditor instead (reads and replays everything, writes
    /// nothing): the only way to get the auditor role.
    #[arg(long)]
    pub(crate) auditor: bool,
}

/// `agora config`.
#[derive(Debug, Args)]
pub(crate) struct ConfigArgs {
    #[command(flatten)]
    pub(crate) store: StoreArgs,

    /// Address to listen on.
    #[arg(long, value_name = "HOST:PORT")]
    pub(crate) listen: Option<String>,
}

/// `agora bench ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum BenchCommand {
    /// Append flood in the spirit of EventStoreDB's WRFL: concurrent clients,
    /// each appending batches one after another (expected version: any),
    /// round-robin over streams. Every acknowledgement is durable (after
    /// fdatasync). Prints events/s, appends/s and latency percentiles.
    Write(WriteArgs),

    /// Read flood: read all of `$all` (or subscribe to it until the head)
    /// and report events/s and MB/s.
    Read(ReadArgs),

    /// Time opening the store (recovery scan and index rebuild).
    Open(OpenArgs),

    /// Load a running server over HTTP with a mixed workload (by default
    /// 70 % reads, 30 % commands) from keep-alive connections; prints
    /// requests/s and latency percentiles per class and operation.
    Http(crate::bench::http::HttpArgs),

    /// The factorizer at scale on synthetic power-law data (default 1M
    /// users × 100k items × 50M interactions): seconds per ALS iteration,
    /// peak memory (VmHWM), top-k latency p50/p99. Needs no store.
    Recommender(crate::bench::recommender::RecommenderArgs),

    /// The exact global assignment (min-cost flow) on a synthetic tender
    /// (default 2,000 requirements × 500 vendors × 20 bids each, capacities
    /// 1–5): median solve time, optimum, greedy total and gap. Needs no
    /// store.
    Assignment(crate::bench::assignment::AssignmentArgs),

    /// Ranking one requirement's bids (default 200) with real embeddings:
    /// latency cold and with every embedding cached. Needs the models.
    Ranking(crate::bench::ranking::RankingArgs),
}

impl BenchCommand {
    fn store_args(&self) -> Option<&StoreArgs> {
        match self {
            Self::Write(args) => Some(&args.store),
            Self::Read(args) => Some(&args.store),
            Self::Open(args) => Some(&args.store),
            Self::Http(_) | Self::Recommender(_) | Self::Assignment(_) | Self::Ranking(_) => None,
        }
    }
}

/// `agora bench write`.
#[derive(Clone, Debug, Args)]
pub(crate) struct WriteArgs {
    #[command(flatten)]
    pub(crate) store: StoreArgs,

    /// Concurrent writers.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) clients: u32,

    /// Appends each writer makes, one after another.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub(crate) requests_per_client: u64,

    /// Streams the appends go to, round-robin.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) streams: u64,

    /// Payload bytes of each event.
    #[arg(long, value_name = "BYTES", default_value_t = 256)]
    pub(crate) event_size: usize,

    /// Events in each append.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) batch_size: u32,

    /// Print the report as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `agora bench read`.
#[derive(Clone, Debug, Args)]
pub(crate) struct ReadArgs {
    #[command(flatten)]
    pub(crate) store: StoreArgs,

    /// Events per `read_all` page.
    #[arg(long, default_value_t = 4096, value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) max: u32,

    /// Read through `subscribe_all` (catch-up) until the head instead of
    /// paging with `read_all`.
    #[arg(long)]
    pub(crate) subscribe: bool,

    /// Concurrent readers, each paging through its own slice of `$all`
    /// (with `read_all` only).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..), conflicts_with = "subscribe")]
    pub(crate) readers: u32,

    /// Print the report as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `agora bench open`.
#[derive(Clone, Debug, Args)]
pub(crate) struct OpenArgs {
    #[command(flatten)]
    pub(crate) store: StoreArgs,

    /// Print the report as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn data_dir_and_listen_become_overrides() {
        let cli = Cli::parse_from([
            "agora",
            "serve",
            "--data-dir",
            "/d",
            "--listen",
            "0.0.0.0:1",
        ]);
        let overrides = cli.command.overrides();
        assert_eq!(overrides.data_dir, Some(PathBuf::from("/d")));
        assert_eq!(overrides.listen.as_deref(), Some("0.0.0.0:1"));
    }

    #[test]
    fn a_repeated_flag_takes_the_last_value() {
        // `ops/run` passes `--data-dir ./data`; a user's own flag after it wins.
        let cli = Cli::parse_from(["agora", "serve", "--listen", "a:1", "--listen", "b:2"]);
        assert_eq!(cli.command.overrides().listen.as_deref(), Some("b:2"));
    }
}
