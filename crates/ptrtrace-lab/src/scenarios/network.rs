//! Packet loss, slow servers and IPv6.

use super::*;

/// The scenarios of this family, in `lab list` order.
#[expect(
    clippy::too_many_lines,
    reason = "a table of scenario literals: data, one entry per fault (docs/design.md §9)"
)]
pub(super) fn scenarios() -> Vec<Scenario> {
    vec![
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
            rounds: 10,
            ..Scenario::default()
        },
        Scenario {
            name: "drop-5",
            summary: "ns3.isp.example drops 5% of UDP queries at random (seeded): run with --rounds 15",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::DropRandom {
                per_mille: 50,
                seed: 5,
            }),
            expect: vec![at("flaky", None, NS3, NS3_IP)],
            verdict: "degraded",
            rounds: 15,
            ..Scenario::default()
        },
        Scenario {
            name: "slow",
            summary: "ns3.isp.example answers after 1.8 s: inside a 2.5 s timeout, outside most resolvers' patience",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::Delay(std::time::Duration::from_millis(1800))),
            expect: vec![at("slow", None, NS3, NS3_IP)],
            verdict: "degraded",
            min_timeout: std::time::Duration::from_millis(2500),
            ..Scenario::default()
        },
        Scenario {
            name: "ipv6",
            summary: "2001:db8::25 through ip6.arpa nibbles, IPv4 and IPv6 server addresses",
            target: "2001:db8::25",
            tweaks: vec![],
            expect: vec![],
            verdict: "ok",
            ..Scenario::default()
        },
        Scenario {
            name: "ipv6-nibbles",
            summary: "2001:db8:1:ab00::25: ip6.arpa delegated at /32, again at /48 and at /56",
            target: "2001:db8:1:ab00::25",
            tweaks: vec![],
            expect: vec![],
            verdict: "ok",
            ..Scenario::default()
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
            ..Scenario::default()
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
            ..Scenario::default()
        },
        Scenario {
            name: "no-ipv6-route",
            summary: "this host has no IPv6 route: IPv6 servers are reported untested, not unreachable",
            target: "2001:db8::25",
            tweaks: vec![Tweak::NoIpv6Route],
            expect: vec![zone_finding("untested", Some("no_route"), ".", None, None)],
            verdict: "ok",
            ..Scenario::default()
        },
    ]
}
