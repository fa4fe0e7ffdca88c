//! Tracing against a root given with --root-hints: single targets, batches, streams, Ctrl-C.

#[allow(unused_imports)]
use super::*;

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
    assert_eq!(v["schema_version"], 2);
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

/// `ptrtrace … | head -1`: the reader goes away, ptrtrace ends quietly.
#[test]
fn broken_pipe_is_a_quiet_end() {
    // stdout is closed after the first line; the rest of the report hits a broken pipe.
    let (first, out) = first_line_then_close(
        Command::new(env!("CARGO_BIN_EXE_ptrtrace")).args(["lab", "run", "healthy"]),
    );
    assert!(first.contains("lab scenario healthy"), "{first}");
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
    let jsonl = |extra: &[&str]| {
        let mut args = vec![
            "--root-hints",
            hints.to_str().unwrap(),
            "--port",
            &port,
            "-4",
            "--no-dnssec",
            "-f",
            "jsonl",
            "203.0.113.24/30",
        ];
        args.extend_from_slice(extra);
        let o = ptrtrace(&args);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        stdout(&o)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect::<Vec<serde_json::Value>>()
    };
    // Slim by default: one target record per address, each zone's record once, before the
    // first target that meets it.
    let lines = jsonl(&[]);
    let targets: Vec<&serde_json::Value> =
        lines.iter().filter(|l| l["record"] == "target").collect();
    assert_eq!(targets.len(), 4);
    for l in &lines {
        assert_eq!(l["schema_version"], 2);
    }
    for t in &targets {
        assert!(t["verdict"].is_string() && t["target"].is_string());
        assert!(t.get("probes").is_none(), "slim lines carry no probes");
        for z in t["zones"].as_array().unwrap() {
            let first_zone = lines
                .iter()
                .position(|l| l["record"] == "zone" && l["zone"] == *z);
            let this = lines.iter().position(|l| l == *t);
            assert!(
                first_zone < this,
                "zone {z} is described before its first target"
            );
        }
    }
    let mut zones: Vec<&str> = lines
        .iter()
        .filter(|l| l["record"] == "zone")
        .map(|l| l["zone"].as_str().unwrap())
        .collect();
    let n = zones.len();
    zones.dedup();
    assert_eq!(zones.len(), n, "each zone once");
    assert_eq!(targets.iter().filter(|l| l["verdict"] == "ok").count(), 1);
    // The full evidence on request: target records only, with every probe.
    let full = jsonl(&["--evidence", "full"]);
    assert_eq!(full.len(), 4);
    assert!(
        full.iter()
            .all(|l| l["record"] == "target" && l["probes"].is_array())
    );
}

#[test]
fn evidence_applies_to_jsonl_only() {
    let o = ptrtrace(&["lab", "run", "healthy", "-f", "json", "--evidence", "slim"]);
    assert_one_line_error(&o, 2, "--evidence applies to -f jsonl");
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

/// Text for several targets is a table: one greppable line per address (address, verdict,
/// receiver, PTR, what to fix), then each problem once with the targets it touches; `--tree`
/// gives every target's full report, and one target always gets its full report.
#[test]
fn batch_text_is_a_table_and_tree_is_the_full_report() {
    let (_rt, server, hints) = mini_root();
    let port = server.addr.port().to_string();
    let h = hints.to_str().unwrap();
    let base = ["--root-hints", h, "--port", &port, "--no-dnssec"];
    let o = ptrtrace(&[&base[..], &["203.0.113.24/30"]].concat());
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("# address"), "{out}");
    for (i, addr) in [
        "203.0.113.24",
        "203.0.113.25",
        "203.0.113.26",
        "203.0.113.27",
    ]
    .iter()
    .enumerate()
    {
        let line = lines[i + 1];
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cols[0], *addr, "{line}");
        if *addr == "203.0.113.25" {
            assert_eq!(&cols[1..5], ["ok", "accept", "mail.test.", "-"], "{line}");
        } else {
            assert_eq!(&cols[1..4], ["broken", "permanent", "-"], "{line}");
            assert!(line.ends_with("ptr_missing (nxdomain) in ."), "{line}");
        }
    }
    assert!(!out.contains("Delegation from the root"), "{out}");
    let problems = out
        .split("Problems (1)")
        .nth(1)
        .expect("a problems section");
    assert!(
        problems.contains("ERROR ptr_missing (nxdomain) · . · 3 targets, e.g. 203.0.113.24"),
        "{out}"
    );
    assert!(problems.contains("what to do: "), "{out}");
    assert!(
        out.contains("Summary: 4 targets — 1 ok, 0 degraded, 3 broken"),
        "{out}"
    );

    let tree = stdout(&ptrtrace(
        &[&base[..], &["--tree", "203.0.113.24/30"]].concat(),
    ));
    assert_eq!(
        tree.matches("Delegation from the root").count(),
        4,
        "{tree}"
    );
    let one = stdout(&ptrtrace(&[&base[..], &["203.0.113.25"]].concat()));
    assert!(
        one.starts_with("203.0.113.25  OK") && one.contains("Delegation from the root"),
        "{one}"
    );
}

/// A batch whose reader goes away (`| head -1`) stops at once: with one target per chunk and
/// a second root server that never answers (each chunk waits for its timeout), the targets
/// after the first line's are never asked. The silent server is the witness: it receives
/// every root question and is read only at the end.
#[test]
fn a_batch_ends_when_its_reader_goes() {
    let (_rt, server, _hints) = mini_root();
    let silent = std::net::UdpSocket::bind(("127.0.0.2", server.addr.port())).unwrap();
    let hints = temp_file(
        "head-slow.hints",
        ". NS lab.\nlab. A 127.0.0.1\n. NS silent.lab.\nsilent.lab. A 127.0.0.2\n",
    );
    let port = server.addr.port().to_string();
    let (_, out) = first_line_then_close(
        Command::new(env!("CARGO_BIN_EXE_ptrtrace"))
            .args([
                "--root-hints",
                hints.to_str().unwrap(),
                "--port",
                &port,
                "--no-dnssec",
            ])
            .args([
                "--timeout",
                "2s",
                "--probes",
                "1",
                "--concurrency",
                "1",
                "-f",
                "jsonl",
            ])
            .args([
                "203.0.113.25",
                "203.0.113.26",
                "203.0.113.27",
                "203.0.113.28",
            ]),
    );
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    silent.set_nonblocking(true).unwrap();
    let mut asked = Vec::new();
    let mut buf = [0u8; 512];
    while let Ok(n) = silent.recv(&mut buf) {
        asked.push(buf[..n].to_vec());
    }
    let wire = |last: &str| {
        let mut w = vec![u8::try_from(last.len()).unwrap()];
        w.extend(last.as_bytes());
        w.extend(b"\x03113\x010\x03203\x07in-addr\x04arpa\x00");
        w
    };
    let was_asked = |last: &str| {
        asked
            .iter()
            .any(|d| d.windows(wire(last).len()).any(|x| x == wire(last)))
    };
    assert!(
        was_asked("25"),
        "the first target was asked of the silent server"
    );
    assert!(!was_asked("28"), "the batch went on after its reader left");
}
