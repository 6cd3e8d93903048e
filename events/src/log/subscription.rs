//! `subscribe_all`: catch up from the log, then follow live commits.
//!
//! The subscription registers for live batches *before* it looks at the
//! log's head, so every batch committed after that look is in its live
//! buffer: whatever it reads from the log (positions below the head it saw)
//! and whatever arrives live (filtered to positions not yet delivered) join
//! with no gap and no duplicate. The live buffer is bounded; a subscriber that
//! falls behind loses live batches (`Lagged`) and simply reads the log again,
//! so the writer never waits for, or buffers for, a slow consumer.

use std::sync::Arc;

use tokio::sync::broadcast::error::RecvError;

use super::{Shared, reader};
use crate::store::EventSubscription;

/// Events read from the log per step while catching up.
const CATCH_UP_CHUNK: usize = 1024;

pub(super) fn subscribe_all(shared: Arc<Shared>, from_position: u64) -> EventSubscription {
    let live = shared.live.read().as_ref().map(|sender| sender.subscribe());
    Box::pin(async_stream::try_stream! {
        let mut live = live;
        let mut next = from_position;
        loop {
            let head = shared.index.read().head();
            if next < head {
                for event in reader::read_all(&shared, next, CATCH_UP_CHUNK)? {
                    next = event.position + 1;
                    yield event;
                }
                continue;
            }
            let Some(receiver) = live.as_mut() else { break };
            match receiver.recv().await {
                Ok(batch) => {
                    let starts_in_reach = batch.first().is_some_and(|e| e.position <= next);
                    if starts_in_reach {
                        let start = batch.partition_point(|e| e.position < next);
                        for k in start..batch.len() {
                            let event = batch[k].clone();
                            next = event.position + 1;
                            yield event;
                        }
                    }
                    // Otherwise a batch was missed: the loop reads it from the log.
                }
                Err(RecvError::Lagged(_)) => {}
                // The store closed: deliver what the log holds, then end.
                Err(RecvError::Closed) => live = None,
            }
        }
    })
}
