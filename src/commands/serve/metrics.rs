//! What `serve` exposes (docs/monitoring.md "Metrics"), in the OpenMetrics text format of
//! the prometheus-client crate. The registry is built from the latest trace of every target
//! at each scrape, so a target or server that is gone from the configuration or from the
//! delegation is gone from the metrics too; the answer-latency histograms accumulate.
//!
//! Label cardinality is bounded by the configuration and the delegation, never by what a
//! server sends: per target 4 verdict series, one per finding kind and severity present (at
//! most the number of finding kinds), and 5 gauges; per server address of a zone on some
//! target's path, a status, a DNSSEC state, a loss ratio and one histogram.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

use ptrtrace_core::report::TargetReport;

type FGauge = Gauge<f64, AtomicU64>;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TargetLabel {
    target: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VerdictLabels {
    target: String,
    verdict: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FindingLabels {
    target: String,
    kind: String,
    severity: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, PartialOrd, Ord, EncodeLabelSet)]
pub struct ServerLabels {
    zone: String,
    server: String,
    address: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    zone: String,
    server: String,
    address: String,
    state: String,
}

/// What one trace left for the metrics.
#[derive(Debug, Clone)]
pub struct Snapshot {
    verdict: &'static str,
    findings: BTreeMap<(String, String), u32>,
    first_try_bad: f64,
    duration_s: f64,
    queries: u32,
    finished_unix_s: f64,
    servers: BTreeMap<ServerLabels, ServerState>,
}

#[derive(Debug, Clone)]
struct ServerState {
    status: &'static str,
    dnssec: Option<&'static str>,
    loss: Option<f64>,
}

impl Snapshot {
    /// The metrics of one report.
    pub fn of(r: &TargetReport) -> Self {
        let mut findings = BTreeMap::new();
        for f in &r.diagnosis.findings {
            *findings
                .entry((f.kind.as_str().to_string(), f.severity.as_str().to_string()))
                .or_insert(0) += 1;
        }
        let mut servers = BTreeMap::new();
        for a in r.addresses() {
            servers.insert(
                labels(&a.zone.to_string(), &a.server.to_string(), a.address),
                ServerState {
                    status: a.status.as_str(),
                    dnssec: a.dnssec.map(|d| d.as_str()),
                    loss: a
                        .stats
                        .filter(|s| s.sent > 0)
                        .map(|s| s.lost as f64 / s.sent as f64),
                },
            );
        }
        Self {
            verdict: r.diagnosis.verdict.as_str(),
            findings,
            // Nothing is known of a trace a local failure stopped.
            first_try_bad: if r.walk.local.is_some() {
                f64::NAN
            } else {
                (1.0 - r.diagnosis.odds.first_try.correct).clamp(0.0, 1.0)
            },
            duration_s: r.walk.elapsed_ms as f64 / 1000.0,
            queries: r.walk.queries_sent,
            finished_unix_s: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64()),
            servers,
        }
    }
}

fn labels(zone: &str, server: &str, address: IpAddr) -> ServerLabels {
    ServerLabels {
        zone: zone.to_string(),
        server: server.to_string(),
        address: address.to_string(),
    }
}

/// The latest snapshot per target, trace counts, and the latency histograms.
#[derive(Debug)]
pub struct State {
    latest: Mutex<BTreeMap<IpAddr, (Snapshot, u64)>>,
    latency: Family<ServerLabels, Histogram>,
    local_errors: Family<KindLabel, Counter>,
    /// `/probe` traces running now.
    pub probes_running: Gauge,
    /// Connections refused for want of room (too many in all, or from one client).
    pub refused: Counter,
}

/// The histograms' buckets: 1 ms to about 16 s, doubling.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

impl State {
    /// A fresh state.
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            latest: Mutex::new(BTreeMap::new()),
            latency: Family::new_with_constructor(latency_histogram),
            local_errors: Family::default(),
            probes_running: Gauge::default(),
            refused: Counter::default(),
        })
    }

    /// Counts `n` operations this host failed (queries not sent, connections not
    /// accepted), by kind (`too_many_open_files`, …).
    pub fn local_error(&self, kind: &str, n: u64) {
        self.local_errors
            .get_or_create(&KindLabel {
                kind: kind.to_string(),
            })
            .inc_by(n);
    }

    /// Counts the queries a trace could not send (a `/probe` trace, which is not kept).
    pub fn record_local(&self, r: &TargetReport) {
        if let Some(l) = &r.walk.local {
            self.local_error(l.kind.as_str(), u64::from(l.attempts));
        }
    }

    /// Records a finished trace of `target`.
    pub fn record(&self, target: IpAddr, r: &TargetReport) {
        self.record_local(r);
        let snap = Snapshot::of(r);
        for p in &r.walk.probes {
            let key = labels(&p.zone.to_string(), &p.server.to_string(), p.address);
            for a in p
                .attempts
                .iter()
                .filter(|a| a.status == ptrtrace_core::model::AttemptStatus::Reply)
            {
                self.latency.get_or_create(&key).observe(a.rtt_ms / 1000.0);
            }
        }
        if let Ok(mut m) = self.latest.lock() {
            let n = m.get(&target).map_or(0, |(_, n)| *n);
            m.insert(target, (snap, n + 1));
        }
    }

    /// The configured targets' latest verdicts, the first `max` of them by address, and
    /// how many there are in all.
    pub fn verdicts(&self, max: usize) -> (Vec<(IpAddr, &'static str)>, usize) {
        self.latest.lock().map_or((Vec::new(), 0), |m| {
            (
                m.iter()
                    .take(max)
                    .map(|(t, (s, _))| (*t, s.verdict))
                    .collect(),
                m.len(),
            )
        })
    }

    /// Forgets targets no longer configured.
    pub fn keep_only(&self, targets: &std::collections::HashSet<IpAddr>) {
        if let Ok(mut m) = self.latest.lock() {
            m.retain(|t, _| targets.contains(t));
        }
    }

    /// The exposition of every target's latest trace, and the process's own metrics.
    pub fn encode(&self) -> String {
        let latest = self.latest.lock().map(|m| m.clone()).unwrap_or_default();
        let mut reg = Registry::default();
        fill(&mut reg, latest.iter().map(|(t, (s, n))| (*t, s, *n)));
        reg.register_with_unit(
            "ptrtrace_server_answer_latency",
            "Time from a query to its reply, per server address of a zone (every probe of every trace)",
            Unit::Seconds,
            self.latency.clone(),
        );
        reg.register(
            "ptrtrace_local_errors",
            "Operations this host failed, by kind: queries it could not send (traces then say unknown) and connections it could not accept",
            self.local_errors.clone(),
        );
        reg.register(
            "ptrtrace_probes_running",
            "/probe traces running now (at most [probe] concurrency)",
            self.probes_running.clone(),
        );
        reg.register(
            "ptrtrace_http_connections_refused",
            "HTTP connections refused with 503 for want of room: too many open in all, or from one client",
            self.refused.clone(),
        );
        process_metrics(&mut reg);
        text(&reg)
    }
}

/// The exposition of one trace only (`/probe`).
pub fn encode_one(target: IpAddr, r: &TargetReport) -> String {
    let snap = Snapshot::of(r);
    let mut reg = Registry::default();
    fill(&mut reg, std::iter::once((target, &snap, 1)));
    text(&reg)
}

fn text(reg: &Registry) -> String {
    let mut out = String::new();
    if prometheus_client::encoding::text::encode(&mut out, reg).is_err() {
        out.clear();
    }
    out
}

/// The per-target metric families.
#[derive(Default)]
struct TargetFamilies {
    verdict: Family<VerdictLabels, Gauge>,
    findings: Family<FindingLabels, Gauge>,
    odds: Family<TargetLabel, FGauge>,
    duration: Family<TargetLabel, FGauge>,
    queries: Family<TargetLabel, Gauge>,
    finished: Family<TargetLabel, FGauge>,
    traces: Family<TargetLabel, Counter>,
}

impl TargetFamilies {
    /// One target's latest snapshot, traced `n` times.
    fn add(&self, target: IpAddr, s: &Snapshot, n: u64) {
        let t = TargetLabel {
            target: target.to_string(),
        };
        for v in ["ok", "degraded", "broken", "unknown"] {
            self.verdict
                .get_or_create(&VerdictLabels {
                    target: t.target.clone(),
                    verdict: v.to_string(),
                })
                .set(i64::from(s.verdict == v));
        }
        for ((kind, severity), count) in &s.findings {
            self.findings
                .get_or_create(&FindingLabels {
                    target: t.target.clone(),
                    kind: kind.clone(),
                    severity: severity.clone(),
                })
                .set(i64::from(*count));
        }
        self.odds.get_or_create(&t).set(s.first_try_bad);
        self.duration.get_or_create(&t).set(s.duration_s);
        self.queries.get_or_create(&t).set(i64::from(s.queries));
        self.finished.get_or_create(&t).set(s.finished_unix_s);
        self.traces.get_or_create(&t).inc_by(n);
    }

    fn register(self, reg: &mut Registry) {
        reg.register(
            "ptrtrace_target_verdict",
            "1 for the target's verdict in its latest trace (ok, degraded, broken; unknown when this host could not trace it), 0 for the others",
            self.verdict,
        );
        reg.register(
            "ptrtrace_target_findings",
            "Findings of the target's latest trace, by kind and severity (docs/findings.md)",
            self.findings,
        );
        reg.register(
            "ptrtrace_target_first_try_failure_ratio",
            "Share of a resolver's first tries that fail or go wrong (0-1)",
            self.odds,
        );
        reg.register_with_unit(
            "ptrtrace_target_trace_duration",
            "From the start of the round (one batch) to the target's report",
            Unit::Seconds,
            self.duration,
        );
        reg.register(
            "ptrtrace_target_queries",
            "Queries the target's latest trace sent of its own (the round's shared work not counted)",
            self.queries,
        );
        reg.register_with_unit(
            "ptrtrace_target_last_trace_timestamp",
            "When the target's latest trace finished (Unix time)",
            Unit::Seconds,
            self.finished,
        );
        reg.register(
            "ptrtrace_target_traces",
            "Traces of the target since the process started",
            self.traces,
        );
    }
}

/// The per-target and per-server metrics of `snaps` (target, snapshot, traces so far).
fn fill<'a>(reg: &mut Registry, snaps: impl Iterator<Item = (IpAddr, &'a Snapshot, u64)>) {
    let targets = TargetFamilies::default();
    let mut servers: BTreeMap<ServerLabels, (f64, ServerState)> = BTreeMap::new();
    for (target, s, n) in snaps {
        targets.add(target, s, n);
        // A server address seen on several targets' paths: the latest trace tells.
        for (k, st) in &s.servers {
            let newer = servers
                .get(k)
                .is_none_or(|(at, _)| *at <= s.finished_unix_s);
            if newer {
                servers.insert(k.clone(), (s.finished_unix_s, st.clone()));
            }
        }
    }
    targets.register(reg);
    server_families(reg, &servers);
}

/// The per-server metric families, from each server address's latest state.
fn server_families(reg: &mut Registry, servers: &BTreeMap<ServerLabels, (f64, ServerState)>) {
    let status = Family::<StateLabels, Gauge>::default();
    let dnssec = Family::<StateLabels, Gauge>::default();
    let loss = Family::<ServerLabels, FGauge>::default();
    for (k, (_, st)) in servers {
        let state = |v: &str| StateLabels {
            zone: k.zone.clone(),
            server: k.server.clone(),
            address: k.address.clone(),
            state: v.to_string(),
        };
        status.get_or_create(&state(st.status)).set(1);
        if let Some(d) = st.dnssec {
            dnssec.get_or_create(&state(d)).set(1);
        }
        if let Some(l) = st.loss {
            loss.get_or_create(k).set(l);
        }
    }
    reg.register("ptrtrace_server_status", "1 for a server address's state as a server of a zone: ok, inconsistent, flaky, lame, unreachable, untested", status);
    reg.register(
        "ptrtrace_server_dnssec",
        "1 for a server address's DNSSEC state in a zone: secure, insecure, bogus, indeterminate",
        dnssec,
    );
    reg.register(
        "ptrtrace_server_loss_ratio",
        "Share of the probes to a server address, as a server of a zone, that got no reply",
        loss,
    );
}

/// `process_resident_memory_bytes` and `process_start_time_seconds`, read from /proc (Linux;
/// absent elsewhere).
fn process_metrics(reg: &mut Registry) {
    if let Some(bytes) = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<i64>().ok())
        })
    {
        let g = Gauge::<i64>::default();
        g.set(bytes * 4096);
        reg.register_with_unit("process_resident_memory", "Resident memory", Unit::Bytes, g);
    }
    let start = Gauge::<f64, AtomicU64>::default();
    start.set(*START);
    reg.register_with_unit(
        "process_start_time",
        "When the process started (Unix time)",
        Unit::Seconds,
        start,
    );
}

static START: std::sync::LazyLock<f64> = std::sync::LazyLock::new(|| {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
});

/// Starts the process clock (call at startup).
pub fn start_clock() {
    let _ = *START;
}
