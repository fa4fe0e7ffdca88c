//! `serve` under abuse (docs/security.md "serve"): slow and many clients, one client cycling
//! through targets, reloads that move the listener, the history and the probe concurrency.
//! Clients are told apart by their loopback address (any 127/8 address is this host).

#[allow(unused_imports)]
use super::*;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStderr};
use std::time::Duration;

use super::serve::{free_port, signal};

/// serve.rs's `serve`, once it says it serves: the child and the rest of its stderr.
fn serve(config: &std::path::Path) -> (Child, BufReader<ChildStderr>) {
    let mut child = super::serve::serve(config);
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let line = next_line(&mut err);
    assert!(line.contains("serving metrics"), "{line}");
    (child, err)
}

fn next_line(err: &mut BufReader<ChildStderr>) -> String {
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    line
}

fn stop(mut child: Child) {
    signal(&child, "-TERM");
    let _ = child.wait();
}

/// A blocking TCP connection to 127.0.0.1:`port` from the loopback address `from`.
fn connect_from(rt: &tokio::runtime::Runtime, from: &str, port: u16) -> std::net::TcpStream {
    let s = rt
        .block_on(async {
            let sock = tokio::net::TcpSocket::new_v4()?;
            sock.bind(format!("{from}:0").parse().unwrap())?;
            sock.connect(([127, 0, 0, 1], port).into()).await
        })
        .unwrap()
        .into_std()
        .unwrap();
    s.set_nonblocking(false).unwrap();
    s
}

/// `GET path` from `from`: the body of a 200.
fn get_body(rt: &tokio::runtime::Runtime, from: &str, port: u16, path: &str) -> String {
    let mut s = connect_from(rt, from, port);
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    assert!(raw.starts_with("HTTP/1.1 200"), "{raw}");
    raw
}

/// `GET path` from `from`: the status, or None when the connection failed.
fn get_from(rt: &tokio::runtime::Runtime, from: &str, port: u16, path: &str) -> Option<u16> {
    let mut s = connect_from(rt, from, port);
    s.set_read_timeout(Some(Duration::from_secs(60))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut raw = String::new();
    s.read_to_string(&mut raw).ok()?;
    raw.split_whitespace().nth(1)?.parse().ok()
}

/// 300 connections that send half their headers, from one client: the first 32 are closed
/// by the 10 s header timeout (each read ends within 20 s, never by its own timeout), the
/// rest are refused with 503 at once, and `/metrics` answers another client meanwhile. A
/// request over 8 KB is 431; an idle keep-alive connection is closed.
#[test]
fn slow_and_many_connections_are_bounded() {
    let (rt, server, hints) = mini_root();
    let http = free_port();
    let conf = temp_file(
        "limits-serve.toml",
        &format!(
            "listen = \"127.0.0.1:{http}\"\n[trace]\nroot_hints = \"{}\"\nport = {}\nno_dnssec = true\n[[targets]]\naddresses = [\"203.0.113.25\"]\n",
            hints.display(),
            server.addr.port()
        ),
    );
    let (child, _err) = serve(&conf);
    let mut held: Vec<std::net::TcpStream> = (0..300)
        .map(|_| {
            let mut s = connect_from(&rt, "127.0.0.2", http);
            s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
                .unwrap();
            s
        })
        .collect();
    assert_eq!(get_from(&rt, "127.0.0.1", http, "/metrics"), Some(200));
    let (mut closed, mut refused) = (0, 0);
    for s in &mut held {
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut got = Vec::new();
        match s.read_to_end(&mut got) {
            Ok(_) if got.starts_with(b"HTTP/1.1 503") => refused += 1,
            Ok(_) => closed += 1,
            // A reset after the server closed is a close too; a timeout is not.
            Err(e) => {
                assert_ne!(e.kind(), std::io::ErrorKind::WouldBlock, "held past 20 s");
                assert_ne!(e.kind(), std::io::ErrorKind::TimedOut, "held past 20 s");
                closed += 1;
            }
        }
    }
    assert_eq!(closed + refused, 300);
    // The server counts what it refused (a client may see a reset instead of the 503).
    let metrics = get_body(&rt, "127.0.0.2", http, "/metrics");
    assert!(
        metrics.contains(&format!(
            "ptrtrace_http_connections_refused_total {}",
            300 - 32
        )),
        "one client holds at most 32:\n{metrics}"
    );

    let mut big = connect_from(&rt, "127.0.0.1", http);
    // The server answers before the client is done writing: the write may fail.
    let _ = write!(
        big,
        "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(20_000)
    );
    let mut answer = String::new();
    let _ = big.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");

    // Keep-alive: the answer, then nothing more comes, and the server closes the connection.
    let mut idle = connect_from(&rt, "127.0.0.1", http);
    idle.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    idle.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut all = Vec::new();
    idle.read_to_end(&mut all)
        .expect("closed by the server, not by the read timeout");
    assert!(all.starts_with(b"HTTP/1.1 200"));
    stop(child);
}

/// One probe per client over all targets; a 503 (no room) costs the client nothing; a
/// reload applies `[probe] concurrency`, `history` and `listen` (the old port closes), and a
/// reload whose new port is taken keeps the old configuration whole.
#[test]
fn probe_is_fair_and_reloads_apply_everything() {
    let (rt, server, _hints) = mini_root();
    // A second root server that never answers: each trace waits for its timeout.
    let silent = std::net::UdpSocket::bind(("127.0.0.2", server.addr.port())).unwrap();
    let slow_hints = temp_file(
        "slow.hints",
        ". NS lab.\nlab. A 127.0.0.1\n. NS silent.lab.\nsilent.lab. A 127.0.0.2\n",
    );
    let dir = std::env::temp_dir().join(format!("ptrtrace-cli-{}", std::process::id()));
    let (db1, db2) = (dir.join("reload-1.sqlite"), dir.join("reload-2.sqlite"));
    let _ = std::fs::remove_file(&db2);
    let conf = |listen: u16, db: &std::path::Path, concurrency: u32| {
        format!(
            "listen = \"127.0.0.1:{listen}\"\nhistory = \"{}\"\n[probe]\nconcurrency = {concurrency}\nper_client_interval = \"60m\"\n[trace]\nroot_hints = \"{}\"\nport = {}\ntimeout = \"3s\"\nprobes = 1\nno_dnssec = true\n[[targets]]\naddresses = [\"203.0.113.25\"]\n",
            db.display(),
            slow_hints.display(),
            server.addr.port()
        )
    };
    let (p1, p2) = (free_port(), free_port());
    let path = temp_file("reload-serve.toml", &conf(p1, &db1, 4));
    let (child, mut err) = serve(&path);

    // Reload: a new port, a new history file, one probe at a time.
    std::fs::write(&path, conf(p2, &db2, 1)).unwrap();
    signal(&child, "-HUP");
    let line = next_line(&mut err);
    assert!(
        line.contains(&format!("now listening on http://127.0.0.1:{p2}/metrics")),
        "{line}"
    );
    assert!(db2.exists(), "the new history file is opened");
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", p1)).is_err(),
        "old port closed"
    );

    // A reload whose port is taken: one line, the old configuration kept whole.
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = busy.local_addr().unwrap().port();
    std::fs::write(&path, conf(taken, &db1, 4)).unwrap();
    signal(&child, "-HUP");
    let line = next_line(&mut err);
    assert!(
        line.contains("reload failed, keeping the old configuration")
            && line.contains(&format!("cannot listen on 127.0.0.1:{taken}")),
        "{line}"
    );

    // Client A's probe holds the one slot (it waits for the silent root server).
    let a = std::thread::spawn({
        let port = p2;
        move || {
            let rt = tokio::runtime::Runtime::new().unwrap();
            get_from(&rt, "127.0.0.1", port, "/probe?target=203.0.113.25")
        }
    });
    // Waits until A's probe runs (the server says so), then client B: 503, and again 503
    // (not 429: the first cost nothing).
    while !get_body(&rt, "127.0.0.4", p2, "/metrics").contains("ptrtrace_probes_running 1") {
        assert!(!a.is_finished(), "A's probe never showed as running");
    }
    let mut b_codes = Vec::new();
    for _ in 0..2 {
        b_codes.push(get_from(&rt, "127.0.0.3", p2, "/probe?target=203.0.113.26").unwrap());
    }
    let a_code = a.join().unwrap();
    assert_eq!(a_code, Some(200));
    assert_eq!(
        b_codes,
        [503, 503],
        "B was turned away for want of room, uncharged"
    );
    // Now B's turn: 200. Then each client is limited over every target.
    assert_eq!(
        get_from(&rt, "127.0.0.3", p2, "/probe?target=203.0.113.26"),
        Some(200)
    );
    assert_eq!(
        get_from(&rt, "127.0.0.3", p2, "/probe?target=203.0.113.27"),
        Some(429)
    );
    assert_eq!(
        get_from(&rt, "127.0.0.1", p2, "/probe?target=203.0.113.28"),
        Some(429)
    );
    drop(silent);
    stop(child);
}

/// Listening beyond loopback says that /probe is then open to whoever reaches it.
#[test]
fn listening_beyond_loopback_warns() {
    let (_rt, server, hints) = mini_root();
    let http = free_port();
    let conf = temp_file(
        "open-serve.toml",
        &format!(
            "listen = \"0.0.0.0:{http}\"\n[trace]\nroot_hints = \"{}\"\nport = {}\nno_dnssec = true\n[[targets]]\naddresses = [\"203.0.113.25\"]\n",
            hints.display(),
            server.addr.port()
        ),
    );
    let (child, mut err) = serve(&conf);
    let line = next_line(&mut err);
    stop(child);
    assert!(
        line.starts_with(&format!(
            "ptrtrace: warning: listening on 0.0.0.0:{http}, beyond loopback"
        )) && line.contains("docs/security.md"),
        "{line}"
    );
}

/// A `/probe` is not queued behind a round: with a /25 round booking the one server's
/// budget for tens of seconds (rounds take three quarters of it), a probe of one of the
/// round's own targets, sent as the round starts, takes less than half as long as the round
/// (each trace's own duration, as serve reports it), where before it waited for the round's
/// queue to drain.
#[test]
fn a_probe_is_not_queued_behind_a_round() {
    let (rt, server, hints) = mini_root();
    let http = free_port();
    let conf = temp_file(
        "round-serve.toml",
        &format!(
            "listen = \"127.0.0.1:{http}\"\ninterval = \"10m\"\n[trace]\nroot_hints = \"{}\"\nport = {}\nno_dnssec = true\n[[targets]]\naddresses = [\"203.0.113.0/25\"]\n",
            hints.display(),
            server.addr.port()
        ),
    );
    let (child, _err) = serve(&conf);
    let duration = |metrics: &str| -> f64 {
        metrics
            .lines()
            .find_map(|l| {
                l.strip_prefix("ptrtrace_target_trace_duration_seconds{target=\"203.0.113.25\"} ")
            })
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no duration in\n{metrics}"))
    };
    let probe = get_body(&rt, "127.0.0.1", http, "/probe?target=203.0.113.25");
    let probe = duration(&probe);
    // The round's report of the same target, once the whole round is done.
    let round = loop {
        let m = get_body(&rt, "127.0.0.2", http, "/metrics");
        let done = m
            .lines()
            .filter(|l| l.starts_with("ptrtrace_target_traces_total{"))
            .count();
        if done == 128 {
            break duration(&m);
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    };
    stop(child);
    assert!(probe < round / 2.0, "probe {probe} s, round {round} s");
}
