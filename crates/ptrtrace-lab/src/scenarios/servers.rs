//! Server faults: lame (each reason), silent, closed, flaky, truncated; the healthy lab and the
//! shapes of the reverse tree.

use super::*;

/// The scenarios of this family, in `lab list` order.
#[expect(
    clippy::too_many_lines,
    reason = "a table of scenario literals: data, one entry per fault (docs/design.md §9)"
)]
pub(super) fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "healthy",
            summary: "every server of every zone answers correctly; PTR and FCrDNS hold",
            target: "203.0.113.25",
            tweaks: vec![],
            expect: vec![],
            verdict: "ok",
            ..Scenario::default()
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
            ..Scenario::default()
        },
        Scenario {
            name: "servfail",
            summary: "ns3.isp.example has the zone configured but answers SERVFAIL (expired or failed load)",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::Servfail),
            expect: vec![at("lame", Some("servfail"), NS3, NS3_IP)],
            verdict: "degraded",
            ..Scenario::default()
        },
        Scenario {
            name: "not-authoritative",
            summary: "ns3.isp.example answers the PTR without the AA bit (a cache, not the zone's server)",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::NoAa),
            expect: vec![at("lame", Some("not_authoritative"), NS3, NS3_IP)],
            verdict: "degraded",
            ..Scenario::default()
        },
        Scenario {
            name: "upward-referral",
            summary: "ns3.isp.example refers the question back to the root instead of answering",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::UpwardReferral),
            expect: vec![at("lame", Some("upward_referral"), NS3, NS3_IP)],
            verdict: "degraded",
            ..Scenario::default()
        },
        Scenario {
            name: "referral-elsewhere",
            summary: "ns3.isp.example refers the question to an unrelated zone",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::ReferElsewhere),
            expect: vec![at("lame", Some("referral_elsewhere"), NS3, NS3_IP)],
            verdict: "degraded",
            ..Scenario::default()
        },
        Scenario {
            name: "formerr",
            summary: "ns3.isp.example answers FORMERR (an old server choking on the query)",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::Formerr),
            expect: vec![at("lame", Some("other_rcode"), NS3, NS3_IP)],
            verdict: "degraded",
            ..Scenario::default()
        },
        Scenario {
            name: "garbage",
            summary: "ns3.isp.example replies with bytes that are not a DNS message",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::Garbage),
            expect: vec![at("lame", Some("malformed"), NS3, NS3_IP)],
            verdict: "degraded",
            ..Scenario::default()
        },
        Scenario {
            name: "ptr-silent",
            summary: "ns3.isp.example answers SOA and NS but never PTR questions",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::DropType(hickory_proto::rr::RecordType::PTR)),
            expect: vec![at("unreachable", Some("timeout"), NS3, NS3_IP)],
            verdict: "degraded",
            ..Scenario::default()
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
            ..Scenario::default()
        },
        Scenario {
            name: "silent",
            summary: "ns3.isp.example never answers questions about 113.0.203.in-addr.arpa (timeout)",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::Drop),
            expect: vec![at("unreachable", Some("timeout"), NS3, NS3_IP)],
            verdict: "degraded",
            ..Scenario::default()
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
            ..Scenario::default()
        },
        Scenario {
            name: "flaky",
            summary: "ns3.isp.example drops every other query for 113.0.203.in-addr.arpa",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::DropEvery(2)),
            expect: vec![at("flaky", None, NS3, NS3_IP)],
            verdict: "degraded",
            ..Scenario::default()
        },
        Scenario {
            name: "truncated",
            summary: "ns3.isp.example truncates every UDP reply (TC=1); the answer comes over TCP",
            target: "203.0.113.25",
            tweaks: ns3_fault(Fault::Truncate),
            expect: vec![],
            verdict: "ok",
            ..Scenario::default()
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
            ..Scenario::default()
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
            ..Scenario::default()
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
            ..Scenario::default()
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
            ..Scenario::default()
        },
        Scenario {
            name: "one-root-without-arpa",
            summary: "b.root-servers.example does not serve arpa. (a does, as real root servers do): it refers to arpa., a.root-servers.example straight to in-addr.arpa. — one tree, no fault",
            target: "203.0.113.25",
            tweaks: vec![serves("b.root-servers.example.", &["root"])],
            expect: vec![],
            verdict: "ok",
            ..Scenario::default()
        },
    ]
}
