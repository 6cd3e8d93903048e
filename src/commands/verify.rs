//! `agora verify`: walk the hash chain of `$all` and report the first break.
//!
//! Opening the store already checks every record's CRC and links; a bad
//! record in the middle of the log makes opening fail with
//! [`StoreError::Corrupt`], which is reported here as a break at that
//! position rather than as a failure to run.

use std::process::ExitCode;

use agora_events::{ChainReport, EventStore, LogStore, StoreError};
use anyhow::Context;
use serde::Serialize;

use super::{print, runtime};
use crate::checkpoint::{self, Checkpoint};
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
    /// What `--checkpoint` found, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    checkpoint: Option<CheckpointVerdict>,
}

/// Whether a signed checkpoint still holds.
#[derive(Debug, Serialize)]
struct CheckpointVerdict {
    position: u64,
    holds: bool,
    /// Why it does not hold.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

#[derive(Debug, Serialize)]
struct Break {
    position: u64,
    reason: String,
}

/// Runs the check and prints the verdict.
pub(crate) fn run(settings: &Settings, args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let signed = args
        .checkpoint
        .as_deref()
        .map(read_checkpoint)
        .transpose()?;
    let verdict = match store::try_open(settings) {
        Ok(store) => {
            let report = runtime()?
                .block_on(store.verify_chain(args.from, args.prev_hash))
                .context("walking the hash chain")?;
            let mut verdict = from_report(&report);
            if let Some(signed) = &signed {
                let held = check_checkpoint(&store, signed, args.public_key.as_ref());
                verdict.checkpoint = Some(CheckpointVerdict {
                    position: signed.position,
                    holds: held.is_ok(),
                    reason: held.err(),
                });
            }
            verdict
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
            checkpoint: signed.as_ref().map(|c| CheckpointVerdict {
                position: c.position,
                holds: false,
                reason: Some("the log does not open".into()),
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
    Ok(
        if verdict.intact && verdict.checkpoint.as_ref().is_none_or(|c| c.holds) {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(EXIT_BROKEN)
        },
    )
}

/// Reads a checkpoint file.
fn read_checkpoint(path: &std::path::Path) -> anyhow::Result<Checkpoint> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("{} is not a checkpoint (JSON)", path.display()))
}

/// Whether `signed` holds for `store`: its signature verifies (by
/// `pinned`, if given) and the record at its position carries its hash.
fn check_checkpoint(
    store: &LogStore,
    signed: &Checkpoint,
    pinned: Option<&[u8; 32]>,
) -> Result<(), String> {
    let hash = checkpoint::verify(signed, pinned)?;
    match store.hash_at(signed.position) {
        Ok(Some(found)) if found == hash => Ok(()),
        Ok(Some(found)) => Err(format!(
            "the log was rewritten: the record at position {} has hash {}, the checkpoint signed {}",
            signed.position,
            hex::encode(&found),
            signed.chain_hash
        )),
        Ok(None) => Err(format!(
            "the log ends before position {}: it was cut since the checkpoint",
            signed.position
        )),
        Err(e) => Err(format!("reading position {}: {e}", signed.position)),
    }
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
        checkpoint: None,
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
    if let Some(c) = &v.checkpoint {
        match &c.reason {
            None => lines.push(format!(
                "signed checkpoint at position {} holds: the log up to it was not rewritten",
                c.position
            )),
            Some(reason) => lines.push(format!(
                "signed checkpoint at position {} does NOT hold: {reason}",
                c.position
            )),
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
