//! Lab scenarios: each one fault, written as the tweak that injects it and the findings a
//! correct trace must report (docs/design.md §8). The integration tests run every scenario over
//! real sockets and assert exactly these findings and this verdict.

use crate::server::Fault;

mod delegation;
mod dnssec;
mod forward;
mod network;
mod servers;
mod shapes;

/// A change to the base lab.
#[derive(Debug, Clone)]
pub enum Tweak {
    /// `server` misbehaves, for questions inside `zone` (all questions when None).
    Fault {
        /// NS name of the server.
        server: &'static str,
        /// The fault.
        fault: Fault,
        /// Only for names in this zone.
        zone: Option<&'static str>,
    },
    /// `server` serves these zones instead of its usual ones.
    Zones {
        /// NS name of the server.
        server: &'static str,
        /// Keys of the zones it serves.
        zones: Vec<&'static str>,
    },
    /// Nothing listens at `server`'s addresses.
    Closed {
        /// NS name of the server.
        server: &'static str,
    },
    /// `server` allows zone transfers (AXFR) of the zones it serves; lab servers refuse them
    /// otherwise, as BIND, NSD and Knot do by default.
    Transfer {
        /// NS name of the server.
        server: &'static str,
    },
    /// The host has no IPv6 route: IPv6 server addresses cannot be tested.
    NoIpv6Route,
    /// This zone (an origin) is not signed, and its parent publishes no DS for it.
    Unsigned {
        /// The zone's origin.
        zone: &'static str,
    },
}

/// A finding a scenario must produce.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Expect {
    /// Finding kind.
    pub kind: &'static str,
    /// Its reason, when the kind has reasons.
    pub reason: Option<&'static str>,
    /// Zone concerned.
    pub zone: &'static str,
    /// Server NS name, when one is blamed.
    pub server: Option<&'static str>,
    /// Server address, when one is blamed.
    pub address: Option<&'static str>,
}

/// One lab scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Stable name (`ptrtrace lab run NAME`).
    pub name: &'static str,
    /// One line: the fault, in an administrator's words.
    pub summary: &'static str,
    /// The address traced.
    pub target: &'static str,
    /// What differs from the healthy lab.
    pub tweaks: Vec<Tweak>,
    /// Findings of warning or error severity, plus named info findings.
    pub expect: Vec<Expect>,
    /// Expected verdict: ok, degraded or broken.
    pub verdict: &'static str,
    /// The scenario is about DNSSEC: it needs DNSSEC on to mean anything.
    pub dnssec: bool,
    /// Rounds it needs to show its fault (random drops are measured over ten).
    pub rounds: u32,
    /// The shortest per-query timeout under which it means what it says.
    pub min_timeout: std::time::Duration,
    /// Its servers rate-limit like real ones: trace with RRL pacing (trace/pace.rs).
    pub rrl_pacing: bool,
}

impl Default for Scenario {
    /// A healthy, one-round, non-DNSSEC scenario with nothing set: literals start from it.
    fn default() -> Self {
        Self {
            name: "",
            summary: "",
            target: "",
            tweaks: Vec::new(),
            expect: Vec::new(),
            verdict: "",
            dnssec: false,
            rounds: 1,
            min_timeout: std::time::Duration::ZERO,
            rrl_pacing: false,
        }
    }
}

impl Scenario {
    /// Fits a trace configuration to the scenario: a timeout no shorter than it needs, and
    /// the rounds it needs, back to back.
    pub fn fit(&self, cfg: &mut ptrtrace_core::trace::TraceConfig) {
        cfg.timeout = cfg.timeout.max(self.min_timeout);
        // The rate-limiting servers get what real ones get: RRL pacing (trace/pace.rs).
        if self.rrl_pacing {
            cfg.rrl_pacing = true;
        }
        if self.rounds > cfg.rounds {
            cfg.rounds = self.rounds;
            cfg.interval = std::time::Duration::ZERO;
        }
    }

    /// True for the scenarios about DNSSEC (they need it on to mean anything).
    #[must_use]
    pub fn is_dnssec(&self) -> bool {
        self.dnssec
    }
}

const REV: &str = "113.0.203.in-addr.arpa.";
/// The ISP's /24 whose cut is hidden inside the servers of its /16.
const HIDDEN: &str = "100.51.198.in-addr.arpa.";
const NS2: &str = "ns2.isp.example.";
const NS3: &str = "ns3.isp.example.";
const NS3_IP: &str = "198.51.100.55";
/// The bogus NS names the walk uses from the 200-name referral: after ns1-ns3 (in name
/// order), ten more up to the fan-out bound of 13.
const BULK_USED: [&str; 10] = [
    "zz-001.isp.example.",
    "zz-002.isp.example.",
    "zz-003.isp.example.",
    "zz-004.isp.example.",
    "zz-005.isp.example.",
    "zz-006.isp.example.",
    "zz-007.isp.example.",
    "zz-008.isp.example.",
    "zz-009.isp.example.",
    "zz-010.isp.example.",
];

fn at(
    kind: &'static str,
    reason: Option<&'static str>,
    server: &'static str,
    address: &'static str,
) -> Expect {
    Expect {
        kind,
        reason,
        zone: REV,
        server: Some(server),
        address: Some(address),
    }
}

/// A finding about ns3.isp.example as a server of the hidden /24.
fn hidden_at(kind: &'static str, reason: Option<&'static str>) -> Expect {
    Expect {
        kind,
        reason,
        zone: HIDDEN,
        server: Some(NS3),
        address: Some(NS3_IP),
    }
}

fn silent(zone: &'static str, server: &'static str, address: &'static str) -> Expect {
    Expect {
        kind: "unreachable",
        reason: Some("timeout"),
        zone,
        server: Some(server),
        address: Some(address),
    }
}

fn zone_finding(
    kind: &'static str,
    reason: Option<&'static str>,
    zone: &'static str,
    server: Option<&'static str>,
    address: Option<&'static str>,
) -> Expect {
    Expect {
        kind,
        reason,
        zone,
        server,
        address,
    }
}

fn serves(server: &'static str, zones: &[&'static str]) -> Tweak {
    Tweak::Zones {
        server,
        zones: zones.to_vec(),
    }
}

fn ns3_fault(fault: Fault) -> Vec<Tweak> {
    vec![Tweak::Fault {
        server: NS3,
        fault,
        zone: Some(REV),
    }]
}

/// Every scenario of the lab, in the order `lab list` shows them: one file per family.
#[must_use]
pub fn scenarios() -> Vec<Scenario> {
    [
        servers::scenarios(),
        delegation::scenarios(),
        forward::scenarios(),
        network::scenarios(),
        dnssec::scenarios(),
        shapes::scenarios(),
    ]
    .concat()
}
