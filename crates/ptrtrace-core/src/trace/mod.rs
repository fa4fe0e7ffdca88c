//! The iterative walk (RFC 1034 §5.3.3, DESIGN.md "The walk").
//!
//! One [`Walker`] owns all state and a set of in-flight probes. Each finished probe is
//! classified and may open new work: a referral enters the child zone and probes every address
//! of every NS name it gives; an NS name without glue is resolved by a nested question from the
//! closest known zone (cached for the run); a CNAME opens a question for its target (RFC 2317);
//! a PTR answer opens the forward questions of FCrDNS. Because work opens as soon as *one*
//! server refers, the walk descends on the first referral while slower servers are still being
//! asked, and a silent server costs one timeout in total, not one per level.
//!
//! Every bound (query budget, depth, CNAME chain, NS fan-out, nesting, deadline) stops work
//! with a [`LimitHit`] that diagnosis turns into a `limit_exceeded` finding.

pub mod classify;
pub mod pace;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use hickory_proto::op::Message;
use hickory_proto::rr::{Name, RData, RecordType};

use crate::hints::RootHints;
use crate::model::finding::Limit;
use crate::model::reply::Reply;
pub use crate::model::reply::{LameReason, ReplyClass, Silence, rcode_name};
pub use crate::model::walk::{
    AttemptRecord, CnameLoop, CutSeen, DelegationSeen, LimitHit, Probe, ProbeKind, Purpose, QId,
    Question, Walk, Zone, forward_type,
};
use crate::net::{self, AddressMap, Attempt, Outcome, QuerySpec};

/// Which address families ptrtrace sends queries over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Families {
    /// Query IPv4 server addresses.
    pub v4: bool,
    /// Query IPv6 server addresses.
    pub v6: bool,
}

/// The validated configuration of one run (STYLE.md §2: nothing downstream re-checks strings).
#[derive(Debug, Clone)]
pub struct TraceConfig {
    /// Where the walk starts.
    pub hints: RootHints,
    /// How server addresses are reached (direct, or the lab's loopback map).
    pub map: AddressMap,
    /// Per-attempt timeout.
    pub timeout: Duration,
    /// Independent probes sent to each server address for each question.
    pub probes: u8,
    /// Gap between the probes to one address (they overlap; none waits for another's timeout).
    pub probe_spacing: Duration,
    /// Most queries one trace may send.
    pub query_budget: u32,
    /// Most zone cuts one question may descend through.
    pub max_depth: usize,
    /// Most CNAMEs one chain may follow.
    pub max_cname: usize,
    /// Most NS names used per zone.
    pub max_ns_per_zone: usize,
    /// Most addresses used per NS name.
    pub max_addrs_per_ns: usize,
    /// Most levels of nested NS-name resolution.
    pub max_nesting: u8,
    /// EDNS(0) payload size advertised.
    pub edns_payload: u16,
    /// Address families to query.
    pub families: Families,
    /// Walk the PTR names' forward records (FCrDNS).
    pub fcrdns: bool,
    /// Wall-clock limit for one trace.
    pub deadline: Duration,
    /// Most queries per second to one server address (0: unlimited). Real servers with
    /// response-rate limiting drop bursts; a careless prober would invent flakiness.
    pub rate_per_address: u32,
    /// Rounds of the whole trace; statistics and findings cover all of them.
    pub rounds: u32,
    /// Pause between rounds.
    pub interval: Duration,
    /// Most PTR names walked forward for FCrDNS.
    pub max_ptr_names: usize,
    /// The SMTP HELO/EHLO name the mail server uses, to compare with the PTR.
    pub helo: Option<Name>,
    /// Check DNSSEC: queries carry DO=1, every zone on a path is asked for its DNSKEY RRset
    /// (every server) and its DS RRset (every parent server). None: `--no-dnssec`.
    pub dnssec: Option<crate::dnssec::TrustAnchors>,
    /// Space identical UDP questions to one address as response rate limiting needs
    /// ([`pace`]). Off only for the lab's own servers, which do not rate-limit.
    pub rrl_pacing: bool,
    /// The pacer, shared by every round and target of a run (and by clones of this config).
    pub pacer: Arc<pace::Pacer>,
}

impl TraceConfig {
    /// Defaults for real use, with the given hints and address map.
    #[must_use]
    pub fn new(hints: RootHints, map: AddressMap) -> Self {
        Self {
            hints,
            map,
            timeout: Duration::from_secs(2),
            probes: 3,
            probe_spacing: Duration::from_millis(100),
            query_budget: 3000,
            max_depth: 40,
            max_cname: 8,
            max_ns_per_zone: 13,
            max_addrs_per_ns: 4,
            max_nesting: 4,
            edns_payload: 1232,
            families: Families { v4: true, v6: true },
            fcrdns: true,
            deadline: Duration::from_secs(60),
            rate_per_address: 20,
            rounds: 1,
            interval: Duration::from_secs(10),
            max_ptr_names: 8,
            helo: None,
            dnssec: Some(crate::dnssec::TrustAnchors::builtin()),
            rrl_pacing: true,
            pacer: Arc::new(pace::Pacer::default()),
        }
    }
}

/// Server addresses per zone a supporting lookup (an NS name's address, a glue check) asks.
const SUPPORT_ADDRESSES: usize = 4;

/// Most names between the zone asked and an unsigned reply's name that are checked for a
/// hidden cut, shallowest first (an ISP's /32 ip6.arpa zone answering for a /128 name has 23
/// in between; customer zones at /48, /56 and /64 are the first 8 nibbles down).
pub const MAX_CUT_CANDIDATES: usize = 8;

/// Progress of a running trace, for the CLI to render.
#[derive(Debug, Clone)]
pub enum Event {
    /// A probe finished; counts so far.
    Progress {
        /// Queries sent so far.
        sent: u32,
        /// Probes finished so far.
        done: usize,
        /// The zone of the probe that finished.
        zone: Name,
    },
}

type Pending = Pin<Box<dyn Future<Output = Done> + Send>>;

struct Job {
    question: QId,
    zone: Name,
    server: Name,
    address: IpAddr,
    seq: u8,
    kind: ProbeKind,
    sent_at: Duration,
}

struct Done {
    job: Job,
    attempts: Vec<Attempt>,
}

#[derive(Default)]
struct NsState {
    addrs: BTreeSet<IpAddr>,
    resolving: bool,
    waiters: Vec<(QId, Name)>,
}

/// The iterative walker for one target.
pub struct Walker<'a> {
    cfg: &'a TraceConfig,
    map: Arc<AddressMap>,
    started: Instant,
    questions: Vec<Question>,
    qindex: HashMap<(Name, RecordType), QId>,
    zones: BTreeMap<Name, Zone>,
    ns_state: BTreeMap<Name, NsState>,
    entered: HashSet<(QId, Name)>,
    checked: HashSet<Name>,
    dnssec_checked: HashSet<Name>,
    glue_checked: HashSet<Name>,
    scheduled: HashSet<(QId, Name, Name, IpAddr)>,
    next_free: HashMap<IpAddr, Duration>,
    probes: Vec<Probe>,
    limits: BTreeSet<LimitHit>,
    skipped: BTreeSet<IpAddr>,
    cname_loops: Vec<CnameLoop>,
    current: Option<QId>,
    support_count: HashMap<(QId, Name), usize>,
    chains: HashMap<QId, Vec<QId>>,
    budget: u32,
    budget_base: u32,
    forward_names: HashMap<QId, BTreeSet<Name>>,
    /// The cut-check question of each candidate name (not in `qindex`: a cut check is not
    /// the zone check of the same name and type).
    cut_index: HashMap<Name, QId>,
    /// (candidate name, server address) pairs already asked whether the name is a cut.
    cut_asked: HashSet<(Name, IpAddr)>,
    sent: u32,
    pending: FuturesUnordered<Pending>,
    events: Option<tokio::sync::mpsc::UnboundedSender<Event>>,
}

/// The reverse-lookup name of an address (RFC 1035 §3.5 in-addr.arpa, RFC 3596 §2.5 ip6.arpa).
///
/// ```
/// let ip: std::net::IpAddr = "203.0.113.25".parse().unwrap();
/// assert_eq!(ptrtrace_core::trace::reverse_name(ip).to_string(), "25.113.0.203.in-addr.arpa.");
/// let ip: std::net::IpAddr = "2001:db8::1".parse().unwrap();
/// assert!(ptrtrace_core::trace::reverse_name(ip).to_string().ends_with(".8.b.d.0.1.0.0.2.ip6.arpa."));
/// ```
#[must_use]
pub fn reverse_name(ip: IpAddr) -> Name {
    Name::from(ip).to_lowercase()
}

/// Traces `target` and returns everything observed.
pub async fn trace(
    target: IpAddr,
    cfg: &TraceConfig,
    events: Option<tokio::sync::mpsc::UnboundedSender<Event>>,
) -> Walk {
    trace_until(target, cfg, events, None).await
}

/// Like [`trace`], but stops early, keeping what was gathered, when `cancel` turns true
/// (Ctrl-C). The partial walk carries a `limit_exceeded` (`interrupted`).
pub async fn trace_until(
    target: IpAddr,
    cfg: &TraceConfig,
    events: Option<tokio::sync::mpsc::UnboundedSender<Event>>,
    cancel: Option<tokio::sync::watch::Receiver<bool>>,
) -> Walk {
    let mut w = Walker::new(cfg, events);
    let rname = reverse_name(target);
    w.start_question(rname.clone(), RecordType::PTR, Purpose::Target, 0, 0, None);
    if let Some(helo) = &cfg.helo {
        w.start_question(
            helo.clone(),
            forward_type(target),
            Purpose::Helo,
            0,
            0,
            None,
        );
    }
    w.run(cancel).await;
    // Completion order is noise: sort so reports list probes and delegations stably.
    sort_probes(&mut w.probes);
    sort_delegations(&mut w.zones);
    Walk {
        target,
        reverse_name: rname,
        questions: w.questions,
        zones: w.zones,
        probes: w.probes,
        resolved_ns: w
            .ns_state
            .into_iter()
            .filter(|(_, s)| s.resolving)
            .map(|(n, s)| (n, s.addrs))
            .collect(),
        limits: w.limits.into_iter().collect(),
        cname_loops: w.cname_loops,
        queries_sent: w.sent,
        elapsed_ms: u64::try_from(w.started.elapsed().as_millis()).unwrap_or(u64::MAX),
        families: (cfg.families.v4, cfg.families.v6),
        fcrdns: cfg.fcrdns,
        rounds: 1,
        skipped: w.skipped,
        helo: cfg.helo.clone(),
        port: cfg.map.port(),
        dnssec: cfg.dnssec.clone(),
    }
}

impl<'a> Walker<'a> {
    fn new(
        cfg: &'a TraceConfig,
        events: Option<tokio::sync::mpsc::UnboundedSender<Event>>,
    ) -> Self {
        let mut w = Walker {
            cfg,
            map: Arc::new(cfg.map.clone()),
            started: Instant::now(),
            questions: Vec::new(),
            qindex: HashMap::new(),
            zones: BTreeMap::new(),
            ns_state: BTreeMap::new(),
            entered: HashSet::new(),
            checked: HashSet::new(),
            dnssec_checked: HashSet::new(),
            glue_checked: HashSet::new(),
            scheduled: HashSet::new(),
            next_free: HashMap::new(),
            probes: Vec::new(),
            limits: BTreeSet::new(),
            skipped: BTreeSet::new(),
            cname_loops: Vec::new(),
            current: None,
            support_count: HashMap::new(),
            chains: HashMap::new(),
            budget: cfg.query_budget,
            budget_base: 0,
            forward_names: HashMap::new(),
            cut_index: HashMap::new(),
            cut_asked: HashSet::new(),
            sent: 0,
            pending: FuturesUnordered::new(),
            events,
        };
        w.install_root();
        w
    }

    /// The questions of one chain (a question and the CNAME targets it led to).
    fn chain(&self, origin: QId) -> Vec<QId> {
        self.chains.get(&origin).cloned().unwrap_or_default()
    }

    /// One target's part of a shared batch walk, as a walk of its own: its question first, the
    /// forward lookups of its PTR names, every zone on those paths and its ancestors, the NS
    /// name lookups those zones needed, and their zone and glue checks.
    #[allow(clippy::too_many_lines)]
    fn view(&self, target: IpAddr, q0: QId) -> Walk {
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
            .filter_map(|d| classify::ptr_in(&d).and_then(|n| Name::from_ascii(n).ok()))
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
        let mut zones: BTreeSet<Name> = BTreeSet::new();
        let mut frontier: Vec<QId> = wanted.iter().copied().collect();
        while let Some(q) = frontier.pop() {
            for z in &self.questions[q].zones {
                let mut cur = Some(z.clone());
                while let Some(zname) = cur {
                    if !zones.insert(zname.clone()) {
                        break;
                    }
                    let Some(zone) = self.zones.get(&zname) else {
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
                    if let Some(&cq) = self.cut_index.get(&zname) {
                        wanted.insert(cq);
                    }
                    cur = zone.parent.clone();
                }
            }
        }
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
        // Queries this target caused on its own: its chain and its forward lookups.
        let own: u32 = probes
            .iter()
            .filter(|p| {
                let origin = questions[p.question].origin;
                origin == 0 || matches!(questions[origin].purpose, Purpose::Forward { .. })
            })
            .map(|p| u32::try_from(p.attempts.len()).unwrap_or(1))
            .sum();
        let zone_map: BTreeMap<Name, Zone> = zones
            .iter()
            .filter_map(|z| self.zones.get(z).map(|v| (z.clone(), v.clone())))
            .collect();
        let ns_names: BTreeSet<&Name> = zone_map.values().flat_map(|z| z.ns.keys()).collect();
        Walk {
            target,
            reverse_name: self.questions[q0].name.clone(),
            questions,
            resolved_ns: self
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
            cname_loops: self
                .cname_loops
                .iter()
                .filter(|l| l.chain.first() == Some(&self.questions[q0].name))
                .cloned()
                .collect(),
            queries_sent: own,
            elapsed_ms: u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX),
            families: (self.cfg.families.v4, self.cfg.families.v6),
            fcrdns: self.cfg.fcrdns,
            rounds: 1,
            skipped: self.skipped.clone(),
            helo: self.cfg.helo.clone(),
            port: self.cfg.map.port(),
            dnssec: self.cfg.dnssec.clone(),
        }
    }

    /// Forgets the probes of finished targets' own questions (their chains and forward
    /// lookups), so a long batch's memory does not grow with the number of targets. Shared
    /// work (zones, NS lookups, zone checks) stays. A pruned question is closed: asking the
    /// same name again opens a new one.
    fn prune(&mut self, done: &[QId]) {
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
        for state in self.ns_state.values_mut() {
            state.waiters.retain(|(q, _)| !gone.contains(q));
        }
        self.qindex.retain(|_, q| !gone.contains(q));
        self.entered.retain(|(q, _)| !gone.contains(q));
        self.scheduled.retain(|(q, _, _, _)| !gone.contains(q));
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
    cfg: &TraceConfig,
    chunk: usize,
    events: Option<tokio::sync::mpsc::UnboundedSender<Event>>,
    cancel: Option<tokio::sync::watch::Receiver<bool>>,
    mut sink: impl FnMut(Walk),
) {
    let mut w = Walker::new(cfg, events);
    let mut targets = targets.into_iter().peekable();
    if let (Some(helo), Some(first)) = (&cfg.helo, targets.peek()) {
        w.start_question(
            helo.clone(),
            forward_type(*first),
            Purpose::Helo,
            0,
            0,
            None,
        );
    }
    loop {
        let part: Vec<IpAddr> = targets.by_ref().take(chunk.max(1)).collect();
        if part.is_empty() || cancel.as_ref().is_some_and(|c| *c.borrow()) {
            break;
        }
        // The query budget is per target: each chunk gets its targets' share.
        w.budget_base = w.sent;
        w.budget = cfg
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
        for (t, name) in rest {
            let q = w.start_question(name, RecordType::PTR, Purpose::Target, 0, 0, None);
            qids.push((t, q));
        }
        w.run(cancel.clone()).await;
        sort_delegations(&mut w.zones);
        for &(t, q) in &qids {
            sink(w.view(t, q));
        }
        let done: Vec<QId> = qids.iter().map(|(_, q)| *q).collect();
        w.prune(&done);
    }
}

impl Walker<'_> {
    fn install_root(&mut self) {
        let mut ns = BTreeMap::new();
        for s in &self.cfg.hints.servers {
            ns.insert(s.name.clone(), s.addresses.iter().copied().collect());
        }
        self.zones.insert(
            Name::root(),
            Zone {
                name: Name::root(),
                parent: None,
                ns,
                delegations: Vec::new(),
                found_inside: Vec::new(),
            },
        );
    }

    fn limit(&mut self, limit: Limit, detail: String) {
        self.limits.insert(LimitHit {
            limit,
            detail,
            question: self.current,
        });
    }

    async fn run(&mut self, mut cancel: Option<tokio::sync::watch::Receiver<bool>>) {
        let deadline = tokio::time::Instant::now() + self.cfg.deadline;
        let cancelled = async {
            match cancel.as_mut() {
                Some(rx) => {
                    let _ = rx.wait_for(|stop| *stop).await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::pin!(cancelled);
        loop {
            tokio::select! {
                () = &mut cancelled => {
                    self.current = None;
                    let left = self.pending.len();
                    self.limit(
                Limit::Interrupted,
                        format!("interrupted with {left} probes unfinished"),
                    );
                    break;
                }
                done = self.pending.next() => match done {
                    Some(done) => self.on_done(done),
                    None => break,
                },
                () = tokio::time::sleep_until(deadline) => {
                    self.current = None;
                    let left = self.pending.len();
                    self.limit(
                Limit::Deadline,
                        format!(
                            "the trace deadline of {:?} passed with {left} probes unfinished",
                            self.cfg.deadline
                        ),
                    );
                    break;
                }
            }
        }
    }

    /// Opens a question (or returns the existing one) and enters the closest known zone.
    fn start_question(
        &mut self,
        name: Name,
        qtype: RecordType,
        purpose: Purpose,
        nesting: u8,
        cname_depth: usize,
        origin: Option<QId>,
    ) -> QId {
        let key = (name.clone(), qtype);
        if let Some(&q) = self.qindex.get(&key) {
            return q;
        }
        let id = self.questions.len();
        self.chains
            .entry(origin.unwrap_or(id))
            .or_default()
            .push(id);
        self.questions.push(Question {
            name: name.clone(),
            qtype,
            purpose,
            origin: origin.unwrap_or(id),
            cname_depth,
            nesting,
            zones: Vec::new(),
        });
        self.qindex.insert(key, id);
        // Closest enclosing zone whose servers are already known (RFC 1034 §5.3.3 step 2).
        // A DS RRset lives in the parent: its question starts above the name (RFC 4035
        // §3.1.4.1), or the child's servers would answer NODATA from their apex.
        let is_ds = qtype == RecordType::DS && !name.is_root();
        // A zone's own apex checks start at the zone once its servers are known: a zone found
        // inside its parent's servers (a hidden cut) was never entered by a referral.
        let apex = matches!(&self.questions[id].purpose, Purpose::ZoneCheck { zone } if *zone == name)
            && self.zones.get(&name).is_some_and(|z| !z.ns.is_empty());
        let start = if apex {
            name.clone()
        } else {
            self.zones
                .keys()
                .filter(|z| !(is_ds && **z == name))
                .filter(|z| z.zone_of(&name) && self.entered.iter().any(|(_, e)| e == *z))
                .max_by_key(|z| z.num_labels())
                .cloned()
                .unwrap_or_else(Name::root)
        };
        self.enter(id, &start);
        id
    }

    fn enter(&mut self, q: QId, zone: &Name) {
        self.current = Some(q);
        if !self.entered.insert((q, zone.clone())) {
            return;
        }
        if self.questions[q].zones.len() >= self.cfg.max_depth {
            let name = self.questions[q].name.clone();
            self.limit(
                Limit::Depth,
                format!(
                    "{name}: more than {} zone cuts; {zone} not queried",
                    self.cfg.max_depth
                ),
            );
            return;
        }
        // Zones found hidden between the previous zone of the path and this one were crossed
        // too: a referral from their servers skipped them.
        if let Some(last) = self.questions[q].zones.last().cloned() {
            for hidden in self.hidden_between(&last, zone) {
                if !self.questions[q].zones.contains(&hidden) {
                    self.questions[q].zones.push(hidden);
                }
            }
        }
        if !self.questions[q].zones.contains(zone) {
            self.questions[q].zones.push(zone.clone());
        }
        // Zones on a path to an answer get the full checks; zones visited only to find an
        // NS name's address are probed, but not checked further (that would multiply the
        // cost of every glueless delegation by every TLD's servers).
        if self.on_path(q) && self.checked.insert(zone.clone()) {
            self.zone_checks(zone);
        }
        let ns: Vec<Name> = self
            .zones
            .get(zone)
            .map(|z| z.ns.keys().cloned().collect())
            .unwrap_or_default();
        for server in ns {
            self.schedule_ns(q, zone, &server);
        }
    }

    /// True for the questions of a path to an answer: the target's chain, forward names, HELO.
    fn on_path(&self, q: QId) -> bool {
        matches!(
            self.questions[self.questions[q].origin].purpose,
            Purpose::Target | Purpose::Cname { .. } | Purpose::Forward { .. } | Purpose::Helo
        )
    }

    /// Opens the apex SOA and NS questions of a zone and the glue checks of its in-bailiwick
    /// NS names. Called once per zone, when a question first enters it.
    fn zone_checks(&mut self, zone: &Name) {
        for qtype in [RecordType::SOA, RecordType::NS] {
            let purpose = Purpose::ZoneCheck { zone: zone.clone() };
            self.start_question(zone.clone(), qtype, purpose, 0, 0, None);
        }
        self.glue_checks(zone);
        self.dnssec_checks(zone);
    }

    /// Opens the DNSKEY question of a zone (asked of its servers) and its DS question (asked
    /// of its parent's servers), then the same for its ancestors: a chain of trust is checked
    /// from the root down, even through zones the walk entered only for supporting lookups.
    fn dnssec_checks(&mut self, zone: &Name) {
        if self.cfg.dnssec.is_none() {
            return;
        }
        let mut cur = Some(zone.clone());
        while let Some(z) = cur {
            if !self.dnssec_checked.insert(z.clone()) {
                break;
            }
            let purpose = Purpose::ZoneCheck { zone: z.clone() };
            self.start_question(z.clone(), RecordType::DNSKEY, purpose, 0, 0, None);
            if !z.is_root() {
                let purpose = Purpose::DsCheck { zone: z.clone() };
                self.start_question(z.clone(), RecordType::DS, purpose, 0, 0, None);
            }
            cur = self.zones.get(&z).and_then(|x| x.parent.clone());
        }
    }

    fn glue_checks(&mut self, zone: &Name) {
        let glued: Vec<Name> = self
            .zones
            .get(zone)
            .map(|z| {
                z.ns.iter()
                    .filter(|(n, g)| !g.is_empty() && zone.zone_of(n) && !zone.is_root())
                    .map(|(n, _)| n.clone())
                    .collect()
            })
            .unwrap_or_default();
        for ns in glued {
            if !self.glue_checked.insert(ns.clone()) {
                continue;
            }
            for (qtype, wanted) in [
                (RecordType::A, self.cfg.families.v4),
                (RecordType::AAAA, self.cfg.families.v6),
            ] {
                if wanted {
                    let purpose = Purpose::GlueCheck { zone: zone.clone() };
                    self.start_question(ns.clone(), qtype, purpose, 0, 0, None);
                }
            }
        }
    }

    fn schedule_ns(&mut self, q: QId, zone: &Name, server: &Name) {
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

    fn resolve_ns(&mut self, server: &Name, nesting: u8) {
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

    fn schedule_addr(&mut self, q: QId, zone: &Name, server: &Name, addr: IpAddr) {
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

    fn on_done(&mut self, done: Done) {
        let Done { job, attempts } = done;
        self.current = Some(job.question);
        if attempts.len() > 1 {
            self.sent += 1;
        }
        let question = &self.questions[job.question];
        let (qname, qtype) = (question.name.clone(), question.qtype);
        let last = attempts.last().map(|a| &a.outcome);
        let class = match last {
            Some(Outcome::Reply(m)) => classify::classify(m, &job.zone, &qname, qtype),
            Some(Outcome::Malformed(_)) => ReplyClass::Lame {
                reason: LameReason::Malformed,
            },
            Some(Outcome::Unreachable(_)) => ReplyClass::Silent {
                reason: Silence::Unreachable,
            },
            Some(Outcome::NotSent(_)) => ReplyClass::Silent {
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
            attempts: attempts.iter().map(Attempt::record).collect(),
            class: class.clone(),
            reply: kept.clone(),
        });
        if let Some(tx) = &self.events {
            let _ = tx.send(Event::Progress {
                sent: self.sent,
                done: self.probes.len(),
                zone: job.zone.clone(),
            });
        }
        if job.kind != ProbeKind::Standard {
            return;
        }
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

    /// Looks for the zone cuts a reply skipped (DESIGN.md "The walk", step 3; RFC 9156 §2.3):
    /// a server asked as a server of `job.zone` that refers to, or answers for, a name more
    /// than one label down may also serve a zone in between (every real root server serves
    /// `arpa.` and refers straight to `in-addr.arpa.`). The reply's own evidence says where
    /// to look: an RRSIG's signer, or a negative answer's SOA owner, names the zone that
    /// answered (nothing to find when it is the zone asked). Without evidence (unsigned, or
    /// `--no-dnssec`) every name in between is a candidate, the shallowest
    /// [`MAX_CUT_CANDIDATES`] first. Each candidate is asked once per address
    /// ([`Purpose::CutCheck`]). DS answers come from the parent side of a cut and are judged
    /// by their signer (dnssec::validate), so they are not used here.
    fn seek_cuts(&mut self, job: &Job, below: &Name, msg: &Message) {
        let zone = &job.zone;
        if !zone.zone_of(below) || below.num_labels() <= zone.num_labels() + 1 {
            return;
        }
        let (deepest, bounded) = match classify::reply_zone(msg) {
            Some(z) if z == *zone => return,
            Some(z) if z != *zone && zone.zone_of(&z) && z.zone_of(below) => (z, false),
            _ => (below.base_name(), true),
        };
        let mut candidates = Vec::new();
        let mut n = deepest;
        while n.num_labels() > zone.num_labels() {
            let up = n.base_name();
            candidates.push(n);
            n = up;
        }
        candidates.reverse();
        if bounded {
            candidates.truncate(MAX_CUT_CANDIDATES);
        }
        for name in candidates {
            // Already known to be served at this address: nothing to learn.
            let known = self
                .zones
                .get(&name)
                .is_some_and(|z| z.ns.values().any(|a| a.contains(&job.address)));
            if known || !self.cut_asked.insert((name.clone(), job.address)) {
                continue;
            }
            let q = self.cut_question(&name, zone);
            self.schedule_addr(q, zone, &job.server, job.address);
        }
    }

    /// The cut-check question of `name` (opened on first use; not in `qindex`).
    fn cut_question(&mut self, name: &Name, parent: &Name) -> QId {
        if let Some(&q) = self.cut_index.get(name) {
            return q;
        }
        let id = self.questions.len();
        self.chains.entry(id).or_default().push(id);
        self.questions.push(Question {
            name: name.clone(),
            qtype: RecordType::SOA,
            purpose: Purpose::CutCheck {
                parent: parent.clone(),
            },
            origin: id,
            cname_depth: 0,
            nesting: 0,
            zones: Vec::new(),
        });
        self.cut_index.insert(name.clone(), id);
        id
    }

    /// A cut check's reply: an authoritative SOA owned by the name means the server serves
    /// the zone below the cut; anything else (NODATA, a referral, an error) means it does not.
    fn on_cut_reply(&mut self, job: &Job, name: &Name, msg: &Message) {
        let apex = msg.metadata.authoritative
            && msg.metadata.response_code == hickory_proto::op::ResponseCode::NoError
            && msg
                .answers
                .iter()
                .any(|r| r.record_type() == RecordType::SOA && r.name.to_lowercase() == *name);
        if apex {
            self.found_cut(name, job);
        }
    }

    /// The deepest known zone strictly above `name`.
    fn enclosing_zone(&self, name: &Name) -> Name {
        self.zones
            .keys()
            .filter(|z| *z != name && z.zone_of(name))
            .max_by_key(|z| z.num_labels())
            .cloned()
            .unwrap_or_else(Name::root)
    }

    /// Zones found inside their parent's servers strictly between `top` and `bottom`,
    /// shallowest first.
    fn hidden_between(&self, top: &Name, bottom: &Name) -> Vec<Name> {
        let mut v: Vec<Name> = self
            .zones
            .iter()
            .filter(|(n, z)| {
                !z.found_inside.is_empty()
                    && *n != top
                    && *n != bottom
                    && top.zone_of(n)
                    && n.zone_of(bottom)
            })
            .map(|(n, _)| n.clone())
            .collect();
        v.sort_by_key(Name::num_labels);
        v
    }

    /// `job`'s server serves `name`, a zone whose cut its replies skipped. The zone becomes
    /// a zone like any other: the server joins its servers, zones below it hang on it, the
    /// paths that crossed it list it, and it gets its zone and DNSSEC checks.
    fn found_cut(&mut self, name: &Name, job: &Job) {
        let seen = CutSeen {
            parent: job.zone.clone(),
            server: job.server.clone(),
            address: job.address,
        };
        let parent = self.enclosing_zone(name);
        let zone = self.zones.entry(name.clone()).or_insert_with(|| Zone {
            name: name.clone(),
            parent: Some(parent),
            ns: BTreeMap::new(),
            delegations: Vec::new(),
            found_inside: Vec::new(),
        });
        if !zone.found_inside.contains(&seen) {
            zone.found_inside.push(seen);
            zone.found_inside.sort();
        }
        let fresh = zone
            .ns
            .entry(job.server.clone())
            .or_default()
            .insert(job.address);
        for (zname, z) in &mut self.zones {
            if zname == name || !name.zone_of(zname) {
                continue;
            }
            if z.parent
                .as_ref()
                .is_some_and(|p| p != name && p.zone_of(name))
            {
                z.parent = Some(name.clone());
            }
            // A referral this address gave for a zone below the cut came from the cut's data.
            for d in &mut z.delegations {
                if d.address == job.address && d.parent != *name && d.parent.zone_of(name) {
                    d.parent = name.clone();
                }
            }
        }
        // The paths that crossed the cut list it: those that went on below it (a referral
        // skipped it), and those answered from above it for a name inside it (the answer
        // came from the hidden zone).
        for q in &mut self.questions {
            if q.zones.contains(name) || q.is_cut() {
                continue;
            }
            if let Some(i) = q.zones.iter().position(|z| z != name && name.zone_of(z)) {
                if q.zones[..i].iter().any(|z| z.zone_of(name)) {
                    q.zones.insert(i, name.clone());
                }
            } else if q.name != *name
                && name.zone_of(&q.name)
                && q.zones.last().is_some_and(|z| z.zone_of(name))
            {
                q.zones.push(name.clone());
            }
        }
        if self.checked.insert(name.clone()) {
            self.zone_checks(name);
        } else if fresh {
            let already: Vec<QId> = self
                .entered
                .iter()
                .filter(|(_, z)| z == name)
                .map(|(q, _)| *q)
                .collect();
            for q in already {
                self.schedule_addr(q, name, &job.server, job.address);
            }
        }
    }

    fn on_referral(&mut self, job: &Job, r: classify::Referral) {
        let child = r.child.clone();
        let max_ns = self.cfg.max_ns_per_zone;
        let parent = self.enclosing_zone(&child);
        // The zone whose data the referral is: the one asked, or a zone below it that this
        // address was found serving (a root server's referral to in-addr.arpa. is arpa.'s).
        let given_by = self
            .hidden_between(&job.zone, &child)
            .into_iter()
            .rfind(|m| {
                self.zones
                    .get(m)
                    .is_some_and(|z| z.found_inside.iter().any(|c| c.address == job.address))
            })
            .unwrap_or_else(|| job.zone.clone());
        let zone = self.zones.entry(child.clone()).or_insert_with(|| Zone {
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
        if self.checked.contains(&child) && !added.is_empty() {
            self.glue_checks(&child);
        }
        self.enter(job.question, &child);
    }

    fn on_answer(&mut self, q: QId, msg: &Message) {
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
        if self.ns_state.contains_key(&origin_name) {
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

    fn deliver_addresses(&mut self, ns: &Name, addrs: &[IpAddr]) {
        let mut fresh = Vec::new();
        {
            let state = self.ns_state.entry(ns.clone()).or_default();
            for &ip in addrs {
                if state.addrs.len() < self.cfg.max_addrs_per_ns && state.addrs.insert(ip) {
                    fresh.push(ip);
                }
            }
        }
        let waiters = self
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

    fn follow_cname(&mut self, q: QId, target: Name) {
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

/// Traces `target` `cfg.rounds` times, `cfg.interval` apart, and merges the rounds into one
/// walk, so statistics and findings cover every round (a server that drops 1 query in 10
/// shows up with enough rounds). Stops early, keeping what it has, when `cancel` turns true.
pub async fn trace_rounds(
    target: IpAddr,
    cfg: &TraceConfig,
    events: Option<tokio::sync::mpsc::UnboundedSender<Event>>,
    cancel: Option<tokio::sync::watch::Receiver<bool>>,
) -> Walk {
    let mut merged = trace_until(target, cfg, events.clone(), cancel.clone()).await;
    for _ in 1..cfg.rounds.max(1) {
        let stopped = cancel.as_ref().is_some_and(|c| *c.borrow());
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
        self.skipped.extend(other.skipped);
        self.queries_sent += other.queries_sent;
        self.elapsed_ms += other.elapsed_ms;
        self.rounds += other.rounds;
    }
}

/// Completion order is noise: probes are listed by question, zone, server, address, number.
fn sort_probes(probes: &mut [Probe]) {
    probes.sort_by(|a, b| {
        (a.question, &a.zone, &a.server, a.address, a.seq)
            .cmp(&(b.question, &b.zone, &b.server, b.address, b.seq))
    });
}

/// Delegations are listed by parent zone, server and address.
fn sort_delegations(zones: &mut BTreeMap<Name, Zone>) {
    for z in zones.values_mut() {
        z.delegations.sort_by(|a, b| {
            (&a.parent, &a.server, a.address).cmp(&(&b.parent, &b.server, b.address))
        });
    }
}

fn reverse_is_v6(name: &Name) -> bool {
    name.to_string().ends_with("ip6.arpa.")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverse_names() {
        let v4: IpAddr = "203.0.113.25".parse().unwrap();
        assert_eq!(reverse_name(v4).to_string(), "25.113.0.203.in-addr.arpa.");
        let v6: IpAddr = "2001:db8::25".parse().unwrap();
        let n = reverse_name(v6).to_string();
        assert_eq!(
            n,
            "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa."
        );
        assert!(reverse_is_v6(&reverse_name(v6)));
        assert!(!reverse_is_v6(&reverse_name(v4)));
    }
}
