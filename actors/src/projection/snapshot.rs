//! Snapshot files: `[magic "AGPS"][format u32][projection version u32]
//! [crc32c u32][body]`, body = bincode of `(checkpoint, state)`. Written to a
//! temporary file, fsynced and renamed over the old one, so a snapshot is
//! either the old one or the new one, never a mix.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use agora_events::codec;
use serde::Serialize;

use super::{Projection, ProjectionError};

const MAGIC: &[u8; 4] = b"AGPS";
const FORMAT: u32 = 1;
const HEADER: usize = 16;

pub(super) fn path_for<P: Projection>(dir: &Path) -> PathBuf {
    dir.join(format!("{}.snapshot", P::NAME))
}

/// Encodes `(checkpoint, state)` with the header.
pub(super) fn encode<P: Projection>(checkpoint: Option<u64>, state: &P) -> Result<Vec<u8>, String> {
    #[derive(Serialize)]
    struct Body<'a, P> {
        checkpoint: Option<u64>,
        state: &'a P,
    }
    let body = codec::encode_payload(&Body { checkpoint, state }).map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(HEADER + body.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT.to_le_bytes());
    out.extend_from_slice(&P::VERSION.to_le_bytes());
    out.extend_from_slice(&crc32c::crc32c(&body).to_le_bytes());
    out.extend_from_slice(&body);
    Ok(out)
}

/// Decodes a snapshot; `None` if it is absent, of another version, or damaged
/// (the projection then rebuilds from the log, which is always correct).
pub(super) fn decode<P: Projection>(bytes: &[u8]) -> Option<(Option<u64>, P)> {
    if bytes.len() < HEADER || &bytes[..4] != MAGIC {
        return None;
    }
    let word =
        |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    if word(4) != FORMAT || word(8) != P::VERSION || word(12) != crc32c::crc32c(&bytes[HEADER..]) {
        return None;
    }
    #[derive(serde::Deserialize)]
    struct Body<P> {
        checkpoint: Option<u64>,
        state: P,
    }
    let body: Body<P> = codec::decode_payload(&bytes[HEADER..]).ok()?;
    Some((body.checkpoint, body.state))
}

pub(super) fn load<P: Projection>(dir: &Path) -> Option<(Option<u64>, P)> {
    let path = path_for::<P>(dir);
    let bytes = std::fs::read(&path).ok()?;
    let decoded = decode::<P>(&bytes);
    if decoded.is_none() {
        tracing::warn!(projection = P::NAME, file = %path.display(), "snapshot unusable (other version or damaged); rebuilding from the log");
    }
    decoded
}

/// Atomically replaces the snapshot file with `bytes`.
pub(super) fn write(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), ProjectionError> {
    let io = |context: &str| {
        let context = format!("{context} ({})", dir.display());
        move |source| ProjectionError::Io { context, source }
    };
    let path = dir.join(format!("{name}.snapshot"));
    let tmp = dir.join(format!("{name}.snapshot.tmp"));
    let mut file = File::create(&tmp).map_err(io("creating a snapshot"))?;
    file.write_all(bytes).map_err(io("writing a snapshot"))?;
    file.sync_all().map_err(io("syncing a snapshot"))?;
    std::fs::rename(&tmp, &path).map_err(io("replacing a snapshot"))?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io("syncing the snapshot directory"))
}
