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
    let mut large: Vec<Duration> = Vec::new();
    let start = Instant::now();
    for _ in 0..ROUNDS {
        for (incoming, policy) in &inputs {
            let t = Instant::now();
            black_box(classify(black_box(incoming), policy));
            let elapsed = t.elapsed();
            times.push(elapsed);
            if incoming.description.len() >= LARGE {
                large.push(elapsed);
            }
        }
    }
    let total = start.elapsed();
    println!(
        "triage classify: {} messages (mean {} bytes), {} rounds",
        inputs.len(),
        bytes / inputs.len(),
        ROUNDS
    );
    println!(
        "all: {}; {:.0} messages/s",
        summary(&mut times),
        times.len() as f64 / total.as_secs_f64()
    );
    let text = largest(&set);
    let incoming = embargo_domain::triage::Incoming {
        description: &text,
        ..inputs[0].0
    };
    let mut worst: Vec<Duration> = (0..50)
        .map(|_| {
            let t = Instant::now();
            black_box(classify(black_box(&incoming), &set.organisation.triage));
            t.elapsed()
        })
        .collect();
    println!("one 64 KB message: {}", summary(&mut worst));
    if !large.is_empty() {
        println!(
            "the {} messages of {} KB or more: {}",
            large.len() / ROUNDS,
            LARGE / 1024,
            summary(&mut large)
        );
    }
}

/// The largest text the classifier reads (64 KB), made of the set's own messages
/// repeated: its time bounds the work per report.
fn largest(set: &data::Set) -> String {
    let all: String = set
        .messages
        .iter()
        .map(|(_, m)| m.description.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    all.repeat(64 * 1024 / all.len().max(1) + 1)
        .chars()
        .take(64 * 1024)
        .collect()
}

/// Messages at least this long are also timed on their own.
const LARGE: usize = 2048;

/// p50, p99 and max of the times, in microseconds.
fn summary(times: &mut [Duration]) -> String {
    times.sort_unstable();
    let micros = |d: Duration| d.as_secs_f64() * 1e6;
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    format!(
        "p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs per message",
        micros(at(0.50)),
        micros(at(0.99)),
        micros(times[times.len() - 1])
    )
}
