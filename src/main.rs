//! The ptrtrace command: parse arguments, run, render, choose the exit code — nothing else.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{IsTerminal, Write};
use std::net::IpAddr;
use std::process::ExitCode;

use clap::Parser;
use cli::{Cli, Command, Format, LabAction, TraceOpts, parse_target};
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
mod cli;

use ptrtrace_core::diagnose::Verdict;
use ptrtrace_core::dnssec::TrustAnchors;
use ptrtrace_core::net::AddressMap;
use ptrtrace_core::report::{TargetReport, diff, dot, json, text};
use ptrtrace_core::trace::{self, Event, TraceConfig};
use ptrtrace_lab::{self as lab, Scenario};

/// Exit codes (README "Exit codes").
const EXIT_OK: u8 = 0;
const EXIT_FINDINGS: u8 = 1;
const EXIT_BAD_INPUT: u8 = 2;
const EXIT_CANNOT_RUN: u8 = 3;
/// 128 + SIGINT, as shells report a program ended by Ctrl-C.
const EXIT_INTERRUPTED: u8 = 130;

/// Set when Ctrl-C stopped the traces: reports are partial and the exit code is 130.
static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn interrupted() -> bool {
    INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst)
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                e.exit();
            }
            // One line naming the problem (the usage text is one `--help` away).
            let rendered = e.render().to_string();
            let first = rendered.lines().next().unwrap_or("bad arguments");
            let first = first.strip_prefix("error: ").unwrap_or(first);
            return ExitCode::from(fail(EXIT_BAD_INPUT, &format!("{first} (see --help)")));
        }
    };
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ptrtrace: cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_CANNOT_RUN);
        }
    };
    let code = match cli.command {
        Some(Command::Lab {
            action: LabAction::List,
        }) => lab_list(),
        Some(Command::Lab {
            action: LabAction::Run { scenario, opts },
        }) => rt.block_on(lab_run(scenario.as_deref(), &opts)),
        Some(Command::Watch {
            targets,
            count,
            exit_on_change,
            opts,
        }) => rt.block_on(run_watch(&targets, &opts, count, exit_on_change)),
        Some(Command::Diff {
            old,
            new,
            format,
            output,
        }) => run_diff(&old, &new, format, output.as_deref()),
        Some(Command::Lab {
            action:
                LabAction::Serve {
                    scenario,
                    port,
                    dir,
                },
        }) => rt.block_on(lab_serve(scenario.as_deref(), port, dir)),
        None => rt.block_on(run_trace(&cli.targets, &cli.opts)),
    };
    ExitCode::from(code)
}

fn fail(code: u8, msg: &str) -> u8 {
    eprintln!("ptrtrace: {msg}");
    code
}

/// Writes the report to `-o FILE` or stdout. A closed pipe (`| head`) is a normal end.
fn emit(output: Option<&std::path::Path>, body: &str) -> Result<(), u8> {
    Out::open(output)?.write(body)
}

/// A stop signal that turns true on Ctrl-C (and marks the run interrupted), and the task
/// that waits for it; abort the task when the work is done.
fn stop_on_ctrl_c() -> (
    tokio::sync::watch::Receiver<bool>,
    tokio::task::JoinHandle<()>,
) {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let watcher = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            INTERRUPTED.store(true, std::sync::atomic::Ordering::SeqCst);
            let _ = stop_tx.send(true);
        }
    });
    (stop_rx, watcher)
}

fn text_style(opts: &TraceOpts) -> text::Style {
    text::Style {
        color: opts.output.is_none()
            && std::io::stdout().is_terminal()
            && std::env::var_os("NO_COLOR").is_none(),
    }
}

fn progress() -> (
    Option<tokio::sync::mpsc::UnboundedSender<Event>>,
    Option<tokio::task::JoinHandle<()>>,
) {
    if !std::io::stderr().is_terminal() {
        return (None, None);
    }
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Event>();
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} {elapsed} {msg}") {
        bar.set_style(style);
    }
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    let handle = tokio::spawn(async move {
        while let Some(Event::Progress { sent, done, zone }) = rx.recv().await {
            bar.set_message(format!("{sent} queries sent, {done} probes done · {zone}"));
        }
        bar.finish_and_clear();
    });
    (Some(tx), Some(handle))
}

/// Traces every target concurrently. Ctrl-C stops them all; what they gathered is kept.
/// The configuration of a trace against real servers (or `--root-hints`): the hints, the
/// options and the trust anchors, and the hints' source for reports. Bad input has been
/// reported when it returns the exit code.
fn real_config(opts: &TraceOpts) -> Result<(TraceConfig, String), u8> {
    let hints = opts.hints().map_err(|e| fail(EXIT_BAD_INPUT, &e))?;
    let source = hints.source.clone();
    let mut cfg = opts.config(hints, AddressMap::direct(opts.port));
    // The IANA keys were not chosen for a root given with --root-hints: when it has none of
    // them it is a private root, and DNSSEC is not judged (validate.rs).
    let mut default = TrustAnchors::builtin();
    default.assumed = opts.root_hints.is_some();
    cfg.dnssec = opts
        .anchors(default)
        .map_err(|e| fail(EXIT_BAD_INPUT, &e))?;
    Ok((cfg, source))
}

async fn trace_all(targets: &[IpAddr], cfg: &TraceConfig) -> Vec<TargetReport> {
    let (tx, bar) = progress();
    let (stop_rx, watcher) = stop_on_ctrl_c();
    let walks = futures::future::join_all(
        targets
            .iter()
            .map(|t| trace::trace_rounds(*t, cfg, tx.clone(), Some(stop_rx.clone()))),
    )
    .await;
    watcher.abort();
    drop(tx);
    if let Some(b) = bar {
        let _ = b.await;
    }
    walks.into_iter().map(TargetReport::new).collect()
}

/// Where reports go: `-o FILE` or stdout, written as each target finishes. A closed pipe
/// (`| head`) silences the rest quietly.
struct Out {
    sink: Box<dyn Write>,
    closed: bool,
}

impl Out {
    fn open(output: Option<&std::path::Path>) -> Result<Self, u8> {
        let sink: Box<dyn Write> = match output {
            Some(path) => Box::new(std::fs::File::create(path).map_err(|e| {
                fail(
                    EXIT_BAD_INPUT,
                    &format!("cannot write output file {}: {e}", path.display()),
                )
            })?),
            None => Box::new(std::io::stdout()),
        };
        Ok(Self {
            sink,
            closed: false,
        })
    }

    fn write(&mut self, text: &str) -> Result<(), u8> {
        if self.closed {
            return Ok(());
        }
        match self
            .sink
            .write_all(text.as_bytes())
            .and_then(|()| self.sink.flush())
        {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            Err(e) => Err(fail(
                EXIT_CANNOT_RUN,
                &format!("cannot write the report: {e}"),
            )),
            Ok(()) => Ok(()),
        }
    }
}

/// Batch bookkeeping for the closing summary: targets by verdict, and the servers that
/// affect the most targets.
/// A server address blamed by a finding: (NS name, address, zone, finding kind).
type Blamed = (String, String, String, ptrtrace_core::model::FindingKind);

#[derive(Default)]
struct Tally {
    verdicts: std::collections::BTreeMap<&'static str, usize>,
    servers: std::collections::BTreeMap<Blamed, usize>,
    root_unreachable: bool,
    all_ok: bool,
    count: usize,
}

impl Tally {
    fn add(&mut self, r: &TargetReport) {
        if self.count == 0 {
            self.all_ok = true;
        }
        self.count += 1;
        *self
            .verdicts
            .entry(r.diagnosis.verdict.as_str())
            .or_insert(0) += 1;
        self.all_ok &= r.diagnosis.verdict == Verdict::Ok;
        self.root_unreachable |= !r.diagnosis.root_reachable;
        let mut seen = std::collections::BTreeSet::new();
        for f in &r.diagnosis.findings {
            if f.severity < ptrtrace_core::diagnose::Severity::Warning {
                continue;
            }
            if let (Some(server), Some(addr)) = (&f.server, f.address) {
                let key = (
                    server.to_string(),
                    addr.to_string(),
                    f.zone.to_string(),
                    f.kind,
                );
                if seen.insert(key.clone()) {
                    *self.servers.entry(key).or_insert(0) += 1;
                }
            }
        }
    }

    fn summary(&self) -> String {
        let verdicts: Vec<String> = ["ok", "degraded", "broken"]
            .iter()
            .map(|v| format!("{} {v}", self.verdicts.get(v).copied().unwrap_or(0)))
            .collect();
        let mut out = format!(
            "\nSummary: {} targets — {}\n",
            self.count,
            verdicts.join(", ")
        );
        let mut worst: Vec<(&Blamed, &usize)> = self.servers.iter().collect();
        worst.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        if !worst.is_empty() {
            out.push_str("Servers affecting the most targets:\n");
            for ((server, addr, zone, kind), n) in worst.into_iter().take(10) {
                out.push_str(&format!(
                    "  {n:>6} targets  {kind:<20} {server} ({addr}) in {zone}\n"
                ));
            }
        }
        out
    }
}

async fn run_trace(raw_targets: &[String], opts: &TraceOpts) -> u8 {
    if raw_targets.is_empty() {
        return fail(
            EXIT_BAD_INPUT,
            "no address given; try `ptrtrace 203.0.113.25`, or `ptrtrace lab run` for the offline demo (see --help)",
        );
    }
    let (targets, bad) =
        ptrtrace_core::targets::parse(raw_targets, opts.force, std::io::stdin().lock());
    for b in &bad {
        eprintln!("ptrtrace: {b}");
    }
    for w in &targets.warnings {
        eprintln!("ptrtrace: warning: {w}");
    }
    if targets.is_empty() {
        if bad.is_empty() {
            return fail(
                EXIT_BAD_INPUT,
                "no target to trace: the files or stdin held none",
            );
        }
        // Every entry was bad, and each was named above.
        return EXIT_BAD_INPUT;
    }
    let (cfg, source) = match real_config(opts) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let mut out = match Out::open(opts.output.as_deref()) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let style = text_style(opts);
    let mut tally = Tally::default();
    let mut kept: Vec<TargetReport> = Vec::new();
    let mut failed: Option<u8> = None;
    let mut emit_one = |r: TargetReport, out: &mut Out, first: bool| {
        tally.add(&r);
        let piece = match opts.format {
            Format::Text => format!(
                "{}{}",
                if first { "" } else { "\n" },
                text::render(&r, style)
            ),
            Format::Dot => dot::render(&r),
            Format::Jsonl => match json::render_line(&r, &source) {
                Ok(line) => line + "\n",
                Err(e) => {
                    failed = Some(fail(EXIT_CANNOT_RUN, &format!("cannot render JSON: {e}")));
                    String::new()
                }
            },
            Format::Json => {
                kept.push(r);
                String::new()
            }
        };
        if let Err(code) = out.write(&piece) {
            failed = Some(code);
        }
    };
    let count = targets.len();
    if count > ptrtrace_core::targets::MAX_PREFIX_SIZE && cfg.rounds > 1 {
        return fail(
            EXIT_BAD_INPUT,
            &format!(
                "--rounds traces every target at once, and {count} targets are more than {}: trace fewer, or drop --rounds",
                ptrtrace_core::targets::MAX_PREFIX_SIZE
            ),
        );
    }
    if count == 1 || cfg.rounds > 1 {
        let all: Vec<IpAddr> = targets.iter().collect();
        for (i, r) in trace_all(&all, &cfg).await.into_iter().enumerate() {
            emit_one(r, &mut out, i == 0);
        }
    } else {
        let bar = batch_bar(u64::try_from(count).unwrap_or(u64::MAX));
        let (stop_rx, watcher) = stop_on_ctrl_c();
        let mut n = 0usize;
        let mut queries = 0u64;
        trace::trace_batch(
            targets.iter(),
            &cfg,
            usize::from(opts.concurrency),
            None,
            Some(stop_rx),
            |walk| {
                queries += u64::from(walk.queries_sent);
                let r = TargetReport::new(walk);
                if let Some(b) = &bar {
                    b.inc(1);
                    b.set_message(format!("{queries} own queries"));
                }
                emit_one(r, &mut out, n == 0);
                n += 1;
            },
        )
        .await;
        watcher.abort();
        if let Some(b) = bar {
            b.finish_and_clear();
        }
    }
    if let Some(code) = failed {
        return code;
    }
    if opts.format == Format::Json {
        match json::render(&kept, &source) {
            Ok(s) => {
                if let Err(code) = out.write(&(s + "\n")) {
                    return code;
                }
            }
            Err(e) => return fail(EXIT_CANNOT_RUN, &format!("cannot render JSON: {e}")),
        }
    }
    if opts.format == Format::Text
        && tally.count > 1
        && let Err(code) = out.write(&tally.summary())
    {
        return code;
    }
    if interrupted() {
        return fail(EXIT_INTERRUPTED, "interrupted: the report above is partial");
    }
    // Both problems are reported when both happened; bad input decides the exit code.
    let root_message = no_root_message(&source);
    if !bad.is_empty() {
        if tally.root_unreachable {
            eprintln!("ptrtrace: {root_message}");
        }
        return fail(
            EXIT_BAD_INPUT,
            &format!("{} target entries were not valid (see above)", bad.len()),
        );
    }
    if tally.root_unreachable {
        return fail(EXIT_CANNOT_RUN, &root_message);
    }
    if tally.all_ok { EXIT_OK } else { EXIT_FINDINGS }
}

/// What a trace or `watch` says when no root server answered (exit 3).
fn no_root_message(source: &str) -> String {
    format!(
        "no root server from {source} answered: the trace could not run (check the network or the hints)"
    )
}

/// A progress bar for batches (targets done / total, rate, ETA), only on a terminal.
fn batch_bar(total: u64) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:30} {pos}/{len} targets · {per_sec} · eta {eta} · {msg}")
    {
        bar.set_style(style);
    }
    Some(bar)
}

fn lab_list() -> u8 {
    let mut body = String::from(
        "Lab scenarios (run one with `ptrtrace lab run NAME`, all with `ptrtrace lab run`):\n\n",
    );
    for s in lab::scenarios() {
        body.push_str(&format!(
            "  {:<18} {:<14} {}\n",
            s.name, s.target, s.summary
        ));
        let mut exp: Vec<String> = s
            .expect
            .iter()
            .map(|e| match e.reason {
                Some(r) => format!("{} ({r})", e.kind),
                None => e.kind.to_string(),
            })
            .collect();
        exp.dedup();
        let exp = if exp.is_empty() {
            "no findings".to_string()
        } else {
            exp.join(", ")
        };
        body.push_str(&format!(
            "  {:<18} {:<14} expects: {} → {}\n",
            "", "", exp, s.verdict
        ));
    }
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(body.as_bytes());
    EXIT_OK
}

async fn run_scenario(
    s: &Scenario,
    opts: &TraceOpts,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Result<TargetReport, String> {
    let running = lab::start(s).await.map_err(|e| e.to_string())?;
    let target = parse_target(s.target)?;
    let mut cfg = opts.config(running.hints.clone(), running.map.clone());
    cfg.dnssec = opts.anchors(running.anchors.clone())?;
    cfg.rate_per_address = opts.rate.unwrap_or(0);
    cfg.rrl_pacing = false;
    s.fit(&mut cfg);
    let walk = trace::trace_rounds(target, &cfg, None, Some(stop)).await;
    drop(running);
    Ok(TargetReport::new(walk))
}

async fn lab_run(name: Option<&str>, opts: &TraceOpts) -> u8 {
    if opts.root_hints.is_some() {
        return fail(
            EXIT_BAD_INPUT,
            "--root-hints does not apply to the lab: it has its own root",
        );
    }
    if opts.trust_anchor.is_some() {
        return fail(
            EXIT_BAD_INPUT,
            "--trust-anchor does not apply to the lab: it signs its root with its own key",
        );
    }
    if opts.port != 53 {
        return fail(
            EXIT_BAD_INPUT,
            "--port does not apply to `lab run`: its servers are on loopback ports of their own (`lab serve --port` serves them on one)",
        );
    }
    if opts.force {
        return fail(
            EXIT_BAD_INPUT,
            "--force does not apply to `lab run`: each scenario traces one address",
        );
    }
    let all = lab::scenarios();
    let chosen: Vec<&Scenario> = match name {
        None => all.iter().collect(),
        Some(n) => match find_scenario(&all, n) {
            Ok(s) => vec![s],
            Err(code) => return code,
        },
    };
    // DNSSEC scenarios expect DNSSEC findings: without DNSSEC they cannot match.
    let chosen: Vec<&Scenario> = if opts.no_dnssec {
        if let Some(s) = chosen.iter().find(|s| s.is_dnssec())
            && name.is_some()
        {
            return fail(
                EXIT_BAD_INPUT,
                &format!(
                    "lab scenario {} is about DNSSEC: run it without --no-dnssec",
                    s.name
                ),
            );
        }
        chosen.into_iter().filter(|s| !s.is_dnssec()).collect()
    } else {
        chosen
    };
    // A bad -o fails now, not after the scenarios ran.
    let mut out = match Out::open(opts.output.as_deref()) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let mut reports = Vec::new();
    let mut mismatched: Vec<String> = Vec::new();
    // Scenarios are independent labs: run several at once, report them in order.
    let (stop_rx, watcher) = stop_on_ctrl_c();
    let bar = scenario_bar(chosen.len());
    let results: Vec<Result<TargetReport, String>> = futures::stream::iter(chosen.iter())
        .map(|s| run_scenario(s, opts, stop_rx.clone()))
        // Two scenarios per core: more and the labs' own servers starve the traces of CPU
        // (timeouts and `slow` findings that are the machine's, not the scenario's).
        .buffered(
            std::thread::available_parallelism()
                .map_or(2, std::num::NonZeroUsize::get)
                .saturating_mul(2)
                .clamp(2, 8),
        )
        .inspect(|_| {
            if let Some(b) = &bar {
                b.inc(1);
            }
        })
        .collect()
        .await;
    watcher.abort();
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    for (s, result) in chosen.iter().zip(results) {
        match result {
            Ok(r) => {
                if !lab::matches_expectation(s, &r) {
                    mismatched.push(mismatch_text(s, &r));
                }
                reports.push((s, r));
            }
            Err(e) => return fail(EXIT_CANNOT_RUN, &format!("lab scenario {}: {e}", s.name)),
        }
    }
    let tally = if mismatched.is_empty() {
        format!(
            "{} of {} scenarios as expected",
            reports.len(),
            reports.len()
        )
    } else {
        format!(
            "{} of {} scenarios as expected; differed: {}",
            reports.len() - mismatched.len(),
            reports.len(),
            mismatched.join("; ")
        )
    };
    let body = match opts.format {
        Format::Text => {
            let style = text_style(opts);
            reports
                .iter()
                .map(|(s, r)| {
                    format!(
                        "━━ lab scenario {}: {}\n\n{}",
                        s.name,
                        s.summary,
                        text::render(r, style)
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        }
        Format::Dot => reports
            .iter()
            .map(|(s, r)| format!("// lab scenario {}\n{}", s.name, dot::render(r)))
            .collect::<String>(),
        Format::Jsonl => {
            let mut lines = String::new();
            for (s, r) in &reports {
                match json::render_view_line(json::TargetJson::new(r).in_scenario(s.name), "lab") {
                    Ok(l) => {
                        lines.push_str(&l);
                        lines.push('\n');
                    }
                    Err(e) => return fail(EXIT_CANNOT_RUN, &format!("cannot render JSON: {e}")),
                }
            }
            lines
        }
        Format::Json => {
            let views = reports
                .iter()
                .map(|(s, r)| json::TargetJson::new(r).in_scenario(s.name))
                .collect();
            match json::render_views(views, "lab") {
                Ok(s) => s + "\n",
                Err(e) => return fail(EXIT_CANNOT_RUN, &format!("cannot render JSON: {e}")),
            }
        }
    };
    // The tally ends the text report; machine formats keep stdout clean and say it on stderr.
    let body = if opts.format == Format::Text {
        format!("{body}\n{tally}\n")
    } else {
        eprintln!("ptrtrace: {tally}");
        body
    };
    if let Err(code) = out.write(&body) {
        return code;
    }
    if interrupted() {
        return fail(EXIT_INTERRUPTED, "interrupted: the report above is partial");
    }
    if mismatched.is_empty() {
        EXIT_OK
    } else {
        let names: Vec<&str> = mismatched
            .iter()
            .filter_map(|m| m.split(' ').next())
            .collect();
        fail(
            EXIT_FINDINGS,
            &format!(
                "lab scenarios with unexpected findings or verdict: {}",
                names.join(", ")
            ),
        )
    }
}

/// A progress bar over the scenarios of `lab run`, only on a terminal.
fn scenario_bar(total: usize) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(u64::try_from(total).unwrap_or(u64::MAX));
    if let Ok(style) =
        ProgressStyle::with_template("{bar:30} {pos}/{len} lab scenarios · {elapsed}")
    {
        bar.set_style(style);
    }
    Some(bar)
}

/// How a scenario's trace differed from what it expects, in one phrase.
fn mismatch_text(s: &Scenario, r: &TargetReport) -> String {
    let (want, got) = (lab::expected(s), lab::observed(s, r));
    let show = |k: &lab::FindingKey| match &k.1 {
        Some(reason) => format!("{} ({reason})", k.0),
        None => k.0.clone(),
    };
    let missing: Vec<String> = want.iter().filter(|k| !got.contains(k)).map(show).collect();
    let extra: Vec<String> = got.iter().filter(|k| !want.contains(k)).map(show).collect();
    let mut parts = Vec::new();
    if !missing.is_empty() {
        parts.push(format!("missing {}", missing.join(", ")));
    }
    if !extra.is_empty() {
        parts.push(format!("unexpected {}", extra.join(", ")));
    }
    let verdict = r.diagnosis.verdict.as_str();
    if verdict != s.verdict {
        parts.push(format!("verdict {verdict}, expected {}", s.verdict));
    }
    format!("{} ({})", s.name, parts.join("; "))
}

/// The scenario named `name`, or exit 2 naming every scenario there is.
fn find_scenario<'a>(all: &'a [Scenario], name: &str) -> Result<&'a Scenario, u8> {
    all.iter().find(|s| s.name == name).ok_or_else(|| {
        let names: Vec<&str> = all.iter().map(|s| s.name).collect();
        fail(
            EXIT_BAD_INPUT,
            &format!(
                "no lab scenario {name:?}; the scenarios are: {}",
                names.join(", ")
            ),
        )
    })
}

/// `lab serve`: the scenario's servers on 127.0.53.N:port for other processes, until Ctrl-C.
async fn lab_serve(name: Option<&str>, port: u16, dir: Option<std::path::PathBuf>) -> u8 {
    let all = lab::scenarios();
    let s = match find_scenario(&all, name.unwrap_or("healthy")) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let running = match lab::serve(s, port).await {
        Ok(r) => r,
        Err(e) => {
            return fail(
                EXIT_CANNOT_RUN,
                &format!(
                    "cannot serve the lab on 127.0.53.N port {port}: {e} (is the port in use? try --port)"
                ),
            );
        }
    };
    let (dir, remove) = match dir {
        Some(d) => (d, false),
        None => (
            std::env::temp_dir().join(format!("ptrtrace-lab-{port}")),
            true,
        ),
    };
    let hints_path = dir.join("lab.hints");
    let anchor_path = dir.join("lab-anchor.ds");
    let hints = running.hints.to_text();
    let written = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(&hints_path, hints))
        .and_then(|()| std::fs::write(&anchor_path, running.anchors.to_text()));
    if let Err(e) = written {
        return fail(
            EXIT_BAD_INPUT,
            &format!("cannot write the lab's files in {}: {e}", dir.display()),
        );
    }
    let root = running
        .hints
        .servers
        .first()
        .and_then(|h| h.addresses.first().copied())
        .map_or_else(|| "127.0.53.1".to_string(), |a| a.to_string());
    let mut text = format!(
        "ptrtrace lab serve: scenario {} ({}) on 127.0.53.1-127.0.53.{}, port {port}, UDP and TCP. Ctrl-C stops it.\n\n",
        s.name,
        s.summary,
        lab::SERVERS.len()
    );
    text.push_str(&format!(
        "Root hints:   {}\nTrust anchor: {}\n\nTrace it from another terminal:\n  ptrtrace --root-hints {} --trust-anchor {} --port {port} {}\nAsk a server yourself:\n  dig @{root} -p {port} +norecurse +dnssec -x {}\n\nServers (name, address here, address in the zone data of the built-in lab):\n",
        hints_path.display(),
        anchor_path.display(),
        hints_path.display(),
        anchor_path.display(),
        s.target,
        s.target
    ));
    for (i, (name, addrs, _)) in lab::SERVERS.iter().enumerate() {
        text.push_str(&format!(
            "  {name:<26} {:<13} {}\n",
            lab::serve_address(i).to_string(),
            addrs.join(", ")
        ));
    }
    if !say(&text) {
        return EXIT_OK;
    }
    let _ = tokio::signal::ctrl_c().await;
    drop(running);
    if remove {
        let _ = std::fs::remove_dir_all(&dir);
    }
    say("ptrtrace lab serve: stopped");
    EXIT_OK
}

fn load_report(path: &std::path::Path) -> Result<serde_json::Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read report {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("report {} is not JSON: {e}", path.display()))
}

fn run_diff(
    old: &std::path::Path,
    new: &std::path::Path,
    format: Format,
    output: Option<&std::path::Path>,
) -> u8 {
    let (a, b) = match (load_report(old), load_report(new)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return fail(EXIT_BAD_INPUT, &e),
    };
    let changes = match diff::diff(&a, &b) {
        Ok(c) => c,
        Err(e) => return fail(EXIT_BAD_INPUT, &e.to_string()),
    };
    let body = match format {
        Format::Json => match diff::render_json(&changes) {
            Ok(s) => s + "\n",
            Err(e) => return fail(EXIT_CANNOT_RUN, &format!("cannot render JSON: {e}")),
        },
        Format::Dot | Format::Jsonl => {
            return fail(EXIT_BAD_INPUT, "diff prints text or json");
        }
        Format::Text if changes.is_empty() => "no changes\n".to_string(),
        Format::Text => changes.iter().map(|c| c.line() + "\n").collect(),
    };
    if let Err(code) = emit(output, &body) {
        return code;
    }
    u8::from(!changes.is_empty())
}

/// Writes one line to stdout now (watch output is read as it comes). False on a closed pipe.
fn say(line: &str) -> bool {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").and_then(|()| out.flush()).is_ok()
}

async fn run_watch(
    raw: &[String],
    opts: &TraceOpts,
    count: Option<u32>,
    exit_on_change: bool,
) -> u8 {
    let mut targets = Vec::new();
    for t in raw {
        match parse_target(t) {
            Ok(ip) => targets.push(ip),
            Err(e) => return fail(EXIT_BAD_INPUT, &e),
        }
    }
    let (mut cfg, source) = match real_config(opts) {
        Ok(x) => x,
        Err(code) => return code,
    };
    cfg.rounds = 1;
    let start = std::time::Instant::now();
    let stamp = |start: std::time::Instant| format!("[+{:.0}s]", start.elapsed().as_secs_f64());
    let mut prev: Option<serde_json::Value> = None;
    let mut last: Vec<TargetReport> = Vec::new();
    let (mut rounds, mut changes) = (0u32, 0usize);
    loop {
        rounds += 1;
        let reports = trace_all(&targets, &cfg).await;
        if interrupted() {
            break;
        }
        let doc = match json::render(&reports, &source)
            .map(|s| serde_json::from_str::<serde_json::Value>(&s))
        {
            Ok(Ok(v)) => v,
            _ => return fail(EXIT_CANNOT_RUN, "cannot render the report"),
        };
        match &prev {
            None => {
                for r in &reports {
                    let line = format!(
                        "{} {} {}: {}",
                        stamp(start),
                        r.target(),
                        r.diagnosis.verdict.as_str(),
                        r.headline()
                    );
                    if !say(&line) {
                        return EXIT_OK;
                    }
                }
            }
            Some(p) => {
                let found = diff::diff(p, &doc).unwrap_or_default();
                changes += found.len();
                for c in &found {
                    if !say(&format!("{} {}", stamp(start), c.line())) {
                        return EXIT_OK;
                    }
                }
                if exit_on_change && !found.is_empty() {
                    last = reports;
                    break;
                }
            }
        }
        prev = Some(doc);
        last = reports;
        if count.is_some_and(|c| rounds >= c) {
            break;
        }
        tokio::select! {
            () = tokio::time::sleep(cfg.interval) => {}
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    let verdicts: Vec<String> = last
        .iter()
        .map(|r| format!("{} {}", r.target(), r.diagnosis.verdict.as_str()))
        .collect();
    say(&format!(
        "watch: {rounds} rounds, {changes} changes; now {}",
        if verdicts.is_empty() {
            "-".to_string()
        } else {
            verdicts.join(", ")
        }
    ));
    // As a trace: 3 when the last round could not run at all (no root server answered).
    if !last.is_empty() && last.iter().all(|r| !r.diagnosis.root_reachable) {
        return fail(EXIT_CANNOT_RUN, &no_root_message(&source));
    }
    u8::from(changes > 0)
}
