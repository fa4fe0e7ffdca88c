//! The headline's cause: the server to fix and the fix, in one sentence, before the facts
//! (docs/findings.md "Cause first"). Built from typed findings: the first finding that names
//! a server and is no symptom of another, by the order of [`PRIORITY`]; the addresses of that
//! server with the same fault are named together.

use std::net::IpAddr;

use crate::diagnose::{Finding, Severity};
use crate::model::LameReason;
use crate::model::finding::{BogusReason, FindingKind, Reason};
use crate::report::TargetReport;

/// Which server fault the headline names first, when several are found: wrong answers (what
/// receivers reject), then failures (what they defer), then what only slows or risks.
const PRIORITY: &[FindingKind] = &[
    FindingKind::InconsistentAnswer,
    FindingKind::DnssecBogus,
    FindingKind::Lame,
    FindingKind::Unreachable,
    FindingKind::Flaky,
    FindingKind::EdnsFailed,
    FindingKind::TcpFailed,
    FindingKind::GlueMismatch,
    FindingKind::InconsistentSerial,
    FindingKind::Slow,
    FindingKind::NsUnresolvable,
];

/// A finding the headline may lead with: a warning or error that is no symptom of another.
pub(super) fn candidates(f: &&Finding) -> bool {
    f.severity >= Severity::Warning && f.caused_by.is_none()
}

fn named(f: &&Finding) -> bool {
    candidates(f) && f.server.is_some()
}

/// The finding the headline names: the first that names a server and is no symptom of
/// another, by [`PRIORITY`], errors before warnings; None when no finding names a server.
pub(super) fn culprit(r: &TargetReport) -> Option<&Finding> {
    let d = &r.diagnosis;
    let pick = |sev: Severity| {
        PRIORITY.iter().find_map(|k| {
            d.findings
                .iter()
                .filter(named)
                .find(|f| f.kind == *k && f.severity >= sev)
        })
    };
    let first = pick(Severity::Error).or_else(|| pick(Severity::Warning))?;
    // A server whose copy differs and fails DNSSEC: the DNSSEC failure is what receivers
    // meet, unless the difference is an old copy (which the headline then names).
    if first.kind == FindingKind::InconsistentAnswer
        && !d
            .old_copies
            .iter()
            .any(|o| o.zone == first.zone && Some(&o.server) == first.server.as_ref())
        && let Some(bogus) = d.findings.iter().filter(named).find(|f| {
            f.kind == FindingKind::DnssecBogus && f.server == first.server && f.zone == first.zone
        })
    {
        return Some(bogus);
    }
    Some(first)
}

/// "SERVER (ADDRESS) does X for ZONE" of [`culprit`], short: one server, one address.
pub(super) fn culprit_words(r: &TargetReport) -> Option<String> {
    let f = culprit(r)?;
    let (what, _) = words(r, f, f.address);
    let server = f.server.as_ref()?;
    Some(match f.address {
        Some(a) => format!("{server} ({a}) {what} {}", f.zone),
        None => format!("{server} {what} {}", f.zone),
    })
}

/// "SERVER (ADDRESSES) does X for ZONE — fix"; without a server to name, the first finding
/// that is no symptom of another; None when nothing is above info.
pub(super) fn cause(r: &TargetReport) -> Option<String> {
    let d = &r.diagnosis;
    let Some(first) = culprit(r) else {
        return d
            .findings
            .iter()
            .find(candidates)
            .map(|f| f.message.clone());
    };
    let server = first.server.as_ref()?;
    // The same fault elsewhere: this server's other addresses and zones, and other servers
    // of the same zone.
    let same: Vec<&Finding> = d
        .findings
        .iter()
        .filter(named)
        .filter(|f| f.kind == first.kind && f.reason == first.reason)
        .filter(|f| f.server.as_ref() == Some(server) || f.zone == first.zone)
        .collect();
    let mut servers: Vec<&hickory_proto::rr::Name> = Vec::new();
    let mut zones: Vec<&hickory_proto::rr::Name> = Vec::new();
    let mut addrs: Vec<IpAddr> = Vec::new();
    for f in &same {
        if let Some(s) = &f.server
            && !servers.contains(&s)
        {
            servers.push(s);
        }
        if !zones.contains(&&f.zone) {
            zones.push(&f.zone);
        }
        addrs.extend(f.address);
    }
    addrs.sort();
    addrs.dedup();
    let list = |v: Vec<String>| match v.len() {
        0 | 1 => v.concat(),
        n => format!("{} and {}", v[..n - 1].join(", "), v[n - 1]),
    };
    let (what, fix) = words(r, first, addrs.first().copied());
    let who = if servers.len() > 1 {
        format!(
            "{} each",
            list(servers.iter().map(ToString::to_string).collect())
        )
    } else if addrs.is_empty() {
        server.to_string()
    } else {
        let a: Vec<String> = addrs.iter().map(ToString::to_string).collect();
        format!("{server} ({})", a.join(", "))
    };
    let zones = list(zones.iter().map(ToString::to_string).collect());
    let others = d
        .findings
        .iter()
        .filter(named)
        .filter(|f| f.severity == Severity::Error && !same.contains(f))
        .filter_map(|f| f.server.as_ref())
        .filter(|s| !servers.contains(s))
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let more = match others {
        0 => String::new(),
        1 => " (and 1 more server below)".to_string(),
        n => format!(" (and {n} more servers below)"),
    };
    Some(format!("{who} {what} {zones} — {fix}{more}"))
}

/// What a server with a DNSSEC failure serves.
fn bogus_how(reason: Option<Reason>) -> &'static str {
    match reason {
        Some(Reason::Bogus(BogusReason::ExpiredSignature)) => "expired signatures",
        Some(Reason::Bogus(BogusReason::NotYetValid)) => "signatures not valid yet",
        Some(Reason::Bogus(BogusReason::MissingRrsig)) => "no signatures",
        Some(Reason::Bogus(BogusReason::BadSignature)) => "signatures that do not verify",
        Some(Reason::Bogus(BogusReason::MissingDnskey)) => "no DNSKEY",
        Some(Reason::Bogus(BogusReason::DsMismatch)) => "keys the parent's DS does not match",
        Some(Reason::Bogus(BogusReason::BadDenial)) => "negative answers without a valid proof",
        _ => "DNSSEC data that fails validation",
    }
}

/// What a lame server does and the fix.
fn lame_words(reason: LameReason) -> (String, String) {
    let (what, fix) = match reason {
        LameReason::Refused => (
            "refuses queries for",
            "add the zone to it, or remove it from the zone's NS records and the parent's delegation",
        ),
        LameReason::Servfail => (
            "answers SERVFAIL for",
            "fix the zone's load or transfer on it (see its logs)",
        ),
        LameReason::NotAuthoritative => (
            "answers without authority (no AA bit) for",
            "load the zone on it as a primary or secondary",
        ),
        LameReason::UpwardReferral | LameReason::ReferralElsewhere => (
            "does not serve",
            "load the zone on it, or remove it from the zone's NS records and the parent's delegation",
        ),
        LameReason::OtherRcode | LameReason::Malformed => {
            ("sends broken replies for", "upgrade or fix the server")
        }
    };
    (what.to_string(), fix.to_string())
}

/// What the server does and the fix, per kind.
fn words(r: &TargetReport, f: &Finding, address: Option<IpAddr>) -> (String, String) {
    let zone = &f.zone;
    let s = |x: &str| x.to_string();
    match (f.kind, f.reason) {
        (FindingKind::InconsistentAnswer, _) => {
            let copy = r
                .diagnosis
                .old_copies
                .iter()
                .find(|o| o.zone == *zone && Some(&o.server) == f.server.as_ref());
            match copy {
                Some(o) => (
                    format!("serves {} of", o.copy()),
                    s("reload the zone on it and check its zone transfers"),
                ),
                None => (
                    s("answers differently from the other servers of"),
                    s("make it serve the same zone as the others"),
                ),
            }
        }
        (FindingKind::DnssecBogus, reason) => (
            format!("serves {} for", bogus_how(reason)),
            s("re-sign the zone or reload the current signed copy on it"),
        ),
        (FindingKind::Lame, Some(Reason::Lame(reason))) => lame_words(reason),
        (FindingKind::Unreachable, _) => (
            s("does not answer for"),
            format!(
                "start it, open UDP and TCP port {} to it, or remove it from the zone's NS records and the parent's delegation",
                r.walk.port
            ),
        ),
        (FindingKind::Flaky, _) => {
            let loss = r
                .diagnosis
                .stats
                .iter()
                .find(|st| {
                    st.zone == *zone
                        && Some(&st.server) == f.server.as_ref()
                        && Some(st.address) == address
                })
                .map_or_else(String::new, |st| {
                    let p = st.lost as f64 / st.sent.max(1) as f64 * 100.0;
                    format!(" {p:.0}% of")
                });
            (
                format!("loses{loss} its queries for"),
                s("look for packet loss, overload or a firewall on the way to it"),
            )
        }
        (FindingKind::EdnsFailed, _) => (
            s("drops queries with EDNS for"),
            s("upgrade it or fix the firewall in front of it"),
        ),
        (FindingKind::TcpFailed, _) => (
            s("does not answer over TCP for"),
            format!("allow TCP port {} to it", r.walk.port),
        ),
        (FindingKind::GlueMismatch, _) => (
            s("has wrong glue in the delegation of"),
            s("correct the glue address at the parent (the registrar)"),
        ),
        (FindingKind::InconsistentSerial, _) => (
            s("serves an older version of"),
            s("check its zone transfers (NOTIFY, allow-transfer)"),
        ),
        (FindingKind::Slow, _) => (
            s("answers slowly for"),
            s("look for overload or congestion on the way to it"),
        ),
        (FindingKind::NsUnresolvable, _) => (
            s("has no address, and is an NS name of"),
            s("give it an address or remove it from the NS records"),
        ),
        _ => (s("fails for"), s("see the findings")),
    }
}
