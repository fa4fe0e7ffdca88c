//! Zones and delegations: serials, parents, NS sets, glue, TCP and EDNS, spoofed replies,
//! CNAME chains and loops.

use super::*;

/// The scenarios of this family, in `lab list` order.
#[expect(
    clippy::too_many_lines,
    reason = "a table of scenario literals: data, one entry per fault (docs/design.md §9)"
)]
pub(super) fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "stale-serial",
            summary: "ns3.isp.example has the same records but an old SOA serial (missed transfers)",
            target: "203.0.113.25",
            tweaks: vec![serves(NS3, &["rev-old-serial", "isp", "v6rev"])],
            expect: vec![at("inconsistent_serial", None, NS3, NS3_IP)],
            verdict: "degraded",
            ..Scenario::default()
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
            ..Scenario::default()
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
            ..Scenario::default()
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
            ..Scenario::default()
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
            ..Scenario::default()
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
            ..Scenario::default()
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
            ..Scenario::default()
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
            ..Scenario::default()
        },
        Scenario {
            name: "edns-failed",
            summary: "ns3.isp.example drops queries that carry EDNS and answers plain ones",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::NoEdns),
            expect: vec![at("edns_failed", None, NS3, NS3_IP)],
            verdict: "degraded",
            ..Scenario::default()
        },
        Scenario {
            name: "wrong-id",
            summary: "ns3.isp.example replies with the wrong query ID: the replies must not be believed",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::WrongId),
            expect: vec![at("unreachable", Some("timeout"), NS3, NS3_IP)],
            verdict: "degraded",
            ..Scenario::default()
        },
        Scenario {
            name: "wrong-source",
            summary: "ns3.isp.example replies from another source port: the replies must not be believed",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::WrongSource),
            expect: vec![at("unreachable", Some("timeout"), NS3, NS3_IP)],
            verdict: "degraded",
            ..Scenario::default()
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
            ..Scenario::default()
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
            ..Scenario::default()
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
            ..Scenario::default()
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
            ..Scenario::default()
        },
        Scenario {
            name: "multiple-ptr",
            summary: "203.0.113.26 has two PTR records (both confirmed)",
            target: "203.0.113.26",
            tweaks: vec![],
            expect: vec![zone_finding("multiple_ptr", None, REV, None, None)],
            verdict: "degraded",
            ..Scenario::default()
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
            ..Scenario::default()
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
            ..Scenario::default()
        },
    ]
}
