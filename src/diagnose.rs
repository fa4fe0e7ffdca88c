//! From observations to findings and a verdict (DESIGN.md "Finding kinds").
//!
//! Everything here is computed from the probes stored in the [`Walk`]: each finding names the
//! zone, server and address it concerns and carries the evidence it rests on. Server
//! misbehaviour is judged per question (a server that answers SOA but not PTR is judged on
//! PTR), and per address (one bad address of a server is not blamed on its siblings).
//!
//! Severity rule (docs/findings.md): anything that can make some resolver fail to get the
//! correct PTR some of the time is an error.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::net::IpAddr;

use hickory_proto::rr::{Name, RecordType};
use serde::Serialize;

use crate::trace::{Probe, Purpose, QId, ReplyClass, Silence, Walk};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Context, not a fault.
    Info,
    /// A fault that does not make lookups fail.
    Warning,
    /// A fault that makes some lookups fail or return wrong data.
    Error,
}

/// The verdict on one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Every server on every path agrees; PTR and FCrDNS hold.
    Ok,
    /// The PTR and FCrDNS hold on some paths, but servers fail or disagree.
    Degraded,
    /// No path gives a correct, forward-confirmed PTR.
    Broken,
}

impl Verdict {
    /// `ok`, `degraded`, `broken`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Degraded => "degraded",
            Self::Broken => "broken",
        }
    }
}

/// One diagnosed problem (or, at info severity, a fact worth knowing).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Stable snake_case identifier (docs/findings.md).
    pub kind: &'static str,
    /// error, warning or info.
    pub severity: Severity,
    /// Reason within the kind, where the kind has reasons.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// The zone concerned.
    pub zone: Name,
    /// The server's NS name, when one server is concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<Name>,
    /// The server address, when one address is concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<IpAddr>,
    /// What is wrong, in plain words.
    pub message: String,
    /// What to do about it.
    pub advice: String,
    /// The observations it rests on, one line each.
    pub evidence: Vec<String>,
}

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
}

/// Key of one address of one server of one zone.
type AddrKey = (Name, Name, IpAddr);
/// Probes of one question in one zone, by server address.
type ByServer<'a> = BTreeMap<(Name, IpAddr), Vec<&'a Probe>>;

fn q_text(walk: &Walk, q: QId) -> String {
    let q = &walk.questions[q];
    format!("{} {}", q.name, q.qtype)
}

fn count_label(probes: &[&Probe]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for p in probes {
        *m.entry(describe(&p.class, p.rcode())).or_insert(0) += 1;
    }
    m
}

fn describe(class: &ReplyClass, rcode: Option<&str>) -> String {
    match class {
        ReplyClass::Answer { data } => {
            format!("answered {}", crate::trace::classify::data_text(data))
        }
        ReplyClass::Nxdomain => "answered NXDOMAIN".into(),
        ReplyClass::Nodata => "answered NODATA".into(),
        ReplyClass::Referral(r) => format!("referred to {}", r.child),
        ReplyClass::Lame { reason } => match reason {
            crate::trace::LameReason::Refused
            | crate::trace::LameReason::Servfail
            | crate::trace::LameReason::OtherRcode => {
                format!("answered {}", rcode.unwrap_or("?"))
            }
            r => format!("gave a lame reply ({})", r.as_str()),
        },
        ReplyClass::Silent { reason } => match reason {
            Silence::Timeout => "did not answer (timeout)".into(),
            Silence::Unreachable => "was unreachable (port unreachable / refused)".into(),
            Silence::NotSent => "was not queried".into(),
        },
    }
}

fn evidence_line(walk: &Walk, q: QId, probes: &[&Probe]) -> String {
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

/// Diagnoses one walk.
#[must_use]
#[allow(clippy::too_many_lines)]
pub fn diagnose(walk: &Walk) -> Diagnosis {
    let mut findings: Vec<Finding> = Vec::new();

    // Per (zone, server, address, question): reachability and lameness.
    let mut groups: BTreeMap<(AddrKey, QId), Vec<&Probe>> = BTreeMap::new();
    for p in &walk.probes {
        groups
            .entry(((p.zone.clone(), p.server.clone(), p.address), p.question))
            .or_default()
            .push(p);
    }
    for (((zone, server, address), q), probes) in &groups {
        let sent: Vec<&Probe> = probes
            .iter()
            .copied()
            .filter(|p| {
                !matches!(
                    p.class,
                    ReplyClass::Silent {
                        reason: Silence::NotSent
                    }
                )
            })
            .collect();
        if sent.is_empty() {
            continue;
        }
        let silent: Vec<&Probe> = sent
            .iter()
            .copied()
            .filter(|p| matches!(p.class, ReplyClass::Silent { .. }))
            .collect();
        let ev = evidence_line(walk, *q, &sent);
        let base = |kind, severity, reason, message: String, advice: String| Finding {
            kind,
            severity,
            reason,
            zone: zone.clone(),
            server: Some(server.clone()),
            address: Some(*address),
            message,
            advice,
            evidence: vec![ev.clone()],
        };
        if silent.len() == sent.len() {
            let icmp = silent.iter().all(|p| {
                matches!(
                    p.class,
                    ReplyClass::Silent {
                        reason: Silence::Unreachable
                    }
                )
            });
            let reason = if icmp { "port_unreachable" } else { "timeout" };
            findings.push(base(
                "unreachable",
                Severity::Error,
                Some(reason),
                format!(
                    "{server} ({address}) never answered for {zone}: {}",
                    if icmp {
                        "nothing listens there (ICMP port unreachable or connection refused)"
                    } else {
                        "every probe timed out"
                    }
                ),
                format!(
                    "Resolvers that pick {address} wait for a timeout and retry elsewhere, or fail. \
                     Start the DNS server on {address} or have {server} removed from the NS set of {zone} \
                     (and from the delegation in its parent zone)."
                ),
            ));
            continue;
        }
        if !silent.is_empty() {
            findings.push(base(
                "flaky",
                Severity::Error,
                None,
                format!(
                    "{server} ({address}) answered only {} of {} probes for {zone}",
                    sent.len() - silent.len(),
                    sent.len()
                ),
                format!(
                    "Some lookups that pick {address} fail. Look for packet loss, an overloaded \
                     server, rate limiting (RRL) or a firewall dropping DNS on the way to {address}."
                ),
            ));
        }
        let mut reasons: BTreeMap<&'static str, usize> = BTreeMap::new();
        for p in &sent {
            if let ReplyClass::Lame { reason } = p.class {
                *reasons.entry(reason.as_str()).or_insert(0) += 1;
            }
        }
        if let Some((reason, _)) = reasons.iter().max_by_key(|(_, n)| **n) {
            let answered = sent.len() - silent.len();
            let lame_n: usize = reasons.values().sum();
            findings.push(base(
                "lame",
                Severity::Error,
                Some(reason),
                format!(
                    "{server} ({address}) is lame for {zone}: {} to {lame_n} of {answered} answered probes",
                    lame_text(reason)
                ),
                lame_advice(reason, server, zone),
            ));
        }
    }

    // Disagreement between the servers of one zone on the same question.
    let mut by_qzone: BTreeMap<(QId, Name), ByServer> = BTreeMap::new();
    for p in &walk.probes {
        by_qzone
            .entry((p.question, p.zone.clone()))
            .or_default()
            .entry((p.server.clone(), p.address))
            .or_default()
            .push(p);
    }
    for ((q, zone), servers) in &by_qzone {
        // Each address's usual terminal answer (or, for parent servers, "referral").
        let mut sig_of: BTreeMap<String, Vec<(Name, IpAddr)>> = BTreeMap::new();
        let mut any_terminal = false;
        for ((server, addr), probes) in servers {
            let mut sigs: BTreeMap<String, usize> = BTreeMap::new();
            for p in probes {
                let s = match &p.class {
                    c if c.is_terminal() => {
                        any_terminal = true;
                        describe(c, p.rcode())
                    }
                    ReplyClass::Referral(_) => "referral".to_string(),
                    _ => continue,
                };
                *sigs.entry(s).or_insert(0) += 1;
            }
            if let Some((s, _)) = sigs.iter().max_by_key(|(_, n)| **n) {
                sig_of
                    .entry(s.clone())
                    .or_default()
                    .push((server.clone(), *addr));
            }
        }
        // A referral next to a positive answer is a server that also serves the child:
        // harmless. Compare terminal answers with each other, and negative ones with referrals.
        let positive = sig_of.keys().any(|s| {
            s.starts_with("answered ") && !s.contains("NXDOMAIN") && !s.contains("NODATA")
        });
        if positive {
            sig_of.remove("referral");
        }
        if !any_terminal || sig_of.len() < 2 {
            continue;
        }
        let mut groups: Vec<(&String, &Vec<(Name, IpAddr)>)> = sig_of.iter().collect();
        groups.sort_by_key(|(_, v)| v.len());
        let evidence: Vec<String> = groups
            .iter()
            .map(|(s, v)| {
                let who: Vec<String> = v.iter().map(|(n, a)| format!("{n} ({a})")).collect();
                format!("{} {s}", who.join(", "))
            })
            .collect();
        let minority = groups[0].1;
        let unique_minority = groups[0].1.len() < groups[1].1.len() && minority.len() == 1;
        let (server, address) = if unique_minority {
            (Some(minority[0].0.clone()), Some(minority[0].1))
        } else {
            (None, None)
        };
        findings.push(Finding {
            kind: "inconsistent_answer",
            severity: Severity::Error,
            reason: None,
            zone: zone.clone(),
            server,
            address,
            message: format!(
                "the servers of {zone} give {} different answers to {}",
                groups.len(),
                q_text(walk, *q)
            ),
            advice: format!(
                "Resolvers get one answer or the other depending on the server they pick. \
                 Check that every server of {zone} serves the same zone version (compare SOA \
                 serials; fix zone transfers or the provisioning of the odd server out)."
            ),
            evidence,
        });
    }

    // Zones where no server gave a usable reply to a question asked of them.
    for (qi, question) in walk.questions.iter().enumerate() {
        for zone in &question.zones {
            let probes: Vec<&Probe> = walk
                .probes
                .iter()
                .filter(|p| p.question == qi && p.zone == *zone)
                .collect();
            if probes.is_empty() || probes.iter().any(|p| p.class.is_useful()) {
                continue;
            }
            findings.push(Finding {
                kind: "no_reachable_server",
                severity: Severity::Error,
                reason: None,
                zone: zone.clone(),
                server: None,
                address: None,
                message: format!(
                    "no server of {zone} gave a usable answer to {}: resolution fails here",
                    q_text(walk, qi)
                ),
                advice: format!(
                    "Every resolver fails at {zone}. Fix the servers listed above, or the \
                     delegation of {zone} in its parent zone."
                ),
                evidence: vec![format!("{} probes, none answered usefully", probes.len())],
            });
        }
    }

    // The target's chain: CNAMEs, PTR, NXDOMAIN/NODATA.
    let chain: Vec<QId> = walk
        .questions
        .iter()
        .enumerate()
        .filter(|(_, q)| q.origin == 0)
        .map(|(i, _)| i)
        .collect();
    let mut ptr: BTreeSet<Name> = BTreeSet::new();
    let mut negatives: BTreeMap<(&'static str, Name), usize> = BTreeMap::new();
    for &qi in &chain {
        for p in walk.probes.iter().filter(|p| p.question == qi) {
            match &p.class {
                ReplyClass::Answer { data } => {
                    for d in data {
                        if let Some(n) = d.strip_prefix("ptr ")
                            && let Ok(name) = Name::from_ascii(n)
                        {
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
                evidence: vec![format!(
                    "CNAME found in {from} for {}",
                    q_text(walk, of)
                )],
            });
        }
    }
    if ptr.is_empty()
        && let Some(((reason, zone), n)) = negatives.iter().max_by_key(|(_, n)| **n)
    {
        let name = chain
            .last()
            .map(|&q| walk.questions[q].name.clone())
            .unwrap_or_else(|| walk.reverse_name.clone());
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
                "Add `{} PTR your-mail-host.example.` in {zone} (ask whoever runs {zone}, \
                 usually the owner of the address block), and an A/AAAA record for that name \
                 pointing back to {}.",
                name, walk.target
            ),
            evidence: vec![format!(
                "{n} authoritative {} replies from servers of {zone}",
                reason.to_uppercase()
            )],
        });
    }

    // Forward confirmation.
    let mut fcrdns = Vec::new();
    for (qi, q) in walk.questions.iter().enumerate() {
        let Purpose::Forward { ptr: pname } = &q.purpose else {
            continue;
        };
        let fchain: Vec<QId> = walk
            .questions
            .iter()
            .enumerate()
            .filter(|(_, x)| x.origin == qi)
            .map(|(i, _)| i)
            .collect();
        let mut addrs: BTreeSet<IpAddr> = BTreeSet::new();
        let mut negative = false;
        let mut zone = q.zones.last().cloned().unwrap_or_else(Name::root);
        for p in walk.probes.iter().filter(|p| fchain.contains(&p.question)) {
            match &p.class {
                ReplyClass::Answer { data } => {
                    zone = p.zone.clone();
                    for d in data {
                        let ip = d
                            .strip_prefix("a ")
                            .or_else(|| d.strip_prefix("aaaa "))
                            .and_then(|s| s.parse::<IpAddr>().ok());
                        if let Some(ip) = ip {
                            addrs.insert(ip);
                        }
                    }
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
                ("no_address", format!("{pname} has no {} record", q.qtype))
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
                     address (550-5.7.25). Add `{pname} {} {}` in {zone}, or change the PTR to a \
                     name that already does.",
                    q.qtype, walk.target
                ),
                evidence: vec![format!("forward lookup {} {}", pname, q.qtype)],
            });
        }
        fcrdns.push(Fcrdns {
            name: pname.clone(),
            qtype: q.qtype,
            addresses: addrs.into_iter().collect(),
            confirmed,
        });
    }

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

    merge(&mut findings);
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.kind.cmp(b.kind))
            .then_with(|| a.zone.cmp(&b.zone))
            .then_with(|| a.server.cmp(&b.server))
            .then_with(|| a.address.cmp(&b.address))
    });

    let root_reachable = walk
        .probes
        .iter()
        .any(|p| p.zone.is_root() && p.class.is_useful());
    let confirmed = !walk
        .questions
        .iter()
        .any(|q| matches!(q.purpose, Purpose::Forward { .. }))
        || fcrdns.iter().any(|f| f.confirmed);
    let verdict = if ptr.is_empty() || !confirmed {
        Verdict::Broken
    } else if findings.iter().any(|f| f.severity >= Severity::Warning) {
        Verdict::Degraded
    } else {
        Verdict::Ok
    };
    Diagnosis {
        verdict,
        ptr: ptr.into_iter().collect(),
        fcrdns,
        findings,
        root_reachable,
    }
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
        } else {
            out.push(f);
        }
    }
    *findings = out;
}

fn lame_text(reason: &str) -> &'static str {
    match reason {
        "refused" => "it answered REFUSED",
        "servfail" => "it answered SERVFAIL",
        "not_authoritative" => "its replies lack the AA bit (it is not authoritative)",
        "upward_referral" => "it referred upwards instead of answering",
        "referral_elsewhere" => "it referred to an unrelated zone",
        "other_rcode" => "it answered with an unexpected RCODE",
        _ => "its replies could not be decoded",
    }
}

fn lame_advice(reason: &str, server: &Name, zone: &Name) -> String {
    let fix = match reason {
        "refused" => format!(
            "{server} is not configured to serve {zone}: add the zone to it (as a secondary)"
        ),
        "servfail" => format!(
            "{server} has {zone} configured but cannot serve it: check its logs for a failed load or an expired secondary"
        ),
        "not_authoritative" => {
            format!("{server} answers from a cache, not as {zone}'s server: load the zone on it")
        }
        "upward_referral" => format!("{server} does not have {zone}: load the zone on it"),
        "referral_elsewhere" => {
            format!("{server} serves other zones but not {zone}: load the zone on it")
        }
        _ => format!("{server} sends broken replies: upgrade or fix it"),
    };
    format!(
        "Resolvers that pick this server fail or retry (lame delegation, RFC 1912 §2.8). Either \
         {fix}, or remove {server} from the NS records of {zone} and from the delegation in its parent."
    )
}
