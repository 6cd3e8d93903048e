//! The one place that turns values into bytes and back.
//!
//! Everything binary the store writes goes through here: the body of each
//! log record ([`RecordBody`]) and the payloads of domain events
//! ([`encode_payload`] / [`decode_payload`]). The format is bincode 2 with
//! its standard configuration (little-endian, variable-length integers) and a
//! decode limit, so a corrupt length can never make us allocate gigabytes.
//!
//! bincode is pinned at `=2.0.1`: 3.0.0 is a tombstone release that refuses
//! to compile, and RUSTSEC-2025-0141 marks the crate unmaintained. It still
//! works and is well tested; its successor (e.g. `postcard` or `wincode`)
//! would be swapped in here, behind these functions, with a format-version
//! bump in the segment header.

use bincode::{BorrowDecode, Encode};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Largest value the codec will decode, in bytes.
pub const DECODE_LIMIT: usize = 64 << 20;

type Config = bincode::config::Configuration<
    bincode::config::LittleEndian,
    bincode::config::Varint,
    bincode::config::Limit<DECODE_LIMIT>,
>;

const CONFIG: Config = bincode::config::standard().with_limit::<DECODE_LIMIT>();

/// Why bytes could not be turned into a value.
#[derive(Debug, thiserror::Error)]
#[error("cannot decode {what}: {reason}")]
pub struct DecodeError {
    what: &'static str,
    reason: String,
}

/// Why a value could not be turned into bytes.
#[derive(Debug, thiserror::Error)]
#[error("cannot encode: {0}")]
pub struct EncodeError(String);

/// Encodes a domain event payload (any serde type).
pub fn encode_payload<T: Serialize>(value: &T) -> Result<Vec<u8>, EncodeError> {
    bincode::serde::encode_to_vec(value, CONFIG).map_err(|e| EncodeError(e.to_string()))
}

/// Decodes a domain event payload written by [`encode_payload`]. Trailing
/// bytes are an error: a payload is exactly one value.
pub fn decode_payload<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    let (value, used) =
        bincode::serde::decode_from_slice(bytes, CONFIG).map_err(|e| DecodeError {
            what: "payload",
            reason: e.to_string(),
        })?;
    if used != bytes.len() {
        return Err(DecodeError {
            what: "payload",
            reason: format!("{} trailing bytes", bytes.len() - used),
        });
    }
    Ok(value)
}

/// Correlation, causation and actor as stored in a record.
#[derive(Clone, Debug, PartialEq, Eq, Encode, BorrowDecode)]
pub(crate) struct MetadataBody<'a> {
    pub(crate) correlation_id: Option<[u8; 16]>,
    pub(crate) causation_id: Option<[u8; 16]>,
    pub(crate) actor_id: Option<&'a str>,
}

/// The body of one log record, borrowed from the bytes it was read from so
/// a scan allocates nothing.
#[derive(Clone, Debug, PartialEq, Eq, Encode, BorrowDecode)]
pub(crate) struct RecordBody<'a> {
    pub(crate) position: u64,
    pub(crate) version: u64,
    pub(crate) event_id: [u8; 16],
    pub(crate) recorded_at: i64,
    pub(crate) schema_version: u32,
    /// How many events of the same append follow this one; 0 marks the end
    /// of an append, so recovery can drop a partially written batch.
    pub(crate) batch_remaining: u32,
    /// Position of the first record of the group commit this record was
    /// written in: recovery uses it to tell a torn last write (same commit)
    /// from corruption of data that was already durable (earlier commit).
    pub(crate) commit: u64,
    pub(crate) stream: &'a str,
    pub(crate) event_type: &'a str,
    pub(crate) metadata: MetadataBody<'a>,
    pub(crate) payload: &'a [u8],
}

/// Appends the encoding of `body` to `out`.
pub(crate) fn encode_record_body(body: &RecordBody<'_>, out: &mut Vec<u8>) {
    // Writing into a Vec cannot fail, and every field has a bounded size.
    if let Err(e) = bincode::encode_into_std_write(body, out, CONFIG) {
        unreachable!("encoding into a Vec failed: {e}");
    }
}

/// Decodes a record body that must fill `bytes` exactly.
pub(crate) fn decode_record_body(bytes: &[u8]) -> Result<RecordBody<'_>, DecodeError> {
    let (body, used): (RecordBody<'_>, usize) = bincode::borrow_decode_from_slice(bytes, CONFIG)
        .map_err(|e| DecodeError {
            what: "record body",
            reason: e.to_string(),
        })?;
    if used != bytes.len() {
        return Err(DecodeError {
            what: "record body",
            reason: format!("{} trailing bytes", bytes.len() - used),
        });
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    type BodyParts = (
        u64,
        u64,
        [u8; 16],
        i64,
        u32,
        String,
        String,
        Option<[u8; 16]>,
        Option<String>,
        Vec<u8>,
    );

    fn arb_body() -> impl Strategy<Value = BodyParts> {
        (
            any::<u64>(),
            any::<u64>(),
            any::<[u8; 16]>(),
            any::<i64>(),
            any::<u32>(),
            ".{0,40}",
            "[A-Za-z]{1,20}",
            any::<Option<[u8; 16]>>(),
            proptest::option::of(".{0,20}"),
            proptest::collection::vec(any::<u8>(), 0..600),
        )
    }

    proptest! {
        #[test]
        fn record_bodies_round_trip((position, version, id, at, schema, stream, ty, corr, actor, payload) in arb_body()) {
            let body = RecordBody {
                position, version, event_id: id, recorded_at: at, schema_version: schema, batch_remaining: schema / 2, commit: position / 3,
                stream: &stream, event_type: &ty,
                metadata: MetadataBody { correlation_id: corr, causation_id: None, actor_id: actor.as_deref() },
                payload: &payload,
            };
            let mut bytes = Vec::new();
            encode_record_body(&body, &mut bytes);
            prop_assert_eq!(decode_record_body(&bytes).ok(), Some(body));
        }

        #[test]
        fn decoding_garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = decode_record_body(&bytes);
            let _ = decode_payload::<(String, Vec<u32>, Option<i64>)>(&bytes);
        }

        #[test]
        fn payloads_round_trip(value in (".*", proptest::collection::vec(any::<u32>(), 0..50), any::<Option<i64>>())) {
            let bytes = encode_payload(&value).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let back: (String, Vec<u32>, Option<i64>) = decode_payload(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(back, value);
        }
    }

    #[test]
    fn trailing_bytes_are_rejected() {
        let mut bytes = encode_payload(&7u32).unwrap_or_default();
        bytes.push(0);
        assert!(decode_payload::<u32>(&bytes).is_err());
    }
}
