//! Fault injection against the embedded log: torn tails at every byte,
//! flipped bits, tampering, a second opener, and SIGKILL during an append
//! flood.

use std::fs::{self, OpenOptions};
use std::io::{BufRead, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use agora_events::{
    EventStore, ExpectedVersion, LogConfig, LogStore, NewEvent, ReadDirection, RecordedEvent,
    StoreError, StreamName,
};
use rand::Rng;

fn open(dir: &Path) -> Result<LogStore, StoreError> {
    LogStore::open(dir, LogConfig::default())
}

fn segment_file(dir: &Path) -> PathBuf {
    dir.join("segments").join("00000000000000000000.seg")
}

fn file_len(path: &Path) -> u64 {
    fs::metadata(path).expect("metadata").len()
}

fn stream(name: &str) -> StreamName {
    StreamName::new(name).expect("stream name")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

async fn everything(store: &LogStore) -> Vec<RecordedEvent> {
    store.read_all(0, usize::MAX).await.expect("read_all")
}

/// Writes `appends` appends of one event each (the last one with
/// `last_batch` events); returns the segment length before the last append.
fn write_log(dir: &Path, appends: usize, last_batch: usize) -> u64 {
    let rt = runtime();
    let store = open(dir).expect("open");
    let s = stream("s");
    let mut before_last = 0;
    rt.block_on(async {
        for i in 0..appends {
            if i + 1 == appends {
                before_last = log_end(&segment_file(dir));
                let batch = (0..last_batch)
                    .map(|k| NewEvent::new("Last", vec![k as u8; 40]))
                    .collect();
                store
                    .append(&s, ExpectedVersion::Any, batch)
                    .await
                    .expect("append");
            } else {
                store
                    .append(
                        &s,
                        ExpectedVersion::Any,
                        vec![NewEvent::new("E", vec![i as u8; 30])],
                    )
                    .await
                    .expect("append");
            }
        }
    });
    before_last
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to.join("segments")).expect("mkdir");
    for entry in fs::read_dir(from.join("segments")).expect("read dir") {
        let entry = entry.expect("entry");
        fs::copy(entry.path(), to.join("segments").join(entry.file_name())).expect("copy");
    }
}

#[test]
fn a_torn_tail_at_every_byte_of_the_last_record_is_cut_off() {
    let original = tempfile::tempdir().expect("tmp");
    let before_last = write_log(original.path(), 5, 1);
    let full = log_end(&segment_file(original.path()));
    let rt = runtime();
    for cut in before_last..full {
        let dir = tempfile::tempdir().expect("tmp");
        copy_dir(original.path(), dir.path());
        OpenOptions::new()
            .write(true)
            .open(segment_file(dir.path()))
            .and_then(|f| f.set_len(cut))
            .expect("truncate");
        let store = open(dir.path()).unwrap_or_else(|e| panic!("open after a cut at {cut}: {e}"));
        let report = store.recovery_report().clone();
        assert_eq!(report.events, 4, "cut at {cut}");
        assert_eq!(report.truncated_bytes, cut - before_last, "cut at {cut}");
        assert_eq!(file_len(&segment_file(dir.path())), before_last);
        rt.block_on(async {
            // The log goes on from the cut, and its chain still verifies.
            let r = store
                .append(
                    &stream("s"),
                    ExpectedVersion::Exact(3),
                    vec![NewEvent::new("After", vec![1])],
                )
                .await;
            assert_eq!(r.expect("append after recovery").position, 4);
            let chain = store.verify_chain(0, None).await.expect("verify");
            assert_eq!(chain.first_break, None);
            assert_eq!(chain.checked, 5);
        });
    }
}

#[test]
fn a_partly_written_append_is_dropped_whole() {
    let original = tempfile::tempdir().expect("tmp");
    let before_last = write_log(original.path(), 3, 4);
    let full = log_end(&segment_file(original.path()));
    let rt = runtime();
    // Cut inside the last append's later records: its first records are intact.
    for cut in [full - 1, full - 70, before_last + (full - before_last) / 2] {
        let dir = tempfile::tempdir().expect("tmp");
        copy_dir(original.path(), dir.path());
        OpenOptions::new()
            .write(true)
            .open(segment_file(dir.path()))
            .and_then(|f| f.set_len(cut))
            .expect("truncate");
        let store = open(dir.path()).expect("open");
        assert_eq!(store.recovery_report().events, 2, "cut at {cut}");
        assert!(store.recovery_report().dropped_records >= 1);
        rt.block_on(async {
            let s = store
                .read_stream(&stream("s"), 0, 100, ReadDirection::Forward)
                .await
                .expect("read");
            assert!(s.iter().all(|e| e.event_type == "E"));
        });
    }
}

#[test]
fn zeros_after_the_last_record_are_space_written_ahead_not_a_torn_tail() {
    let dir = tempfile::tempdir().expect("tmp");
    write_log(dir.path(), 4, 1);
    let path = segment_file(dir.path());
    let end = log_end(&path);
    assert!(file_len(&path) > end, "the writer wrote zeros ahead");
    let rt = runtime();
    {
        let store = open(dir.path()).expect("open");
        assert_eq!(store.recovery_report().events, 4);
        assert_eq!(store.recovery_report().truncated_bytes, 0);
        let r = rt.block_on(store.append(
            &stream("s"),
            ExpectedVersion::Exact(3),
            vec![NewEvent::new("E", vec![5])],
        ));
        assert_eq!(r.expect("append").position, 4);
    }
    let store = open(dir.path()).expect("reopen");
    assert_eq!(store.recovery_report().events, 5);
    drop(store);
    // A torn record *before* the zeros is still cut off.
    let end = log_end(&path);
    OpenOptions::new()
        .write(true)
        .open(&path)
        .and_then(|f| f.write_all_at(&[7, 0, 0, 0, 1, 2], end))
        .expect("garbage");
    let store = open(dir.path()).expect("open after garbage");
    assert_eq!(store.recovery_report().events, 5);
    assert!(store.recovery_report().truncated_bytes > 0);
    assert_eq!(file_len(&path), end);
}

fn flip_bit(path: &Path, offset: u64, bit: u8) {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .expect("open segment");
    let mut byte = [0u8];
    file.read_exact_at(&mut byte, offset).expect("read byte");
    byte[0] ^= 1 << bit;
    file.write_all_at(&byte, offset).expect("write byte");
}

/// Offsets of each record in the first segment, from the recovery-free
/// reading of lengths.
fn record_offsets(path: &Path) -> Vec<u64> {
    let bytes = fs::read(path).expect("read segment");
    let mut offsets = Vec::new();
    let mut at = 16usize;
    while at + 8 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as usize;
        if len == 0 {
            break; // zeros written ahead by the writer
        }
        offsets.push(at as u64);
        at += 8 + len;
    }
    offsets
}

/// The offset just past the last record (the file may go on with zeros).
fn log_end(path: &Path) -> u64 {
    let bytes = fs::read(path).expect("read segment");
    let offsets = record_offsets(path);
    offsets.last().map_or(16, |&last| {
        let at = last as usize;
        last + 8
            + u64::from(u32::from_le_bytes(
                bytes[at..at + 4].try_into().expect("4 bytes"),
            ))
    })
}

#[test]
fn a_flipped_bit_in_a_middle_record_is_a_hard_error_naming_its_position() {
    let original = tempfile::tempdir().expect("tmp");
    write_log(original.path(), 10, 1);
    let offsets = record_offsets(&segment_file(original.path()));
    assert_eq!(offsets.len(), 10);
    let mut rng = rand::rng();
    // Bits in the length, the CRC, the body and the hashes of record 5.
    let record = offsets[5];
    let record_len = offsets[6] - record;
    let mut targets = vec![
        record,
        record + 1,
        record + 4,
        record + 9,
        record + record_len - 1,
    ];
    targets.extend((0..10).map(|_| record + rng.random_range(0..record_len)));
    for target in targets {
        let dir = tempfile::tempdir().expect("tmp");
        copy_dir(original.path(), dir.path());
        flip_bit(&segment_file(dir.path()), target, rng.random_range(0..8));
        match open(dir.path()) {
            Err(StoreError::Corrupt {
                position, offset, ..
            }) => {
                assert_eq!(position, 5, "flip at byte {target}");
                assert_eq!(offset, record, "flip at byte {target}");
            }
            other => panic!("flip at byte {target}: expected a corruption error, got {other:?}"),
        }
    }
}

#[test]
fn a_rewritten_record_with_a_fresh_crc_breaks_the_hash_chain() {
    let dir = tempfile::tempdir().expect("tmp");
    write_log(dir.path(), 6, 1);
    let path = segment_file(dir.path());
    let offsets = record_offsets(&path);
    // Change the last payload byte of record 2 and recompute its CRC, as a
    // forger who knows the framing but not the chain would.
    let bytes = fs::read(&path).expect("read");
    let (start, end) = (offsets[2] as usize, offsets[3] as usize);
    let mut record = bytes[start..end].to_vec();
    let payload_end = record.len() - 64 - 1;
    record[payload_end] ^= 0xff;
    let crc = crc32c::crc32c(&record[8..]);
    record[4..8].copy_from_slice(&crc.to_le_bytes());
    OpenOptions::new()
        .write(true)
        .open(&path)
        .and_then(|f| f.write_all_at(&record, start as u64))
        .expect("forge");

    let store = open(dir.path()).expect("the framing is valid, so the store opens");
    let report = runtime()
        .block_on(store.verify_chain(0, None))
        .expect("verify");
    let broken = report.first_break.expect("the chain must break");
    assert_eq!(broken.position, 2);
    assert_eq!(report.checked, 2);
}

#[test]
fn verification_from_a_checkpoint_uses_the_auditors_hash() {
    let dir = tempfile::tempdir().expect("tmp");
    write_log(dir.path(), 8, 1);
    let store = open(dir.path()).expect("open");
    let rt = runtime();
    let first = rt.block_on(store.verify_chain(0, None)).expect("verify");
    assert_eq!((first.checked, first.first_break.clone()), (8, None));
    let upto3 = {
        let dir2 = tempfile::tempdir().expect("tmp");
        copy_dir(dir.path(), dir2.path());
        let offsets = record_offsets(&segment_file(dir2.path()));
        OpenOptions::new()
            .write(true)
            .open(segment_file(dir2.path()))
            .and_then(|f| f.set_len(offsets[4]))
            .expect("cut");
        let s = open(dir2.path()).expect("open");
        rt.block_on(s.verify_chain(0, None)).expect("verify")
    };
    let checkpoint = upto3.last_hash.expect("hash");
    let rest = rt
        .block_on(store.verify_chain(4, Some(checkpoint)))
        .expect("verify");
    assert_eq!(
        (rest.checked, rest.first_break.clone(), rest.last_hash),
        (4, None, first.last_hash)
    );
    let wrong = rt
        .block_on(store.verify_chain(4, Some([9; 32])))
        .expect("verify");
    assert_eq!(wrong.first_break.map(|b| b.position), Some(4));
}

#[test]
fn a_second_opener_is_refused_while_the_first_holds_the_directory() {
    let dir = tempfile::tempdir().expect("tmp");
    let first = open(dir.path()).expect("open");
    match open(dir.path()) {
        Err(StoreError::Locked(path)) => assert_eq!(path, dir.path()),
        other => panic!("expected Locked, got {other:?}"),
    }
    drop(first);
    open(dir.path()).expect("reopen after the first closed");
}

#[test]
fn records_roll_across_segments_and_reopen_intact() {
    let dir = tempfile::tempdir().expect("tmp");
    let config = LogConfig {
        segment_bytes: 4096,
        ..LogConfig::default()
    };
    let rt = runtime();
    let written = {
        let store = LogStore::open(dir.path(), config.clone()).expect("open");
        rt.block_on(async {
            for i in 0..200u32 {
                let s = stream(&format!("s{}", i % 7));
                let batch = (0..(i % 3 + 1))
                    .map(|k| NewEvent::new("E", vec![k as u8; 50]))
                    .collect();
                store
                    .append(&s, ExpectedVersion::Any, batch)
                    .await
                    .expect("append");
            }
            everything(&store).await
        })
    };
    let segments = fs::read_dir(dir.path().join("segments"))
        .expect("ls")
        .count();
    assert!(segments > 10, "{segments} segments");
    let store = LogStore::open(dir.path(), config).expect("reopen");
    let again = rt.block_on(everything(&store));
    assert_eq!(again, written);
    let chain = rt.block_on(store.verify_chain(0, None)).expect("verify");
    assert_eq!(
        (chain.checked, chain.first_break),
        (written.len() as u64, None)
    );
}

// ---- SIGKILL during an append flood -------------------------------------

const FLOOD_DIR: &str = "AGORA_TEST_FLOOD_DIR";

/// The child side: appends from several tasks until killed, logging each
/// acknowledgement (`position id`) to `acks.log`, fsynced before it counts.
#[test]
#[ignore = "run by kill_minus_nine_during_an_append_flood_loses_no_acknowledged_event"]
fn child_append_flood() {
    let Ok(dir) = std::env::var(FLOOD_DIR) else {
        return;
    };
    let dir = PathBuf::from(dir);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("rt");
    rt.block_on(async move {
        let store = LogStore::open(dir.join("store"), LogConfig::default()).expect("child open");
        let (acks, mut ack_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        let ack_path = dir.join("acks.log");
        let logger = tokio::task::spawn_blocking(move || {
            let mut file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(ack_path)
                .expect("ack log");
            while let Some(first) = ack_rx.blocking_recv() {
                let mut lines = first;
                while let Ok(more) = ack_rx.try_recv() {
                    lines.push_str(&more);
                }
                file.write_all(lines.as_bytes()).expect("write ack");
                file.sync_data().expect("sync ack");
            }
        });
        let writers: Vec<_> = (0..16)
            .map(|w| {
                let store = store.clone();
                let acks = acks.clone();
                tokio::spawn(async move {
                    let s = stream(&format!("flood-{w}"));
                    for i in 0u64.. {
                        let n = 1 + (i % 3) as usize;
                        let batch: Vec<NewEvent> = (0..n)
                            .map(|_| NewEvent::new("Flooded", vec![w as u8; 100]))
                            .collect();
                        let ids: Vec<String> = batch.iter().map(|e| e.id.to_string()).collect();
                        let r = store
                            .append(&s, ExpectedVersion::Any, batch)
                            .await
                            .expect("append");
                        let first = r.position + 1 - n as u64;
                        let line: String = ids
                            .iter()
                            .enumerate()
                            .map(|(k, id)| format!("{} {id}\n", first + k as u64))
                            .collect();
                        acks.send(line).expect("ack channel");
                    }
                })
            })
            .collect();
        for w in writers {
            let _ = w.await;
        }
        drop(acks);
        let _ = logger.await;
    });
}

#[test]
fn kill_minus_nine_during_an_append_flood_loses_no_acknowledged_event() {
    let dir = tempfile::tempdir().expect("tmp");
    let exe = std::env::current_exe().expect("test binary");
    let mut rng = rand::rng();
    let rt = runtime();
    for round in 0..6 {
        let mut child = std::process::Command::new(&exe)
            .args([
                "--exact",
                "child_append_flood",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(FLOOD_DIR, dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn child");
        std::thread::sleep(Duration::from_millis(rng.random_range(150..700)));
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");

        let acked = read_acks(&dir.path().join("acks.log"));
        // The next child appends to the same file: a line the kill tore
        // would be joined with its first line.
        trim_torn_tail(&dir.path().join("acks.log"));
        let store = open(&dir.path().join("store")).expect("reopen after SIGKILL");
        let all = rt.block_on(everything(&store));
        for (position, id) in &acked {
            let event = all
                .get(*position as usize)
                .unwrap_or_else(|| panic!("round {round}: acknowledged position {position} lost"));
            assert_eq!(
                &event.id.to_string(),
                id,
                "round {round}: position {position}"
            );
        }
        assert!(all.iter().enumerate().all(|(k, e)| e.position == k as u64));
        let chain = rt.block_on(store.verify_chain(0, None)).expect("verify");
        assert_eq!(chain.first_break, None, "round {round}");
        assert_eq!(chain.checked, all.len() as u64);
        eprintln!(
            "round {round}: {} acknowledged, {} in the log, {:?}",
            acked.len(),
            all.len(),
            store.recovery_report()
        );
        assert!(!acked.is_empty() || round > 0, "the child made progress");
    }
}

/// Cuts the file at the end of its last complete line (a kill can leave a
/// line half written; nothing after it was acknowledged).
fn trim_torn_tail(path: &Path) {
    let Ok(bytes) = fs::read(path) else {
        return;
    };
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    if complete < bytes.len() {
        let file = OpenOptions::new().write(true).open(path).expect("ack log");
        file.set_len(complete as u64).expect("trim the torn line");
        file.sync_all().expect("sync ack log");
    }
}

/// Complete lines of the ack log (a torn last line is ignored).
fn read_acks(path: &Path) -> Vec<(u64, String)> {
    let Ok(file) = fs::File::open(path) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut reader = std::io::BufReader::new(file);
    let mut line = String::new();
    while reader.read_line(&mut line).expect("read ack line") > 0 {
        if let Some(body) = line.strip_suffix('\n')
            && let Some((position, id)) = body.split_once(' ')
            && let Ok(position) = position.parse()
        {
            out.push((position, id.to_owned()));
        }
        line.clear();
    }
    out
}
