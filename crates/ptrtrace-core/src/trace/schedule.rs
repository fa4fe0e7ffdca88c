//! Scheduling probes: every address of every NS name of a zone, `--probes` times, each
//! kind (standard, TCP, no EDNS), paced per address; NS names without glue resolved once
//! per run by a nested question; the budget and fan-out bounds.

use super::*;

impl Walker<'_> {
    pub(super) fn schedule_ns(&mut self, q: QId, zone: &Name, server: &Name) {
        let glue: Vec<IpAddr> = self
            .zones
            .get(zone)
            .and_then(|z| z.ns.get(server))
            .map(|g| g.iter().copied().collect())
            .unwrap_or_default();
        let addrs: Vec<IpAddr> = if glue.is_empty() {
            let nesting = self.questions[q].nesting;
            let state = self.ns_state.entry(server.clone()).or_default();
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
                    .filter_map(|d| classify::address_in(&d))
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
        if !self
            .scheduled
            .insert((q, zone.clone(), server.clone(), addr))
        {
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
        // Supporting lookups (an NS name's address, a glue check) get one probe per address;
        // the questions of the path get `--probes`.
        // DNSKEY and DS are judged on content, which does not change between probes: one
        // each per address (packet loss is measured on the other questions).
        let dnssec_check = question.purpose.is_check()
            && matches!(question.qtype, RecordType::DNSKEY | RecordType::DS);
        // A cut check is discovery: one probe per address (the zone found is surveyed by
        // its own zone checks).
        let n_standard = if dnssec_check || cut_check {
            1
        } else if self.on_path(self.questions[q].origin) || question.purpose.is_check() {
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
        let n = u32::try_from(plan.len()).unwrap_or(u32::MAX);
        if self.sent - self.budget_base + n > self.budget {
            self.limit(
                Limit::QueryBudget,
                format!(
                    "the budget of {} queries ran out; some servers were not queried",
                    self.budget
                ),
            );
            return;
        }
        self.sent += n;
        let spec = QuerySpec {
            name: question.name.clone(),
            qtype: question.qtype,
            edns_payload: Some(self.cfg.edns_payload),
            dnssec_ok: self.cfg.dnssec.is_some(),
        };
        for (i, kind) in plan.into_iter().enumerate() {
            let seq = u8::try_from(i + 1).unwrap_or(u8::MAX);
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
            // The per-address rate limit: never closer than 1/rate to the previous query.
            if self.cfg.rate_per_address > 0 {
                let now = self.started.elapsed();
                let gap = Duration::from_secs(1) / self.cfg.rate_per_address;
                let free = self.next_free.get(&addr).copied().unwrap_or_default();
                let at = (now + delay).max(free);
                delay = at - now;
                self.next_free.insert(addr, at + gap);
            }
            // Response rate limiting: identical UDP questions are spaced (pace.rs). Last, so
            // nothing moves a paced probe earlier; a paced probe does not hold up the other
            // questions to the address.
            if self.cfg.rrl_pacing && kind != ProbeKind::Tcp {
                let now = tokio::time::Instant::now();
                let at = self
                    .cfg
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
            };
            let map = Arc::clone(&self.map);
            let mut spec = spec.clone();
            if kind == ProbeKind::NoEdns {
                spec.edns_payload = None;
            }
            let timeout = self.cfg.timeout;
            self.pending.push(Box::pin(async move {
                tokio::time::sleep(delay).await;
                let attempts = probe(&map, addr, &spec, timeout, kind).await;
                Done { job, attempts }
            }));
        }
    }
}

/// One probe: a UDP attempt, then TCP when the UDP reply was truncated (RFC 7766 §5);
/// or a single TCP attempt for [`ProbeKind::Tcp`].
async fn probe(
    map: &AddressMap,
    addr: IpAddr,
    spec: &QuerySpec,
    timeout: Duration,
    kind: ProbeKind,
) -> Vec<Attempt> {
    if kind == ProbeKind::Tcp {
        return vec![net::tcp_attempt(map, addr, spec, timeout).await];
    }
    let first = net::udp_attempt(map, addr, spec, timeout).await;
    let truncated = matches!(&first.outcome, Outcome::Reply(m) if m.metadata.truncation);
    let mut attempts = vec![first];
    if truncated {
        attempts.push(net::tcp_attempt(map, addr, spec, timeout).await);
    }
    attempts
}
