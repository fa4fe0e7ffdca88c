//! The built-in lab from the command line: list, run in every format, serve.

#[allow(unused_imports)]
use super::*;

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
    assert_eq!(v["schema_version"], 2);
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

/// `lab serve` runs real servers another process can trace: the printed command line, run
/// as printed, traces the healthy tree to ok with DNSSEC validated from the written anchor,
/// every probe went to a 127.0.53.N address, and Ctrl-C stops it and removes its files.
#[test]
fn lab_serve_is_traced_by_another_process_and_stops_on_sigterm() {
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
        if line.contains(" --root-hints ") {
            command = Some(line.trim().to_string());
            break;
        }
    }
    // The command runs as printed: the binary is named by its path (it is not on PATH).
    let command = command.expect("lab serve prints the command line");
    let words: Vec<&str> = command.split_whitespace().collect();
    let me = std::fs::canonicalize(env!("CARGO_BIN_EXE_ptrtrace")).unwrap();
    assert_eq!(std::path::Path::new(words[0]), me, "{command}");
    let args = &words[1..];
    let o = Command::new(words[0])
        .args(args)
        .args(["-f", "json"])
        .env("PTRTRACE_FORBID_BUILTIN_HINTS", "1")
        .output()
        .unwrap();
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
        .args(["-TERM", &child.id().to_string()])
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

/// Ctrl-C during `lab run` (all scenarios): the scenarios finished before it are shown and
/// tallied, the ones it cut short are only counted as unfinished; exit 130.
#[test]
fn ctrl_c_during_lab_run_tallies_the_finished_scenarios() {
    use std::io::{BufRead, BufReader, Read};
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_ptrtrace"))
        .args(["lab", "run"])
        .env("PTRTRACE_FORBID_BUILTIN_HINTS", "1")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut text = String::new();
    // The first scenario's report has arrived: interrupt the rest.
    out.read_line(&mut text).unwrap();
    assert!(text.starts_with("━━ lab scenario"), "{text}");
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    out.read_to_string(&mut text).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let shown = text.matches("━━ lab scenario").count();
    let tally = text.lines().last().unwrap();
    assert!(
        tally.starts_with(&format!("{shown} of {shown} scenarios as expected ("))
            && tally.contains("unfinished when interrupted, not counted)"),
        "{tally}"
    );
    assert!(
        !text.contains("limit_exceeded (interrupted)"),
        "a partial scenario was shown"
    );
}

/// A closed stdout ends `lab run` at once: after the first scenario's line nothing more is
/// run, so the tally of the whole run (said on stderr with `-f jsonl`) never comes, and the
/// exit is the quiet end of a closed pipe.
#[test]
fn lab_run_ends_when_its_reader_goes() {
    let (first, out) = first_line_then_close(
        Command::new(env!("CARGO_BIN_EXE_ptrtrace")).args(["lab", "run", "-f", "jsonl"]),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(first.contains("\"schema_version\""), "{first}");
    // The tally, said at the end of a full run, never came.
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
