//! `agora verify`: walk the hash chain of `$all` and report the first break.
//!
//! Opening the store already checks every record's CRC and links; a bad
//! record in the middle of the log makes opening fail with
//! [`StoreError::Corrupt`], which is reported here as a break at that
//! position rather than as a failure to run.

use std::process::ExitCode;

use agora_events::{ChainReport, EventStore, StoreError};
use anyhow::Context;
use serde::Serialize;

use super::{print, runtime};
use crate::cli::VerifyArgs;
use crate::config::Settings;
use crate::{hex, store};

/// Exit status when the chain is broken (1 means the check could not run).
const EXIT_BROKEN: u8 = 2;

/// What `verify` found, as printed with `--json`.
#[derive(Debug, Serialize)]
struct Verdict {
    intact: bool,
    from_position: u64,
    checked: u64,
    /// Hash of the last record checked: the next checkpoint.
    last_hash: Option<String>,
    /// The position to pass as `--from` next time.
    next_position: u64,
    first_break: Option<Break>,
}

#[derive(Debug, Serialize)]
struct Break {
    position: u64,
    reason: String,
}

/// Runs the check and prints the verdict.
pub(crate) fn run(settings: &Settings, args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let verdict = match store::try_open(settings) {
        Ok(store) => {
            let report = runtime()?
                .block_on(store.verify_chain(args.from, args.prev_hash))
                .context("walking the hash chain")?;
            from_report(&report)
        }
        Err(StoreError::Corrupt {
            position,
            file,
            offset,
            reason,
        }) => Verdict {
            intact: false,
            from_position: args.from,
            checked: 0,
            last_hash: None,
            next_position: args.from,
            first_break: Some(Break {
                position,
                reason: format!(
                    "{reason} ({}, byte {offset}); found while opening the store",
                    file.display()
                ),
            }),
        },
        Err(e) => {
            return Err(e).with_context(|| {
                format!("opening the event store in {}", settings.data_dir.display())
            });
        }
    };
    if args.json {
        print(&serde_json::to_string_pretty(&verdict)?)?;
    } else {
        print(&human(&verdict, args.prev_hash.is_some()))?;
    }
    Ok(if verdict.intact {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_BROKEN)
    })
}

fn from_report(report: &ChainReport) -> Verdict {
    Verdict {
        intact: report.first_break.is_none(),
        from_position: report.from_position,
        checked: report.checked,
        last_hash: report.last_hash.as_ref().map(|h| hex::encode(h)),
        next_position: report.from_position + report.checked,
        first_break: report.first_break.as_ref().map(|b| Break {
            position: b.position,
            reason: b.reason.clone(),
        }),
    }
}

/// The report for people.
fn human(v: &Verdict, trusted_prev: bool) -> String {
    let mut lines = Vec::new();
    match &v.first_break {
        None => lines.push(format!(
            "hash chain intact: {} events checked from position {}",
            v.checked, v.from_position
        )),
        Some(b) => {
            lines.push(format!(
                "hash chain BROKEN at position {}: {}",
                b.position, b.reason
            ));
            lines.push(format!("{} events checked before the break", v.checked));
        }
    }
    if v.from_position > 0 && !trusted_prev {
        lines.push("note: no --prev-hash given, so the first record's link was trusted".into());
    }
    if let Some(hash) = &v.last_hash {
        lines.push(format!("last hash: {hash}"));
        if v.first_break.is_none() {
            lines.push(format!(
                "next checkpoint: --from {} --prev-hash {hash}",
                v.next_position
            ));
        }
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use agora_events::ChainBreak;

    use super::*;

    #[test]
    fn an_intact_chain_names_the_next_checkpoint() {
        let report = ChainReport {
            from_position: 0,
            checked: 3,
            last_hash: Some([0xab; 32]),
            first_break: None,
        };
        let text = human(&from_report(&report), false);
        assert!(text.contains("intact: 3 events"), "{text}");
        assert!(
            text.contains(&format!("--from 3 --prev-hash {}", "ab".repeat(32))),
            "{text}"
        );
    }

    #[test]
    fn a_break_names_its_position_and_reason() {
        let report = ChainReport {
            from_position: 0,
            checked: 5,
            last_hash: Some([1; 32]),
            first_break: Some(ChainBreak {
                position: 5,
                reason: "hash does not match".into(),
            }),
        };
        let verdict = from_report(&report);
        assert!(!verdict.intact);
        assert!(human(&verdict, false).contains("BROKEN at position 5: hash does not match"));
    }
}
