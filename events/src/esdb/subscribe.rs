//! `subscribe_all`: a server-side catch-up subscription to `$all`, filtered
//! to user streams.
//!
//! EventStoreDB subscriptions start *after* a position, ours *at* one, and
//! the server refuses positions that are not the start of a record. So the
//! asked position is first turned into an [`Anchor`]: below the asked
//! position, the subscription starts after the anchor and drops what comes
//! before the asked position; at or above it, the anchor's event is read and
//! delivered first, then the subscription starts after it. The server
//! switches from catch-up to live without gap or duplicate and never buffers
//! for a slow consumer (it falls behind and reads the log).

use std::sync::Arc;

use kurrentdb::{StreamPosition, SubscribeToAllOptions, SubscriptionEvent};
use tokio::sync::watch;

use super::Inner;
use super::convert;
use super::read::{self, Anchor, all_position};
use crate::model::ReadDirection;
use crate::store::EventSubscription;

/// [`EventStore::subscribe_all`](crate::EventStore::subscribe_all); ends
/// when `open`'s sender (held by every `EsdbStore` handle) is gone.
pub(super) fn subscribe_all(
    inner: Arc<Inner>,
    mut open: watch::Receiver<()>,
    from: u64,
) -> EventSubscription {
    Box::pin(async_stream::try_stream! {
        let start = match read::anchor(&inner, from).await? {
            Anchor::Start => StreamPosition::Start,
            Anchor::At(at) if at < from => all_position(at),
            Anchor::At(at) => {
                let first = read::all_events(&inner, all_position(at), ReadDirection::Forward, 1, false)
                    .await
                    .map_err(|failure| inner.conn.fail(failure, "subscribing to $all"))?;
                if let Some(event) = first.into_iter().next()
                    && convert::known_position(&event) == Some(at)
                    && !convert::is_system(&event)
                {
                    yield convert::to_recorded(event)?;
                }
                all_position(at)
            }
        };
        let mut next = from;
        if let StreamPosition::Position(at) = start {
            next = next.max(at.commit.saturating_add(1));
        }
        let (generation, client) = inner.conn.client();
        let options = SubscribeToAllOptions::default()
            .position(start)
            .filter(read::user_streams());
        let mut subscription = client.subscribe_to_all(&options).await;
        loop {
            let received = tokio::select! {
                // Every `EsdbStore` handle is gone: the store is closed.
                _ = open.changed() => break,
                received = subscription.next_subscription_event() => received,
            };
            match received {
                Ok(SubscriptionEvent::EventAppeared(resolved)) => {
                    let Some(event) = resolved.event else { continue };
                    let position = convert::position(&event)?;
                    if position < next {
                        continue;
                    }
                    next = position.saturating_add(1);
                    inner.positions.insert(position);
                    if !convert::is_system(&event) {
                        yield convert::to_recorded(event)?;
                    }
                }
                Ok(_) => {}
                Err(error) => {
                    let failure = super::conn::CallError { generation, error };
                    Err(inner.conn.fail(failure, "following $all"))?;
                }
            }
        }
    })
}
