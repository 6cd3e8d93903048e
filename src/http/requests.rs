//! Request metrics for `/metrics`: a counter by route, method and status,
//! and a latency histogram by route and method. Routes are labelled by
//! their pattern (`/v1/users/{id}`), and every path no route has shares
//! the label `unmatched`, so labels stay few whatever clients send.

use std::fmt::Write as _;
use std::time::Duration;

use dashmap::DashMap;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// Latencies of one route and method.
#[derive(Debug, Default)]
struct Histogram {
    /// Observations at or below each bucket's bound (not cumulative).
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// Counters and histograms of the requests served since start.
#[derive(Debug, Default)]
pub(crate) struct RequestMetrics {
    counts: DashMap<(&'static str, &'static str, u16), u64>,
    latencies: DashMap<(&'static str, &'static str), Histogram>,
}

impl RequestMetrics {
    /// Records one answered request (labels from [`super::route_label`]:
    /// a route template and a method name, so recording allocates nothing
    /// once a label pair has been seen).
    pub(crate) fn record(
        &self,
        route: Option<&'static str>,
        method: &'static str,
        status: u16,
        took: Duration,
    ) {
        let route = route.unwrap_or("unmatched");
        *self.counts.entry((route, method, status)).or_default() += 1;
        let seconds = took.as_secs_f64();
        let mut histogram = self.latencies.entry((route, method)).or_default();
        if let Some(bucket) = BUCKETS.iter().position(|bound| seconds <= *bound) {
            histogram.buckets[bucket] += 1;
        }
        histogram.count += 1;
        histogram.sum += seconds;
    }

    /// Appends the Prometheus text of both families, in a stable order.
    pub(crate) fn render(&self, out: &mut String) {
        let mut counts: Vec<_> = self.counts.iter().map(|e| (*e.key(), *e.value())).collect();
        counts.sort();
        out.push_str("# HELP agora_http_requests_total HTTP requests answered, by route, method and status.\n");
        out.push_str("# TYPE agora_http_requests_total counter\n");
        for ((route, method, status), n) in counts {
            let _ = writeln!(
                out,
                "agora_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {n}"
            );
        }
        let mut keys: Vec<_> = self.latencies.iter().map(|e| *e.key()).collect();
        keys.sort();
        out.push_str("# HELP agora_http_request_duration_seconds Time to answer HTTP requests, by route and method.\n");
        out.push_str("# TYPE agora_http_request_duration_seconds histogram\n");
        for key in keys {
            let Some(h) = self.latencies.get(&key) else {
                continue;
            };
            let (route, method) = &key;
            let labels = format!("route=\"{route}\",method=\"{method}\"");
            let mut cumulative = 0;
            for (bound, n) in BUCKETS.iter().zip(h.buckets) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "agora_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "agora_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "agora_http_request_duration_seconds_sum{{{labels}}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "agora_http_request_duration_seconds_count{{{labels}}} {}",
                h.count
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_and_timed_by_route() {
        let metrics = RequestMetrics::default();
        metrics.record(
            Some("/v1/users/{id}"),
            "GET",
            200,
            Duration::from_micros(700),
        );
        metrics.record(Some("/v1/users/{id}"), "GET", 200, Duration::from_secs(3));
        metrics.record(None, "GET", 404, Duration::from_micros(100));
        let mut text = String::new();
        metrics.render(&mut text);
        assert!(text.contains("agora_http_requests_total{route=\"/v1/users/{id}\",method=\"GET\",status=\"200\"} 2\n"), "{text}");
        assert!(text.contains(
            "agora_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} 1\n"
        ));
        assert!(
            text.contains("route=\"/v1/users/{id}\",method=\"GET\",le=\"0.001\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("route=\"/v1/users/{id}\",method=\"GET\",le=\"+Inf\"} 2\n"));
        assert!(text.contains(
            "agora_http_request_duration_seconds_count{route=\"/v1/users/{id}\",method=\"GET\"} 2\n"
        ));
    }
}
