//! Personal data inside events, encrypted per person (crypto-shredding).
//!
//! E-mail addresses, real names and phone numbers never reach the log in
//! clear. They travel in a [`Sealed`] envelope: XChaCha20-Poly1305 under a
//! random 256-bit data key that belongs to one *subject* (a user id), with
//! the subject as associated data so an envelope cannot be moved to another
//! person. Data keys live in a [`KeyStore`] beside the log — never in it —
//! each wrapped (encrypted) by the deployment's [`MasterKey`].
//!
//! Forgetting a person destroys their data key ([`KeyStore::shred`]): every
//! event stays in the log and the hash chain still verifies, but the
//! envelopes can no longer be opened ([`KeyStore::open`] answers `None`).

mod keys;
mod sealed;

pub use keys::{KeyStore, MasterKey};
pub use sealed::Sealed;

/// What can go wrong sealing or opening personal data.
#[derive(Debug, thiserror::Error)]
pub enum PersonalDataError {
    /// The master key is malformed (it must be 64 hex digits). Fix the
    /// configuration (start-up error).
    #[error("the master key must be 64 hex digits (32 bytes)")]
    BadMasterKey,
    /// A wrapped data key does not open with this master key: the wrong
    /// master key was configured, or the key file was altered (start-up error).
    #[error("data key of subject {0:?} does not open with the configured master key")]
    WrongMasterKey(String),
    /// No data key exists for the subject (it was never created). A caller bug:
    /// create the key before sealing (HTTP 500).
    #[error("no data key for subject {0:?}")]
    NoKey(String),
    /// An envelope failed authentication: it was altered or belongs to
    /// another subject (HTTP 500, investigate).
    #[error("sealed personal data of subject {0:?} failed authentication")]
    Tampered(String),
    /// The sealed value could not be encoded or decoded.
    #[error("personal data codec: {0}")]
    Codec(String),
    /// The key file could not be read or written (HTTP 503).
    #[error("key store I/O {context}: {source}")]
    Io {
        /// What the key store was doing.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The key file holds a damaged record before its end. Restore it from
    /// a backup (start-up error).
    #[error("key file {0} is corrupt at byte {1}")]
    CorruptKeyFile(std::path::PathBuf, u64),
}
