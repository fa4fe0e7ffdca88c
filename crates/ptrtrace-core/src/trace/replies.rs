//! What a finished probe opens: its class and evidence are recorded; a referral enters the
//! child zone, an answer delivers NS addresses, follows a CNAME (RFC 2317) or opens the
//! forward questions of FCrDNS.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::sync::Arc;

use hickory_proto::op::Message;
use hickory_proto::rr::{Name, RData, RecordType};

use super::{Done, Event, Job, Walker, classify, reverse_is_v6};
use crate::model::finding::Limit;
use crate::model::kept::Reply;
use crate::model::{
    CnameLoop, DelegationSeen, LameReason, Probe, ProbeKind, Purpose, QId, ReplyClass, Silence,
    Zone,
};
use crate::net::{Attempt, Outcome};

impl Walker<'_> {
    pub(super) fn on_done(&mut self, done: Done) {
        let Done { job, attempts } = done;
        self.current = Some(job.question);
        if attempts.len() > 1 {
            self.budget.sent += 1;
        }
        let question = &self.questions[job.question];
        let (qname, qtype) = (question.name.clone(), question.qtype);
        for a in &attempts {
            if let Outcome::Local(kind, detail) = &a.outcome {
                let local = self
                    .local
                    .get_or_insert_with(|| crate::model::LocalFailure {
                        kind: *kind,
                        detail: detail.clone(),
                        attempts: 0,
                    });
                local.attempts += 1;
            }
        }
        let last = attempts.last().map(|a| &a.outcome);
        let class = match last {
            Some(Outcome::Reply(m)) => classify::classify(m, &job.zone, &qname, qtype),
            Some(Outcome::Malformed(_)) => ReplyClass::Lame {
                reason: LameReason::Malformed,
            },
            Some(Outcome::Unreachable(_)) => ReplyClass::Silent {
                reason: Silence::Unreachable,
            },
            Some(Outcome::NotSent(_) | Outcome::Local(..)) => ReplyClass::Silent {
                reason: Silence::NotSent,
            },
            Some(Outcome::NoRoute(_)) => ReplyClass::Silent {
                reason: Silence::NoRoute,
            },
            Some(Outcome::Timeout) | None => ReplyClass::Silent {
                reason: Silence::Timeout,
            },
        };
        let mut reply: Option<Message> = match last {
            Some(Outcome::Reply(m)) => Some((**m).clone()),
            _ => None,
        };
        // Kept for DNSSEC validation: moved into the probe, not copied again.
        let keep = self.cfg.dnssec.is_some() && job.kind == ProbeKind::Standard;
        let kept = if keep {
            reply.take().map(|m| Arc::new(Reply::new(m)))
        } else {
            None
        };
        self.probes.push(Probe {
            question: job.question,
            zone: job.zone.clone(),
            server: job.server.clone(),
            address: job.address,
            seq: job.seq,
            kind: job.kind,
            sent_at_ms: (job.sent_at.as_secs_f64() * 1000.0).round(),
            depth: job.depth,
            chain_wait_ms: (job.chain_wait_ms * 10.0).round() / 10.0,
            attempts: attempts.iter().map(Attempt::record).collect(),
            class: class.clone(),
            reply: kept.clone(),
        });
        if let Some(tx) = &self.events {
            let _ = tx.send(Event::Progress {
                sent: self.budget.sent,
                done: self.probes.len(),
                pending: self.pending.len(),
                zone: job.zone.clone(),
            });
        }
        if job.kind != ProbeKind::Standard {
            return;
        }
        // What this reply opens depends on it: one round trip deeper.
        self.cause = (job.depth, job.chain_wait_ms);
        self.effects(job, (qname, qtype), class, kept, reply);
        self.cause = (0, 0.0);
    }

    /// What a standard probe's reply opens: more probes where it looks wrong, a cut search,
    /// the child zone of a referral, the work an answer starts.
    fn effects(
        &mut self,
        job: Job,
        (qname, qtype): (Name, RecordType),
        class: ReplyClass,
        kept: Option<Arc<Reply>>,
        reply: Option<Message>,
    ) {
        self.escalate_if_wrong(&job, &class);
        let msg = kept.as_ref().map(|k| &k.msg).or(reply.as_ref());
        if self.questions[job.question].is_cut() {
            if let Some(m) = msg {
                self.on_cut_reply(&job, &qname, m);
            }
            return;
        }
        // Replies on a path and to zone checks may come from a zone the server also serves,
        // below the one it was asked as: look for the cuts in between.
        let question = &self.questions[job.question];
        let seeks = self.on_path(question.origin) || question.purpose.is_check();
        match class {
            ReplyClass::Referral(r) => {
                if seeks && let Some(m) = msg {
                    self.seek_cuts(&job, &r.child, m);
                }
                self.on_referral(&job, r);
            }
            ReplyClass::Answer { .. } => {
                if let Some(m) = msg {
                    if seeks && qtype != RecordType::DS {
                        self.seek_cuts(&job, &qname, m);
                    }
                    self.on_answer(job.question, m);
                }
            }
            ReplyClass::Nxdomain | ReplyClass::Nodata => {
                if seeks
                    && qtype != RecordType::DS
                    && let Some(m) = msg
                {
                    self.seek_cuts(&job, &qname, m);
                }
            }
            _ => {}
        }
    }

    pub(super) fn on_referral(&mut self, job: &Job, r: classify::Referral) {
        let child = r.child.clone();
        let max_ns = self.cfg.max_ns_per_zone;
        let parent = self.enclosing_zone(&child);
        // The zone whose data the referral is: the one asked, or a zone below it that this
        // address was found serving (a root server's referral to in-addr.arpa. is arpa.'s).
        let given_by = self
            .hidden_between(&job.zone, &child)
            .into_iter()
            .rfind(|m| {
                self.book
                    .zones
                    .get(m)
                    .is_some_and(|z| z.found_inside.iter().any(|c| c.address == job.address))
            })
            .unwrap_or_else(|| job.zone.clone());
        let zone = self
            .book
            .zones
            .entry(child.clone())
            .or_insert_with(|| Zone {
                name: child.clone(),
                parent: Some(parent),
                ns: BTreeMap::new(),
                delegations: Vec::new(),
                found_inside: Vec::new(),
            });
        let seen = DelegationSeen {
            parent: given_by,
            server: job.server.clone(),
            address: job.address,
            ns: r.ns.clone(),
            glue: r.glue.clone(),
        };
        if !zone
            .delegations
            .iter()
            .any(|d| d.address == seen.address && d.parent == seen.parent)
        {
            zone.delegations.push(seen);
        }
        let mut added: Vec<Name> = Vec::new();
        let mut dropped = 0usize;
        // Past the fan-out bound, names that came with glue go first: they cost no lookups.
        let mut candidates: Vec<&Name> = r.ns.iter().collect();
        candidates.sort_by_key(|n| (!r.glue.iter().any(|(g, _)| g == *n), (*n).clone()));
        for ns in candidates {
            if !zone.ns.contains_key(ns) {
                if zone.ns.len() >= max_ns {
                    dropped += 1;
                    continue;
                }
                zone.ns.insert(ns.clone(), BTreeSet::new());
                added.push(ns.clone());
            }
        }
        // Glue is believed only for names inside the referring zone (RFC 5452 §6, bailiwick).
        for (name, ip) in &r.glue {
            if job.zone.zone_of(name)
                && let Some(g) = zone.ns.get_mut(name)
                && g.insert(*ip)
                && !added.contains(name)
            {
                added.push(name.clone());
            }
        }
        if dropped > 0 {
            self.limit(
                Limit::NsFanout,
                format!(
                    "{child}: {} NS names given, only the first {max_ns} used",
                    r.ns.len()
                ),
            );
        }
        // Questions already in the child learn of the new servers too.
        let already: Vec<QId> = self
            .book
            .entered
            .iter()
            .filter(|(_, z)| *z == child)
            .map(|(q, _)| *q)
            .collect();
        for q in already {
            for ns in &added {
                self.schedule_ns(q, &child, ns);
            }
        }
        if self.book.checked.contains(&child) && !added.is_empty() {
            self.glue_checks(&child);
        }
        self.enter(job.question, &child);
    }

    pub(super) fn on_answer(&mut self, q: QId, msg: &Message) {
        self.current = Some(q);
        let question = self.questions[q].clone();
        let mut values: Vec<RData> = Vec::new();
        let mut cname: Option<Name> = None;
        for r in &msg.answers {
            if r.name != question.name {
                continue;
            }
            if r.record_type() == question.qtype {
                values.push(r.data.clone());
            } else if let RData::CNAME(c) = &r.data {
                cname = Some(c.0.to_lowercase());
            }
        }
        if values.is_empty()
            && let Some(target) = cname
        {
            self.follow_cname(q, target);
            return;
        }
        let origin = question.origin;
        // Any authoritative address answer serves the NS name of that name, whatever the
        // question was opened for: questions are shared by (name, type) for the whole run.
        let origin_name = self.questions[origin].name.clone();
        if self.book.ns_state.contains_key(&origin_name) {
            let addrs: Vec<IpAddr> = values
                .iter()
                .filter_map(|v| match v {
                    RData::A(a) => Some(IpAddr::V4(a.0)),
                    RData::AAAA(a) => Some(IpAddr::V6(a.0)),
                    _ => None,
                })
                .collect();
            self.deliver_addresses(&origin_name, &addrs);
        }
        if self.questions[origin].purpose == Purpose::Target && self.cfg.fcrdns {
            let qtype = if reverse_is_v6(&self.questions[origin].name) {
                RecordType::AAAA
            } else {
                RecordType::A
            };
            for v in &values {
                if let RData::PTR(p) = v {
                    let ptr = p.0.to_lowercase();
                    // The bound is per target: a batch has a PTR name per address.
                    let names = self.forward_names.entry(origin).or_default();
                    if names.len() >= self.cfg.max_ptr_names && !names.contains(&ptr) {
                        self.limit(
                            Limit::PtrNames,
                            format!(
                                "more than {} PTR names; the rest were not checked forward",
                                self.cfg.max_ptr_names
                            ),
                        );
                        continue;
                    }
                    names.insert(ptr.clone());
                    let purpose = Purpose::Forward { ptr: ptr.clone() };
                    self.start_question(ptr, qtype, purpose, 0, 0, None);
                }
            }
        }
    }

    pub(super) fn deliver_addresses(&mut self, ns: &Name, addrs: &[IpAddr]) {
        let mut fresh = Vec::new();
        {
            let state = self.book.ns_state.entry(ns.clone()).or_default();
            for &ip in addrs {
                if state.addrs.len() < self.cfg.max_addrs_per_ns && state.addrs.insert(ip) {
                    fresh.push(ip);
                }
            }
        }
        let waiters = self
            .book
            .ns_state
            .get(ns)
            .map(|s| s.waiters.clone())
            .unwrap_or_default();
        for (wq, wz) in waiters {
            for ip in &fresh {
                self.schedule_addr(wq, &wz, ns, *ip);
            }
        }
    }

    pub(super) fn follow_cname(&mut self, q: QId, target: Name) {
        self.current = Some(q);
        let question = &self.questions[q];
        let (qtype, origin, depth, nesting) = (
            question.qtype,
            question.origin,
            question.cname_depth + 1,
            question.nesting,
        );
        // A loop: the target is already a name on this question's own chain back to its
        // origin. Any other existing question for it is shared work, already under way.
        let mut cur = Some(q);
        let mut back: Vec<Name> = Vec::new();
        while let Some(c) = cur {
            back.push(self.questions[c].name.clone());
            cur = match self.questions[c].purpose {
                Purpose::Cname { of } => Some(of),
                _ => None,
            };
        }
        if back.contains(&target) {
            back.reverse();
            back.push(target);
            if !self.cname_loops.iter().any(|l| l.chain == back) {
                self.cname_loops.push(CnameLoop { chain: back });
            }
            return;
        }
        if self.qindex.contains_key(&(target.clone(), qtype)) {
            return;
        }
        if depth > self.cfg.max_cname {
            let name = self.questions[origin].name.clone();
            self.limit(
                Limit::CnameChain,
                format!(
                    "{name}: more than {} CNAMEs; {target} not followed",
                    self.cfg.max_cname
                ),
            );
            return;
        }
        let purpose = Purpose::Cname { of: q };
        self.start_question(target, qtype, purpose, nesting, depth, Some(origin));
    }
}
