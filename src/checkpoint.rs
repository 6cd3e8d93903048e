//! Signed audit checkpoints: the server signs (position, chain hash, time)
//! with an Ed25519 key so an auditor can keep the result outside the
//! system and later prove, offline, that the log up to that position was
//! not rewritten (`agora verify --checkpoint FILE`).
//!
//! Rewriting a record and recomputing every later hash and CRC gives a log
//! whose chain verifies on its own, but whose hash at the checkpoint's
//! position is not the signed one; only the signing key could make a
//! matching checkpoint, and old checkpoints stay with the auditors.
//!
//! The signed message is the text
//! `agora-checkpoint-v1\n{position}\n{chain_hash hex}\n{signed_at_micros}`.
//! The key is `audit_signing_key_file` (default
//! `DATA_DIR/audit-signing.key`): 64 hex digits, the key's seed, created
//! on first start.

use std::path::{Path, PathBuf};

use agora_events::Timestamp;
use anyhow::Context;
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::config::Settings;
use crate::hex;
use crate::timefmt::rfc3339;

/// A checkpoint as the server hands it out and auditors keep it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct Checkpoint {
    /// The position of the last record covered.
    pub(crate) position: u64,
    /// That record's chain hash (64 hex digits).
    pub(crate) chain_hash: String,
    /// When it was signed, RFC 3339.
    pub(crate) signed_at: String,
    /// The same, in microseconds since the Unix epoch (what is signed).
    pub(crate) signed_at_micros: i64,
    /// The Ed25519 public key that signed it (64 hex digits).
    pub(crate) public_key: String,
    /// The Ed25519 signature of the message (128 hex digits).
    pub(crate) signature: String,
}

/// The text a checkpoint's signature covers.
fn message(position: u64, chain_hash: &[u8; 32], signed_at: Timestamp) -> Vec<u8> {
    format!(
        "agora-checkpoint-v1\n{position}\n{}\n{}",
        hex::encode(chain_hash),
        signed_at.0
    )
    .into_bytes()
}

/// Signs (position, chain hash, time).
pub(crate) fn sign(
    key: &SigningKey,
    position: u64,
    chain_hash: &[u8; 32],
    signed_at: Timestamp,
) -> Checkpoint {
    let signature = key.sign(&message(position, chain_hash, signed_at));
    Checkpoint {
        position,
        chain_hash: hex::encode(chain_hash),
        signed_at: rfc3339(signed_at),
        signed_at_micros: signed_at.0,
        public_key: hex::encode(key.verifying_key().as_bytes()),
        signature: hex::encode(&signature.to_bytes()),
    }
}

/// Checks the checkpoint's signature (by `pinned`, when given: the key an
/// auditor trusts) and answers the chain hash it vouches for.
pub(crate) fn verify(
    checkpoint: &Checkpoint,
    pinned: Option<&[u8; 32]>,
) -> Result<[u8; 32], String> {
    let key: [u8; 32] =
        hex::parse_bytes(&checkpoint.public_key).map_err(|e| format!("public_key: {e}"))?;
    if let Some(pinned) = pinned
        && *pinned != key
    {
        return Err("the checkpoint was signed by another key than the one given".into());
    }
    let key = VerifyingKey::from_bytes(&key).map_err(|e| format!("public_key: {e}"))?;
    let hash = hex::parse_hash(&checkpoint.chain_hash).map_err(|e| format!("chain_hash: {e}"))?;
    let signature: [u8; 64] =
        hex::parse_bytes(&checkpoint.signature).map_err(|e| format!("signature: {e}"))?;
    let signed_at = Timestamp(checkpoint.signed_at_micros);
    key.verify(
        &message(checkpoint.position, &hash, signed_at),
        &Signature::from_bytes(&signature),
    )
    .map_err(|_| "the signature does not verify".to_owned())?;
    Ok(hash)
}

/// Where the signing key lives.
pub(crate) fn key_path(settings: &Settings) -> PathBuf {
    settings
        .audit_signing_key_file
        .clone()
        .unwrap_or_else(|| settings.data_dir.join("audit-signing.key"))
}

/// The signing key from its file, created with a fresh key if absent.
pub(crate) fn signing_key(settings: &Settings) -> anyhow::Result<SigningKey> {
    let path = key_path(settings);
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let seed: [u8; 32] = hex::parse_bytes(&text)
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("the audit signing key in {}", path.display()))?;
        return Ok(SigningKey::from_bytes(&seed));
    }
    let seed: [u8; 32] = rand::random();
    write_new_key(&path, &seed)?;
    tracing::warn!(file = %path.display(), "generated a new audit signing key; publish its public key to auditors and back it up");
    Ok(SigningKey::from_bytes(&seed))
}

fn write_new_key(path: &Path, seed: &[u8; 32]) -> anyhow::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    writeln!(file, "{}", hex::encode(seed))
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_verifies_and_any_change_breaks_it() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let checkpoint = sign(&key, 41, &[9; 32], Timestamp(1_700_000_000_000_000));
        assert_eq!(verify(&checkpoint, None), Ok([9; 32]));
        let pinned = key.verifying_key().to_bytes();
        assert_eq!(verify(&checkpoint, Some(&pinned)), Ok([9; 32]));
        assert!(verify(&checkpoint, Some(&[1; 32])).is_err());
        let moved = Checkpoint {
            position: 40,
            ..checkpoint.clone()
        };
        assert!(verify(&moved, None).is_err());
        let rehashed = Checkpoint {
            chain_hash: "ab".repeat(32),
            ..checkpoint.clone()
        };
        assert!(verify(&rehashed, None).is_err());
        let garbage = Checkpoint {
            signature: "zz".into(),
            ..checkpoint
        };
        assert!(verify(&garbage, None).is_err());
    }
}
