//! `agora verify` on stores written by `agora bench write`: an intact chain,
//! checkpoints, and a damaged log.

use crate::common::{Run, Sandbox};

/// Writes 4 clients x 25 appends x 2 events = 200 events.
fn bench_write(sandbox: &Sandbox) -> Run {
    let mut args: Vec<String> = [
        "bench",
        "write",
        "--clients",
        "4",
        "--requests-per-client",
        "25",
        "--streams",
        "3",
        "--event-size",
        "64",
        "--batch-size",
        "2",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(sandbox.data_dir_args());
    sandbox.run(args).success()
}

fn verify(sandbox: &Sandbox, extra: &[&str]) -> Run {
    let mut args = vec!["verify".to_string()];
    args.extend(sandbox.data_dir_args());
    args.extend(extra.iter().map(|s| s.to_string()));
    sandbox.run(args)
}

#[test]
fn a_store_written_by_bench_write_verifies() {
    let sandbox = Sandbox::new();
    let written = bench_write(&sandbox);
    assert!(written.stdout.contains("events"), "{written}");

    let human = verify(&sandbox, &[]).success();
    assert!(
        human
            .stdout
            .contains("hash chain intact: 200 events checked"),
        "{human}"
    );

    let report = verify(&sandbox, &["--json"]).success().json();
    assert_eq!(report["intact"], true);
    assert_eq!(report["checked"], 200);
    assert_eq!(report["next_position"], 200);
    assert_eq!(report["last_hash"].as_str().map(str::len), Some(64));
}

#[test]
fn verifying_from_a_checkpoint_checks_only_what_came_after() {
    let sandbox = Sandbox::new();
    bench_write(&sandbox);
    let first = verify(&sandbox, &["--json"]).success().json();
    let checkpoint = first["last_hash"].as_str().expect("a last hash").to_owned();

    bench_write(&sandbox);
    let next = verify(
        &sandbox,
        &["--json", "--from", "200", "--prev-hash", &checkpoint],
    )
    .success()
    .json();
    assert_eq!(next["intact"], true);
    assert_eq!(next["checked"], 200);

    let wrong = "0".repeat(64);
    let broken = verify(
        &sandbox,
        &["--json", "--from", "200", "--prev-hash", &wrong],
    )
    .exit_code(2)
    .json();
    assert_eq!(broken["first_break"]["position"], 200);
}

#[test]
fn a_damaged_record_is_reported_as_a_break() {
    let sandbox = Sandbox::new();
    bench_write(&sandbox);
    let segment = std::fs::read_dir(sandbox.data_dir().join("segments"))
        .expect("segments dir")
        .map(|e| e.expect("dir entry").path())
        .find(|p| p.extension().is_some_and(|e| e == "seg"))
        .expect("a segment file");
    let mut bytes = std::fs::read(&segment).expect("reading the segment");
    // The file goes on with zeros the writer wrote ahead: find where the
    // records end, and damage a quarter in — an early commit, with later
    // commits after it, so this is corruption of acknowledged data, not a
    // torn tail.
    let mut end = 16;
    while end + 8 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[end..end + 4].try_into().expect("4 bytes")) as usize;
        if len == 0 {
            break;
        }
        end += 8 + len;
    }
    let at = end / 4;
    bytes[at] ^= 0x40;
    std::fs::write(&segment, &bytes).expect("writing the segment");

    let run = verify(&sandbox, &[]).exit_code(2);
    assert!(
        run.stdout.contains("hash chain BROKEN at position"),
        "{run}"
    );
    let report = verify(&sandbox, &["--json"]).exit_code(2).json();
    assert_eq!(report["intact"], false);
    assert!(
        report["first_break"]["position"]
            .as_u64()
            .is_some_and(|p| p < 200),
        "{report}"
    );
}
