//! The JSON report (docs/json.md). `schema_version` changes whenever a field changes meaning
//! or disappears; new fields may be added without a change.

use serde::Serialize;

use std::collections::BTreeMap;

use hickory_proto::rr::Name;

use crate::diagnose::odds::Odds;
use crate::diagnose::stats::AddressStats;
use crate::diagnose::{Fcrdns, Finding, LevelShare, Verdict};
use crate::dnssec::validate::DnssecSummary;
use crate::graph::{EdgeKind, Node};
use crate::model::{LimitHit, Probe, Question, Zone};
use crate::report::TargetReport;

/// Version of the JSON layout.
pub const SCHEMA_VERSION: u32 = 2;

/// The whole document.
#[derive(Debug, Serialize)]
pub struct Document<'a> {
    /// Layout version.
    pub schema_version: u32,
    /// `ptrtrace`.
    pub tool: &'static str,
    /// Version of ptrtrace.
    pub version: &'static str,
    /// Where the walk started (`built-in`, a file, or `lab:SCENARIO`).
    pub root_hints: String,
    /// One entry per target, in command-line order.
    pub targets: Vec<TargetJson<'a>>,
}

/// What every target record starts with, full or slim: the answer and its findings.
#[derive(Debug, Serialize)]
pub struct TargetHead<'a> {
    /// The address.
    pub target: String,
    /// Its in-addr.arpa / ip6.arpa name.
    pub reverse_name: String,
    /// The lab scenario it comes from (`lab run` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    /// ok, degraded, broken.
    pub verdict: Verdict,
    /// What a receiving mail server that checks reverse DNS answers: accept, temporary,
    /// permanent, sometimes_temporary, sometimes_permanent, delayed (docs/findings.md).
    pub receiver: crate::diagnose::receiver::Receiver,
    /// One line, as in the text report.
    pub summary: String,
    /// PTR names given by any authoritative server.
    pub ptr: Vec<String>,
    /// Forward confirmation per PTR name.
    pub fcrdns: &'a [Fcrdns],
    /// Findings, errors first.
    pub findings: &'a [Finding],
}

impl<'a> TargetHead<'a> {
    /// The head of `r`'s record.
    #[must_use]
    pub fn new(r: &'a TargetReport) -> Self {
        Self {
            target: r.walk.target.to_string(),
            reverse_name: r.walk.reverse_name.to_string(),
            scenario: None,
            verdict: r.diagnosis.verdict,
            receiver: r.diagnosis.receiver,
            summary: r.headline(),
            ptr: r.diagnosis.ptr.iter().map(ToString::to_string).collect(),
            fcrdns: &r.diagnosis.fcrdns,
            findings: &r.diagnosis.findings,
        }
    }
}

/// One target.
#[derive(Debug, Serialize)]
pub struct TargetJson<'a> {
    /// Target, reverse name, scenario, verdict, receiver, summary, PTR, FCrDNS, findings.
    #[serde(flatten)]
    pub head: TargetHead<'a>,
    /// Failing server addresses per zone of the target's path.
    pub levels: &'a [LevelShare],
    /// Contact address per zone, from its SOA RNAME.
    pub contacts: &'a BTreeMap<Name, String>,
    /// Probe statistics per server address.
    pub probe_stats: &'a [AddressStats],
    /// Failure odds of a resolver's lookup.
    pub odds: &'a Odds,
    /// DNSSEC per zone and server address (absent with `--no-dnssec`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dnssec: Option<&'a DnssecSummary>,
    /// Zones met, by name.
    pub zones: Vec<&'a Zone>,
    /// Questions asked; `probes[].question` indexes this list.
    pub questions: &'a [Question],
    /// Every probe with its attempts.
    pub probes: &'a [Probe],
    /// The delegation graph.
    pub graph: GraphJson<'a>,
    /// Counters.
    pub stats: Stats<'a>,
}

/// Nodes and edges.
#[derive(Debug, Serialize)]
pub struct GraphJson<'a> {
    /// Nodes sorted by id.
    pub nodes: Vec<&'a Node>,
    /// Edges sorted by (from, to).
    pub edges: Vec<EdgeJson>,
}

/// One edge.
#[derive(Debug, Serialize)]
pub struct EdgeJson {
    /// Source node id.
    pub from: String,
    /// Target node id.
    pub to: String,
    /// delegation, nameserver, address.
    pub kind: EdgeKind,
}

/// Counters of one trace.
#[derive(Debug, Serialize)]
pub struct Stats<'a> {
    /// Queries sent (TCP retries included).
    pub queries_sent: u32,
    /// Probes completed.
    pub probes: usize,
    /// Wall time in ms.
    pub elapsed_ms: u64,
    /// Bounds hit.
    pub limits: &'a [LimitHit],
}

impl<'a> TargetJson<'a> {
    /// The JSON view of one target.
    #[must_use]
    pub fn new(r: &'a TargetReport) -> Self {
        let (nodes, edges) = r.graph.export();
        Self {
            head: TargetHead::new(r),
            levels: &r.diagnosis.levels,
            contacts: &r.diagnosis.contacts,
            probe_stats: &r.diagnosis.stats,
            odds: &r.diagnosis.odds,
            dnssec: r.diagnosis.dnssec.as_ref(),
            zones: r.walk.zones.values().collect(),
            questions: &r.walk.questions,
            probes: &r.walk.probes,
            graph: GraphJson {
                nodes,
                edges: edges
                    .into_iter()
                    .map(|(from, to, kind)| EdgeJson { from, to, kind })
                    .collect(),
            },
            stats: Stats::of(&r.walk),
        }
    }
}

impl<'a> Stats<'a> {
    /// The counters of `walk`.
    #[must_use]
    pub fn of(walk: &'a crate::model::Walk) -> Self {
        Self {
            queries_sent: walk.queries_sent,
            probes: walk.probes.len(),
            elapsed_ms: walk.elapsed_ms,
            limits: &walk.limits,
        }
    }
}

impl TargetJson<'_> {
    /// The same view, naming the lab scenario it comes from.
    #[must_use]
    pub fn in_scenario(mut self, name: &str) -> Self {
        self.head.scenario = Some(name.to_string());
        self
    }
}

/// Renders the document, pretty-printed.
///
/// # Errors
/// Never in practice (serialising plain data); kept for honesty.
pub fn render(reports: &[TargetReport], root_hints: &str) -> serde_json::Result<String> {
    render_views(reports.iter().map(TargetJson::new).collect(), root_hints)
}

/// Renders the document from target views (e.g. named by lab scenario), pretty-printed.
///
/// # Errors
/// Never in practice.
pub fn render_views(targets: Vec<TargetJson<'_>>, root_hints: &str) -> serde_json::Result<String> {
    serde_json::to_string_pretty(&document(targets, root_hints))
}

/// The JSON document (docs/json.md) of target views, to serialise as it is.
#[must_use]
pub fn document<'a>(targets: Vec<TargetJson<'a>>, root_hints: &str) -> Document<'a> {
    Document {
        schema_version: SCHEMA_VERSION,
        tool: "ptrtrace",
        version: env!("CARGO_PKG_VERSION"),
        root_hints: root_hints.to_string(),
        targets,
    }
}

/// One target as a single line of JSON (`--format jsonl`): the target object of the full
/// document, with `schema_version`, `tool` and `root_hints` added.
///
/// # Errors
/// Never in practice.
pub fn render_line(r: &TargetReport, root_hints: &str) -> serde_json::Result<String> {
    render_view_line(TargetJson::new(r), root_hints)
}

/// Like [`render_line`], from a target view.
///
/// # Errors
/// Never in practice.
pub fn render_view_line(target: TargetJson<'_>, root_hints: &str) -> serde_json::Result<String> {
    // The target object behind the record envelope, written straight to text (no
    // intermediate JSON tree: batches write tens of thousands of these).
    #[derive(Serialize)]
    struct Full<'a> {
        record: &'static str,
        #[serde(flatten)]
        target: TargetJson<'a>,
    }
    record_line(
        root_hints,
        Full {
            record: "target",
            target,
        },
    )
}

/// What each `-f jsonl` line carries (docs/json.md "--format jsonl").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    /// Per target: verdict, receiver answer, findings, failing servers; each zone's evidence
    /// once, in a `zone` record, the first time a target's path meets it.
    Slim,
    /// Per target: the whole Target object, every probe included.
    Full,
}

/// A server address in a slim record: its status for the zone and its probe counts.
#[derive(Debug, Clone, Serialize)]
pub struct ServerLine {
    /// Zone (absent inside a zone record).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// NS name.
    pub server: String,
    /// Address.
    pub address: String,
    /// ok, inconsistent, flaky, lame, unreachable, untested.
    pub status: crate::graph::Status,
    /// DNSSEC state of its replies (absent when not judged).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dnssec: Option<crate::dnssec::validate::Security>,
    /// Standard probes sent to it for the zone.
    pub sent: usize,
    /// Of them, without a reply.
    pub lost: usize,
    /// Median latency of its replies, ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtt_median_ms: Option<f64>,
}

/// A slim target line: what a person keeps from a batch.
#[derive(Debug, Serialize)]
pub struct SlimTarget<'a> {
    /// `target`.
    pub record: &'static str,
    /// As in the full record.
    #[serde(flatten)]
    pub head: TargetHead<'a>,
    /// The server addresses on its paths that are not ok (their zone records have the rest).
    pub failing: Vec<ServerLine>,
    /// The zones on its paths, root first (each described once in a `zone` record).
    pub zones: Vec<String>,
    /// Queries it caused, wall time, bounds hit.
    pub stats: Stats<'a>,
}

/// A zone record of a slim stream: the zone's servers as the first target that met it saw
/// them.
#[derive(Debug, Serialize)]
pub struct ZoneLine {
    /// `zone`.
    pub record: &'static str,
    /// Apex.
    pub zone: String,
    /// Parent zone (absent for the root).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Worst status of its addresses.
    pub status: crate::graph::Status,
    /// Its DNSSEC state (absent with `--no-dnssec`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dnssec: Option<crate::dnssec::validate::Security>,
    /// Contact mailbox from its SOA RNAME.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// Every server address.
    pub servers: Vec<ServerLine>,
}

/// The address lines of `r`'s graph, with their probe counts.
fn server_lines(r: &TargetReport) -> Vec<ServerLine> {
    r.addresses()
        .into_iter()
        .map(|a| ServerLine {
            zone: Some(a.zone.to_string()),
            server: a.server.to_string(),
            address: a.address.to_string(),
            status: a.status,
            dnssec: a.dnssec,
            sent: a.stats.map_or(0, |s| s.sent),
            lost: a.stats.map_or(0, |s| s.lost),
            rtt_median_ms: a.stats.and_then(|s| s.rtt_ms).map(|r| r[1]),
        })
        .collect()
}

/// The slim line of `r`, and the zone records of the zones on its paths that `written` does
/// not hold yet (added to it).
///
/// # Errors
/// Never in practice.
pub fn render_slim(
    r: &TargetReport,
    scenario: Option<&str>,
    root_hints: &str,
    written: &mut std::collections::HashSet<Name>,
) -> serde_json::Result<String> {
    let mut servers = server_lines(r);
    servers.sort_by(|a, b| (&a.zone, &a.server, &a.address).cmp(&(&b.zone, &b.server, &b.address)));
    let mut out = String::new();
    let mut zones: Vec<&Zone> = r.walk.zones.values().collect();
    zones.sort_by_key(|z| z.name.num_labels());
    for z in &zones {
        if !written.insert(z.name.clone()) {
            continue;
        }
        let node = r
            .graph
            .graph
            .node_weights()
            .find(|n| matches!(n, Node::Zone { name, .. } if *name == z.name));
        let (status, dnssec) = match node {
            Some(Node::Zone { status, dnssec, .. }) => (*status, *dnssec),
            _ => (crate::graph::Status::Untested, None),
        };
        let zone = z.name.to_string();
        let zl = ZoneLine {
            record: "zone",
            parent: z.parent.as_ref().map(ToString::to_string),
            status,
            dnssec,
            contact: r.diagnosis.contacts.get(&z.name).cloned(),
            servers: servers
                .iter()
                .filter(|s| s.zone.as_deref() == Some(zone.as_str()))
                .map(|s| ServerLine {
                    zone: None,
                    ..s.clone()
                })
                .collect(),
            zone,
        };
        out.push_str(&record_line(root_hints, zl)?);
        out.push('\n');
    }
    let failing = servers
        .into_iter()
        .filter(|s| {
            !matches!(
                s.status,
                crate::graph::Status::Ok | crate::graph::Status::Untested
            ) || s.dnssec == Some(crate::dnssec::validate::Security::Bogus)
        })
        .collect();
    let target = SlimTarget {
        record: "target",
        head: TargetHead {
            scenario: scenario.map(ToString::to_string),
            ..TargetHead::new(r)
        },
        failing,
        zones: zones.iter().map(|z| z.name.to_string()).collect(),
        stats: Stats::of(&r.walk),
    };
    out.push_str(&record_line(root_hints, target)?);
    out.push('\n');
    Ok(out)
}

/// One JSONL record with `schema_version`, `tool` and `root_hints` in front.
fn record_line<T: Serialize>(root_hints: &str, record: T) -> serde_json::Result<String> {
    #[derive(Serialize)]
    struct Line<'a, T: Serialize> {
        schema_version: u32,
        tool: &'static str,
        root_hints: &'a str,
        #[serde(flatten)]
        record: T,
    }
    serde_json::to_string(&Line {
        schema_version: SCHEMA_VERSION,
        tool: "ptrtrace",
        root_hints,
        record,
    })
}
