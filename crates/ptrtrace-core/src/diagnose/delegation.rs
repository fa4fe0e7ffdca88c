//! Does the parent's delegation match the child? RFC 1034 §4.2.2 wants the NS RRset at the
//! cut to equal the one at the child's apex (`ns_mismatch`); glue must be present for NS names
//! inside the child (`missing_glue`, RFC 9471) and agree with the child's own address records
//! (`glue_mismatch`); every NS name must resolve (`ns_unresolvable`).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use hickory_proto::rr::{Name, RecordType};

use super::{Finding, Severity};
use crate::model::Rdata;
use crate::model::{ProbeKind, ReplyClass, Walk};
use crate::words::Fact;
use crate::words::addresses;

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

/// `ns_mismatch`: one finding per distinct NS set the parent's servers gave that differs
/// from the child's.
fn ns_mismatch(
    walk: &Walk,
    (zname, zone, parent): (&Name, &crate::model::Zone, &Name),
    findings: &mut Vec<Finding>,
) {
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
            let fact = Fact::NsMismatch {
                zone: zname,
                parent,
                only_parent: &only_parent,
                only_child: &only_child,
            };
            findings.push(fact.finding(Severity::Warning, zname).evidence(vec![
                format!("parent: {} (from {})", list(set), givers.join(", ")),
                format!("child: {}", list(&child)),
            ]));
        }
    }
}

/// `glue_mismatch`: glue for an in-bailiwick NS name that differs from the addresses the
/// child zone gives for it (compared per family the child answered).
fn glue_mismatch(
    walk: &Walk,
    (zname, parent): (&Name, &Name),
    glue: &BTreeMap<Name, BTreeSet<IpAddr>>,
    findings: &mut Vec<Finding>,
) {
    for (ns, ips) in glue {
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
        let wrong = glue_cmp.difference(&child_cmp).next().copied();
        let fact = Fact::GlueMismatch {
            ns,
            zone: zname,
            parent,
            glue: &glue_cmp,
            child: &child_cmp,
        };
        findings.push(
            fact.finding(Severity::Error, zname)
                .at(ns, wrong)
                .evidence(vec![
                    format!("glue: {ns} {}", addresses(&glue_cmp)),
                    format!("{zname}: {ns} {}", addresses(&child_cmp)),
                ]),
        );
    }
}

/// Adds `ns_mismatch`, `missing_glue`, `glue_mismatch` and `ns_unresolvable` findings.
pub(super) fn check(walk: &Walk, findings: &mut Vec<Finding>) {
    for (zname, zone) in &walk.zones {
        let Some(parent) = &zone.parent else {
            continue;
        };
        ns_mismatch(walk, (zname, zone, parent), findings);
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
                    let fact = Fact::MissingGlue {
                        ns,
                        zone: zname,
                        parent,
                    };
                    findings.push(fact.finding(Severity::Error, zname).at(ns, None).evidence(
                        vec![format!(
                            "referral from {} ({}) lists {ns} without an address",
                            d.server, d.address
                        )],
                    ));
                }
                glue.entry(ns.clone()).or_default().extend(given);
            }
        }
        glue_mismatch(walk, (zname, parent), &glue, findings);
    }
    // ns_unresolvable: NS names resolved separately that came back with no address at all.
    for (ns, addrs) in &walk.resolved_ns {
        if !addrs.is_empty() {
            continue;
        }
        let (_, neg_a) = answers(walk, ns, RecordType::A);
        let (_, neg_aaaa) = answers(walk, ns, RecordType::AAAA);
        for (zname, zone) in &walk.zones {
            if zone.ns.get(ns).is_some_and(BTreeSet::is_empty) {
                let fact = Fact::NsUnresolvable {
                    ns,
                    zone: zname,
                    absent: neg_a || neg_aaaa,
                };
                findings.push(
                    fact.finding(Severity::Warning, zname)
                        .at(ns, None)
                        .evidence(vec![format!("lookups of {ns} A/AAAA gave no address")]),
                );
            }
        }
    }
}
