//! The in-memory index of the log, rebuilt on open: where each global
//! position lives on disk, which positions make up each stream, and where
//! each event id was written.

use std::collections::HashMap;

use uuid::Uuid;

use super::segment::Location;

/// Positions → locations, streams → positions, ids → positions. Only the
/// writer mutates it, and only with records that are already durable.
#[derive(Debug, Default)]
pub(crate) struct Index {
    locations: Vec<u64>,
    streams: HashMap<Box<str>, Vec<u64>>,
    ids: HashMap<Uuid, u64>,
}

impl Index {
    /// Number of committed events, which is also the next global position.
    pub(crate) fn head(&self) -> u64 {
        self.locations.len() as u64
    }

    pub(crate) fn location(&self, position: u64) -> Option<Location> {
        self.locations
            .get(usize::try_from(position).ok()?)
            .map(|raw| Location::from_raw(*raw))
    }

    /// The global positions of a stream's events, indexed by revision.
    pub(crate) fn stream_positions(&self, stream: &str) -> Option<&[u64]> {
        self.streams.get(stream).map(Vec::as_slice)
    }

    /// The revision of the stream's last event.
    pub(crate) fn stream_last(&self, stream: &str) -> Option<u64> {
        self.streams
            .get(stream)
            .and_then(|p| (p.len() as u64).checked_sub(1))
    }

    pub(crate) fn id_position(&self, id: &Uuid) -> Option<u64> {
        self.ids.get(id).copied()
    }

    pub(crate) fn stream_count(&self) -> usize {
        self.streams.len()
    }

    /// Records the next event at `position == head()`, checking with one
    /// probe of each map that `version` is the stream's next revision and
    /// that `id` is new. On `Err` the index is left half-updated: the caller
    /// (recovery) abandons it.
    pub(crate) fn push(
        &mut self,
        position: u64,
        location: Location,
        stream: &str,
        version: u64,
        id: Uuid,
    ) -> Result<(), String> {
        debug_assert_eq!(position, self.head());
        match self.streams.get_mut(stream) {
            Some(positions) if positions.len() as u64 == version => positions.push(position),
            None if version == 0 => {
                self.streams.insert(stream.into(), vec![position]);
            }
            found => {
                let due = found.map_or(0, |p| p.len());
                return Err(format!(
                    "stream {stream:?} revision {version} where {due} was due"
                ));
            }
        }
        match self.ids.entry(id) {
            std::collections::hash_map::Entry::Occupied(_) => {
                return Err(format!("event id {id} written twice"));
            }
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(position);
            }
        }
        self.locations.push(location.raw());
        Ok(())
    }
}
