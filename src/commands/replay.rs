//! `agora replay`: rebuild every projection from the log, or check that the
//! saved snapshots equal a rebuild byte for byte.

use std::process::ExitCode;

use super::{print, runtime};
use crate::cli::ReplayArgs;
use crate::config::Settings;
use crate::{domain, store};

/// Exit status when a snapshot differs from the rebuild.
const DIFFERS: u8 = 2;

/// Runs the replay and prints one JSON report per projection.
pub(crate) fn run(settings: &Settings, args: &ReplayArgs) -> anyhow::Result<ExitCode> {
    let store = store::open(settings)?;
    let reports = runtime()?.block_on(domain::replay_all(&store, settings, !args.check))?;
    drop(store);
    print(&serde_json::to_string_pretty(&reports)?)?;
    let differs = reports.iter().any(|r| r.snapshot_matches == Some(false));
    Ok(if args.check && differs {
        ExitCode::from(DIFFERS)
    } else {
        ExitCode::SUCCESS
    })
}
