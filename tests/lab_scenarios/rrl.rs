//! Splits without a majority, and response rate limiting that is not loss.

#[allow(unused_imports)]
use super::*;

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

/// A configuration for an RRL scenario's lab: 1 s timeout, RRL pacing as given, and the
/// per-address rate limit as for real servers (it must not undo the pacing). A fresh one has
/// its own pacer and token buckets, as a separate run has.
fn rrl_config(running: &lab::RunningLab, s: &lab::Scenario, pacing: bool) -> trace::Session {
    let mut cfg = running.config();
    cfg.timeout = Duration::from_millis(1000);
    s.fit(&mut cfg);
    cfg.rrl_pacing = pacing;
    cfg.rate_per_address = 20;
    cfg
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
        let mut cfg = rrl_config(&running, &s, pacing);
        cfg.probes = 20;
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

/// Another run asked first: a server that rate-limits identical responses as BIND's example
/// does (5 a second, slip 2, BIND's order: the first limited response slips, the next is
/// dropped, and so on) has just spent its credit for the zone's SOA on someone else and
/// slipped one. This run's SOA questions, with and without EDNS, arrive together: one is
/// dropped and the other slips, in either order. The slip is RRL's signature whichever probe
/// it lands on (BIND counts a question with and without EDNS as one response): `rate_limited`,
/// never `flaky` or `unreachable`. Seen against real BIND when two runs asked within a second: the slip
/// came on the no-EDNS probe, the drop on the standard one. `--probes 1`, so that no other
/// standard probe slips and gives the signature away; rounds until that order is met.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slip_on_the_no_edns_probe_is_rate_limiting() {
    use hickory_proto::op::{Message, Query};
    use hickory_proto::rr::{Name, RecordType};
    use ptrtrace_core::trace::ProbeKind;
    let s = scenario("rrl-slip2");
    let running = lab::start(&s).await.unwrap();
    let target: IpAddr = s.target.parse().unwrap();
    let ns3: IpAddr = "198.51.100.55".parse().unwrap();
    let to = running.map.resolve(ns3).unwrap();
    let zone = Name::from_ascii("113.0.203.in-addr.arpa.").unwrap();
    let mut soa = Message::query();
    soa.add_query(Query::query(zone.clone(), RecordType::SOA));
    let bytes = soa.to_vec().unwrap();
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut met = 0;
    for round in 0..12 {
        // Back to full credit (the slip count starts afresh), then the other run: five
        // answered, one slipped.
        tokio::time::sleep(Duration::from_millis(1300)).await;
        for _ in 0..6 {
            sock.send_to(&bytes, to).await.unwrap();
        }
        let mut cfg = rrl_config(&running, &s, true);
        cfg.probes = 1;
        let r = TargetReport::new(trace::trace(target, &cfg, None).await);
        let kinds: Vec<&str> = r
            .diagnosis
            .findings
            .iter()
            .map(|f| f.kind.as_str())
            .collect();
        let soa_at_ns3 = |kind: ProbeKind| {
            r.walk.probes.iter().find(|p| {
                p.address == ns3
                    && p.kind == kind
                    && p.zone == zone
                    && r.walk.questions[p.question].name == zone
                    && r.walk.questions[p.question].qtype == RecordType::SOA
            })
        };
        let dropped = soa_at_ns3(ProbeKind::Standard)
            .is_some_and(|p| matches!(p.class, ReplyClass::Silent { .. }));
        let slipped = soa_at_ns3(ProbeKind::NoEdns).is_some_and(|p| {
            p.attempts
                .first()
                .is_some_and(|a| a.tc && a.answer.is_empty())
        });
        // On a loaded machine the server may have earned credit meanwhile, and the run then
        // meets a drop without a slip: it cannot tell that one from loss. Judged are the
        // rounds where the slip came to this run, on the no-EDNS probe.
        if dropped && slipped {
            assert!(
                !kinds.contains(&"flaky") && !kinds.contains(&"unreachable"),
                "round {round}: {kinds:?}"
            );
            assert!(kinds.contains(&"rate_limited"), "round {round}: {kinds:?}");
            met += 1;
            if met == 2 {
                break;
            }
        }
    }
    assert!(met > 0, "the slip never landed on the no-EDNS probe");
}
