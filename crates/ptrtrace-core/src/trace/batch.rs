//! Batches: one walk for many targets in a block, and each target's view of it (its own
//! questions, the zones on its paths, their probes); finished targets are pruned.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::IpAddr;

use hickory_proto::rr::{Name, RecordType};

use super::{Event, Session, Walker, reverse_name, sort_delegations, sort_probes, transfer};
use crate::model::{
    LimitHit, Probe, Purpose, QId, Question, ReplyClass, Transport, Walk, Zone, forward_type,
};

impl Walker<'_> {
    /// The questions of one chain (a question and the CNAME targets it led to).
    pub(super) fn chain(&self, origin: QId) -> Vec<QId> {
        self.chains.get(&origin).cloned().unwrap_or_default()
    }

    /// One target's part of a shared batch walk, as a walk of its own: its question first, the
    /// forward lookups of its PTR names, every zone on those paths and its ancestors, the NS
    /// name lookups those zones needed, and their zone and glue checks.
    pub(super) fn view(&self, target: IpAddr, q0: QId) -> Walk {
        let mut wanted = self.own_questions(target, q0);
        let zones = self.zones_of(&mut wanted);
        self.reindexed(target, q0, &wanted, &zones)
    }

    /// The target's own questions: its chain, the forward lookups of its PTR names, the HELO
    /// name's lookup.
    fn own_questions(&self, target: IpAddr, q0: QId) -> BTreeSet<QId> {
        let mut wanted: BTreeSet<QId> = self.chain(q0).into_iter().collect();
        let fqtype = forward_type(target);
        let ptr_names: BTreeSet<Name> = self
            .probes
            .iter()
            .filter(|p| wanted.contains(&p.question))
            .filter_map(|p| match &p.class {
                ReplyClass::Answer { data } => Some(data.clone()),
                _ => None,
            })
            .flatten()
            .filter_map(|d| d.ptr().cloned())
            .collect();
        for n in ptr_names {
            if let Some(&q) = self.qindex.get(&(n, fqtype)) {
                wanted.extend(self.chain(self.questions[q].origin));
            }
        }
        if let Some(helo) = &self.cfg.helo
            && let Some(&q) = self.qindex.get(&(helo.clone(), fqtype))
        {
            wanted.extend(self.chain(q));
        }
        wanted
    }

    /// Every zone on the paths of `wanted` and its ancestors; adds to `wanted` the questions
    /// those zones needed (apex checks, NS name lookups, the cut checks that found them).
    fn zones_of(&self, wanted: &mut BTreeSet<QId>) -> BTreeSet<Name> {
        let mut zones: BTreeSet<Name> = BTreeSet::new();
        let mut frontier: Vec<QId> = wanted.iter().copied().collect();
        while let Some(q) = frontier.pop() {
            for z in &self.questions[q].zones {
                let mut cur = Some(z.clone());
                while let Some(zname) = cur {
                    if !zones.insert(zname.clone()) {
                        break;
                    }
                    let Some(zone) = self.book.zones.get(&zname) else {
                        break;
                    };
                    // The zone's apex checks, and the lookups of its NS names and their glue.
                    let mut extra = vec![
                        (zname.clone(), RecordType::SOA),
                        (zname.clone(), RecordType::NS),
                        (zname.clone(), RecordType::DNSKEY),
                        (zname.clone(), RecordType::DS),
                    ];
                    for ns in zone.ns.keys() {
                        extra.push((ns.clone(), RecordType::A));
                        extra.push((ns.clone(), RecordType::AAAA));
                    }
                    for key in extra {
                        if let Some(&eq) = self.qindex.get(&key) {
                            for c in self.chain(self.questions[eq].origin) {
                                if wanted.insert(c) {
                                    frontier.push(c);
                                }
                            }
                        }
                    }
                    // The cut check that found it, when its cut was hidden.
                    if let Some(&cq) = self.cuts.index.get(&zname) {
                        wanted.insert(cq);
                    }
                    cur = zone.parent.clone();
                }
            }
        }
        zones
    }

    /// The walk of questions `wanted` and `zones`, re-indexed with the target's question first.
    fn reindexed(
        &self,
        target: IpAddr,
        q0: QId,
        wanted: &BTreeSet<QId>,
        zones: &BTreeSet<Name>,
    ) -> Walk {
        // Re-index: the target's question first.
        let mut order: Vec<QId> = vec![q0];
        order.extend(wanted.iter().copied().filter(|&q| q != q0));
        let index: HashMap<QId, QId> = order.iter().enumerate().map(|(i, &q)| (q, i)).collect();
        let questions: Vec<Question> = order
            .iter()
            .map(|&q| {
                let mut x = self.questions[q].clone();
                x.origin = index.get(&x.origin).copied().unwrap_or(0);
                if let Purpose::Cname { of } = &mut x.purpose {
                    *of = index.get(of).copied().unwrap_or(0);
                }
                x
            })
            .collect();
        let mut probes: Vec<Probe> = self
            .probes
            .iter()
            .filter_map(|p| {
                index.get(&p.question).map(|&i| {
                    let mut p = p.clone();
                    p.question = i;
                    p
                })
            })
            .collect();
        sort_probes(&mut probes);
        // Queries this target caused on its own: its chain and its forward lookups (an answer
        // read from a zone transfer is not one).
        let own: u32 = probes
            .iter()
            .filter(|p| {
                let origin = questions[p.question].origin;
                origin == 0 || matches!(questions[origin].purpose, Purpose::Forward { .. })
            })
            .map(|p| {
                let asked = p.attempts.iter().filter(|a| a.transport != Transport::Axfr);
                u32::try_from(asked.count()).unwrap_or(u32::MAX)
            })
            .sum();
        let zone_map: BTreeMap<Name, Zone> = zones
            .iter()
            .filter_map(|z| self.book.zones.get(z).map(|v| (z.clone(), v.clone())))
            .collect();
        let ns_names: BTreeSet<&Name> = zone_map.values().flat_map(|z| z.ns.keys()).collect();
        Walk {
            target,
            reverse_name: self.questions[q0].name.clone(),
            questions,
            resolved_ns: self
                .book
                .ns_state
                .iter()
                .filter(|(n, s)| s.resolving && ns_names.contains(n))
                .map(|(n, s)| (n.clone(), s.addrs.clone()))
                .collect(),
            zones: zone_map,
            probes,
            limits: self
                .limits
                .iter()
                .filter(|l| l.question.is_none_or(|q| wanted.contains(&q)))
                .map(|l| LimitHit {
                    question: None,
                    ..l.clone()
                })
                .collect(),
            spread: self.spread_of(q0),
            cname_loops: self
                .cname_loops
                .iter()
                .filter(|l| l.chain.first() == Some(&self.questions[q0].name))
                .cloned()
                .collect(),
            local: self.local.clone(),
            queries_sent: own,
            elapsed_ms: u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX),
            families: (self.cfg.families.v4, self.cfg.families.v6),
            fcrdns: self.cfg.fcrdns,
            rounds: 1,
            skipped: self.skipped.clone(),
            helo: self.cfg.helo.clone(),
            port: self.cfg.map.port(),
            edns_payload: self.cfg.edns_payload,
            dnssec: self.cfg.dnssec.clone(),
        }
    }

    /// Forgets the probes of finished targets' own questions (their chains and forward
    /// lookups), so a long batch's memory does not grow with the number of targets. Shared
    /// work (zones, NS lookups, zone checks) stays. A pruned question is closed: asking the
    /// same name again opens a new one.
    pub(super) fn prune(&mut self, done: &[QId]) {
        let mut gone: HashSet<QId> = HashSet::new();
        for &q in done {
            gone.extend(self.chain(q));
        }
        let forwards: Vec<QId> = self
            .chains
            .keys()
            .copied()
            .filter(|&i| matches!(self.questions[i].purpose, Purpose::Forward { .. }))
            .collect();
        for q in forwards {
            gone.extend(self.chain(q));
        }
        self.probes.retain(|p| !gone.contains(&p.question));
        self.chains.retain(|q, _| !gone.contains(q));
        self.forward_names.retain(|q, _| !gone.contains(q));
        for state in self.book.ns_state.values_mut() {
            state.waiters.retain(|(q, _)| !gone.contains(q));
        }
        self.qindex.retain(|_, q| !gone.contains(q));
        self.book.entered.retain(|(q, _)| !gone.contains(q));
        self.scheduled.retain(|(q, _, _, _)| !gone.contains(q));
        self.adaptive.forget(&gone);
        self.spread.forget(&gone);
        self.support_count.retain(|(q, _), _| !gone.contains(q));
        for q in &gone {
            self.questions[*q].zones = Vec::new();
        }
    }
}

/// Traces many targets with one shared walk: every zone cut, NS name lookup and forward name
/// is probed once per run, not once per target. Targets are pulled from the iterator in chunks
/// of `chunk` (a prefix is never expanded into memory); within a chunk one scout per parent
/// name goes first, so the others start at the deepest zone it found. Each finished target is
/// handed to `sink` as a walk of its own, and its own probes are then forgotten, so memory
/// does not grow with the number of targets.
pub async fn trace_batch(
    targets: impl IntoIterator<Item = IpAddr>,
    cfg: &Session,
    chunk: usize,
    events: Option<tokio::sync::mpsc::UnboundedSender<Event>>,
    cancel: Option<tokio::sync::watch::Receiver<bool>>,
    mut sink: impl FnMut(Walk),
) {
    let mut targets = targets.into_iter().peekable();
    let fresh = |first: Option<&IpAddr>| {
        let mut w = Walker::new(cfg, events.clone());
        w.batch = true;
        if let (Some(helo), Some(first)) = (&cfg.helo, first) {
            w.start_question(
                helo.clone(),
                forward_type(*first),
                Purpose::Helo,
                0,
                0,
                None,
            );
        }
        w
    };
    let mut w = fresh(targets.peek());
    loop {
        let part: Vec<IpAddr> = targets.by_ref().take(chunk.max(1)).collect();
        if part.is_empty() || cancel.as_ref().is_some_and(|c| *c.borrow()) {
            break;
        }
        // The query budget is per target: each chunk gets its targets' share.
        w.budget.base = w.budget.sent;
        w.budget.limit = cfg
            .query_budget
            .saturating_mul(u32::try_from(part.len()).unwrap_or(u32::MAX));
        let mut qids = Vec::with_capacity(part.len());
        let mut scouted: HashSet<Name> = HashSet::new();
        let mut rest = Vec::new();
        for &t in &part {
            let name = reverse_name(t);
            if scouted.insert(name.base_name()) {
                let q = w.start_question(name, RecordType::PTR, Purpose::Target, 0, 0, None);
                qids.push((t, q));
            } else {
                rest.push((t, name));
            }
        }
        w.run(cancel.clone()).await;
        if !rest.is_empty() {
            let zones = w.answering_zones();
            if cfg.axfr && rest.len() >= transfer::TRANSFER_MIN_TARGETS {
                w.transfer(&zones).await;
            }
            w.plan_spread(&zones);
        }
        for (t, name) in rest {
            let q = w.start_question(name, RecordType::PTR, Purpose::Target, 0, 0, None);
            qids.push((t, q));
        }
        w.run(cancel.clone()).await;
        // A failed sample, or a spread target its one address did not answer: asked again
        // of the addresses it skipped.
        let asked: Vec<QId> = qids.iter().map(|(_, q)| *q).collect();
        if w.check_spread(&asked) {
            w.run(cancel.clone()).await;
        }
        sort_delegations(&mut w.book.zones);
        for &(t, q) in &qids {
            sink(w.view(t, q));
        }
        w.prune(&asked);
        // A local failure (too many open files) made this chunk's targets `unknown`; what
        // the shared walk learnt meanwhile is suspect, so the next chunk starts afresh.
        if w.local.is_some() {
            w = fresh(targets.peek());
        }
    }
}
