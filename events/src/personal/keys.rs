//! The key store: one data key per subject, wrapped by the master key, kept
//! in `DIR/keys.log` beside the event log.
//!
//! File format: a sequence of records `[len: u32][crc32c: u32][body]`, body =
//! bincode of `(subject, nonce, wrapped key)`. New keys are appended and
//! fsynced before they are used, so no acknowledged event can hold an
//! envelope whose key was lost. A torn last record is cut off on open.
//! Shredding rewrites the file without the subject (temp file, fsync,
//! rename, directory fsync), so the wrapped key is gone from the live file.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use parking_lot::Mutex;
use serde::Serialize;
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

use super::{PersonalDataError, Sealed};
use crate::codec;

const KEY_FILE: &str = "keys.log";
/// Associated data that binds a wrapped key to its purpose.
const WRAP_CONTEXT: &[u8] = b"agora data key v1:";

/// The deployment's key-encryption key: 32 bytes, configured as 64 hex digits.
#[derive(Clone)]
pub struct MasterKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    /// Parses 64 hex digits.
    pub fn from_hex(hex: &str) -> Result<Self, PersonalDataError> {
        let hex = hex.trim();
        if hex.len() != 64 || !hex.is_ascii() {
            return Err(PersonalDataError::BadMasterKey);
        }
        let mut key = Zeroizing::new([0u8; 32]);
        for (i, byte) in key.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)
                .map_err(|_| PersonalDataError::BadMasterKey)?;
        }
        Ok(Self(key))
    }

    /// A fresh random key.
    pub fn generate() -> Self {
        Self(Zeroizing::new(rand::random()))
    }

    /// The key as 64 hex digits.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct KeyRecord {
    subject: String,
    nonce: [u8; 24],
    wrapped: Vec<u8>,
}

struct Inner {
    /// Each key with the sequence number of its record in the file.
    keys: HashMap<String, (Zeroizing<[u8; 32]>, u64)>,
    file: File,
    /// Records appended since open.
    written: u64,
}

/// Group commit of new keys: one `fdatasync` covers every record appended
/// before it started.
struct Durability {
    synced: u64,
    file: File,
}

/// Per-subject data keys. Thread-safe; creating a key is durable on return.
pub struct KeyStore {
    dir: PathBuf,
    master: MasterKey,
    inner: Mutex<Inner>,
    durability: Mutex<Durability>,
}

impl std::fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyStore")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> PersonalDataError {
    let context = context.into();
    move |source| PersonalDataError::Io { context, source }
}

impl KeyStore {
    /// Opens (creating if needed) the key store in `dir`, unwrapping every
    /// key with `master`. Fails if any key does not open: a wrong master key
    /// must stop the server, not silently make data unreadable.
    pub fn open(dir: impl AsRef<Path>, master: MasterKey) -> Result<Self, PersonalDataError> {
        let dir = dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir).map_err(io(format!("creating {}", dir.display())))?;
        let path = dir.join(KEY_FILE);
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .append(true)
            .open(&path)
            .map_err(io(format!("opening {}", path.display())))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(io(format!("reading {}", path.display())))?;
        let (records, good_len) = parse_records(&bytes, &path)?;
        if good_len < bytes.len() {
            tracing::warn!(file = %path.display(), bytes = bytes.len() - good_len, "cutting a torn record off the key file");
            file.set_len(good_len as u64)
                .map_err(io("truncating the key file"))?;
            file.sync_all().map_err(io("syncing the key file"))?;
        }
        let mut keys = HashMap::with_capacity(records.len());
        for record in records {
            let key = unwrap_key(&master, &record)?;
            keys.insert(record.subject, (key, 0));
        }
        let sync_handle = file
            .try_clone()
            .map_err(io("cloning the key file handle"))?;
        Ok(Self {
            dir,
            master,
            inner: Mutex::new(Inner {
                keys,
                file,
                written: 0,
            }),
            durability: Mutex::new(Durability {
                synced: 0,
                file: sync_handle,
            }),
        })
    }

    /// Makes sure `subject` has a data key, creating and persisting one if
    /// needed. Durable on return.
    pub fn ensure_key(&self, subject: &str) -> Result<(), PersonalDataError> {
        let seq = {
            let mut inner = self.inner.lock();
            match inner.keys.get(subject) {
                Some((_, seq)) => *seq,
                None => {
                    let key: Zeroizing<[u8; 32]> = Zeroizing::new(rand::random());
                    let record = KeyRecord {
                        subject: subject.to_owned(),
                        nonce: rand::random(),
                        wrapped: Vec::new(),
                    };
                    let record = KeyRecord {
                        wrapped: wrap(&self.master, &record.nonce, subject, &key)?,
                        ..record
                    };
                    inner
                        .file
                        .write_all(&frame(&record)?)
                        .map_err(io("appending to the key file"))?;
                    inner.written += 1;
                    let seq = inner.written;
                    inner.keys.insert(subject.to_owned(), (key, seq));
                    seq
                }
            }
        };
        self.wait_durable(seq)
    }

    /// Returns once the record with sequence number `seq` is on disk,
    /// syncing on behalf of every writer that queued behind the last sync.
    fn wait_durable(&self, seq: u64) -> Result<(), PersonalDataError> {
        // Lock order is inner → durability everywhere: read the target first.
        let target = self.inner.lock().written;
        let mut durability = self.durability.lock();
        if durability.synced >= seq {
            return Ok(());
        }
        durability
            .file
            .sync_data()
            .map_err(io("syncing the key file"))?;
        durability.synced = target;
        Ok(())
    }

    /// Whether `subject` has a data key (false once shredded).
    pub fn has_key(&self, subject: &str) -> bool {
        self.inner.lock().keys.contains_key(subject)
    }

    /// Encrypts `value` for `subject`, whose key must exist.
    pub fn seal<T: Serialize>(
        &self,
        subject: &str,
        value: &T,
    ) -> Result<Sealed, PersonalDataError> {
        let key = self
            .key(subject)?
            .ok_or_else(|| PersonalDataError::NoKey(subject.to_owned()))?;
        Sealed::seal(&key, subject, value)
    }

    /// Decrypts `sealed` for `subject`; `Ok(None)` when the subject's key was
    /// shredded (or never existed): the data is gone for good.
    pub fn open_sealed<T: DeserializeOwned>(
        &self,
        subject: &str,
        sealed: &Sealed,
    ) -> Result<Option<T>, PersonalDataError> {
        match self.key(subject)? {
            Some(key) => sealed.open(&key, subject).map(Some),
            None => Ok(None),
        }
    }

    /// Destroys `subject`'s data key: the key file is rewritten without it.
    /// Every envelope sealed for the subject becomes unreadable.
    pub fn shred(&self, subject: &str) -> Result<(), PersonalDataError> {
        let mut inner = self.inner.lock();
        if inner.keys.remove(subject).is_none() {
            return Ok(());
        }
        let mut durability = self.durability.lock();
        let path = self.dir.join(KEY_FILE);
        let tmp = self.dir.join(format!("{KEY_FILE}.tmp"));
        let mut bytes = Vec::new();
        for (other, (key, _)) in &inner.keys {
            let nonce: [u8; 24] = rand::random();
            let wrapped = wrap(&self.master, &nonce, other, key)?;
            bytes.extend(frame(&KeyRecord {
                subject: other.clone(),
                nonce,
                wrapped,
            })?);
        }
        let mut out = File::create(&tmp).map_err(io("creating the new key file"))?;
        out.write_all(&bytes)
            .map_err(io("writing the new key file"))?;
        out.sync_all().map_err(io("syncing the new key file"))?;
        std::fs::rename(&tmp, &path).map_err(io("replacing the key file"))?;
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(io("syncing the key directory"))?;
        inner.file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(&path)
            .map_err(io("reopening the key file"))?;
        durability.file = inner
            .file
            .try_clone()
            .map_err(io("cloning the key file handle"))?;
        // Everything written so far is in the synced new file.
        durability.synced = inner.written;
        Ok(())
    }

    fn key(&self, subject: &str) -> Result<Option<Zeroizing<[u8; 32]>>, PersonalDataError> {
        Ok(self
            .inner
            .lock()
            .keys
            .get(subject)
            .map(|(key, _)| key.clone()))
    }
}

fn wrap_cipher(master: &MasterKey) -> XChaCha20Poly1305 {
    XChaCha20Poly1305::new((&*master.0).into())
}

fn wrap(
    master: &MasterKey,
    nonce: &[u8; 24],
    subject: &str,
    key: &[u8; 32],
) -> Result<Vec<u8>, PersonalDataError> {
    wrap_cipher(master)
        .encrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: key.as_slice(),
                aad: &wrap_aad(subject),
            },
        )
        .map_err(|_| PersonalDataError::Codec("wrapping a data key failed".into()))
}

fn wrap_aad(subject: &str) -> Vec<u8> {
    [WRAP_CONTEXT, subject.as_bytes()].concat()
}

fn unwrap_key(
    master: &MasterKey,
    record: &KeyRecord,
) -> Result<Zeroizing<[u8; 32]>, PersonalDataError> {
    let plain = Zeroizing::new(
        wrap_cipher(master)
            .decrypt(
                XNonce::from_slice(&record.nonce),
                Payload {
                    msg: &record.wrapped,
                    aad: &wrap_aad(&record.subject),
                },
            )
            .map_err(|_| PersonalDataError::WrongMasterKey(record.subject.clone()))?,
    );
    let mut key = Zeroizing::new([0u8; 32]);
    if plain.len() != 32 {
        return Err(PersonalDataError::WrongMasterKey(record.subject.clone()));
    }
    key.copy_from_slice(&plain);
    Ok(key)
}

fn frame(record: &KeyRecord) -> Result<Vec<u8>, PersonalDataError> {
    let body =
        codec::encode_payload(record).map_err(|e| PersonalDataError::Codec(e.to_string()))?;
    let mut out = Vec::with_capacity(body.len() + 8);
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32c::crc32c(&body).to_le_bytes());
    out.extend_from_slice(&body);
    Ok(out)
}

/// Parses records; returns them and the length of the valid prefix. A bad
/// record followed by more bytes that parse is corruption, not a torn tail.
fn parse_records(bytes: &[u8], path: &Path) -> Result<(Vec<KeyRecord>, usize), PersonalDataError> {
    let mut records = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let parsed = bytes.get(at..at + 8).and_then(|header| {
            let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
            let crc = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
            let body = bytes.get(at + 8..at + 8 + len)?;
            (crc32c::crc32c(body) == crc)
                .then(|| codec::decode_payload::<KeyRecord>(body).ok())
                .flatten()
                .map(|record| (record, 8 + len))
        });
        match parsed {
            Some((record, len)) => {
                records.push(record);
                at += len;
            }
            None if at + 8 + 4096 < bytes.len() => {
                return Err(PersonalDataError::CorruptKeyFile(
                    path.to_path_buf(),
                    at as u64,
                ));
            }
            None => break,
        }
    }
    Ok((records, at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Contact {
        email: String,
    }

    fn contact() -> Contact {
        Contact {
            email: "ada@example.org".into(),
        }
    }

    #[test]
    fn sealed_data_opens_for_its_subject_only() -> Result<(), PersonalDataError> {
        let dir = tempfile::tempdir().map_err(io("tmp"))?;
        let keys = KeyStore::open(dir.path(), MasterKey::generate())?;
        keys.ensure_key("u1")?;
        keys.ensure_key("u2")?;
        let sealed = keys.seal("u1", &contact())?;
        assert_eq!(keys.open_sealed::<Contact>("u1", &sealed)?, Some(contact()));
        assert!(matches!(
            keys.open_sealed::<Contact>("u2", &sealed),
            Err(PersonalDataError::Tampered(_))
        ));
        let mut altered = sealed;
        altered.ciphertext[0] ^= 1;
        assert!(keys.open_sealed::<Contact>("u1", &altered).is_err());
        Ok(())
    }

    #[test]
    fn keys_survive_reopen_and_need_the_right_master_key() -> Result<(), PersonalDataError> {
        let dir = tempfile::tempdir().map_err(io("tmp"))?;
        let master = MasterKey::generate();
        let sealed = {
            let keys = KeyStore::open(dir.path(), master.clone())?;
            keys.ensure_key("u1")?;
            keys.seal("u1", &contact())?
        };
        let keys = KeyStore::open(dir.path(), MasterKey::from_hex(&master.to_hex())?)?;
        assert_eq!(keys.open_sealed::<Contact>("u1", &sealed)?, Some(contact()));
        drop(keys);
        assert!(matches!(
            KeyStore::open(dir.path(), MasterKey::generate()),
            Err(PersonalDataError::WrongMasterKey(_))
        ));
        Ok(())
    }

    #[test]
    fn shredding_makes_data_unreadable_and_removes_the_key_from_disk()
    -> Result<(), PersonalDataError> {
        let dir = tempfile::tempdir().map_err(io("tmp"))?;
        let master = MasterKey::generate();
        let keys = KeyStore::open(dir.path(), master.clone())?;
        keys.ensure_key("u1")?;
        keys.ensure_key("u2")?;
        let s1 = keys.seal("u1", &contact())?;
        let s2 = keys.seal("u2", &contact())?;
        keys.shred("u1")?;
        assert_eq!(keys.open_sealed::<Contact>("u1", &s1)?, None);
        assert_eq!(keys.open_sealed::<Contact>("u2", &s2)?, Some(contact()));
        drop(keys);
        let keys = KeyStore::open(dir.path(), master)?;
        assert!(!keys.has_key("u1"));
        assert_eq!(keys.open_sealed::<Contact>("u2", &s2)?, Some(contact()));
        let raw = std::fs::read(dir.path().join(KEY_FILE)).map_err(io("read"))?;
        assert!(
            !raw.windows(2).any(|w| w == b"u1"),
            "the shredded subject is gone from the file"
        );
        Ok(())
    }

    #[test]
    fn a_torn_last_key_record_is_cut_off() -> Result<(), PersonalDataError> {
        let dir = tempfile::tempdir().map_err(io("tmp"))?;
        let master = MasterKey::generate();
        {
            let keys = KeyStore::open(dir.path(), master.clone())?;
            keys.ensure_key("u1")?;
            keys.ensure_key("u2")?;
        }
        let path = dir.path().join(KEY_FILE);
        let len = std::fs::metadata(&path).map_err(io("stat"))?.len();
        OpenOptions::new()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_len(len - 5))
            .map_err(io("cut"))?;
        let keys = KeyStore::open(dir.path(), master)?;
        assert!(keys.has_key("u1"));
        assert!(!keys.has_key("u2"));
        Ok(())
    }

    #[test]
    fn master_keys_parse_from_hex() {
        let k = MasterKey::generate();
        assert_eq!(
            MasterKey::from_hex(&k.to_hex()).map(|k| k.to_hex()).ok(),
            Some(k.to_hex())
        );
        assert!(MasterKey::from_hex("abc").is_err());
        assert!(MasterKey::from_hex(&"zz".repeat(32)).is_err());
    }
}
