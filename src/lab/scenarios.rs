//! Lab scenarios: each one fault, written as the tweak that injects it and the findings a
//! correct trace must report (STYLE.md §8). The integration tests run every scenario over
//! real sockets and assert exactly these findings and this verdict.

use super::server::Fault;

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
}

const REV: &str = "113.0.203.in-addr.arpa.";
const NS2: &str = "ns2.isp.example.";
const NS3: &str = "ns3.isp.example.";
const NS3_IP: &str = "198.51.100.55";

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

fn silent(zone: &'static str, server: &'static str, address: &'static str) -> Expect {
    Expect {
        kind: "unreachable",
        reason: Some("timeout"),
        zone,
        server: Some(server),
        address: Some(address),
    }
}

fn ns3_fault(fault: Fault) -> Vec<Tweak> {
    vec![Tweak::Fault {
        server: NS3,
        fault,
        zone: Some(REV),
    }]
}

/// Every scenario of the lab, in the order `lab list` shows them.
#[must_use]
#[allow(clippy::too_many_lines)]
pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "healthy",
            summary: "every server of every zone answers correctly; PTR and FCrDNS hold",
            target: "203.0.113.25",
            tweaks: vec![],
            expect: vec![],
            verdict: "ok",
        },
        Scenario {
            name: "refused",
            summary: "ns2.isp.example is listed for 113.0.203.in-addr.arpa but not configured for it (REFUSED)",
            target: "203.0.113.25",
            tweaks: vec![Tweak::Zones {
                server: NS2,
                zones: vec!["isp", "v6rev"],
            }],
            expect: vec![
                at("lame", Some("refused"), NS2, "198.51.100.54"),
                at("lame", Some("refused"), NS2, "2001:db8:5300::54"),
            ],
            verdict: "degraded",
        },
        Scenario {
            name: "servfail",
            summary: "ns3.isp.example has the zone configured but answers SERVFAIL (expired or failed load)",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::Servfail),
            expect: vec![at("lame", Some("servfail"), NS3, NS3_IP)],
            verdict: "degraded",
        },
        Scenario {
            name: "not-authoritative",
            summary: "ns3.isp.example answers the PTR without the AA bit (a cache, not the zone's server)",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::NoAa),
            expect: vec![at("lame", Some("not_authoritative"), NS3, NS3_IP)],
            verdict: "degraded",
        },
        Scenario {
            name: "upward-referral",
            summary: "ns3.isp.example refers the question back to the root instead of answering",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::UpwardReferral),
            expect: vec![at("lame", Some("upward_referral"), NS3, NS3_IP)],
            verdict: "degraded",
        },
        Scenario {
            name: "inconsistent",
            summary: "ns3.isp.example serves an old copy of the zone with a different PTR",
            target: "203.0.113.25",
            tweaks: vec![Tweak::Zones {
                server: NS3,
                zones: vec!["rev-stale", "isp", "v6rev"],
            }],
            expect: vec![
                at("inconsistent_answer", None, NS3, NS3_IP),
                Expect {
                    kind: "fcrdns_failed",
                    reason: Some("no_address"),
                    zone: "isp.example.",
                    server: None,
                    address: None,
                },
            ],
            verdict: "degraded",
        },
        Scenario {
            name: "silent",
            summary: "ns3.isp.example never answers questions about 113.0.203.in-addr.arpa (timeout)",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::Drop),
            expect: vec![at("unreachable", Some("timeout"), NS3, NS3_IP)],
            verdict: "degraded",
        },
        Scenario {
            name: "closed",
            summary: "nothing listens at ns3.isp.example's address (ICMP port unreachable)",
            target: "203.0.113.25",
            tweaks: vec![Tweak::Closed { server: NS3 }],
            expect: vec![
                at("unreachable", Some("port_unreachable"), NS3, NS3_IP),
                Expect {
                    kind: "unreachable",
                    reason: Some("port_unreachable"),
                    zone: "isp.example.",
                    server: Some(NS3),
                    address: Some(NS3_IP),
                },
            ],
            verdict: "degraded",
        },
        Scenario {
            name: "flaky",
            summary: "ns3.isp.example drops every other query for 113.0.203.in-addr.arpa",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::DropEvery(2)),
            expect: vec![at("flaky", None, NS3, NS3_IP)],
            verdict: "degraded",
        },
        Scenario {
            name: "truncated",
            summary: "ns3.isp.example truncates every UDP reply (TC=1); the answer comes over TCP",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::Truncate),
            expect: vec![],
            verdict: "ok",
        },
        Scenario {
            name: "silent-everywhere",
            summary: "one silent server at every level: the trace still costs about one timeout",
            target: "203.0.113.25",
            tweaks: vec![
                Tweak::Fault {
                    server: "b.root-servers.example.",
                    fault: Fault::Drop,
                    zone: None,
                },
                Tweak::Fault {
                    server: "b.ns.arpa.",
                    fault: Fault::Drop,
                    zone: None,
                },
                Tweak::Fault {
                    server: "b.in-addr-servers.arpa.",
                    fault: Fault::Drop,
                    zone: None,
                },
                Tweak::Fault {
                    server: "ns2.rir.example.",
                    fault: Fault::Drop,
                    zone: None,
                },
                Tweak::Fault {
                    server: NS3,
                    fault: Fault::Drop,
                    zone: Some(REV),
                },
            ],
            expect: vec![
                silent(".", "b.root-servers.example.", "192.0.2.2"),
                silent(".", "b.root-servers.example.", "2001:db8:53::2"),
                silent("arpa.", "b.ns.arpa.", "192.0.2.12"),
                silent("arpa.", "b.ns.arpa.", "2001:db8:53::12"),
                silent("in-addr.arpa.", "b.in-addr-servers.arpa.", "192.0.2.32"),
                silent("203.in-addr.arpa.", "ns2.rir.example.", "192.0.2.52"),
                silent("203.in-addr.arpa.", "ns2.rir.example.", "2001:db8:53::52"),
                silent(REV, NS3, NS3_IP),
            ],
            verdict: "degraded",
        },
        Scenario {
            name: "classless",
            summary: "203.0.113.130 is delegated with an RFC 2317 CNAME to the customer's zone",
            target: "203.0.113.130",
            tweaks: vec![],
            expect: vec![Expect {
                kind: "classless_delegation",
                reason: None,
                zone: REV,
                server: None,
                address: None,
            }],
            verdict: "ok",
        },
        Scenario {
            name: "nxdomain",
            summary: "203.0.113.99 has no PTR record: every server answers NXDOMAIN",
            target: "203.0.113.99",
            tweaks: vec![],
            expect: vec![Expect {
                kind: "ptr_missing",
                reason: Some("nxdomain"),
                zone: REV,
                server: None,
                address: None,
            }],
            verdict: "broken",
        },
        Scenario {
            name: "nodata",
            summary: "203.0.113.98 exists (a TXT record) but has no PTR: NODATA",
            target: "203.0.113.98",
            tweaks: vec![],
            expect: vec![Expect {
                kind: "ptr_missing",
                reason: Some("nodata"),
                zone: REV,
                server: None,
                address: None,
            }],
            verdict: "broken",
        },
        Scenario {
            name: "ipv6",
            summary: "2001:db8::25 through ip6.arpa nibbles, IPv4 and IPv6 server addresses",
            target: "2001:db8::25",
            tweaks: vec![],
            expect: vec![],
            verdict: "ok",
        },
    ]
}
