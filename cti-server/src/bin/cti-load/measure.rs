//! What is measured about a process (CPU time, memory) and the figures of a run.

use std::time::Duration;

/// A process whose cost is read from `/proc`: this one, or a child.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Proc {
    /// The load tool itself (everything, when the server runs in-process).
    This,
    /// A child process.
    Pid(u32),
}

impl Proc {
    fn file(self, name: &str) -> Option<String> {
        let path = match self {
            Self::This => format!("/proc/self/{name}"),
            Self::Pid(pid) => format!("/proc/{pid}/{name}"),
        };
        std::fs::read_to_string(path).ok()
    }

    /// User + system CPU seconds so far (`stat`, in clock ticks of 1/100 s: Linux's `USER_HZ`).
    pub(crate) fn cpu_seconds(self) -> Option<f64> {
        let stat = self.file("stat")?;
        // The fields after the command name (which may hold spaces) start at state (field 3).
        let rest = stat.rsplit_once(')')?.1;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let utime: f64 = fields.get(11)?.parse().ok()?;
        let stime: f64 = fields.get(12)?.parse().ok()?;
        Some((utime + stime) / 100.0)
    }

    /// Resident memory now (`VmRSS`), in KiB.
    pub(crate) fn rss_kib(self) -> Option<u64> {
        self.status("VmRSS:")
    }

    /// Peak resident memory (`VmHWM`), in KiB.
    pub(crate) fn peak_rss_kib(self) -> Option<u64> {
        self.status("VmHWM:")
    }

    fn status(self, field: &str) -> Option<u64> {
        self.file("status")?
            .lines()
            .find_map(|l| l.strip_prefix(field))?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    }
}

/// A process's cost over the measured window.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cost {
    /// CPU seconds spent in the window.
    pub cpu: Option<f64>,
    /// Resident memory before the agents logged in, KiB.
    pub rss_empty: Option<u64>,
    /// Resident memory at the end of the window (agents still logged in), KiB.
    pub rss_loaded: Option<u64>,
    /// Peak resident memory of the whole run, KiB.
    pub rss_peak: Option<u64>,
}

/// Reads a process's cost: [`Meter::start`] before the window, [`Meter::end`] after it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Meter {
    proc: Proc,
    rss_empty: Option<u64>,
    cpu_start: Option<f64>,
}

impl Meter {
    /// Before the agents log in: the empty process's memory.
    pub(crate) fn empty(proc: Proc) -> Self {
        Self {
            proc,
            rss_empty: proc.rss_kib(),
            cpu_start: None,
        }
    }

    /// The window starts (every agent is in).
    pub(crate) fn start(&mut self) {
        self.cpu_start = self.proc.cpu_seconds();
    }

    /// The window ends.
    pub(crate) fn end(&self) -> Cost {
        Cost {
            cpu: self
                .proc
                .cpu_seconds()
                .zip(self.cpu_start)
                .map(|(end, start)| end - start),
            rss_empty: self.rss_empty,
            rss_loaded: self.proc.rss_kib(),
            rss_peak: self.proc.peak_rss_kib(),
        }
    }
}

/// A report line's label, padded to the values' column.
fn label(text: &str) -> String {
    format!("{text:<28} ")
}

/// Prints one process's cost over `window` seconds for `agents` agents.
pub(crate) fn print_cost(name: &str, cost: &Cost, window: f64, agents: usize) {
    match cost.cpu {
        Some(c) => println!(
            "{}{c:.1} s = {:.0}% of one core",
            label(&format!("CPU ({name})")),
            c / window * 100.0
        ),
        None => println!("{}n/a", label(&format!("CPU ({name})"))),
    }
    let mib = |k: u64| k as f64 / 1024.0;
    if let (Some(empty), Some(loaded)) = (cost.rss_empty, cost.rss_loaded) {
        #[allow(clippy::cast_precision_loss)]
        let per_agent = loaded.saturating_sub(empty) as f64 / agents.max(1) as f64;
        println!(
            "{}{:.1} MiB empty, {:.1} MiB with the agents in ({per_agent:.0} KiB per agent)",
            label(&format!("RSS ({name})")),
            mib(empty),
            mib(loaded),
        );
    }
    match cost.rss_peak {
        Some(k) => println!("{}{:.1} MiB", label(&format!("peak RSS ({name})")), mib(k)),
        None => println!("{}n/a", label(&format!("peak RSS ({name})"))),
    }
}

/// The `q` quantile of sorted durations (nearest rank).
pub(crate) fn percentile(sorted: &[Duration], q: f64) -> Option<Duration> {
    if sorted.is_empty() {
        return None;
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted.get(index).copied()
}

/// Prints the p50, p95 and p99 of `what`'s durations.
pub(crate) fn print_percentiles(what: &str, samples: &mut [Duration]) {
    samples.sort();
    for (name, q) in [("p50", 0.50), ("p95", 0.95), ("p99", 0.99)] {
        let key = label(&format!("{what} {name}"));
        match percentile(samples, q) {
            Some(d) => println!("{key}{:.1} ms", d.as_secs_f64() * 1e3),
            None => println!("{key}n/a"),
        }
    }
}
