//! Is each server address usable for its zone? Reachability (`unreachable`, `flaky`),
//! authority (`lame`, RFC 1912 §2.8), TCP (`tcp_failed`, RFC 7766 §5, RFC 9210) and EDNS
//! (`edns_failed`, RFC 6891 §7, RFC 8906 §3).
//!
//! Judged per question on the standard probes (UDP with EDNS, what resolvers send), so a server
//! that answers SOA but drops PTR is found; TCP and EDNS once per zone and address from the
//! zone check's extra probes.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use hickory_proto::rr::Name;

use super::{Finding, Severity, evidence_line};
use crate::model::finding::{Detail, Reason};
use crate::model::{AttemptStatus, LameReason, Probe, ProbeKind, QId, ReplyClass, Silence, Walk};
use crate::words::{At, Fact};

type AddrKey = (Name, Name, IpAddr);

/// Probes that say nothing about the server: never sent, or no route from this host.
pub(super) fn not_sent(p: &Probe) -> bool {
    p.class.is_untested()
}

/// Every sent probe, by (zone, server, address), whatever its kind or question.
fn by_address(walk: &Walk) -> BTreeMap<AddrKey, Vec<&Probe>> {
    let mut by_addr: BTreeMap<AddrKey, Vec<&Probe>> = BTreeMap::new();
    for p in walk.probes.iter().filter(|p| !not_sent(p)) {
        by_addr
            .entry((p.zone.clone(), p.server.clone(), p.address))
            .or_default()
            .push(p);
    }
    by_addr
}

/// Addresses whose EDNS queries all fail while a plain query works.
fn edns_broken(walk: &Walk, findings: &mut Vec<Finding>) -> BTreeSet<AddrKey> {
    let by_addr = by_address(walk);
    let mut broken = BTreeSet::new();
    for ((zone, server, address), probes) in by_addr {
        let plain_ok = probes
            .iter()
            .any(|p| p.kind == ProbeKind::NoEdns && p.class.is_useful());
        let std: Vec<&&Probe> = probes
            .iter()
            .filter(|p| p.kind == ProbeKind::Standard)
            .collect();
        let edns_ok = std.iter().any(|p| p.class.is_useful());
        if !plain_ok || edns_ok || std.is_empty() {
            continue;
        }
        let drops = std
            .iter()
            .all(|p| matches!(p.class, ReplyClass::Silent { .. }));
        findings.push(
            Fact::EdnsFailed {
                at: At {
                    server: &server,
                    address,
                    zone: &zone,
                },
                drops,
            }
            .finding(Severity::Error, &zone)
            .at(&server, Some(address))
            .evidence(vec![format!(
                "{} EDNS probes gave no usable reply; a probe without EDNS was answered",
                std.len()
            )]),
        );
        broken.insert((zone, server, address));
    }
    broken
}

/// Adds `unreachable`, `flaky`, `lame`, `tcp_failed` and `edns_failed` findings; `totals` is
/// [`loss`] of the walk (each address's standard probes for a zone, all questions together:
/// sent, lost — loss is a property of the address, measured over everything asked of it).
pub(super) fn check(
    walk: &Walk,
    totals: &BTreeMap<AddrKey, (usize, usize)>,
    findings: &mut Vec<Finding>,
) {
    let edns = edns_broken(walk, findings);
    let slipping = slipping(walk);
    let erroring = erroring(walk);
    let groups = by_question(walk);
    for (((zone, server, address), q), sent) in &groups {
        if edns.contains(&(zone.clone(), server.clone(), *address)) {
            continue;
        }
        let silent: Vec<&Probe> = sent
            .iter()
            .copied()
            .filter(|p| matches!(p.class, ReplyClass::Silent { .. }))
            .collect();
        let ev = evidence_line(walk, *q, sent);
        let at = |fact: Fact<'_>, severity| {
            fact.finding(severity, zone)
                .at(server, Some(*address))
                .evidence(vec![ev.clone()])
        };
        let all_truncated = sent
            .iter()
            .all(|p| p.attempts.len() > 1 && p.attempts.first().is_some_and(|a| a.tc));
        if silent.len() == sent.len() && all_truncated {
            // UDP said "truncated, use TCP" and TCP failed: a TCP problem, fatal here.
            let fact = Fact::TcpFailed {
                at: At {
                    server,
                    address: *address,
                    zone,
                },
                tc: true,
                port: walk.port,
            };
            findings.push(at(fact, Severity::Error).evidence(vec![format!(
                "{ev} (UDP replies had TC=1; the TCP retries failed)"
            )]));
            continue;
        }
        let key = (zone.clone(), server.clone(), *address);
        let (zone_sent, zone_lost) = totals.get(&key).copied().unwrap_or_default();
        if !silent.is_empty() && erroring.contains(&key) && silent.len() < sent.len() {
            // Partly silent and lame: judged by its answers below (lame), not as flaky.
        } else if !silent.is_empty() && erroring.contains(&key) {
            continue;
        } else if let Some(&slipped) = slipping.get(&key).filter(|_| !silent.is_empty()) {
            let fact = Fact::RateLimited {
                at: At {
                    server,
                    address: *address,
                    zone,
                },
                answered: sent.len() - silent.len(),
                sent: sent.len(),
                slipped,
            };
            findings.push(at(fact, Severity::Info));
            continue;
        }
        if silent.len() == sent.len() {
            let here = At {
                server,
                address: *address,
                zone,
            };
            findings.push(all_silent(
                walk,
                here,
                (*q, sent),
                (zone_sent, zone_lost),
                &ev,
            ));
            continue;
        }
        if !silent.is_empty() && !erroring.contains(&key) {
            findings.push(flaky(
                zone,
                server,
                *address,
                zone_sent,
                zone_lost,
                ev.clone(),
            ));
        }
        if let Some((reason, lame)) = lameness(sent) {
            let fact = Fact::Lame {
                at: At {
                    server,
                    address: *address,
                    zone,
                },
                reason,
                lame,
                answered: sent.len() - silent.len(),
            };
            findings.push(at(fact, Severity::Error).reason(Reason::Lame(reason)));
        }
    }
    tcp(walk, findings);
    slow(walk, findings);
    no_reachable_server(walk, findings);
    super::untested::check(walk, findings);
}

/// Each address's standard probes per question of its zone.
fn by_question(walk: &Walk) -> BTreeMap<(AddrKey, QId), Vec<&Probe>> {
    let mut groups: BTreeMap<(AddrKey, QId), Vec<&Probe>> = BTreeMap::new();
    // Cut checks are discovery, not survey: the zones they find get their own checks.
    for p in walk.probes.iter().filter(|p| {
        p.kind == ProbeKind::Standard && !not_sent(p) && !walk.questions[p.question].is_cut()
    }) {
        groups
            .entry(((p.zone.clone(), p.server.clone(), p.address), p.question))
            .or_default()
            .push(p);
    }
    groups
}

/// Addresses that "slipped" (RRL's TC=1 empty reply, answered over TCP with any RCODE) for
/// some question of a zone, with how many slips: their lost probes in that zone are rate
/// limiting.
fn slipping(walk: &Walk) -> BTreeMap<AddrKey, usize> {
    // Addresses that "slipped" (RRL's TC=1 empty reply, answered over TCP with any RCODE) for
    // some question of a zone: their lost probes in that zone are rate limiting. RRL counts
    // per client, and error and NXDOMAIN responses of different questions are "identical" to
    // it, so the evidence holds across questions. A probe without EDNS slips as well: BIND
    // counts it with the EDNS ones of the same question, and alternates slips and drops, so
    // the slip may land on it and the drop on a standard probe (seen against BIND when
    // separate runs ask one server within a second: each run's pacer starts afresh).
    let mut slipping: BTreeMap<AddrKey, usize> = BTreeMap::new();
    for p in walk.probes.iter().filter(|p| {
        // What fits in UDP without truncation: the EDNS payload ptrtrace offers, or 512
        // bytes without EDNS (RFC 1035 §4.2.1).
        let fits = match p.kind {
            ProbeKind::Standard => usize::from(walk.edns_payload),
            ProbeKind::NoEdns => 512,
            ProbeKind::Tcp => 0,
        };
        p.attempts.len() > 1
            && p.attempts[0].tc
            && p.attempts[0].answer.is_empty()
            && p.attempts[0].authority.is_empty()
            // A reply that fit in UDP all along: truncated to slip, not for size.
            && p.attempts.last().is_some_and(|a| a.status == AttemptStatus::Reply && a.bytes <= fits)
    }) {
        *slipping
            .entry((p.zone.clone(), p.server.clone(), p.address))
            .or_insert(0) += 1;
    }
    slipping
}

/// Addresses that refuse or fail questions of a zone (lame).
fn erroring(walk: &Walk) -> BTreeSet<AddrKey> {
    // Addresses that refuse or fail questions of a zone (lame). RRL counts every error
    // response to a client as the same one (BIND's errors-per-second), so their lost probes
    // are what rate limiting does to a lame server: the `lame` finding says what to fix, and
    // no `flaky` or `unreachable` is added for the same address.
    walk.probes
        .iter()
        .filter(|p| {
            p.kind == ProbeKind::Standard
                && matches!(
                    p.class,
                    ReplyClass::Lame {
                        reason: LameReason::Refused | LameReason::Servfail
                    }
                )
        })
        .map(|p| (p.zone.clone(), p.server.clone(), p.address))
        .collect()
}

/// An address silent to every probe of question `q`: `unreachable`, or `flaky` when it
/// answers other questions of the zone. Judged per question, but loss is not silence
/// (docs/findings.md "Loss is not silence"): an address that answers other questions of the
/// zone is unreachable for this one only when it lost nothing else there and the question
/// was asked more than once; otherwise its silence here is its loss, and it is flaky.
fn all_silent(
    walk: &Walk,
    at: At<'_>,
    (q, sent): (QId, &[&Probe]),
    (zone_sent, zone_lost): (usize, usize),
    ev: &str,
) -> Finding {
    let discarded: u32 = sent
        .iter()
        .flat_map(|p| p.attempts.iter())
        .map(|a| a.mismatched)
        .sum();
    let icmp = sent.iter().all(|p| {
        matches!(
            p.class,
            ReplyClass::Silent {
                reason: Silence::Unreachable
            }
        )
    });
    let reason = if icmp {
        Detail::PortUnreachable
    } else {
        Detail::Timeout
    };
    let answers_others = zone_lost < zone_sent;
    if answers_others && (zone_lost > sent.len() || sent.len() < 2) {
        return flaky(
            at.zone,
            at.server,
            at.address,
            zone_sent,
            zone_lost,
            ev.to_string(),
        );
    }
    let fact = Fact::Unreachable {
        at,
        only: answers_others.then_some(walk.questions[q].qtype),
        icmp,
        discarded,
        port: walk.port,
    };
    fact.finding(Severity::Error, at.zone)
        .at(at.server, Some(at.address))
        .reason(Reason::Detail(reason))
        .evidence(vec![ev.to_string()])
}

/// The most frequent lame reason of a question's probes, and how many were lame. Keyed by
/// the identifier first: ties go to the same reason as when these were strings.
fn lameness(sent: &[&Probe]) -> Option<(LameReason, usize)> {
    let mut reasons: BTreeMap<(&'static str, LameReason), usize> = BTreeMap::new();
    for p in sent {
        if let ReplyClass::Lame { reason } = p.class {
            *reasons.entry((reason.as_str(), reason)).or_insert(0) += 1;
        }
    }
    let ((_, reason), _) = reasons.iter().max_by_key(|(_, n)| **n)?;
    Some((*reason, reasons.values().sum()))
}

/// Each (zone, server, address)'s standard probes sent and lost, over every question: the
/// figures of `stats` (its `sent` and `lost`), shared by the findings, the levels and the odds.
pub(super) fn loss(walk: &Walk) -> BTreeMap<AddrKey, (usize, usize)> {
    let mut totals: BTreeMap<AddrKey, (usize, usize)> = BTreeMap::new();
    for p in walk
        .probes
        .iter()
        .filter(|p| p.kind == ProbeKind::Standard && !not_sent(p))
    {
        let t = totals
            .entry((p.zone.clone(), p.server.clone(), p.address))
            .or_default();
        t.0 += 1;
        if matches!(p.class, ReplyClass::Silent { .. }) {
            t.1 += 1;
        }
    }
    totals
}

/// `flaky`: an address that lost some of its probes for a zone and answered others, with its
/// loss measured over every question asked of it there (one message for all its questions).
fn flaky(
    zone: &Name,
    server: &Name,
    address: IpAddr,
    sent: usize,
    lost: usize,
    evidence: String,
) -> Finding {
    Fact::Flaky {
        at: At {
            server,
            address,
            zone,
        },
        sent,
        lost,
    }
    .finding(Severity::Error, zone)
    .at(server, Some(address))
    .evidence(vec![evidence])
}

/// Zones where no server gave a usable reply to a question asked of them: every resolver
/// fails there (RFC 9520 §2).
fn no_reachable_server(walk: &Walk, findings: &mut Vec<Finding>) {
    for (qi, question) in walk.questions.iter().enumerate() {
        for zone in &question.zones {
            let probes: Vec<&Probe> = walk
                .probes
                .iter()
                .filter(|p| {
                    p.question == qi
                        && p.zone == *zone
                        && p.kind == ProbeKind::Standard
                        && !not_sent(p)
                })
                .collect();
            if probes.is_empty() || probes.iter().any(|p| p.class.is_useful()) {
                continue;
            }
            let fact = Fact::NoReachableServer {
                zone,
                question: super::q_text(walk, qi),
            };
            findings.push(fact.finding(Severity::Error, zone).evidence(vec![format!(
                "{} probe{}, none answered usefully",
                probes.len(),
                if probes.len() == 1 { "" } else { "s" }
            )]));
        }
    }
}

fn tcp(walk: &Walk, findings: &mut Vec<Finding>) {
    let by_addr = by_address(walk);
    for ((zone, server, address), probes) in by_addr {
        let tcp: Vec<&&Probe> = probes.iter().filter(|p| p.kind == ProbeKind::Tcp).collect();
        let udp_ok = probes
            .iter()
            .any(|p| p.kind == ProbeKind::Standard && p.class.is_useful());
        if tcp.is_empty() || !udp_ok || tcp.iter().any(|p| p.class.is_useful()) {
            continue;
        }
        let truncated = probes
            .iter()
            .any(|p| p.attempts.first().is_some_and(|a| a.tc));
        let lame_tcp = tcp.iter().any(
            |p| matches!(p.class, ReplyClass::Lame { reason } if reason != LameReason::Malformed),
        );
        if lame_tcp {
            // A lame reply over TCP is lameness, which the UDP probes already judge.
            continue;
        }
        let what = tcp
            .iter()
            .filter_map(|p| p.attempts.last())
            .map(|a| match &a.detail {
                Some(d) => format!("{}: {d}", a.status.as_str()),
                None => a.status.as_str().to_string(),
            })
            .next()
            .unwrap_or_default();
        let fact = Fact::TcpFailed {
            at: At {
                server: &server,
                address,
                zone: &zone,
            },
            tc: truncated,
            port: walk.port,
        };
        let severity = if truncated {
            Severity::Error
        } else {
            Severity::Warning
        };
        findings.push(
            fact.finding(severity, &zone)
                .at(&server, Some(address))
                .evidence(vec![format!("TCP probe: {what}")]),
        );
    }
}

/// Median reply time above which resolvers give up on a server before it answers: BIND,
/// Unbound and Knot Resolver retry elsewhere after roughly 0.4 to 1.2 s.
const SLOW_MS: f64 = 1000.0;

/// `slow` (warning): an address whose median reply time is above [`SLOW_MS`].
fn slow(walk: &Walk, findings: &mut Vec<Finding>) {
    let mut by_addr: BTreeMap<AddrKey, Vec<f64>> = BTreeMap::new();
    for p in walk
        .probes
        .iter()
        .filter(|p| p.kind == ProbeKind::Standard && p.class.is_useful())
    {
        by_addr
            .entry((p.zone.clone(), p.server.clone(), p.address))
            .or_default()
            .push(p.rtt_ms());
    }
    for ((zone, server, address), mut rtts) in by_addr {
        rtts.sort_by(f64::total_cmp);
        let median = rtts[rtts.len() / 2];
        if median <= SLOW_MS {
            continue;
        }
        let fact = Fact::Slow {
            at: At {
                server: &server,
                address,
                zone: &zone,
            },
            median_ms: median,
        };
        findings.push(
            fact.finding(Severity::Warning, &zone)
                .at(&server, Some(address))
                .evidence(vec![format!(
                    "median {median:.0} ms over {} replies (max {:.0} ms)",
                    rtts.len(),
                    rtts[rtts.len() - 1]
                )]),
        );
    }
}
