//! Record framing: `[len: u32][crc32c: u32][body][prev_hash: 32][hash: 32]`,
//! little-endian. `len` counts everything after the 8-byte header; the CRC
//! covers the same bytes. `hash = BLAKE3(prev_hash ‖ body)` links each record
//! to the one before it, so `$all` forms a hash chain.

use crate::codec::{self, DecodeError, RecordBody};

/// Bytes before a record's content: length and CRC.
pub(crate) const FRAME_HEADER_LEN: usize = 8;
/// Length of a BLAKE3 hash.
pub(crate) const HASH_LEN: usize = 32;
/// A record hash.
pub(crate) type Hash = [u8; HASH_LEN];
/// The `prev_hash` of the very first record of a log.
pub(crate) const GENESIS_HASH: Hash = [0; HASH_LEN];

/// Why the bytes at some offset are not a valid record.
#[derive(Debug)]
pub(crate) enum FrameError {
    /// The buffer ends before the record does; `needed` is the record's full
    /// length when the header could be read.
    Incomplete { needed: Option<usize> },
    /// The length field is impossible (too small or above the limit).
    BadLength(u32),
    /// The content does not match its CRC.
    BadCrc,
    /// The CRC matched but the body does not decode.
    BadBody(DecodeError),
}

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Incomplete { needed: Some(n) } => write!(f, "record of {n} bytes is cut short"),
            Self::Incomplete { needed: None } => f.write_str("record header is cut short"),
            Self::BadLength(len) => write!(f, "impossible record length {len}"),
            Self::BadCrc => f.write_str("CRC32C mismatch"),
            Self::BadBody(e) => write!(f, "{e}"),
        }
    }
}

/// One decoded record, borrowing from the buffer it was read from.
#[derive(Debug)]
pub(crate) struct Frame<'a> {
    pub(crate) body: RecordBody<'a>,
    pub(crate) body_bytes: &'a [u8],
    pub(crate) prev_hash: Hash,
    pub(crate) hash: Hash,
    /// Full length of the record on disk, header included.
    pub(crate) len: usize,
}

/// The chain hash of a record.
pub(crate) fn chain_hash(prev_hash: &Hash, body_bytes: &[u8]) -> Hash {
    let mut hasher = blake3::Hasher::new();
    hasher.update(prev_hash);
    hasher.update(body_bytes);
    *hasher.finalize().as_bytes()
}

/// Appends the framed record for `body` to `out`, linked to `prev_hash`.
/// Returns the record's own hash.
pub(crate) fn encode_frame(body: &RecordBody<'_>, prev_hash: &Hash, out: &mut Vec<u8>) -> Hash {
    let start = out.len();
    out.extend_from_slice(&[0; FRAME_HEADER_LEN]);
    let body_start = out.len();
    codec::encode_record_body(body, out);
    let hash = chain_hash(prev_hash, &out[body_start..]);
    out.extend_from_slice(prev_hash);
    out.extend_from_slice(&hash);
    let content = &out[start + FRAME_HEADER_LEN..];
    let len = content.len() as u32;
    let crc = crc32c::crc32c(content);
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    out[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
    hash
}

/// Reads the declared full length (header included) of the record at the
/// start of `buf`, if the header is there.
pub(crate) fn declared_len(buf: &[u8]) -> Option<usize> {
    let len = u32::from_le_bytes(buf.get(..4)?.try_into().ok()?);
    Some(FRAME_HEADER_LEN + len as usize)
}

/// Decodes the record at the start of `buf`. `max_len` bounds the content
/// length so that a corrupt length field is recognised as such.
pub(crate) fn decode_frame(buf: &[u8], max_len: usize) -> Result<Frame<'_>, FrameError> {
    let Some(header) = buf.get(..FRAME_HEADER_LEN) else {
        return Err(FrameError::Incomplete { needed: None });
    };
    let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
    let crc = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
    if (len as usize) < 2 * HASH_LEN + 1 || len as usize > max_len {
        return Err(FrameError::BadLength(len));
    }
    let total = FRAME_HEADER_LEN + len as usize;
    let Some(content) = buf.get(FRAME_HEADER_LEN..total) else {
        return Err(FrameError::Incomplete {
            needed: Some(total),
        });
    };
    if crc32c::crc32c(content) != crc {
        return Err(FrameError::BadCrc);
    }
    let (body_bytes, hashes) = content.split_at(content.len() - 2 * HASH_LEN);
    let body = codec::decode_record_body(body_bytes).map_err(FrameError::BadBody)?;
    let mut prev_hash = [0; HASH_LEN];
    let mut hash = [0; HASH_LEN];
    prev_hash.copy_from_slice(&hashes[..HASH_LEN]);
    hash.copy_from_slice(&hashes[HASH_LEN..]);
    Ok(Frame {
        body,
        body_bytes,
        prev_hash,
        hash,
        len: total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::MetadataBody;
    use proptest::prelude::*;

    fn body<'a>(stream: &'a str, payload: &'a [u8], position: u64) -> RecordBody<'a> {
        RecordBody {
            position,
            version: position,
            event_id: [7; 16],
            recorded_at: 1,
            schema_version: 1,
            batch_remaining: 0,
            commit: position,
            stream,
            event_type: "Happened",
            metadata: MetadataBody {
                correlation_id: None,
                causation_id: None,
                actor_id: Some("u1"),
            },
            payload,
        }
    }

    proptest! {
        #[test]
        fn frames_round_trip(stream in "[a-z0-9-]{1,30}", payload in proptest::collection::vec(any::<u8>(), 0..2000), prev in any::<[u8; 32]>()) {
            let b = body(&stream, &payload, 5);
            let mut out = Vec::new();
            let hash = encode_frame(&b, &prev, &mut out);
            let frame = decode_frame(&out, 1 << 20).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(frame.len, out.len());
            prop_assert_eq!(&frame.body, &b);
            prop_assert_eq!(frame.prev_hash, prev);
            prop_assert_eq!(frame.hash, hash);
            prop_assert_eq!(chain_hash(&prev, frame.body_bytes), hash);
        }

        #[test]
        fn any_single_bit_flip_is_detected(payload in proptest::collection::vec(any::<u8>(), 0..300), bit in any::<proptest::sample::Index>()) {
            let b = body("s", &payload, 1);
            let mut out = Vec::new();
            encode_frame(&b, &GENESIS_HASH, &mut out);
            let i = bit.index(out.len() * 8);
            out[i / 8] ^= 1 << (i % 8);
            prop_assert!(decode_frame(&out, 1 << 20).is_err());
        }

        #[test]
        fn every_prefix_is_incomplete(payload in proptest::collection::vec(any::<u8>(), 0..300)) {
            let b = body("s", &payload, 1);
            let mut out = Vec::new();
            encode_frame(&b, &GENESIS_HASH, &mut out);
            for cut in 0..out.len() {
                let is_incomplete = matches!(decode_frame(&out[..cut], 1 << 20), Err(FrameError::Incomplete { .. }));
                prop_assert!(is_incomplete, "prefix of {} bytes", cut);
            }
        }

        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = decode_frame(&bytes, 1 << 20);
        }
    }
}
