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
}

impl Scenario {
    /// Fits a trace configuration to the scenario: a timeout no shorter than it needs, and
    /// the rounds it needs, back to back.
    pub fn fit(&self, cfg: &mut ptrtrace_core::trace::TraceConfig) {
        cfg.timeout = cfg.timeout.max(self.min_timeout());
        // The rate-limiting servers get what real ones get: RRL pacing (trace/pace.rs).
        if self.name.starts_with("rrl-") {
            cfg.rrl_pacing = true;
        }
        if self.rounds() > cfg.rounds {
            cfg.rounds = self.rounds();
            cfg.interval = std::time::Duration::ZERO;
        }
    }

    /// True for the scenarios about DNSSEC (they need it on to mean anything).
    #[must_use]
    pub fn is_dnssec(&self) -> bool {
        self.name.starts_with("dnssec-")
    }

    /// Rounds the scenario needs to show its fault: random drops are measured over ten.
    #[must_use]
    pub fn rounds(&self) -> u32 {
        if self.name.starts_with("drop-") {
            10
        } else {
            1
        }
    }

    /// The shortest per-query timeout under which the scenario means what it says.
    #[must_use]
    pub fn min_timeout(&self) -> std::time::Duration {
        if self.name == "slow" {
            std::time::Duration::from_millis(2500)
        } else {
            std::time::Duration::ZERO
        }
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
            name: "referral-elsewhere",
            summary: "ns3.isp.example refers the question to an unrelated zone",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::ReferElsewhere),
            expect: vec![at("lame", Some("referral_elsewhere"), NS3, NS3_IP)],
            verdict: "degraded",
        },
        Scenario {
            name: "formerr",
            summary: "ns3.isp.example answers FORMERR (an old server choking on the query)",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::Formerr),
            expect: vec![at("lame", Some("other_rcode"), NS3, NS3_IP)],
            verdict: "degraded",
        },
        Scenario {
            name: "garbage",
            summary: "ns3.isp.example replies with bytes that are not a DNS message",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::Garbage),
            expect: vec![at("lame", Some("malformed"), NS3, NS3_IP)],
            verdict: "degraded",
        },
        Scenario {
            name: "ptr-silent",
            summary: "ns3.isp.example answers SOA and NS but never PTR questions",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::DropType(hickory_proto::rr::RecordType::PTR)),
            expect: vec![at("unreachable", Some("timeout"), NS3, NS3_IP)],
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
                at("inconsistent_serial", None, NS3, NS3_IP),
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
            name: "one-root-without-arpa",
            summary: "b.root-servers.example does not serve arpa. (a does, as real root servers do): it refers to arpa., a.root-servers.example straight to in-addr.arpa. — one tree, no fault",
            target: "203.0.113.25",
            tweaks: vec![serves("b.root-servers.example.", &["root"])],
            expect: vec![],
            verdict: "ok",
        },
        Scenario {
            name: "stale-serial",
            summary: "ns3.isp.example has the same records but an old SOA serial (missed transfers)",
            target: "203.0.113.25",
            tweaks: vec![serves(NS3, &["rev-old-serial", "isp", "v6rev"])],
            expect: vec![at("inconsistent_serial", None, NS3, NS3_IP)],
            verdict: "degraded",
        },
        Scenario {
            name: "parents-disagree",
            summary: "the two servers of 203.in-addr.arpa delegate 113.0.203.in-addr.arpa to different NS sets",
            target: "203.0.113.25",
            tweaks: vec![serves("ns2.rir.example.", &["r203-partial"])],
            expect: vec![
                zone_finding("inconsistent_answer", None, "203.in-addr.arpa.", None, None),
                zone_finding("ns_mismatch", None, REV, None, None),
            ],
            verdict: "degraded",
        },
        Scenario {
            name: "ns-mismatch",
            summary: "the zone's own NS records list ns4.isp.example, which the parent does not delegate to",
            target: "203.0.113.25",
            tweaks: ["ns1.isp.example.", NS2, NS3]
                .into_iter()
                .map(|n| serves(n, &["rev-extra-ns", "isp", "v6rev"]))
                .collect(),
            expect: vec![zone_finding("ns_mismatch", None, REV, None, None)],
            verdict: "degraded",
        },
        Scenario {
            name: "ns-unresolvable",
            summary: "the parent still delegates to ns4.isp.example, a name with no address",
            target: "203.0.113.25",
            tweaks: vec![
                serves("ns1.rir.example.", &["r203-ns4"]),
                serves("ns2.rir.example.", &["r203-ns4"]),
            ],
            expect: vec![
                zone_finding("ns_unresolvable", None, REV, Some("ns4.isp.example."), None),
                zone_finding("ns_mismatch", None, REV, None, None),
            ],
            verdict: "degraded",
        },
        Scenario {
            name: "glue-mismatch",
            summary: "the glue for ns3.isp.example in example. still has its old address 198.51.100.99",
            target: "203.0.113.25",
            tweaks: vec![
                serves("a.nic.example.", &["example-bad-glue"]),
                serves("b.nic.example.", &["example-bad-glue"]),
            ],
            expect: vec![
                zone_finding(
                    "glue_mismatch",
                    None,
                    "isp.example.",
                    Some(NS3),
                    Some("198.51.100.99"),
                ),
                zone_finding(
                    "lame",
                    Some("refused"),
                    "isp.example.",
                    Some(NS3),
                    Some("198.51.100.99"),
                ),
            ],
            verdict: "degraded",
        },
        Scenario {
            name: "missing-glue",
            summary: "example. delegates isp.example to ns3.isp.example without glue for it",
            target: "203.0.113.25",
            tweaks: vec![
                serves("a.nic.example.", &["example-no-glue"]),
                serves("b.nic.example.", &["example-no-glue"]),
            ],
            expect: vec![zone_finding(
                "missing_glue",
                None,
                "isp.example.",
                Some(NS3),
                None,
            )],
            verdict: "degraded",
        },
        Scenario {
            name: "tcp-failed",
            summary: "ns3.isp.example does not answer over TCP",
            target: "203.0.113.25",
            tweaks: vec![Tweak::Fault {
                server: NS3,
                fault: Fault::TcpOff,
                zone: None,
            }],
            expect: vec![
                at("tcp_failed", None, NS3, NS3_IP),
                zone_finding("tcp_failed", None, "isp.example.", Some(NS3), Some(NS3_IP)),
            ],
            verdict: "degraded",
        },
        Scenario {
            name: "truncated-no-tcp",
            summary: "ns3.isp.example truncates its UDP replies and does not answer over TCP",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::TruncateNoTcp),
            expect: vec![
                at("tcp_failed", None, NS3, NS3_IP),
                zone_finding("tcp_failed", None, "isp.example.", Some(NS3), Some(NS3_IP)),
            ],
            verdict: "degraded",
        },
        Scenario {
            name: "edns-failed",
            summary: "ns3.isp.example drops queries that carry EDNS and answers plain ones",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::NoEdns),
            expect: vec![at("edns_failed", None, NS3, NS3_IP)],
            verdict: "degraded",
        },
        Scenario {
            name: "wrong-id",
            summary: "ns3.isp.example replies with the wrong query ID: the replies must not be believed",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::WrongId),
            expect: vec![at("unreachable", Some("timeout"), NS3, NS3_IP)],
            verdict: "degraded",
        },
        Scenario {
            name: "wrong-source",
            summary: "ns3.isp.example replies from another source port: the replies must not be believed",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::WrongSource),
            expect: vec![at("unreachable", Some("timeout"), NS3, NS3_IP)],
            verdict: "degraded",
        },
        Scenario {
            name: "glueless-lame",
            summary: "b.nic.example, a server of the zone that holds the rir NS names, refuses example.",
            target: "203.0.113.25",
            tweaks: vec![serves("b.nic.example.", &[])],
            expect: vec![zone_finding(
                "lame",
                Some("refused"),
                "example.",
                Some("b.nic.example."),
                Some("192.0.2.22"),
            )],
            verdict: "degraded",
        },
        Scenario {
            name: "referral-loop",
            summary: "every server of 113.0.203.in-addr.arpa refers back to the root: resolvers loop and give up",
            target: "203.0.113.25",
            tweaks: ["ns1.isp.example.", NS2, NS3]
                .into_iter()
                .map(|server| Tweak::Fault {
                    server,
                    fault: Fault::UpwardReferral,
                    zone: Some(REV),
                })
                .collect(),
            expect: vec![
                at(
                    "lame",
                    Some("upward_referral"),
                    "ns1.isp.example.",
                    "198.51.100.53",
                ),
                at("lame", Some("upward_referral"), NS2, "198.51.100.54"),
                at("lame", Some("upward_referral"), NS2, "2001:db8:5300::54"),
                at("lame", Some("upward_referral"), NS3, NS3_IP),
                zone_finding("no_reachable_server", None, REV, None, None),
            ],
            verdict: "broken",
        },
        Scenario {
            name: "cname-loop",
            summary: "203.0.113.132's RFC 2317 CNAME points back at itself through the customer zone",
            target: "203.0.113.132",
            tweaks: vec![],
            expect: vec![zone_finding(
                "cname_loop",
                None,
                "132.113.0.203.in-addr.arpa.",
                None,
                None,
            )],
            verdict: "broken",
        },
        Scenario {
            name: "cname-chain",
            summary: "203.0.113.133 reaches its PTR only after 30 CNAMEs, more than resolvers follow",
            target: "203.0.113.133",
            tweaks: vec![],
            expect: vec![zone_finding(
                "limit_exceeded",
                Some("cname_chain"),
                ".",
                None,
                None,
            )],
            verdict: "broken",
        },
        Scenario {
            name: "multiple-ptr",
            summary: "203.0.113.26 has two PTR records (both confirmed)",
            target: "203.0.113.26",
            tweaks: vec![],
            expect: vec![zone_finding("multiple_ptr", None, REV, None, None)],
            verdict: "degraded",
        },
        Scenario {
            name: "harmless-variations",
            summary: "servers differ only in TTLs, record order and additional sections: no finding",
            target: "203.0.113.25",
            tweaks: vec![
                serves(NS3, &["rev-ttl", "isp", "v6rev"]),
                Tweak::Fault {
                    server: NS2,
                    fault: Fault::NonMinimal,
                    zone: None,
                },
            ],
            expect: vec![],
            verdict: "ok",
        },
        Scenario {
            name: "multi-fault",
            summary: "several faults at once: ns2 refuses, ns3 is flaky, and isp.example lacks glue for ns3",
            target: "203.0.113.25",
            tweaks: vec![
                serves(NS2, &["isp", "v6rev"]),
                Tweak::Fault {
                    server: NS3,
                    fault: Fault::DropEvery(2),
                    zone: Some(REV),
                },
                serves("a.nic.example.", &["example-no-glue"]),
                serves("b.nic.example.", &["example-no-glue"]),
            ],
            expect: vec![
                at("lame", Some("refused"), NS2, "198.51.100.54"),
                at("lame", Some("refused"), NS2, "2001:db8:5300::54"),
                at("flaky", None, NS3, NS3_IP),
                zone_finding("missing_glue", None, "isp.example.", Some(NS3), None),
            ],
            verdict: "degraded",
        },
        Scenario {
            name: "forward-mismatch",
            summary: "203.0.113.27's PTR web.isp.example points to another address",
            target: "203.0.113.27",
            tweaks: vec![],
            expect: vec![zone_finding(
                "fcrdns_failed",
                Some("address_mismatch"),
                "isp.example.",
                None,
                None,
            )],
            verdict: "broken",
        },
        Scenario {
            name: "ptr-target-nxdomain",
            summary: "203.0.113.28's PTR gone.isp.example does not exist",
            target: "203.0.113.28",
            tweaks: vec![],
            expect: vec![zone_finding(
                "fcrdns_failed",
                Some("no_address"),
                "isp.example.",
                None,
                None,
            )],
            verdict: "broken",
        },
        Scenario {
            name: "forward-lame",
            summary: "ns3.isp.example serves the reverse zone but not the forward zone isp.example",
            target: "203.0.113.25",
            tweaks: vec![serves(NS3, &["rev", "v6rev"])],
            expect: vec![zone_finding(
                "lame",
                Some("refused"),
                "isp.example.",
                Some(NS3),
                Some(NS3_IP),
            )],
            verdict: "degraded",
        },
        Scenario {
            name: "forward-inconsistent",
            summary: "ns3.isp.example gives another address for mail.isp.example: FCrDNS fails through it",
            target: "203.0.113.25",
            tweaks: vec![serves(NS3, &["rev", "isp-stale", "v6rev"])],
            expect: vec![zone_finding(
                "inconsistent_answer",
                None,
                "isp.example.",
                Some(NS3),
                Some(NS3_IP),
            )],
            verdict: "degraded",
        },
        Scenario {
            name: "generic-ptr",
            summary: "203.0.113.29's PTR is 203-0-113-29.dynamic.isp.example: confirmed, but generic",
            target: "203.0.113.29",
            tweaks: vec![],
            expect: vec![zone_finding("generic_ptr", None, REV, None, None)],
            verdict: "degraded",
        },
        Scenario {
            name: "cut-short",
            summary: "ns3.isp.example's replies end in the middle of a record",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::CutShort),
            expect: vec![at("lame", Some("malformed"), NS3, NS3_IP)],
            verdict: "degraded",
        },
        Scenario {
            name: "compression-loop",
            summary: "ns3.isp.example's answer has a name compression pointer that points to itself",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::CompressionLoop),
            expect: vec![at("lame", Some("malformed"), NS3, NS3_IP)],
            verdict: "degraded",
        },
        Scenario {
            name: "wrong-question",
            summary: "ns3.isp.example answers another question than the one asked: not believed",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::WrongQuestion),
            expect: vec![at("unreachable", Some("timeout"), NS3, NS3_IP)],
            verdict: "degraded",
        },
        Scenario {
            name: "spoof-then-real",
            summary: "a reply with a wrong ID arrives before ns3's real one: ignored, the real one accepted",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::SpoofFirst),
            expect: vec![],
            verdict: "ok",
        },
        Scenario {
            name: "bulk-ns",
            summary: "203.in-addr.arpa delegates 113.0.203.in-addr.arpa to 200 NS names, 197 of them bogus",
            target: "203.0.113.25",
            tweaks: vec![
                serves("ns1.rir.example.", &["r203-bulk"]),
                serves("ns2.rir.example.", &["r203-bulk"]),
            ],
            expect: {
                let mut v = vec![
                    zone_finding("limit_exceeded", Some("ns_fanout"), ".", None, None),
                    zone_finding("ns_mismatch", None, REV, None, None),
                ];
                for n in BULK_USED {
                    v.push(zone_finding("ns_unresolvable", None, REV, Some(n), None));
                }
                v
            },
            verdict: "degraded",
        },
        Scenario {
            name: "huge-tcp",
            summary: "ns3.isp.example's PTR answer is 62 KB (thousands of additional records): over TCP",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::HugeAdditional),
            expect: vec![],
            verdict: "ok",
        },
        Scenario {
            name: "tcp-stall",
            summary: "ns3.isp.example truncates over UDP, then accepts TCP and never answers",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::TcpStall),
            expect: vec![at("tcp_failed", None, NS3, NS3_IP)],
            verdict: "degraded",
        },
        Scenario {
            name: "tcp-prefix-stall",
            summary: "ns3.isp.example truncates over UDP, then sends a TCP length prefix and stalls",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::TcpPrefixStall),
            expect: vec![at("tcp_failed", None, NS3, NS3_IP)],
            verdict: "degraded",
        },
        Scenario {
            name: "drop-30",
            summary: "ns3.isp.example drops 30% of UDP queries at random (seeded): run with --rounds",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::DropRandom {
                per_mille: 300,
                seed: 30,
            }),
            expect: vec![at("flaky", None, NS3, NS3_IP)],
            verdict: "degraded",
        },
        Scenario {
            name: "drop-5",
            summary: "ns3.isp.example drops 5% of UDP queries at random (seeded): run with --rounds 10",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::DropRandom {
                per_mille: 50,
                seed: 5,
            }),
            expect: vec![at("flaky", None, NS3, NS3_IP)],
            verdict: "degraded",
        },
        Scenario {
            name: "slow",
            summary: "ns3.isp.example answers after 1.8 s: inside a 2.5 s timeout, outside most resolvers' patience",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::Delay(std::time::Duration::from_millis(1800))),
            expect: vec![at("slow", None, NS3, NS3_IP)],
            verdict: "degraded",
        },
        Scenario {
            name: "ipv6",
            summary: "2001:db8::25 through ip6.arpa nibbles, IPv4 and IPv6 server addresses",
            target: "2001:db8::25",
            tweaks: vec![],
            expect: vec![],
            verdict: "ok",
        },
        Scenario {
            name: "ipv6-nibbles",
            summary: "2001:db8:1:ab00::25: ip6.arpa delegated at /32, again at /48 and at /56",
            target: "2001:db8:1:ab00::25",
            tweaks: vec![],
            expect: vec![],
            verdict: "ok",
        },
        Scenario {
            name: "ipv6-only-ns-silent",
            summary: "ns6.isp.example, an IPv6-only server of 8.b.d.0.1.0.0.2.ip6.arpa, never answers",
            target: "2001:db8::25",
            tweaks: vec![Tweak::Fault {
                server: "ns6.isp.example.",
                fault: Fault::Drop,
                zone: None,
            }],
            expect: vec![zone_finding(
                "unreachable",
                Some("timeout"),
                "8.b.d.0.1.0.0.2.ip6.arpa.",
                Some("ns6.isp.example."),
                Some("2001:db8:5300::66"),
            )],
            verdict: "degraded",
        },
        Scenario {
            name: "ipv6-bad-glue",
            summary: "example.'s IPv6 glue for ns2.isp.example is wrong, its IPv4 glue right",
            target: "2001:db8::25",
            tweaks: vec![
                serves("a.nic.example.", &["example-bad-v6-glue"]),
                serves("b.nic.example.", &["example-bad-v6-glue"]),
            ],
            expect: vec![
                zone_finding(
                    "glue_mismatch",
                    None,
                    "isp.example.",
                    Some(NS2),
                    Some("2001:db8:5300::99"),
                ),
                zone_finding(
                    "lame",
                    Some("refused"),
                    "isp.example.",
                    Some(NS2),
                    Some("2001:db8:5300::99"),
                ),
            ],
            verdict: "degraded",
        },
        Scenario {
            name: "no-ipv6-route",
            summary: "this host has no IPv6 route: IPv6 servers are reported untested, not unreachable",
            target: "2001:db8::25",
            tweaks: vec![Tweak::NoIpv6Route],
            expect: vec![zone_finding("untested", Some("no_route"), ".", None, None)],
            verdict: "ok",
        },
        Scenario {
            name: "dnssec-secure",
            summary: "a signed chain from the root through an RFC 2317 CNAME to the customer's zone and back: every server validates",
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
            name: "dnssec-ds-mismatch",
            summary: "203.in-addr.arpa publishes a DS for 113.0.203.in-addr.arpa that matches none of its keys",
            target: "203.0.113.25",
            tweaks: vec![
                serves("ns1.rir.example.", &["r203-bad-ds"]),
                serves("ns2.rir.example.", &["r203-bad-ds"]),
            ],
            expect: vec![zone_finding(
                "dnssec_bogus",
                Some("ds_mismatch"),
                REV,
                None,
                None,
            )],
            verdict: "broken",
        },
        Scenario {
            name: "dnssec-expired-one",
            summary: "ns3.isp.example, one of three servers, serves 113.0.203.in-addr.arpa with expired RRSIGs",
            target: "203.0.113.25",
            tweaks: vec![serves(NS3, &["rev-expired", "isp", "v6rev"])],
            expect: vec![at("dnssec_bogus", Some("expired_signature"), NS3, NS3_IP)],
            verdict: "degraded",
        },
        Scenario {
            name: "dnssec-stripped",
            summary: "ns2.isp.example answers for 113.0.203.in-addr.arpa without RRSIGs (DO=1 ignored)",
            target: "203.0.113.25",
            tweaks: vec![Tweak::Fault {
                server: NS2,
                fault: Fault::StripDnssec,
                zone: Some(REV),
            }],
            expect: vec![
                at("dnssec_bogus", Some("missing_rrsig"), NS2, "198.51.100.54"),
                at(
                    "dnssec_bogus",
                    Some("missing_rrsig"),
                    NS2,
                    "2001:db8:5300::54",
                ),
            ],
            verdict: "degraded",
        },
        Scenario {
            name: "dnssec-bad-signature",
            summary: "ns1.isp.example serves RRSIGs for 113.0.203.in-addr.arpa that do not verify",
            target: "203.0.113.25",
            tweaks: vec![Tweak::Fault {
                server: "ns1.isp.example.",
                fault: Fault::BadSignature,
                zone: Some(REV),
            }],
            expect: vec![at(
                "dnssec_bogus",
                Some("bad_signature"),
                "ns1.isp.example.",
                "198.51.100.53",
            )],
            verdict: "degraded",
        },
        Scenario {
            name: "dnssec-insecure",
            summary: "113.0.203.in-addr.arpa is unsigned below a signed 203.in-addr.arpa (no DS): insecure, not an error",
            target: "203.0.113.25",
            tweaks: vec![Tweak::Unsigned { zone: REV }],
            expect: vec![zone_finding("dnssec_insecure", None, REV, None, None)],
            verdict: "ok",
        },
        Scenario {
            name: "dnssec-nxdomain",
            summary: "203.0.113.99 has no PTR; every server proves the NXDOMAIN with signed NSEC records",
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
            name: "dnssec-nxdomain-no-nsec",
            summary: "ns1.isp.example answers NXDOMAIN for 203.0.113.99 without the NSEC proof",
            target: "203.0.113.99",
            tweaks: vec![Tweak::Fault {
                server: "ns1.isp.example.",
                fault: Fault::NoDenial,
                zone: Some(REV),
            }],
            expect: vec![
                Expect {
                    kind: "ptr_missing",
                    reason: Some("nxdomain"),
                    zone: REV,
                    server: None,
                    address: None,
                },
                at(
                    "dnssec_bogus",
                    Some("bad_denial"),
                    "ns1.isp.example.",
                    "198.51.100.53",
                ),
            ],
            verdict: "broken",
        },
        Scenario {
            name: "dnssec-not-yet-valid",
            summary: "ns2.isp.example serves 113.0.203.in-addr.arpa signed with a clock a day ahead",
            target: "203.0.113.25",
            tweaks: vec![serves(NS2, &["rev-future", "isp", "v6rev"])],
            expect: vec![
                at("dnssec_bogus", Some("not_yet_valid"), NS2, "198.51.100.54"),
                at(
                    "dnssec_bogus",
                    Some("not_yet_valid"),
                    NS2,
                    "2001:db8:5300::54",
                ),
            ],
            verdict: "degraded",
        },
        Scenario {
            name: "dnssec-unsigned-copy",
            summary: "ns3.isp.example serves an unsigned copy of the signed 113.0.203.in-addr.arpa",
            target: "203.0.113.25",
            tweaks: vec![serves(NS3, &["rev-unsigned", "isp", "v6rev"])],
            expect: vec![
                at("dnssec_bogus", Some("missing_dnskey"), NS3, NS3_IP),
                at("dnssec_bogus", Some("missing_rrsig"), NS3, NS3_IP),
                // It also disagrees with its siblings on the DNSKEY RRset itself.
                at("inconsistent_answer", None, NS3, NS3_IP),
            ],
            verdict: "degraded",
        },
        Scenario {
            name: "rrl-slip2",
            summary: "ns3.isp.example rate-limits identical responses as BIND's example does (5 a second, slip 2): paced probes are not dropped, never `flaky`",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::Rrl {
                per_second: 5,
                slip: 2,
            }),
            expect: vec![],
            verdict: "ok",
        },
        Scenario {
            name: "rrl-slip0",
            summary: "ns3.isp.example rate-limits identical responses (5 a second) and drops every excess one (slip 0): paced probes are not dropped",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::Rrl {
                per_second: 5,
                slip: 0,
            }),
            expect: vec![],
            verdict: "ok",
        },
        Scenario {
            name: "three-way-split",
            summary: "ns1, ns2 and ns3.isp.example each answer another PTR name for 203.0.113.25 (all forward-confirmed): no majority, every side is marked",
            target: "203.0.113.25",
            tweaks: vec![
                serves(NS2, &["rev-ptr-b", "isp", "v6rev"]),
                serves(NS3, &["rev-ptr-c", "isp", "v6rev"]),
            ],
            expect: vec![zone_finding("inconsistent_answer", None, REV, None, None)],
            verdict: "degraded",
        },
        Scenario {
            name: "all-silent",
            summary: "every server of 113.0.203.in-addr.arpa drops every query: lookups fail temporarily (receivers defer, not reject)",
            target: "203.0.113.25",
            tweaks: ["ns1.isp.example.", NS2, NS3]
                .into_iter()
                .map(|server| Tweak::Fault {
                    server,
                    fault: Fault::Drop,
                    zone: Some(REV),
                })
                .collect(),
            expect: vec![
                silent(REV, "ns1.isp.example.", "198.51.100.53"),
                silent(REV, NS2, "198.51.100.54"),
                silent(REV, NS2, "2001:db8:5300::54"),
                silent(REV, NS3, NS3_IP),
                zone_finding("no_reachable_server", None, REV, None, None),
            ],
            verdict: "broken",
        },
        Scenario {
            name: "isp-hidden-cut",
            summary: "the ISP's servers serve its /16 (51.198.in-addr.arpa) and the /24 below it: the /24's cut is hidden inside them, found and checked — no fault",
            target: "198.51.100.53",
            tweaks: vec![],
            expect: vec![],
            verdict: "ok",
        },
        Scenario {
            name: "classless-same-servers",
            summary: "203.0.113.192/26 is delegated (RFC 2317) to the servers of the /24 itself: the child's cut is hidden, found and validated — no fault",
            target: "203.0.113.200",
            tweaks: vec![],
            expect: vec![],
            verdict: "ok",
        },
        Scenario {
            name: "hidden-cut-insecure",
            summary: "the ISP's hidden /24 (100.51.198.in-addr.arpa) is unsigned below its signed /16: insecure, not an error",
            target: "198.51.100.53",
            tweaks: vec![Tweak::Unsigned { zone: HIDDEN }],
            expect: vec![zone_finding("dnssec_insecure", None, HIDDEN, None, None)],
            verdict: "ok",
        },
        Scenario {
            name: "hidden-cut-stale-key",
            summary: "ns3.isp.example serves the hidden /24 still signed with the key from before a rollover",
            target: "198.51.100.53",
            tweaks: vec![serves(
                NS3,
                &[
                    "rev",
                    "isp",
                    "v6rev",
                    "r51",
                    "r100-old-key",
                    "classless-isp",
                ],
            )],
            expect: vec![
                hidden_at("dnssec_bogus", Some("ds_mismatch")),
                hidden_at("dnssec_bogus", Some("missing_dnskey")),
                // It also disagrees with its siblings on the DNSKEY RRset itself.
                hidden_at("inconsistent_answer", None),
            ],
            verdict: "degraded",
        },
        Scenario {
            name: "hidden-cut-bad-ds",
            summary: "the ISP's /16 publishes a DS for its hidden /24 that matches none of the /24's keys",
            target: "198.51.100.53",
            tweaks: ["ns1.isp.example.", NS2, NS3]
                .into_iter()
                .map(|ns| {
                    serves(
                        ns,
                        &["rev", "isp", "v6rev", "r51-bad-ds", "r100", "classless-isp"],
                    )
                })
                .collect(),
            expect: vec![zone_finding(
                "dnssec_bogus",
                Some("ds_mismatch"),
                HIDDEN,
                None,
                None,
            )],
            verdict: "broken",
        },
    ]
}
