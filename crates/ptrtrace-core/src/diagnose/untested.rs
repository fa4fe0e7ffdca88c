//! `untested` (info): what this run did not check — addresses of a family this host cannot
//! reach or that `-4`/`-6` excluded, and the addresses a spread batch did not ask. They are
//! not blamed on the servers; the report says what was not checked.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use hickory_proto::rr::Name;

use super::{Finding, Severity};
use crate::model::finding::{Detail, Reason};
use crate::model::{ReplyClass, Silence, Walk};
use crate::words::Fact;

/// `untested` (info): addresses of a family this host cannot reach, or that `-4`/`-6`
/// excluded. They are not blamed on the servers; the report says what was not checked.
pub(super) fn check(walk: &Walk, findings: &mut Vec<Finding>) {
    for s in &walk.spread {
        let fact = Fact::Sampled {
            zone: &s.zone,
            not_asked: s.not_asked.len(),
            total: s.asked.len() + s.not_asked.len(),
            population: s.population,
            rate: s.sample_rate,
        };
        findings.push(
            fact.finding(Severity::Info, &s.zone)
                .reason(Reason::Detail(Detail::Sampled))
                .evidence(
                    s.not_asked
                        .iter()
                        .map(|(server, addr)| format!("{server} ({addr})"))
                        .collect(),
                ),
        );
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
            let fact = Fact::NoRoute {
                family,
                count: no_route.len(),
            };
            findings.push(
                fact.finding(Severity::Info, &Name::root())
                    .reason(Reason::Detail(Detail::NoRoute))
                    .evidence(no_route.iter().take(8).map(ToString::to_string).collect()),
            );
        }
        let skipped: Vec<&IpAddr> = walk.skipped.iter().filter(|a| a.is_ipv6() == v6).collect();
        if !skipped.is_empty() {
            let fact = Fact::FamilyDisabled {
                v6,
                count: skipped.len(),
            };
            findings.push(
                fact.finding(Severity::Info, &Name::root())
                    .reason(Reason::Detail(Detail::FamilyDisabled))
                    .evidence(skipped.iter().take(8).map(ToString::to_string).collect()),
            );
        }
    }
}

/// The diagnosis of a walk that a local failure stopped (too many open files): verdict
/// `unknown`, one `local_error` finding, and nothing said about any server, since no
/// observation of this walk can be told apart from the failure's effects.
pub(super) fn local_failure(local: &crate::model::LocalFailure) -> super::Diagnosis {
    let finding = Fact::LocalError { kind: local.kind }
        .finding(Severity::Error, &Name::root())
        .reason(Reason::Local(local.kind))
        .evidence(vec![format!(
            "{} attempts failed on this host: {}",
            local.attempts, local.detail
        )]);
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
