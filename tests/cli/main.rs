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

/// ptrtrace run by `sh` after `setting` (a `ulimit`, a `trap`), so that the limit is its
/// own: the command to add arguments to.
fn under_shell(setting: &str) -> Command {
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg(format!("{setting} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_ptrtrace"))
        .env("PTRTRACE_FORBID_BUILTIN_HINTS", "1");
    c
}

/// Runs `cmd` with stdout and stderr piped, reads its first line of stdout, closes stdout
/// (the reader goes away, as `| head -1` does), and waits: the line and how it ended.
fn first_line_then_close(cmd: &mut Command) -> (String, Output) {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let mut child = cmd
        .env("PTRTRACE_FORBID_BUILTIN_HINTS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    (first, child.wait_with_output().unwrap())
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

const MINI_ROOT: &str = r#"
$TTL 3600
@ SOA lab. hostmaster.lab. 1 3600 600 86400 3600
@ NS lab.
lab. A 127.0.0.1
25.113.0.203.in-addr.arpa. PTR mail.test.
mail.test. A 203.0.113.25
"#;

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

/// Peak resident memory of a running process, from /proc (Linux), in MB.
fn peak_rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
}

mod agree;
mod docs;
mod errors;
mod lab;
mod local;
mod monitor;
mod page;
mod serve;
mod serve_limits;
mod trace;
