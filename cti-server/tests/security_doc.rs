//! `docs/security.md` names a test for each promise, and every test it names exists: a renamed
//! or deleted test fails here instead of leaving a promise unchecked.

use std::path::{Path, PathBuf};

const DOC: &str = include_str!("../../docs/security.md");

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `.rs` file under `dir`, recursively.
fn sources(dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("a readable folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(std::fs::read_to_string(&path).expect("a readable file"));
        }
    }
}

/// The `code` spans of `text`.
fn spans(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

#[test]
fn every_promise_names_tests_that_exist() {
    let mut code = Vec::new();
    for dir in [
        "cti-server/src",
        "cti-server/tests",
        "cti-core",
        "tests/tests",
    ] {
        sources(&workspace().join(dir), &mut code);
    }
    let rows: Vec<&str> = DOC
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| promise") && !l.starts_with("| ---"))
        .collect();
    assert!(rows.len() >= 20, "{} promises", rows.len());
    for row in rows {
        let tests = row.rsplit(" | ").next().expect("a test column");
        let mut named = 0;
        for span in spans(tests) {
            if span.contains('/') {
                let file = if span.starts_with("tests/tests/") || span.starts_with("cti-core/") {
                    workspace().join(span)
                } else {
                    workspace().join("cti-server").join(span)
                };
                assert!(file.exists(), "{span} does not exist: {row}");
                continue;
            }
            if span == "cti-core" {
                continue;
            }
            let name = span.rsplit("::").next().expect("a name");
            let defined = format!("fn {name}(");
            assert!(
                code.iter().any(|c| c.contains(&defined)),
                "no test `{name}`: {row}"
            );
            named += 1;
        }
        assert!(named > 0, "a promise without a test: {row}");
    }
}
