//! What a resolver ends up with: the PTR (following RFC 2317 CNAMEs), `ptr_missing`,
//! `multiple_ptr`, `classless_delegation`, `cname_loop`, forward confirmation
//! (`fcrdns_failed`) and the bounds the walk hit (`limit_exceeded`).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use hickory_proto::rr::Name;

use super::{Fcrdns, Finding, Severity, q_text};
use crate::model::Rdata;
use crate::model::finding::{Detail, Limit, Reason};
use crate::model::{ProbeKind, Purpose, ReplyClass, Walk, forward_type};
use crate::words::{Fact, ForwardFailure, Generic};

/// The PTR names found and the forward confirmation of each.
pub(super) struct Chain {
    pub ptr: Vec<Name>,
    pub fcrdns: Vec<Fcrdns>,
}

/// What the servers of the target's chain answered: the PTR names, the negative answers
/// by reason and zone, and the first answer with several PTR records.
struct Answers {
    ptr: BTreeSet<Name>,
    negatives: BTreeMap<(Detail, Name), usize>,
    multi: Option<(Name, Vec<String>)>,
}

/// Adds the findings of the target's answer, and returns the PTR names and FCrDNS results.
pub(super) fn check(walk: &Walk, findings: &mut Vec<Finding>) -> Chain {
    let chain = walk.chain(0);
    let Answers {
        ptr,
        negatives,
        multi,
    } = answers(walk, &chain, findings);
    if let Some((zone, names)) = multi {
        multiple_ptr(walk, &zone, &names, findings);
    }
    if ptr.is_empty() {
        ptr_missing(walk, &chain, &negatives, findings);
    }
    let fcrdns = if walk.fcrdns {
        forward(walk, &ptr, findings)
    } else {
        Vec::new()
    };
    let ptr_zone = generic(walk, &chain, &ptr, findings);
    helo(walk, &ptr, &ptr_zone, findings);
    limits(walk, findings);
    Chain {
        ptr: ptr.into_iter().collect(),
        fcrdns,
    }
}

/// Reads the chain's answers; a CNAME on the way is an info `classless_delegation`.
fn answers(walk: &Walk, chain: &[usize], findings: &mut Vec<Finding>) -> Answers {
    let mut ptr: BTreeSet<Name> = BTreeSet::new();
    let mut negatives: BTreeMap<(Detail, Name), usize> = BTreeMap::new();
    let mut multi: Option<(Name, Vec<String>)> = None;
    for &qi in chain {
        for p in walk
            .probes
            .iter()
            .filter(|p| p.question == qi && p.kind == ProbeKind::Standard)
        {
            match &p.class {
                ReplyClass::Answer { data } => {
                    let names: Vec<Name> = data.iter().filter_map(Rdata::ptr).cloned().collect();
                    if names.len() > 1 && multi.is_none() {
                        multi = Some((
                            p.zone.clone(),
                            names.iter().map(ToString::to_string).collect(),
                        ));
                    }
                    ptr.extend(names);
                }
                ReplyClass::Nxdomain => {
                    *negatives
                        .entry((Detail::Nxdomain, p.zone.clone()))
                        .or_insert(0) += 1
                }
                ReplyClass::Nodata => {
                    *negatives
                        .entry((Detail::Nodata, p.zone.clone()))
                        .or_insert(0) += 1
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
            let fact = Fact::ClasslessDelegation {
                name: &walk.questions[of].name,
                target: &walk.questions[qi].name,
                dname: dname_of(walk, of),
            };
            findings.push(fact.finding(Severity::Info, &from).evidence(vec![format!(
                "CNAME found in {from} for {}",
                q_text(walk, of)
            )]));
        }
    }
    Answers {
        ptr,
        negatives,
        multi,
    }
}

/// The owner of the DNAME that synthesized question `q`'s CNAME, when its answers carry one
/// (classify.rs notes it as "dname OWNER TARGET").
fn dname_of(walk: &Walk, q: usize) -> Option<String> {
    walk.probes
        .iter()
        .filter(|p| p.question == q)
        .find_map(|p| match &p.class {
            ReplyClass::Answer { data } => data.iter().find_map(|d| match d {
                Rdata::Dname { owner, .. } => Some(owner.to_string()),
                _ => None,
            }),
            _ => None,
        })
}

/// `multiple_ptr`: an answer with several PTR records.
fn multiple_ptr(walk: &Walk, zone: &Name, names: &[String], findings: &mut Vec<Finding>) {
    let fact = Fact::MultiplePtr {
        ip: walk.target,
        names,
    };
    findings.push(fact.finding(Severity::Warning, zone).evidence(vec![format!(
        "answer from a server of {zone}: {}",
        names.join(", ")
    )]));
}

/// `ptr_missing`: no PTR, and the servers said NXDOMAIN or NODATA (the most common wins).
fn ptr_missing(
    walk: &Walk,
    chain: &[usize],
    negatives: &BTreeMap<(Detail, Name), usize>,
    findings: &mut Vec<Finding>,
) {
    let Some(((reason, zone), n)) = negatives.iter().max_by_key(|(_, n)| **n) else {
        return;
    };
    let name = chain.last().map_or_else(
        || walk.reverse_name.clone(),
        |&q| walk.questions[q].name.clone(),
    );
    let fact = Fact::PtrMissing {
        name: &name,
        ip: walk.target,
        zone,
        nx: *reason == Detail::Nxdomain,
    };
    findings.push(
        fact.finding(Severity::Error, zone)
            .reason(Reason::Detail(*reason))
            .evidence(vec![format!(
                "{n} authoritative {} replies from servers of {zone}",
                reason.as_str().to_uppercase()
            )]),
    );
}

/// `generic_ptr` for each PTR name that looks generated from the address; returns the zone
/// that answered the PTR.
fn generic(
    walk: &Walk,
    chain: &[usize],
    ptr: &BTreeSet<Name>,
    findings: &mut Vec<Finding>,
) -> Name {
    let ptr_zone = chain
        .iter()
        .flat_map(|&q| walk.probes.iter().filter(move |p| p.question == q))
        .find(|p| matches!(p.class, ReplyClass::Answer { .. }))
        .map_or_else(Name::root, |p| p.zone.clone());
    for name in ptr {
        if let Some(why) = generic_reason(name, walk.target) {
            let fact = Fact::GenericPtr { name, why };
            findings.push(
                fact.finding(Severity::Warning, &ptr_zone)
                    .evidence(vec![format!("{} PTR {name}", walk.reverse_name)]),
            );
        }
    }
    ptr_zone
}

fn forward(walk: &Walk, ptr: &BTreeSet<Name>, findings: &mut Vec<Finding>) -> Vec<Fcrdns> {
    let qtype = forward_type(walk.target);
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
        let fchain = walk.chain(walk.questions[qi].origin);
        let mut addrs: BTreeSet<IpAddr> = BTreeSet::new();
        let mut negative = false;
        // Per forward server address: did all its answers contain the target?
        let mut per_server: BTreeMap<(Name, IpAddr), bool> = BTreeMap::new();
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
                    let got: Vec<IpAddr> = data.iter().filter_map(Rdata::addr).collect();
                    let ok = got.contains(&walk.target);
                    *per_server
                        .entry((p.server.clone(), p.address))
                        .or_insert(ok) &= ok;
                    addrs.extend(got);
                }
                ReplyClass::Nxdomain | ReplyClass::Nodata => {
                    zone = p.zone.clone();
                    negative = true;
                    per_server.insert((p.server.clone(), p.address), false);
                }
                _ => {}
            }
        }
        let confirmed = addrs.contains(&walk.target);
        if !confirmed {
            let (reason, how) = if !addrs.is_empty() {
                (
                    Detail::AddressMismatch,
                    ForwardFailure::Elsewhere(addrs.iter().copied().collect()),
                )
            } else if negative {
                (Detail::NoAddress, ForwardFailure::NoAddress)
            } else {
                (Detail::ForwardUnresolvable, ForwardFailure::Unresolvable)
            };
            let cause = super::causes::odd_source(walk, pname, findings);
            let fact = Fact::FcrdnsFailed {
                name: pname,
                qtype,
                ip: walk.target,
                zone: &zone,
                how,
                cause: cause.as_ref().map(|c| (c.server.as_ref(), &c.zone)),
            };
            let f = fact
                .finding(Severity::Error, &zone)
                .reason(Reason::Detail(reason))
                .evidence(vec![format!("forward lookup {pname} {qtype}")])
                .caused_by(cause.clone());
            findings.push(f);
        }
        let broken_by = if confirmed {
            per_server
                .iter()
                .filter(|(_, ok)| !**ok)
                .map(|((n, a), _)| format!("{n} ({a})"))
                .collect()
        } else {
            Vec::new()
        };
        out.push(Fcrdns {
            name: pname.clone(),
            qtype,
            addresses: addrs.into_iter().collect(),
            confirmed,
            broken_by,
        });
    }
    out
}

fn limits(walk: &Walk, findings: &mut Vec<Finding>) {
    for l in &walk.limits {
        // A chain or a depth beyond the bound fails resolvers too; the other bounds are
        // ptrtrace's own and only leave part of the picture unchecked.
        let severity = if matches!(l.limit, Limit::CnameChain | Limit::Depth) {
            Severity::Error
        } else {
            Severity::Warning
        };
        let fact = Fact::LimitExceeded { detail: &l.detail };
        findings.push(
            fact.finding(severity, &Name::root())
                .reason(Reason::Limit(l.limit))
                .evidence(vec![l.detail.clone()]),
        );
    }
    for l in &walk.cname_loops {
        let names: Vec<String> = l.chain.iter().map(ToString::to_string).collect();
        let fact = Fact::CnameLoop { chain: &l.chain };
        let zone = l.chain.first().cloned().unwrap_or_else(Name::root);
        findings.push(
            fact.finding(Severity::Error, &zone)
                .evidence(vec![names.join(" → ")]),
        );
    }
}

/// Words receivers take as the sign of a dynamic or residential address.
const GENERIC_WORDS: &[&str] = &[
    "dynamic",
    "dyn",
    "dhcp",
    "pool",
    "dsl",
    "adsl",
    "xdsl",
    "vdsl",
    "cable",
    "dialup",
    "dial",
    "ppp",
    "pppoe",
    "broadband",
    "residential",
    "unassigned",
    "static-ip",
    "staticip",
    "nat",
];

/// Why a PTR name looks generic, if it does: the address written into it, or a word such as
/// `dynamic` (as receivers' "generic rDNS" heuristics do).
#[must_use]
pub fn generic_reason(name: &Name, ip: IpAddr) -> Option<Generic> {
    let text = name.to_string().to_lowercase();
    let text = text.trim_end_matches('.');
    let tokens: Vec<&str> = text.split(['.', '-', '_']).collect();
    match ip {
        IpAddr::V4(v4) => {
            let o: Vec<String> = v4.octets().iter().map(ToString::to_string).collect();
            let rev: Vec<String> = o.iter().rev().cloned().collect();
            let padded: String = v4.octets().iter().map(|b| format!("{b:03}")).collect();
            let hex: String = v4.octets().iter().map(|b| format!("{b:02x}")).collect();
            let has_run = |run: &[String]| {
                tokens
                    .windows(4)
                    .any(|w| w.iter().zip(run).all(|(a, b)| *a == b))
            };
            if has_run(&o)
                || has_run(&rev)
                || text.contains(&padded)
                || tokens.iter().any(|t| t.contains(&hex))
            {
                return Some(Generic::Address(ip));
            }
        }
        IpAddr::V6(v6) => {
            let expanded: String = v6.segments().iter().map(|s| format!("{s:04x}")).collect();
            let dashed = v6.to_string().replace(':', "-");
            let flat: String = text.chars().filter(char::is_ascii_hexdigit).collect();
            if text.contains(&dashed) || flat.contains(&expanded) {
                return Some(Generic::Address(ip));
            }
        }
    }
    let joined = tokens.join("-");
    for w in GENERIC_WORDS {
        let hit = if w.contains('-') {
            joined.contains(w)
        } else {
            tokens.iter().any(|t| t == w)
        };
        if hit {
            return Some(Generic::Word(w));
        }
    }
    None
}

/// `--helo`: receivers compare the HELO/EHLO name with the PTR and often look it up; a
/// mismatch is a warning, as they treat it.
fn helo(walk: &Walk, ptr: &BTreeSet<Name>, zone: &Name, findings: &mut Vec<Finding>) {
    let Some(helo) = &walk.helo else {
        return;
    };
    let helo = helo.to_lowercase();
    if ptr.iter().any(|p| p.to_lowercase() == helo) {
        return;
    }
    let qtype = forward_type(walk.target);
    let resolves_back = walk
        .questions
        .iter()
        .enumerate()
        .filter(|(_, q)| q.name == helo && q.qtype == qtype)
        .any(|(qi, _)| {
            let chain = walk.chain(qi);
            walk.probes
                .iter()
                .filter(|p| chain.contains(&p.question))
                .any(|p| {
                    matches!(&p.class, ReplyClass::Answer { data }
                        if data.iter().any(|d| d.addr() == Some(walk.target)))
                })
        });
    let ptrs: Vec<String> = ptr.iter().map(ToString::to_string).collect();
    let fact = Fact::HeloMismatch {
        helo: &helo,
        ptrs: &ptrs,
        ip: walk.target,
        resolves_back,
    };
    let ptr_text = if ptrs.is_empty() {
        "no PTR".to_string()
    } else {
        ptrs.join(", ")
    };
    findings.push(
        fact.finding(Severity::Warning, zone)
            .evidence(vec![format!("HELO {helo}; PTR {ptr_text}")]),
    );
}

#[cfg(test)]
mod tests {
    use super::generic_reason;
    use hickory_proto::rr::Name;

    fn g(name: &str, ip: &str) -> Option<crate::words::Generic> {
        generic_reason(&Name::from_ascii(name).unwrap(), ip.parse().unwrap())
    }

    #[test]
    fn generic_names() {
        assert!(g("203-0-113-29.dynamic.isp.example.", "203.0.113.29").is_some());
        assert!(g("29.113.0.203.static.isp.example.", "203.0.113.29").is_some());
        assert!(g("host203000113029.isp.example.", "203.0.113.29").is_some());
        assert!(g("cb00711d.isp.example.", "203.0.113.29").is_some());
        assert_eq!(
            g("pool-7.isp.example.", "203.0.113.29"),
            Some(crate::words::Generic::Word("pool"))
        );
        assert!(g("x.static-ip.isp.example.", "203.0.113.29").is_some());
        assert!(g("2001-db8--25.isp.example.", "2001:db8::25").is_some());
        assert!(g("mail.isp.example.", "203.0.113.29").is_none());
        assert!(g("mail.customer.example.", "203.0.113.130").is_none());
        assert!(g("mx1.dynamo.example.", "203.0.113.29").is_none());
    }
}
