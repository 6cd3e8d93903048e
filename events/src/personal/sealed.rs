//! The envelope that carries personal data inside an event.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::PersonalDataError;
use crate::codec;

/// Personal data of one subject, encrypted with that subject's data key.
/// Serializable, so it can sit inside any event payload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Sealed {
    /// The random 192-bit nonce.
    pub nonce: [u8; 24],
    /// The encrypted value followed by its 128-bit tag.
    pub ciphertext: Vec<u8>,
}

impl Sealed {
    /// Encrypts `value` for `subject` under `key`.
    pub(super) fn seal<T: Serialize>(
        key: &[u8; 32],
        subject: &str,
        value: &T,
    ) -> Result<Self, PersonalDataError> {
        let plain =
            codec::encode_payload(value).map_err(|e| PersonalDataError::Codec(e.to_string()))?;
        let nonce: [u8; 24] = rand::random();
        let cipher = XChaCha20Poly1305::new(key.into());
        let ciphertext = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &plain,
                    aad: subject.as_bytes(),
                },
            )
            .map_err(|_| PersonalDataError::Codec("encryption failed".into()))?;
        Ok(Self { nonce, ciphertext })
    }

    /// Decrypts for `subject` under `key`.
    pub(super) fn open<T: DeserializeOwned>(
        &self,
        key: &[u8; 32],
        subject: &str,
    ) -> Result<T, PersonalDataError> {
        let cipher = XChaCha20Poly1305::new(key.into());
        let plain = cipher
            .decrypt(
                XNonce::from_slice(&self.nonce),
                Payload {
                    msg: &self.ciphertext,
                    aad: subject.as_bytes(),
                },
            )
            .map_err(|_| PersonalDataError::Tampered(subject.to_owned()))?;
        codec::decode_payload(&plain).map_err(|e| PersonalDataError::Codec(e.to_string()))
    }
}
