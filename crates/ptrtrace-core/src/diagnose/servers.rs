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
use crate::model::finding::{Detail, FindingKind, Reason};
use crate::model::{AttemptStatus, LameReason, Probe, ProbeKind, QId, ReplyClass, Silence, Walk};

type AddrKey = (Name, Name, IpAddr);

/// Probes that say nothing about the server: never sent, or no route from this host.
pub(super) fn not_sent(p: &Probe) -> bool {
    p.class.is_untested()
}

fn lame_text(reason: LameReason) -> &'static str {
    match reason {
        LameReason::Refused => "it answered REFUSED",
        LameReason::Servfail => "it answered SERVFAIL",
        LameReason::NotAuthoritative => "its replies lack the AA bit (it is not authoritative)",
        LameReason::UpwardReferral => "it referred upwards instead of answering",
        LameReason::ReferralElsewhere => "it referred to an unrelated zone",
        LameReason::OtherRcode => "it answered with an unexpected RCODE",
        LameReason::Malformed => "its replies could not be decoded",
    }
}

fn lame_advice(reason: LameReason, server: &Name, zone: &Name) -> String {
    let fix = match reason {
        LameReason::Refused => format!(
            "{server} is not configured to serve {zone}: add the zone to it (as a secondary)"
        ),
        LameReason::Servfail => format!(
            "{server} has {zone} configured but cannot serve it: check its logs for a failed load or an expired secondary"
        ),
        LameReason::NotAuthoritative => {
            format!("{server} answers from a cache, not as {zone}'s server: load the zone on it")
        }
        LameReason::UpwardReferral => format!("{server} does not have {zone}: load the zone on it"),
        LameReason::ReferralElsewhere => {
            format!("{server} serves other zones but not {zone}: load the zone on it")
        }
        LameReason::OtherRcode | LameReason::Malformed => {
            format!("{server} sends broken replies: upgrade or fix it")
        }
    };
    format!(
        "Resolvers that pick this server fail or retry (lame delegation, RFC 1912 §2.8). Either \
         {fix}, or remove {server} from the NS records of {zone} and from the delegation in its parent."
    )
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
        let how = if std
            .iter()
            .all(|p| matches!(p.class, ReplyClass::Silent { .. }))
        {
            "drops every query that carries EDNS"
        } else {
            "answers queries that carry EDNS with an error"
        };
        findings.push(Finding {
            involved: Vec::new(),
            caused_by: None,
            kind: FindingKind::EdnsFailed,
            severity: Severity::Error,
            reason: None,
            zone: zone.clone(),
            server: Some(server.clone()),
            address: Some(address),
            message: format!(
                "{server} ({address}) {how} but answers plain DNS queries, for {zone}"
            ),
            advice: format!(
                "Resolvers send EDNS and, since DNS Flag Day 2019, no longer fall back to plain \
                 DNS: lookups through {address} fail. Upgrade the server or fix the firewall or \
                 load balancer in front of it that mishandles EDNS (OPT records, large UDP)."
            ),
            evidence: vec![format!(
                "{} EDNS probes gave no usable reply; a probe without EDNS was answered",
                std.len()
            )],
        });
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
    // Addresses that refuse or fail questions of a zone (lame). RRL counts every error
    // response to a client as the same one (BIND's errors-per-second), so their lost probes
    // are what rate limiting does to a lame server: the `lame` finding says what to fix, and
    // no `flaky` or `unreachable` is added for the same address.
    let erroring: std::collections::BTreeSet<AddrKey> = walk
        .probes
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
        .collect();
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
        let base = |kind, reason, message: String, advice: String| Finding {
            involved: Vec::new(),
            caused_by: None,
            kind,
            severity: Severity::Error,
            reason,
            zone: zone.clone(),
            server: Some(server.clone()),
            address: Some(*address),
            message,
            advice,
            evidence: vec![ev.clone()],
        };
        let all_truncated = sent
            .iter()
            .all(|p| p.attempts.len() > 1 && p.attempts.first().is_some_and(|a| a.tc));
        if silent.len() == sent.len() && all_truncated {
            // UDP said "truncated, use TCP" and TCP failed: a TCP problem, fatal here.
            let mut f = base(
                FindingKind::TcpFailed,
                None,
                format!(
                    "{server} ({address}) truncates replies over UDP but does not answer over TCP, for {zone}: the full answer cannot be had"
                ),
                tcp_advice(*address, walk.port),
            );
            f.evidence = vec![format!(
                "{ev} (UDP replies had TC=1; the TCP retries failed)"
            )];
            findings.push(f);
            continue;
        }
        let key = (zone.clone(), server.clone(), *address);
        let (zone_sent, zone_lost) = totals.get(&key).copied().unwrap_or_default();
        if !silent.is_empty() && erroring.contains(&key) && silent.len() < sent.len() {
            // Partly silent and lame: judged by its answers below (lame), not as flaky.
        } else if !silent.is_empty() && erroring.contains(&key) {
            continue;
        } else if let Some(&slipped) = slipping.get(&key).filter(|_| !silent.is_empty()) {
            findings.push(Finding {
                severity: Severity::Info,
                ..base(
                    FindingKind::RateLimited,
                    None,
                    format!(
                        "{server} ({address}) answered {} of {} probes for {zone}, and {slipped} of its UDP replies in {zone} were empty TC=1 \"slips\" that TCP answered: response rate limiting (RRL), not packet loss",
                        sent.len() - silent.len(),
                        sent.len()
                    ),
                    "Nothing is broken: rate limiting drops repeated identical responses (for \
                     error and NXDOMAIN answers, every question of a zone counts as the same), \
                     and resolvers retry over TCP when it slips. ptrtrace spaces identical \
                     questions to stay under common RRL settings; this server's limit is lower \
                     or counts more broadly. Fewer --probes keep the figures clean."
                        .to_string(),
                )
            });
            continue;
        }
        if silent.len() == sent.len() {
            let discarded: u32 = sent
                .iter()
                .flat_map(|p| p.attempts.iter())
                .map(|a| a.mismatched)
                .sum();
            let icmp = silent.iter().all(|p| {
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
            // Judged per question, but loss is not silence (docs/findings.md "Loss is not
            // silence"): an address that answers other questions of the zone is unreachable
            // for this one only when it lost nothing else there and the question was asked
            // more than once; otherwise its silence here is its loss, and it is flaky.
            let answers_others = zone_lost < zone_sent;
            if answers_others && (zone_lost > silent.len() || sent.len() < 2) {
                findings.push(flaky(
                    zone,
                    server,
                    *address,
                    zone_sent,
                    zone_lost,
                    ev.clone(),
                ));
                continue;
            }
            let what = if answers_others {
                format!(
                    "{} questions for {zone} (it answered every other question there)",
                    walk.questions[*q].qtype
                )
            } else {
                zone.to_string()
            };
            findings.push(base(
                FindingKind::Unreachable,
                Some(Reason::Detail(reason)),
                format!(
                    "{server} ({address}) never answered for {what}: {}",
                    if icmp {
                        "nothing listens there (ICMP port unreachable or connection refused)".to_string()
                    } else if discarded > 0 {
                        format!(
                            "every probe timed out; {discarded} replies with a wrong ID or question were discarded (a broken server or middlebox, or spoofing)"
                        )
                    } else {
                        "every probe timed out".to_string()
                    }
                ),
                format!(
                    "Resolvers that pick {address} wait for a timeout and retry elsewhere, or fail. \
                     Start the DNS server on {address}, open UDP and TCP port {} to it, or have \
                     {server} removed from the NS set of {zone} and from the delegation above it.",
                    walk.port
                ),
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
        // Keyed by the identifier first: ties go to the same reason as when these were strings.
        let mut reasons: BTreeMap<(&'static str, LameReason), usize> = BTreeMap::new();
        for p in sent {
            if let ReplyClass::Lame { reason } = p.class {
                *reasons.entry((reason.as_str(), reason)).or_insert(0) += 1;
            }
        }
        if let Some(((_, reason), _)) = reasons.iter().max_by_key(|(_, n)| **n) {
            let reason = *reason;
            let answered = sent.len() - silent.len();
            let lame_n: usize = reasons.values().sum();
            findings.push(base(
                FindingKind::Lame,
                Some(Reason::Lame(reason)),
                format!(
                    "{server} ({address}) is lame for {zone}: {} ({lame_n} of {answered} answered probes)",
                    lame_text(reason)
                ),
                lame_advice(reason, server, zone),
            ));
        }
    }
    tcp(walk, findings);
    slow(walk, findings);
    no_reachable_server(walk, findings);
    super::untested::check(walk, findings);
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
    let share = lost as f64 / sent.max(1) as f64 * 100.0;
    Finding {
        involved: Vec::new(),
        caused_by: None,
        kind: FindingKind::Flaky,
        severity: Severity::Error,
        reason: None,
        zone: zone.clone(),
        server: Some(server.clone()),
        address: Some(address),
        message: format!(
            "{server} ({address}) answered only {} of {sent} probes for {zone} ({share:.0}% lost)",
            sent - lost
        ),
        advice: format!(
            "Some lookups that pick {address} fail or wait for a retry. Look for packet loss, an \
             overloaded server, rate limiting (RRL) or a firewall dropping DNS on the way to \
             {address}."
        ),
        evidence: vec![evidence],
    }
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
            findings.push(Finding {
                involved: Vec::new(),
                caused_by: None,
                kind: FindingKind::NoReachableServer,
                severity: Severity::Error,
                reason: None,
                zone: zone.clone(),
                server: None,
                address: None,
                message: format!(
                    "no server of {zone} gave a usable answer to {}: resolution fails here",
                    super::q_text(walk, qi)
                ),
                advice: if zone.is_root() {
                    "Every lookup fails at the root: no root server answered. Check this host's \
                     network (UDP and TCP to the root servers' addresses and port) and the root \
                     hints."
                        .to_string()
                } else {
                    format!(
                        "Every resolver fails at {zone} — fix the servers named in the other \
                         findings, or the delegation of {zone} in its parent zone."
                    )
                },
                evidence: vec![format!(
                    "{} probe{}, none answered usefully",
                    probes.len(),
                    if probes.len() == 1 { "" } else { "s" }
                )],
            });
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
        findings.push(Finding {
            involved: Vec::new(),
            caused_by: None,
            kind: FindingKind::TcpFailed,
            severity: if truncated { Severity::Error } else { Severity::Warning },
            reason: None,
            zone: zone.clone(),
            server: Some(server.clone()),
            address: Some(address),
            message: if truncated {
                format!(
                    "{server} ({address}) truncates replies over UDP but does not answer over TCP, for {zone}: the full answer cannot be had"
                )
            } else {
                format!("{server} ({address}) answers over UDP but not over TCP, for {zone}")
            },
            advice: tcp_advice(address, walk.port),
            evidence: vec![format!("TCP probe: {what}")],
        });
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
        findings.push(Finding {
            involved: Vec::new(),
            caused_by: None,
            kind: FindingKind::Slow,
            severity: Severity::Warning,
            reason: None,
            zone: zone.clone(),
            server: Some(server.clone()),
            address: Some(address),
            message: format!(
                "{server} ({address}) takes {median:.0} ms to answer for {zone}: resolvers usually give up on a server after about a second"
            ),
            advice: format!(
                "Resolvers treat it as down and retry elsewhere, or fail when every server is this \
                 slow. Look for an overloaded server or a congested path to {address}."
            ),
            evidence: vec![format!(
                "median {median:.0} ms over {} replies (max {:.0} ms)",
                rtts.len(),
                rtts[rtts.len() - 1]
            )],
        });
    }
}

fn tcp_advice(address: IpAddr, port: u16) -> String {
    format!(
        "Every authoritative server must answer over TCP (RFC 7766, RFC 9210); resolvers use it \
         for large or truncated answers and after UDP failures. Allow TCP port {port} to {address} \
         and enable TCP in the server."
    )
}
