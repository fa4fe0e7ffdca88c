//! Output contracts over every lab scenario: the JSON validates against docs/schema.json, and
//! the DOT renders with the real Graphviz `dot` without a single warning. `dot` comes from
//! Debian's graphviz package, which `.ci/run` installs; without it this test fails, it does
//! not skip.

// A test fails by panicking: unwrap and expect are how it says so.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::net::IpAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use ptrtrace_core::report::{TargetReport, dot, json, svg};
use ptrtrace_core::trace;
use ptrtrace_lab::{self as lab, Scenario};

async fn run(s: Scenario) -> (Scenario, TargetReport) {
    let running = lab::start(&s).await.expect("lab starts");
    let mut cfg = running.config();
    cfg.timeout = Duration::from_millis(600);
    let target: IpAddr = s.target.parse().unwrap();
    let r = TargetReport::new(trace::trace(target, &cfg, None).await);
    (s, r)
}

async fn all_scenarios() -> Vec<(Scenario, TargetReport)> {
    futures::future::join_all(lab::scenarios().into_iter().map(run)).await
}

/// Graphviz must be there: on a fresh machine where we are root (CI, the project's
/// machines) it is installed from Debian; elsewhere the test fails and says what to install.
fn ensure_dot() {
    let have = || {
        Command::new("dot")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if have() {
        return;
    }
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if root {
        let _ = Command::new("apt-get").args(["update", "-qq"]).status();
        let _ = Command::new("apt-get")
            .args(["install", "-y", "-qq", "graphviz"])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status();
    }
    assert!(
        have(),
        "Graphviz `dot` is needed to check the DOT output: apt-get install graphviz"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_validates_against_the_json_schema_and_renders_with_graphviz() {
    ensure_dot();
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../docs/schema.json")).expect("schema parses");
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("schema compiles");
    // Each JSONL line is a $defs/jsonl_line: a zone record, a slim or a full target record.
    let mut line_schema = schema.clone();
    line_schema["$ref"] = "#/$defs/jsonl_line".into();
    for key in ["required", "properties", "type"] {
        line_schema.as_object_mut().unwrap().remove(key);
    }
    let line_validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&line_schema)
        .expect("line schema compiles");
    let runs = all_scenarios().await;
    assert_eq!(runs.len(), lab::scenarios().len());
    for (s, r) in &runs {
        let text = json::render(std::slice::from_ref(r), "lab").unwrap();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .take(5)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "scenario {}: {errors:#?}", s.name);
        let mut written = std::collections::HashSet::new();
        let slim = json::render_slim(r, Some(s.name), "lab", &mut written).unwrap();
        let full = json::render_line(r, "lab").unwrap();
        for line in slim.lines().chain(std::iter::once(full.as_str())) {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let errors: Vec<String> = line_validator
                .iter_errors(&v)
                .take(5)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect();
            assert!(
                errors.is_empty(),
                "scenario {} jsonl {}: {errors:#?}",
                s.name,
                v["record"]
            );
        }
        // One zone record per zone of the walk, then the target; a second target of the same
        // stream writes no zone again.
        let records: Vec<serde_json::Value> = slim
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(records.len(), r.walk.zones.len() + 1, "{}", s.name);
        assert_eq!(records.last().unwrap()["record"], "target");
        let again = json::render_slim(r, Some(s.name), "lab", &mut written).unwrap();
        assert_eq!(again.lines().count(), 1, "{}", s.name);

        let graph = dot::render(r);
        let mut child = Command::new("dot")
            .arg("-Tsvg")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect(
                "Graphviz `dot` must be installed (Debian package graphviz; .ci/run installs it)",
            );
        child
            .stdin
            .take()
            .unwrap()
            .write_all(graph.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "scenario {}: dot failed: {stderr}",
            s.name
        );
        assert!(
            stderr.trim().is_empty(),
            "scenario {}: dot warned: {stderr}",
            s.name
        );
        let svg = String::from_utf8_lossy(&out.stdout);
        assert!(svg.contains("<svg"), "scenario {}", s.name);
        // Every address of the graph is drawn, with its status colour.
        for node in r.graph.graph.node_weights() {
            if let ptrtrace_core::graph::Node::Address { address, .. } = node {
                assert!(
                    graph.contains(&address.to_string()),
                    "{}: {address} not drawn",
                    s.name
                );
            }
        }
    }
}

/// serve's page draws every scenario's graph (report/svg.rs): a well-formed SVG (one Python
/// XML parse for all of them) with one `address` node per address of the graph, each with a
/// `data-status` of the documented words.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_draws_its_svg() {
    let runs = all_scenarios().await;
    let dir = std::env::temp_dir().join(format!("ptrtrace-svg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    const WORDS: [&str; 7] = [
        "ok",
        "lame",
        "unreachable",
        "flaky",
        "inconsistent",
        "bogus",
        "untested",
    ];
    for (s, r) in &runs {
        let g = svg::render(r);
        let statuses: Vec<&str> = g
            .split(r#"<g class="address" data-status=""#)
            .skip(1)
            .map(|rest| &rest[..rest.find('"').unwrap()])
            .collect();
        let addresses = r
            .graph
            .graph
            .node_weights()
            .filter(|n| matches!(n, ptrtrace_core::graph::Node::Address { .. }))
            .count();
        assert_eq!(statuses.len(), addresses, "{}", s.name);
        assert!(
            statuses.iter().all(|w| WORDS.contains(w)),
            "{}: {statuses:?}",
            s.name
        );
        std::fs::write(dir.join(format!("{}.svg", s.name)), g).unwrap();
    }
    let parsed = Command::new("python3")
        .args([
            "-c",
            "import glob, sys, xml.dom.minidom as m; \
             print(sum(m.parse(f).documentElement.tagName == 'svg' \
             for f in glob.glob(sys.argv[1] + '/*.svg')))",
            dir.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&parsed.stdout).trim(),
        runs.len().to_string(),
        "{}",
        String::from_utf8_lossy(&parsed.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The schema is a real check: a document with a wrong verdict or a missing field fails it.
#[test]
fn schema_rejects_bad_documents() {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../docs/schema.json")).unwrap();
    let v = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let good = serde_json::json!({"schema_version": 2, "tool": "ptrtrace", "version": "0", "root_hints": "lab", "targets": []});
    assert!(v.is_valid(&good));
    let mut bad = good.clone();
    bad["schema_version"] = 1.into();
    assert!(!v.is_valid(&bad));
    let bad = serde_json::json!({"schema_version": 2, "tool": "ptrtrace", "version": "0", "root_hints": "lab",
        "targets": [{"target": "not-an-ip"}]});
    assert!(!v.is_valid(&bad));
}

/// The DOT of a faulty scenario marks the faulty address in the lame colour.
#[tokio::test]
async fn dot_marks_the_lame_server() {
    let s = lab::scenarios()
        .into_iter()
        .find(|s| s.name == "refused")
        .unwrap();
    let (_, r) = run(s).await;
    let g = dot::render(&r);
    let line = g
        .lines()
        .find(|l| {
            l.contains("\"address:113.0.203.in-addr.arpa.|ns2.isp.example.|198.51.100.54\" [")
        })
        .expect("node drawn");
    assert!(
        line.contains("#f9d0d0") && line.contains("REFUSED 3/3"),
        "{line}"
    );
    assert!(g.contains("label=\"delegates\""));
    assert!(g.contains("cluster_legend"));
}

/// Several targets in one DOT document: a zone is drawn once, from the target that saw it
/// worst, whichever order the targets come in: ns2's address, lame for `refused`'s target and
/// fine for `healthy`'s (same tree, same node names), stays lame.
#[tokio::test]
async fn many_targets_draw_each_zone_from_its_worst_view() {
    let pick = |name: &str| {
        lab::scenarios()
            .into_iter()
            .find(|s| s.name == name)
            .unwrap()
    };
    let ((_, refused), (_, healthy)) = tokio::join!(run(pick("refused")), run(pick("healthy")));
    let ns2 = "\"address:113.0.203.in-addr.arpa.|ns2.isp.example.|198.51.100.54\" [";
    for (order, reports) in [
        ("refused first", [&refused, &healthy]),
        ("healthy first", [&healthy, &refused]),
    ] {
        let g = dot::render_many(&reports);
        let drawn: Vec<&str> = g.lines().filter(|l| l.trim().starts_with(ns2)).collect();
        assert_eq!(drawn.len(), 1, "{order}: {drawn:?}");
        assert!(
            drawn[0].contains("#f9d0d0") && drawn[0].contains("REFUSED"),
            "{order}: {}",
            drawn[0]
        );
        let clusters = g
            .matches("subgraph \"cluster_zone:113.0.203.in-addr.arpa.\"")
            .count();
        assert_eq!(clusters, 1, "{order}");
        // Both targets' questions, each in its own cluster.
        assert!(g.contains("cluster_target:203.0.113.25"), "{order}");
    }
}

/// The page's own SVG of `refused`: a well-formed document whose refusing address (ns2's,
/// both families) is `data-status="lame"` and every other address of the lab's tree `ok`,
/// each with its evidence as a tooltip; and a name with markup in it is escaped.
#[tokio::test]
async fn svg_marks_the_lame_server_and_escapes() {
    let s = lab::scenarios()
        .into_iter()
        .find(|s| s.name == "refused")
        .unwrap();
    let (_, r) = run(s).await;
    let g = svg::render(&r);
    let status = |g: &str| -> Vec<(String, String)> {
        g.lines()
            .filter(|l| l.starts_with(r#"<g class="address""#))
            .map(|l| {
                let st = l.split("data-status=\"").nth(1).unwrap();
                let title = l.split("<title>").nth(1).unwrap();
                (st[..st.find('"').unwrap()].to_string(), title.to_string())
            })
            .collect()
    };
    let all = status(&g);
    assert!(all.len() > 10, "{g}");
    let (lame, ok): (Vec<_>, Vec<_>) = all.iter().partition(|(st, _)| st == "lame");
    assert_eq!(lame.len(), 2, "ns2's two addresses: {lame:?}");
    assert!(
        lame.iter()
            .all(|(_, t)| t.starts_with("ns2.isp.example. ") && t.contains("REFUSED 3/3")),
        "{lame:?}"
    );
    assert!(ok.iter().all(|(st, _)| st == "ok"), "{ok:?}");
    let parsed = Command::new("python3")
        .args([
            "-c",
            "import sys, xml.dom.minidom as m; d = m.parseString(sys.stdin.read()); \
             print(d.documentElement.tagName)",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(g.as_bytes())?;
            c.wait_with_output()
        })
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&parsed.stdout).trim(), "svg");
    assert_eq!(svg::esc("<script>&\""), "&lt;script&gt;&amp;&quot;");
}

/// Every finding kind docs/findings.md documents (a `## kind (severity)` heading) is one the
/// JSON schema allows, and the schema allows no undocumented kind.
#[test]
fn schema_kinds_are_the_documented_kinds() {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../docs/schema.json")).unwrap();
    let mut in_schema: Vec<String> = schema["$defs"]["kind"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_string())
        .collect();
    in_schema.sort();
    let mut documented: Vec<String> = include_str!("../docs/findings.md")
        .lines()
        .filter_map(|l| l.strip_prefix("## "))
        .filter_map(|h| h.split_once(" (").map(|(k, _)| k.to_string()))
        .filter(|k| k.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .collect();
    documented.sort();
    documented.dedup();
    assert_eq!(in_schema, documented);
    // The typed kinds serialise to exactly these identifiers.
    let mut typed: Vec<String> = ptrtrace_core::model::FindingKind::ALL
        .iter()
        .map(|k| {
            serde_json::to_value(k)
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    typed.sort();
    assert_eq!(typed, in_schema);
}

/// The typed `dnssec_bogus` reasons and walk bounds serialise to the schema's identifiers.
#[test]
fn schema_reasons_and_limits_are_the_typed_ones() {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../docs/schema.json")).unwrap();
    let listed = |v: &serde_json::Value| -> Vec<String> {
        let mut l: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap().to_string())
            .collect();
        l.sort();
        l
    };
    let typed = |ids: Vec<&str>| -> Vec<String> {
        let mut l: Vec<String> = ids.into_iter().map(str::to_string).collect();
        l.sort();
        l
    };
    use ptrtrace_core::model::{BogusReason, Limit};
    assert_eq!(
        typed(BogusReason::ALL.iter().map(|r| r.as_str()).collect()),
        listed(&schema["$defs"]["bogus_reason"]["enum"])
    );
    assert_eq!(
        typed(Limit::ALL.iter().map(|l| l.as_str()).collect()),
        listed(
            &schema["$defs"]["stats"]["properties"]["limits"]["items"]["properties"]["limit"]["enum"]
        )
    );
}
