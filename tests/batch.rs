//! Batch tracing over the lab: a /24 in one shared walk. Each zone cut, NS name lookup and
//! forward name is probed once per run; per target only its own PTR (and forward) probes
//! are added. Reports must equal what a single trace of the same address says.

// A test fails by panicking: unwrap and expect are how it says so.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use ptrtrace::lab;
use ptrtrace::report::TargetReport;
use ptrtrace::targets;
use ptrtrace::trace;

fn keys(r: &TargetReport) -> Vec<lab::FindingKey> {
    let mut v: Vec<_> = r.diagnosis.findings.iter().map(lab::finding_key).collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_24_shares_the_chain_and_matches_single_traces() {
    let s = lab::scenarios()
        .into_iter()
        .find(|s| s.name == "refused")
        .unwrap();
    let running = lab::start(&s).await.unwrap();
    let mut cfg = running.config();
    cfg.timeout = Duration::from_millis(600);
    cfg.probes = 1;
    let all = targets::expand("203.0.113.0/24", false).unwrap();
    let mut reports: BTreeMap<IpAddr, TargetReport> = BTreeMap::new();
    let mut own_queries: BTreeMap<IpAddr, u32> = BTreeMap::new();
    // Four chunks of 64: later chunks reuse the zones, lookups and checks the first made.
    trace::trace_batch(&all, &cfg, 64, None, None, |w| {
        own_queries.insert(w.target, w.queries_sent);
        reports.insert(w.target, TargetReport::new(w));
    })
    .await;
    assert_eq!(reports.len(), 256);

    // Same verdict and findings as a trace of its own, for the interesting addresses.
    for ip in [
        "203.0.113.25",
        "203.0.113.26",
        "203.0.113.99",
        "203.0.113.130",
        "203.0.113.7",
    ] {
        let ip: IpAddr = ip.parse().unwrap();
        let single = TargetReport::new(trace::trace(ip, &cfg, None).await);
        let batch = &reports[&ip];
        assert_eq!(batch.diagnosis.verdict, single.diagnosis.verdict, "{ip}");
        assert_eq!(keys(batch), keys(&single), "{ip}");
        assert_eq!(batch.diagnosis.ptr, single.diagnosis.ptr, "{ip}");
    }

    // Queries per target: the reverse zone has 4 server addresses; with --probes 1 a target
    // without PTR costs exactly 4 queries of its own (its PTR question), one with a PTR adds
    // its forward lookup (4 more). The shared chain is amortised to nothing.
    let scout: IpAddr = "203.0.113.0".parse().unwrap();
    for (ip, n) in &own_queries {
        if *ip == scout {
            continue;
        }
        let r = &reports[ip];
        let expected = if r.diagnosis.ptr.is_empty() { 4 } else { 8 };
        let classless = ip.to_string() == "203.0.113.130"
            || ip.to_string() == "203.0.113.131"
            || ip.to_string() == "203.0.113.132"
            || ip.to_string() == "203.0.113.133";
        if !classless && r.diagnosis.ptr.len() <= 1 {
            assert_eq!(*n, expected, "{ip}: {n} own queries");
        }
    }
    // Every target got its own PTR probes, in every chunk.
    assert!(own_queries.values().all(|&n| n >= 4), "{own_queries:?}");
    let total: u32 = own_queries.values().sum();
    assert!(total < 256 * 8 + 600, "{total} queries for the /24");
}
