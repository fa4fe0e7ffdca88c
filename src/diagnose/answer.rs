//! What a resolver ends up with: the PTR (following RFC 2317 CNAMEs), `ptr_missing`,
//! `multiple_ptr`, `classless_delegation`, `cname_loop`, forward confirmation
//! (`fcrdns_failed`) and the bounds the walk hit (`limit_exceeded`).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use hickory_proto::rr::{Name, RecordType};

use super::{Fcrdns, Finding, Severity, q_text};
use crate::trace::{ProbeKind, Purpose, QId, ReplyClass, Walk};

/// The PTR names found and the forward confirmation of each.
pub(super) struct Chain {
    pub ptr: Vec<Name>,
    pub fcrdns: Vec<Fcrdns>,
}

fn target_chain(walk: &Walk) -> Vec<QId> {
    walk.questions
        .iter()
        .enumerate()
        .filter(|(_, q)| q.origin == 0)
        .map(|(i, _)| i)
        .collect()
}

/// Adds the findings of the target's answer, and returns the PTR names and FCrDNS results.
#[allow(clippy::too_many_lines)]
pub(super) fn check(walk: &Walk, findings: &mut Vec<Finding>) -> Chain {
    let chain = target_chain(walk);
    let mut ptr: BTreeSet<Name> = BTreeSet::new();
    let mut negatives: BTreeMap<(&'static str, Name), usize> = BTreeMap::new();
    let mut multi: Option<(Name, Vec<String>)> = None;
    for &qi in &chain {
        for p in walk
            .probes
            .iter()
            .filter(|p| p.question == qi && p.kind == ProbeKind::Standard)
        {
            match &p.class {
                ReplyClass::Answer { data } => {
                    let names: Vec<String> = data
                        .iter()
                        .filter_map(|d| d.strip_prefix("ptr "))
                        .map(str::to_string)
                        .collect();
                    if names.len() > 1 && multi.is_none() {
                        multi = Some((p.zone.clone(), names.clone()));
                    }
                    for n in names {
                        if let Ok(name) = Name::from_ascii(&n) {
                            ptr.insert(name);
                        }
                    }
                }
                ReplyClass::Nxdomain => {
                    *negatives.entry(("nxdomain", p.zone.clone())).or_insert(0) += 1
                }
                ReplyClass::Nodata => {
                    *negatives.entry(("nodata", p.zone.clone())).or_insert(0) += 1
                }
                _ => {}
            }
        }
        if let Purpose::Cname { of } = walk.questions[qi].purpose {
            let from = walk.questions[of]
                .zones
                .last()
                .cloned()
                .unwrap_or_else(Name::root);
            findings.push(Finding {
                kind: "classless_delegation",
                severity: Severity::Info,
                reason: None,
                zone: from.clone(),
                server: None,
                address: None,
                message: format!(
                    "{} is a CNAME to {} (RFC 2317 classless delegation); its PTR is looked up there",
                    walk.questions[of].name, walk.questions[qi].name
                ),
                advice: "Nothing to do; the CNAME target's zone was traced too.".into(),
                evidence: vec![format!("CNAME found in {from} for {}", q_text(walk, of))],
            });
        }
    }
    if let Some((zone, names)) = multi {
        findings.push(Finding {
            kind: "multiple_ptr",
            severity: Severity::Warning,
            reason: None,
            zone: zone.clone(),
            server: None,
            address: None,
            message: format!(
                "{} has {} PTR records: {}",
                walk.target,
                names.len(),
                names.join(", ")
            ),
            advice: "Many receivers look at one PTR only, picked at random, and some penalise \
                     several. Keep one PTR: the name your mail server uses in HELO."
                .into(),
            evidence: vec![format!(
                "answer from a server of {zone}: {}",
                names.join(", ")
            )],
        });
    }
    if ptr.is_empty()
        && let Some(((reason, zone), n)) = negatives.iter().max_by_key(|(_, n)| **n)
    {
        let name = chain.last().map_or_else(
            || walk.reverse_name.clone(),
            |&q| walk.questions[q].name.clone(),
        );
        findings.push(Finding {
            kind: "ptr_missing",
            severity: Severity::Error,
            reason: Some(reason),
            zone: zone.clone(),
            server: None,
            address: None,
            message: if *reason == "nxdomain" {
                format!(
                    "{name} does not exist: there is no PTR record for {}",
                    walk.target
                )
            } else {
                format!("{name} exists but has no PTR record for {}", walk.target)
            },
            advice: format!(
                "Add `{name} PTR your-mail-host.example.` in {zone} (ask whoever runs {zone}, \
                 usually the holder of the address block), and an A/AAAA record for that name \
                 pointing back to {}.",
                walk.target
            ),
            evidence: vec![format!(
                "{n} authoritative {} replies from servers of {zone}",
                reason.to_uppercase()
            )],
        });
    }
    let fcrdns = if walk.fcrdns {
        forward(walk, &ptr, findings)
    } else {
        Vec::new()
    };
    limits(walk, findings);
    Chain {
        ptr: ptr.into_iter().collect(),
        fcrdns,
    }
}

fn forward(walk: &Walk, ptr: &BTreeSet<Name>, findings: &mut Vec<Finding>) -> Vec<Fcrdns> {
    let qtype = if walk.target.is_ipv4() {
        RecordType::A
    } else {
        RecordType::AAAA
    };
    let mut out = Vec::new();
    for pname in ptr {
        // The forward question may have been opened for another purpose (an NS name that is
        // also a PTR name): questions are shared by name and type.
        let Some(qi) = walk
            .questions
            .iter()
            .position(|q| q.name == *pname && q.qtype == qtype)
        else {
            continue;
        };
        let fchain: Vec<QId> = walk
            .questions
            .iter()
            .enumerate()
            .filter(|(_, x)| x.origin == walk.questions[qi].origin)
            .map(|(i, _)| i)
            .collect();
        let mut addrs: BTreeSet<IpAddr> = BTreeSet::new();
        let mut negative = false;
        let mut zone = walk.questions[qi]
            .zones
            .last()
            .cloned()
            .unwrap_or_else(Name::root);
        for p in walk
            .probes
            .iter()
            .filter(|p| fchain.contains(&p.question) && p.kind == ProbeKind::Standard)
        {
            match &p.class {
                ReplyClass::Answer { data } => {
                    zone = p.zone.clone();
                    addrs.extend(
                        data.iter()
                            .filter_map(|d| {
                                d.strip_prefix("a ").or_else(|| d.strip_prefix("aaaa "))
                            })
                            .filter_map(|s| s.parse::<IpAddr>().ok()),
                    );
                }
                ReplyClass::Nxdomain | ReplyClass::Nodata => {
                    zone = p.zone.clone();
                    negative = true;
                }
                _ => {}
            }
        }
        let confirmed = addrs.contains(&walk.target);
        if !confirmed {
            let (reason, message) = if !addrs.is_empty() {
                let list: Vec<String> = addrs.iter().map(ToString::to_string).collect();
                (
                    "address_mismatch",
                    format!(
                        "{pname} resolves to {}, not to {}",
                        list.join(", "),
                        walk.target
                    ),
                )
            } else if negative {
                ("no_address", format!("{pname} has no {qtype} record"))
            } else {
                (
                    "forward_unresolvable",
                    format!("{pname} could not be resolved: no server of its zone answered"),
                )
            };
            findings.push(Finding {
                kind: "fcrdns_failed",
                severity: Severity::Error,
                reason: Some(reason),
                zone: zone.clone(),
                server: None,
                address: None,
                message: format!("forward confirmation fails for PTR {pname}: {message}"),
                advice: format!(
                    "Receivers such as Gmail require the PTR name to resolve back to the sending \
                     address (550-5.7.25). Add `{pname} {qtype} {}` in {zone}, or change the PTR \
                     to a name that already does.",
                    walk.target
                ),
                evidence: vec![format!("forward lookup {pname} {qtype}")],
            });
        }
        out.push(Fcrdns {
            name: pname.clone(),
            qtype,
            addresses: addrs.into_iter().collect(),
            confirmed,
        });
    }
    out
}

fn limits(walk: &Walk, findings: &mut Vec<Finding>) {
    for l in &walk.limits {
        findings.push(Finding {
            kind: "limit_exceeded",
            severity: Severity::Warning,
            reason: Some(l.limit),
            zone: Name::root(),
            server: None,
            address: None,
            message: format!("the walk hit a bound: {}", l.detail),
            advice: "Part of the delegation was not checked; the findings may be incomplete. \
                     Raise the bound (see --help) if the delegation is really this large."
                .into(),
            evidence: vec![l.detail.clone()],
        });
    }
    for l in &walk.cname_loops {
        let names: Vec<String> = l.chain.iter().map(ToString::to_string).collect();
        findings.push(Finding {
            kind: "cname_loop",
            severity: Severity::Error,
            reason: None,
            zone: l.chain.first().cloned().unwrap_or_else(Name::root),
            server: None,
            address: None,
            message: format!("CNAME loop: {}", names.join(" → ")),
            advice: "Every resolver fails. Point the CNAME at the name that holds the PTR.".into(),
            evidence: vec![names.join(" → ")],
        });
    }
}
