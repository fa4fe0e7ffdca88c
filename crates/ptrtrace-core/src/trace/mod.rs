//! The iterative walk (RFC 1034 §5.3.3, docs/design.md "The walk").
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
//!
//! Files by role: `config` (the run's settings), `walker` (the main loop, questions, zones
//! entered), `schedule` (probes per address, pacing, glueless NS names), `replies` (what a
//! finished probe opens), `cuts` (zone cuts a referral skipped), `checks` (per-zone SOA/NS,
//! DNSKEY/DS and glue checks), `batch` (many targets in one walk, per-target views),
//! `transfer` (a batch's zone transfers), `spread` (a batch's targets spread over a large
//! zone's servers, with a sampled agreement check),
//! `rounds` (repeated walks merged), `classify` (what one reply means), `pace` (RRL-safe
//! spacing). The data they fill is [`crate::model`].

mod batch;
mod checks;
pub mod classify;
mod config;
mod cuts;
pub mod pace;
mod replies;
mod rounds;
mod schedule;
mod spread;
mod transfer;
mod walker;

pub use batch::trace_batch;
use config::SUPPORT_ADDRESSES;
pub use config::{Families, MAX_CUT_CANDIDATES, Pacing, Session, TraceConfig};
pub use rounds::trace_rounds;
use rounds::{sort_delegations, sort_probes};
pub use spread::sample_rate;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hickory_proto::rr::{Name, RecordType};

pub use crate::model::reply::{LameReason, ReplyClass, Silence, Transport, rcode_name};
pub use crate::model::walk::{
    AttemptRecord, CnameLoop, CutSeen, DelegationSeen, LimitHit, Probe, ProbeKind, Purpose, QId,
    Question, Spread, Walk, Zone, forward_type,
};
use crate::net::{AddressMap, Attempt};

/// Progress of a running trace, for the CLI to render.
#[derive(Debug, Clone)]
pub enum Event {
    /// A probe finished; counts so far.
    Progress {
        /// Queries sent so far.
        sent: u32,
        /// Probes finished so far.
        done: usize,
        /// Probes scheduled and not finished: waiting for their slot or their address's
        /// token, or in flight (what a progress bar's ETA comes from).
        pending: usize,
        /// The zone of the probe that finished.
        zone: Name,
    },
}

struct Job {
    question: QId,
    zone: Name,
    server: Name,
    address: IpAddr,
    seq: u8,
    kind: ProbeKind,
    sent_at: Duration,
    /// Its place on the critical path (see `Probe::depth`).
    depth: u16,
    /// Waits chosen by ptrtrace on its chain (spacing, pacing), ms.
    chain_wait_ms: f64,
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

/// A useful reply to an adaptive question: which server address gave it, and what it was.
type Seen = (Name, IpAddr, ReplyClass);

/// The iterative walker for one target.
pub struct Walker<'a> {
    cfg: &'a Session,
    map: Arc<AddressMap>,
    started: Instant,
    questions: Vec<Question>,
    qindex: HashMap<(Name, RecordType), QId>,
    /// The zones met, their NS names' addresses, which were entered and checked
    /// (walker.rs).
    book: walker::ZoneBook,
    scheduled: HashSet<(QId, Name, Name, IpAddr)>,
    /// Adaptive probing (schedule.rs): what each question's replies looked like so far, and
    /// who lost what.
    adaptive: schedule::Adaptive,
    probes: Vec<Probe>,
    limits: BTreeSet<LimitHit>,
    skipped: BTreeSet<IpAddr>,
    cname_loops: Vec<CnameLoop>,
    /// A local failure (too many open files): the walk stops, and nothing it saw is a
    /// verdict (docs/findings.md `local_error`).
    local: Option<crate::model::LocalFailure>,
    /// A batch: the targets' own questions start with one probe per address, as content
    /// questions do, and get the rest of `--probes` where that one is lost or looks wrong
    /// (schedule.rs `measures_loss`).
    batch: bool,
    current: Option<QId>,
    /// The probe whose reply is being handled: (depth, chain wait in ms); probes scheduled
    /// meanwhile depend on it.
    cause: (u16, f64),
    support_count: HashMap<(QId, Name), usize>,
    chains: HashMap<QId, Vec<QId>>,
    forward_names: HashMap<QId, BTreeSet<Name>>,
    /// The hidden-cut search (cuts.rs): the question per candidate, the addresses asked.
    cuts: cuts::CutBook,
    /// Zone transfers (batches, transfer.rs): the (zone, address) pairs tried, and the
    /// copies that arrived.
    transfers: transfer::Transfers,
    /// Spread probing (batches, spread.rs).
    spread: spread::SpreadState,
    /// Queries sent and the query budget (schedule.rs).
    budget: schedule::Budget,
    /// Probes in flight, each its own task: a busy walker (thousands of replies handled at
    /// once) must not delay reading a socket until its timeout passes.
    pending: tokio::task::JoinSet<Done>,
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
    cfg: &Session,
    events: Option<tokio::sync::mpsc::UnboundedSender<Event>>,
) -> Walk {
    trace_until(target, cfg, events, None).await
}

/// Like [`trace`], but stops early, keeping what was gathered, when `cancel` turns true
/// (Ctrl-C). The partial walk carries a `limit_exceeded` (`interrupted`).
pub async fn trace_until(
    target: IpAddr,
    cfg: &Session,
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
    sort_delegations(&mut w.book.zones);
    Walk {
        target,
        reverse_name: rname,
        questions: w.questions,
        zones: w.book.zones,
        probes: w.probes,
        resolved_ns: w
            .book
            .ns_state
            .into_iter()
            .filter(|(_, s)| s.resolving)
            .map(|(n, s)| (n, s.addrs))
            .collect(),
        limits: w.limits.into_iter().collect(),
        cname_loops: w.cname_loops,
        local: w.local,
        queries_sent: w.budget.sent,
        elapsed_ms: u64::try_from(w.started.elapsed().as_millis()).unwrap_or(u64::MAX),
        families: (cfg.families.v4, cfg.families.v6),
        fcrdns: cfg.fcrdns,
        rounds: 1,
        skipped: w.skipped,
        spread: Vec::new(),
        helo: cfg.helo.clone(),
        port: cfg.map.port(),
        edns_payload: cfg.edns_payload,
        dnssec: cfg.dnssec.clone(),
    }
}

impl<'a> Walker<'a> {
    fn new(cfg: &'a Session, events: Option<tokio::sync::mpsc::UnboundedSender<Event>>) -> Self {
        let mut w = Walker {
            cfg,
            map: Arc::new(cfg.map.clone()),
            started: Instant::now(),
            questions: Vec::new(),
            qindex: HashMap::new(),
            scheduled: HashSet::new(),
            adaptive: schedule::Adaptive::default(),
            probes: Vec::new(),
            limits: BTreeSet::new(),
            skipped: BTreeSet::new(),
            cname_loops: Vec::new(),
            local: None,
            batch: false,
            current: None,
            cause: (0, 0.0),
            support_count: HashMap::new(),
            chains: HashMap::new(),
            forward_names: HashMap::new(),
            book: walker::ZoneBook::default(),
            budget: schedule::Budget {
                limit: cfg.query_budget,
                base: 0,
                sent: 0,
            },
            cuts: cuts::CutBook::default(),
            transfers: transfer::Transfers::default(),
            spread: spread::SpreadState::default(),
            pending: tokio::task::JoinSet::new(),
            events,
        };
        w.install_root();
        w
    }
}

/// True for a name under `ip6.arpa.` (RFC 3596 §2.5), compared label by label.
fn reverse_is_v6(name: &Name) -> bool {
    Name::from_labels([&b"ip6"[..], &b"arpa"[..]]).is_ok_and(|ip6| ip6.zone_of(name))
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
