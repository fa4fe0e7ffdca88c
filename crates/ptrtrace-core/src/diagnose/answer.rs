//! What a resolver ends up with: the PTR (following RFC 2317 CNAMEs), `ptr_missing`,
//! `multiple_ptr`, `classless_delegation`, `cname_loop`, forward confirmation
//! (`fcrdns_failed`) and the bounds the walk hit (`limit_exceeded`).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use hickory_proto::rr::Name;

use super::{Fcrdns, Finding, Severity, q_text};
use crate::model::Rdata;
use crate::model::finding::{Detail, FindingKind, Limit, Reason};
use crate::model::{ProbeKind, Purpose, ReplyClass, Walk, forward_type};

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
            findings.push(Finding {
                involved: Vec::new(),
                caused_by: None,
                kind: FindingKind::ClasslessDelegation,
                severity: Severity::Info,
                reason: None,
                zone: from.clone(),
                server: None,
                address: None,
                message: match dname_of(walk, of) {
                    Some(owner) => format!(
                        "{} is redirected by the DNAME at {owner} (RFC 6672) to {}; its PTR is looked up there",
                        walk.questions[of].name, walk.questions[qi].name
                    ),
                    None => format!(
                        "{} is a CNAME to {} (RFC 2317 classless delegation); its PTR is looked up there",
                        walk.questions[of].name, walk.questions[qi].name
                    ),
                },
                advice: "Nothing to do; the CNAME target's zone was traced too.".into(),
                evidence: vec![format!("CNAME found in {from} for {}", q_text(walk, of))],
            });
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
    findings.push(Finding {
        involved: Vec::new(),
        caused_by: None,
        kind: FindingKind::MultiplePtr,
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
    findings.push(Finding {
        involved: Vec::new(),
        caused_by: None,
        kind: FindingKind::PtrMissing,
        severity: Severity::Error,
        reason: Some(Reason::Detail(*reason)),
        zone: zone.clone(),
        server: None,
        address: None,
        message: if *reason == Detail::Nxdomain {
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
            reason.as_str().to_uppercase()
        )],
    });
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
            findings.push(Finding {
                involved: Vec::new(),
                caused_by: None,
                kind: FindingKind::GenericPtr,
                severity: Severity::Warning,
                reason: None,
                zone: ptr_zone.clone(),
                server: None,
                address: None,
                message: format!("PTR {name} looks generic: {why}"),
                advice: "Large receivers score names like this as dynamic or residential \
                         addresses and may reject or junk the mail. Use a PTR that names the \
                         mail server (mail.example.com), with a matching A/AAAA record."
                    .into(),
                evidence: vec![format!("{} PTR {name}", walk.reverse_name)],
            });
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
            let (reason, message) = if !addrs.is_empty() {
                let list: Vec<String> = addrs.iter().map(ToString::to_string).collect();
                (
                    Detail::AddressMismatch,
                    format!(
                        "{pname} resolves to {}, not to {}",
                        list.join(", "),
                        walk.target
                    ),
                )
            } else if negative {
                (Detail::NoAddress, format!("{pname} has no {qtype} record"))
            } else {
                (
                    Detail::ForwardUnresolvable,
                    format!("{pname} could not be resolved: no server of its zone answered"),
                )
            };
            let cause = super::causes::odd_source(walk, pname, findings);
            let advice = match &cause {
                Some(c) => format!(
                    "{pname} comes only from the answers of {}, which differ from the other \
                     servers of {} (the finding above): fix that server, and the PTR resolvers \
                     get is the others' name. Do not add an address record for {pname}: it would \
                     confirm a name the zone no longer gives.",
                    c.server
                        .as_ref()
                        .map_or_else(String::new, ToString::to_string),
                    c.zone
                ),
                None => format!(
                    "Receivers such as Gmail require the PTR name to resolve back to the sending \
                     address (550-5.7.25). Add `{pname} {qtype} {}` in {zone}, or change the PTR \
                     to a name that already does.",
                    walk.target
                ),
            };
            findings.push(Finding {
                involved: Vec::new(),
                caused_by: cause,
                kind: FindingKind::FcrdnsFailed,
                severity: Severity::Error,
                reason: Some(Reason::Detail(reason)),
                zone: zone.clone(),
                server: None,
                address: None,
                message: format!("forward confirmation fails for PTR {pname}: {message}"),
                advice,
                evidence: vec![format!("forward lookup {pname} {qtype}")],
            });
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
        findings.push(Finding {
            involved: Vec::new(),
            caused_by: None,
            kind: FindingKind::LimitExceeded,
            // A chain or a depth beyond the bound fails resolvers too; the other bounds are
            // ptrtrace's own and only leave part of the picture unchecked.
            severity: if matches!(l.limit, Limit::CnameChain | Limit::Depth) {
                Severity::Error
            } else {
                Severity::Warning
            },
            reason: Some(Reason::Limit(l.limit)),
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
            involved: Vec::new(),
            caused_by: None,
            kind: FindingKind::CnameLoop,
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
pub fn generic_reason(name: &Name, ip: IpAddr) -> Option<String> {
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
                return Some(format!("it contains the address {ip}"));
            }
        }
        IpAddr::V6(v6) => {
            let expanded: String = v6.segments().iter().map(|s| format!("{s:04x}")).collect();
            let dashed = v6.to_string().replace(':', "-");
            let flat: String = text.chars().filter(char::is_ascii_hexdigit).collect();
            if text.contains(&dashed) || flat.contains(&expanded) {
                return Some(format!("it contains the address {ip}"));
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
            return Some(format!("it contains the word \"{w}\""));
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
    let ptr_text = if ptrs.is_empty() {
        "no PTR".to_string()
    } else {
        ptrs.join(", ")
    };
    findings.push(Finding {
        involved: Vec::new(),
        caused_by: None,
        kind: FindingKind::HeloMismatch,
        severity: Severity::Warning,
        reason: None,
        zone: zone.clone(),
        server: None,
        address: None,
        message: format!(
            "HELO name {helo} is not the PTR name ({ptr_text}){}",
            if resolves_back {
                format!("; it does resolve to {}", walk.target)
            } else {
                format!(" and does not resolve to {}", walk.target)
            }
        ),
        advice: format!(
            "Configure the mail server to greet with its PTR name ({ptr_text}), or change the \
             PTR to {helo}; some receivers score a mismatch as spam."
        ),
        evidence: vec![format!("HELO {helo}; PTR {ptr_text}")],
    });
}

#[cfg(test)]
mod tests {
    use super::generic_reason;
    use hickory_proto::rr::Name;

    fn g(name: &str, ip: &str) -> Option<String> {
        generic_reason(&Name::from_ascii(name).unwrap(), ip.parse().unwrap())
    }

    #[test]
    fn generic_names() {
        assert!(g("203-0-113-29.dynamic.isp.example.", "203.0.113.29").is_some());
        assert!(g("29.113.0.203.static.isp.example.", "203.0.113.29").is_some());
        assert!(g("host203000113029.isp.example.", "203.0.113.29").is_some());
        assert!(g("cb00711d.isp.example.", "203.0.113.29").is_some());
        assert!(
            g("pool-7.isp.example.", "203.0.113.29")
                .unwrap()
                .contains("pool")
        );
        assert!(g("x.static-ip.isp.example.", "203.0.113.29").is_some());
        assert!(g("2001-db8--25.isp.example.", "2001:db8::25").is_some());
        assert!(g("mail.isp.example.", "203.0.113.29").is_none());
        assert!(g("mail.customer.example.", "203.0.113.130").is_none());
        assert!(g("mx1.dynamo.example.", "203.0.113.29").is_none());
    }
}
