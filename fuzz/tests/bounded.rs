//! Every target against its seeds (always), and for `FUZZ_SECONDS` each against mutations and
//! generated inputs (`scripts/fuzz ci`: `cargo test … --test bounded -- --ignored`).

use std::time::Duration;

use fuzz::{TARGETS, run, seeds, try_check};

#[test]
fn every_seed_passes_every_check() {
    for target in TARGETS {
        let seeds = seeds(target);
        assert!(!seeds.is_empty(), "{} has seeds", target.name);
        for s in &seeds {
            if let Err(f) = try_check(target, s) {
                panic!("{f}");
            }
        }
    }
}

#[test]
fn generated_inputs_pass_every_check() {
    // a fixed, small run of every generator: the structured half of the bounded run
    for target in TARGETS {
        let mut rng = fuzz::Rng::new(16);
        for _ in 0..200 {
            let input = (target.generate)(&mut rng);
            if let Err(f) = try_check(target, &input) {
                panic!("{f}");
            }
        }
    }
}

/// `FUZZ_SECONDS` per target (default 3), `FUZZ_SEED` (default: the time), `FUZZ_TARGETS`
/// (comma-separated names; default all).
#[test]
#[ignore = "the bounded fuzz run: scripts/fuzz ci"]
fn bounded_run() {
    let seconds: u64 = std::env::var("FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let seed: u64 = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_secs())
        });
    let only = std::env::var("FUZZ_TARGETS").unwrap_or_default();
    let mut failures = Vec::new();
    for target in TARGETS {
        if !only.is_empty() && !only.split(',').any(|n| n == target.name) {
            continue;
        }
        match run(target, Duration::from_secs(seconds), u64::MAX, seed) {
            Ok(stats) => println!(
                "fuzz {:<14} {:>8} inputs ({} generated) in {:.1}s, seed {seed}: ok",
                target.name,
                stats.inputs,
                stats.generated,
                stats.elapsed.as_secs_f64()
            ),
            Err(f) => {
                println!("fuzz {:<14} FAILED, seed {seed}\n{f}", target.name);
                failures.push(f);
            }
        }
    }
    let shown: Vec<String> = failures.iter().map(ToString::to_string).collect();
    assert!(
        failures.is_empty(),
        "{} target(s) failed:\n{}",
        failures.len(),
        shown.join("\n")
    );
}
