//! `cti-load` as a person runs it: a short in-process run logs its agents in, measures their
//! screen pops, reports no error, and leaves no data directory behind.

use std::process::Command;

/// The value after a report line's label (`agents                       3 in of 3` → `3 in of 3`).
fn value<'a>(report: &'a str, label: &str) -> Option<&'a str> {
    report
        .lines()
        .find_map(|l| l.strip_prefix(label))
        .map(str::trim)
}

#[test]
fn a_short_run_measures_every_agents_pops_and_cleans_up() {
    // A temporary directory of the test's own, where the tool puts the server's data directory.
    let tmp = std::env::temp_dir().join(format!("cti-load-test-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("a temporary directory");
    let out = Command::new(env!("CARGO_BIN_EXE_cti-load"))
        .args(["--agents", "3", "--seconds", "3", "--idle-ms", "200"])
        .env("TMPDIR", &tmp)
        .env("RUST_LOG", "warn")
        .output()
        .expect("cti-load runs");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(value(&report, "agents"), Some("3 in of 3"), "{report}");
    assert_eq!(value(&report, "errors"), Some("0"), "{report}");
    let pops: u64 = value(&report, "screen pops measured")
        .and_then(|v| v.parse().ok())
        .expect("a pop count");
    assert!(pops >= 3, "every agent had a contact popped: {report}");
    assert!(
        value(&report, "screen-pop latency p99").is_some_and(|v| v.ends_with(" ms")),
        "{report}"
    );
    let left: Vec<_> = std::fs::read_dir(&tmp)
        .expect("the temporary directory")
        .collect();
    assert!(
        left.is_empty(),
        "the server's data directory is removed: {left:?}"
    );
    let _ = std::fs::remove_dir(&tmp);
}

/// Issue 28: `--rhythm`, short cycles: the agents are placed in their cycle, talk, wrap up and
/// wait; the report gives the occupancy, the pops and the hang-ups seen, and no error.
#[test]
fn a_rhythm_run_reports_occupancy_pops_and_hang_ups() {
    let tmp = std::env::temp_dir().join(format!("cti-load-rhythm-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("a temporary directory");
    let out = Command::new(env!("CARGO_BIN_EXE_cti-load"))
        .args(["--agents", "4", "--seconds", "6", "--rhythm"])
        .args([
            "--talk-secs",
            "1-2",
            "--wrap-secs",
            "0.5-1",
            "--wait-secs",
            "0.2-0.5",
        ])
        .env("TMPDIR", &tmp)
        .env("RUST_LOG", "warn")
        .output()
        .expect("cti-load runs");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(value(&report, "agents"), Some("4 in of 4"), "{report}");
    assert_eq!(value(&report, "errors"), Some("0"), "{report}");
    let occupancy: f64 = value(&report, "occupancy (talking)")
        .and_then(|v| v.strip_suffix('%')?.parse().ok())
        .expect("an occupancy");
    assert!(occupancy > 0.0 && occupancy <= 100.0, "{report}");
    let count = |label| -> u64 {
        value(&report, label)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{label} in {report}"))
    };
    // How many fit in the window is the machine's (with talks this short the default budget
    // slows the polls to their slowest): that some were measured is the report's behaviour.
    assert!(count("screen pops measured") >= 1, "{report}");
    assert!(count("hang-ups measured") >= 1, "{report}");
    assert!(
        value(&report, "hang-up to wrap-up p50").is_some_and(|v| v.ends_with(" ms")),
        "{report}"
    );
    assert!(
        value(&report, "Position polls by urgency").is_some_and(|v| v.contains("delivery")),
        "{report}"
    );
    let _ = std::fs::remove_dir_all(&tmp);
}
