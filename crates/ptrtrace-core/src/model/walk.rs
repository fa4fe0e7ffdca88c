//! What one trace observed: the questions asked, the zones met, every probe with its
//! evidence, the bounds hit. Plain data, shared by every layer above (docs/architecture.md).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::sync::Arc;

use hickory_proto::rr::{Name, RecordType};
use serde::Serialize;

use super::anchors::TrustAnchors;
use super::finding::Limit;
use super::kept::Reply;
use super::reply::{ReplyClass, Transport};
/// Index of a question in [`Walk::questions`].
pub type QId = usize;

/// Why a question is asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Purpose {
    /// The PTR of the traced address.
    Target,
    /// The target of a CNAME met by question `of`.
    Cname {
        /// The question whose answer was the CNAME.
        of: QId,
    },
    /// An address of an NS name that had no glue.
    NsAddress {
        /// The NS name.
        ns: Name,
    },
    /// The forward lookup of a PTR name (FCrDNS).
    Forward {
        /// The PTR name.
        ptr: Name,
    },
    /// The SOA or NS RRset at a zone's apex, asked of each of its servers (serials, NS sets,
    /// TCP and EDNS behaviour).
    ZoneCheck {
        /// The zone.
        zone: Name,
    },
    /// The forward lookup of the SMTP HELO name given with `--helo`.
    Helo,
    /// The address of an in-bailiwick NS name, asked of the child to compare with the glue.
    GlueCheck {
        /// The zone whose NS name it is.
        zone: Name,
    },
    /// The DS RRset of a zone, asked of every server of its parent (RFC 4035 §3.1.4.1).
    DsCheck {
        /// The zone whose DS it is.
        zone: Name,
    },
    /// Is this name a zone cut hidden inside the servers of `parent`? Asked (SOA, one probe)
    /// of each server address of `parent` whose reply jumped past the name: an authoritative
    /// SOA owned by the name means that server also serves the zone below the cut (RFC 9156
    /// §2.3, as DNSViz and Zonemaster find cuts); NODATA means an empty non-terminal.
    CutCheck {
        /// The zone the servers were asked as servers of.
        parent: Name,
    },
}

impl Purpose {
    /// True for the per-server checks of a zone (SOA, NS, DNSKEY, DS): asked of every server
    /// address with `--probes` probes, never cut to a sample.
    #[must_use]
    pub fn is_check(&self) -> bool {
        matches!(self, Self::ZoneCheck { .. } | Self::DsCheck { .. })
    }
}

/// How one probe is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProbeKind {
    /// UDP with EDNS(0), TCP when truncated: what resolvers do.
    Standard,
    /// TCP only (RFC 7766 requires every authoritative server to answer over TCP).
    Tcp,
    /// UDP without EDNS, to tell an EDNS problem from a dead server (RFC 6891 §7).
    NoEdns,
}

/// One question the walk asked, and the zones it went through.
#[derive(Debug, Clone, Serialize)]
pub struct Question {
    /// The name.
    pub name: Name,
    /// The type.
    pub qtype: RecordType,
    /// Why it was asked.
    pub purpose: Purpose,
    /// The first question of its CNAME chain (itself when not a CNAME target).
    pub origin: QId,
    /// CNAMEs followed to reach it.
    pub cname_depth: usize,
    /// Nesting of NS-name resolution (0 for the target).
    pub nesting: u8,
    /// Zones it was asked of, in the order entered.
    pub zones: Vec<Name>,
}

impl Question {
    /// True for a question that looks for a hidden zone cut ([`Purpose::CutCheck`]): it is
    /// discovery, kept apart from the survey questions of the same name and type.
    #[must_use]
    pub fn is_cut(&self) -> bool {
        matches!(self.purpose, Purpose::CutCheck { .. })
    }
}

/// What one parent server said about a delegation.
#[derive(Debug, Clone, Serialize)]
pub struct DelegationSeen {
    /// The parent zone.
    pub parent: Name,
    /// The parent server's NS name.
    pub server: Name,
    /// The parent server's address.
    pub address: IpAddr,
    /// NS names it gave.
    pub ns: Vec<Name>,
    /// Glue it gave.
    pub glue: Vec<(Name, IpAddr)>,
}

/// A zone on some path, its servers and how it was delegated.
#[derive(Debug, Clone, Serialize)]
pub struct Zone {
    /// Zone apex.
    pub name: Name,
    /// Parent zone (None for the root).
    pub parent: Option<Name>,
    /// Servers: NS name → glue addresses (may be empty: resolved separately).
    pub ns: BTreeMap<Name, BTreeSet<IpAddr>>,
    /// Each distinct referral that delegated it.
    pub delegations: Vec<DelegationSeen>,
    /// Servers found serving it at a cut their own referrals or answers skipped (every real
    /// root server also serves `arpa.`; an ISP's servers hold a /16 and the /24s below it):
    /// no referral names these servers for it, an authoritative SOA at the cut does.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub found_inside: Vec<CutSeen>,
}

/// One server address found serving a zone whose cut a referral or answer skipped.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct CutSeen {
    /// The zone the server was asked as a server of (an ancestor of the found zone).
    pub parent: Name,
    /// The server's NS name (as a server of `parent`).
    pub server: Name,
    /// The address that answered the SOA at the cut authoritatively.
    pub address: IpAddr,
}

/// What came of one attempt (serialised as the snake_case word).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptStatus {
    /// A reply that matched the question arrived.
    Reply,
    /// Nothing arrived before the timeout.
    Timeout,
    /// ICMP unreachable or a refused TCP connection.
    Unreachable,
    /// A reply arrived but could not be decoded, or was cut short.
    Malformed,
    /// Not sent (outside the lab's addresses).
    NotSent,
    /// This host has no route to the address's family.
    NoRoute,
    /// This host could not send it (too many open files, no buffer space, …).
    LocalError,
}

impl AttemptStatus {
    /// The stable snake_case identifier, as in the JSON.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reply => "reply",
            Self::Timeout => "timeout",
            Self::Unreachable => "unreachable",
            Self::Malformed => "malformed",
            Self::NotSent => "not_sent",
            Self::NoRoute => "no_route",
            Self::LocalError => "local_error",
        }
    }
}

/// One attempt as evidence.
#[derive(Debug, Clone, Serialize)]
pub struct AttemptRecord {
    /// udp or tcp.
    pub transport: Transport,
    /// Round-trip time in milliseconds.
    pub rtt_ms: f64,
    /// What came of it.
    pub status: AttemptStatus,
    /// Error detail for non-replies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// RCODE of the reply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rcode: Option<super::reply::Rcode>,
    /// AA flag.
    pub aa: bool,
    /// TC flag.
    pub tc: bool,
    /// Answer section, one record per string.
    pub answer: Vec<String>,
    /// Authority section.
    pub authority: Vec<String>,
    /// Additional section (OPT excluded).
    pub additional: Vec<String>,
    /// Replies discarded because ID or question did not match.
    pub mismatched: u32,
    /// Size of the reply.
    pub bytes: usize,
}

/// One probe: a question sent to one address of one NS name of one zone.
#[derive(Debug, Clone, Serialize)]
pub struct Probe {
    /// The question.
    pub question: QId,
    /// The zone the server was asked as a server of.
    pub zone: Name,
    /// The server's NS name.
    pub server: Name,
    /// The address asked.
    pub address: IpAddr,
    /// Probe number for this question and address, from 1.
    pub seq: u8,
    /// How it was sent.
    pub kind: ProbeKind,
    /// When it was sent, ms after the trace started.
    pub sent_at_ms: f64,
    /// Round trips on the longest chain of replies that led to it, itself included: a root
    /// probe is 1, a probe sent on a referral from it 2, and so on. Depth × the round-trip
    /// time, plus `chain_wait_ms`, is the earliest it could have ended.
    pub depth: u16,
    /// Time ptrtrace chose to wait on that chain before sending (probe spacing, the
    /// per-address token bucket, RRL pacing), ms.
    pub chain_wait_ms: f64,
    /// UDP, then TCP when the UDP reply was truncated.
    pub attempts: Vec<AttemptRecord>,
    /// What the final reply means.
    pub class: ReplyClass,
    /// The reply itself, kept for DNSSEC validation (standard probes, DNSSEC on).
    #[serde(skip)]
    pub reply: Option<Arc<Reply>>,
}

impl Probe {
    /// RTT of the last attempt, in ms.
    #[must_use]
    pub fn rtt_ms(&self) -> f64 {
        self.attempts.last().map_or(0.0, |a| a.rtt_ms)
    }
    /// The earliest this probe could have ended had every round trip taken `rtt`: its depth
    /// in round trips plus the waits ptrtrace chose on its chain.
    #[must_use]
    pub fn ideal_end(&self, rtt: std::time::Duration) -> std::time::Duration {
        rtt * u32::from(self.depth)
            + std::time::Duration::from_secs_f64(self.chain_wait_ms / 1000.0)
    }

    /// RCODE of the last attempt's reply.
    #[must_use]
    pub fn rcode(&self) -> Option<super::reply::Rcode> {
        self.attempts.last().and_then(|a| a.rcode)
    }
}

/// A bound the walk hit.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct LimitHit {
    /// query_budget, depth, cname_chain, ns_fanout, nesting, deadline.
    pub limit: Limit,
    /// What was cut off.
    pub detail: String,
    /// The question being worked on when it was hit (None: the whole walk), so a batch
    /// reports a limit only for the targets it concerns.
    #[serde(skip)]
    pub question: Option<QId>,
}

/// A CNAME loop: the chain of names that came back on itself.
#[derive(Debug, Clone, Serialize)]
pub struct CnameLoop {
    /// The names of the loop, in order.
    pub chain: Vec<Name>,
}

/// A zone where a batch asked the target's PTR of one server address, not all of them: the
/// zone's servers agreed on a random sample of the batch's names (trace/spread.rs).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spread {
    /// The zone.
    pub zone: Name,
    /// The addresses that were asked.
    pub asked: Vec<IpAddr>,
    /// The zone's server addresses that were not: (NS name, address).
    pub not_asked: Vec<(Name, IpAddr)>,
    /// The batch's targets in the zone.
    pub population: u64,
    /// The chance each of them had to be in the sample asked of every address.
    pub sample_rate: f64,
}

/// Everything one trace observed.
#[derive(Debug, Clone, Serialize)]
pub struct Walk {
    /// The traced address.
    pub target: IpAddr,
    /// Its reverse name.
    pub reverse_name: Name,
    /// Questions, the target's first.
    pub questions: Vec<Question>,
    /// Zones by name.
    pub zones: BTreeMap<Name, Zone>,
    /// Every probe, in completion order.
    pub probes: Vec<Probe>,
    /// Addresses found for glueless NS names.
    pub resolved_ns: BTreeMap<Name, BTreeSet<IpAddr>>,
    /// Bounds hit.
    pub limits: Vec<LimitHit>,
    /// CNAME loops met.
    pub cname_loops: Vec<CnameLoop>,
    /// A local failure that stopped the walk (too many open files): nothing here is a
    /// verdict.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local: Option<super::finding::LocalFailure>,
    /// Queries sent.
    pub queries_sent: u32,
    /// Wall time of the trace in ms.
    pub elapsed_ms: u64,
    /// Address families queried: (IPv4, IPv6).
    pub families: (bool, bool),
    /// Whether the PTR names were walked forward (FCrDNS).
    pub fcrdns: bool,
    /// Rounds merged into this walk.
    pub rounds: u32,
    /// Server addresses not queried because their family is disabled (`-4` / `-6`).
    pub skipped: BTreeSet<IpAddr>,
    /// Zones where a batch asked the target's PTR of some addresses only (spread probing).
    pub spread: Vec<Spread>,
    /// The HELO name checked, if any.
    pub helo: Option<Name>,
    /// The DNS port servers were asked on (53 unless `--port`), for advice that names it.
    pub port: u16,
    /// The EDNS UDP payload size ptrtrace offered: a reply up to it fits without truncation.
    #[serde(skip)]
    pub edns_payload: u16,
    /// The trust anchors when DNSSEC was checked (DO=1, DNSKEY and DS questions).
    #[serde(skip)]
    pub dnssec: Option<TrustAnchors>,
}

impl Walk {
    /// The lower bound on this walk's wall time had every round trip taken `rtt`: the
    /// latest [`Probe::ideal_end`] (the longest chain of dependent probes, with the waits
    /// ptrtrace chose on it: spacing, the token bucket, RRL pacing). The latency benchmark
    /// divides the measured wall time by it (docs/benchmarks.md).
    #[must_use]
    pub fn lower_bound(&self, rtt: std::time::Duration) -> std::time::Duration {
        self.probes
            .iter()
            .map(|p| p.ideal_end(rtt))
            .max()
            .unwrap_or_default()
    }

    /// The questions of one chain: `origin` and the CNAME targets it led to.
    #[must_use]
    pub fn chain(&self, origin: QId) -> Vec<QId> {
        (0..self.questions.len())
            .filter(|&i| self.questions[i].origin == origin)
            .collect()
    }
}

/// The forward record type that confirms a PTR of `ip` (RFC 8499 FCrDNS): A or AAAA.
#[must_use]
pub fn forward_type(ip: IpAddr) -> RecordType {
    if ip.is_ipv4() {
        RecordType::A
    } else {
        RecordType::AAAA
    }
}
