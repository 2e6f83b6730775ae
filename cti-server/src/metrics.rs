//! Prometheus metrics, served as text at `/metrics`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

/// A label set with one label.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct MethodLabel {
    /// The NeoApi method.
    pub method: String,
}

/// A label set naming a kind.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabel {
    /// The kind.
    pub kind: String,
}

/// A label set naming an outcome.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabel {
    /// The outcome.
    pub outcome: String,
}

/// A label set naming a Telephony Integration API write and its outcome.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WriteLabels {
    /// `create` (R1) or `update` (R2).
    pub write: String,
    /// `accepted`, `refused`, `unknown`, `not_sent`.
    pub outcome: String,
}

/// A label set naming a session's urgency (`delivery`, `call`, `quiet`: `cti_core::Urgency`).
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct UrgencyLabel {
    /// The urgency.
    pub urgency: String,
}

/// The server's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Running agent sessions.
    pub sessions: Gauge,
    /// Open browser connections.
    pub connections: Gauge,
    /// `Position` polls sent.
    pub polls: Counter,
    /// NeoApi requests sent, every method (what the budget counts).
    pub requests: Counter,
    /// The NeoApi budget in force, in requests per second (`neoapi.max_requests_per_sec`, by
    /// default one per logged-in agent per poll interval).
    pub budget: Gauge<f64, AtomicU64>,
    /// `Position` polls sent, by the session's urgency when it left.
    pub polls_by_urgency: Family<UrgencyLabel, Counter>,
    /// Agent sessions by urgency.
    pub sessions_by_urgency: Family<UrgencyLabel, Gauge>,
    /// The poll interval the budget gives each urgency now, in seconds.
    pub poll_interval: Family<UrgencyLabel, Gauge<f64, AtomicU64>>,
    /// NeoApi call latency by method (seconds).
    pub neoapi_latency: Family<MethodLabel, Histogram>,
    /// NeoApi errors by kind.
    pub neoapi_errors: Family<KindLabel, Counter>,
    /// Salesforce effects sent to pages, by kind.
    pub effects: Family<KindLabel, Counter>,
    /// Login attempts by outcome (`rateLimited`: a user's or an address's failures;
    /// `throttled`: the account's failures, whatever the addresses).
    pub logins: Family<OutcomeLabel, Counter>,
    /// What the gate refused, by kind (`connectionLimit`, `addressLimit`, `dropped`,
    /// `commandRate`, `loginDeadline`, `metricsClient`, `severalOrigins`).
    pub refused: Family<KindLabel, Counter>,
    /// NeoApi writes (dispositions, schedules, Play) not yet accepted by Neotel.
    pub pending_writes: Gauge,
    /// Writes to the session store that failed (a session that would not survive a restart).
    pub store_errors: Counter,
    /// 1 while the session store renews this instance's leases (it may act for its sessions),
    /// 0 while they wait for it (the database down, unreachable or too slow): set when read.
    pub store_ready: Gauge,
    /// List reads answered with another session's recent read of the same list, without a
    /// NeoApi call.
    pub shared_reads: Counter,
    /// Age of the oldest pending NeoApi write, in seconds (0 when none).
    pub pending_write_oldest_age: Gauge<f64, AtomicU64>,
    /// The server's own screen-pop latency: from the `Position` answer that shows a contact to
    /// its search sent to the leader page (the snapshot stored first), in seconds. The wait for
    /// the poll itself (on average half the poll interval) is Neotel's cadence, not counted.
    pub pop_latency: Histogram,
    /// When the served TLS certificate expires (Unix seconds); set at start when TLS is
    /// configured, 0 otherwise.
    pub tls_cert_expiry: Gauge,
    /// Telephony Integration API writes (Salesforce Voice's VoiceCall records) by write and
    /// outcome.
    pub voicecall_writes: Family<WriteLabels, Counter>,
    /// VoiceCall records by what became of them: `linked` (created with the call), `unlinked`
    /// (the call goes on without one of ours), `ended` (its outcome written), `notEnded`.
    pub voicecalls: Family<KindLabel, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers every metric under the `cti` prefix.
    #[must_use]
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("cti");
        let sessions = Gauge::default();
        let connections = Gauge::default();
        let polls = Counter::default();
        let neoapi_latency = Family::<MethodLabel, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ])
        });
        let neoapi_errors = Family::<KindLabel, Counter>::default();
        let effects = Family::<KindLabel, Counter>::default();
        let logins = Family::<OutcomeLabel, Counter>::default();
        registry.register("sessions", "Running agent sessions", sessions.clone());
        registry.register(
            "connections",
            "Open browser connections",
            connections.clone(),
        );
        registry.register("position_polls", "Position polls sent", polls.clone());
        let requests = Counter::default();
        registry.register(
            "neoapi_requests",
            "NeoApi requests sent, every method",
            requests.clone(),
        );
        let budget = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "neoapi_budget_requests_per_second",
            "The NeoApi budget in force, in requests per second",
            budget.clone(),
        );
        let polls_by_urgency = Family::<UrgencyLabel, Counter>::default();
        registry.register(
            "position_polls_by_urgency",
            "Position polls sent, by the session's urgency (delivery, call, quiet)",
            polls_by_urgency.clone(),
        );
        let sessions_by_urgency = Family::<UrgencyLabel, Gauge>::default();
        registry.register(
            "sessions_by_urgency",
            "Agent sessions by urgency (delivery, call, quiet)",
            sessions_by_urgency.clone(),
        );
        let poll_interval = Family::<UrgencyLabel, Gauge<f64, AtomicU64>>::default();
        registry.register(
            "poll_interval_seconds",
            "The Position poll interval the NeoApi budget gives each urgency now",
            poll_interval.clone(),
        );
        registry.register(
            "neoapi_request_duration_seconds",
            "NeoApi call latency by method",
            neoapi_latency.clone(),
        );
        registry.register(
            "neoapi_errors",
            "NeoApi errors by kind",
            neoapi_errors.clone(),
        );
        registry.register(
            "effects",
            "Salesforce effects sent to pages, by kind",
            effects.clone(),
        );
        registry.register("logins", "Login attempts by outcome", logins.clone());
        let refused = Family::<KindLabel, Counter>::default();
        registry.register(
            "refused",
            "Connections, commands and reads the gate refused, by kind",
            refused.clone(),
        );
        let pending_writes = Gauge::default();
        let shared_reads = Counter::default();
        registry.register(
            "neoapi_shared_reads",
            "List reads answered with another session's recent read, without a NeoApi call",
            shared_reads.clone(),
        );
        let store_errors = Counter::default();
        registry.register(
            "store_errors",
            "Session store writes that failed",
            store_errors.clone(),
        );
        let store_ready = Gauge::default();
        registry.register(
            "store_ready",
            "1 while the session store renews this instance's leases, 0 while its sessions wait for it",
            store_ready.clone(),
        );
        let pending_write_oldest_age = Gauge::<f64, AtomicU64>::default();
        // The server's part of a pop: a core step and a group commit, milliseconds when well.
        let pop_latency = Histogram::new([
            0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
        ]);
        let tls_cert_expiry = Gauge::default();
        registry.register(
            "pending_writes",
            "NeoApi writes not yet accepted by NeoApi",
            pending_writes.clone(),
        );
        registry.register(
            "pending_write_oldest_age_seconds",
            "Age of the oldest pending NeoApi write",
            pending_write_oldest_age.clone(),
        );
        registry.register(
            "pop_latency_seconds",
            "From the Position answer showing a contact to its search sent to the page",
            pop_latency.clone(),
        );
        let voicecall_writes = Family::<WriteLabels, Counter>::default();
        registry.register(
            "voicecall_writes",
            "Telephony Integration API writes (VoiceCall records) by write and outcome",
            voicecall_writes.clone(),
        );
        let voicecalls = Family::<KindLabel, Counter>::default();
        // At zero from the start: the first unlinked call is an increase an alert sees, and
        // the dashboard shows 0 rather than no data.
        for kind in ["linked", "unlinked", "ended", "notEnded"] {
            drop(voicecalls.get_or_create(&KindLabel { kind: kind.into() }));
        }
        for write in ["create", "update"] {
            for outcome in ["accepted", "refused", "unknown", "not_sent"] {
                drop(voicecall_writes.get_or_create(&WriteLabels {
                    write: write.into(),
                    outcome: outcome.into(),
                }));
            }
        }
        registry.register(
            "voicecalls",
            "VoiceCall records by what became of them (linked, unlinked, ended, notEnded)",
            voicecalls.clone(),
        );
        registry.register(
            "tls_cert_expiry_timestamp_seconds",
            "When the served TLS certificate expires (Unix time; 0 without TLS)",
            tls_cert_expiry.clone(),
        );
        Self {
            registry,
            sessions,
            connections,
            polls,
            requests,
            budget,
            polls_by_urgency,
            sessions_by_urgency,
            poll_interval,
            neoapi_latency,
            neoapi_errors,
            effects,
            logins,
            refused,
            pending_writes,
            store_errors,
            store_ready,
            shared_reads,
            pending_write_oldest_age,
            pop_latency,
            tls_cert_expiry,
            voicecall_writes,
            voicecalls,
        }
    }

    /// Counts one Telephony Integration API write.
    pub fn voicecall_write(&self, write: &str, outcome: &str) {
        self.voicecall_writes
            .get_or_create(&WriteLabels {
                write: write.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// Counts what became of one VoiceCall record.
    pub fn voicecall(&self, kind: &str) {
        self.voicecalls
            .get_or_create(&KindLabel {
                kind: kind.to_owned(),
            })
            .inc();
    }

    /// Counts one login attempt.
    pub fn login(&self, outcome: &str) {
        self.logins
            .get_or_create(&OutcomeLabel {
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// Counts one refusal of the gate.
    pub fn refused(&self, kind: &str) {
        self.refused
            .get_or_create(&KindLabel {
                kind: kind.to_owned(),
            })
            .inc();
    }

    /// Counts one effect sent.
    pub fn effect(&self, kind: &str) {
        self.effects
            .get_or_create(&KindLabel {
                kind: kind.to_owned(),
            })
            .inc();
    }

    /// One list read answered with another session's.
    pub fn shared_read(&self) {
        self.shared_reads.inc();
    }

    /// Records one NeoApi call.
    pub fn neoapi_call(&self, method: &str, seconds: f64, error: Option<&str>) {
        self.neoapi_latency
            .get_or_create(&MethodLabel {
                method: method.to_owned(),
            })
            .observe(seconds);
        self.requests.inc();
        if method.eq_ignore_ascii_case("Position") {
            self.polls.inc();
        }
        if let Some(kind) = error {
            self.neoapi_errors
                .get_or_create(&KindLabel {
                    kind: kind.to_owned(),
                })
                .inc();
        }
    }

    /// The gauges and counters of one urgency, created once (the families' lookups are not on
    /// every poll's path).
    #[must_use]
    pub fn by_urgency(&self, urgency: &str) -> (Counter, Gauge, Gauge<f64, AtomicU64>) {
        let label = UrgencyLabel {
            urgency: urgency.to_owned(),
        };
        (
            self.polls_by_urgency.get_or_create(&label).clone(),
            self.sessions_by_urgency.get_or_create(&label).clone(),
            self.poll_interval.get_or_create(&label).clone(),
        )
    }

    /// The text exposition format.
    #[must_use]
    pub fn render(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_family() {
        let m = Metrics::new();
        m.sessions.inc();
        m.login("ok");
        m.refused("commandRate");
        m.effect("searchAndScreenPop");
        m.neoapi_call("Position", 0.003, None);
        m.neoapi_call("Login", 0.01, Some("fault"));
        let text = m.render();
        for needle in [
            "cti_sessions 1",
            "cti_connections 0",
            "cti_position_polls_total 1",
            "cti_neoapi_requests_total 2",
            "cti_neoapi_budget_requests_per_second 0.0",
            "cti_logins_total{outcome=\"ok\"} 1",
            "cti_refused_total{kind=\"commandRate\"} 1",
            "cti_effects_total{kind=\"searchAndScreenPop\"} 1",
            "cti_neoapi_errors_total{kind=\"fault\"} 1",
            "cti_neoapi_request_duration_seconds_count{method=\"Login\"} 1",
            "cti_pending_writes 0",
            "cti_pending_write_oldest_age_seconds 0.0",
            "cti_pop_latency_seconds_count 0",
            "cti_tls_cert_expiry_timestamp_seconds 0",
        ] {
            assert!(text.contains(needle), "missing {needle} in\n{text}");
        }
    }
}
