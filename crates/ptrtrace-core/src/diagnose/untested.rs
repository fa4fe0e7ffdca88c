//! `untested` (info): what this run did not check — addresses of a family this host cannot
//! reach or that `-4`/`-6` excluded, and the addresses a spread batch did not ask. They are
//! not blamed on the servers; the report says what was not checked.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use hickory_proto::rr::Name;

use super::{Finding, Severity};
use crate::model::finding::{Detail, FindingKind, Reason};
use crate::model::{ReplyClass, Silence, Walk};

/// `untested` (info): addresses of a family this host cannot reach, or that `-4`/`-6`
/// excluded. They are not blamed on the servers; the report says what was not checked.
pub(super) fn check(walk: &Walk, findings: &mut Vec<Finding>) {
    for s in &walk.spread {
        let total = s.asked.len() + s.not_asked.len();
        findings.push(Finding {
            involved: Vec::new(),
            caused_by: None,
            kind: FindingKind::Untested,
            severity: Severity::Info,
            reason: Some(Reason::Detail(Detail::Sampled)),
            zone: s.zone.clone(),
            server: None,
            address: None,
            message: format!(
                "{} of {total} server addresses of {} were not asked this PTR: the batch spread its {} targets there over the servers, which agreed on a random sample of them",
                s.not_asked.len(),
                s.zone,
                s.population
            ),
            advice: format!(
                "Each target was in the sample asked of every address with probability {:.2} %, \
                 so a server answering differently for 1 % of the names is caught with at least \
                 99 % probability, and the batch then asks every target of every address. \
                 Trace this address alone, or the batch with --no-spread, to ask every server.",
                s.sample_rate * 100.0
            ),
            evidence: s
                .not_asked
                .iter()
                .map(|(server, addr)| format!("{server} ({addr})"))
                .collect(),
        });
    }
    for (v6, family) in [(false, "IPv4"), (true, "IPv6")] {
        let no_route: BTreeSet<IpAddr> = walk
            .probes
            .iter()
            .filter(|p| {
                p.address.is_ipv6() == v6
                    && matches!(
                        p.class,
                        ReplyClass::Silent {
                            reason: Silence::NoRoute
                        }
                    )
            })
            .map(|p| p.address)
            .collect();
        if !no_route.is_empty() {
            findings.push(Finding {
                involved: Vec::new(),
                caused_by: None,
                kind: FindingKind::Untested,
                severity: Severity::Info,
                reason: Some(Reason::Detail(Detail::NoRoute)),
                zone: Name::root(),
                server: None,
                address: None,
                message: format!(
                    "{} {family} server addresses were not tested: this host has no {family} route",
                    no_route.len()
                ),
                advice: format!(
                    "Their servers are not blamed. Run ptrtrace from a host with {family} \
                     connectivity to check them: resolvers that have it will use them."
                ),
                evidence: no_route.iter().take(8).map(ToString::to_string).collect(),
            });
        }
        let skipped: Vec<&IpAddr> = walk.skipped.iter().filter(|a| a.is_ipv6() == v6).collect();
        if !skipped.is_empty() {
            findings.push(Finding {
                involved: Vec::new(),
                caused_by: None,
                kind: FindingKind::Untested,
                severity: Severity::Info,
                reason: Some(Reason::Detail(Detail::FamilyDisabled)),
                zone: Name::root(),
                server: None,
                address: None,
                message: format!(
                    "{} {family} server addresses were not queried ({})",
                    skipped.len(),
                    if v6 { "-4" } else { "-6" }
                ),
                advice: format!(
                    "Run without {} to check them too.",
                    if v6 { "-4" } else { "-6" }
                ),
                evidence: skipped.iter().take(8).map(ToString::to_string).collect(),
            });
        }
    }
}

/// The diagnosis of a walk that a local failure stopped (too many open files): verdict
/// `unknown`, one `local_error` finding, and nothing said about any server, since no
/// observation of this walk can be told apart from the failure's effects.
pub(super) fn local_failure(local: &crate::model::LocalFailure) -> super::Diagnosis {
    let finding = Finding {
        kind: FindingKind::LocalError,
        severity: Severity::Error,
        reason: Some(Reason::Local(local.kind)),
        zone: Name::root(),
        server: None,
        address: None,
        message: format!(
            "this host could not send its queries ({}): nothing is known about the servers",
            local.kind.words()
        ),
        advice: match local.kind {
            crate::model::LocalKind::TooManyOpenFiles => {
                "raise this host's open-file limit (ulimit -n, LimitNOFILE=) or lower --concurrency, then trace again"
            }
            crate::model::LocalKind::NoBufferSpace | crate::model::LocalKind::OutOfMemory => {
                "free memory or socket buffers on this host (or lower --concurrency), then trace again"
            }
            crate::model::LocalKind::PermissionDenied => {
                "allow this host to send DNS queries (a local firewall or policy refused them), then trace again"
            }
        }
        .into(),
        evidence: vec![format!(
            "{} attempts failed on this host: {}",
            local.attempts, local.detail
        )],
        involved: Vec::new(),
        caused_by: None,
    };
    super::Diagnosis {
        verdict: super::Verdict::Unknown,
        ptr: Vec::new(),
        fcrdns: Vec::new(),
        findings: vec![finding],
        root_reachable: true,
        levels: Vec::new(),
        contacts: BTreeMap::new(),
        stats: Vec::new(),
        odds: super::odds::Odds::default(),
        dnssec: None,
        receiver: super::receiver::Receiver::Unknown,
        old_copies: Vec::new(),
    }
}
