//! The validated configuration of one run: families, timeouts, probes, rounds, budgets,
//! bounds, pacing rates, DNSSEC anchors (docs/design.md §2: nothing downstream re-checks
//! strings); and the [`Session`] that pairs it with the pacing state its traces share.

use std::sync::Arc;
use std::time::Duration;

use hickory_proto::rr::Name;

use super::pace;
use crate::hints::RootHints;
use crate::net::AddressMap;

/// Which address families ptrtrace sends queries over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Families {
    /// Query IPv4 server addresses.
    pub v4: bool,
    /// Query IPv6 server addresses.
    pub v6: bool,
}

/// The validated configuration of one run (docs/design.md §2: nothing downstream re-checks strings).
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
    /// Sustained queries per second to one server address after a burst of
    /// [`pace::RATE_BURST`] (0: unlimited): a token bucket per address ([`pace::Buckets`]).
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
    pub dnssec: Option<crate::model::anchors::TrustAnchors>,
    /// Space identical UDP questions to one address as response rate limiting needs
    /// ([`pace`]). Off only for the lab's own servers, which do not rate-limit.
    pub rrl_pacing: bool,
    /// In batches, transfer (AXFR) the zones that answer many targets from every address that
    /// allows it, and answer later targets from those copies (trace/transfer.rs).
    pub axfr: bool,
    /// In batches, the batch's addresses: a reverse zone holding enough of them, whose
    /// servers agree, gets each target's PTR asked of one address and a random sample asked
    /// of all (trace/spread.rs). None: every target asked of every address (`--no-spread`,
    /// single traces).
    pub spread: Option<Arc<crate::targets::Population>>,
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
            dnssec: Some(crate::model::anchors::TrustAnchors::builtin()),
            rrl_pacing: true,
            axfr: true,
            spread: None,
        }
    }
}

/// What a run's traces share besides their configuration: the RRL pacer and the
/// per-address token buckets of `rate_per_address`. Every round and target of a run (and
/// every clone of its [`Session`]) paces against the same ones.
#[derive(Debug, Clone, Default)]
pub struct Pacing {
    /// Spacing of identical UDP questions to one address ([`pace::Pacer`]).
    pub pacer: Arc<pace::Pacer>,
    /// The per-address token buckets ([`pace::Buckets`]).
    pub buckets: Arc<pace::Buckets>,
}

impl Pacing {
    /// This pacing's share for `lane` (serve's rounds and its on-demand probes each get
    /// theirs of the same per-address budget).
    #[must_use]
    pub fn lane(&self, lane: pace::Lane) -> Self {
        Self {
            pacer: Arc::new(self.pacer.lane(lane)),
            buckets: Arc::new(self.buckets.lane(lane)),
        }
    }
}

/// A run: its configuration (settings only) and the pacing state its traces share. It
/// dereferences to the [`TraceConfig`], so settings read and change as on the configuration.
#[derive(Debug, Clone)]
pub struct Session {
    /// The settings.
    pub cfg: TraceConfig,
    /// The shared pacing state.
    pub pacing: Pacing,
}

impl From<TraceConfig> for Session {
    /// A session of `cfg` with pacing of its own.
    fn from(cfg: TraceConfig) -> Self {
        Self {
            cfg,
            pacing: Pacing::default(),
        }
    }
}

impl std::ops::Deref for Session {
    type Target = TraceConfig;
    fn deref(&self) -> &TraceConfig {
        &self.cfg
    }
}

impl std::ops::DerefMut for Session {
    fn deref_mut(&mut self) -> &mut TraceConfig {
        &mut self.cfg
    }
}

/// Server addresses per zone a supporting lookup (an NS name's address, a glue check) asks.
pub(super) const SUPPORT_ADDRESSES: usize = 4;

/// Most names between the zone asked and an unsigned reply's name that are checked for a
/// hidden cut, shallowest first (an ISP's /32 ip6.arpa zone answering for a /128 name has 23
/// in between; customer zones at /48, /56 and /64 are the first 8 nibbles down).
pub const MAX_CUT_CANDIDATES: usize = 8;
