//! Zone transfers in batches (RFC 5936): where a zone answered a batch's first targets and a
//! server address allows AXFR, one transfer from that address replaces the later targets'
//! questions to it. Each answer is taken from that address's own copy, so copies that differ
//! (a secondary on an old serial, a missing record) still disagree per target and per server
//! exactly as their answers to queries would; DNSSEC judges the transferred RRSIGs. What a
//! copy cannot answer alone (a name it does not hold, a name below a delegation) is asked as
//! before, and a refused or failed transfer only means the address is asked as before.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use hickory_proto::op::Message;
use hickory_proto::rr::{Name, RData, RecordType};

use super::{Done, Job, Walker, pace};
use crate::model::{ProbeKind, QId, ReplyClass};
use crate::net;
use crate::net::{Attempt, Outcome};

/// A batch's zone transfers: the (zone, address) pairs tried, and the copies that arrived.
#[derive(Default)]
pub(super) struct Transfers {
    pub(super) tried: HashSet<(Name, IpAddr)>,
    pub(super) copies: HashMap<(Name, IpAddr), Arc<ZoneCopy>>,
}

/// A zone as one server address transferred it.
#[derive(Debug)]
pub(super) struct ZoneCopy {
    apex: Name,
    /// RRsets by lowercased owner and type (RRSIGs not among them).
    sets: HashMap<(Name, RecordType), Vec<hickory_proto::rr::Record>>,
    /// RRSIGs by lowercased owner and the type they cover.
    sigs: HashMap<(Name, RecordType), Vec<hickory_proto::rr::Record>>,
    /// Delegation points below the apex (owners of NS records), and DNAME owners.
    cuts: BTreeSet<Name>,
    /// Every owner name, in canonical order (hickory's `Name` order, RFC 4034 §6.1).
    names: BTreeSet<Name>,
    /// NSEC records by owner.
    nsec: BTreeMap<Name, hickory_proto::rr::Record>,
    /// Negative answers cannot be rebuilt from the copy: it has a wildcard (which would
    /// answer instead), or is signed with NSEC3 (whose proofs are not rebuilt here).
    no_negatives: bool,
}

impl ZoneCopy {
    pub(super) fn new(apex: &Name, t: net::Transferred) -> Self {
        let apex = apex.to_lowercase();
        let mut sets: HashMap<(Name, RecordType), Vec<hickory_proto::rr::Record>> = HashMap::new();
        let mut sigs: HashMap<(Name, RecordType), Vec<hickory_proto::rr::Record>> = HashMap::new();
        let mut cuts = BTreeSet::new();
        let mut names = BTreeSet::new();
        let mut nsec = BTreeMap::new();
        let mut no_negatives = false;
        for r in t.records {
            let owner = r.name.to_lowercase();
            if !apex.zone_of(&owner) {
                // Out of zone: a transfer holds only the zone's own names (RFC 5936 §3.5).
                continue;
            }
            no_negatives |= owner.is_wildcard()
                || matches!(r.record_type(), RecordType::NSEC3 | RecordType::NSEC3PARAM);
            if r.record_type() == RecordType::NSEC {
                nsec.insert(owner.clone(), r.clone());
            }
            names.insert(owner.clone());
            match &r.data {
                RData::DNSSEC(hickory_proto::dnssec::rdata::DNSSECRData::RRSIG(s)) => {
                    sigs.entry((owner, s.input().type_covered))
                        .or_default()
                        .push(r);
                }
                _ => {
                    // Names at or below a delegation, or below a DNAME (whose answers are
                    // synthesized, RFC 6672 §3.2), are asked of the server, not read here.
                    if (r.record_type() == RecordType::NS && owner != apex)
                        || r.record_type() == RecordType::DNAME
                    {
                        cuts.insert(owner.clone());
                    }
                    sets.entry((owner, r.record_type())).or_default().push(r);
                }
            }
        }
        Self {
            apex,
            sets,
            sigs,
            cuts,
            names,
            nsec,
            no_negatives,
        }
    }

    /// The authoritative answer the copy gives to (`name`, `qtype`), as the server would
    /// send it (RFC 1034 §4.3.2): the RRset, or a CNAME at the name, with their RRSIGs when
    /// `dnssec`; otherwise NODATA or NXDOMAIN with the SOA and, when signed, the NSEC proof
    /// (RFC 4035 §3.1.3). None when the copy alone cannot answer: the name is outside the
    /// zone or at or below a delegation, or the answer would be negative in a zone with a
    /// wildcard or NSEC3.
    pub(super) fn answer(&self, name: &Name, qtype: RecordType, dnssec: bool) -> Option<Message> {
        let owner = name.to_lowercase();
        if !self.apex.zone_of(&owner) || self.below_cut(&owner) {
            return None;
        }
        let mut m = Message::new(
            0,
            hickory_proto::op::MessageType::Response,
            hickory_proto::op::OpCode::Query,
        );
        m.metadata.authoritative = true;
        m.add_query(hickory_proto::op::Query::query(name.clone(), qtype));
        let positive = [qtype, RecordType::CNAME]
            .into_iter()
            .find_map(|t| self.sets.get(&(owner.clone(), t)).map(|v| (v, t)));
        if let Some((rrs, t)) = positive {
            for r in self.with_sigs(rrs, &owner, t, dnssec) {
                m.add_answer(r);
            }
            return Some(m);
        }
        if self.no_negatives {
            return None;
        }
        let exists = self
            .names
            .range(owner.clone()..)
            .next()
            .is_some_and(|n| owner.zone_of(n));
        if !exists {
            m.metadata.response_code = hickory_proto::op::ResponseCode::NXDomain;
        }
        let soa = self.sets.get(&(self.apex.clone(), RecordType::SOA))?;
        let soa: Vec<_> = soa
            .iter()
            .map(|r| {
                let mut r = r.clone();
                // RFC 2308 §3: the SOA's TTL in a negative answer is at most its MINIMUM.
                if let RData::SOA(s) = &r.data {
                    r.ttl = r.ttl.min(s.minimum);
                }
                r
            })
            .collect();
        for r in self.with_sigs(&soa, &self.apex, RecordType::SOA, dnssec) {
            m.add_authority(r);
        }
        if !dnssec || self.nsec.is_empty() {
            return Some(m);
        }
        // The NSEC proof: NODATA shows the name's types; NXDOMAIN covers the name and the
        // wildcard at its closest encloser.
        let mut proof = Vec::new();
        if let Some(at) = self.nsec.get(&owner).filter(|_| exists) {
            proof.push(at.clone());
        } else {
            proof.push(self.nsec_covering(&owner)?);
            if !exists {
                let mut ce = owner.base_name();
                while !self.names.contains(&ce) && ce.num_labels() > self.apex.num_labels() {
                    ce = ce.base_name();
                }
                let wild = self.nsec_covering(&ce.prepend_label("*").ok()?)?;
                if !proof.contains(&wild) {
                    proof.push(wild);
                }
            }
        }
        for n in proof {
            let o = n.name.to_lowercase();
            for r in self.with_sigs(&[n], &o, RecordType::NSEC, dnssec) {
                m.add_authority(r);
            }
        }
        Some(m)
    }

    /// `rrs` with the RRSIGs over them (owner `owner`, type `t`) when `dnssec`.
    fn with_sigs(
        &self,
        rrs: &[hickory_proto::rr::Record],
        owner: &Name,
        t: RecordType,
        dnssec: bool,
    ) -> Vec<hickory_proto::rr::Record> {
        let mut out = rrs.to_vec();
        if dnssec {
            out.extend(
                self.sigs
                    .get(&(owner.clone(), t))
                    .into_iter()
                    .flatten()
                    .cloned(),
            );
        }
        out
    }

    /// The NSEC whose span covers `name`: the last owner before it, or the last of all (the
    /// chain wraps round).
    fn nsec_covering(&self, name: &Name) -> Option<hickory_proto::rr::Record> {
        self.nsec
            .range(..name.clone())
            .next_back()
            .or_else(|| self.nsec.iter().next_back())
            .map(|(_, r)| r.clone())
    }

    fn below_cut(&self, owner: &Name) -> bool {
        let mut n = owner.clone();
        while n.num_labels() > self.apex.num_labels() {
            if self.cuts.contains(&n) {
                return true;
            }
            n = n.base_name();
        }
        false
    }
}

/// Fewer targets waiting for a zone than this, and a transfer costs more than it saves.
pub(super) const TRANSFER_MIN_TARGETS: usize = 8;

impl Walker<'_> {
    /// The zones that answered this chunk's questions so far, positively or not (a target's
    /// PTR or CNAME, a forward name): where the rest of a chunk's targets will be answered.
    pub(super) fn answering_zones(&self) -> BTreeSet<Name> {
        self.probes
            .iter()
            .filter(|p| p.kind == ProbeKind::Standard)
            .filter(|p| {
                matches!(
                    p.class,
                    ReplyClass::Answer { .. } | ReplyClass::Nxdomain | ReplyClass::Nodata
                )
            })
            .filter(|p| {
                let q = &self.questions[p.question];
                self.on_path(p.question) && !q.is_cut() && !q.purpose.is_check()
            })
            .map(|p| p.zone.clone())
            .filter(|z| !z.is_root())
            .collect()
    }

    /// Transfers each of `zones` from every address of its servers not tried yet, all at
    /// once (each transfer takes a token of its address's bucket, and counts as a query).
    pub(super) async fn transfer(&mut self, zones: &BTreeSet<Name>) {
        let mut jobs = Vec::new();
        for zone in zones {
            let Some(z) = self.book.zones.get(zone) else {
                continue;
            };
            for (server, glue) in &z.ns {
                let addrs: Vec<IpAddr> = if glue.is_empty() {
                    self.book
                        .ns_state
                        .get(server)
                        .map(|s| s.addrs.iter().copied().collect())
                        .unwrap_or_default()
                } else {
                    glue.iter().copied().collect()
                };
                for addr in addrs.into_iter().take(self.cfg.max_addrs_per_ns) {
                    let fam = self.cfg.families;
                    let allowed = (addr.is_ipv4() && fam.v4) || (addr.is_ipv6() && fam.v6);
                    if allowed && self.transfers.tried.insert((zone.clone(), addr)) {
                        jobs.push((zone.clone(), addr));
                    }
                }
            }
        }
        if jobs.is_empty() {
            return;
        }
        self.budget.sent += u32::try_from(jobs.len()).unwrap_or(u32::MAX);
        let map = Arc::clone(&self.map);
        let timeout = self.cfg.timeout;
        let rate = self.cfg.rate_per_address;
        let buckets = Arc::clone(&self.cfg.pacing.buckets);
        let runs = jobs.into_iter().map(|(zone, addr)| {
            let (map, buckets) = (Arc::clone(&map), Arc::clone(&buckets));
            async move {
                if rate > 0 {
                    let now = tokio::time::Instant::now();
                    tokio::time::sleep_until(buckets.slot(addr, rate, pace::RATE_BURST, now)).await;
                }
                let got = net::axfr(&map, addr, &zone, timeout).await;
                (zone, addr, got)
            }
        });
        for (zone, addr, got) in futures::future::join_all(runs).await {
            if let Ok(t) = got {
                self.transfers
                    .copies
                    .insert((zone.clone(), addr), Arc::new(ZoneCopy::new(&zone, t)));
            }
        }
    }

    /// Answers probe `to` from its address's copy of the zone, when it has one that can:
    /// the probe is recorded as a reply that came by AXFR, and no query is sent.
    pub(super) fn answer_from_copy(
        &mut self,
        q: QId,
        zone: &Name,
        server: &Name,
        addr: IpAddr,
    ) -> bool {
        let question = &self.questions[q];
        if !self.on_path(q) || question.is_cut() || question.purpose.is_check() {
            return false;
        }
        let Some(copy) = self.transfers.copies.get(&(zone.clone(), addr)) else {
            return false;
        };
        let Some(msg) = copy.answer(&question.name, question.qtype, self.cfg.dnssec.is_some())
        else {
            return false;
        };
        let bytes = msg.to_vec().map(|w| w.len()).unwrap_or(0);
        let job = Job {
            question: q,
            zone: zone.clone(),
            server: server.clone(),
            address: addr,
            seq: 1,
            kind: ProbeKind::Standard,
            sent_at: self.started.elapsed(),
            depth: self.cause.0.saturating_add(1),
            chain_wait_ms: self.cause.1,
        };
        let attempt = Attempt {
            transport: net::Transport::Axfr,
            rtt: Duration::ZERO,
            outcome: Outcome::Reply(Box::new(msg)),
            mismatched: 0,
            bytes,
        };
        self.pending.spawn(async move {
            Done {
                job,
                attempts: vec![attempt],
            }
        });
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::Record;
    use hickory_proto::rr::rdata::{CNAME, NS, PTR, SOA};

    fn n(s: &str) -> Name {
        Name::from_ascii(s).unwrap()
    }

    fn copy() -> ZoneCopy {
        copy_with(Vec::new())
    }

    fn copy_with(extra: Vec<Record>) -> ZoneCopy {
        let apex = n("113.0.203.in-addr.arpa.");
        let soa = SOA::new(n("ns1.isp.test."), n("h.isp.test."), 7, 1, 1, 1, 300);
        let mut records = vec![
            Record::from_rdata(apex.clone(), 60, RData::SOA(soa)),
            Record::from_rdata(
                n("25.113.0.203.in-addr.arpa."),
                60,
                RData::PTR(PTR(n("mail.isp.test."))),
            ),
            Record::from_rdata(
                n("70.113.0.203.in-addr.arpa."),
                60,
                RData::CNAME(CNAME(n("70.64-26.113.0.203.in-addr.arpa."))),
            ),
            Record::from_rdata(
                n("64-26.113.0.203.in-addr.arpa."),
                60,
                RData::NS(NS(n("ns.cust.test."))),
            ),
            Record::from_rdata(
                n("a.b.113.0.203.in-addr.arpa."),
                60,
                RData::PTR(PTR(n("x.isp.test."))),
            ),
        ];
        records.extend(extra);
        ZoneCopy::new(
            &apex,
            net::Transferred {
                records,
                serial: 7,
                bytes: 0,
                elapsed: Duration::ZERO,
            },
        )
    }

    #[test]
    fn a_copy_answers_what_it_holds_and_nothing_else() {
        let c = copy();
        let m = c
            .answer(&n("25.113.0.203.IN-ADDR.arpa."), RecordType::PTR, true)
            .unwrap();
        assert!(m.metadata.authoritative);
        assert_eq!(m.answers.len(), 1);
        assert_eq!(m.queries[0].name(), &n("25.113.0.203.IN-ADDR.arpa."));
        // A CNAME answers any type at its name (RFC 2317 classless delegation).
        let m = c
            .answer(&n("70.113.0.203.in-addr.arpa."), RecordType::PTR, false)
            .unwrap();
        assert_eq!(m.answers[0].record_type(), RecordType::CNAME);
        // An absent name is NXDOMAIN, an empty non-terminal NODATA, both with the SOA at
        // its MINIMUM TTL (RFC 2308 §3).
        let m = c
            .answer(&n("26.113.0.203.in-addr.arpa."), RecordType::PTR, true)
            .unwrap();
        assert_eq!(
            m.metadata.response_code,
            hickory_proto::op::ResponseCode::NXDomain
        );
        assert!(m.answers.is_empty());
        assert_eq!(m.authorities.len(), 1);
        assert_eq!(m.authorities[0].ttl, 60);
        let m = c
            .answer(&n("b.113.0.203.in-addr.arpa."), RecordType::PTR, false)
            .unwrap();
        assert_eq!(
            m.metadata.response_code,
            hickory_proto::op::ResponseCode::NoError
        );
        assert!(m.answers.is_empty());
        // Names at or below a cut and names outside the zone are asked instead.
        assert!(
            c.answer(
                &n("70.64-26.113.0.203.in-addr.arpa."),
                RecordType::PTR,
                false
            )
            .is_none()
        );
        assert!(
            c.answer(&n("64-26.113.0.203.in-addr.arpa."), RecordType::NS, false)
                .is_none()
        );
        assert!(
            c.answer(&n("1.114.0.203.in-addr.arpa."), RecordType::PTR, false)
                .is_none()
        );
        // A wildcard would answer instead of NXDOMAIN: negative answers are asked.
        let wild = Record::from_rdata(
            n("*.113.0.203.in-addr.arpa."),
            60,
            RData::PTR(PTR(n("any.isp.test."))),
        );
        let c = copy_with(vec![wild]);
        assert!(
            c.answer(&n("26.113.0.203.in-addr.arpa."), RecordType::PTR, false)
                .is_none()
        );
        assert!(
            c.answer(&n("25.113.0.203.in-addr.arpa."), RecordType::PTR, false)
                .is_some()
        );
    }
}
