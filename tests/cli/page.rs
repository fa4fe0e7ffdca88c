//! serve's web page against `lab serve refused` over real sockets: the form, a trace with the
//! refusing address marked in the inline SVG, the headline naming it, the links to JSON and
//! DOT, escaping of a hostile target, the Content-Security-Policy, no external resource.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::serve::{free_port, metrics_with, serve, signal};
use super::temp_file;

/// `GET path`: (status, headers, body).
fn get(port: u16, path: &str) -> (u16, String, String) {
    let (status, head, chunks) = get_chunks(port, path);
    (status, head, chunks.concat())
}

/// `GET path`: (status, headers in lower case, the body as the chunks it came in, one when
/// it was not chunked).
fn get_chunks(port: u16, path: &str) -> (u16, String, Vec<String>) {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let (head, mut body) = raw.split_once("\r\n\r\n").unwrap();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let head = head.to_lowercase();
    if !head.contains("transfer-encoding: chunked") {
        return (status, head, vec![body.to_string()]);
    }
    let mut chunks = Vec::new();
    loop {
        let (size, rest) = body.split_once("\r\n").unwrap();
        let size = usize::from_str_radix(size.trim(), 16).unwrap();
        if size == 0 {
            return (status, head, chunks);
        }
        chunks.push(rest[..size].to_string());
        body = &rest[size + 2..];
    }
}

/// `lab serve SCENARIO` on a free port: the child, and the `--root-hints`, `--trust-anchor`
/// and `--port` values of the command line it prints.
fn lab_serve(scenario: &str) -> (Child, [String; 3]) {
    let probe = std::net::UdpSocket::bind("127.0.53.1:0").unwrap();
    let port = probe.local_addr().unwrap().port();
    drop(probe);
    let dir = std::env::temp_dir().join(format!("ptrtrace-page-test-{}", std::process::id()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_ptrtrace"))
        .args(["lab", "serve", scenario, "--port", &port.to_string()])
        .env("TMPDIR", &dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while let Some(line) = lines.next() {
        let line = line.unwrap();
        if line.contains(" --root-hints ") {
            let words: Vec<&str> = line.split_whitespace().collect();
            let after = |flag: &str| {
                let i = words.iter().position(|w| *w == flag).unwrap();
                words[i + 1].to_string()
            };
            let values = [
                after("--root-hints"),
                after("--trust-anchor"),
                after("--port"),
            ];
            // lab serve stops when its reader goes away: keep reading what it prints.
            std::thread::spawn(move || lines.for_each(drop));
            return (child, values);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("lab serve printed no command line");
}

/// `serve CONFIG`, once it says it serves.
fn serving(conf: &std::path::Path) -> Child {
    let mut child = serve(conf);
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    assert!(line.contains("serving metrics"), "{line}");
    child
}

#[test]
fn the_page_traces_marks_the_refusing_server_and_escapes() {
    let (mut lab, [hints, anchor, port]) = lab_serve("refused");
    let http = free_port();
    let db = std::env::temp_dir().join(format!("ptrtrace-cli-{}/page.sqlite", std::process::id()));
    let _ = std::fs::remove_file(&db);
    let conf = temp_file(
        "page.toml",
        &format!(
            "listen = \"127.0.0.1:{http}\"\ninterval = \"60m\"\nhistory = \"{}\"\n[trace]\nroot_hints = \"{hints}\"\ntrust_anchor = \"{anchor}\"\nport = {port}\ntimeout = \"1s\"\n[probe]\nper_client_interval = \"1ms\"\n[[targets]]\naddresses = [\"203.0.113.25\"]\n",
            db.display()
        ),
    );
    let mut child = serving(&conf);

    // The form, keyboard-usable: a labelled input and a submit button.
    let (status, head, body) = get(http, "/");
    assert_eq!(status, 200, "{body}");
    assert!(head.contains("content-type: text/html"), "{head}");
    assert!(
        head.contains("content-security-policy: default-src 'none'"),
        "{head}"
    );
    assert!(body.contains(r#"<label for="target">"#) && body.contains(r#"id="target""#));
    assert!(body.contains(r#"<button type="submit">"#));

    // Once the first round is in, the index lists the target with its verdict, as a link.
    metrics_with(
        http,
        "ptrtrace_target_verdict{target=\"203.0.113.25\",verdict=\"degraded\"} 1",
    );
    let (_, _, index) = get(http, "/");
    assert!(
        index.contains(r#"<a href="/?target=203.0.113.25">203.0.113.25</a>"#)
            && index.contains(r#"<span class="verdict degraded">degraded</span>"#),
        "{index}"
    );
    assert!(
        index.contains(r#"<th scope="col">Round finished</th>"#) && index.contains(" s ago</td>"),
        "{index}"
    );

    // A configured target shows its latest round at once, with a way to trace it afresh.
    let (status, head, kept) = get_chunks(http, "/?target=203.0.113.25");
    assert_eq!(status, 200, "{kept:?}");
    assert!(!head.contains("chunked"), "no trace runs: {head}");
    let kept = kept.concat();
    assert!(
        kept.contains(r#"<p class="kept">From serve's latest round, finished "#)
            && kept.contains(r#"<a href="/?target=203.0.113.25&amp;fresh=1">"#),
        "{kept}"
    );
    assert!(!kept.contains(r#"class="progress""#), "{kept}");
    // A fresh trace arrives while it runs: the document's start and the progress list
    // first, lines as zones are reached, the report last, after the list is closed.
    let (status, head, chunks) = get_chunks(http, "/?target=203.0.113.25&fresh=1");
    assert_eq!(status, 200, "{chunks:?}");
    assert!(head.contains("transfer-encoding: chunked"), "{head}");
    assert!(
        head.contains("content-security-policy: default-src 'none'"),
        "{head}"
    );
    let first = &chunks[0];
    assert!(
        first.contains(r#"<section class="progress""#) && !first.contains(r#"class="report""#),
        "{first}"
    );
    let last = chunks.last().unwrap();
    assert!(
        last.starts_with("</ol></section><div class=\"report\">") && last.ends_with("</html>"),
        "{last}"
    );
    let lines: Vec<&String> = chunks[1..chunks.len() - 1].iter().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("<code>113.0.203.in-addr.arpa.</code>")),
        "a line for the target's zone before the report: {lines:?}"
    );
    assert!(lines.iter().all(|l| l.starts_with("<li>")), "{lines:?}");
    for (page, how) in [(kept, "kept"), (chunks.concat(), "fresh")] {
        the_refused_trace_on(&page, how);
    }
    // A hostile target is escaped and refused before anything traces it.
    let (status, _, page) = get(http, "/?target=%3Cscript%3Ealert(1)%3C/script%3E");
    assert_eq!(status, 400, "{page}");
    assert!(!page.contains("<script>"), "{page}");
    assert!(page.contains("&lt;script&gt;"), "{page}");

    // The same trace as JSON, for scripts.
    let (status, head, json) = get(http, "/probe?target=203.0.113.25&format=json");
    assert_eq!(status, 200, "{json}");
    assert!(head.contains("application/json"), "{head}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["targets"][0]["verdict"], "degraded");
    let (status, head, _) = get(http, "/style.css");
    assert_eq!(status, 200);
    assert!(head.contains("text/css"), "{head}");

    signal(&child, "-TERM");
    assert_eq!(child.wait().unwrap().code(), Some(0));
    signal(&lab, "-TERM");
    let _ = lab.wait();
}

/// The page of a trace of `lab serve refused`'s 203.0.113.25 (`how`: kept or fresh): the
/// headline names the refusing server and the fix; the SVG marks exactly its address lame and
/// every other address of the lab's tree ok; the history chart; the findings as the graph's
/// text alternative; links to JSON and DOT; nothing from elsewhere.
fn the_refused_trace_on(page: &str, how: &str) {
    assert!(
        page.contains("refuses queries for 113.0.203.in-addr.arpa."),
        "{how}: {page}"
    );
    let addresses: Vec<&str> = page
        .split(r#"<g class="address" data-status=""#)
        .skip(1)
        .collect();
    assert!(addresses.len() > 10, "{how}: {page}");
    let lame: Vec<&&str> = addresses.iter().filter(|a| a.starts_with("lame")).collect();
    assert_eq!(lame.len(), 1, "ns2 in lab serve has one address: {lame:?}");
    assert!(lame[0].contains("<title>ns2.isp.example. "), "{}", lame[0]);
    assert!(
        addresses
            .iter()
            .all(|a| a.starts_with("lame") || a.starts_with("ok")),
        "{addresses:?}"
    );
    // The round in the history file: the history chart, with its three spans.
    assert!(
        page.contains(r#"<section class="history""#),
        "{how}: {page}"
    );
    assert!(page.contains("<polyline"), "{how}: {page}");
    assert!(page.contains(r#"href="/?target=203.0.113.25&amp;history=30d""#));
    // The findings are the graph's text alternative; the links trace again as JSON and DOT.
    assert!(page.contains(r#"data-kind="lame""#), "{how}: {page}");
    assert!(page.contains(r#"href="/probe?target=203.0.113.25&amp;format=json""#));
    // Nothing from elsewhere: no script, no external URL.
    assert!(!page.contains("<script"), "{how}: {page}");
    let outside = page
        .replace(r#"xmlns="http://www.w3.org/2000/svg""#, "")
        .contains("://");
    assert!(!outside, "a URL leaves the page: {page}");
}

#[test]
fn a_fresh_trace_is_charged_to_the_client_and_a_refused_one_says_when_to_come_back() {
    let (dns, hints) = super::closed_root("page-limits.hints");
    let http = free_port();
    let conf = temp_file(
        "page-limits.toml",
        &format!(
            "listen = \"127.0.0.1:{http}\"\ninterval = \"60m\"\n[trace]\nroot_hints = \"{}\"\nport = {dns}\ntimeout = \"1s\"\n[probe]\nper_client_interval = \"60m\"\n[[targets]]\naddresses = [\"198.51.100.7\"]\n",
            hints.display()
        ),
    );
    let mut child = serving(&conf);

    // The first trace runs (the root refuses every query: the report says so).
    let (status, _, page) = get(http, "/?target=203.0.113.25");
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(r#"<h2 id="headline">"#), "{page}");
    // The second within the interval is refused, with the page's words and Retry-After.
    let (status, head, page) = get(http, "/?target=203.0.113.26");
    assert_eq!(status, 429, "{page}");
    let after: u64 = head
        .lines()
        .find_map(|l| l.strip_prefix("retry-after: "))
        .unwrap_or_else(|| panic!("no retry-after: {head}"))
        .trim()
        .parse()
        .unwrap();
    assert!(after > 60, "about an hour to wait: {after}");
    assert!(
        page.contains(r#"<p class="error" role="alert">One trace per client per interval"#),
        "{page}"
    );
    // The form keeps what was asked, escaped.
    assert!(page.contains(r#"value="203.0.113.26""#), "{page}");

    signal(&child, "-TERM");
    assert_eq!(child.wait().unwrap().code(), Some(0));
}
