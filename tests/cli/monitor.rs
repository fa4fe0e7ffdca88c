//! Comparing reports (diff) and watching targets over time (watch).

#[allow(unused_imports)]
use super::*;

#[test]
fn diff_reports_changes_and_exit_codes() {
    let dir = std::env::temp_dir().join(format!("ptrtrace-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (a, b) = (dir.join("a.json"), dir.join("b.json"));
    for (scenario, path) in [("healthy", &a), ("refused", &b)] {
        let o = ptrtrace(&[
            "lab",
            "run",
            scenario,
            "-f",
            "json",
            "-o",
            path.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let o = ptrtrace(&["diff", a.to_str().unwrap(), b.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("203.0.113.25: verdict ok → degraded"), "{out}");
    assert!(
        out.contains("203.0.113.25: + lame (refused) · 113.0.203.in-addr.arpa. ns2.isp.example. (198.51.100.54)"),
        "{out}"
    );
    assert!(
        out.contains(
            "server_status ns2.isp.example. (198.51.100.54) in 113.0.203.in-addr.arpa.: ok → lame"
        ),
        "{out}"
    );
    let o = ptrtrace(&["diff", a.to_str().unwrap(), a.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "no changes\n");
    let o = ptrtrace(&[
        "diff",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "-f",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["schema_version"], 2);
    assert!(
        v["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["kind"] == "verdict" && c["to"] == "degraded")
    );
    let o = ptrtrace(&["diff", a.to_str().unwrap(), "/nonexistent.json"]);
    assert_one_line_error(&o, 2, "cannot read report /nonexistent.json");
    let not_report = temp_file("not-report.json", "{\"hello\": 1}");
    let o = ptrtrace(&["diff", a.to_str().unwrap(), not_report.to_str().unwrap()]);
    assert_one_line_error(&o, 2, "not a ptrtrace JSON report");
}

/// `watch` prints the first round, then a line per change: here the only server stops, so
/// the last round could not run (exit 3, as a trace).
#[test]
fn watch_prints_changes_and_a_summary() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let (_rt, server, hints) = mini_root();
    let port = server.addr.port().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ptrtrace"))
        .args([
            "watch",
            "--root-hints",
            hints.to_str().unwrap(),
            "--port",
            &port,
            "--interval",
            "1s",
            "--timeout",
            "300ms",
            "--count",
            "2",
            "-4",
            "--no-dnssec",
            "203.0.113.25",
        ])
        .env("PTRTRACE_FORBID_BUILTIN_HINTS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(first.contains("203.0.113.25 ok: PTR mail.test."), "{first}");
    drop(server); // the server goes away before the second round
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    let status = child.wait().unwrap();
    // The changes are printed; the exit code is a trace's: the last round could not run.
    assert_eq!(status.code(), Some(3), "{rest:?}");
    assert!(
        rest.iter().any(|l| l.contains("verdict ok → broken")),
        "{rest:?}"
    );
    assert!(
        rest.iter()
            .any(|l| l.contains("server_status lab. (127.0.0.1) in .: ok → unreachable")),
        "{rest:?}"
    );
    let summary = rest.last().unwrap();
    assert!(
        summary.starts_with("watch: 2 rounds,") && summary.contains("203.0.113.25 broken"),
        "{summary}"
    );
}

/// `watch` uses a trace's exit codes when it cannot run: 3 when no root server answered; and
/// a batch with bad entries and an unreachable root reports both (exit 2 for the bad input).
#[test]
fn watch_without_root_is_exit_3_and_bad_stdin_keeps_the_root_message() {
    let (port, hints) = closed_root("watch.hints");
    let base = [
        "--root-hints",
        hints.to_str().unwrap(),
        "--port",
        &port,
        "--timeout",
        "200ms",
        "-4",
    ];
    let o = ptrtrace(&[&["watch", "--count", "1"][..], &base[..], &["203.0.113.25"]].concat());
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("no root server"), "{}", stderr(&o));

    let mut child = Command::new(env!("CARGO_BIN_EXE_ptrtrace"))
        .args([&base[..], &["-"]].concat())
        .env("PTRTRACE_FORBID_BUILTIN_HINTS", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"203.0.113.25\nnot-an-address\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("stdin line 2"), "{e}");
    assert!(e.contains("no root server"), "{e}");
    assert!(e.contains("1 target entries were not valid"), "{e}");
}

/// `check` prints one monitoring-plugins line and exits 0/2 by the verdict, 3 when it cannot
/// run (bad input included: 2 would read as CRITICAL).
#[test]
fn check_speaks_the_monitoring_plugins_format() {
    let (_rt, server, hints) = mini_root();
    let port = server.addr.port().to_string();
    let check = |extra: &[&str]| {
        let mut args = vec![
            "check",
            "--root-hints",
            hints.to_str().unwrap(),
            "--port",
            &port,
            "--timeout",
            "500ms",
            "-4",
            "--no-dnssec",
        ];
        args.extend_from_slice(extra);
        ptrtrace(&args)
    };
    let ok = check(&["203.0.113.25"]);
    let line = stdout(&ok);
    assert_eq!(ok.status.code(), Some(0), "{line}{}", stderr(&ok));
    assert_eq!(line.lines().count(), 1, "{line}");
    assert!(
        line.starts_with("PTRTRACE OK - 203.0.113.25 ok: PTR mail.test."),
        "{line}"
    );
    assert!(
        line.contains(" | '203.0.113.25 first_try_bad'=0.0%;;;0;100 "),
        "{line}"
    );
    // No PTR: broken, CRITICAL, exit 2; the worst target leads the summary.
    let broken = check(&["203.0.113.25", "203.0.113.26"]);
    let line = stdout(&broken);
    assert_eq!(broken.status.code(), Some(2), "{line}");
    assert!(
        line.starts_with("PTRTRACE CRITICAL - 203.0.113.26 broken"),
        "{line}"
    );
    // Bad input, bad thresholds, a missing address: UNKNOWN, exit 3, one line on stdout.
    for bad in [
        vec!["not-an-ip"],
        vec!["--warning", "50", "--critical", "10", "203.0.113.25"],
        vec!["--warning", "150", "203.0.113.25"],
        vec![],
    ] {
        let o = check(&bad);
        let line = stdout(&o);
        assert_eq!(o.status.code(), Some(3), "{bad:?}: {line}{}", stderr(&o));
        assert!(line.starts_with("PTRTRACE UNKNOWN - "), "{bad:?}: {line}");
        assert_eq!(line.lines().count(), 1, "{line}");
    }
    // No root server answers: UNKNOWN.
    drop(server);
    let o = check(&["203.0.113.25"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stdout(&o).starts_with("PTRTRACE UNKNOWN - no root server"),
        "{}",
        stdout(&o)
    );
}
