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
