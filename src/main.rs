//! # agora
//!
//! The Agora server and its operator tools, in one binary.
//!
//! - `agora serve`: the HTTP API on the embedded event store;
//! - `agora verify`: walk the store's hash chain, as an auditor would;
//! - `agora info`: what opening the store found, as JSON;
//! - `agora replay`: rebuild the read models from the log (or check them);
//! - `agora admin create`: make an administrator;
//! - `agora bench write|read|open`: measure the event store;
//! - `agora config`: the effective configuration;
//! - `agora seed`: realistic demo data through the normal command path;
//! - `agora bench http`: a mixed read/command load against a running server.
//! - `agora eval`: train the recommender offline and rank a held-out file.
//!
//! Every subcommand that opens a store takes `--data-dir DIR`. Settings come
//! from defaults ← a TOML file ← `AGORA_*` environment variables ← flags
//! (see [`config`]).
//!
//! Modules, following the data: [`cli`] parses the command line, [`config`]
//! merges the settings, [`store`] opens the event store, [`commands`] runs
//! one subcommand each, [`http`] is the web API and [`bench`] the store
//! benchmarks.

mod bench;
mod checkpoint;
mod cli;
mod commands;
mod config;
mod demo;
mod domain;
mod hex;
mod http;
mod logging;
mod models;
mod movielens;
mod sample;
mod seed;
mod store;
mod timefmt;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::config::Settings;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Loads the settings, starts logging and runs the chosen subcommand.
fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    let settings = Settings::load(cli.config.as_deref(), &cli.command.overrides())?;
    logging::init(&settings.log_level)?;
    match &cli.command {
        Command::Serve(args) => commands::serve::run(&settings, args.demo),
        Command::Verify(args) => commands::verify::run(&settings, args),
        Command::Info(_) => commands::info::run(&settings),
        Command::Replay(args) => commands::replay::run(&settings, args),
        Command::Admin(cli::AdminCommand::Create(args)) => commands::admin::create(&settings, args),
        Command::Config(_) => commands::config::run(&settings),
        Command::Bench(bench) => bench::run(&settings, bench),
        Command::Seed(args) => commands::seed::run(&settings, args),
        Command::Eval(args) => commands::eval::run(args),
        Command::Import(import) => commands::import::run(&settings, import),
    }
}
