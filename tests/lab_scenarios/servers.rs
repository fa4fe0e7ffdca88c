//! Server faults: lame, silent, flaky, truncated; and the healthy lab.

#[allow(unused_imports)]
use super::*;

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
    assert_eq!(
        answer.attempts[0].rcode,
        Some(ptrtrace_core::model::reply::Rcode::NOERROR)
    );
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
    // Cause first: the odd server is named with its old serial, and the failed forward
    // confirmation of its PTR name hangs under it, right after it, with the server as the fix.
    assert_eq!(
        f.server.as_ref().map(ToString::to_string).as_deref(),
        Some("ns3.isp.example.")
    );
    assert!(
        f.message.starts_with("ns3.isp.example. (198.51.100.55) serves an old copy (serial 2026010100; the others 2026112801) of 113.0.203.in-addr.arpa."),
        "{}",
        f.message
    );
    let at = |kind: &str| {
        r.diagnosis
            .findings
            .iter()
            .position(|f| f.kind.as_str() == kind)
            .unwrap()
    };
    let fcrdns = &r.diagnosis.findings[at("fcrdns_failed")];
    let cause = fcrdns
        .caused_by
        .as_ref()
        .expect("fcrdns_failed has a cause");
    assert!(cause.is(f), "{cause:?}");
    assert_eq!(at("fcrdns_failed"), at("inconsistent_answer") + 1);
    assert!(
        fcrdns.advice.contains("Do not add an address record"),
        "{}",
        fcrdns.advice
    );
    let json = serde_json::to_value(fcrdns).unwrap();
    assert_eq!(json["caused_by"]["kind"], "inconsistent_answer");
    assert_eq!(json["caused_by"]["server"], "ns3.isp.example.");
    // The text indents it under its cause.
    let text = ptrtrace_core::report::text::render(
        &r,
        ptrtrace_core::report::text::Style { color: false },
    );
    assert!(
        text.contains("      ↳ caused by the finding above: ERROR fcrdns_failed (no_address)"),
        "{text}"
    );
    // `worst` never names a server whose answers are right.
    let worst: Vec<String> = r
        .diagnosis
        .odds
        .levels
        .iter()
        .filter_map(|l| l.worst_server.as_ref().map(ToString::to_string))
        .collect();
    assert_eq!(worst, ["ns3.isp.example."]);
}

/// When every server gives the same wrong answer, no server is the worst: the data is.
#[tokio::test]
async fn forward_mismatch_blames_no_server() {
    let r = check("forward-mismatch").await;
    assert!(
        r.diagnosis
            .odds
            .levels
            .iter()
            .all(|l| l.worst_server.is_none()),
        "{:?}",
        r.diagnosis.odds.levels
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
    // The loss over every standard probe ns3 got for the zone, not one question's.
    let sent = r
        .walk
        .probes
        .iter()
        .filter(|p| {
            p.address.to_string() == "198.51.100.55"
                && p.zone.to_string() == "113.0.203.in-addr.arpa."
                && p.kind == ptrtrace_core::model::ProbeKind::Standard
                && !r.walk.questions[p.question].is_cut()
        })
        .count();
    assert!(
        f.message
            .contains(&format!(" of {sent} probes for 113.0.203.in-addr.arpa. (")),
        "{sent}: {}",
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
    // The silent servers cost about one timeout in all: a server silent for one zone but
    // answering another is not asked again there (a second timeout in sequence).
    let elapsed = r.walk.elapsed_ms as f64;
    assert!(
        elapsed < 1.9 * timeout_ms,
        "the trace took {elapsed} ms: more than one timeout of {timeout_ms} ms"
    );
}
