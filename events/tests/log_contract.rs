//! The shared contract suite against the embedded log, with tiny segments
//! (so appends roll across files) and a tiny live buffer (so subscribers lag
//! and fall back to the log).

mod contract;

use agora_events::{LogConfig, LogStore};
use contract::Backend;

struct Log {
    dir: tempfile::TempDir,
}

impl Log {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }
}

#[async_trait::async_trait]
impl Backend for Log {
    type Store = LogStore;
    async fn open(&self) -> LogStore {
        let config = LogConfig {
            segment_bytes: 64 * 1024,
            live_buffer_batches: 4,
            ..LogConfig::default()
        };
        LogStore::open(self.dir.path(), config).expect("open log store")
    }
    fn dense_positions(&self) -> bool {
        true
    }
}

macro_rules! contract_tests {
    ($($name:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            contract::$name(&Log::new(), "t").await;
        }
    )*};
}

contract_tests!(
    append_then_read_back,
    expected_version_conflicts_write_nothing,
    idempotent_repeats_return_the_original_result,
    reused_ids_are_refused,
    batches_are_atomic,
    concurrent_writers_get_one_total_order,
    subscription_switches_from_catch_up_to_live_without_gap_or_duplicate,
    slow_subscriber_still_sees_everything,
    read_all_pages_through_the_log,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_suite_runs_in_one_store() {
    contract::run_all(&Log::new(), "all").await;
}
