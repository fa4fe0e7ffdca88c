//! Every lab scenario, traced over real UDP and TCP sockets on loopback, must produce exactly
//! the findings and verdict it declares. Nothing here can reach a real root server: the lab's
//! address map is strict and its hints name only lab servers.
//!
//! One file per family of scenarios; the helpers here are shared by them.

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
    // Cause first: where every expected finding that names a server names the same one,
    // the headline names it (docs/findings.md "Cause first").
    let named: std::collections::BTreeSet<&str> =
        s.expect.iter().filter_map(|e| e.server).collect();
    if named.len() == 1 && s.verdict != "ok" {
        let server = named.first().unwrap();
        assert!(
            r.headline().starts_with(server),
            "{name}: the headline does not start with {server}: {}",
            r.headline()
        );
    }
    // No probe may have been refused by the strict map: the lab is complete.
    for p in &r.walk.probes {
        for a in &p.attempts {
            assert_ne!(
                a.status,
                ptrtrace_core::model::AttemptStatus::NotSent,
                "{name}: probe to {} was not sent",
                p.address
            );
        }
    }
    r
}

fn finding<'a>(r: &'a TargetReport, kind: &str) -> &'a ptrtrace_core::diagnose::Finding {
    r.diagnosis
        .findings
        .iter()
        .find(|f| f.kind.as_str() == kind)
        .unwrap_or_else(|| panic!("no {kind} finding"))
}

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

mod cuts;
mod delegation;
mod dnssec;
mod forward;
mod loss;
mod rrl;
mod servers;

/// Every scenario is traced by a test function of its own: a `check("NAME")` inside the body
/// of a `#[test]`/`#[tokio::test]` function (not in a comment, not in a helper).
#[test]
fn every_scenario_has_a_test() {
    let sources = [
        include_str!("servers.rs"),
        include_str!("delegation.rs"),
        include_str!("forward.rs"),
        include_str!("loss.rs"),
        include_str!("dnssec.rs"),
        include_str!("cuts.rs"),
        include_str!("rrl.rs"),
    ];
    let mut tested = std::collections::BTreeSet::new();
    for src in sources {
        for chunk in src.split("\n#[").skip(1) {
            if !(chunk.starts_with("tokio::test]") || chunk.starts_with("test]")) {
                continue;
            }
            // The test function: up to the end of its body.
            let body = chunk.split("\n}\n").next().unwrap_or(chunk);
            for line in body.lines().filter(|l| !l.trim_start().starts_with("//")) {
                for call in line.split("check(\"").skip(1) {
                    if let Some(name) = call.split('"').next() {
                        tested.insert(name.to_string());
                    }
                }
            }
        }
    }
    let untested: Vec<&str> = lab::scenarios()
        .iter()
        .map(|s| s.name)
        .filter(|n| !tested.contains(*n))
        .collect();
    assert!(
        untested.is_empty(),
        "scenarios without a test: {untested:?}"
    );
}

/// docs/lab.md's scenario table lists every scenario (and names no scenario that is gone).
#[test]
fn every_scenario_is_in_the_lab_docs() {
    let doc = include_str!("../../docs/lab.md");
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
