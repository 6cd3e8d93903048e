//! `agora config`: print the effective configuration, after every layer
//! (defaults, file, environment, flags) was applied.

use std::process::ExitCode;

use super::print;
use crate::config::Settings;

/// Prints the settings as JSON.
pub(crate) fn run(settings: &Settings) -> anyhow::Result<ExitCode> {
    print(&serde_json::to_string_pretty(settings)?)?;
    Ok(ExitCode::SUCCESS)
}
