//! Does the parent's delegation match the child? RFC 1034 §4.2.2 wants the NS RRset at the
//! cut to equal the one at the child's apex (`ns_mismatch`); glue must be present for NS names
//! inside the child (`missing_glue`, RFC 9471) and agree with the child's own address records
//! (`glue_mismatch`); every NS name must resolve (`ns_unresolvable`).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use hickory_proto::rr::{Name, RecordType};

use super::{Finding, Severity};
use crate::model::Rdata;
use crate::model::finding::FindingKind;
use crate::model::{ProbeKind, ReplyClass, Walk};

/// The names and addresses the authoritative answers to (`name`, `qtype`) gave, from any zone.
fn answers(walk: &Walk, name: &Name, qtype: RecordType) -> (BTreeSet<Rdata>, bool) {
    let mut data = BTreeSet::new();
    let mut negative = false;
    for (qi, q) in walk.questions.iter().enumerate() {
        if q.name != *name || q.qtype != qtype {
            continue;
        }
        for p in walk
            .probes
            .iter()
            .filter(|p| p.question == qi && p.kind == ProbeKind::Standard)
        {
            match &p.class {
                ReplyClass::Answer { data: d } => data.extend(d.iter().cloned()),
                ReplyClass::Nxdomain | ReplyClass::Nodata => negative = true,
                _ => {}
            }
        }
    }
    (data, negative)
}

fn child_ns(walk: &Walk, zone: &Name) -> BTreeSet<Name> {
    // The majority NS set among the child's servers (each address votes once).
    let Some(qi) = walk
        .questions
        .iter()
        .position(|q| q.name == *zone && q.qtype == RecordType::NS)
    else {
        return BTreeSet::new();
    };
    let mut votes: BTreeMap<(Name, IpAddr), BTreeSet<Name>> = BTreeMap::new();
    for p in walk
        .probes
        .iter()
        .filter(|p| p.question == qi && p.zone == *zone && p.kind == ProbeKind::Standard)
    {
        if let ReplyClass::Answer { data } = &p.class {
            let set: BTreeSet<Name> = data.iter().filter_map(|d| d.ns().cloned()).collect();
            votes.entry((p.server.clone(), p.address)).or_insert(set);
        }
    }
    let mut count: BTreeMap<BTreeSet<Name>, usize> = BTreeMap::new();
    for set in votes.into_values() {
        *count.entry(set).or_insert(0) += 1;
    }
    count
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .map(|(s, _)| s)
        .unwrap_or_default()
}

fn list(names: &BTreeSet<Name>) -> String {
    names
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Adds `ns_mismatch`, `missing_glue`, `glue_mismatch` and `ns_unresolvable` findings.
pub(super) fn check(walk: &Walk, findings: &mut Vec<Finding>) {
    for (zname, zone) in &walk.zones {
        let Some(parent) = &zone.parent else {
            continue;
        };
        let child = child_ns(walk, zname);
        // ns_mismatch, one finding per distinct NS set the parent's servers gave.
        let mut by_set: BTreeMap<BTreeSet<Name>, Vec<String>> = BTreeMap::new();
        for d in &zone.delegations {
            by_set
                .entry(d.ns.iter().cloned().collect())
                .or_default()
                .push(format!("{} ({})", d.server, d.address));
        }
        if !child.is_empty() {
            for (set, givers) in &by_set {
                if *set == child {
                    continue;
                }
                let only_parent: BTreeSet<Name> = set.difference(&child).cloned().collect();
                let only_child: BTreeSet<Name> = child.difference(set).cloned().collect();
                let mut parts = Vec::new();
                if !only_parent.is_empty() {
                    parts.push(format!("only the parent lists {}", list(&only_parent)));
                }
                if !only_child.is_empty() {
                    parts.push(format!("only the child lists {}", list(&only_child)));
                }
                findings.push(Finding {
                    involved: Vec::new(),
                    caused_by: None,
                    kind: FindingKind::NsMismatch,
                    severity: Severity::Warning,
                    reason: None,
                    zone: zname.clone(),
                    server: None,
                    address: None,
                    message: format!(
                        "the delegation of {zname} in {parent} differs from the NS records at its apex: {}",
                        parts.join("; ")
                    ),
                    advice: format!(
                        "Resolvers use the parent's set first and the child's later, so a server on \
                         one side only is used by some resolvers and not others. Make the NS records \
                         in {parent} (ask its operator) and at the apex of {zname} the same list."
                    ),
                    evidence: vec![
                        format!("parent: {} (from {})", list(set), givers.join(", ")),
                        format!("child: {}", list(&child)),
                    ],
                });
            }
        }
        // missing_glue and glue_mismatch, for NS names inside the child zone.
        let mut glue: BTreeMap<Name, BTreeSet<IpAddr>> = BTreeMap::new();
        for d in &zone.delegations {
            for ns in d.ns.iter().filter(|n| zname.zone_of(n)) {
                let given: Vec<IpAddr> = d
                    .glue
                    .iter()
                    .filter(|(n, _)| n == ns)
                    .map(|(_, ip)| *ip)
                    .collect();
                if given.is_empty() {
                    findings.push(Finding {
                        involved: Vec::new(),
                        caused_by: None,
                        kind: FindingKind::MissingGlue,
                        severity: Severity::Error,
                        reason: None,
                        zone: zname.clone(),
                        server: Some(ns.clone()),
                        address: None,
                        message: format!(
                            "{ns} is inside {zname} but the delegation in {parent} gives no address (glue) for it"
                        ),
                        advice: format!(
                            "A resolver cannot find {ns}'s address without already reaching {zname}: \
                             a circular dependency. Ask the operator of {parent} to add glue A/AAAA \
                             records for {ns}."
                        ),
                        evidence: vec![format!(
                            "referral from {} ({}) lists {ns} without an address",
                            d.server, d.address
                        )],
                    });
                }
                glue.entry(ns.clone()).or_default().extend(given);
            }
        }
        for (ns, ips) in &glue {
            if ips.is_empty() {
                continue;
            }
            let mut child_addrs: BTreeSet<IpAddr> = BTreeSet::new();
            let mut families_answered = Vec::new();
            for (qtype, v4, wanted) in [
                (RecordType::A, true, walk.families.0),
                (RecordType::AAAA, false, walk.families.1),
            ] {
                if !wanted {
                    continue;
                }
                let (data, negative) = answers(walk, ns, qtype);
                if data.is_empty() && !negative {
                    continue; // not asked or not answered: nothing to compare
                }
                families_answered.push(v4);
                child_addrs.extend(data.iter().filter_map(Rdata::addr));
            }
            let glue_cmp: BTreeSet<IpAddr> = ips
                .iter()
                .copied()
                .filter(|ip| families_answered.contains(&ip.is_ipv4()))
                .collect();
            let child_cmp: BTreeSet<IpAddr> = child_addrs
                .iter()
                .copied()
                .filter(|ip| {
                    glue.get(ns)
                        .is_some_and(|g| g.iter().any(|x| x.is_ipv4() == ip.is_ipv4()))
                })
                .collect();
            if families_answered.is_empty() || glue_cmp == child_cmp {
                continue;
            }
            let show = |s: &BTreeSet<IpAddr>| {
                if s.is_empty() {
                    "nothing".to_string()
                } else {
                    s.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            };
            let wrong = glue_cmp.difference(&child_cmp).next().copied();
            findings.push(Finding {
                involved: Vec::new(),
                caused_by: None,
                kind: FindingKind::GlueMismatch,
                severity: Severity::Error,
                reason: None,
                zone: zname.clone(),
                server: Some(ns.clone()),
                address: wrong,
                message: format!(
                    "glue for {ns} in {parent} says {}, but {zname} itself says {}",
                    show(&glue_cmp),
                    show(&child_cmp)
                ),
                advice: format!(
                    "Resolvers that arrive through {parent} use the glue and query the wrong \
                     address. Ask the operator of {parent} to update the glue for {ns} (often \
                     forgotten after renumbering a server)."
                ),
                evidence: vec![
                    format!("glue: {ns} {}", show(&glue_cmp)),
                    format!("{zname}: {ns} {}", show(&child_cmp)),
                ],
            });
        }
    }
    // ns_unresolvable: NS names resolved separately that came back with no address at all.
    for (ns, addrs) in &walk.resolved_ns {
        if !addrs.is_empty() {
            continue;
        }
        let (_, neg_a) = answers(walk, ns, RecordType::A);
        let (_, neg_aaaa) = answers(walk, ns, RecordType::AAAA);
        let why = if neg_a || neg_aaaa {
            "it has no A or AAAA record"
        } else {
            "no server answered for its address"
        };
        for (zname, zone) in &walk.zones {
            if zone.ns.get(ns).is_some_and(BTreeSet::is_empty) {
                findings.push(Finding {
                    involved: Vec::new(),
                    caused_by: None,
                    kind: FindingKind::NsUnresolvable,
                    severity: Severity::Warning,
                    reason: None,
                    zone: zname.clone(),
                    server: Some(ns.clone()),
                    address: None,
                    message: format!("NS name {ns} of {zname} cannot be resolved: {why}"),
                    advice: format!(
                        "Resolvers that pick {ns} waste time before trying another server. Remove \
                         {ns} from the NS records of {zname} (and from the delegation above it), \
                         or give it an address."
                    ),
                    evidence: vec![format!("lookups of {ns} A/AAAA gave no address")],
                });
            }
        }
    }
}
