//! Forward confirmation, HELO, malformed and spoofed replies, big and stalled TCP, IPv6.

#[allow(unused_imports)]
use super::*;

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
