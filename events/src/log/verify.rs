//! Walking the hash chain: every record's hash must be `BLAKE3(prev ‖ body)`
//! and its `prev_hash` the hash of the record before it.

use super::Shared;
use super::frame::{self, GENESIS_HASH, Hash};
use super::reader::{FrameCursor, SCAN_CHUNK, Step};
use crate::error::StoreResult;
use crate::store::{ChainBreak, ChainReport};

/// Checks the chain from `from` to the head as it is when called, or over
/// at most `max` records. Without a trusted previous hash, a walk from 0
/// starts at the genesis hash and a walk from elsewhere trusts the first
/// record's link.
pub(super) fn verify_chain(
    shared: &Shared,
    from: u64,
    trusted_prev: Option<Hash>,
    max: u64,
) -> StoreResult<ChainReport> {
    let head = shared.index.read().head().min(from.saturating_add(max));
    let mut report = ChainReport {
        from_position: from,
        checked: 0,
        last_hash: None,
        first_break: None,
    };
    let mut expected_prev = trusted_prev.or((from == 0).then_some(GENESIS_HASH));
    let mut next = from;
    let broke = |position, reason: String| Some(ChainBreak { position, reason });
    'segments: while next < head {
        let location = shared.index.read().location(next);
        let Some(segment) = location.and_then(|l| shared.segment(l.segment())) else {
            break;
        };
        let start = location.map_or(0, |l| l.offset());
        let end = segment.committed_len();
        let mut cursor = FrameCursor::new(
            &segment,
            start,
            end,
            shared.config.max_record_len(),
            SCAN_CHUNK,
        );
        while next < head {
            match cursor.next_frame()? {
                Step::Frame(_, record) => {
                    if record.body.position != next {
                        report.first_break = broke(
                            next,
                            format!("record holds position {}", record.body.position),
                        );
                        break 'segments;
                    }
                    if expected_prev.is_some_and(|prev| prev != record.prev_hash) {
                        report.first_break = broke(
                            next,
                            "previous-hash does not match the record before".into(),
                        );
                        break 'segments;
                    }
                    if frame::chain_hash(&record.prev_hash, record.body_bytes) != record.hash {
                        report.first_break =
                            broke(next, "hash does not match the record's contents".into());
                        break 'segments;
                    }
                    expected_prev = Some(record.hash);
                    report.last_hash = Some(record.hash);
                    report.checked += 1;
                    next += 1;
                }
                Step::End => break,
                Step::Bad { offset, error } => {
                    report.first_break = broke(
                        next,
                        format!(
                            "unreadable record at byte {offset} of {}: {error}",
                            segment.path.display()
                        ),
                    );
                    break 'segments;
                }
            }
        }
    }
    Ok(report)
}
