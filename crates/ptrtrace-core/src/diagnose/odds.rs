//! Failure odds: what share of resolver lookups end in the correct, forward-confirmed PTR, in a
//! wrong answer, or in failure — on the first try and with retries (docs/findings.md,
//! "Failure odds").
//!
//! The model is a resolver without history: at each level of the path (each zone the target's
//! question and then its forward name went through) it picks an NS name uniformly at random,
//! then one of its addresses. Each address's chances come from its own probes for that
//! question: the share that failed (no reply, lame), that gave a wrong answer, that were
//! correct. "With retries" lets the resolver move on to another NS name after a failure
//! (never after an answer, which it believes), until every name was tried.
//!
//! The resolver validates DNSSEC, as Gmail's and most large receivers' do: an answer from a
//! server whose DNSSEC data is bogus counts as a failure (validating resolvers reject it and
//! try another server).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

use hickory_proto::rr::Name;
use serde::Serialize;

use super::Fcrdns;
use crate::model::{Probe, ProbeKind, Purpose, QId, Rdata, ReplyClass, Walk};

/// Shares of lookups by outcome; they add up to 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct Outcomes {
    /// The correct, forward-confirmed PTR (or, for the forward name, the traced address).
    pub correct: f64,
    /// An answer, but a wrong one (another PTR, NXDOMAIN where others answer, …).
    pub wrong: f64,
    /// No usable answer.
    pub fail: f64,
}

/// The odds at one level of the path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LevelOdds {
    /// The zone.
    pub zone: Name,
    /// The question asked there (`name TYPE`).
    pub question: String,
    /// Picking one server.
    pub first_try: Outcomes,
    /// Moving on to other servers after failures.
    pub with_retries: Outcomes,
    /// The server whose probes went worst, when any went wrong.
    pub worst_server: Option<Name>,
}

/// The odds of a whole lookup, and per level.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Odds {
    /// One try per level.
    pub first_try: Outcomes,
    /// Retries to other servers after failures.
    pub with_retries: Outcomes,
    /// Each level of the path, reverse first, then forward.
    pub levels: Vec<LevelOdds>,
}

/// (correct, wrong, fail) of one server.
type Cwf = (f64, f64, f64);

/// With retries: try servers in random order until one does not fail.
fn with_retries(servers: &[Cwf]) -> Cwf {
    fn go(servers: &[Cwf], left: u32, memo: &mut HashMap<u32, Cwf>) -> Cwf {
        if left == 0 {
            return (0.0, 0.0, 1.0);
        }
        if let Some(v) = memo.get(&left) {
            return *v;
        }
        let n = f64::from(left.count_ones());
        let mut acc = (0.0, 0.0, 0.0);
        for (i, (c, w, f)) in servers.iter().enumerate() {
            let bit = 1u32 << i;
            if left & bit == 0 {
                continue;
            }
            let rest = go(servers, left & !bit, memo);
            acc.0 += (c + f * rest.0) / n;
            acc.1 += (w + f * rest.1) / n;
            acc.2 += (f * rest.2) / n;
        }
        memo.insert(left, acc);
        acc
    }
    let servers = &servers[..servers.len().min(16)];
    let all = if servers.is_empty() {
        0
    } else {
        (1u32 << servers.len()) - 1
    };
    go(servers, all, &mut HashMap::new())
}

/// What one probe's reply means to a resolver at its level of the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// A referral onwards, or the answer that leads to the confirmed PTR (or, forward, the
    /// traced address).
    Correct,
    /// An answer, but a wrong one (another PTR, NXDOMAIN where others answer, …).
    Wrong,
    /// No usable reply: silence, lameness, or data a validating resolver rejects.
    Fail,
}

/// One address's probes of one question, by outcome; `lost` counts the failures that were
/// silence.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    correct: usize,
    wrong: usize,
    fail: usize,
    lost: usize,
}

impl Tally {
    fn add(&mut self, outcome: Outcome, silent: bool) {
        match outcome {
            Outcome::Correct => self.correct += 1,
            Outcome::Wrong => self.wrong += 1,
            Outcome::Fail => self.fail += 1,
        }
        self.lost += usize::from(silent);
    }
}

/// One address's (correct, wrong, fail) for one question from its probes' tally. Where it
/// answered the question, its loss is its rate over the zone (`zone_loss`: sent, lost) and its
/// replies share the rest; where it answered nothing, the question's own counts stand.
fn address_odds(t: &Tally, zone_loss: Option<&(usize, usize)>) -> Cwf {
    let [c, w, f, lost] = [t.correct, t.wrong, t.fail, t.lost].map(|n| n as f64);
    let n = (c + w + f).max(1.0);
    let replied = n - lost;
    match zone_loss {
        Some(&(sent, zone_lost)) if replied > 0.0 && sent > 0 => {
            let l = zone_lost as f64 / sent as f64;
            (
                c / replied * (1.0 - l),
                w / replied * (1.0 - l),
                (f - lost) / replied * (1.0 - l) + l,
            )
        }
        _ => (c / n, w / n, f / n),
    }
}

fn combine(levels: &[Cwf]) -> Outcomes {
    let mut reach = 1.0;
    let mut wrong = 0.0;
    for (c, w, _) in levels {
        wrong += reach * w;
        reach *= c;
    }
    Outcomes {
        correct: reach,
        wrong,
        fail: (1.0 - reach - wrong).max(0.0),
    }
}

impl From<Cwf> for Outcomes {
    fn from((correct, wrong, fail): Cwf) -> Self {
        Self {
            correct,
            wrong,
            fail,
        }
    }
}

/// How a resolver judges the replies of the path's questions.
struct Judge<'a> {
    walk: &'a Walk,
    /// The PTR names whose forward lookup gave the traced address back.
    confirmed: BTreeSet<Name>,
    bogus: &'a dyn Fn(&Name, &Name, IpAddr) -> bool,
}

impl Judge<'_> {
    fn outcome(&self, qi: QId, p: &Probe) -> Outcome {
        let walk = self.walk;
        if p.class.is_useful() && (self.bogus)(&p.zone, &walk.questions[qi].name, p.address) {
            return Outcome::Fail;
        }
        let forward = !matches!(
            walk.questions[walk.questions[qi].origin].purpose,
            Purpose::Target
        );
        let ok = match &p.class {
            ReplyClass::Referral(_) => true,
            ReplyClass::Answer { data } if forward => {
                data.iter().any(|d| d.addr() == Some(walk.target))
            }
            ReplyClass::Answer { data } => {
                let ptrs = || data.iter().filter_map(Rdata::ptr);
                let cname = data.iter().any(|d| matches!(d, Rdata::Cname(_)));
                if cname && ptrs().next().is_none() {
                    true
                } else if walk.fcrdns {
                    ptrs().any(|n| self.confirmed.contains(n))
                } else {
                    ptrs().next().is_some()
                }
            }
            ReplyClass::Nxdomain | ReplyClass::Nodata => false,
            ReplyClass::Lame { .. } | ReplyClass::Silent { .. } => return Outcome::Fail,
        };
        if ok { Outcome::Correct } else { Outcome::Wrong }
    }

    /// The odds at one level: question `qi` asked of `zone`'s servers, or None when none of
    /// them was tested.
    fn level(
        &self,
        qi: QId,
        zone: &Name,
        loss: &BTreeMap<(Name, Name, IpAddr), (usize, usize)>,
    ) -> Option<LevelOdds> {
        let walk = self.walk;
        // server → address → tally
        let mut per: BTreeMap<Name, BTreeMap<IpAddr, Tally>> = BTreeMap::new();
        for p in walk.probes.iter().filter(|p| {
            p.question == qi
                && p.zone == *zone
                && p.kind == ProbeKind::Standard
                && !p.class.is_untested()
        }) {
            per.entry(p.server.clone())
                .or_default()
                .entry(p.address)
                .or_default()
                .add(
                    self.outcome(qi, p),
                    matches!(p.class, ReplyClass::Silent { .. }),
                );
        }
        if per.is_empty() {
            return None;
        }
        let servers: Vec<(Name, Cwf)> = per
            .iter()
            .map(|(server, addrs)| {
                let k = addrs.len() as f64;
                let s = addrs.iter().fold((0.0, 0.0, 0.0), |s, (addr, t)| {
                    let (c, w, f) =
                        address_odds(t, loss.get(&(zone.clone(), server.clone(), *addr)));
                    (s.0 + c / k, s.1 + w / k, s.2 + f / k)
                });
                (server.clone(), s)
            })
            .collect();
        let k = servers.len() as f64;
        let ft = servers.iter().fold((0.0, 0.0, 0.0), |a, (_, s)| {
            (a.0 + s.0 / k, a.1 + s.1 / k, a.2 + s.2 / k)
        });
        let cwf: Vec<Cwf> = servers.iter().map(|(_, s)| *s).collect();
        // The worst server only where it is worse than another: when every server gives
        // the same (wrong) answer, the fault is the data, not a server.
        let best = servers.iter().map(|(_, s)| s.0).fold(0.0, f64::max);
        let worst = servers
            .iter()
            .filter(|(_, s)| s.0 < 0.999 && s.0 < best - 0.001)
            .min_by(|a, b| a.1.0.total_cmp(&b.1.0))
            .map(|(n, _)| n.clone());
        Some(LevelOdds {
            zone: zone.clone(),
            question: format!("{} {}", walk.questions[qi].name, walk.questions[qi].qtype),
            first_try: ft.into(),
            with_retries: with_retries(&cwf).into(),
            worst_server: worst,
        })
    }
}

/// Computes the odds for the target's reverse chain and the forward chain of its PTR.
/// `bogus` tells whether a server address's DNSSEC data fails for a zone asked about a name
/// (or for a zone between them that the same servers hold, a hidden cut); `loss` is each
/// (zone, server, address)'s standard probes (sent, lost) over every question: an address
/// that answered this question is lost at its rate over the zone, the best estimate of its
/// loss (a question asked once or thrice measures little).
#[must_use]
pub fn compute(
    walk: &Walk,
    fcrdns: &[Fcrdns],
    bogus: &dyn Fn(&Name, &Name, IpAddr) -> bool,
    loss: &BTreeMap<(Name, Name, IpAddr), (usize, usize)>,
) -> Odds {
    let judge = Judge {
        walk,
        confirmed: fcrdns
            .iter()
            .filter(|f| f.confirmed)
            .map(|f| f.name.to_lowercase())
            .collect(),
        bogus,
    };
    // The questions of the path: the target's chain, then the forward chain of one PTR name
    // (a confirmed one when there is one).
    let mut path: Vec<QId> = walk.chain(0);
    let forward_name = fcrdns
        .iter()
        .find(|f| f.confirmed)
        .or(fcrdns.first())
        .map(|f| f.name.clone());
    if let Some(name) = &forward_name
        && let Some(qi) = walk
            .questions
            .iter()
            .position(|q| q.name == *name && matches!(q.purpose, Purpose::Forward { .. }))
    {
        path.extend(walk.chain(walk.questions[qi].origin));
    }
    let levels: Vec<LevelOdds> = path
        .iter()
        .flat_map(|&qi| {
            let judge = &judge;
            walk.questions[qi]
                .zones
                .iter()
                .filter_map(move |zone| judge.level(qi, zone, loss))
        })
        .collect();
    if levels.is_empty() {
        let fail = Outcomes {
            correct: 0.0,
            wrong: 0.0,
            fail: 1.0,
        };
        return Odds {
            first_try: fail,
            with_retries: fail,
            levels,
        };
    }
    let cwf = |o: &Outcomes| (o.correct, o.wrong, o.fail);
    let first: Vec<Cwf> = levels.iter().map(|l| cwf(&l.first_try)).collect();
    let retry: Vec<Cwf> = levels.iter().map(|l| cwf(&l.with_retries)).collect();
    Odds {
        first_try: combine(&first),
        with_retries: combine(&retry),
        levels,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_bad_server_of_three() {
        let s = [(1.0, 0.0, 0.0), (1.0, 0.0, 0.0), (0.0, 0.0, 1.0)];
        let r = with_retries(&s);
        assert!((r.0 - 1.0).abs() < 1e-12 && r.2.abs() < 1e-12, "{r:?}");
        let all_bad = with_retries(&[(0.0, 0.0, 1.0), (0.0, 0.0, 1.0)]);
        assert!((all_bad.2 - 1.0).abs() < 1e-12);
        // A wrong answer is believed: no retry after it.
        let w = with_retries(&[(0.0, 1.0, 0.0), (1.0, 0.0, 0.0)]);
        assert!(
            (w.1 - 0.5).abs() < 1e-12 && (w.0 - 0.5).abs() < 1e-12,
            "{w:?}"
        );
        let o = combine(&[(1.0, 0.0, 0.0), (2.0 / 3.0, 0.0, 1.0 / 3.0)]);
        assert!((o.fail - 1.0 / 3.0).abs() < 1e-12);
        let o = combine(&[(0.5, 0.0, 0.5), (0.5, 0.5, 0.0)]);
        assert!(
            (o.correct - 0.25).abs() < 1e-12
                && (o.wrong - 0.25).abs() < 1e-12
                && (o.fail - 0.5).abs() < 1e-12
        );
    }
}
