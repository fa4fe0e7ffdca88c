//! `ptrtrace serve`: the exporter over real HTTP, against the mini root over real UDP.

#[allow(unused_imports)]
use super::*;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// A free loopback port (bound, then released).
pub(super) fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// `GET path` with HTTP/1.1 and `Connection: close`: (status, body).
pub(super) fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(20))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut raw = String::new();
    s.read_to_string(&mut raw).ok()?;
    let status = raw.split_whitespace().nth(1)?.parse().ok()?;
    let body = raw.split_once("\r\n\r\n").map(|(_, b)| b.to_string())?;
    Some((status, body))
}

pub(super) fn serve(config: &std::path::Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_ptrtrace"))
        .args(["serve", config.to_str().unwrap()])
        .env("PTRTRACE_FORBID_BUILTIN_HINTS", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

pub(super) fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

/// Polls /metrics until `needle` shows up (a trace takes a moment), for at most 30 s.
pub(super) fn metrics_with(port: u16, needle: &str) -> String {
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some((200, body)) = get(port, "/metrics")
            && body.contains(needle)
        {
            return body;
        }
        assert!(Instant::now() < until, "{needle} never appeared");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The exporter traces its targets and exposes them in the OpenMetrics format, answers
/// /probe once per client per interval, keeps its configuration when a reload is bad, takes a
/// good one, and stops with exit 0 on SIGTERM.
#[test]
fn serve_exposes_probes_reloads_and_stops() {
    let (_rt, server, hints) = mini_root();
    let http = free_port();
    let db = std::env::temp_dir().join(format!("ptrtrace-cli-{}/serve.sqlite", std::process::id()));
    let _ = std::fs::remove_file(&db);
    let conf = |targets: &str| {
        format!(
            "listen = \"127.0.0.1:{http}\"\ninterval = \"10s\"\nhistory = \"{}\"\n[trace]\nroot_hints = \"{}\"\nport = {}\ntimeout = \"500ms\"\nno_dnssec = true\n[probe]\nper_client_interval = \"1m\"\n[[targets]]\naddresses = [{targets}]\n",
            db.display(),
            hints.display(),
            server.addr.port()
        )
    };
    let path = temp_file("serve.toml", &conf("\"203.0.113.25\""));
    let mut child = serve(&path);
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    assert!(line.contains("serving metrics of 1 addresses"), "{line}");

    let body = metrics_with(
        http,
        "ptrtrace_target_verdict{target=\"203.0.113.25\",verdict=\"ok\"} 1",
    );
    for needle in [
        "ptrtrace_target_verdict{target=\"203.0.113.25\",verdict=\"broken\"} 0",
        "ptrtrace_target_first_try_failure_ratio{target=\"203.0.113.25\"} 0",
        "ptrtrace_target_traces_total{target=\"203.0.113.25\"} 1",
        "ptrtrace_server_status{zone=\".\",server=\"lab.\",address=\"127.0.0.1\",state=\"ok\"} 1",
        "ptrtrace_server_loss_ratio{zone=\".\",server=\"lab.\",address=\"127.0.0.1\"} 0",
        "ptrtrace_server_answer_latency_seconds_bucket{",
        "process_resident_memory_bytes ",
        "# EOF",
    ] {
        assert!(body.contains(needle), "{needle} not in\n{body}");
    }

    // The round is in the history file too, readable while serve writes it (WAL).
    let o = ptrtrace(&["history", "--db", db.to_str().unwrap(), "203.0.113.25"]);
    assert!(
        stdout(&o).starts_with("203.0.113.25: 1 round from"),
        "{}{}",
        stdout(&o),
        stderr(&o)
    );

    // /probe: one trace now, its metrics only; the same client again within a minute is
    // turned away; a bad address is a 400.
    let (code, body) = get(http, "/probe?target=203.0.113.26").unwrap();
    assert_eq!(code, 200, "{body}");
    assert!(
        body.contains("ptrtrace_target_verdict{target=\"203.0.113.26\",verdict=\"broken\"} 1"),
        "{body}"
    );
    assert!(!body.contains("203.0.113.25"), "{body}");
    assert_eq!(get(http, "/probe?target=203.0.113.26").unwrap().0, 429);
    assert_eq!(get(http, "/probe?target=nope").unwrap().0, 400);

    // A bad file on SIGHUP: one line on stderr, the old configuration kept.
    std::fs::write(&path, "[[targets]]\naddresses = [\"203.0.113.x\"]\n").unwrap();
    signal(&child, "-HUP");
    line.clear();
    err.read_line(&mut line).unwrap();
    assert!(
        line.starts_with("ptrtrace: reload failed, keeping the old configuration:")
            && line.contains("203.0.113.x"),
        "{line}"
    );
    assert_eq!(get(http, "/metrics").unwrap().0, 200);
    // A good one: the new target is traced, the old one's series are gone.
    std::fs::write(&path, conf("\"203.0.113.26\"")).unwrap();
    signal(&child, "-HUP");
    line.clear();
    err.read_line(&mut line).unwrap();
    assert!(
        line.contains("configuration reloaded: 1 addresses"),
        "{line}"
    );
    let body = metrics_with(
        http,
        "ptrtrace_target_verdict{target=\"203.0.113.26\",verdict=\"broken\"} 1",
    );
    assert!(!body.contains("target=\"203.0.113.25\""), "{body}");

    signal(&child, "-TERM");
    let until = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < until, "serve did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0));
}

/// A bad configuration is exit 2 with one line; a port in use is exit 3 with one line.
#[test]
fn serve_refuses_bad_configurations_and_busy_ports() {
    let bad = temp_file(
        "bad-serve.toml",
        "interval = \"1s\"\n[[targets]]\naddresses = [\"192.0.2.1\"]\n",
    );
    let o = ptrtrace(&["serve", bad.to_str().unwrap()]);
    assert_one_line_error(&o, 2, "shorter than");
    let o = ptrtrace(&["serve", "/nonexistent/serve.toml"]);
    assert_one_line_error(&o, 2, "cannot read configuration /nonexistent/serve.toml");
    let (_rt, server, hints) = mini_root();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    let conf = temp_file(
        "busy-serve.toml",
        &format!(
            "listen = \"127.0.0.1:{port}\"\n[trace]\nroot_hints = \"{}\"\nport = {}\n[[targets]]\naddresses = [\"203.0.113.25\"]\n",
            hints.display(),
            server.addr.port()
        ),
    );
    let o = ptrtrace(&["serve", conf.to_str().unwrap()]);
    assert_one_line_error(&o, 3, &format!("cannot listen on 127.0.0.1:{port}"));
    // An unwritable history path: exit 3 at start, before any trace.
    let with_hints = temp_file(
        "unwritable2-serve.toml",
        &format!(
            "history = \"/proc/ptrtrace/h.sqlite\"\n[trace]\nroot_hints = \"{}\"\n[[targets]]\naddresses = [\"203.0.113.25\"]\n",
            hints.display()
        ),
    );
    let o = ptrtrace(&["serve", with_hints.to_str().unwrap()]);
    assert_one_line_error(&o, 3, "history /proc/ptrtrace/h.sqlite");
}

/// Reading needs no write access: the file, its WAL and shared memory read-only, read by
/// another user (as root: nobody, through runuser).
fn reads_without_write_access(db: &std::path::Path) {
    for f in ["", "-wal", "-shm"] {
        let p = format!("{}{f}", db.display());
        if std::path::Path::new(&p).exists() {
            Command::new("chmod").args(["0444", &p]).status().unwrap();
        }
    }
    let root = String::from_utf8_lossy(&Command::new("id").arg("-u").output().unwrap().stdout)
        .trim()
        == "0";
    let mut reader = if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "nobody", "--", env!("CARGO_BIN_EXE_ptrtrace")]);
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_ptrtrace"))
    };
    let o = reader
        .args(["history", "--db", db.to_str().unwrap(), "203.0.113.26"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("203.0.113.26: 2 rounds from "),
        "{}",
        stdout(&o)
    );
}

/// `watch --history` stores each round; `history` tells them as text, JSON and an SVG
/// picture (a well-formed XML document); a missing file is exit 2 in one line; an unwritable
/// history path is exit 3 before any trace.
#[test]
fn watch_history_and_the_history_command() {
    let (_rt, server, hints) = mini_root();
    let port = server.addr.port().to_string();
    let db = std::env::temp_dir().join(format!("ptrtrace-cli-{}/h.sqlite", std::process::id()));
    let _ = std::fs::remove_file(&db);
    let o = ptrtrace(&[
        "watch",
        "--root-hints",
        hints.to_str().unwrap(),
        "--port",
        &port,
        "--timeout",
        "500ms",
        "--no-dnssec",
        "--count",
        "2",
        "--interval",
        "0s",
        "--history",
        db.to_str().unwrap(),
        "203.0.113.25",
        "203.0.113.26",
    ]);
    assert!(o.status.code().is_some_and(|c| c <= 1), "{}", stderr(&o));
    let history = |extra: &[&str]| {
        let mut args = vec!["history", "--db", db.to_str().unwrap()];
        args.extend_from_slice(extra);
        ptrtrace(&args)
    };
    let o = history(&["203.0.113.26"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.starts_with("203.0.113.26: 2 rounds from "), "{text}");
    assert!(text.contains("verdict broken"), "{text}");
    let o = history(&["203.0.113.25", "-f", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["rounds"].as_array().unwrap().len(), 2);
    assert_eq!(v["rounds"][0]["verdict"], "ok");
    let lab = v["servers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["server"] == "lab." && s["zone"] == ".")
        .unwrap();
    assert_eq!(lab["rounds"], 2);
    assert_eq!(lab["failing"], 0);
    let svg = db.with_extension("svg");
    let o = history(&["203.0.113.25", "-f", "svg", "-o", svg.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let parsed = Command::new("python3")
        .args([
            "-c",
            "import sys, xml.dom.minidom as m; d = m.parse(sys.argv[1]); \
             print(d.documentElement.tagName, len(d.getElementsByTagName('polyline')))",
            svg.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(stdout(&parsed).trim(), "svg 2", "{}", stderr(&parsed));
    // An address the file never saw is exit 2 naming --list, which lists the ones it holds.
    let o = history(&["203.0.113.99"]);
    assert_one_line_error(&o, 2, "203.0.113.99 is not in the history file");
    assert!(stderr(&o).contains("--list"), "{}", stderr(&o));
    let o = history(&["--list"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let listed = stdout(&o);
    assert!(
        listed.lines().next().unwrap().ends_with(": 2 addresses"),
        "{listed}"
    );
    for a in ["203.0.113.25", "203.0.113.26"] {
        assert!(
            listed
                .lines()
                .any(|l| l.starts_with(a) && l.contains("2 rounds")),
            "{listed}"
        );
    }
    reads_without_write_access(&db);
    let o = ptrtrace(&["history", "--db", "/nonexistent/h.sqlite", "203.0.113.25"]);
    assert_one_line_error(&o, 2, "no history file at /nonexistent/h.sqlite");
    let o = ptrtrace(&[
        "watch",
        "--root-hints",
        hints.to_str().unwrap(),
        "--port",
        &port,
        "--count",
        "1",
        "--history",
        "/proc/ptrtrace/h.sqlite",
        "203.0.113.25",
    ]);
    assert_one_line_error(&o, 3, "history /proc/ptrtrace/h.sqlite");
}
