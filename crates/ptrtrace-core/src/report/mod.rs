//! Rendering: one file per output format, all built from the same [`TargetReport`]s
//! (docs/design.md §6). The engine never prints; these functions return strings.

pub mod diff;
pub mod dot;
mod headline;
pub mod json;
pub mod svg;
pub mod table;
pub mod text;

use std::net::IpAddr;

use crate::diagnose::{Diagnosis, diagnose};
use crate::dnssec::validate::Validator;
use crate::graph::TraceGraph;
use crate::model::finding::FindingKind;
use std::collections::BTreeMap;

use crate::model::{Probe, ProbeKind, Purpose, ReplyClass, Walk};

/// One server address as a server of one zone, in one report ([`TargetReport::addresses`]).
#[derive(Debug, Clone, Copy)]
pub struct AddressState<'a> {
    /// Zone.
    pub zone: &'a hickory_proto::rr::Name,
    /// NS name.
    pub server: &'a hickory_proto::rr::Name,
    /// The address.
    pub address: IpAddr,
    /// How it behaved.
    pub status: crate::graph::Status,
    /// Its DNSSEC state, when judged.
    pub dnssec: Option<crate::dnssec::validate::Security>,
    /// Its probe statistics, when it was probed.
    pub stats: Option<&'a crate::diagnose::stats::AddressStats>,
}

/// Everything known about one target: observations, diagnosis, graph.
#[derive(Debug, Clone)]
pub struct TargetReport {
    /// What the walk saw.
    pub walk: Walk,
    /// What it means.
    pub diagnosis: Diagnosis,
    /// The graph of it.
    pub graph: TraceGraph,
}

impl TargetReport {
    /// Diagnoses `walk` and builds its graph, judging DNSSEC at this host's clock, read
    /// here. A batch shares one [`Validator`] across its targets with [`Self::judged`].
    #[must_use]
    pub fn new(walk: Walk) -> Self {
        Self::judged(walk, &Validator::now())
    }

    /// Diagnoses `walk` with `validator` (its time and remembered verifications) and builds
    /// its graph.
    #[must_use]
    pub fn judged(walk: Walk, validator: &Validator) -> Self {
        let diagnosis = diagnose(&walk, validator);
        let graph = TraceGraph::build(&walk, &diagnosis);
        Self {
            walk,
            diagnosis,
            graph,
        }
    }

    /// The traced address.
    #[must_use]
    pub fn target(&self) -> IpAddr {
        self.walk.target
    }

    /// Every server address of every zone in the graph, with its status, DNSSEC state and
    /// probe statistics (what monitoring and the history store per address); none when a
    /// local failure stopped the walk.
    #[must_use]
    pub fn addresses(&self) -> Vec<AddressState<'_>> {
        // A local failure stopped the walk: nothing it saw is a server's state.
        if self.walk.local.is_some() {
            return Vec::new();
        }
        self.graph
            .graph
            .node_weights()
            .filter_map(|n| match n {
                crate::graph::Node::Address {
                    zone,
                    server,
                    address,
                    status,
                    dnssec,
                    ..
                } => {
                    Some(AddressState {
                        zone,
                        server,
                        address: *address,
                        status: *status,
                        dnssec: *dnssec,
                        stats: self.diagnosis.stats.iter().find(|s| {
                            s.zone == *zone && s.server == *server && s.address == *address
                        }),
                    })
                }
                _ => None,
            })
            .collect()
    }

    /// The server to fix, as the headline names it, in a few words: "ns3.isp.example.
    /// (198.51.100.55) does not answer for 113.0.203.in-addr.arpa." (None when no finding
    /// names a server).
    #[must_use]
    pub fn culprit_words(&self) -> Option<String> {
        headline::culprit_words(self)
    }

    /// One line: the answer in a receiving mail server's terms (what it finds, then what
    /// a receiver that checks reverse DNS replies: [`crate::diagnose::receiver::Receiver`]).
    #[must_use]
    pub fn headline(&self) -> String {
        let d = &self.diagnosis;
        // A local failure: the one thing to fix is this host.
        if let Some(f) = d
            .findings
            .iter()
            .find(|f| f.kind == FindingKind::LocalError)
        {
            return format!("{} — {}", f.message, f.advice);
        }
        let facts = self.facts();
        // Every verdict but ok says what receivers answer; ok needs no saying.
        let tail = match self.receiver_words() {
            Some(reply) if d.verdict != crate::diagnose::Verdict::Ok => {
                format!("{facts}: {reply}")
            }
            _ => facts,
        };
        // Cause first: the server to fix and the fix, then what it costs.
        match headline::cause(self) {
            Some(cause) if d.verdict != crate::diagnose::Verdict::Ok => {
                let stop = if cause.ends_with('.') { "" } else { "." };
                let mut chars = tail.chars();
                let tail: String = chars
                    .next()
                    .map(|c| c.to_uppercase().chain(chars).collect())
                    .unwrap_or_default();
                format!("{cause}{stop} {tail}")
            }
            _ => tail,
        }
    }

    /// The receiver's answer with its share, from the same odds as the "lookups" line: what
    /// a receiver finally gets follows the with-retries figures, the delay the first-try ones.
    fn receiver_words(&self) -> Option<String> {
        use crate::diagnose::receiver::Receiver;
        let d = &self.diagnosis;
        let o = &d.odds;
        let words = match d.receiver {
            Receiver::Unknown => return None,
            Receiver::Delayed => format!(
                "receivers accept its mail, but {} of their lookups first meet a failing server and wait for a retry",
                share_words(o.first_try.fail)
            ),
            Receiver::SometimesPermanent => format!(
                "receivers reject {} of its mail (550-5.7.25; Postfix 550): their resolver picked a server with a wrong answer",
                share_words(o.with_retries.wrong)
            ),
            Receiver::SometimesTemporary => format!(
                "receivers defer {} of its mail (421-4.7.23; Postfix 450): every server their resolver tried failed",
                share_words(o.with_retries.fail)
            ),
            other => other.phrase().to_string(),
        };
        Some(words)
    }

    /// The headline's facts: the PTR, its forward confirmation, a DNSSEC break.
    fn facts(&self) -> String {
        let d = &self.diagnosis;
        let target = self.walk.target;
        if d.ptr.is_empty() {
            let missing = d.findings.iter().any(|f| f.kind == FindingKind::PtrMissing);
            let untested = d.findings.iter().any(|f| f.kind == FindingKind::Untested);
            let errors = d
                .findings
                .iter()
                .any(|f| f.severity == crate::diagnose::Severity::Error);
            if untested && !errors && !missing {
                return format!(
                    "no PTR could be obtained for {target} from this host: the servers it needs were not tested (see \"not checked\")"
                );
            }
            return if missing {
                format!("no PTR record for {target}")
            } else {
                format!("no PTR could be obtained for {target}: every path fails (see findings)")
            };
        }
        let confirmed: Vec<String> = d
            .fcrdns
            .iter()
            .filter(|f| f.confirmed)
            .map(|f| f.name.to_string())
            .collect();
        if d.fcrdns.is_empty() {
            let names: Vec<String> = d.ptr.iter().map(ToString::to_string).collect();
            return format!(
                "PTR {} (forward confirmation not checked)",
                names.join(", ")
            );
        }
        if confirmed.is_empty() {
            let names: Vec<String> = d.ptr.iter().map(ToString::to_string).collect();
            return format!("PTR {} does not resolve back to {target}", names.join(", "));
        }
        let base = format!("PTR {} → {target} confirmed", confirmed.join(", "));
        match d.dnssec.as_ref().map(|x| &x.broken) {
            Some(broken) if !broken.is_empty() => {
                let zones: Vec<String> = broken.iter().map(ToString::to_string).collect();
                format!(
                    "{base}, but DNSSEC fails for {} on every server, so validating resolvers get SERVFAIL",
                    zones.join(", ")
                )
            }
            _ => base,
        }
    }

    /// The `dnssec_bogus` reasons of one server address of `zone`, comma-separated: what the
    /// text tree, the DOT and the SVG write beside an address whose DNSSEC data fails (empty
    /// when DNSSEC was not judged).
    #[must_use]
    pub fn dnssec_reasons(
        &self,
        zone: &hickory_proto::rr::Name,
        server: &hickory_proto::rr::Name,
        address: IpAddr,
    ) -> String {
        self.diagnosis
            .dnssec
            .as_ref()
            .map(|d| d.reasons(zone, server, address))
            .unwrap_or_default()
    }

    /// How a zone's cut was found when a referral skipped it (its servers also serve the
    /// parent, like every root server serving `arpa.`), for text and DOT; None for a zone
    /// reached only by referrals.
    #[must_use]
    pub fn cut_note(&self, zone: &hickory_proto::rr::Name) -> Option<String> {
        let z = self.walk.zones.get(zone)?;
        if z.found_inside.is_empty() {
            return None;
        }
        let mut servers: Vec<String> = z
            .found_inside
            .iter()
            .map(|c| c.server.to_string())
            .collect();
        servers.dedup();
        let parents: std::collections::BTreeSet<String> = z
            .found_inside
            .iter()
            .map(|c| c.parent.to_string())
            .collect();
        let parents: Vec<String> = parents.into_iter().collect();
        Some(if z.delegations.is_empty() {
            format!(
                "hidden cut: served by the servers of {} ({}), whose referrals skip it",
                parents.join(", "),
                servers.join(", ")
            )
        } else {
            format!(
                "also served by {} (found by SOA: their referrals skip this cut)",
                servers.join(", ")
            )
        })
    }

    /// What an address said, in one line: outcome counts, median RTT, and the question when
    /// it is not the target's own.
    #[must_use]
    pub fn address_summary(&self, indexes: &[usize]) -> AddressSummary {
        let rel = self.relevant_probes(indexes);
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for p in &rel {
            *counts.entry(p.class.short(p.rcode())).or_insert(0) += 1;
        }
        let outcome = if rel.is_empty() {
            "not queried".to_string()
        } else {
            counts
                .iter()
                .map(|(k, n)| format!("{k} {n}/{}", rel.len()))
                .collect::<Vec<_>>()
                .join("; ")
        };
        let rtt_ms = median(
            rel.iter()
                .filter(|p| !matches!(p.class, ReplyClass::Silent { .. }))
                .map(|p| p.rtt_ms())
                .collect(),
        );
        let question = rel.first().filter(|p| p.question != 0).map(|p| {
            let q = &self.walk.questions[p.question];
            format!("{} {}", q.name, q.qtype)
        });
        AddressSummary {
            outcome,
            rtt_ms,
            question,
        }
    }

    /// The standard probes that best describe an address in a zone: those of the target's
    /// chain if any, else of the forward lookups, else of the first question asked of it.
    #[must_use]
    pub fn relevant_probes(&self, indexes: &[usize]) -> Vec<&Probe> {
        let probes: Vec<&Probe> = indexes
            .iter()
            .map(|&i| &self.walk.probes[i])
            .filter(|p| p.kind == ProbeKind::Standard)
            .collect();
        let rank = |p: &Probe| {
            let q = &self.walk.questions[p.question];
            match self.walk.questions[q.origin].purpose {
                Purpose::Target => 0,
                Purpose::Forward { .. } => 1,
                _ => 2,
            }
        };
        let best = probes.iter().map(|p| (rank(p), p.question)).min();
        probes
            .into_iter()
            .filter(|p| Some((rank(p), p.question)) == best)
            .collect()
    }
}

/// One address's behaviour, summarised for a line of text or a graph label.
#[derive(Debug, Clone, PartialEq)]
pub struct AddressSummary {
    /// `PTR mail.example. 3/3`, `REFUSED 3/3`, `timeout 3/3`, …
    pub outcome: String,
    /// Median RTT of the replies.
    pub rtt_ms: Option<f64>,
    /// The question, when it is not the target's PTR.
    pub question: Option<String>,
}

/// Median of a list of milliseconds.
#[must_use]
pub fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some(v[v.len() / 2])
}

/// A probability in words: "about 1 in 3", "all", or "about 14%".
pub(crate) fn share_words(p: f64) -> String {
    if p >= 0.999 {
        return "all".into();
    }
    for den in 2..=10u32 {
        for num in 1..den {
            if (f64::from(num) / f64::from(den) - p).abs() < 0.005 {
                return format!("about {num} in {den}");
            }
        }
    }
    if p < 0.01 {
        return "under 1%".into();
    }
    format!("about {:.0}%", p * 100.0)
}
