//! Every lab scenario, traced over real UDP and TCP sockets on loopback, must produce exactly
//! the findings and verdict it declares. Nothing here can reach a real root server: the lab's
//! address map is strict and its hints name only lab servers.

// A test fails by panicking: unwrap and expect are how it says so.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::IpAddr;
use std::time::Duration;

use ptrtrace_core::diagnose::Severity;
use ptrtrace_core::report::TargetReport;
use ptrtrace_core::trace::{self, ReplyClass};
use ptrtrace_lab::{self as lab, Scenario, expected, observed};

fn scenario(name: &str) -> Scenario {
    lab::scenarios()
        .into_iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no scenario {name}"))
}

async fn run(s: &Scenario) -> TargetReport {
    let running = lab::start(s).await.expect("lab starts");
    assert!(running.map.is_strict(), "the lab map must be strict");
    let mut cfg = running.config();
    cfg.timeout = Duration::from_millis(1000);
    // The random-drop scenarios are measured over ten rounds, back to back.
    s.fit(&mut cfg);
    let target: IpAddr = s.target.parse().unwrap();
    let walk = trace::trace_rounds(target, &cfg, None, None).await;
    TargetReport::new(walk)
}

/// Nothing above info: no warning, no error.
fn assert_only_info(r: &TargetReport) {
    let above: Vec<&str> = r
        .diagnosis
        .findings
        .iter()
        .filter(|f| f.severity != Severity::Info)
        .map(|f| f.kind.as_str())
        .collect();
    assert!(above.is_empty(), "{above:?}");
}

async fn check(name: &str) -> TargetReport {
    let s = scenario(name);
    let r = run(&s).await;
    assert_eq!(
        observed(&s, &r),
        expected(&s),
        "findings of scenario {name}"
    );
    assert_eq!(
        r.diagnosis.verdict.as_str(),
        s.verdict,
        "verdict of scenario {name}"
    );
    // No probe may have been refused by the strict map: the lab is complete.
    for p in &r.walk.probes {
        for a in &p.attempts {
            assert_ne!(
                a.status, "not_sent",
                "{name}: probe to {} was not sent",
                p.address
            );
        }
    }
    r
}

#[tokio::test]
async fn healthy_has_no_warning_and_asks_every_address_of_every_level() {
    let r = check("healthy").await;
    assert_only_info(&r);
    let q0 = &r.walk.questions[0];
    let zones: Vec<String> = q0.zones.iter().map(ToString::to_string).collect();
    assert_eq!(
        zones,
        [
            ".",
            "arpa.",
            "in-addr.arpa.",
            "203.in-addr.arpa.",
            "113.0.203.in-addr.arpa."
        ]
    );
    // Every address of every NS name of every zone got 3 probes for the PTR question; arpa.
    // is served by the root servers (as on the real Internet), whose referrals skip it, so
    // the PTR question is never asked of it as arpa. — its cut was found by a SOA question.
    let expected_addrs = [
        (".", 3),
        ("in-addr.arpa.", 2),
        ("203.in-addr.arpa.", 3),
        ("113.0.203.in-addr.arpa.", 4),
    ];
    for (zone, n) in expected_addrs {
        let probes: Vec<_> = r
            .walk
            .probes
            .iter()
            .filter(|p| p.question == 0 && p.zone.to_string() == zone)
            .collect();
        assert_eq!(probes.len(), n * 3, "probes for {zone}");
        assert!(probes.iter().all(|p| p.class.is_useful()), "{zone}");
    }
    let arpa = &r.walk.zones[&hickory_proto::rr::Name::from_ascii("arpa.").unwrap()];
    let found: std::collections::BTreeSet<String> = arpa
        .found_inside
        .iter()
        .map(|c| c.address.to_string())
        .collect();
    assert_eq!(
        found.into_iter().collect::<Vec<_>>(),
        ["192.0.2.1", "192.0.2.2", "2001:db8:53::2"]
    );
    assert!(arpa.delegations.is_empty(), "no referral names arpa.");
    // Its zone checks asked every root address as a server of arpa.
    let soa_checked: std::collections::BTreeSet<String> = r
        .walk
        .probes
        .iter()
        .filter(|p| {
            let q = &r.walk.questions[p.question];
            p.zone.to_string() == "arpa."
                && q.name.to_string() == "arpa."
                && q.qtype.to_string() == "SOA"
                && p.class.is_useful()
        })
        .map(|p| p.address.to_string())
        .collect();
    assert_eq!(soa_checked.len(), 3, "{soa_checked:?}");
    assert_eq!(r.diagnosis.ptr.len(), 1);
    assert_eq!(r.diagnosis.ptr[0].to_string(), "mail.isp.example.");
    assert!(r.diagnosis.fcrdns.iter().all(|f| f.confirmed));
    // Queries carry RD=0 and EDNS: the lab answers authoritatively, with the AA bit.
    let answer = r
        .walk
        .probes
        .iter()
        .find(|p| matches!(p.class, ReplyClass::Answer { .. }) && p.question == 0)
        .unwrap();
    assert!(answer.attempts[0].aa);
    assert_eq!(answer.attempts[0].rcode.as_deref(), Some("NOERROR"));
}

#[tokio::test]
async fn refused() {
    let r = check("refused").await;
    let f = &r.diagnosis.findings[0];
    assert!(
        f.evidence[0].contains("answered REFUSED to 3 of 3 probes"),
        "{:?}",
        f.evidence
    );
    // One lame server of three: a third of resolvers' first tries at that level fail.
    let level = r
        .diagnosis
        .levels
        .iter()
        .find(|l| l.zone.to_string() == "113.0.203.in-addr.arpa.")
        .unwrap();
    assert_eq!((level.failing_servers, level.servers), (1, 3));
    // A validating resolver's first try fails when it picks ns3 (1 in 3); retries recover.
    let odds = &r.diagnosis.odds;
    assert!(
        (odds.first_try.fail - 1.0 / 3.0).abs() < 1e-9,
        "{:?}",
        odds.first_try
    );
    assert!(
        (odds.with_retries.correct - 1.0).abs() < 1e-9,
        "{:?}",
        odds.with_retries
    );
    assert_eq!((level.failing_addresses, level.addresses), (2, 4));
    assert!(
        (level.first_try_failure - 1.0 / 3.0).abs() < 1e-9,
        "{}",
        level.first_try_failure
    );
    assert!(
        r.diagnosis
            .levels
            .iter()
            .filter(|l| l.zone != level.zone)
            .all(|l| l.failing_servers == 0)
    );
    assert_eq!(
        r.diagnosis.contacts.get(&level.zone).map(String::as_str),
        Some("hostmaster@isp.example")
    );
}

#[tokio::test]
async fn servfail() {
    check("servfail").await;
}

#[tokio::test]
async fn not_authoritative() {
    check("not-authoritative").await;
}

#[tokio::test]
async fn upward_referral() {
    check("upward-referral").await;
}

#[tokio::test]
async fn inconsistent() {
    let r = check("inconsistent").await;
    let names: Vec<String> = r.diagnosis.ptr.iter().map(ToString::to_string).collect();
    assert_eq!(names, ["mail.isp.example.", "old-mail.isp.example."]);
    let f = r
        .diagnosis
        .findings
        .iter()
        .find(|f| f.kind.as_str() == "inconsistent_answer")
        .unwrap();
    assert!(
        f.evidence
            .iter()
            .any(|e| e.contains("old-mail.isp.example.")),
        "{:?}",
        f.evidence
    );
}

#[tokio::test]
async fn silent() {
    check("silent").await;
}

#[tokio::test]
async fn closed() {
    check("closed").await;
}

#[tokio::test]
async fn flaky() {
    let r = check("flaky").await;
    let f = r
        .diagnosis
        .findings
        .iter()
        .find(|f| f.kind.as_str() == "flaky")
        .unwrap();
    assert!(
        f.message.contains("answered only 2 of 3 probes"),
        "{}",
        f.message
    );
}

#[tokio::test]
async fn truncated_udp_is_retried_over_tcp() {
    let r = check("truncated").await;
    let ns3: Vec<_> = r
        .walk
        .probes
        .iter()
        .filter(|p| p.question == 0 && p.address.to_string() == "198.51.100.55")
        .collect();
    assert_eq!(ns3.len(), 3);
    for p in ns3 {
        let kinds: Vec<_> = p.attempts.iter().map(|a| (a.transport, a.tc)).collect();
        assert_eq!(
            kinds,
            [
                (ptrtrace_core::net::Transport::Udp, true),
                (ptrtrace_core::net::Transport::Tcp, false)
            ]
        );
        assert!(matches!(p.class, ReplyClass::Answer { .. }));
    }
}

#[tokio::test]
async fn classless() {
    let r = check("classless").await;
    assert_eq!(r.diagnosis.ptr[0].to_string(), "mail.customer.example.");
    assert!(
        r.walk
            .zones
            .keys()
            .any(|z| z.to_string() == "128-26.113.0.203.in-addr.arpa.")
    );
}

#[tokio::test]
async fn nxdomain() {
    check("nxdomain").await;
}

#[tokio::test]
async fn nodata() {
    check("nodata").await;
}

#[tokio::test]
async fn ipv6() {
    let r = check("ipv6").await;
    let zones: Vec<String> = r.walk.questions[0]
        .zones
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        zones,
        [".", "arpa.", "ip6.arpa.", "8.b.d.0.1.0.0.2.ip6.arpa."]
    );
    // IPv6 server addresses were probed, and the forward check used AAAA.
    assert!(
        r.walk
            .probes
            .iter()
            .any(|p| p.address.is_ipv6() && p.class.is_useful())
    );
    assert_eq!(r.diagnosis.fcrdns[0].qtype.to_string(), "AAAA");
    assert!(r.diagnosis.fcrdns[0].confirmed);
}

/// Silent servers at every level cost about one timeout in total, because the walk descends
/// on the first referral: every zone is entered while the silent servers of the zone above
/// are still being waited for. Asserted on the recorded send times, not on wall time.
#[tokio::test]
async fn silent_everywhere_descends_without_waiting_for_timeouts() {
    let r = check("silent-everywhere").await;
    let timeout_ms = 1000.0;
    for zone in [
        "in-addr.arpa.",
        "203.in-addr.arpa.",
        "113.0.203.in-addr.arpa.",
    ] {
        let first = r
            .walk
            .probes
            .iter()
            .filter(|p| p.question == 0 && p.zone.to_string() == zone)
            .map(|p| p.sent_at_ms)
            .fold(f64::INFINITY, f64::min);
        assert!(
            first < timeout_ms,
            "{zone} was first queried at {first} ms, after a timeout elapsed"
        );
    }
    // Probes to one address are spaced, not queued behind each other's timeouts.
    let silent: Vec<f64> = r
        .walk
        .probes
        .iter()
        .filter(|p| p.question == 0 && p.address.to_string() == "198.51.100.55")
        .map(|p| p.sent_at_ms)
        .collect();
    assert_eq!(silent.len(), 3);
    let spread = silent.iter().copied().fold(f64::MIN, f64::max)
        - silent.iter().copied().fold(f64::MAX, f64::min);
    assert!(
        spread < timeout_ms,
        "probes to one silent address spread over {spread} ms"
    );
}

fn finding<'a>(r: &'a TargetReport, kind: &str) -> &'a ptrtrace_core::diagnose::Finding {
    r.diagnosis
        .findings
        .iter()
        .find(|f| f.kind.as_str() == kind)
        .unwrap_or_else(|| panic!("no {kind} finding"))
}

#[tokio::test]
async fn stale_serial_names_both_serials() {
    let r = check("stale-serial").await;
    let f = finding(&r, "inconsistent_serial");
    let ev = f.evidence.join(" | ");
    assert!(
        ev.contains("has serial 2026112700") && ev.contains("has serial 2026112801"),
        "{ev}"
    );
    assert_eq!(f.severity, Severity::Warning);
}

#[tokio::test]
async fn parents_disagree() {
    let r = check("parents-disagree").await;
    let f = finding(&r, "ns_mismatch");
    assert!(
        f.message.contains("only the child lists ns3.isp.example."),
        "{}",
        f.message
    );
    assert!(
        f.evidence[0].contains("ns2.rir.example."),
        "{:?}",
        f.evidence
    );
}

#[tokio::test]
async fn ns_mismatch_child_lists_more() {
    let r = check("ns-mismatch").await;
    let f = finding(&r, "ns_mismatch");
    assert!(
        f.message.contains("only the child lists ns4.isp.example."),
        "{}",
        f.message
    );
}

#[tokio::test]
async fn ns_unresolvable() {
    let r = check("ns-unresolvable").await;
    assert!(
        finding(&r, "ns_mismatch")
            .message
            .contains("only the parent lists ns4.isp.example.")
    );
    assert!(
        finding(&r, "ns_unresolvable")
            .message
            .contains("no A or AAAA record")
    );
}

#[tokio::test]
async fn glue_mismatch() {
    let r = check("glue-mismatch").await;
    let f = finding(&r, "glue_mismatch");
    assert!(
        f.message
            .contains("says 198.51.100.99, but isp.example. itself says 198.51.100.55"),
        "{}",
        f.message
    );
}

#[tokio::test]
async fn missing_glue_is_found_and_the_server_still_reached() {
    let r = check("missing-glue").await;
    assert!(
        r.walk
            .probes
            .iter()
            .any(|p| p.zone.to_string() == "isp.example."
                && p.address.to_string() == "198.51.100.55"
                && p.class.is_useful())
    );
}

#[tokio::test]
async fn tcp_failed() {
    let r = check("tcp-failed").await;
    assert!(
        r.diagnosis
            .findings
            .iter()
            .filter(|f| f.kind.as_str() == "tcp_failed")
            .all(|f| f.severity == Severity::Warning)
    );
}

#[tokio::test]
async fn truncated_no_tcp_is_an_error_where_answers_are_truncated() {
    let r = check("truncated-no-tcp").await;
    let rev = r
        .diagnosis
        .findings
        .iter()
        .find(|f| {
            f.kind.as_str() == "tcp_failed" && f.zone.to_string() == "113.0.203.in-addr.arpa."
        })
        .unwrap();
    assert_eq!(rev.severity, Severity::Error);
}

#[tokio::test]
async fn edns_failed_is_not_mistaken_for_unreachable() {
    let r = check("edns-failed").await;
    assert!(
        finding(&r, "edns_failed")
            .message
            .contains("drops every query that carries EDNS")
    );
}

#[tokio::test]
async fn wrong_id_replies_are_discarded_and_counted() {
    let r = check("wrong-id").await;
    let f = finding(&r, "unreachable");
    assert!(
        f.message
            .contains("replies with a wrong ID or question were discarded"),
        "{}",
        f.message
    );
    // The real servers' answers were still believed: the PTR came through the others.
    assert_eq!(r.diagnosis.ptr.len(), 1);
}

#[tokio::test]
async fn wrong_source_replies_are_not_believed() {
    let r = check("wrong-source").await;
    let ns3: Vec<_> = r
        .walk
        .probes
        .iter()
        .filter(|p| p.address.to_string() == "198.51.100.55" && p.question == 0)
        .collect();
    assert!(
        ns3.iter()
            .all(|p| matches!(p.class, ReplyClass::Silent { .. }))
    );
}

#[tokio::test]
async fn glueless_lame() {
    check("glueless-lame").await;
}

#[tokio::test]
async fn referral_loop() {
    let r = check("referral-loop").await;
    assert!(r.diagnosis.ptr.is_empty());
}

#[tokio::test]
async fn cname_loop() {
    let r = check("cname-loop").await;
    let f = finding(&r, "cname_loop");
    assert_eq!(
        f.message,
        "CNAME loop: 132.113.0.203.in-addr.arpa. → 132.128-26.113.0.203.in-addr.arpa. → 132.113.0.203.in-addr.arpa."
    );
}

#[tokio::test]
async fn cname_chain() {
    let r = check("cname-chain").await;
    assert_eq!(finding(&r, "limit_exceeded").severity, Severity::Error);
    assert!(r.walk.questions.iter().all(|q| q.cname_depth <= 8));
}

#[tokio::test]
async fn multiple_ptr() {
    let r = check("multiple-ptr").await;
    assert_eq!(r.diagnosis.fcrdns.len(), 2);
    assert!(r.diagnosis.fcrdns.iter().all(|f| f.confirmed));
}

#[tokio::test]
async fn harmless_variations() {
    let r = check("harmless-variations").await;
    assert_only_info(&r);
}

#[tokio::test]
async fn multi_fault() {
    check("multi-fault").await;
}

#[tokio::test]
async fn referral_elsewhere() {
    check("referral-elsewhere").await;
}

#[tokio::test]
async fn formerr_is_other_rcode() {
    check("formerr").await;
}

#[tokio::test]
async fn garbage_is_malformed() {
    let r = check("garbage").await;
    let ns3 = r
        .walk
        .probes
        .iter()
        .find(|p| p.address.to_string() == "198.51.100.55" && p.question == 0)
        .unwrap();
    assert_eq!(ns3.attempts[0].status, "malformed");
}

/// Judged per question: a server that answers SOA and NS but drops PTR is blamed for PTR.
#[tokio::test]
async fn ptr_silent_is_judged_per_question() {
    let r = check("ptr-silent").await;
    let f = finding(&r, "unreachable");
    assert!(
        f.message.contains("never answered for PTR questions"),
        "{}",
        f.message
    );
    assert!(
        f.message.contains("it answers other questions"),
        "{}",
        f.message
    );
}

#[tokio::test]
async fn forward_mismatch_lists_the_addresses_found() {
    let r = check("forward-mismatch").await;
    let f = finding(&r, "fcrdns_failed");
    assert!(
        f.message
            .contains("resolves to 203.0.113.80, not to 203.0.113.27"),
        "{}",
        f.message
    );
    assert!(
        r.headline()
            .contains("does not resolve back to 203.0.113.27")
            && r.headline()
                .ends_with("reject its mail (550-5.7.25; Postfix 550)"),
        "{}",
        r.headline()
    );
}

#[tokio::test]
async fn ptr_target_nxdomain() {
    let r = check("ptr-target-nxdomain").await;
    assert!(!r.diagnosis.fcrdns[0].confirmed);
}

/// The forward zone is walked like the reverse one: its lame server is found.
#[tokio::test]
async fn forward_lame() {
    let r = check("forward-lame").await;
    assert!(r.diagnosis.fcrdns[0].confirmed);
}

#[tokio::test]
async fn forward_inconsistent_names_the_breaking_server() {
    let r = check("forward-inconsistent").await;
    let f = &r.diagnosis.fcrdns[0];
    assert!(f.confirmed);
    assert_eq!(f.broken_by, ["ns3.isp.example. (198.51.100.55)"]);
}

#[tokio::test]
async fn generic_ptr() {
    let r = check("generic-ptr").await;
    assert!(
        finding(&r, "generic_ptr")
            .message
            .contains("contains the address 203.0.113.29")
    );
}

#[tokio::test]
async fn helo_is_compared_with_the_ptr() {
    let s = scenario("healthy");
    let running = lab::start(&s).await.unwrap();
    let mut cfg = running.config();
    cfg.timeout = Duration::from_millis(1000);
    // The random-drop scenarios are measured over ten rounds, back to back.
    s.fit(&mut cfg);
    let target: IpAddr = s.target.parse().unwrap();
    for (helo, expect_warning, resolves) in [
        ("mail.isp.example.", false, true),
        ("ns1.isp.example.", true, false),
    ] {
        cfg.helo = Some(hickory_proto::rr::Name::from_ascii(helo).unwrap());
        let r = TargetReport::new(trace::trace(target, &cfg, None).await);
        let f = r
            .diagnosis
            .findings
            .iter()
            .find(|f| f.kind.as_str() == "helo_mismatch");
        assert_eq!(f.is_some(), expect_warning, "{helo}");
        if let Some(f) = f {
            assert_eq!(f.severity, Severity::Warning);
            assert_eq!(
                f.message.contains("does not resolve to 203.0.113.25"),
                !resolves,
                "{}",
                f.message
            );
        }
    }
}

#[tokio::test]
async fn cut_short_is_malformed() {
    check("cut-short").await;
}

#[tokio::test]
async fn compression_loop_is_malformed_not_a_hang() {
    let r = check("compression-loop").await;
    assert!(r.walk.elapsed_ms < 10_000, "{} ms", r.walk.elapsed_ms);
}

#[tokio::test]
async fn wrong_question_is_not_believed() {
    let r = check("wrong-question").await;
    let f = finding(&r, "unreachable");
    assert!(f.message.contains("were discarded"), "{}", f.message);
}

#[tokio::test]
async fn spoof_then_real_accepts_the_real_reply() {
    let r = check("spoof-then-real").await;
    let ns3: Vec<_> = r
        .walk
        .probes
        .iter()
        .filter(|p| p.question == 0 && p.address.to_string() == "198.51.100.55")
        .collect();
    assert_eq!(ns3.len(), 3);
    for p in ns3 {
        assert!(matches!(p.class, ReplyClass::Answer { .. }));
        assert_eq!(p.attempts[0].mismatched, 1, "the spoofed copy is counted");
    }
}

/// 200 NS names: only 13 are used (glued names first, then by name), the rest reported.
#[tokio::test]
async fn bulk_ns_is_bounded() {
    let r = check("bulk-ns").await;
    let zone =
        &r.walk.zones[&hickory_proto::rr::Name::from_ascii("113.0.203.in-addr.arpa.").unwrap()];
    assert_eq!(zone.ns.len(), 13);
    assert!(
        r.walk.queries_sent < 1500,
        "{} queries",
        r.walk.queries_sent
    );
    assert!(
        finding(&r, "limit_exceeded")
            .message
            .contains("200 NS names given")
    );
}

#[tokio::test]
async fn huge_tcp_reply_is_read() {
    let r = check("huge-tcp").await;
    let tcp = r
        .walk
        .probes
        .iter()
        .filter(|p| p.question == 0 && p.address.to_string() == "198.51.100.55")
        .flat_map(|p| p.attempts.iter())
        .find(|a| a.transport == ptrtrace_core::net::Transport::Tcp)
        .expect("a TCP attempt");
    assert!(tcp.bytes > 60_000, "{} bytes", tcp.bytes);
}

#[tokio::test]
async fn tcp_stall_costs_a_timeout_and_is_reported() {
    let r = check("tcp-stall").await;
    assert_eq!(finding(&r, "tcp_failed").severity, Severity::Error);
    assert!(r.walk.elapsed_ms < 10_000);
}

#[tokio::test]
async fn tcp_prefix_stall() {
    let r = check("tcp-prefix-stall").await;
    assert!(r.walk.elapsed_ms < 10_000);
}

/// ip6.arpa delegated at /32, /48 and /56 nibble boundaries.
#[tokio::test]
async fn ipv6_nibbles() {
    let r = check("ipv6-nibbles").await;
    let zones: Vec<String> = r.walk.questions[0]
        .zones
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        zones,
        [
            ".",
            "arpa.",
            "ip6.arpa.",
            "8.b.d.0.1.0.0.2.ip6.arpa.",
            "1.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.",
            "b.a.1.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa."
        ]
    );
    assert!(r.diagnosis.fcrdns[0].confirmed);
}

#[tokio::test]
async fn ipv6_only_ns_silent() {
    let r = check("ipv6-only-ns-silent").await;
    // Its address came from an AAAA lookup (glueless) and was probed over IPv6 alone.
    assert!(
        r.walk
            .resolved_ns
            .iter()
            .any(|(n, a)| n.to_string() == "ns6.isp.example."
                && a.iter().all(std::net::IpAddr::is_ipv6)
                && !a.is_empty())
    );
}

#[tokio::test]
async fn ipv6_bad_glue_is_per_family() {
    let r = check("ipv6-bad-glue").await;
    let f = finding(&r, "glue_mismatch");
    assert!(
        f.message.contains("says 198.51.100.54, 2001:db8:5300::99, but isp.example. itself says 198.51.100.54, 2001:db8:5300::54"),
        "{}",
        f.message
    );
}

/// Without an IPv6 route, IPv6 servers are untested, never unreachable.
#[tokio::test]
async fn no_ipv6_route_is_untested_not_unreachable() {
    let r = check("no-ipv6-route").await;
    assert!(
        r.diagnosis
            .findings
            .iter()
            .all(|f| f.kind.as_str() != "unreachable")
    );
    let f = finding(&r, "untested");
    assert!(
        f.message.contains("IPv6 server addresses were not tested"),
        "{}",
        f.message
    );
    let untested = r
        .graph
        .graph
        .node_weights()
        .filter(|n| {
            matches!(
                n,
                ptrtrace_core::graph::Node::Address {
                    status: ptrtrace_core::graph::Status::Untested,
                    ..
                }
            )
        })
        .count();
    assert!(untested >= 4, "{untested}");
}

/// `-4`: IPv6 addresses are not queried and reported as such; the trace still completes.
#[tokio::test]
async fn ipv4_only_transport() {
    let s = scenario("ipv6");
    let running = lab::start(&s).await.unwrap();
    let mut cfg = running.config();
    cfg.timeout = Duration::from_millis(1000);
    cfg.families = ptrtrace_core::trace::Families {
        v4: true,
        v6: false,
    };
    let r = TargetReport::new(trace::trace(s.target.parse().unwrap(), &cfg, None).await);
    assert!(r.walk.probes.iter().all(|p| p.address.is_ipv4()));
    assert_eq!(r.diagnosis.verdict.as_str(), "ok");
    assert_eq!(
        finding(&r, "untested").reason.map(|r| r.as_str()),
        Some("family_disabled")
    );
}

/// The observed loss rate of ns3's probes for the reverse zone, over all rounds.
fn ns3_stats(r: &TargetReport) -> &ptrtrace_core::diagnose::stats::AddressStats {
    r.diagnosis
        .stats
        .iter()
        .find(|s| {
            s.zone.to_string() == "113.0.203.in-addr.arpa."
                && s.address.to_string() == "198.51.100.55"
        })
        .expect("ns3 has statistics")
}

fn loss(r: &TargetReport) -> (usize, usize) {
    let s = ns3_stats(r);
    (s.lost, s.sent)
}

/// Random drops measured over 10 rounds match the injected rate within 3 standard deviations
/// of a binomial over the probes sent (docs/findings.md). The lab's randomness is seeded per
/// question, so the numbers are the same on every run: this cannot pass by luck.
fn assert_rate(lost: usize, sent: usize, injected: f64) {
    #[allow(clippy::cast_precision_loss)]
    let (n, observed) = (sent as f64, lost as f64 / sent as f64);
    let sigma = (injected * (1.0 - injected) / n).sqrt();
    assert!(sent >= 90, "{sent} probes");
    assert!(
        (observed - injected).abs() <= 3.0 * sigma,
        "observed {observed:.3} vs injected {injected} (3 sigma = {:.3}, n = {sent})",
        3.0 * sigma
    );
}

#[tokio::test]
async fn drop_30_is_measured() {
    let r = check("drop-30").await;
    assert_eq!(r.walk.rounds, 10);
    let (lost, sent) = loss(&r);
    assert_rate(lost, sent, 0.30);
}

#[tokio::test]
async fn drop_5_is_measured() {
    let r = check("drop-5").await;
    let (lost, sent) = loss(&r);
    assert_rate(lost, sent, 0.05);
}

#[tokio::test]
async fn slow_server_is_timed_not_lost() {
    let r = check("slow").await;
    let s = ns3_stats(&r);
    assert_eq!(s.lost, 0);
    let [min, median, _, max] = s.rtt_ms.unwrap();
    assert!(
        min >= 1790.0 && max < 2400.0 && (1790.0..2100.0).contains(&median),
        "{:?}",
        s.rtt_ms
    );
}

/// Failure odds for one lame server of three: a third of first tries fail at that level;
/// retrying another server always succeeds.
#[tokio::test]
async fn odds_one_lame_server_of_three() {
    let r = check("servfail").await;
    let o = &r.diagnosis.odds;
    assert!(
        (o.first_try.fail - 1.0 / 3.0).abs() < 1e-9,
        "{:?}",
        o.first_try
    );
    assert!(
        (o.first_try.correct - 2.0 / 3.0).abs() < 1e-9,
        "{:?}",
        o.first_try
    );
    assert!(o.with_retries.fail.abs() < 1e-9 && (o.with_retries.correct - 1.0).abs() < 1e-9);
    let level = o
        .levels
        .iter()
        .find(|l| l.zone.to_string() == "113.0.203.in-addr.arpa.")
        .unwrap();
    assert_eq!(
        level
            .worst_server
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("ns3.isp.example.")
    );
}

/// A wrong answer is believed: with one stale server of three, a third of lookups end wrong,
/// retries or not.
#[tokio::test]
async fn odds_with_a_stale_server() {
    let r = check("inconsistent").await;
    let o = &r.diagnosis.odds;
    assert!(
        (o.first_try.wrong - 1.0 / 3.0).abs() < 1e-9,
        "{:?}",
        o.first_try
    );
    assert!(
        (o.with_retries.wrong - 1.0 / 3.0).abs() < 1e-9,
        "{:?}",
        o.with_retries
    );
}

/// `--deadline`: a trace that would wait 5 s for silent servers ends at the deadline, with
/// `limit_exceeded` (deadline) and the partial graph.
#[tokio::test]
async fn deadline_ends_the_trace_and_keeps_the_partial_graph() {
    let s = scenario("silent");
    let running = lab::start(&s).await.unwrap();
    let mut cfg = running.config();
    cfg.timeout = Duration::from_secs(5);
    cfg.deadline = Duration::from_millis(400);
    let start = std::time::Instant::now();
    let r = TargetReport::new(trace::trace(s.target.parse().unwrap(), &cfg, None).await);
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(
        finding(&r, "limit_exceeded").reason.map(|r| r.as_str()),
        Some("deadline")
    );
    // What was gathered is there: the PTR from the servers that answered.
    assert_eq!(r.diagnosis.ptr.len(), 1);
    assert!(r.walk.zones.len() >= 5);
}

/// `--query-budget`: the walk stops sending at the budget and says so.
#[tokio::test]
async fn query_budget_is_a_hard_bound() {
    let s = scenario("healthy");
    let running = lab::start(&s).await.unwrap();
    let mut cfg = running.config();
    cfg.query_budget = 40;
    let r = TargetReport::new(trace::trace(s.target.parse().unwrap(), &cfg, None).await);
    assert!(r.walk.queries_sent <= 40, "{}", r.walk.queries_sent);
    assert_eq!(
        finding(&r, "limit_exceeded").reason.map(|r| r.as_str()),
        Some("query_budget")
    );
}

/// Mixed root servers give one tree, not two: a.root-servers.example also serves `arpa.` and
/// refers straight to `in-addr.arpa.` (that referral is arpa.'s data), b refers to `arpa.`.
/// Referrals to different depths are not a disagreement.
#[tokio::test]
async fn one_root_without_arpa_is_one_tree() {
    let r = check("one-root-without-arpa").await;
    let name = |s: &str| hickory_proto::rr::Name::from_ascii(s).unwrap();
    let in_addr = &r.walk.zones[&name("in-addr.arpa.")];
    assert_eq!(in_addr.parent, Some(name("arpa.")));
    let parents: std::collections::BTreeSet<String> = in_addr
        .delegations
        .iter()
        .map(|d| d.parent.to_string())
        .collect();
    assert_eq!(parents.into_iter().collect::<Vec<_>>(), ["arpa."]);
    let arpa = &r.walk.zones[&name("arpa.")];
    assert_eq!(arpa.parent, Some(name(".")));
    let found: Vec<String> = arpa
        .found_inside
        .iter()
        .map(|c| format!("{} {}", c.server, c.address))
        .collect();
    assert_eq!(found, ["a.root-servers.example. 192.0.2.1"]);
    // b.root's referral delegates arpa. to its own servers, which are checked too.
    assert!(
        arpa.delegations
            .iter()
            .any(|d| d.server.to_string() == "b.root-servers.example.")
    );
    assert!(arpa.ns.contains_key(&name("a.ns.arpa.")));
    assert!(arpa.ns.contains_key(&name("a.root-servers.example.")));
}

#[test]
fn every_scenario_has_a_test() {
    let src = include_str!("lab_scenarios.rs");
    for s in lab::scenarios() {
        assert!(
            src.contains(&format!("check(\"{}\")", s.name)),
            "scenario {} has no test",
            s.name
        );
    }
}

// ---- DNSSEC (issue 9) ----

fn dnssec_zone<'a>(
    r: &'a TargetReport,
    zone: &str,
) -> &'a ptrtrace_core::dnssec::validate::ZoneSecurity {
    r.diagnosis
        .dnssec
        .as_ref()
        .expect("DNSSEC was checked")
        .zones
        .iter()
        .find(|z| z.zone.to_string() == zone)
        .unwrap_or_else(|| panic!("zone {zone} not in the DNSSEC summary"))
}

/// The addresses a question was asked of, as a server of `zone`.
fn asked(r: &TargetReport, name: &str, qtype: &str, zone: &str) -> Vec<String> {
    let mut v: Vec<String> = r
        .walk
        .probes
        .iter()
        .filter(|p| {
            let q = &r.walk.questions[p.question];
            q.name.to_string() == name && q.qtype.to_string() == qtype && p.zone.to_string() == zone
        })
        .map(|p| p.address.to_string())
        .collect();
    v.sort();
    v.dedup();
    v
}

#[tokio::test]
async fn dnssec_secure_chain_through_a_classless_cname() {
    let r = check("dnssec-secure").await;
    assert!(
        r.diagnosis
            .findings
            .iter()
            .all(|f| f.severity == Severity::Info),
        "{:?}",
        r.diagnosis.findings
    );
    let d = r.diagnosis.dnssec.as_ref().unwrap();
    assert!(d.broken.is_empty());
    let zones: Vec<String> = d.zones.iter().map(|z| z.zone.to_string()).collect();
    for z in [
        ".",
        "arpa.",
        "in-addr.arpa.",
        "203.in-addr.arpa.",
        "113.0.203.in-addr.arpa.",
        "128-26.113.0.203.in-addr.arpa.",
        "example.",
        "customer.example.",
    ] {
        assert!(zones.contains(&z.to_string()), "{z} missing from {zones:?}");
    }
    for z in &d.zones {
        assert_eq!(
            z.status,
            ptrtrace_core::dnssec::validate::Security::Secure,
            "{}",
            z.zone
        );
        assert!(!z.servers.is_empty() && z.servers.iter().all(|s| s.reasons.is_empty()));
    }
    // DNSKEY from every server of the zone, DS from every server of its parent.
    let rev = "113.0.203.in-addr.arpa.";
    assert_eq!(
        asked(&r, rev, "DNSKEY", rev),
        [
            "198.51.100.53",
            "198.51.100.54",
            "198.51.100.55",
            "2001:db8:5300::54"
        ]
    );
    assert_eq!(
        asked(&r, rev, "DS", "203.in-addr.arpa."),
        ["192.0.2.51", "192.0.2.52", "2001:db8:53::52"]
    );
    // The PTR answers came signed (DO=1 was set).
    let ptr = r
        .walk
        .probes
        .iter()
        .find(|p| p.question == 0 && matches!(p.class, ReplyClass::Answer { .. }))
        .unwrap();
    assert!(
        ptr.attempts[0].answer.iter().any(|a| a.contains("RRSIG")),
        "{:?}",
        ptr.attempts[0].answer
    );
}

#[tokio::test]
async fn dnssec_ds_mismatch_breaks_the_chain_for_every_server() {
    let r = check("dnssec-ds-mismatch").await;
    let rev = dnssec_zone(&r, "113.0.203.in-addr.arpa.");
    assert_eq!(rev.status, ptrtrace_core::dnssec::validate::Security::Bogus);
    let d = r.diagnosis.dnssec.as_ref().unwrap();
    assert_eq!(d.broken.len(), 1);
    let f = finding(&r, "dnssec_bogus");
    assert!(f.message.contains("SERVFAIL"), "{}", f.message);
    assert!(
        r.headline()
            .contains("but DNSSEC fails for 113.0.203.in-addr.arpa."),
        "{}",
        r.headline()
    );
    assert!(f.evidence[0].starts_with("DS key tags"), "{:?}", f.evidence);
    // The parent itself is fine.
    assert_eq!(
        dnssec_zone(&r, "203.in-addr.arpa.").status,
        ptrtrace_core::dnssec::validate::Security::Secure
    );
}

#[tokio::test]
async fn dnssec_expired_on_one_of_three_servers_is_degraded_and_names_it() {
    let r = check("dnssec-expired-one").await;
    let rev = dnssec_zone(&r, "113.0.203.in-addr.arpa.");
    assert_eq!(
        rev.status,
        ptrtrace_core::dnssec::validate::Security::Secure
    );
    let bad: Vec<String> = rev
        .servers
        .iter()
        .filter(|s| !s.reasons.is_empty())
        .map(|s| {
            let reasons: Vec<&str> = s.reasons.iter().map(|r| r.as_str()).collect();
            format!("{} {} {reasons:?}", s.server, s.address)
        })
        .collect();
    assert_eq!(
        bad,
        ["ns3.isp.example. 198.51.100.55 [\"expired_signature\"]"]
    );
    let f = finding(&r, "dnssec_bogus");
    assert!(
        f.evidence.iter().all(|e| e.contains("expired")),
        "{:?}",
        f.evidence
    );
    // One server of three fails: a third of first tries at that level.
    let level = r
        .diagnosis
        .levels
        .iter()
        .find(|l| l.zone.to_string() == "113.0.203.in-addr.arpa.")
        .unwrap();
    assert_eq!((level.failing_servers, level.servers), (1, 3));
    let text = ptrtrace_core::report::text::render(
        &r,
        ptrtrace_core::report::text::Style { color: false },
    );
    assert!(
        text.contains("198.51.100.55          PTR mail.isp.example. 3/3")
            && text.contains("DNSSEC bogus (expired_signature)"),
        "{text}"
    );
}

#[tokio::test]
async fn dnssec_stripped_rrsigs() {
    check("dnssec-stripped").await;
}

#[tokio::test]
async fn dnssec_bad_signature() {
    let r = check("dnssec-bad-signature").await;
    assert!(
        finding(&r, "dnssec_bogus")
            .evidence
            .iter()
            .any(|e| e.contains("does not verify"))
    );
}

#[tokio::test]
async fn dnssec_not_yet_valid() {
    check("dnssec-not-yet-valid").await;
}

#[tokio::test]
async fn dnssec_unsigned_copy_on_a_secondary() {
    check("dnssec-unsigned-copy").await;
}

#[tokio::test]
async fn dnssec_insecure_delegation_is_info_only() {
    let r = check("dnssec-insecure").await;
    assert_only_info(&r);
    assert_eq!(
        dnssec_zone(&r, "113.0.203.in-addr.arpa.").status,
        ptrtrace_core::dnssec::validate::Security::Insecure
    );
    assert_eq!(
        dnssec_zone(&r, "203.in-addr.arpa.").status,
        ptrtrace_core::dnssec::validate::Security::Secure
    );
    assert!(finding(&r, "dnssec_insecure").evidence[0].contains("signed NSEC"));
}

#[tokio::test]
async fn dnssec_nxdomain_with_a_valid_nsec_proof() {
    let r = check("dnssec-nxdomain").await;
    let rev = dnssec_zone(&r, "113.0.203.in-addr.arpa.");
    assert_eq!(
        rev.status,
        ptrtrace_core::dnssec::validate::Security::Secure
    );
    assert!(rev.servers.iter().all(|s| s.reasons.is_empty()));
    // The NXDOMAIN answers were judged: they carry the NSEC proof.
    let nx: Vec<_> = r
        .walk
        .probes
        .iter()
        .filter(|p| p.question == 0 && p.class == ReplyClass::Nxdomain)
        .collect();
    assert!(!nx.is_empty());
    assert!(
        nx.iter()
            .all(|p| p.attempts[0].authority.iter().any(|a| a.contains("NSEC")))
    );
}

#[tokio::test]
async fn dnssec_nxdomain_without_nsec_is_bogus_for_that_server() {
    let r = check("dnssec-nxdomain-no-nsec").await;
    assert!(finding(&r, "dnssec_bogus").evidence[0].contains("without NSEC"));
}

// ---- Hidden zone cuts (issue 13) ----

fn zone_of<'a>(r: &'a TargetReport, zone: &str) -> &'a ptrtrace_core::trace::Zone {
    r.walk
        .zones
        .get(&hickory_proto::rr::Name::from_ascii(zone).unwrap())
        .unwrap_or_else(|| panic!("zone {zone} not found"))
}

fn found_addresses(r: &TargetReport, zone: &str) -> Vec<String> {
    let mut v: Vec<String> = zone_of(r, zone)
        .found_inside
        .iter()
        .map(|c| c.address.to_string())
        .collect();
    v.sort();
    v.dedup();
    v
}

const ISP_ADDRESSES: [&str; 4] = [
    "198.51.100.53",
    "198.51.100.54",
    "198.51.100.55",
    "2001:db8:5300::54",
];

/// The ISP's servers answer for the /24 while asked as servers of the /16: the /24's cut is
/// found at every one of their addresses, it hangs below the /16, the target's path crosses
/// it, and its chain of trust is checked like any zone's.
#[tokio::test]
async fn isp_hidden_cut_is_a_zone_like_any_other() {
    let r = check("isp-hidden-cut").await;
    let zone = zone_of(&r, "100.51.198.in-addr.arpa.");
    assert_eq!(
        zone.parent.as_ref().map(ToString::to_string).as_deref(),
        Some("51.198.in-addr.arpa.")
    );
    assert_eq!(
        found_addresses(&r, "100.51.198.in-addr.arpa."),
        ISP_ADDRESSES
    );
    let path: Vec<String> = r.walk.questions[0]
        .zones
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        path.last().map(String::as_str),
        Some("100.51.198.in-addr.arpa."),
        "{path:?}"
    );
    assert_eq!(
        dnssec_zone(&r, "100.51.198.in-addr.arpa.").status,
        ptrtrace_core::dnssec::validate::Security::Secure
    );
    // The /16 is not a hidden cut: the RIR's referral names it.
    assert!(zone_of(&r, "51.198.in-addr.arpa.").found_inside.is_empty());
    // Text and DOT say how the cut was found.
    let text = ptrtrace_core::report::text::render(
        &r,
        ptrtrace_core::report::text::Style { color: false },
    );
    assert!(
        text.contains("100.51.198.in-addr.arpa.  DNSSEC secure  — hidden cut: served by the servers of 51.198.in-addr.arpa."),
        "{text}"
    );
}

/// A /24 and its RFC 2317 child on the same servers: the CNAME target is answered by the
/// servers of the /24, from the child zone, whose cut is found and whose signatures verify
/// with the child's own keys.
#[tokio::test]
async fn classless_child_on_the_same_servers_is_found() {
    let r = check("classless-same-servers").await;
    let child = "192-26.113.0.203.in-addr.arpa.";
    assert_eq!(found_addresses(&r, child), ISP_ADDRESSES);
    assert_eq!(
        dnssec_zone(&r, child).status,
        ptrtrace_core::dnssec::validate::Security::Secure
    );
    assert!(dnssec_zone(&r, child).servers.len() == 4);
    assert_eq!(r.diagnosis.ptr[0].to_string(), "smtp.isp.example.");
}

/// An unsigned hidden /24 below a signed /16 is insecure (the /16 proves it has no DS), and
/// its unsigned answers are not blamed on the /16 as missing signatures.
#[tokio::test]
async fn hidden_cut_insecure_is_info_only() {
    let r = check("hidden-cut-insecure").await;
    assert_eq!(
        dnssec_zone(&r, "100.51.198.in-addr.arpa.").status,
        ptrtrace_core::dnssec::validate::Security::Insecure
    );
    assert_eq!(
        dnssec_zone(&r, "51.198.in-addr.arpa.").status,
        ptrtrace_core::dnssec::validate::Security::Secure
    );
    assert_only_info(&r);
}

/// One shared server still serving the hidden zone signed with an old key is named, for
/// the hidden zone, and the others keep it secure.
#[tokio::test]
async fn hidden_cut_stale_key_names_the_server() {
    let r = check("hidden-cut-stale-key").await;
    let z = dnssec_zone(&r, "100.51.198.in-addr.arpa.");
    assert_eq!(z.status, ptrtrace_core::dnssec::validate::Security::Secure);
    let bogus: Vec<String> = z
        .servers
        .iter()
        .filter(|s| s.status == ptrtrace_core::dnssec::validate::Security::Bogus)
        .map(|s| s.address.to_string())
        .collect();
    assert_eq!(bogus, ["198.51.100.55"]);
}

/// A wrong DS for the hidden zone breaks the chain for every server: the verdict is broken,
/// and the hidden zone is named as where the chain breaks.
#[tokio::test]
async fn hidden_cut_bad_ds_is_broken() {
    let r = check("hidden-cut-bad-ds").await;
    let d = r.diagnosis.dnssec.as_ref().unwrap();
    let broken: Vec<String> = d.broken.iter().map(ToString::to_string).collect();
    assert_eq!(broken, ["100.51.198.in-addr.arpa."]);
}

/// Every root server serves arpa. (the lab's default, as on the real Internet): the DS of
/// in-addr.arpa. they hand out is signed by arpa., whose keys are fetched from them, and every
/// IPv4 and IPv6 target of the default tree validates with no false finding.
#[tokio::test]
async fn root_servers_serving_arpa_validate_for_ipv4_and_ipv6() {
    for name in ["healthy", "ipv6", "dnssec-secure"] {
        let r = check(name).await;
        let d = r.diagnosis.dnssec.as_ref().unwrap();
        assert!(d.broken.is_empty(), "{name}: {:?}", d.broken);
        assert_eq!(
            dnssec_zone(&r, "arpa.").status,
            ptrtrace_core::dnssec::validate::Security::Secure,
            "{name}"
        );
        assert_eq!(
            found_addresses(&r, "arpa."),
            ["192.0.2.1", "192.0.2.2", "2001:db8:53::2"],
            "{name}"
        );
    }
}

/// What a receiving mail server answers, per kind of failure: the mapping Postfix confirms in
/// the interop suite (docs/findings.md).
#[tokio::test]
async fn receiver_answer_follows_the_cause() {
    use ptrtrace_core::diagnose::receiver::Receiver;
    for (name, want) in [
        ("healthy", Receiver::Accept),
        ("nxdomain", Receiver::Permanent),
        ("forward-mismatch", Receiver::Permanent),
        ("dnssec-ds-mismatch", Receiver::Temporary),
        ("all-silent", Receiver::Temporary),
        ("hidden-cut-bad-ds", Receiver::Temporary),
        ("flaky", Receiver::SometimesTemporary),
        ("inconsistent", Receiver::SometimesPermanent),
        ("stale-serial", Receiver::Accept),
    ] {
        let r = run(&scenario(name)).await;
        assert_eq!(r.diagnosis.receiver, want, "{name}: {}", r.headline());
    }
}

#[tokio::test]
async fn all_silent_is_a_temporary_failure() {
    let r = check("all-silent").await;
    assert!(
        r.headline()
            .contains("defer its mail (421-4.7.23; Postfix 450 4.7.25)"),
        "{}",
        r.headline()
    );
}

/// docs/lab.md's scenario table lists every scenario (and names no scenario that is gone).
#[test]
fn every_scenario_is_in_the_lab_docs() {
    let doc = include_str!("../docs/lab.md");
    let names: Vec<&str> = lab::scenarios().iter().map(|s| s.name).collect();
    let missing: Vec<&&str> = names
        .iter()
        .filter(|n| !doc.contains(&format!("\n| {n} |")))
        .collect();
    assert!(missing.is_empty(), "not in docs/lab.md: {missing:?}");
    let table = doc
        .split("## Scenarios")
        .nth(1)
        .and_then(|t| t.split("\n\n").nth(1))
        .unwrap();
    for row in table.lines().skip(2) {
        let name = row.split('|').nth(1).unwrap().trim();
        assert!(
            names.contains(&name),
            "docs/lab.md lists {name:?}, which is no scenario"
        );
    }
}

/// Servers that disagree without a majority are all marked: the finding lists every side
/// (`involved`), and every address, server and the zone are `inconsistent` in the graph.
#[tokio::test]
async fn three_way_split_marks_every_side() {
    let r = check("three-way-split").await;
    let f = finding(&r, "inconsistent_answer");
    assert!(f.server.is_none());
    let sides: Vec<String> = f.involved.iter().map(|(_, a)| a.to_string()).collect();
    assert_eq!(
        sides,
        [
            "198.51.100.53",
            "198.51.100.54",
            "2001:db8:5300::54",
            "198.51.100.55"
        ]
    );
    let (nodes, _) = r.graph.export();
    let rev: Vec<&ptrtrace_core::graph::Node> = nodes
        .into_iter()
        .filter(|n| n.id().contains("113.0.203.in-addr.arpa.") && !n.id().contains("128-26"))
        .filter(|n| !n.id().contains("192-26"))
        .collect();
    assert!(rev.len() >= 8, "{}", rev.len());
    for n in rev {
        assert_eq!(
            n.status(),
            ptrtrace_core::graph::Status::Inconsistent,
            "{}",
            n.id()
        );
    }
    assert_eq!(
        r.diagnosis.receiver,
        ptrtrace_core::diagnose::receiver::Receiver::Accept
    );
}

/// Response rate limiting is not loss. With RRL pacing (the default for real servers),
/// `--probes 20` against a server that rate-limits identical responses at 5 a second (BIND's
/// example) gives no `flaky`, whether it slips or drops. Without pacing the same probes are
/// limited: dropped ones make `flaky` (slip 0, indistinguishable from loss — which is why
/// ptrtrace paces), slipped ones are recognised as `rate_limited` (info), never `flaky`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limiting_is_not_loss() {
    async fn at_20(name: &str, pacing: bool) -> TargetReport {
        let s = scenario(name);
        let running = lab::start(&s).await.unwrap();
        let mut cfg = running.config();
        cfg.timeout = Duration::from_millis(1000);
        s.fit(&mut cfg);
        cfg.rrl_pacing = pacing;
        cfg.probes = 20;
        // As for real servers: the per-address rate limit too (it must not undo the pacing).
        cfg.rate_per_address = 20;
        let walk = trace::trace(s.target.parse().unwrap(), &cfg, None).await;
        TargetReport::new(walk)
    }
    let kinds = |r: &TargetReport| -> Vec<&str> {
        r.diagnosis
            .findings
            .iter()
            .map(|f| f.kind.as_str())
            .collect()
    };
    let (slip2, slip0, slip2_raw, slip0_raw) = tokio::join!(
        at_20("rrl-slip2", true),
        at_20("rrl-slip0", true),
        at_20("rrl-slip2", false),
        at_20("rrl-slip0", false),
    );
    for r in [&slip2, &slip0] {
        assert!(r.diagnosis.findings.is_empty(), "{:?}", kinds(r));
        assert_eq!(r.diagnosis.verdict.as_str(), "ok");
    }
    assert!(
        kinds(&slip0_raw).contains(&"flaky"),
        "{:?}",
        kinds(&slip0_raw)
    );
    assert!(
        !kinds(&slip2_raw).contains(&"flaky"),
        "{:?}",
        kinds(&slip2_raw)
    );
    assert!(
        kinds(&slip2_raw).contains(&"rate_limited"),
        "{:?}",
        kinds(&slip2_raw)
    );
}

#[tokio::test]
async fn rrl_scenarios_at_the_defaults() {
    check("rrl-slip2").await;
    check("rrl-slip0").await;
}
