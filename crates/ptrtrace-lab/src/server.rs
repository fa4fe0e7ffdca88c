//! A small authoritative DNS server for the lab, over real UDP and TCP sockets on loopback.
//!
//! It implements the authoritative algorithm of RFC 1034 §4.3.2 for the zones it is given:
//! find the closest zone, stop at a zone cut with a referral (AA=0, NS in authority, glue in
//! additional), answer data with AA=1, or answer NXDOMAIN/NODATA with the SOA (RFC 2308 §2).
//! CNAMEs are returned, not chased. Queries for names outside its zones get REFUSED, as BIND,
//! NSD and Knot do. Fault knobs ([`Fault`]) make it misbehave on purpose.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hickory_proto::dnssec::rdata::{DNSSECRData, RRSIG};
use hickory_proto::op::{Edns, Message, MessageType, ResponseCode};
use hickory_proto::rr::rdata::NS;
use hickory_proto::rr::{Name, RData, Record, RecordType};
use hickory_proto::serialize::txt::Parser;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};
use tokio::task::JoinHandle;

/// One zone's records, indexed by owner name.
#[derive(Debug, Clone)]
pub struct ZoneData {
    /// Apex.
    pub origin: Name,
    pub(super) records: BTreeMap<Name, Vec<Record>>,
    /// RRSIGs by owner and type covered (empty for an unsigned zone).
    pub(super) sigs: BTreeMap<(Name, RecordType), Vec<Record>>,
    /// True once signed (lab/sign.rs).
    pub(super) signed: bool,
}

/// A lab zone text that does not parse.
#[derive(Debug, thiserror::Error)]
#[error("lab zone {origin}: {message}")]
pub struct ZoneError {
    origin: String,
    message: String,
}

impl ZoneError {
    pub(super) fn new(origin: &str, message: String) -> Self {
        Self {
            origin: origin.to_string(),
            message,
        }
    }
}

impl ZoneData {
    /// Parses master-file text (RFC 1035 §5) for the zone `origin`.
    ///
    /// # Errors
    /// When the text does not parse or has no SOA at the apex.
    pub fn parse(origin: &str, text: &str) -> Result<Self, ZoneError> {
        let err = |message: String| ZoneError {
            origin: origin.to_string(),
            message,
        };
        let apex = Name::from_ascii(origin).map_err(|e| err(e.to_string()))?;
        let (apex, sets) = Parser::new(text, None, Some(apex))
            .parse()
            .map_err(|e| err(e.to_string()))?;
        let mut records: BTreeMap<Name, Vec<Record>> = BTreeMap::new();
        for set in sets.values() {
            for r in set.records_without_rrsigs() {
                records
                    .entry(r.name.to_lowercase())
                    .or_default()
                    .push(r.clone());
            }
        }
        let data = Self {
            origin: apex.to_lowercase(),
            records,
            sigs: BTreeMap::new(),
            signed: false,
        };
        if data.get(&data.origin, RecordType::SOA).is_empty() {
            return Err(err("no SOA record at the apex".into()));
        }
        Ok(data)
    }

    /// The RRSIGs over one RRset.
    pub(super) fn sigs_for(&self, name: &Name, rtype: RecordType) -> Vec<Record> {
        self.sigs
            .get(&(name.clone(), rtype))
            .cloned()
            .unwrap_or_default()
    }

    /// The NSEC record whose span covers `name` (owner < name < next, canonical order).
    fn nsec_covering(&self, name: &Name) -> Option<Record> {
        let nsec_in = |rs: &Vec<Record>| {
            rs.iter()
                .find(|r| r.record_type() == RecordType::NSEC)
                .cloned()
        };
        self.records
            .range(..name.clone())
            .rev()
            .find_map(|(_, rs)| nsec_in(rs))
            .or_else(|| {
                // Before the apex nothing sorts; the last NSEC wraps round.
                self.records.values().rev().find_map(nsec_in)
            })
    }

    /// The records of one RRset.
    pub(super) fn get(&self, name: &Name, rtype: RecordType) -> Vec<Record> {
        self.records
            .get(name)
            .map(|v| {
                v.iter()
                    .filter(|r| r.record_type() == rtype)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    fn soa(&self) -> Vec<Record> {
        self.get(&self.origin, RecordType::SOA)
    }

    /// The serial of the zone's SOA.
    #[must_use]
    pub fn serial(&self) -> u32 {
        self.soa()
            .first()
            .and_then(|r| match &r.data {
                RData::SOA(s) => Some(s.serial),
                _ => None,
            })
            .unwrap_or(0)
    }

    /// The zone cut (delegation point) between the apex and `qname`, closest to the apex.
    /// A DS question is answered by the parent side of a cut at the name itself.
    fn cut_for(&self, qname: &Name, qtype: RecordType) -> Option<Name> {
        let apex_labels = self.origin.num_labels();
        let q_labels = qname.num_labels();
        let last = if qtype == RecordType::DS {
            q_labels.saturating_sub(1)
        } else {
            q_labels
        };
        (apex_labels + 1..=last)
            .map(|n| qname.trim_to(usize::from(n)))
            .find(|cand| !self.get(cand, RecordType::NS).is_empty())
    }

    fn glue_for(&self, ns: &[Record]) -> Vec<Record> {
        let mut glue = Vec::new();
        for r in ns {
            if let RData::NS(NS(target)) = &r.data {
                let t = target.to_lowercase();
                glue.extend(self.get(&t, RecordType::A));
                glue.extend(self.get(&t, RecordType::AAAA));
            }
        }
        glue
    }

    fn name_or_descendant_exists(&self, qname: &Name) -> bool {
        self.records.keys().any(|k| qname.zone_of(k))
    }
}

/// How a lab server misbehaves.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Answer correctly.
    None,
    /// RCODE REFUSED to everything.
    Refuse,
    /// RCODE SERVFAIL to everything.
    Servfail,
    /// Correct data, but AA=0.
    NoAa,
    /// A referral to the root instead of an answer (AA=0).
    UpwardReferral,
    /// Never reply (UDP and TCP).
    Drop,
    /// Drop every `n`th UDP query of each question (2 = every other one, half of them).
    /// TCP is spared: it retransmits, so packet loss shows as delay there, not loss.
    DropEvery(u32),
    /// Wait this long before each reply.
    Delay(Duration),
    /// UDP replies always have TC=1 and no records; TCP answers fully.
    Truncate,
    /// No TCP listener: connections are refused.
    TcpOff,
    /// Truncate UDP replies and have no TCP listener: the answer cannot be had.
    TruncateNoTcp,
    /// Drop every query that carries an EDNS OPT record (a broken middlebox or old server).
    NoEdns,
    /// Reply with the query ID plus one: replies that must not be believed.
    WrongId,
    /// Reply from another socket (another source port).
    WrongSource,
    /// A referral to an unrelated zone (`elsewhere.example.`) instead of an answer.
    ReferElsewhere,
    /// RCODE FORMERR to everything.
    Formerr,
    /// Reply with the right ID followed by bytes that are not a DNS message.
    Garbage,
    /// Never reply to questions of this type (a server that answers SOA but not PTR).
    DropType(RecordType),
    /// Cut every reply to two thirds of its length (a message that ends mid-record).
    CutShort,
    /// Answer with a record whose owner name is a compression pointer to itself.
    CompressionLoop,
    /// Reply with the right ID but another question: must not be believed.
    WrongQuestion,
    /// Send a copy with a wrong ID first, then the real reply: the real one must be accepted.
    SpoofFirst,
    /// Pad PTR answers with thousands of additional records: a ~62 KB reply, over TCP.
    HugeAdditional,
    /// Truncate UDP; over TCP read the query and never answer.
    TcpStall,
    /// Truncate UDP; over TCP send a length prefix and then nothing.
    TcpPrefixStall,
    /// Drop this share (per mille) of UDP queries, at random but reproducibly: whether the
    /// k-th query of a question is dropped depends only on (seed, question, k), not on how
    /// queries from concurrent questions interleave.
    DropRandom {
        /// Share dropped, per mille (300 = 30%).
        per_mille: u32,
        /// Seed.
        seed: u64,
    },
    /// Response rate limiting as BIND does it (`rate-limit { responses-per-second N; slip
    /// S; }`), over UDP only: identical responses (same name and type) earn `per_second`
    /// credits a second, at most `per_second` banked; one without credit is dropped, except
    /// every `slip`-th, which is sent truncated and empty (TC=1, "slipped": the client retries
    /// over TCP). `slip` 0 drops them all.
    Rrl {
        /// Identical responses per second.
        per_second: u32,
        /// Every slip-th limited response is sent as TC=1 instead of dropped (0: never).
        slip: u32,
    },
    /// Fuzzing: damage replies at random (flip, cut, insert bytes), reproducibly from a seed.
    Mutate(u64),
    /// Harmless: add the zone's NS records and their addresses to authoritative answers, as
    /// servers without minimal responses do.
    NonMinimal,
    /// Ignore the DO bit: no RRSIGs, no NSEC (a server given an unsigned copy of a signed
    /// zone, or software that strips DNSSEC records).
    StripDnssec,
    /// Signed answers, but negative answers come without their NSEC proof.
    NoDenial,
    /// RRSIGs whose signature bytes are damaged: they do not verify.
    BadSignature,
}

/// A running lab server: one UDP socket and one TCP listener on the same loopback port.
#[derive(Debug)]
pub struct LabServer {
    /// Where it listens.
    pub addr: SocketAddr,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for LabServer {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

struct Shared {
    zones: Vec<Arc<ZoneData>>,
    fault: Fault,
    /// Faults apply only to questions inside this zone (None: to all).
    fault_zone: Option<Name>,
    counters: Mutex<HashMap<(Name, RecordType), u32>>,
    /// RRL credit per (name, type): balance and when it was last refilled; and the number of
    /// limited responses (for slips).
    rrl: Mutex<HashMap<(Name, RecordType), (f64, std::time::Instant)>>,
    rrl_limited: Mutex<u32>,
    rng: Mutex<rand::rngs::StdRng>,
}

impl LabServer {
    /// Binds UDP and TCP on one free port of 127.0.0.1 and starts serving.
    ///
    /// # Errors
    /// When no port can be bound.
    pub async fn start(
        zones: Vec<Arc<ZoneData>>,
        fault: Fault,
        fault_zone: Option<Name>,
    ) -> std::io::Result<Self> {
        Self::start_at(zones, fault, fault_zone, None).await
    }

    /// Like [`LabServer::start`], on a given address and port (`lab serve`), or on a free
    /// port of 127.0.0.1 when `at` is None.
    ///
    /// # Errors
    /// When the address cannot be bound (in use, or not a local address).
    pub async fn start_at(
        zones: Vec<Arc<ZoneData>>,
        fault: Fault,
        fault_zone: Option<Name>,
        at: Option<SocketAddr>,
    ) -> std::io::Result<Self> {
        let seed = if let Fault::Mutate(seed) = fault {
            seed
        } else {
            0
        };
        let shared = Arc::new(Shared {
            zones,
            fault,
            fault_zone,
            counters: Mutex::new(HashMap::new()),
            rrl: Mutex::new(HashMap::new()),
            rrl_limited: Mutex::new(0),
            rng: Mutex::new(<rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(
                seed,
            )),
        });
        if let Some(at) = at {
            let udp = UdpSocket::bind(at).await?;
            if matches!(shared.fault, Fault::TcpOff | Fault::TruncateNoTcp) {
                return Ok(Self::spawn(udp, None, at, shared));
            }
            let tcp = TcpListener::bind(at).await?;
            return Ok(Self::spawn(udp, Some(tcp), at, shared));
        }
        // Find a port free for both UDP and TCP.
        let mut last_err = None;
        for _ in 0..20 {
            let udp = UdpSocket::bind("127.0.0.1:0").await?;
            let addr = udp.local_addr()?;
            if matches!(shared.fault, Fault::TcpOff | Fault::TruncateNoTcp) {
                // No TCP listener at all.
                return Ok(Self::spawn(udp, None, addr, shared));
            }
            match TcpListener::bind(addr).await {
                Ok(tcp) => return Ok(Self::spawn(udp, Some(tcp), addr, shared)),
                Err(e) => last_err = Some(e),
            }
        }
        Err(last_err.unwrap_or_else(|| std::io::Error::other("no free port")))
    }

    /// A loopback port with nothing listening: UDP gets ICMP port unreachable, TCP is refused.
    ///
    /// # Errors
    /// When no port can be bound to find a free one.
    pub async fn closed_port() -> std::io::Result<SocketAddr> {
        let udp = UdpSocket::bind("127.0.0.1:0").await?;
        let addr = udp.local_addr()?;
        drop(udp);
        Ok(addr)
    }

    fn spawn(
        udp: UdpSocket,
        tcp: Option<TcpListener>,
        addr: SocketAddr,
        shared: Arc<Shared>,
    ) -> Self {
        let mut tasks = Vec::new();
        let udp = Arc::new(udp);
        let s = Arc::clone(&shared);
        tasks.push(tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            loop {
                let Ok((n, peer)) = udp.recv_from(&mut buf).await else {
                    continue;
                };
                let data = buf[..n].to_vec();
                let (s, udp) = (Arc::clone(&s), Arc::clone(&udp));
                tokio::spawn(async move {
                    let Some((reply, fault)) = s.handle(&data, true).await else {
                        return;
                    };
                    if fault == Fault::SpoofFirst && reply.len() >= 2 {
                        let mut spoof = reply.clone();
                        spoof[0] ^= 0x55;
                        let _ = udp.send_to(&spoof, peer).await;
                    }
                    if fault == Fault::WrongSource {
                        if let Ok(other) = UdpSocket::bind("127.0.0.1:0").await {
                            let _ = other.send_to(&reply, peer).await;
                        }
                    } else {
                        let _ = udp.send_to(&reply, peer).await;
                    }
                });
            }
        }));
        if let Some(tcp) = tcp {
            let s = Arc::clone(&shared);
            tasks.push(tokio::spawn(async move {
                loop {
                    let Ok((mut stream, _)) = tcp.accept().await else {
                        continue;
                    };
                    let s = Arc::clone(&s);
                    tokio::spawn(async move {
                        let mut len = [0u8; 2];
                        if stream.read_exact(&mut len).await.is_err() {
                            return;
                        }
                        let mut data = vec![0u8; usize::from(u16::from_be_bytes(len))];
                        if stream.read_exact(&mut data).await.is_err() {
                            return;
                        }
                        let Some((reply, fault)) = s.handle(&data, false).await else {
                            return;
                        };
                        if matches!(fault, Fault::TcpStall | Fault::TcpPrefixStall) {
                            if fault == Fault::TcpPrefixStall {
                                let _ = stream.write_all(&[0x01, 0x00]).await;
                            }
                            tokio::time::sleep(Duration::from_secs(60)).await;
                            return;
                        }
                        if let Ok(l) = u16::try_from(reply.len()) {
                            let mut out = l.to_be_bytes().to_vec();
                            out.extend_from_slice(&reply);
                            let _ = stream.write_all(&out).await;
                        }
                    });
                }
            }));
        }
        Self { addr, tasks }
    }
}

impl Shared {
    /// The reply to one query (None: stay silent), and the fault applied to it.
    async fn handle(&self, data: &[u8], udp: bool) -> Option<(Vec<u8>, Fault)> {
        let query = Message::from_vec(data).ok()?;
        let q = query.queries.first()?.clone();
        let qname = q.name().to_lowercase();
        let faulty = self.fault_zone.as_ref().is_none_or(|z| z.zone_of(&qname));
        let fault = if faulty {
            self.fault.clone()
        } else {
            Fault::None
        };
        match fault {
            Fault::Drop => return None,
            Fault::DropType(t) if t == q.query_type() => return None,
            Fault::CompressionLoop => return Some((compression_loop(data)?, fault)),
            Fault::Garbage => {
                let mut junk = query.metadata.id.to_be_bytes().to_vec();
                junk.extend_from_slice(&[0x84, 0x00, 0xff, 0xff, 0xde, 0xad, 0xbe, 0xef]);
                return Some((junk, fault));
            }
            Fault::NoEdns if query.edns.is_some() => return None,
            Fault::DropEvery(n) if udp => {
                let count = {
                    let mut c = self.counters.lock().ok()?;
                    let e = c.entry((qname.clone(), q.query_type())).or_insert(0);
                    *e += 1;
                    *e
                };
                if n > 0 && count % n == 0 {
                    return None;
                }
            }
            Fault::DropRandom { per_mille, seed } if udp => {
                let count = {
                    let mut c = self.counters.lock().ok()?;
                    let e = c.entry((qname.clone(), q.query_type())).or_insert(0);
                    *e += 1;
                    *e
                };
                let mut h = std::collections::hash_map::DefaultHasher::new();
                std::hash::Hash::hash(
                    &(seed, qname.to_string(), u16::from(q.query_type()), count),
                    &mut h,
                );
                if std::hash::Hasher::finish(&h) % 1000 < u64::from(per_mille) {
                    return None;
                }
            }
            Fault::Rrl { per_second, slip } if udp => {
                let allowed = {
                    let mut m = self.rrl.lock().ok()?;
                    let now = std::time::Instant::now();
                    let rate = f64::from(per_second);
                    let e = m
                        .entry((qname.clone(), q.query_type()))
                        .or_insert((rate, now));
                    e.0 = (e.0 + now.duration_since(e.1).as_secs_f64() * rate).min(rate);
                    e.1 = now;
                    if e.0 >= 1.0 {
                        e.0 -= 1.0;
                        true
                    } else {
                        false
                    }
                };
                if !allowed {
                    let n = {
                        let mut c = self.rrl_limited.lock().ok()?;
                        *c += 1;
                        *c
                    };
                    if slip == 0 || n % slip != 0 {
                        return None;
                    }
                    let mut tc = Message::new(
                        query.metadata.id,
                        MessageType::Response,
                        query.metadata.op_code,
                    );
                    tc.add_query(q.clone());
                    tc.metadata.truncation = true;
                    return Some((tc.to_vec().ok()?, fault));
                }
            }
            Fault::Delay(d) => tokio::time::sleep(d).await,
            _ => {}
        }
        let q = if fault == Fault::WrongQuestion {
            let mut other = q.clone();
            other.set_name(q.name().prepend_label("x").ok()?);
            other
        } else {
            q
        };
        let id = if fault == Fault::WrongId {
            query.metadata.id.wrapping_add(1)
        } else {
            query.metadata.id
        };
        let mut resp = Message::new(id, MessageType::Response, query.metadata.op_code);
        resp.metadata.recursion_desired = query.metadata.recursion_desired;
        resp.add_query(q.clone());
        let max = query
            .edns
            .as_ref()
            .map_or(512, |e| e.max_payload().max(512));
        if query.edns.is_some() {
            let mut edns = Edns::new();
            edns.set_max_payload(1232);
            resp.set_edns(edns);
        }
        match fault {
            Fault::Refuse => resp.metadata.response_code = ResponseCode::Refused,
            Fault::Servfail => resp.metadata.response_code = ResponseCode::ServFail,
            Fault::Formerr => resp.metadata.response_code = ResponseCode::FormErr,
            Fault::ReferElsewhere => {
                let elsewhere = Name::from_ascii("elsewhere.example.").ok()?;
                let ns = Name::from_ascii("ns1.elsewhere.example.").ok()?;
                resp.add_authority(Record::from_rdata(elsewhere, 86_400, RData::NS(NS(ns))));
            }
            Fault::UpwardReferral => {
                let root_ns = Record::from_rdata(
                    Name::root(),
                    518_400,
                    RData::NS(NS(Name::from_ascii("a.root-servers.example.").ok()?)),
                );
                resp.add_authority(root_ns);
            }
            _ => {
                let dnssec_ok = query.edns.as_ref().is_some_and(|e| e.flags().dnssec_ok);
                let sec = Sec {
                    on: dnssec_ok && fault != Fault::StripDnssec,
                    denial: fault != Fault::NoDenial,
                    corrupt: fault == Fault::BadSignature,
                };
                self.answer(
                    &qname,
                    q.query_type(),
                    &mut resp,
                    fault == Fault::NonMinimal,
                    sec,
                );
            }
        }
        if let Some(e) = resp.edns.as_mut()
            && query.edns.as_ref().is_some_and(|e| e.flags().dnssec_ok)
        {
            e.set_dnssec_ok(true);
        }
        if fault == Fault::NoAa {
            resp.metadata.authoritative = false;
        }
        if fault == Fault::HugeAdditional && q.query_type() == RecordType::PTR {
            let pad = Name::from_ascii("pad.isp.example.").ok()?;
            for i in 0..3_800u32 {
                let [a, b, c, d] = i.to_be_bytes();
                let ip = std::net::Ipv4Addr::new(10 + a, b, c, d);
                resp.add_additional(Record::from_rdata(pad.clone(), 60, RData::A(ip.into())));
            }
        }
        let mut wire = resp.to_vec().ok()?;
        if fault == Fault::CutShort {
            wire.truncate(wire.len() * 2 / 3);
        }
        if let Fault::Mutate(_) = fault
            && let Ok(mut rng) = self.rng.lock()
        {
            mutate(&mut wire, &mut rng);
        }
        let truncate = matches!(
            fault,
            Fault::Truncate | Fault::TruncateNoTcp | Fault::TcpStall | Fault::TcpPrefixStall
        );
        if udp && (truncate || wire.len() > usize::from(max)) {
            resp.answers.clear();
            resp.authorities.clear();
            resp.additionals.clear();
            resp.metadata.truncation = true;
            wire = resp.to_vec().ok()?;
        }
        Some((wire, fault))
    }

    fn answer(
        &self,
        qname: &Name,
        qtype: RecordType,
        resp: &mut Message,
        non_minimal: bool,
        sec: Sec,
    ) {
        // A DS question is answered from the parent of a cut at the name (RFC 4035 §3.1.4.1):
        // a server with both zones picks the parent.
        let Some(zone) = self
            .zones
            .iter()
            .filter(|z| z.origin.zone_of(qname))
            .filter(|z| !(qtype == RecordType::DS && z.origin == *qname && !qname.is_root()))
            .max_by_key(|z| z.origin.num_labels())
        else {
            resp.metadata.response_code = ResponseCode::Refused;
            return;
        };
        let sigs = |name: &Name, t: RecordType| -> Vec<Record> {
            if !sec.on {
                return Vec::new();
            }
            let mut v = zone.sigs_for(name, t);
            if sec.corrupt {
                for r in &mut v {
                    if let RData::DNSSEC(DNSSECRData::RRSIG(s)) = &r.data {
                        let mut bytes = s.sig().to_vec();
                        if let Some(b) = bytes.first_mut() {
                            *b ^= 0xff;
                        }
                        r.data = RData::DNSSEC(DNSSECRData::RRSIG(RRSIG::from_sig(
                            s.input().clone(),
                            bytes,
                        )));
                    }
                }
            }
            v
        };
        let with_sigs = |set: Vec<Record>| -> Vec<Record> {
            let mut out = set.clone();
            if let Some(first) = set.first() {
                out.extend(sigs(&first.name, first.record_type()));
            }
            out
        };
        if let Some(cut) = zone.cut_for(qname, qtype) {
            // RFC 1034 §4.3.2 step 3b: a referral, not authoritative. Signed: the DS, or the
            // NSEC proving there is none (RFC 4035 §3.1.4).
            let ns = zone.get(&cut, RecordType::NS);
            let glue = zone.glue_for(&ns);
            resp.add_authorities(ns);
            if sec.on && zone.signed {
                let ds = zone.get(&cut, RecordType::DS);
                if ds.is_empty() {
                    resp.add_authorities(with_sigs(zone.get(&cut, RecordType::NSEC)));
                } else {
                    resp.add_authorities(with_sigs(ds));
                }
            }
            resp.add_additionals(glue);
            return;
        }
        resp.metadata.authoritative = true;
        let data = zone.get(qname, qtype);
        if !data.is_empty() {
            resp.add_answers(with_sigs(data));
            if non_minimal {
                let ns = zone.get(&zone.origin, RecordType::NS);
                resp.add_additionals(zone.glue_for(&ns));
                resp.add_authorities(ns);
            }
            return;
        }
        let cname = zone.get(qname, RecordType::CNAME);
        if !cname.is_empty() {
            resp.add_answers(with_sigs(cname));
            return;
        }
        let exists = zone.name_or_descendant_exists(qname);
        if !exists {
            resp.metadata.response_code = ResponseCode::NXDomain;
        }
        resp.add_authorities(with_sigs(zone.soa()));
        if !(sec.on && sec.denial && zone.signed) {
            return;
        }
        // The NSEC proof (RFC 4035 §3.1.3): NODATA shows the name's types; NXDOMAIN covers
        // the name and the wildcard at its closest encloser.
        let mut proof: Vec<Record> = Vec::new();
        let at_name = zone.get(qname, RecordType::NSEC);
        if exists && !at_name.is_empty() {
            proof = at_name;
        } else if let Some(n) = zone.nsec_covering(qname) {
            proof.push(n);
            if !exists {
                let mut ce = qname.base_name();
                while !zone.name_or_descendant_exists(&ce) && !ce.is_root() {
                    ce = ce.base_name();
                }
                if let Ok(wild) = ce.prepend_label("*")
                    && let Some(w) = zone.nsec_covering(&wild)
                    && !proof.contains(&w)
                {
                    proof.push(w);
                }
            }
        }
        for n in proof {
            resp.add_authorities(with_sigs(vec![n]));
        }
    }
}

/// How a reply carries DNSSEC records.
#[derive(Debug, Clone, Copy)]
struct Sec {
    /// The query had DO=1 and the server does DNSSEC: add RRSIGs and proofs.
    on: bool,
    /// Add NSEC proofs to negative answers.
    denial: bool,
    /// Damage the signatures.
    corrupt: bool,
}

/// A reply whose one answer record's owner name is a compression pointer to itself
/// (RFC 1035 §4.1.4 pointers must point backwards; this one loops).
fn compression_loop(query: &[u8]) -> Option<Vec<u8>> {
    // The question ends after the QNAME's zero label and QTYPE/QCLASS.
    let mut pos = 12;
    loop {
        let len = usize::from(*query.get(pos)?);
        if len == 0 {
            pos += 1;
            break;
        }
        if len & 0xc0 != 0 {
            return None;
        }
        pos += 1 + len;
    }
    let question = query.get(12..pos + 4)?;
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(query.get(0..2)?);
    out.extend_from_slice(&[0x84, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00]);
    out.extend_from_slice(question);
    let here = u16::try_from(out.len()).ok()?;
    out.extend_from_slice(&(0xc000 | here).to_be_bytes());
    out.extend_from_slice(&[0x00, 0x0c, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x02]);
    out.extend_from_slice(&(0xc000 | here).to_be_bytes());
    Some(out)
}

/// Damages a reply the way broken middleboxes and fuzzers do. The ID is kept most of the
/// time, so the damaged message reaches the parser instead of being discarded unread.
fn mutate(wire: &mut Vec<u8>, rng: &mut rand::rngs::StdRng) {
    use rand::RngExt;
    let rounds = rng.random_range(1..=4);
    for _ in 0..rounds {
        if wire.is_empty() {
            wire.push(0);
        }
        let at = rng.random_range(0..wire.len());
        match rng.random_range(0..5u8) {
            0 => wire[at] ^= 1 << rng.random_range(0..8u8),
            1 => wire[at] = rng.random_range(0..=255u8),
            2 => wire.truncate(at.max(2)),
            3 => wire.insert(at, rng.random_range(0..=255u8)),
            _ => {
                // A compression pointer to a random offset.
                let ptr = 0xc000 | u16::try_from(rng.random_range(0..wire.len())).unwrap_or(0);
                let [hi, lo] = ptr.to_be_bytes();
                wire[at] = hi;
                if at + 1 < wire.len() {
                    wire[at + 1] = lo;
                }
            }
        }
    }
    if rng.random_range(0..10u8) == 0 && wire.len() >= 2 {
        wire[0] ^= 0xff;
    }
}
