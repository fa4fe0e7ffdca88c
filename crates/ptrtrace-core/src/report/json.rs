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
pub const SCHEMA_VERSION: u32 = 1;

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

/// One target.
#[derive(Debug, Serialize)]
pub struct TargetJson<'a> {
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
    /// permanent, sometimes_temporary, sometimes_permanent.
    pub receiver: crate::diagnose::receiver::Receiver,
    /// One line, as in the text report.
    pub summary: String,
    /// PTR names given by any authoritative server.
    pub ptr: Vec<String>,
    /// Forward confirmation per PTR name.
    pub fcrdns: &'a [Fcrdns],
    /// Findings, errors first.
    pub findings: &'a [Finding],
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
            target: r.walk.target.to_string(),
            reverse_name: r.walk.reverse_name.to_string(),
            scenario: None,
            verdict: r.diagnosis.verdict,
            receiver: r.diagnosis.receiver,
            summary: r.headline(),
            ptr: r.diagnosis.ptr.iter().map(ToString::to_string).collect(),
            fcrdns: &r.diagnosis.fcrdns,
            findings: &r.diagnosis.findings,
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
            stats: Stats {
                queries_sent: r.walk.queries_sent,
                probes: r.walk.probes.len(),
                elapsed_ms: r.walk.elapsed_ms,
                limits: &r.walk.limits,
            },
        }
    }
}

impl TargetJson<'_> {
    /// The same view, naming the lab scenario it comes from.
    #[must_use]
    pub fn in_scenario(mut self, name: &str) -> Self {
        self.scenario = Some(name.to_string());
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
    // The target object with three fields put in front, written straight to text (no
    // intermediate JSON tree: batches write tens of thousands of these).
    #[derive(Serialize)]
    struct Line<'a> {
        schema_version: u32,
        tool: &'static str,
        root_hints: &'a str,
        #[serde(flatten)]
        target: TargetJson<'a>,
    }
    serde_json::to_string(&Line {
        schema_version: SCHEMA_VERSION,
        tool: "ptrtrace",
        root_hints,
        target,
    })
}
