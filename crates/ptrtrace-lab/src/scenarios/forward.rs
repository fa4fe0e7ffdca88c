//! Forward confirmation, generic names, malformed and hostile replies, big and stalled TCP.

use super::*;

/// The scenarios of this family, in `lab list` order.
#[expect(
    clippy::too_many_lines,
    reason = "a table of scenario literals: data, one entry per fault (docs/design.md §9)"
)]
pub(super) fn scenarios() -> Vec<Scenario> {
    vec![
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
            ..Scenario::default()
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
            ..Scenario::default()
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
            ..Scenario::default()
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
            ..Scenario::default()
        },
        Scenario {
            name: "generic-ptr",
            summary: "203.0.113.29's PTR is 203-0-113-29.dynamic.isp.example: confirmed, but generic",
            target: "203.0.113.29",
            tweaks: vec![],
            expect: vec![zone_finding("generic_ptr", None, REV, None, None)],
            verdict: "degraded",
            ..Scenario::default()
        },
        Scenario {
            name: "cut-short",
            summary: "ns3.isp.example's replies end in the middle of a record",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::CutShort),
            expect: vec![at("lame", Some("malformed"), NS3, NS3_IP)],
            verdict: "degraded",
            ..Scenario::default()
        },
        Scenario {
            name: "compression-loop",
            summary: "ns3.isp.example's answer has a name compression pointer that points to itself",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::CompressionLoop),
            expect: vec![at("lame", Some("malformed"), NS3, NS3_IP)],
            verdict: "degraded",
            ..Scenario::default()
        },
        Scenario {
            name: "wrong-question",
            summary: "ns3.isp.example answers another question than the one asked: not believed",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::WrongQuestion),
            expect: vec![at("unreachable", Some("timeout"), NS3, NS3_IP)],
            verdict: "degraded",
            ..Scenario::default()
        },
        Scenario {
            name: "spoof-then-real",
            summary: "a reply with a wrong ID arrives before ns3's real one: ignored, the real one accepted",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::SpoofFirst),
            expect: vec![],
            verdict: "ok",
            ..Scenario::default()
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
            ..Scenario::default()
        },
        Scenario {
            name: "huge-tcp",
            summary: "ns3.isp.example's PTR answer is 62 KB (thousands of additional records): over TCP",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::HugeAdditional),
            expect: vec![],
            verdict: "ok",
            ..Scenario::default()
        },
        Scenario {
            name: "tcp-stall",
            summary: "ns3.isp.example truncates over UDP, then accepts TCP and never answers",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::TcpStall),
            expect: vec![at("tcp_failed", None, NS3, NS3_IP)],
            verdict: "degraded",
            ..Scenario::default()
        },
        Scenario {
            name: "tcp-prefix-stall",
            summary: "ns3.isp.example truncates over UDP, then sends a TCP length prefix and stalls",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::TcpPrefixStall),
            expect: vec![at("tcp_failed", None, NS3, NS3_IP)],
            verdict: "degraded",
            ..Scenario::default()
        },
    ]
}
