//! The report: one [`Check`] per line, and whether any failed.

use std::fmt;

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Fine.
    Ok,
    /// Works, but something deserves a look.
    Warn,
    /// Agents will hit this: the command exits with status 1.
    Fail,
    /// An optional check that was not asked for.
    Skip,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Warn => "warn",
            Self::Fail => "FAIL",
            Self::Skip => "skip",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// What was checked, e.g. `tls expiry`.
    pub name: &'static str,
    /// How it went.
    pub status: Status,
    /// What was found.
    pub detail: String,
    /// What to do about it (for `FAIL` and `warn`).
    pub fix: Option<String>,
}

/// What a check is called.
type Name = &'static str;

impl Check {
    fn new(name: &'static str, status: Status, detail: String, fix: Option<String>) -> Self {
        Self {
            name,
            status,
            detail,
            fix,
        }
    }

    pub(super) fn ok(name: &'static str, detail: impl Into<String>) -> Self {
        Self::new(name, Status::Ok, detail.into(), None)
    }

    pub(super) fn warn(name: Name, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self::new(name, Status::Warn, detail.into(), Some(fix.into()))
    }

    pub(super) fn fail(name: Name, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self::new(name, Status::Fail, detail.into(), Some(fix.into()))
    }

    pub(super) fn skip(name: &'static str, detail: impl Into<String>) -> Self {
        Self::new(name, Status::Skip, detail.into(), None)
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:<4} {}: {}",
            self.status.label(),
            self.name,
            self.detail
        )?;
        if let Some(fix) = &self.fix {
            write!(f, " — fix: {fix}")?;
        }
        Ok(())
    }
}

/// Every check, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The checks.
    pub checks: Vec<Check>,
}

impl Report {
    /// Whether any check failed.
    #[must_use]
    pub fn failed(&self) -> bool {
        self.checks.iter().any(|c| c.status == Status::Fail)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for check in &self.checks {
            writeln!(f, "{check}")?;
        }
        let count = |s| self.checks.iter().filter(|c| c.status == s).count();
        write!(
            f,
            "{} ok, {} warn, {} failed",
            count(Status::Ok),
            count(Status::Warn),
            count(Status::Fail)
        )
    }
}

/// The status and line of the check called `name` (tests of every group of checks use it).
#[cfg(test)]
pub(super) fn status_of(checks: &[Check], name: &str) -> (Status, String) {
    let c = checks
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no {name} in {checks:?}"));
    (c.status, c.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_prints_one_line_per_check_and_fails_on_any_fail() {
        let report = Report {
            checks: vec![
                Check::ok("a", "fine"),
                Check::warn("b", "hmm", "look"),
                Check::skip("c", "not asked"),
            ],
        };
        assert!(!report.failed());
        let text = report.to_string();
        assert_eq!(
            text,
            "ok   a: fine\nwarn b: hmm — fix: look\nskip c: not asked\n1 ok, 1 warn, 0 failed"
        );
        let failed = Report {
            checks: vec![Check::fail("d", "broken", "mend it")],
        };
        assert!(failed.failed());
        assert!(
            failed
                .to_string()
                .starts_with("FAIL d: broken — fix: mend it")
        );
    }
}
