//! How fast the triage classifier is: every message of the labelled set
//! (`tests/data/triage/`), classified many times, each call timed. Prints p50, p99 and
//! max microseconds per message and messages per second.
//!
//! `cargo bench -p embargo-domain --bench triage`

#[path = "../tests/triage/data.rs"]
mod data;

use std::hint::black_box;
use std::time::{Duration, Instant};

use embargo_domain::triage::classify;

const WARM_UP_ROUNDS: usize = 20;
const ROUNDS: usize = 300;

fn main() {
    let set = data::load();
    let inputs: Vec<_> = set
        .messages
        .iter()
        .map(|(_, m)| (m.incoming(), &set.policy_for(m).triage))
        .collect();
    let bytes: usize = set
        .messages
        .iter()
        .map(|(_, m)| m.title.len() + m.description.len())
        .sum();
    for _ in 0..WARM_UP_ROUNDS {
        for (incoming, policy) in &inputs {
            black_box(classify(black_box(incoming), policy));
        }
    }
    let mut times: Vec<Duration> = Vec::with_capacity(ROUNDS * inputs.len());
    let start = Instant::now();
    for _ in 0..ROUNDS {
        for (incoming, policy) in &inputs {
            let t = Instant::now();
            black_box(classify(black_box(incoming), policy));
            times.push(t.elapsed());
        }
    }
    let total = start.elapsed();
    times.sort_unstable();
    let micros = |d: Duration| d.as_secs_f64() * 1e6;
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    println!(
        "triage classify: {} messages (mean {} bytes), {} rounds",
        inputs.len(),
        bytes / inputs.len(),
        ROUNDS
    );
    println!(
        "p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs per message; {:.0} messages/s",
        micros(at(0.50)),
        micros(at(0.99)),
        micros(times[times.len() - 1]),
        times.len() as f64 / total.as_secs_f64()
    );
}
