//! Probe statistics per server address: how many probes were sent, answered, answered
//! correctly or wrongly, lost; and latency (min, median, p95, max). Over several rounds
//! (`--rounds`) they turn "sometimes" into a rate.

use std::collections::BTreeMap;
use std::net::IpAddr;

use hickory_proto::rr::Name;
use serde::Serialize;

use super::{Finding, Severity};
use crate::model::finding::FindingKind;
use crate::model::{ProbeKind, ReplyClass, Walk};

/// The statistics of one address as a server of one zone, over every standard probe.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AddressStats {
    /// Zone.
    pub zone: Name,
    /// NS name.
    pub server: Name,
    /// Address.
    pub address: IpAddr,
    /// Probes sent.
    pub sent: usize,
    /// Probes that got any reply.
    pub answered: usize,
    /// Replies a resolver can use: answers, NXDOMAIN/NODATA, referrals, that agree with the
    /// zone's other servers.
    pub correct: usize,
    /// Replies that are lame, malformed, or an answer the zone's other servers do not give.
    pub wrong: usize,
    /// Probes without a reply (timeouts, ICMP).
    pub lost: usize,
    /// Latency of the replies, ms: min, median, p95, max (absent when nothing answered).
    pub rtt_ms: Option<[f64; 4]>,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

/// Statistics for every (zone, server, address) that got standard probes.
#[must_use]
pub fn compute(walk: &Walk, findings: &[Finding]) -> Vec<AddressStats> {
    let mut groups: BTreeMap<(Name, Name, IpAddr), Vec<usize>> = BTreeMap::new();
    for (i, p) in walk.probes.iter().enumerate() {
        if p.kind == ProbeKind::Standard && !p.class.is_untested() {
            groups
                .entry((p.zone.clone(), p.server.clone(), p.address))
                .or_default()
                .push(i);
        }
    }
    // An address the consistency check names as the odd one out answers wrongly.
    let odd_one = |zone: &Name, server: &Name, address: IpAddr| {
        findings.iter().any(|f| {
            f.kind == FindingKind::InconsistentAnswer
                && f.severity == Severity::Error
                && f.zone == *zone
                && f.server.as_ref() == Some(server)
                && f.address == Some(address)
        })
    };
    groups
        .into_iter()
        .map(|((zone, server, address), idx)| {
            let odd = odd_one(&zone, &server, address);
            let mut s = AddressStats {
                zone,
                server,
                address,
                sent: idx.len(),
                answered: 0,
                correct: 0,
                wrong: 0,
                lost: 0,
                rtt_ms: None,
            };
            let mut rtts = Vec::new();
            for i in idx {
                let p = &walk.probes[i];
                match &p.class {
                    ReplyClass::Silent { .. } => s.lost += 1,
                    c => {
                        s.answered += 1;
                        rtts.push(p.rtt_ms());
                        if c.is_useful() && !(odd && c.is_terminal()) {
                            s.correct += 1;
                        } else {
                            s.wrong += 1;
                        }
                    }
                }
            }
            if !rtts.is_empty() {
                rtts.sort_by(f64::total_cmp);
                s.rtt_ms = Some([
                    rtts[0],
                    percentile(&rtts, 0.5),
                    percentile(&rtts, 0.95),
                    rtts[rtts.len() - 1],
                ]);
            }
            s
        })
        .collect()
}
