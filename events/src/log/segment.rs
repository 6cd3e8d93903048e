//! Segment files: the log is a sequence of append-only files named after the
//! global position of their first record (`00000000000000000000.seg`), each
//! starting with a 16-byte header (magic, format version).

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{StoreError, StoreResult};

/// Magic bytes at the start of every segment.
pub(crate) const SEGMENT_MAGIC: &[u8; 8] = b"AGORALOG";
/// Version of the record format inside segments.
pub(crate) const SEGMENT_FORMAT: u32 = 1;
/// Length of the segment header.
pub(crate) const SEGMENT_HEADER_LEN: u64 = 16;
const SEGMENT_EXTENSION: &str = "seg";

/// Where a record lives: segment ordinal in the high 24 bits, byte offset in
/// the low 40 (so a segment may hold up to 1 TiB).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Location(u64);

impl Location {
    const OFFSET_BITS: u32 = 40;
    const OFFSET_MASK: u64 = (1 << Self::OFFSET_BITS) - 1;

    pub(crate) fn new(segment: u32, offset: u64) -> Self {
        debug_assert!(offset <= Self::OFFSET_MASK);
        Self((u64::from(segment) << Self::OFFSET_BITS) | offset)
    }
    pub(crate) fn segment(self) -> usize {
        (self.0 >> Self::OFFSET_BITS) as usize
    }
    pub(crate) fn offset(self) -> u64 {
        self.0 & Self::OFFSET_MASK
    }
    pub(crate) fn raw(self) -> u64 {
        self.0
    }
    pub(crate) fn from_raw(raw: u64) -> Self {
        Self(raw)
    }
}

/// One open segment file. Reads use `pread`, so any number of readers share
/// the handle with the single writer.
#[derive(Debug)]
pub(crate) struct Segment {
    pub(crate) ordinal: u32,
    pub(crate) path: PathBuf,
    file: File,
    /// Bytes that are durable and visible to readers.
    committed_len: AtomicU64,
}

impl Segment {
    /// Creates a new segment, durable (file and directory synced) on return.
    pub(crate) fn create(dir: &Path, ordinal: u32, first_position: u64) -> StoreResult<Self> {
        let path = dir.join(segment_file_name(first_position));
        let ctx = || format!("creating segment {}", path.display());
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| StoreError::io(ctx(), e))?;
        let mut header = [0u8; SEGMENT_HEADER_LEN as usize];
        header[..8].copy_from_slice(SEGMENT_MAGIC);
        header[8..12].copy_from_slice(&SEGMENT_FORMAT.to_le_bytes());
        file.write_all(&header)
            .map_err(|e| StoreError::io(ctx(), e))?;
        file.sync_all().map_err(|e| StoreError::io(ctx(), e))?;
        sync_dir(dir)?;
        Ok(Self {
            ordinal,
            path,
            file,
            committed_len: AtomicU64::new(SEGMENT_HEADER_LEN),
        })
    }

    /// Opens an existing segment and checks its header. Its committed length
    /// starts at the header; recovery raises it as it validates records.
    pub(crate) fn open(path: PathBuf, ordinal: u32, first_position: u64) -> StoreResult<Self> {
        let ctx = || format!("opening segment {}", path.display());
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| StoreError::io(ctx(), e))?;
        let mut header = [0u8; SEGMENT_HEADER_LEN as usize];
        let header_ok = file.read_exact(&mut header).is_ok()
            && &header[..8] == SEGMENT_MAGIC
            && header[8..12] == SEGMENT_FORMAT.to_le_bytes();
        if !header_ok {
            return Err(StoreError::Corrupt {
                position: first_position,
                file: path,
                offset: 0,
                reason:
                    "bad segment header (not an Agora log segment, or an unknown format version)"
                        .into(),
            });
        }
        Ok(Self {
            ordinal,
            path,
            file,
            committed_len: AtomicU64::new(SEGMENT_HEADER_LEN),
        })
    }

    pub(crate) fn file_len(&self) -> StoreResult<u64> {
        self.file
            .metadata()
            .map(|m| m.len())
            .map_err(|e| StoreError::io(format!("reading size of {}", self.path.display()), e))
    }

    /// Reads as many bytes as fit in `buf` starting at `offset`, fewer only
    /// at end of file. Returns how many were read.
    pub(crate) fn read_at(&self, buf: &mut [u8], offset: u64) -> StoreResult<usize> {
        let mut done = 0;
        while done < buf.len() {
            match self.file.read_at(&mut buf[done..], offset + done as u64) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(StoreError::io(
                        format!(
                            "reading {} at {}",
                            self.path.display(),
                            offset + done as u64
                        ),
                        e,
                    ));
                }
            }
        }
        Ok(done)
    }

    pub(crate) fn write_at(&self, bytes: &[u8], offset: u64) -> std::io::Result<()> {
        self.file.write_all_at(bytes, offset)
    }

    /// `fdatasync`: the data written so far (and the length) is durable.
    pub(crate) fn sync_data(&self) -> std::io::Result<()> {
        self.file.sync_data()
    }

    /// Cuts the file to `len` bytes and makes that durable.
    pub(crate) fn truncate(&self, len: u64) -> StoreResult<()> {
        let ctx = || format!("truncating {} to {len} bytes", self.path.display());
        self.file
            .set_len(len)
            .map_err(|e| StoreError::io(ctx(), e))?;
        self.file.sync_all().map_err(|e| StoreError::io(ctx(), e))
    }

    pub(crate) fn committed_len(&self) -> u64 {
        self.committed_len.load(Ordering::Acquire)
    }

    pub(crate) fn set_committed_len(&self, len: u64) {
        self.committed_len.store(len, Ordering::Release);
    }
}

/// The file name of the segment whose first record has `first_position`.
pub(crate) fn segment_file_name(first_position: u64) -> String {
    format!("{first_position:020}.{SEGMENT_EXTENSION}")
}

/// The segment files in `dir`, sorted by first position.
pub(crate) fn list_segments(dir: &Path) -> StoreResult<Vec<(u64, PathBuf)>> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| StoreError::io(format!("listing {}", dir.display()), e))?;
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| StoreError::io(format!("listing {}", dir.display()), e))?;
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some(SEGMENT_EXTENSION) {
            continue;
        }
        let first = path
            .file_stem()
            .and_then(|s| s.to_str())
            .and_then(|s| s.parse::<u64>().ok());
        match first {
            Some(first) => found.push((first, path)),
            None => {
                tracing::warn!(file = %path.display(), "ignoring a .seg file whose name is not a position");
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Makes a directory's entries (created or removed files) durable.
pub(crate) fn sync_dir(dir: &Path) -> StoreResult<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::io(format!("syncing directory {}", dir.display()), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_pack_segment_and_offset() {
        let loc = Location::new(3, 123_456_789);
        assert_eq!(loc.segment(), 3);
        assert_eq!(loc.offset(), 123_456_789);
        assert_eq!(Location::from_raw(loc.raw()), loc);
    }

    #[test]
    fn segment_names_sort_by_position() {
        assert!(segment_file_name(9) < segment_file_name(10));
    }
}
