//! The real executable: arguments, bad input, exit codes, output formats.
//! Every run sets `PTRTRACE_FORBID_BUILTIN_HINTS`, so none can fall back to the real root.

// A test fails by panicking: unwrap and expect are how it says so.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::process::{Command, Output};
use std::sync::Arc;

use ptrtrace_lab::{Fault, LabServer, ZoneData};

fn ptrtrace(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ptrtrace"))
        .args(args)
        .env("PTRTRACE_FORBID_BUILTIN_HINTS", "1")
        .env("NO_COLOR", "1")
        .output()
        .expect("runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn temp_file(name: &str, content: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ptrtrace-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::File::create(&p)
        .unwrap()
        .write_all(content.as_bytes())
        .unwrap();
    p
}

/// Root hints naming 127.0.0.1 on a port where nothing listens (every query is refused at
/// once, nothing leaves the machine): the port, and the hints file.
fn closed_root(file: &str) -> (String, std::path::PathBuf) {
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = sock.local_addr().unwrap().port().to_string();
    drop(sock);
    (port, temp_file(file, ". NS a.lab.\na.lab. A 127.0.0.1\n"))
}

fn assert_one_line_error(o: &Output, code: i32, needle: &str) {
    assert_eq!(o.status.code(), Some(code), "stderr: {}", stderr(o));
    let e = stderr(o);
    assert_eq!(e.lines().count(), 1, "one line expected: {e}");
    assert!(e.contains(needle), "{needle:?} not in {e:?}");
}

#[test]
fn bad_target_is_exit_2_with_one_line() {
    let hints = temp_file("ok.hints", ". NS a.lab.\na.lab. A 127.0.0.1\n");
    let o = ptrtrace(&["--root-hints", hints.to_str().unwrap(), "203.0.113.256"]);
    assert_one_line_error(&o, 2, "\"203.0.113.256\" is not an IP address");
}

#[test]
fn no_target_is_exit_2() {
    let o = ptrtrace(&[]);
    assert_one_line_error(&o, 2, "no address given");
}

#[test]
fn malformed_hints_name_file_and_line() {
    let hints = temp_file(
        "bad.hints",
        "; comment\n. NS a.lab.\na.lab. A 127.0.0.999\n",
    );
    let o = ptrtrace(&["--root-hints", hints.to_str().unwrap(), "203.0.113.25"]);
    assert_one_line_error(
        &o,
        2,
        "bad.hints, line 3: \"127.0.0.999\" is not an IPv4 address",
    );
}

#[test]
fn missing_hints_file_is_exit_2() {
    let o = ptrtrace(&["--root-hints", "/nonexistent/x.hints", "203.0.113.25"]);
    assert_one_line_error(&o, 2, "cannot read root hints file /nonexistent/x.hints");
}

#[test]
fn builtin_hints_are_refused_under_the_safety_switch() {
    let o = ptrtrace(&["203.0.113.25"]);
    assert_one_line_error(&o, 2, "built-in root hints refused");
}

#[test]
fn bad_durations_and_probe_counts_are_exit_2() {
    let o = ptrtrace(&["--timeout", "soon", "203.0.113.25"]);
    assert_one_line_error(&o, 2, "bad duration \"soon\"");
    let o = ptrtrace(&["--probes", "0", "203.0.113.25"]);
    assert_one_line_error(&o, 2, "--probes");
    let o = ptrtrace(&["--format", "yaml", "203.0.113.25"]);
    assert_one_line_error(&o, 2, "yaml");
    let o = ptrtrace(&["--no-such-flag"]);
    assert_one_line_error(&o, 2, "--no-such-flag");
    // A timeout too short to mean anything, and port 0, are bad input too.
    let o = ptrtrace(&["--timeout", "1e-9", "203.0.113.25"]);
    assert_one_line_error(&o, 2, "at least 1ms");
    let o = ptrtrace(&["--port", "0", "203.0.113.25"]);
    assert_one_line_error(&o, 2, "--port");
}

/// No root server answers (nothing listens on the port): the trace cannot run, exit 3.
#[test]
fn unreachable_root_is_exit_3() {
    let (port, hints) = closed_root("closed.hints");
    let o = ptrtrace(&[
        "--root-hints",
        hints.to_str().unwrap(),
        "--port",
        &port,
        "--timeout",
        "300ms",
        "-4",
        "203.0.113.25",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("no root server"), "{}", stderr(&o));
    assert!(stdout(&o).contains("unreachable"), "{}", stdout(&o));
    // Nothing is said about receivers when the trace could not run; no "at .." or "1 probes".
    let out = stdout(&o);
    assert!(
        !out.contains("Postfix") && !out.contains(".. ") && !out.contains("evidence: 1 probes"),
        "{out}"
    );
    assert!(out.contains("Every lookup fails at the root"), "{out}");
    // The advice names the port actually used, not 53.
    assert!(
        stdout(&o).contains(&format!("open UDP and TCP port {port} to it")),
        "{}",
        stdout(&o)
    );
}

const MINI_ROOT: &str = r#"
$TTL 3600
@ SOA lab. hostmaster.lab. 1 3600 600 86400 3600
@ NS lab.
lab. A 127.0.0.1
25.113.0.203.in-addr.arpa. PTR mail.test.
mail.test. A 203.0.113.25
"#;

/// A full run of the binary through `--root-hints` and `--port` against a server on
/// loopback that is the root and holds the PTR and its A record.
#[test]
fn root_hints_file_trace_against_a_loopback_server() {
    let (_rt, server, hints, anchor) = signed_mini_root();
    let port = server.addr.port().to_string();
    let o = ptrtrace(&[
        "--root-hints",
        hints.to_str().unwrap(),
        "--trust-anchor",
        anchor.to_str().unwrap(),
        "--port",
        &port,
        "203.0.113.25",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(
        out.starts_with("203.0.113.25  OK  PTR mail.test. → 203.0.113.25 confirmed"),
        "{out}"
    );
    let o = ptrtrace(&[
        "--root-hints",
        hints.to_str().unwrap(),
        "--port",
        &port,
        "--trust-anchor",
        anchor.to_str().unwrap(),
        "-f",
        "json",
        "203.0.113.25",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["targets"][0]["verdict"], "ok");
    assert_eq!(v["targets"][0]["ptr"][0], "mail.test.");
    assert_eq!(v["targets"][0]["dnssec"]["zones"][0]["status"], "secure");
    drop(server);
}

/// A private root traced with `--root-hints` and no `--trust-anchor`: the built-in IANA keys
/// were not chosen for it and it has none of them, so DNSSEC is not judged — one info
/// finding (`untested`, `trust_anchor`) says so and how to give the anchor; no false
/// `dnssec_bogus`, verdict ok, exit 0. With `--no-dnssec` the JSON has no `dnssec` part.
#[test]
fn private_root_without_trust_anchor_is_not_judged_and_no_dnssec_skips_it() {
    let (_rt, server, hints, _) = signed_mini_root();
    let port = server.addr.port().to_string();
    let base = ["--root-hints", hints.to_str().unwrap(), "--port", &port];
    let o = ptrtrace(&[&base[..], &["-f", "json", "203.0.113.25"]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let t = &v["targets"][0];
    assert_eq!(t["verdict"], "ok");
    assert_eq!(t["receiver"], "accept");
    let kinds: Vec<(&str, &str)> = t["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap(),
                f["reason"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(kinds, [("untested", "trust_anchor")], "{}", t["findings"]);
    assert!(
        t["findings"][0]["advice"]
            .as_str()
            .unwrap()
            .contains("--trust-anchor")
    );
    assert!(t["dnssec"]["broken"].as_array().unwrap().is_empty());
    assert!(
        t["dnssec"]["anchor"]
            .as_str()
            .unwrap()
            .starts_with("builtin")
    );
    let o = ptrtrace(&[&base[..], &["--no-dnssec", "-f", "json", "203.0.113.25"]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["targets"][0]["verdict"], "ok");
    assert!(v["targets"][0].get("dnssec").is_none());
    // No DNSKEY or DS question is asked without DNSSEC.
    let types: Vec<&str> = v["targets"][0]["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["qtype"].as_str().unwrap())
        .collect();
    assert!(
        !types.contains(&"DNSKEY") && !types.contains(&"DS"),
        "{types:?}"
    );
}

/// A bad trust anchor file is bad input: one line naming the file, exit 2.
#[test]
fn bad_trust_anchor_file_is_exit_2() {
    let bad = temp_file("bad.anchor", ". IN A 192.0.2.1\n");
    let typo = temp_file(
        "typo.anchor",
        "; root\n. IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\nhello WORLD x\n",
    );
    let hints = temp_file("ta.hints", ". NS a.lab.\na.lab. A 127.0.0.1\n");
    for (file, want) in [
        (
            bad.to_str().unwrap(),
            "line 1: \". IN A 192.0.2.1\": only DS and DNSKEY",
        ),
        (
            typo.to_str().unwrap(),
            "line 3: \"hello WORLD x\": unknown record type WORLD",
        ),
        ("/nonexistent/anchor", "/nonexistent/anchor"),
    ] {
        let o = ptrtrace(&[
            "--root-hints",
            hints.to_str().unwrap(),
            "--trust-anchor",
            file,
            "203.0.113.25",
        ]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        let e = stderr(&o);
        assert!(e.contains("trust anchor file") && e.contains(want), "{e}");
        assert_eq!(e.trim_end().lines().count(), 1, "{e}");
    }
}

#[test]
fn lab_list_names_every_scenario() {
    let o = ptrtrace(&["lab", "list"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    for s in ptrtrace_lab::scenarios() {
        assert!(out.contains(s.name), "{} missing", s.name);
    }
}

#[test]
fn lab_run_text_leads_with_the_summary() {
    let o = ptrtrace(&["lab", "run", "refused"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let summary = out.lines().find(|l| l.starts_with("203.0.113.25")).unwrap();
    assert!(summary.contains("DEGRADED"), "{summary}");
    assert!(
        out.contains("ERROR lame (refused) · 113.0.203.in-addr.arpa."),
        "{out}"
    );
    assert!(out.contains("what to do:"), "{out}");
    // It ends with the tally.
    assert_eq!(
        out.lines().last(),
        Some("1 of 1 scenarios as expected"),
        "{out}"
    );
    // The tree shows the refusing address with its RCODE.
    assert!(
        out.lines()
            .any(|l| l.contains("198.51.100.54") && l.contains("REFUSED 3/3")),
        "{out}"
    );
}

#[test]
fn lab_run_json_is_versioned_and_complete() {
    let o = ptrtrace(&["lab", "run", "flaky", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["schema_version"], 1);
    let t = &v["targets"][0];
    assert_eq!(t["target"], "203.0.113.25");
    assert_eq!(t["scenario"], "flaky");
    assert_eq!(t["verdict"], "degraded");
    assert!(
        stderr(&o).contains("1 of 1 scenarios as expected"),
        "{}",
        stderr(&o)
    );
    let f = &t["findings"][0];
    assert_eq!(f["kind"], "flaky");
    assert_eq!(f["address"], "198.51.100.55");
    assert_eq!(f["zone"], "113.0.203.in-addr.arpa.");
    assert!(t["probes"].as_array().unwrap().len() > 50);
    assert!(
        t["graph"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["status"] == "flaky")
    );
}

#[test]
fn lab_run_unknown_scenario_is_exit_2() {
    let o = ptrtrace(&["lab", "run", "nosuch"]);
    assert_one_line_error(&o, 2, "no lab scenario \"nosuch\"");
}

#[test]
fn output_file_and_unwritable_output() {
    let path = std::env::temp_dir().join(format!("ptrtrace-out-{}.json", std::process::id()));
    let o = ptrtrace(&[
        "lab",
        "run",
        "healthy",
        "-f",
        "json",
        "-o",
        path.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(v["targets"][0]["verdict"], "ok");
    // A bad output path fails before any scenario runs: one line, no tally (which a JSON
    // run prints to stderr after the scenarios).
    let o = ptrtrace(&["lab", "run", "-f", "json", "-o", "/nonexistent/dir/out.txt"]);
    assert_one_line_error(&o, 2, "cannot write output file /nonexistent/dir/out.txt");
}

#[test]
fn help_teaches() {
    let o = ptrtrace(&["--help"]);
    let out = stdout(&o);
    for needle in [
        "--root-hints",
        "--probes",
        "--timeout",
        "EXIT CODES",
        "lab run",
        "lab serve",
    ] {
        assert!(out.contains(needle), "{needle} missing from --help");
    }
}

#[test]
fn lab_run_dot_is_a_digraph() {
    let o = ptrtrace(&["lab", "run", "healthy", "-f", "dot"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    // Each graph is named by a DOT comment (Graphviz ignores it).
    assert!(
        out.starts_with("// lab scenario healthy\ndigraph \"ptrtrace 203.0.113.25\" {"),
        "{out}"
    );
    assert!(out.trim_end().ends_with('}'));
}

/// `ptrtrace … | head -1`: the reader goes away, ptrtrace ends quietly.
#[test]
fn broken_pipe_is_a_quiet_end() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_ptrtrace"))
        .args(["lab", "run", "healthy"])
        .env("PTRTRACE_FORBID_BUILTIN_HINTS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("lab scenario healthy"), "{first}");
    // stdout is closed here; the rest of the report hits a broken pipe.
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(0), "{err}");
}

/// Ctrl-C ends a trace promptly, prints what was gathered and exits 130.
#[test]
fn ctrl_c_prints_the_partial_report_and_exits_130() {
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    let child = Command::new(env!("CARGO_BIN_EXE_ptrtrace"))
        .args(["lab", "run", "silent", "--timeout", "20s"])
        .env("PTRTRACE_FORBID_BUILTIN_HINTS", "1")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let start = Instant::now();
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "took {:?}",
        start.elapsed()
    );
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("limit_exceeded (interrupted)"), "{text}");
    assert!(
        text.contains("113.0.203.in-addr.arpa."),
        "the partial trace is shown: {text}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("interrupted"));
}

#[test]
fn max_ns_is_validated() {
    let o = ptrtrace(&["lab", "run", "healthy", "--max-ns", "0"]);
    assert_one_line_error(&o, 2, "--max-ns");
}

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
    assert_eq!(v["schema_version"], 1);
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

/// The mini root, signed with a fresh key; the hints file, and a trust anchor file with
/// the DS of that key.
fn mini_root() -> (tokio::runtime::Runtime, LabServer, std::path::PathBuf) {
    let (rt, server, hints, _) = signed_mini_root();
    (rt, server, hints)
}

fn signed_mini_root() -> (
    tokio::runtime::Runtime,
    LabServer,
    std::path::PathBuf,
    std::path::PathBuf,
) {
    use ptrtrace_lab::sign::{Window, ZoneKey};
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut zone = ZoneData::parse(".", MINI_ROOT).unwrap();
    let key = ZoneKey::generate().unwrap();
    let now = ptrtrace_core::dnssec::validate::now();
    zone.sign(&key, &Default::default(), Window::current(now))
        .unwrap();
    let ds = ptrtrace_core::dnssec::ds_of(&zone.origin, &key.dnskey).unwrap();
    let anchor = temp_file("mini-root.anchor", &format!(". IN DS {ds}\n"));
    let server = rt
        .block_on(LabServer::start(vec![Arc::new(zone)], Fault::None, None))
        .unwrap();
    let hints = temp_file("batch.hints", ". NS lab.\nlab. A 127.0.0.1\n");
    (rt, server, hints, anchor)
}

/// A prefix, a file with a bad line and stdin: the good targets run, the bad line is named,
/// the text ends with a summary, and the exit code says there was bad input.
#[test]
fn batch_targets_from_prefix_file_and_stdin() {
    use std::process::Stdio;
    let (_rt, server, hints) = mini_root();
    let port = server.addr.port().to_string();
    let list = temp_file(
        "targets.txt",
        "# sending IPs\n203.0.113.25\n203.0.113.300\n\n203.0.113.30 # spare\n",
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_ptrtrace"))
        .args([
            "--root-hints",
            hints.to_str().unwrap(),
            "--port",
            &port,
            "-4",
            "--no-dnssec",
            "203.0.113.24/30",
            &format!("@{}", list.display()),
            "-",
        ])
        .env("PTRTRACE_FORBID_BUILTIN_HINTS", "1")
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"203.0.113.40\nnot-an-ip\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    let (out, err) = (stdout(&o), stderr(&o));
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "{} line 3: \"203.0.113.300\" is not an IP address",
            list.display()
        )),
        "{err}"
    );
    assert!(err.contains("stdin line 2: \"not-an-ip\""), "{err}");
    // 24..27 from the prefix, 25 again (deduplicated), 30 from the file, 40 from stdin.
    for t in [
        "203.0.113.24",
        "203.0.113.25",
        "203.0.113.26",
        "203.0.113.27",
        "203.0.113.30",
        "203.0.113.40",
    ] {
        assert!(
            out.lines().any(|l| l.starts_with(&format!("{t}  "))),
            "{t} missing:\n{out}"
        );
    }
    assert!(
        out.contains("Summary: 6 targets — 1 ok, 0 degraded, 5 broken"),
        "{out}"
    );
}

#[test]
fn jsonl_streams_one_object_per_target() {
    let (_rt, server, hints) = mini_root();
    let port = server.addr.port().to_string();
    let o = ptrtrace(&[
        "--root-hints",
        hints.to_str().unwrap(),
        "--port",
        &port,
        "-4",
        "--no-dnssec",
        "-f",
        "jsonl",
        "203.0.113.24/30",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    for l in &lines {
        assert_eq!(l["schema_version"], 1);
        assert!(l["verdict"].is_string() && l["target"].is_string());
    }
    assert_eq!(lines.iter().filter(|l| l["verdict"] == "ok").count(), 1);
}

#[test]
fn oversized_prefix_needs_force() {
    let o = ptrtrace(&["--root-hints", "/nonexistent", "10.0.0.0/8"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("more than 65536; split it or add --force"),
        "{}",
        stderr(&o)
    );
}

/// `lab run --no-dnssec` skips the DNSSEC scenarios (they cannot match without it), and
/// naming one of them with `--no-dnssec` is bad input.
#[test]
fn lab_run_without_dnssec_skips_the_dnssec_scenarios() {
    let o = ptrtrace(&["lab", "run", "dnssec-secure", "--no-dnssec"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("is about DNSSEC"), "{}", stderr(&o));
    let o = ptrtrace(&["lab", "run", "healthy", "--no-dnssec", "-f", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["targets"][0].get("dnssec").is_none());
}

/// Peak resident memory of a running process, from /proc (Linux), in MB.
fn peak_rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
}

/// Huge prefixes are streamed, never expanded: `--force 2001:db8::/96` (4 billion addresses,
/// 70 GB as a list) and `--force 10.0.0.0/8` start tracing at once and stay under 150 MB;
/// a /64 is refused in one line even with --force. The root is a closed loopback port, so
/// every target fails fast and nothing leaves the machine.
#[test]
fn huge_prefixes_stream_in_bounded_memory() {
    let (port, hints) = closed_root("stream.hints");
    for prefix in ["2001:db8::/96", "10.0.0.0/8"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ptrtrace"))
            .args([
                "--root-hints",
                hints.to_str().unwrap(),
                "--port",
                &port,
                "--timeout",
                "100ms",
                "-4",
                "--force",
                "-f",
                "jsonl",
                prefix,
            ])
            .env("PTRTRACE_FORBID_BUILTIN_HINTS", "1")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_secs(3));
        let still_running = child.try_wait().unwrap().is_none();
        let rss = peak_rss_mb(child.id());
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        assert!(still_running, "{prefix}: exited early: {}", stderr(&out));
        let rss = rss.unwrap();
        assert!(rss < 150.0, "{prefix}: peak RSS {rss:.0} MB");
    }
    let o = ptrtrace(&[
        "--force",
        "--root-hints",
        hints.to_str().unwrap(),
        "2001:db8::/64",
    ]);
    assert_one_line_error(
        &o,
        2,
        "has 2^64 addresses, more than ptrtrace traces in one run",
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

/// `lab serve` runs real servers another process can trace: the printed command line, run
/// as printed, traces the healthy tree to ok with DNSSEC validated from the written anchor,
/// every probe went to a 127.0.53.N address, and Ctrl-C stops it and removes its files.
#[test]
fn lab_serve_is_traced_by_another_process_and_stops_on_ctrl_c() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    // A port free on the first serve address (the others are checked by the bind itself).
    let probe = std::net::UdpSocket::bind("127.0.53.1:0").unwrap();
    let port = probe.local_addr().unwrap().port();
    drop(probe);
    let dir = std::env::temp_dir().join(format!("ptrtrace-serve-test-{}", std::process::id()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_ptrtrace"))
        .args(["lab", "serve", "--port", &port.to_string()])
        .env("TMPDIR", &dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut command = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if line.trim_start().starts_with("ptrtrace --root-hints") {
            command = Some(line.trim().to_string());
            break;
        }
    }
    let command = command.expect("lab serve prints the command line");
    let args: Vec<&str> = command.split_whitespace().skip(1).collect();
    let o = ptrtrace(&[&args[..], &["-f", "json"]].concat());
    assert_eq!(o.status.code(), Some(0), "{command}: {}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let t = &v["targets"][0];
    assert_eq!(t["verdict"], "ok");
    assert!(
        t["dnssec"]["zones"]
            .as_array()
            .unwrap()
            .iter()
            .all(|z| z["status"] == "secure"),
        "{}",
        t["dnssec"]
    );
    for p in t["probes"].as_array().unwrap() {
        let a = p["address"].as_str().unwrap();
        assert!(a.starts_with("127.0.53."), "probe to {a}");
    }
    let hints = args[1].to_string();
    assert!(std::path::Path::new(&hints).exists());
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(
        !std::path::Path::new(&hints).exists(),
        "{hints} left behind"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Each subcommand takes and documents only its own options: `lab list` takes none, `diff`
/// only -f and -o; a trace option given to them is an error, not silently ignored.
#[test]
fn subcommands_take_only_their_own_options() {
    let o = ptrtrace(&["lab", "list", "--root-hints", "x.hints"]);
    assert_one_line_error(&o, 2, "--root-hints");
    let o = ptrtrace(&["lab", "list", "-f", "json"]);
    assert_one_line_error(&o, 2, "-f");
    let o = ptrtrace(&["diff", "a.json", "b.json", "--probes", "3"]);
    assert_one_line_error(&o, 2, "--probes");
    let help = stdout(&ptrtrace(&["diff", "--help"]));
    assert!(
        help.contains("--format") && !help.contains("--probes"),
        "{help}"
    );
    let help = stdout(&ptrtrace(&["lab", "--help"]));
    assert!(
        help.contains("serve") && !help.contains("--timeout"),
        "{help}"
    );
}

/// Options that mean nothing to `lab run` are refused in one line, not ignored.
#[test]
fn lab_run_refuses_options_that_do_not_apply() {
    for (args, needle) in [
        (
            &["lab", "run", "healthy", "--port", "5353"][..],
            "--port does not apply",
        ),
        (
            &["lab", "run", "healthy", "--force"][..],
            "--force does not apply",
        ),
        (
            &["lab", "run", "healthy", "--root-hints", "x"][..],
            "--root-hints does not apply",
        ),
    ] {
        let o = ptrtrace(args);
        assert_one_line_error(&o, 2, needle);
    }
}
