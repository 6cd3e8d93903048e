//! `GET /metrics`: the store's counters in the Prometheus text exposition
//! format (version 0.0.4).

use std::fmt::Write as _;

use actix_web::{HttpResponse, web};
use agora_events::{LogStats, RecoveryReport};

use super::AppState;

/// Content type of the text exposition format.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// `GET /metrics`.
pub(crate) async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let stats = state.store.stats();
    let mut body = render(&stats, state.store.recovery_report());
    render_domain(&mut body, &state, stats.head.checked_sub(1));
    state.requests.render(&mut body);
    HttpResponse::Ok().content_type(CONTENT_TYPE).body(body)
}

/// One metric family: its help line, type and value.
struct Family<'a> {
    name: &'a str,
    kind: &'a str,
    help: &'a str,
    value: String,
}

/// Renders every metric family.
fn render(stats: &LogStats, recovery: &RecoveryReport) -> String {
    let families = [
        Family {
            name: "agora_events_appended_total",
            kind: "counter",
            help: "Events committed to the event store since it was opened.",
            value: stats.events_appended.to_string(),
        },
        Family {
            name: "agora_log_appends_total",
            kind: "counter",
            help: "Append calls that wrote events since the store was opened.",
            value: stats.appends.to_string(),
        },
        Family {
            name: "agora_log_commits_total",
            kind: "counter",
            help: "Group commits (one fdatasync each) since the store was opened.",
            value: stats.commits.to_string(),
        },
        Family {
            name: "agora_log_bytes_written_total",
            kind: "counter",
            help: "Bytes written to log segments since the store was opened.",
            value: stats.bytes_written.to_string(),
        },
        Family {
            name: "agora_log_head_position",
            kind: "gauge",
            help: "Next global position of the log, which is the number of events in it.",
            value: stats.head.to_string(),
        },
        Family {
            name: "agora_log_streams",
            kind: "gauge",
            help: "Streams in the log.",
            value: stats.streams.to_string(),
        },
        Family {
            name: "agora_store_open_seconds",
            kind: "gauge",
            help: "Time the store took to open (recovery scan and index rebuild).",
            value: recovery.duration.as_secs_f64().to_string(),
        },
        Family {
            name: "agora_store_recovery_truncated_bytes",
            kind: "gauge",
            help: "Bytes of a torn tail cut off when the store was opened.",
            value: recovery.truncated_bytes.to_string(),
        },
    ];
    let mut out = String::new();
    for f in &families {
        // Writing to a String cannot fail.
        let _ = write!(
            out,
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n",
            name = f.name,
            help = f.help,
            kind = f.kind,
            value = f.value
        );
    }
    out
}

/// Projection lag and live actors.
fn render_domain(out: &mut String, state: &AppState, head: Option<u64>) {
    let _ = write!(
        out,
        "# HELP agora_projection_lag_events Events in the log a projection has not applied yet.\n\
         # TYPE agora_projection_lag_events gauge\n"
    );
    for (name, checkpoint, _) in state.projections.health() {
        let lag = super::health::lag(head, checkpoint);
        let _ = writeln!(
            out,
            "agora_projection_lag_events{{projection=\"{name}\"}} {lag}"
        );
    }
    let counts = [
        (
            "user",
            state.users.registry().live_actors(),
            state.users.registry().peak_actors(),
        ),
        (
            "content",
            state.contents.registry().live_actors(),
            state.contents.registry().peak_actors(),
        ),
        (
            "partner",
            state.partners.registry().live_actors(),
            state.partners.registry().peak_actors(),
        ),
        (
            "plan",
            state.memberships.registry().live_actors(),
            state.memberships.registry().peak_actors(),
        ),
    ];
    let _ = write!(
        out,
        "# HELP agora_aggregate_actors Aggregate actors in memory now.\n\
         # TYPE agora_aggregate_actors gauge\n"
    );
    for (aggregate, live, _) in counts {
        let _ = writeln!(
            out,
            "agora_aggregate_actors{{aggregate=\"{aggregate}\"}} {live}"
        );
    }
    let _ = write!(
        out,
        "# HELP agora_aggregate_actors_peak Most aggregate actors in memory at once since start.\n\
         # TYPE agora_aggregate_actors_peak gauge\n"
    );
    for (aggregate, _, peak) in counts {
        let _ = writeln!(
            out,
            "agora_aggregate_actors_peak{{aggregate=\"{aggregate}\"}} {peak}"
        );
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn every_family_has_help_type_and_one_sample() {
        let stats = LogStats {
            events_appended: 7,
            appends: 3,
            commits: 2,
            bytes_written: 900,
            head: 10,
            streams: 4,
        };
        let recovery = RecoveryReport {
            duration: Duration::from_millis(1500),
            ..RecoveryReport::default()
        };
        let text = render(&stats, &recovery);
        assert!(text.contains("\nagora_events_appended_total 7\n"));
        assert!(text.contains("\nagora_log_commits_total 2\n"));
        assert!(text.contains("\nagora_log_head_position 10\n"));
        assert!(text.contains("\nagora_log_streams 4\n"));
        assert!(text.contains("\nagora_store_open_seconds 1.5\n"));
        let samples = text.lines().filter(|l| !l.starts_with('#')).count();
        let types = text.lines().filter(|l| l.starts_with("# TYPE ")).count();
        let helps = text.lines().filter(|l| l.starts_with("# HELP ")).count();
        assert_eq!((samples, helps), (types, types));
    }
}
