//! From observations to findings and a verdict (docs/design.md §5, docs/findings.md).
//!
//! Everything here is computed from the probes stored in the [`Walk`]: each finding names the
//! zone, server and address it concerns and carries the evidence it rests on. Server
//! misbehaviour is judged per question (a server that answers SOA but not PTR is judged on
//! PTR), and per address (one bad address of a server is not blamed on its siblings).
//!
//! Severity rule (docs/findings.md): anything that can make some resolver fail to get the
//! correct PTR some of the time is an error.
//!
//! One module per family: [`servers`] (reachability, lameness, TCP, EDNS), [`consistency`]
//! (answers and serials between servers), [`delegation`] (parent vs child: NS sets, glue),
//! [`answer`] (the PTR chain, FCrDNS, limits).

mod answer;
mod causes;
pub mod consistency;
mod delegation;
pub mod odds;
pub mod receiver;
mod servers;
pub mod stats;
mod untested;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::net::IpAddr;

use hickory_proto::rr::{Name, RecordType};
use serde::Serialize;

pub use crate::model::finding::{Finding, FindingKind, Reason, Severity, Verdict};
use crate::model::{Probe, QId, Walk};

/// The forward confirmation of one PTR name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fcrdns {
    /// The PTR name.
    pub name: Name,
    /// A or AAAA.
    pub qtype: RecordType,
    /// Addresses the forward servers gave for it.
    pub addresses: Vec<IpAddr>,
    /// True when the traced address is among them.
    pub confirmed: bool,
    /// When confirmed through some servers only: the forward server addresses whose answers
    /// do not contain the traced address (a resolver picking them fails the check).
    pub broken_by: Vec<String>,
}

/// How many server addresses of one zone on the target's path fail, i.e. what share of a
/// resolver's first tries at that level go wrong.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LevelShare {
    /// The zone.
    pub zone: Name,
    /// NS names queried.
    pub servers: usize,
    /// Of those, the ones with at least one address that is unreachable, lame, flaky, or the
    /// odd one out (an error finding naming it).
    pub failing_servers: usize,
    /// Server addresses queried.
    pub addresses: usize,
    /// Of those, the failing ones.
    pub failing_addresses: usize,
    /// The chance that a resolver's first try at this level goes wrong, picking an NS name and
    /// then one of its addresses uniformly at random (0.0 to 1.0).
    pub first_try_failure: f64,
}

/// Everything concluded about one target.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnosis {
    /// ok, degraded, broken.
    pub verdict: Verdict,
    /// PTR names any authoritative server gave.
    pub ptr: Vec<Name>,
    /// Forward confirmation of each PTR name (empty when not checked).
    pub fcrdns: Vec<Fcrdns>,
    /// Findings, errors first.
    pub findings: Vec<Finding>,
    /// False when no root server answered at all: the trace could not run.
    pub root_reachable: bool,
    /// Failing shares per zone of the target's path, root first.
    pub levels: Vec<LevelShare>,
    /// Contact address from each zone's SOA RNAME (`hostmaster@isp.example`).
    pub contacts: BTreeMap<Name, String>,
    /// Probe statistics per server address.
    pub stats: Vec<stats::AddressStats>,
    /// The chance that a resolver's lookup ends correct, wrong or failed (docs/findings.md).
    pub odds: odds::Odds,
    /// DNSSEC per zone and server (absent with `--no-dnssec`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dnssec: Option<crate::dnssec::validate::DnssecSummary>,
    /// What a receiving mail server that checks reverse DNS answers (docs/findings.md).
    pub receiver: receiver::Receiver,
    /// Zones whose odd server out by SOA serial is known, for the headline.
    #[serde(skip)]
    pub old_copies: Vec<consistency::OddSerial>,
}

pub(crate) fn q_text(walk: &Walk, q: QId) -> String {
    let q = &walk.questions[q];
    format!("{} {}", q.name, q.qtype)
}

fn count_label(probes: &[&Probe]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for p in probes {
        *m.entry(p.class.sentence(p.rcode())).or_insert(0) += 1;
    }
    m
}

pub(crate) fn evidence_line(walk: &Walk, q: QId, probes: &[&Probe]) -> String {
    let total = probes.len();
    let mut s = String::new();
    for (i, (label, n)) in count_label(probes).iter().enumerate() {
        if i > 0 {
            s.push_str("; ");
        }
        let _ = write!(s, "{label} to {n} of {total} probes");
    }
    let _ = write!(s, " for {}", q_text(walk, q));
    s
}

/// Diagnoses one walk; DNSSEC is judged by `validator` (its time, its remembered
/// verifications: nothing here reads the clock).
#[must_use]
pub fn diagnose(walk: &Walk, validator: &crate::dnssec::validate::Validator) -> Diagnosis {
    if let Some(local) = &walk.local {
        return untested::local_failure(local);
    }
    let mut findings: Vec<Finding> = Vec::new();
    // Each address's loss over a zone, counted once for the findings, the levels and the odds.
    let loss = servers::loss(walk);
    servers::check(walk, &loss, &mut findings);
    let old_copies = consistency::check(walk, &mut findings);
    delegation::check(walk, &mut findings);
    let chain = answer::check(walk, &mut findings);
    let dnssec = walk.dnssec.as_ref().map(|anchors| {
        let (summary, found) = validator.check(walk, anchors);
        findings.extend(found);
        summary
    });

    merge(&mut findings);
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.kind.cmp(&b.kind))
            .then_with(|| a.zone.cmp(&b.zone))
            .then_with(|| a.server.cmp(&b.server))
            .then_with(|| a.address.cmp(&b.address))
    });
    causes::cause_first(&mut findings);

    let root_reachable = walk
        .probes
        .iter()
        .any(|p| p.zone.is_root() && p.class.is_useful());
    let confirmed = !walk.fcrdns || chain.fcrdns.iter().any(|f| f.confirmed);
    // A zone of the answer's own path where every server fails validation: validating
    // resolvers get SERVFAIL whichever server they pick.
    let chain_bogus = dnssec.as_ref().is_some_and(|d| !d.broken.is_empty());
    let verdict = if chain.ptr.is_empty() || !confirmed || chain_bogus {
        Verdict::Broken
    } else if findings.iter().any(|f| f.severity >= Severity::Warning) {
        Verdict::Degraded
    } else {
        Verdict::Ok
    };
    let levels = levels(walk, &findings, &loss);
    let stats = stats::compute(walk, &findings);
    // The zone asked, or one between it and the name (a cut hidden inside the same servers,
    // whose keys signed the answer): its failure there fails the answer.
    let bogus = |zone: &Name, qname: &Name, address: IpAddr| {
        dnssec.as_ref().is_some_and(|d| {
            d.zones.iter().any(|z| {
                let at_address = || {
                    z.servers.iter().any(|s| {
                        s.address == address && s.status == crate::dnssec::validate::Security::Bogus
                    })
                };
                (z.zone == *zone && z.status == crate::dnssec::validate::Security::Bogus)
                    || (zone.zone_of(&z.zone) && z.zone.zone_of(qname) && at_address())
            })
        })
    };
    let odds = odds::compute(walk, &chain.fcrdns, &bogus, &loss);
    let receiver = receiver::compute(
        root_reachable,
        verdict,
        !chain.ptr.is_empty(),
        &chain.fcrdns,
        &findings,
        chain_bogus,
        &odds,
    );
    Diagnosis {
        old_copies,
        receiver,
        stats,
        odds,
        verdict,
        ptr: chain.ptr,
        fcrdns: chain.fcrdns,
        findings,
        root_reachable,
        levels,
        contacts: consistency::contacts(walk),
        dnssec,
    }
}

/// The share of failing addresses for each zone the target's questions went through. An
/// address whose only fault is loss (`flaky`) fails that share of first tries, not all of
/// them: the same measured loss as its finding and its statistics.
fn levels(
    walk: &Walk,
    findings: &[Finding],
    loss: &BTreeMap<(Name, Name, IpAddr), (usize, usize)>,
) -> Vec<LevelShare> {
    let mut zones: Vec<Name> = Vec::new();
    for q in walk.questions.iter().filter(|q| q.origin == 0) {
        for z in &q.zones {
            if !zones.contains(z) {
                zones.push(z.clone());
            }
        }
    }
    zones
        .into_iter()
        .map(|zone| {
            let addrs: BTreeSet<(Name, IpAddr)> = walk
                .probes
                .iter()
                .filter(|p| p.zone == zone && walk.questions[p.question].origin == 0)
                .map(|p| (p.server.clone(), p.address))
                .collect();
            // How much of an address's first tries fail: 0, its loss when flaky only, or all.
            let fails = |server: &Name, addr: &IpAddr| -> f64 {
                let errors: Vec<&Finding> = findings
                    .iter()
                    .filter(|f| {
                        f.severity == Severity::Error
                            && f.zone == zone
                            && f.server.as_ref() == Some(server)
                            && f.address == Some(*addr)
                    })
                    .collect();
                if errors.is_empty() {
                    0.0
                } else if errors.iter().all(|f| f.kind == FindingKind::Flaky) {
                    let (sent, lost) = loss
                        .get(&(zone.clone(), server.clone(), *addr))
                        .copied()
                        .unwrap_or((1, 1));
                    lost as f64 / sent.max(1) as f64
                } else {
                    1.0
                }
            };
            // server → (failing addresses, addresses, failing share of first tries)
            let mut per_server: BTreeMap<&Name, (usize, usize, f64)> = BTreeMap::new();
            for (server, addr) in &addrs {
                let e = per_server.entry(server).or_insert((0, 0, 0.0));
                e.1 += 1;
                let share = fails(server, addr);
                if share > 0.0 {
                    e.0 += 1;
                    e.2 += share;
                }
            }
            let servers = per_server.len();
            let first_try_failure = if servers == 0 {
                0.0
            } else {
                per_server
                    .values()
                    .map(|(_, n, share)| share / *n as f64)
                    .sum::<f64>()
                    / servers as f64
            };
            LevelShare {
                zone,
                servers,
                failing_servers: per_server.values().filter(|(f, _, _)| *f > 0).count(),
                addresses: addrs.len(),
                failing_addresses: per_server.values().map(|(f, _, _)| f).sum(),
                first_try_failure,
            }
        })
        .collect()
}

/// Joins findings about the same thing (kind, reason, zone, server, address) from several
/// questions into one with all the evidence.
fn merge(findings: &mut Vec<Finding>) {
    let mut out: Vec<Finding> = Vec::new();
    for f in findings.drain(..) {
        if let Some(prev) = out.iter_mut().find(|p| {
            p.kind == f.kind
                && p.reason == f.reason
                && p.zone == f.zone
                && p.server == f.server
                && p.address == f.address
        }) {
            for e in f.evidence {
                if !prev.evidence.contains(&e) {
                    prev.evidence.push(e);
                }
            }
            for i in f.involved {
                if !prev.involved.contains(&i) {
                    prev.involved.push(i);
                }
            }
            prev.involved.sort();
        } else {
            out.push(f);
        }
    }
    *findings = out;
}
