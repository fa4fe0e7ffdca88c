//! The real Internet's shapes: rate limiting, splits without a majority, every server silent,
//! zone cuts hidden inside one server set.

use super::*;

/// The scenarios of this family, in `lab list` order.
#[expect(
    clippy::too_many_lines,
    reason = "a table of scenario literals: data, one entry per fault (docs/design.md §9)"
)]
pub(super) fn scenarios() -> Vec<Scenario> {
    vec![
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
            rrl_pacing: true,
            ..Scenario::default()
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
            rrl_pacing: true,
            ..Scenario::default()
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
            ..Scenario::default()
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
            ..Scenario::default()
        },
        Scenario {
            name: "isp-hidden-cut",
            summary: "the ISP's servers serve its /16 (51.198.in-addr.arpa) and the /24 below it: the /24's cut is hidden inside them, found and checked — no fault",
            target: "198.51.100.53",
            tweaks: vec![],
            expect: vec![],
            verdict: "ok",
            ..Scenario::default()
        },
        Scenario {
            name: "classless-same-servers",
            summary: "203.0.113.192/26 is delegated (RFC 2317) to the servers of the /24 itself: the child's cut is hidden, found and validated — no fault",
            target: "203.0.113.200",
            tweaks: vec![],
            expect: vec![],
            verdict: "ok",
            ..Scenario::default()
        },
        Scenario {
            name: "hidden-cut-one-label",
            summary: "203.0.113.41 is a signed zone of its own on the servers of the /24 the referral names: they answer from it, one label below, and no referral shows the cut — found by the RRSIG signer, no fault",
            target: "203.0.113.41",
            tweaks: vec![],
            expect: vec![],
            verdict: "ok",
            ..Scenario::default()
        },
        Scenario {
            name: "hidden-cut-at-target",
            summary: "198.51.100.61 is a signed zone of its own, on the servers of the /16 and the /24 above it: two cuts below the last referral, the last at the target's own name, found and validated — no fault",
            target: "198.51.100.61",
            tweaks: vec![],
            expect: vec![],
            verdict: "ok",
            ..Scenario::default()
        },
        Scenario {
            name: "wildcard",
            summary: "198.51.105.7's PTR comes from a signed wildcard (*.105.51.198.in-addr.arpa): the RRSIG is the wildcard's and an NSEC proves no closer name, as validators accept — no fault",
            target: "198.51.105.7",
            tweaks: vec![],
            expect: vec![],
            verdict: "ok",
            ..Scenario::default()
        },
        Scenario {
            name: "wildcard-no-nsec",
            summary: "ns1.isp.example answers from the signed wildcard without the NSEC that proves no closer name exists: validators reject its answer (RFC 4035 §5.3.4)",
            target: "198.51.105.7",
            tweaks: vec![Tweak::Fault {
                server: "ns1.isp.example.",
                fault: Fault::NoDenial,
                zone: Some("51.198.in-addr.arpa."),
            }],
            expect: vec![zone_finding(
                "dnssec_bogus",
                Some("bad_denial"),
                "51.198.in-addr.arpa.",
                Some("ns1.isp.example."),
                Some("198.51.100.53"),
            )],
            verdict: "degraded",
            dnssec: true,
            ..Scenario::default()
        },
        Scenario {
            name: "dname",
            summary: "198.51.101.0/24 was renumbered: a signed DNAME in the ISP's /16 redirects its reverse names to 100.51.198.in-addr.arpa (RFC 6672), with an unsigned synthesized CNAME, as validators accept — no fault",
            target: "198.51.101.60",
            tweaks: vec![],
            expect: vec![zone_finding(
                "classless_delegation",
                None,
                "51.198.in-addr.arpa.",
                None,
                None,
            )],
            verdict: "ok",
            ..Scenario::default()
        },
        Scenario {
            name: "cname-through-dname",
            summary: "203.0.113.140 is a CNAME to a name below the signed DNAME of the renumbered 198.51.101.0/24: a chain CNAME → DNAME → PTR, every link validated — no fault",
            target: "203.0.113.140",
            tweaks: vec![],
            expect: vec![
                zone_finding("classless_delegation", None, REV, None, None),
                zone_finding(
                    "classless_delegation",
                    None,
                    "51.198.in-addr.arpa.",
                    None,
                    None,
                ),
            ],
            verdict: "ok",
            ..Scenario::default()
        },
        Scenario {
            name: "dname-unsigned",
            summary: "the same DNAME in an unsigned /16 (51.198.in-addr.arpa): insecure, followed like a CNAME — no fault",
            target: "198.51.101.60",
            tweaks: vec![Tweak::Unsigned {
                zone: "51.198.in-addr.arpa.",
            }],
            expect: vec![
                zone_finding(
                    "classless_delegation",
                    None,
                    "51.198.in-addr.arpa.",
                    None,
                    None,
                ),
                zone_finding("dnssec_insecure", None, "51.198.in-addr.arpa.", None, None),
            ],
            verdict: "ok",
            ..Scenario::default()
        },
        Scenario {
            name: "dname-ipv6",
            summary: "2001:db8:0:2::/64 was renumbered: a signed DNAME in 8.b.d.0.1.0.0.2.ip6.arpa redirects its nibbles to 2001:db8::/64's — no fault",
            target: "2001:db8:0:2::25",
            tweaks: vec![],
            expect: vec![zone_finding(
                "classless_delegation",
                None,
                "8.b.d.0.1.0.0.2.ip6.arpa.",
                None,
                None,
            )],
            verdict: "ok",
            ..Scenario::default()
        },
        Scenario {
            name: "hidden-cut-insecure",
            summary: "the ISP's hidden /24 (100.51.198.in-addr.arpa) is unsigned below its signed /16: insecure, not an error",
            target: "198.51.100.53",
            tweaks: vec![Tweak::Unsigned { zone: HIDDEN }],
            expect: vec![zone_finding("dnssec_insecure", None, HIDDEN, None, None)],
            verdict: "ok",
            ..Scenario::default()
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
            ..Scenario::default()
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
            ..Scenario::default()
        },
    ]
}
