//! Bad input and refusals: one line naming the problem, exit 2 or 3.

#[allow(unused_imports)]
use super::*;

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
fn max_ns_is_validated() {
    let o = ptrtrace(&["lab", "run", "healthy", "--max-ns", "0"]);
    assert_one_line_error(&o, 2, "--max-ns");
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

/// Endless input is read within its bound and refused in one line, exit 2: a hints, trust
/// anchor or configuration file over 1 MiB, a target line over 4 KB (from a file, stdin or a
/// configuration's `@FILE`), a report that is not JSON from its first byte.
#[test]
fn endless_input_is_refused_within_its_bound() {
    let (_rt, _server, hints) = mini_root();
    let h = hints.to_str().unwrap();
    let conf = temp_file(
        "zero-serve.toml",
        "[[targets]]\naddresses = [\"@/dev/zero\"]\n",
    );
    for (args, needle) in [
        (
            vec!["--root-hints", "/dev/zero", "192.0.2.1"],
            "root hints file /dev/zero: larger than 1 MiB",
        ),
        (
            vec![
                "--root-hints",
                h,
                "--trust-anchor",
                "/dev/zero",
                "192.0.2.1",
            ],
            "trust anchor file /dev/zero: larger than 1 MiB",
        ),
        (
            vec!["--root-hints", h, "@/dev/zero"],
            "/dev/zero line 1: longer than 4096 bytes",
        ),
        (
            vec!["serve", "/dev/zero"],
            "configuration /dev/zero: larger than 1 MiB",
        ),
        (
            vec!["serve", conf.to_str().unwrap()],
            "/dev/zero line 1: longer than 4096 bytes",
        ),
        (
            vec!["diff", "/dev/zero", "/dev/zero"],
            "report /dev/zero is not JSON",
        ),
    ] {
        let o = ptrtrace(&args);
        assert_one_line_error(&o, 2, needle);
    }
    let o = Command::new(env!("CARGO_BIN_EXE_ptrtrace"))
        .args(["--root-hints", h, "-"])
        .env("PTRTRACE_FORBID_BUILTIN_HINTS", "1")
        .stdin(std::fs::File::open("/dev/zero").unwrap())
        .output()
        .unwrap();
    assert_one_line_error(&o, 2, "stdin line 1: longer than 4096 bytes");
}
