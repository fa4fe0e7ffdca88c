//! Nothing local becomes a verdict (docs/findings.md `local_error`): a process out of file
//! descriptors says so and exits 3; it never prints BROKEN, blames a server, or panics.

#[allow(unused_imports)]
use super::*;

/// `ptrtrace ARGS` with its open-file limit (soft and hard) set to `limit` by the shell.
fn limited(limit: u32, args: &[&str]) -> Output {
    under_shell(&format!("ulimit -n {limit}"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("runs")
}

/// With too few descriptors the trace says "could not run: too many open files (limit N)"
/// and exits 3, its report says `unknown` with one `local_error` finding and no server
/// blamed, and no run panics (tokio's signal pipe needs descriptors too). With enough, the
/// same trace is ok: the limits in between are each one or the other.
#[test]
fn too_many_open_files_is_exit_3_and_unknown() {
    let (_rt, server, hints) = mini_root();
    let port = server.addr.port().to_string();
    let h = hints.to_str().unwrap();
    let args = ["--root-hints", h, "--port", &port, "--no-dnssec"];
    let mut failed = Vec::new();
    for limit in [6, 8, 10, 12, 14, 16, 20, 24, 1024] {
        let o = limited(limit, &[&args[..], &["203.0.113.24/29"]].concat());
        let (out, err) = (stdout(&o), stderr(&o));
        assert_ne!(o.status.code(), Some(101), "panic at limit {limit}: {err}");
        match o.status.code() {
            Some(3) => {
                assert!(!out.contains("BROKEN"), "limit {limit}:\n{out}");
                assert_one_line_error(
                    &o,
                    3,
                    &format!("could not run: too many open files (limit {limit})"),
                );
                failed.push(limit);
            }
            // Enough descriptors: the prefix's one PTR is there (the rest have none: broken).
            Some(1) => assert!(
                out.lines()
                    .any(|l| l.starts_with("203.0.113.25 ") && l.contains(" ok ")),
                "limit {limit}:\n{out}{err}"
            ),
            other => panic!("limit {limit}: exit {other:?}\n{out}{err}"),
        }
    }
    assert!(failed.contains(&6), "limit 6 must fail: {failed:?}");
    assert!(
        !failed.contains(&1024),
        "1024 descriptors must do: {failed:?}"
    );
    // Some limit lets the runtime start and fails the trace itself: its report says so.
    let mid = (8..=40)
        .find_map(|limit| {
            let o = limited(
                limit,
                &[&args[..], &["-f", "json", "203.0.113.24/29"]].concat(),
            );
            let out = stdout(&o);
            (o.status.code() == Some(3) && out.contains("\"verdict\": \"unknown\"")).then_some(out)
        })
        .expect("some limit fails inside the trace");
    let doc: serde_json::Value = serde_json::from_str(&mid).unwrap();
    let unknown: Vec<&serde_json::Value> = doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["verdict"] == "unknown")
        .collect();
    assert!(!unknown.is_empty());
    for t in unknown {
        let kinds: Vec<&str> = t["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["local_error"], "{t}");
        assert_eq!(t["findings"][0]["reason"], "too_many_open_files");
        assert_eq!(t["receiver"], "unknown");
    }
}

/// `serve` out of descriptors: the round is `unknown` in the metrics and the history (not
/// broken), `ptrtrace_local_errors_total` counts the failed sends, and stderr says so in one
/// line per round. The limit is raised step by step until serve starts: the first limit it
/// starts at leaves no room for a round (serve's own descriptors come first).
#[test]
fn serve_records_a_local_failure_as_unknown() {
    use super::serve::{free_port, get, signal};
    use std::io::BufRead;
    let (_rt, server, hints) = mini_root();
    let dir = std::env::temp_dir().join(format!("ptrtrace-cli-{}", std::process::id()));
    let db = dir.join("local-serve.sqlite");
    for limit in (12..=40).step_by(2) {
        let _ = std::fs::remove_file(&db);
        let http = free_port();
        let conf = temp_file(
            "local-serve.toml",
            &format!(
                "listen = \"127.0.0.1:{http}\"\ninterval = \"10s\"\nhistory = \"{}\"\n[trace]\nroot_hints = \"{}\"\nport = {}\nno_dnssec = true\n[[targets]]\naddresses = [\"203.0.113.24/29\"]\n",
                db.display(),
                hints.display(),
                server.addr.port()
            ),
        );
        let mut child = under_shell(&format!("ulimit -n {limit}"))
            .args(["serve", conf.to_str().unwrap()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        err.read_line(&mut line).unwrap();
        if !line.contains("serving metrics") {
            // Too few descriptors to start (the runtime, the history file): one line, exit
            // 3, no panic.
            let status = child.wait().unwrap();
            assert_eq!(status.code(), Some(3), "limit {limit}: {line}");
            continue;
        }
        line.clear();
        err.read_line(&mut line).unwrap();
        assert!(
            line.contains("could not be traced here: too many open files")
                && line.contains("recorded as unknown"),
            "limit {limit}: {line}"
        );
        let answer = get(http, "/metrics");
        signal(&child, "-TERM");
        let _ = child.wait();
        // At the lowest limits serve holds every descriptor even between rounds (it answers
        // nothing then, and counts the connections it could not accept): one more step.
        let Some((code, body)) = answer else {
            continue;
        };
        assert_eq!(code, 200);
        for needle in [
            "ptrtrace_target_verdict{target=\"203.0.113.25\",verdict=\"unknown\"} 1",
            "ptrtrace_target_verdict{target=\"203.0.113.25\",verdict=\"broken\"} 0",
            "ptrtrace_local_errors_total{kind=\"too_many_open_files\"} ",
        ] {
            assert!(body.contains(needle), "{needle} not in\n{body}");
        }
        assert!(!body.contains("ptrtrace_server_status"), "{body}");
        let o = ptrtrace(&["history", "--db", db.to_str().unwrap(), "203.0.113.25"]);
        assert!(
            stdout(&o).contains("verdict unknown"),
            "{}{}",
            stdout(&o),
            stderr(&o)
        );
        return;
    }
    panic!("serve never started below 40 descriptors");
}

/// Output that cannot be written fails: exit 3 with one line, for the report, `check`'s
/// status line and `--help` alike (a closed pipe, `| head`, stays a quiet end); an `-o` file
/// cut short (here by a 1-block file size limit) is removed.
#[test]
fn output_failures_fail() {
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
    let (_rt, server, hints) = mini_root();
    let port = server.addr.port().to_string();
    let h = hints.to_str().unwrap();
    for args in [
        vec!["--help"],
        vec!["lab", "list"],
        vec![
            "check",
            "--root-hints",
            h,
            "--port",
            &port,
            "--no-dnssec",
            "203.0.113.25",
        ],
        vec![
            "--root-hints",
            h,
            "--port",
            &port,
            "--no-dnssec",
            "203.0.113.25",
        ],
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_ptrtrace"))
            .args(&args)
            .env("PTRTRACE_FORBID_BUILTIN_HINTS", "1")
            .stdout(full())
            .output()
            .unwrap();
        assert_one_line_error(
            &o,
            3,
            "cannot write to standard output: No space left on device",
        );
    }
    let file = std::env::temp_dir().join(format!("ptrtrace-partial-{}.txt", std::process::id()));
    let o = under_shell("trap '' XFSZ; ulimit -f 1")
        .args(["lab", "run", "healthy", "-o", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert_one_line_error(&o, 3, "(the partial file was removed)");
    assert!(!file.exists());
}
