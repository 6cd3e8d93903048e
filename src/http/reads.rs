//! Checks that read handlers share: read-your-writes waits on a projection
//! and the existence of the user a path names.

use agora_actors::projection::{Projection, ProjectionHandle};
use agora_events::EventStore as _;

use super::AppState;
use super::problem::{ApiError, ProblemKind};

/// Returns once `projection` has applied the event at `min_position` (when
/// the request asks for one), waiting at most the configured read wait;
/// after that, `projection-lagging` naming `what` ("the ledger"), so a
/// client never reads an answer older than its own write. A position the
/// store has not written yet is refused at once (400), without waiting.
pub(crate) async fn caught_up<P: Projection>(
    state: &AppState,
    projection: &ProjectionHandle<P>,
    min_position: Option<u64>,
    what: &str,
) -> Result<(), ApiError> {
    if let Some(position) = min_position
        && projection
            .checkpoint()
            .is_none_or(|applied| applied < position)
    {
        let head = state.store.head_position().await?;
        if head.is_none_or(|head| position > head) {
            return Err(ApiError::new(
                ProblemKind::InvalidRequest,
                format!(
                    "min_position {position} is not written yet (the log's head is {})",
                    head.map_or("empty".into(), |h| h.to_string())
                ),
            ));
        }
    }
    match min_position {
        Some(position) if !projection.wait_for(position, state.read_wait).await => {
            Err(ApiError::new(
                ProblemKind::ProjectionLagging,
                format!("{what} has not reached position {position} yet"),
            ))
        }
        _ => Ok(()),
    }
}

/// `user-not-found` unless the users view knows `user_id`.
pub(crate) fn user_exists(state: &AppState, user_id: &str) -> Result<(), ApiError> {
    if state
        .users
        .view()
        .read(|users| users.get(user_id).is_some())
    {
        Ok(())
    } else {
        Err(ApiError::new(
            ProblemKind::UserNotFound,
            format!("no user {user_id:?}"),
        ))
    }
}
