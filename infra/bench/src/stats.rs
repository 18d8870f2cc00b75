//! Latency summaries.

use std::time::Duration;

/// Latencies of one scenario and the wall time it took.
#[derive(Clone, Debug)]
pub struct Summary {
    pub name: String,
    pub requests: usize,
    pub errors: usize,
    pub wall: Duration,
    pub p50: Duration,
    pub p95: Duration,
    pub p99: Duration,
}

impl Summary {
    pub fn new(name: &str, mut latencies: Vec<Duration>, errors: usize, wall: Duration) -> Self {
        latencies.sort_unstable();
        Self {
            name: name.to_owned(),
            requests: latencies.len(),
            errors,
            wall,
            p50: percentile(&latencies, 50.0),
            p95: percentile(&latencies, 95.0),
            p99: percentile(&latencies, 99.0),
        }
    }

    /// Completed requests per second of wall time.
    pub fn throughput(&self) -> f64 {
        self.requests as f64 / self.wall.as_secs_f64().max(f64::EPSILON)
    }
}

/// Nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[Duration], percent: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((percent / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
