//! Scheduling probes: every address of every NS name of a zone, `--probes` times, each
//! kind (standard, TCP, no EDNS), paced per address; NS names without glue resolved once
//! per run by a nested question; the budget and fan-out bounds.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use hickory_proto::rr::{Name, RecordType};

use super::{Done, Job, SUPPORT_ADDRESSES, Seen, Walker, pace};
use crate::model::finding::Limit;
use crate::model::{ProbeKind, Purpose, QId, ReplyClass};
use crate::net;
use crate::net::{AddressMap, Attempt, Outcome, QuerySpec};

/// Where probes go: a question, asked of one address of one NS name as a server of a zone.
struct To<'n> {
    q: QId,
    zone: &'n Name,
    server: &'n Name,
    addr: IpAddr,
}

/// Queries sent, and the budget: a batch's chunk may send `limit` more queries than it had
/// sent at its start (`base`).
pub(super) struct Budget {
    pub(super) limit: u32,
    pub(super) base: u32,
    pub(super) sent: u32,
}

/// The state of adaptive probing: the useful replies seen so far per (question, zone), by
/// address, to notice a disagreement; the addresses already given their remaining probes;
/// the (address, zone) pairs that lost a probe, that replied, and both (suspect: alive but
/// lossy there, so its content questions get every probe and loss is measured where it
/// exists); the standard probes finished and answered per (question, zone, server, address),
/// and the ones whose silence was re-asked to confirm it (`settle`).
#[derive(Default)]
pub(super) struct Adaptive {
    pub(super) seen: HashMap<(QId, Name), Vec<Seen>>,
    pub(super) escalated: HashSet<(QId, Name, Name, IpAddr)>,
    pub(super) lost: HashSet<(IpAddr, Name)>,
    pub(super) answered: HashSet<(IpAddr, Name)>,
    pub(super) suspect: HashSet<(IpAddr, Name)>,
    pub(super) tally: HashMap<(QId, Name, Name, IpAddr), (usize, usize)>,
    pub(super) confirming: HashSet<(QId, Name, Name, IpAddr)>,
}

impl Adaptive {
    /// Forgets the questions of targets a batch has finished.
    pub(super) fn forget(&mut self, gone: &HashSet<QId>) {
        self.escalated.retain(|(q, _, _, _)| !gone.contains(q));
        self.tally.retain(|(q, _, _, _), _| !gone.contains(q));
        self.confirming.retain(|(q, _, _, _)| !gone.contains(q));
        self.seen.retain(|(q, _), _| !gone.contains(q));
    }
}

impl Walker<'_> {
    pub(super) fn schedule_ns(&mut self, q: QId, zone: &Name, server: &Name) {
        let glue: Vec<IpAddr> = self
            .book
            .zones
            .get(zone)
            .and_then(|z| z.ns.get(server))
            .map(|g| g.iter().copied().collect())
            .unwrap_or_default();
        let addrs: Vec<IpAddr> = if glue.is_empty() {
            let nesting = self.questions[q].nesting;
            let state = self.book.ns_state.entry(server.clone()).or_default();
            state.waiters.push((q, zone.clone()));
            let known: Vec<IpAddr> = state.addrs.iter().copied().collect();
            if !state.resolving {
                state.resolving = true;
                self.resolve_ns(server, nesting);
            }
            known
        } else {
            glue
        };
        for addr in addrs.into_iter().take(self.cfg.max_addrs_per_ns) {
            self.schedule_addr(q, zone, server, addr);
        }
    }

    pub(super) fn resolve_ns(&mut self, server: &Name, nesting: u8) {
        if nesting >= self.cfg.max_nesting {
            self.limit(
                Limit::Nesting,
                format!(
                    "{server}: more than {} levels of glueless NS resolution",
                    self.cfg.max_nesting
                ),
            );
            return;
        }
        // Both families are looked up whatever `-4`/`-6` say: those restrict where queries
        // go, and an address of the other family is then reported untested, not missing.
        for qtype in [RecordType::A, RecordType::AAAA] {
            let before = self.questions.len();
            let purpose = Purpose::NsAddress { ns: server.clone() };
            let q = self.start_question(server.clone(), qtype, purpose, nesting + 1, 0, None);
            if q < before {
                // The question was already asked (a glue check, a forward name): its
                // answers so far serve the NS name too.
                let known: Vec<IpAddr> = self
                    .probes
                    .iter()
                    .filter(|p| self.questions[p.question].origin == q)
                    .filter_map(|p| match &p.class {
                        ReplyClass::Answer { data } => Some(data.clone()),
                        _ => None,
                    })
                    .flatten()
                    .filter_map(|d| d.addr())
                    .collect();
                self.deliver_addresses(server, &known);
            }
        }
    }

    pub(super) fn schedule_addr(&mut self, q: QId, zone: &Name, server: &Name, addr: IpAddr) {
        self.current = Some(q);
        let fam = self.cfg.families;
        if (addr.is_ipv4() && !fam.v4) || (addr.is_ipv6() && !fam.v6) {
            self.skipped.insert(addr);
            return;
        }
        // A spread zone's target outside the sample is asked of one address (spread.rs).
        if self.spread_skips(q, zone, addr) {
            self.spread
                .skipped
                .insert((q, zone.clone(), server.clone(), addr));
            return;
        }
        if !self
            .scheduled
            .insert((q, zone.clone(), server.clone(), addr))
        {
            return;
        }
        // A zone transfer from this address holds the answer: nothing to ask.
        if self.answer_from_copy(q, zone, server, addr) {
            return;
        }
        // A supporting lookup needs an answer, not a survey: it asks at most
        // SUPPORT_ADDRESSES addresses of a zone (the root and TLDs have dozens).
        let cut_check = self.questions[q].is_cut();
        let supporting = !self.on_path(self.questions[q].origin)
            && !self.questions[q].purpose.is_check()
            && !cut_check;
        if supporting {
            let n = self.support_count.entry((q, zone.clone())).or_insert(0);
            if *n >= SUPPORT_ADDRESSES {
                return;
            }
            *n += 1;
        }
        let question = &self.questions[q];
        // Probes per address (docs/findings.md "How many probes"): the target's own questions
        // (its PTR and the referrals towards it) measure loss and get `--probes`; content
        // questions (a zone's SOA and NS, forward names, the HELO name) get one, and the rest
        // of `--probes` only where that one looks wrong (escalate); DNSKEY, DS and supporting
        // lookups get one, and the rest where it is lost at an address that answers the zone
        // (settle); cut checks get one.
        // A suspect address gets every probe of a content question at once (and counts as
        // escalated for it).
        let suspect = self.reaskable(q) && self.adaptive.suspect.contains(&(addr, zone.clone()));
        if suspect {
            self.adaptive
                .escalated
                .insert((q, zone.clone(), server.clone(), addr));
        }
        let full = suspect || self.measures_loss(q);
        let n_standard = if full {
            usize::from(self.cfg.probes)
        } else {
            1
        };
        let mut plan: Vec<ProbeKind> = vec![ProbeKind::Standard; n_standard];
        if question.qtype == RecordType::SOA
            && matches!(question.purpose, Purpose::ZoneCheck { .. })
        {
            plan.extend([ProbeKind::Tcp, ProbeKind::NoEdns]);
        }
        let to = To {
            q,
            zone,
            server,
            addr,
        };
        self.send(&to, &plan, n_standard, 1);
    }

    /// True for the questions whose repeated probes measure loss: the target's own chain (its
    /// PTR, the referrals towards it, the CNAME targets it led to). Content questions are
    /// [`Self::adaptive`].
    pub(super) fn measures_loss(&self, q: QId) -> bool {
        !self.batch
            && !self.questions[q].is_cut()
            && matches!(
                self.questions[self.questions[q].origin].purpose,
                Purpose::Target
            )
    }

    /// True for content questions that start with one probe per address and get the rest of
    /// `--probes` where the first looks wrong: a zone's SOA and NS, forward names, HELO; in a
    /// batch, the targets' own chains too (an address's loss shows over all the batch's
    /// questions to it, and a lost or disagreeing probe is asked again).
    pub(super) fn adaptive(&self, q: QId) -> bool {
        let question = &self.questions[q];
        if self.cfg.probes <= 1 || question.is_cut() {
            return false;
        }
        if self.batch && matches!(self.questions[question.origin].purpose, Purpose::Target) {
            return true;
        }
        let zone_content = matches!(question.purpose, Purpose::ZoneCheck { .. })
            && matches!(question.qtype, RecordType::SOA | RecordType::NS);
        let forward = matches!(
            self.questions[question.origin].purpose,
            Purpose::Forward { .. } | Purpose::Helo
        );
        zone_content || forward
    }

    /// After each probe. An address that has both lost a probe and replied as a server of the
    /// same zone (alive but lossy there) becomes suspect for that zone: every re-askable
    /// question asked of it there so far gets the rest of `--probes`, and later ones get them
    /// all. An address that never replied for the zone is not escalated: it looks dead there
    /// (a server may serve one zone and not another), and asking again would only add a
    /// timeout in sequence (its target-chain probes already measure it). An adaptive
    /// question's probe that looks wrong (a lame or malformed reply, an answer that differs
    /// from another address's) gets the rest of `--probes` for its address and for any
    /// address it disagrees with. A question none of whose probes an alive address answered
    /// is asked again ([`Self::settle`]).
    pub(super) fn escalate_if_wrong(&mut self, job: &Job, class: &ReplyClass) {
        if class.is_untested() {
            return;
        }
        let silent = matches!(class, ReplyClass::Silent { .. });
        let at = (job.address, job.zone.clone());
        if silent {
            self.adaptive.lost.insert(at.clone());
        } else {
            self.adaptive.answered.insert(at.clone());
        }
        if job.kind == ProbeKind::Standard {
            let key = (
                job.question,
                job.zone.clone(),
                job.server.clone(),
                job.address,
            );
            let t = self.adaptive.tally.entry(key).or_default();
            t.0 += 1;
            if !silent {
                t.1 += 1;
            }
        }
        if self.adaptive.lost.contains(&at)
            && self.adaptive.answered.contains(&at)
            && self.adaptive.suspect.insert(at)
        {
            let pending: Vec<(QId, Name)> = self
                .scheduled
                .iter()
                .filter(|(q, z, _, a)| *a == job.address && *z == job.zone && self.reaskable(*q))
                .map(|(q, _, s, _)| (*q, s.clone()))
                .collect();
            for (q, server) in pending {
                self.escalate(q, &job.zone, &server, job.address);
            }
            let silenced: Vec<(QId, Name)> = self
                .adaptive
                .tally
                .iter()
                .filter(|((_, z, _, a), (_, answered))| {
                    *a == job.address && *z == job.zone && *answered == 0
                })
                .map(|((q, _, s, _), _)| (*q, s.clone()))
                .collect();
            for (q, server) in silenced {
                self.settle(q, &job.zone, &server, job.address);
            }
        } else if silent && job.kind == ProbeKind::Standard {
            self.settle(job.question, &job.zone, &job.server, job.address);
        }
        if !self.adaptive(job.question) || silent {
            return;
        }
        let key = (job.question, job.zone.clone());
        let mut wrong: Vec<(Name, IpAddr)> = Vec::new();
        if class.is_useful() {
            let seen = self.adaptive.seen.entry(key).or_default();
            for (server, address, other) in seen.iter() {
                if other != class && *address != job.address {
                    wrong.push((server.clone(), *address));
                }
            }
            if !wrong.is_empty() {
                wrong.push((job.server.clone(), job.address));
            }
            seen.push((job.server.clone(), job.address, class.clone()));
        } else {
            wrong.push((job.server.clone(), job.address));
        }
        for (server, address) in wrong {
            self.escalate(job.question, &job.zone, &server, address);
        }
    }

    /// True for the questions that start with one probe per address and may be asked again
    /// there (docs/findings.md "How many probes"): everything but the target's own chain,
    /// which gets `--probes` at once, and cut checks, which are discovery.
    pub(super) fn reaskable(&self, q: QId) -> bool {
        self.cfg.probes > 1 && !self.questions[q].is_cut() && !self.measures_loss(q)
    }

    /// No verdict rests on a lost probe at an address that answers the zone (docs/findings.md
    /// "Loss is not silence"). While none of a question's probes at an alive address has been
    /// answered, it is asked again: first the rest of `--probes` (re-askable questions), then,
    /// once all of those are lost too, `--probes` more, so that a question the address really
    /// never answers (a server that drops PTR queries) is told apart from loss.
    fn settle(&mut self, q: QId, zone: &Name, server: &Name, addr: IpAddr) {
        let key = (q, zone.clone(), server.clone(), addr);
        let (done, answered) = self.adaptive.tally.get(&key).copied().unwrap_or_default();
        if answered > 0
            || self.questions[q].is_cut()
            || !self.adaptive.answered.contains(&(addr, zone.clone()))
        {
            return;
        }
        if self.reaskable(q) {
            self.escalate(q, zone, server, addr);
        }
        let first = usize::from(self.cfg.probes);
        if done >= first && self.adaptive.confirming.insert(key) {
            let plan = vec![ProbeKind::Standard; first];
            let to = To {
                q,
                zone,
                server,
                addr,
            };
            self.send(&to, &plan, first, first + 1);
        }
    }

    /// The rest of `--probes` for one adaptive question at one address, once.
    fn escalate(&mut self, q: QId, zone: &Name, server: &Name, addr: IpAddr) {
        if !self
            .adaptive
            .escalated
            .insert((q, zone.clone(), server.clone(), addr))
        {
            return;
        }
        let more = usize::from(self.cfg.probes).saturating_sub(1);
        let plan = vec![ProbeKind::Standard; more];
        let to = To {
            q,
            zone,
            server,
            addr,
        };
        self.send(&to, &plan, more, 2);
    }

    /// Sends `plan` to `addr`, numbering the probes from `first_seq`: `n_standard` of them
    /// standard (spaced `--probe-spacing` apart, the extras in between), within the query
    /// budget, the per-address rate and RRL pacing.
    fn send(&mut self, to: &To<'_>, plan: &[ProbeKind], n_standard: usize, first_seq: usize) {
        let To {
            q,
            zone,
            server,
            addr,
        } = *to;
        let question = &self.questions[q];
        let n = u32::try_from(plan.len()).unwrap_or(u32::MAX);
        if self.budget.sent - self.budget.base + n > self.budget.limit {
            self.limit(
                Limit::QueryBudget,
                format!(
                    "the budget of {} queries ran out; some servers were not queried",
                    self.budget.limit
                ),
            );
            return;
        }
        self.budget.sent += n;
        let spec = QuerySpec {
            name: question.name.clone(),
            qtype: question.qtype,
            edns_payload: Some(self.cfg.edns_payload),
            dnssec_ok: self.cfg.dnssec.is_some(),
        };
        for (i, &kind) in plan.iter().enumerate() {
            let seq = u8::try_from(i + first_seq).unwrap_or(u8::MAX);
            // Probes to one address are spaced, never queued behind each other's timeouts;
            // the TCP and no-EDNS extras go in between the standard ones.
            let standard = n_standard;
            // With a single standard probe there is nothing to interleave with: all at once.
            let slot = if standard == 1 {
                0
            } else if i < standard {
                2 * i
            } else {
                2 * (i - standard) + 1
            };
            let mut delay = self.cfg.probe_spacing * u32::try_from(slot).unwrap_or(0) / 2;
            // The per-address politeness bound: a token bucket per address, shared by the run.
            if self.cfg.rate_per_address > 0 {
                let now = tokio::time::Instant::now();
                let at = self.cfg.pacing.buckets.slot(
                    addr,
                    self.cfg.rate_per_address,
                    pace::RATE_BURST,
                    now + delay,
                );
                delay = at - now;
            }
            // Response rate limiting: identical UDP questions are spaced (pace.rs). Last, so
            // nothing moves a paced probe earlier; a paced probe does not hold up the other
            // questions to the address.
            if self.cfg.rrl_pacing && kind != ProbeKind::Tcp {
                let now = tokio::time::Instant::now();
                let at =
                    self.cfg
                        .pacing
                        .pacer
                        .slot(addr, &question.name, question.qtype, now + delay);
                delay = at - now;
            }
            let job = Job {
                question: q,
                zone: zone.clone(),
                server: server.clone(),
                address: addr,
                seq,
                kind,
                sent_at: self.started.elapsed() + delay,
                depth: self.cause.0.saturating_add(1),
                chain_wait_ms: self.cause.1 + delay.as_secs_f64() * 1000.0,
            };
            let map = Arc::clone(&self.map);
            let mut spec = spec.clone();
            if kind == ProbeKind::NoEdns {
                spec.edns_payload = None;
            }
            let timeout = self.cfg.timeout;
            // A TCP retry after TC=1 is a query too: it takes its own token.
            let bucket = (self.cfg.rate_per_address > 0).then(|| {
                (
                    Arc::clone(&self.cfg.pacing.buckets),
                    self.cfg.rate_per_address,
                )
            });
            // An absolute time: a task first polled late must not shift its slot.
            let at = tokio::time::Instant::now() + delay;
            self.pending.spawn(async move {
                tokio::time::sleep_until(at).await;
                let attempts = probe(&map, addr, &spec, timeout, kind, bucket).await;
                Done { job, attempts }
            });
        }
    }
}

/// One probe: a UDP attempt, then TCP when the UDP reply was truncated (RFC 7766 §5), after
/// a token of the address's bucket when `--rate` applies; or a single TCP attempt for
/// [`ProbeKind::Tcp`].
async fn probe(
    map: &AddressMap,
    addr: IpAddr,
    spec: &QuerySpec,
    timeout: Duration,
    kind: ProbeKind,
    bucket: Option<(Arc<pace::Buckets>, u32)>,
) -> Vec<Attempt> {
    if kind == ProbeKind::Tcp {
        return vec![net::tcp_attempt(map, addr, spec, timeout).await];
    }
    let first = net::udp_attempt(map, addr, spec, timeout).await;
    let truncated = matches!(&first.outcome, Outcome::Reply(m) if m.metadata.truncation);
    let mut attempts = vec![first];
    if truncated {
        if let Some((buckets, rate)) = bucket {
            let now = tokio::time::Instant::now();
            tokio::time::sleep_until(buckets.slot(addr, rate, pace::RATE_BURST, now)).await;
        }
        attempts.push(net::tcp_attempt(map, addr, spec, timeout).await);
    }
    attempts
}
