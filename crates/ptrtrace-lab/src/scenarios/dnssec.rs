//! DNSSEC: the chain of trust and each server's signatures.

use super::*;

/// The scenarios of this family, in `lab list` order.
#[expect(
    clippy::too_many_lines,
    reason = "a table of scenario literals: data, one entry per fault (docs/design.md §9)"
)]
pub(super) fn scenarios() -> Vec<Scenario> {
    vec![
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
            dnssec: true,
            ..Scenario::default()
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
            dnssec: true,
            ..Scenario::default()
        },
        Scenario {
            name: "dnssec-expired-one",
            summary: "ns3.isp.example, one of three servers, serves 113.0.203.in-addr.arpa with expired RRSIGs",
            target: "203.0.113.25",
            tweaks: vec![serves(NS3, &["rev-expired", "isp", "v6rev"])],
            expect: vec![at("dnssec_bogus", Some("expired_signature"), NS3, NS3_IP)],
            verdict: "degraded",
            dnssec: true,
            ..Scenario::default()
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
            dnssec: true,
            ..Scenario::default()
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
            dnssec: true,
            ..Scenario::default()
        },
        Scenario {
            name: "dnssec-insecure",
            summary: "113.0.203.in-addr.arpa is unsigned below a signed 203.in-addr.arpa (no DS): insecure, not an error",
            target: "203.0.113.25",
            tweaks: vec![Tweak::Unsigned { zone: REV }],
            expect: vec![zone_finding("dnssec_insecure", None, REV, None, None)],
            verdict: "ok",
            dnssec: true,
            ..Scenario::default()
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
            dnssec: true,
            ..Scenario::default()
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
            dnssec: true,
            ..Scenario::default()
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
            dnssec: true,
            ..Scenario::default()
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
            dnssec: true,
            ..Scenario::default()
        },
    ]
}
