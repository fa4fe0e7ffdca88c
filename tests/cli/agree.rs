//! How the commands look to a person: the subcommands agree with each other, and a batch
//! shows its progress on a terminal.

#[allow(unused_imports)]
use super::*;

/// The subcommands agree: `watch` and `check` take prefixes as the trace command does, and
/// do not list output options they would not honour; several targets in DOT are one digraph
/// (one picture from `dot -Tsvg`); a bad format names the good ones; `lab list` keeps its
/// columns aligned.
#[test]
fn subcommands_agree() {
    let (_rt, server, hints) = mini_root();
    let port = server.addr.port().to_string();
    let h = hints.to_str().unwrap();
    let base = ["--root-hints", h, "--port", &port, "--no-dnssec"];
    let o = ptrtrace(&[&["check"][..], &base, &["203.0.113.24/30"]].concat());
    let line = stdout(&o);
    for a in [
        "203.0.113.24",
        "203.0.113.25",
        "203.0.113.26",
        "203.0.113.27",
    ] {
        assert!(line.contains(&format!("'{a} first_try_bad'")), "{line}");
    }
    let o = ptrtrace(&[&["watch", "--count", "1"][..], &base, &["203.0.113.24/30"]].concat());
    assert!(
        stdout(&o).contains("now 203.0.113.24 broken, 203.0.113.25 ok"),
        "{}",
        stdout(&o)
    );
    let o = ptrtrace(&["watch", "-f", "dot", "203.0.113.25"]);
    assert_one_line_error(&o, 2, "unexpected argument '-f'");
    let help = stdout(&ptrtrace(&["watch", "--help"]));
    assert!(
        !help.contains("--format") && !help.contains("--output"),
        "{help}"
    );

    let dot = stdout(&ptrtrace(
        &[&base[..], &["-f", "dot", "203.0.113.24/31"]].concat(),
    ));
    assert_eq!(dot.matches("digraph").count(), 1, "{dot}");
    assert!(dot.starts_with("strict digraph"), "{dot}");
    assert!(dot.contains("\"question:203.0.113.24\"") && dot.contains("\"question:203.0.113.25\""));
    // Graphviz (installed by .ci/run) draws it as one picture.
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("Graphviz `dot` must be installed (Debian package graphviz; .ci/run installs it)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(dot.as_bytes())
        .unwrap();
    let svg = child.wait_with_output().unwrap();
    assert!(svg.status.success());
    assert_eq!(
        String::from_utf8_lossy(&svg.stdout).matches("<svg").count(),
        1
    );
    let o = ptrtrace(&["-f", "xml", "192.0.2.1"]);
    assert_one_line_error(&o, 2, "possible values: text, json, dot, jsonl");

    let list = stdout(&ptrtrace(&["lab", "list"]));
    let column = |needle: &str| -> std::collections::BTreeSet<usize> {
        list.lines().filter_map(|l| l.find(needle)).collect()
    };
    assert_eq!(
        column("expects:").len(),
        1,
        "every expects: in one column\n{list}"
    );
}

/// On a terminal a batch shows a live bar on stderr while it runs (probes done of those
/// queued, the ETA, the targets finished); with stderr not a terminal nothing is drawn. The
/// terminal is `script`'s pseudo-terminal (util-linux, in every Debian).
#[test]
fn a_batch_shows_live_progress_on_a_terminal_only() {
    let (_rt, server, hints) = mini_root();
    let port = server.addr.port().to_string();
    let cmd = format!(
        "{} --root-hints {} --port {port} --no-dnssec 203.0.113.24/30 > /dev/null",
        env!("CARGO_BIN_EXE_ptrtrace"),
        hints.display()
    );
    let o = Command::new("script")
        .args(["-q", "-e", "-c", &cmd, "/dev/null"])
        .env("PTRTRACE_FORBID_BUILTIN_HINTS", "1")
        .output()
        .expect("script (util-linux) runs");
    let tty = String::from_utf8_lossy(&o.stdout);
    assert!(tty.contains(" probes · eta "), "{tty}");
    assert!(tty.contains("/4 targets"), "{tty}");
    let o = ptrtrace(&[
        "--root-hints",
        hints.to_str().unwrap(),
        "--port",
        &port,
        "--no-dnssec",
        "203.0.113.24/30",
    ]);
    assert!(o.stderr.is_empty(), "{}", stderr(&o));
}
