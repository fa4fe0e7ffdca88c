//! Spread probing (batches): when every server address of a reverse zone holds the same zone,
//! a target's PTR need not be asked of every address. Each target is asked of one address
//! (chosen per name by rendezvous hashing, so the load spreads evenly), except a random sample
//! of the targets, asked of every address: their answers must agree.
//!
//! The sample is a Bernoulli one: each target of the zone is in it with probability `p`, drawn
//! from a hash of its name with a per-run random key. A server that answers `d` of the zone's
//! `N` batch names differently escapes with probability `(1 − p)^d`; with `d ≥ ⌈N/100⌉`
//! (wrong on at least 1 % of the names) that must be at most 1 %, so
//! `p = 1 − 0.01^(1/⌈N/100⌉)` (about 459/N for large N: 0.7 % of a /16). Zones where `p` would
//! exceed one half gain little and are asked in full (a /24 needs p = 0.79).
//!
//! A zone is spread only when, after a chunk's scouts, every one of its addresses answered
//! every scout, identically, and reported the same SOA; and never when a zone transfer already
//! answers from an address (trace/transfer.rs). After each chunk its sample is checked: a
//! sampled name answered differently, or not answered, by any address ends spreading for the
//! zone for the rest of the run, and every target of the chunk is then asked of the addresses
//! it skipped, so each disagreement still names its server. A spread target whose one address
//! did not answer usefully is asked of the others as well.

use std::hash::BuildHasher;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::IpAddr;

use hickory_proto::rr::{Name, RecordType};

use super::Walker;
use crate::model::walk::Spread;
use crate::model::{ProbeKind, Purpose, QId, ReplyClass};

/// One zone whose targets are spread over its servers.
#[derive(Debug, Clone)]
pub(super) struct SpreadZone {
    /// Its server addresses (NS name, address), every one of which answered the scouts.
    servers: Vec<(Name, IpAddr)>,
    /// The batch's targets in the zone.
    population: u64,
    /// The probability that a target is in the sample asked of every address.
    rate: f64,
}

/// The share of failing names a spread must notice.
const WRONG_SHARE: f64 = 0.01;
/// The chance of missing such a server the sample may leave.
const MISS_CHANCE: f64 = 0.01;

/// The sample rate for a zone holding `population` targets of the batch:
/// `1 − MISS_CHANCE^(1/⌈population × WRONG_SHARE⌉)` (module docs).
#[must_use]
pub fn sample_rate(population: u64) -> f64 {
    let wrong = (population as f64 * WRONG_SHARE).ceil().max(1.0);
    1.0 - MISS_CHANCE.powf(1.0 / wrong)
}

/// Spreading pays only where the sample is at most this share of the zone's targets.
const MOST_SAMPLED: f64 = 0.5;

/// Spread probing: the zones planned, those whose sample failed, the (question, zone,
/// server, address) probes skipped, the questions asked in full after all, and the run's
/// random key for sampling.
#[derive(Default)]
pub(super) struct SpreadState {
    pub(super) plan: HashMap<Name, SpreadZone>,
    pub(super) off: HashSet<Name>,
    pub(super) skipped: BTreeSet<(QId, Name, Name, IpAddr)>,
    pub(super) full: HashSet<QId>,
    pub(super) key: std::hash::RandomState,
}

impl SpreadState {
    /// Forgets the questions of targets a batch has finished.
    pub(super) fn forget(&mut self, gone: &HashSet<QId>) {
        self.skipped.retain(|(q, _, _, _)| !gone.contains(q));
        self.full.retain(|q| !gone.contains(q));
    }
}

impl Walker<'_> {
    /// True for a target's own PTR question (not a CNAME target, not a cut check).
    fn spreadable_question(&self, q: QId) -> bool {
        let question = &self.questions[q];
        question.origin == q && matches!(question.purpose, Purpose::Target) && !question.is_cut()
    }

    /// Whether `name` is in the sample asked of every address of a zone sampled at `rate`.
    fn sampled(&self, name: &Name, rate: f64) -> bool {
        let x = self.spread.key.hash_one(name.to_lowercase().to_ascii()) as f64 / u64::MAX as f64;
        x < rate
    }

    /// The one address of `zone` that asks `name` (rendezvous hashing: stable per name, even
    /// over the addresses).
    fn spread_to(&self, name: &Name, servers: &[(Name, IpAddr)]) -> Option<IpAddr> {
        let key = name.to_lowercase().to_ascii();
        servers
            .iter()
            .map(|(_, a)| *a)
            .min_by_key(|a| self.spread.key.hash_one((&key, a)))
    }

    /// True when `addr` is not to be asked question `q` as a server of `zone`: a spread
    /// zone's target outside the sample, at an address other than its own.
    pub(super) fn spread_skips(&self, q: QId, zone: &Name, addr: IpAddr) -> bool {
        let Some(plan) = self.spread.plan.get(zone) else {
            return false;
        };
        if self.spread.off.contains(zone)
            || !self.spreadable_question(q)
            || self.spread.full.contains(&q)
        {
            return false;
        }
        let name = &self.questions[q].name;
        !self.sampled(name, plan.rate) && self.spread_to(name, &plan.servers) != Some(addr)
    }

    /// After a chunk's scouts: plans spreading for each zone of `zones` that qualifies
    /// (module docs).
    pub(super) fn plan_spread(&mut self, zones: &BTreeSet<Name>) {
        let Some(population) = self.cfg.spread.clone() else {
            return;
        };
        for zone in zones {
            if self.spread.plan.contains_key(zone) || self.spread.off.contains(zone) {
                continue;
            }
            let Some(n) = population
                .count_under(zone)
                .and_then(|n| u64::try_from(n).ok())
            else {
                continue;
            };
            let rate = sample_rate(n);
            if rate > MOST_SAMPLED || self.transfers.copies.keys().any(|(z, _)| z == zone) {
                continue;
            }
            if let Some(servers) = self.agreeing_servers(zone) {
                self.spread.plan.insert(
                    zone.clone(),
                    SpreadZone {
                        servers,
                        population: n,
                        rate,
                    },
                );
            }
        }
    }

    /// The server addresses of `zone` when every one answered every target question asked
    /// there so far, each the same way at every address, and all gave the same SOA.
    fn agreeing_servers(&self, zone: &Name) -> Option<Vec<(Name, IpAddr)>> {
        let mut servers: BTreeSet<(Name, IpAddr)> = BTreeSet::new();
        let mut by_question: BTreeMap<QId, Vec<&ReplyClass>> = BTreeMap::new();
        for (q, z, server, addr) in &self.scheduled {
            if z == zone && self.spreadable_question(*q) {
                servers.insert((server.clone(), *addr));
            }
        }
        if servers.len() < 2 {
            return None;
        }
        for p in self.probes.iter().filter(|p| {
            p.zone == *zone && p.kind == ProbeKind::Standard && self.spreadable_question(p.question)
        }) {
            if !p.class.is_useful() {
                return None;
            }
            by_question.entry(p.question).or_default().push(&p.class);
        }
        for classes in by_question.values() {
            if classes.len() < servers.len() || classes.windows(2).any(|w| w[0] != w[1]) {
                return None;
            }
        }
        let soa = self.qindex.get(&(zone.clone(), RecordType::SOA))?;
        let soas: Vec<&ReplyClass> = self
            .probes
            .iter()
            .filter(|p| p.question == *soa && p.zone == *zone && p.kind == ProbeKind::Standard)
            .map(|p| &p.class)
            .collect();
        let same = soas.len() >= servers.len()
            && soas.iter().all(|c| matches!(c, ReplyClass::Answer { .. }))
            && soas.windows(2).all(|w| w[0] == w[1]);
        same.then(|| servers.into_iter().collect())
    }

    /// After a chunk's targets: checks each spread zone's sample among `chunk`'s questions,
    /// and asks the skipped addresses where needed (module docs). True when it sent probes.
    pub(super) fn check_spread(&mut self, chunk: &[QId]) -> bool {
        let in_chunk: HashSet<QId> = chunk.iter().copied().collect();
        let mut redo: BTreeSet<QId> = BTreeSet::new();
        let zones: Vec<Name> = self
            .spread
            .plan
            .keys()
            .filter(|z| !self.spread.off.contains(*z))
            .cloned()
            .collect();
        for zone in zones {
            let Some(plan) = self.spread.plan.get(&zone) else {
                continue;
            };
            let rate = plan.rate;
            // Each question's standard replies at the zone, by address.
            let mut replies: BTreeMap<QId, Vec<&ReplyClass>> = BTreeMap::new();
            for p in self.probes.iter().filter(|p| {
                p.zone == zone && p.kind == ProbeKind::Standard && in_chunk.contains(&p.question)
            }) {
                replies.entry(p.question).or_default().push(&p.class);
            }
            let mut broken = false;
            for (&q, classes) in &replies {
                let fine = classes.iter().all(|c| c.is_useful());
                if self.sampled(&self.questions[q].name, rate) {
                    let agree = classes.windows(2).all(|w| w[0] == w[1]);
                    broken |= !(fine && agree);
                } else if !fine {
                    redo.insert(q);
                }
            }
            if broken {
                self.spread.off.insert(zone.clone());
                redo.extend(
                    self.spread
                        .skipped
                        .iter()
                        .filter(|(q, z, _, _)| *z == zone && in_chunk.contains(q))
                        .map(|(q, _, _, _)| *q),
                );
            }
        }
        let again: Vec<(QId, Name, Name, IpAddr)> = self
            .spread
            .skipped
            .iter()
            .filter(|(q, _, _, _)| redo.contains(q))
            .cloned()
            .collect();
        for (q, zone, server, addr) in &again {
            self.spread
                .skipped
                .remove(&(*q, zone.clone(), server.clone(), *addr));
            self.spread.full.insert(*q);
            self.schedule_addr(*q, zone, server, *addr);
        }
        !again.is_empty()
    }

    /// The zones where question `q` was spread: for its view.
    pub(super) fn spread_of(&self, q: QId) -> Vec<Spread> {
        let mut out: BTreeMap<Name, Spread> = BTreeMap::new();
        for (sq, zone, server, addr) in &self.spread.skipped {
            if *sq != q {
                continue;
            }
            let Some(plan) = self.spread.plan.get(zone) else {
                continue;
            };
            let s = out.entry(zone.clone()).or_insert_with(|| Spread {
                zone: zone.clone(),
                asked: self
                    .probes
                    .iter()
                    .filter(|p| p.question == q && p.zone == *zone)
                    .map(|p| p.address)
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect(),
                not_asked: Vec::new(),
                population: plan.population,
                sample_rate: plan.rate,
            });
            s.not_asked.push((server.clone(), *addr));
        }
        out.into_values().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_catches_one_percent_wrong_with_99_percent() {
        for n in [700u64, 1024, 4096, 65_536, 1 << 20] {
            let p = sample_rate(n);
            let wrong = (n as f64 / 100.0).ceil();
            let miss = (1.0 - p).powf(wrong);
            assert!(miss <= 0.010_000_1, "{n}: miss {miss}");
            // Not more than needed: a rate 1 % lower misses more often than 1 %.
            assert!((1.0 - 0.99 * p).powf(wrong) > 0.01, "{n}");
        }
        // About 459 names of a large zone.
        let expected = sample_rate(1 << 20) * (1u64 << 20) as f64;
        assert!((455.0..465.0).contains(&expected), "{expected}");
        // A /24 would sample 79 %: not spread.
        assert!(sample_rate(256) > MOST_SAMPLED);
    }
}
