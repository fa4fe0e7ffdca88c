//! Rounds: the same trace repeated (`--rounds`), merged into one walk whose probes keep
//! their own timing; questions matched by name and type, zones by name.

use std::collections::BTreeMap;
use std::net::IpAddr;

use hickory_proto::rr::Name;

use super::{Event, Session, trace_until};
use crate::model::{Probe, Purpose, QId, Question, Walk, Zone};

/// Traces `target` `cfg.rounds` times, `cfg.interval` apart, and merges the rounds into one
/// walk, so statistics and findings cover every round (a server that drops 1 query in 10
/// shows up with enough rounds). Stops early, keeping what it has, when `cancel` turns true.
pub async fn trace_rounds(
    target: IpAddr,
    cfg: &Session,
    events: Option<tokio::sync::mpsc::UnboundedSender<Event>>,
    cancel: Option<tokio::sync::watch::Receiver<bool>>,
) -> Walk {
    let mut merged = trace_until(target, cfg, events.clone(), cancel.clone()).await;
    for _ in 1..cfg.rounds.max(1) {
        let stopped = cancel.as_ref().is_some_and(|c| *c.borrow()) || merged.local.is_some();
        if stopped {
            break;
        }
        let pause = tokio::time::sleep(cfg.interval);
        match cancel.clone() {
            Some(mut rx) => {
                tokio::select! {
                    () = pause => {}
                    _ = rx.wait_for(|s| *s) => break,
                }
            }
            None => pause.await,
        }
        let next = trace_until(target, cfg, events.clone(), cancel.clone()).await;
        merged.merge(next);
    }
    merged
}

/// Completion order is noise: probes are listed by question, zone, server, address, number.
pub(super) fn sort_probes(probes: &mut [Probe]) {
    probes.sort_by(|a, b| {
        (a.question, &a.zone, &a.server, a.address, a.seq)
            .cmp(&(b.question, &b.zone, &b.server, b.address, b.seq))
    });
}

/// Delegations are listed by parent zone, server and address.
pub(super) fn sort_delegations(zones: &mut BTreeMap<Name, Zone>) {
    for z in zones.values_mut() {
        z.delegations.sort_by(|a, b| {
            (&a.parent, &a.server, a.address).cmp(&(&b.parent, &b.server, b.address))
        });
    }
}

impl Walk {
    /// Adds another round's observations: questions are matched by name and type, zones by
    /// name; probes keep their own timing.
    pub fn merge(&mut self, other: Walk) {
        let base_len = self.questions.len();
        let mut map: Vec<QId> = Vec::with_capacity(other.questions.len());
        for q in &other.questions {
            let idx = self.questions[..base_len]
                .iter()
                .position(|x| x.name == q.name && x.qtype == q.qtype && x.is_cut() == q.is_cut());
            map.push(idx.unwrap_or_else(|| {
                self.questions.push(Question {
                    zones: Vec::new(),
                    ..q.clone()
                });
                self.questions.len() - 1
            }));
        }
        // Questions new in this round still point at the other walk's indexes: remap them.
        for q in &mut self.questions[base_len..] {
            q.origin = map[q.origin];
            if let Purpose::Cname { of } = &mut q.purpose {
                *of = map[*of];
            }
        }
        for (i, q) in other.questions.iter().enumerate() {
            let mine = &mut self.questions[map[i]];
            for z in &q.zones {
                if !mine.zones.contains(z) {
                    mine.zones.push(z.clone());
                }
            }
        }
        for mut p in other.probes {
            p.question = map[p.question];
            self.probes.push(p);
        }
        sort_probes(&mut self.probes);
        for (name, z) in other.zones {
            let mine = self.zones.entry(name).or_insert_with(|| Zone {
                delegations: Vec::new(),
                found_inside: Vec::new(),
                ..z.clone()
            });
            for c in z.found_inside {
                if !mine.found_inside.contains(&c) {
                    mine.found_inside.push(c);
                }
            }
            mine.found_inside.sort();
            for (ns, glue) in z.ns {
                mine.ns.entry(ns).or_default().extend(glue);
            }
            for d in z.delegations {
                if !mine
                    .delegations
                    .iter()
                    .any(|x| x.parent == d.parent && x.address == d.address)
                {
                    mine.delegations.push(d);
                }
            }
        }
        for (ns, addrs) in other.resolved_ns {
            self.resolved_ns.entry(ns).or_default().extend(addrs);
        }
        for l in other.limits {
            if !self.limits.contains(&l) {
                self.limits.push(l);
            }
        }
        if self.local.is_none() {
            self.local = other.local;
        }
        self.skipped.extend(other.skipped);
        for s in other.spread {
            if !self.spread.contains(&s) {
                self.spread.push(s);
            }
        }
        self.queries_sent += other.queries_sent;
        self.elapsed_ms += other.elapsed_ms;
        self.rounds += other.rounds;
    }
}
