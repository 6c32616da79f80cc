//! Counters for `/metrics`, in Prometheus' text format: deliveries by event
//! and outcome, evaluations by conclusion, GitHub API errors, the queue, and
//! two latency histograms (one evaluation; a delivery until its check was
//! posted).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

const BUCKETS: [f64; 12] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0, 300.0];

#[derive(Default)]
pub struct Histogram {
    counts: Mutex<([u64; BUCKETS.len()], u64, f64)>,
}

impl Histogram {
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        let mut c = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        for (i, le) in BUCKETS.iter().enumerate() {
            if secs <= *le {
                c.0[i] += 1;
            }
        }
        c.1 += 1;
        c.2 += secs;
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let c = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        for (i, le) in BUCKETS.iter().enumerate() {
            let _ = writeln!(out, "{name}_bucket{{le=\"{le}\"}} {}", c.0[i]);
        }
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", c.1);
        let _ = writeln!(out, "{name}_sum {}", c.2);
        let _ = writeln!(out, "{name}_count {}", c.1);
    }
}

#[derive(Default)]
pub struct Metrics {
    deliveries: Mutex<BTreeMap<(String, String), u64>>,
    evaluations: Mutex<BTreeMap<String, u64>>,
    pub github_errors: AtomicU64,
    pub evaluation_seconds: Histogram,
    pub delivery_to_check_seconds: Histogram,
}

impl Metrics {
    pub fn delivery(&self, event: &str, outcome: &str) {
        // Event names come from a header: keep only what a label may hold.
        let event: String = event
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(64)
            .collect();
        let mut d = self.deliveries.lock().unwrap_or_else(|p| p.into_inner());
        // Bounded: unknown event names beyond a few dozen share one label.
        let event = if d.len() > 200 && !d.keys().any(|(e, _)| *e == event) {
            "other".to_string()
        } else {
            event
        };
        *d.entry((event, outcome.to_string())).or_default() += 1;
    }

    pub fn evaluation(&self, conclusion: &str) {
        *self
            .evaluations
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(conclusion.to_string())
            .or_default() += 1;
    }

    pub fn render(&self, queue_depth: usize, in_flight: usize) -> String {
        let mut out = String::new();
        out.push_str("# HELP gitsm_deliveries_total Webhook deliveries by event and outcome.\n# TYPE gitsm_deliveries_total counter\n");
        for ((e, o), n) in self.deliveries.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            let _ = writeln!(out, "gitsm_deliveries_total{{event=\"{e}\",outcome=\"{o}\"}} {n}");
        }
        out.push_str("# HELP gitsm_evaluations_total Evaluations by conclusion.\n# TYPE gitsm_evaluations_total counter\n");
        for (c, n) in self.evaluations.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            let _ = writeln!(out, "gitsm_evaluations_total{{conclusion=\"{c}\"}} {n}");
        }
        let _ = writeln!(
            out,
            "# HELP gitsm_github_api_errors_total GitHub API calls that failed after retries.\n# TYPE gitsm_github_api_errors_total counter\ngitsm_github_api_errors_total {}",
            self.github_errors.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP gitsm_queue_depth Evaluations waiting.\n# TYPE gitsm_queue_depth gauge\ngitsm_queue_depth {queue_depth}"
        );
        let _ = writeln!(
            out,
            "# HELP gitsm_evaluations_in_flight Evaluations running.\n# TYPE gitsm_evaluations_in_flight gauge\ngitsm_evaluations_in_flight {in_flight}"
        );
        self.evaluation_seconds.render(
            &mut out,
            "gitsm_evaluation_seconds",
            "Time to evaluate one pull request and post its check.",
        );
        self.delivery_to_check_seconds.render(
            &mut out,
            "gitsm_delivery_to_check_seconds",
            "From a delivery's arrival to the check run posted for it.",
        );
        out
    }
}
