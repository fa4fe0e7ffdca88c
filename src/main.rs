//! The ptrtrace command: parse arguments, run, render, choose the exit code — nothing else.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{IsTerminal, Write};
use std::net::IpAddr;
use std::process::ExitCode;

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use ptrtrace::cli::{Cli, Command, Format, LabAction, TraceOpts, parse_target};
use ptrtrace::diagnose::Verdict;
use ptrtrace::lab::{self, Scenario};
use ptrtrace::net::AddressMap;
use ptrtrace::report::{TargetReport, dot, json, text};
use ptrtrace::trace::{self, Event, TraceConfig};

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
        None => rt.block_on(run_trace(&cli.targets, &cli.opts)),
    };
    ExitCode::from(code)
}

fn fail(code: u8, msg: &str) -> u8 {
    eprintln!("ptrtrace: {msg}");
    code
}

/// Writes the report to `-o FILE` or stdout. A closed pipe (`| head`) is a normal end.
fn emit(opts: &TraceOpts, body: &str) -> Result<(), u8> {
    if let Some(path) = &opts.output {
        return std::fs::write(path, body).map_err(|e| {
            fail(
                EXIT_BAD_INPUT,
                &format!("cannot write output file {}: {e}", path.display()),
            )
        });
    }
    let mut out = std::io::stdout().lock();
    match out.write_all(body.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(fail(
            EXIT_CANNOT_RUN,
            &format!("cannot write to standard output: {e}"),
        )),
        _ => Ok(()),
    }
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
async fn trace_all(targets: &[IpAddr], cfg: &TraceConfig) -> Vec<TargetReport> {
    let (tx, bar) = progress();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let watcher = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            INTERRUPTED.store(true, std::sync::atomic::Ordering::SeqCst);
            let _ = stop_tx.send(true);
        }
    });
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

async fn run_trace(raw_targets: &[String], opts: &TraceOpts) -> u8 {
    if raw_targets.is_empty() {
        return fail(
            EXIT_BAD_INPUT,
            "no address given; try `ptrtrace 203.0.113.25`, or `ptrtrace lab run` for the offline demo (see --help)",
        );
    }
    let mut targets = Vec::new();
    for t in raw_targets {
        match parse_target(t) {
            Ok(ip) => targets.push(ip),
            Err(e) => return fail(EXIT_BAD_INPUT, &e),
        }
    }
    let hints = match opts.hints() {
        Ok(h) => h,
        Err(e) => return fail(EXIT_BAD_INPUT, &e),
    };
    let source = hints.source.clone();
    let cfg = opts.config(hints, AddressMap::direct(opts.port));
    let reports = trace_all(&targets, &cfg).await;
    let body = match opts.format {
        Format::Text => {
            let style = text_style(opts);
            reports
                .iter()
                .map(|r| text::render(r, style))
                .collect::<Vec<_>>()
                .join("\n")
        }
        Format::Json => match json::render(&reports, &source) {
            Ok(s) => s + "\n",
            Err(e) => return fail(EXIT_CANNOT_RUN, &format!("cannot render JSON: {e}")),
        },
        Format::Dot => reports.iter().map(dot::render).collect::<String>(),
    };
    if let Err(code) = emit(opts, &body) {
        return code;
    }
    if interrupted() {
        return fail(EXIT_INTERRUPTED, "interrupted: the report above is partial");
    }
    if reports.iter().any(|r| !r.diagnosis.root_reachable) {
        return fail(
            EXIT_CANNOT_RUN,
            &format!(
                "no root server from {source} answered: the trace could not run (check the network or the hints)"
            ),
        );
    }
    if reports.iter().all(|r| r.diagnosis.verdict == Verdict::Ok) {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    }
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

async fn run_scenario(s: &Scenario, opts: &TraceOpts) -> Result<TargetReport, String> {
    let running = lab::start(s).await.map_err(|e| e.to_string())?;
    let target = parse_target(s.target)?;
    let mut cfg = opts.config(running.hints.clone(), running.map.clone());
    cfg.rate_per_address = opts.rate.unwrap_or(0);
    cfg.timeout = cfg.timeout.max(s.min_timeout());
    if s.rounds() > cfg.rounds {
        cfg.rounds = s.rounds();
        cfg.interval = std::time::Duration::ZERO;
    }
    let mut reports = trace_all(&[target], &cfg).await;
    drop(running);
    reports.pop().ok_or_else(|| "no report".to_string())
}

async fn lab_run(name: Option<&str>, opts: &TraceOpts) -> u8 {
    if opts.root_hints.is_some() {
        return fail(
            EXIT_BAD_INPUT,
            "--root-hints does not apply to the lab: it has its own root",
        );
    }
    let all = lab::scenarios();
    let chosen: Vec<&Scenario> = match name {
        None => all.iter().collect(),
        Some(n) => match all.iter().find(|s| s.name == n) {
            Some(s) => vec![s],
            None => {
                let names: Vec<&str> = all.iter().map(|s| s.name).collect();
                return fail(
                    EXIT_BAD_INPUT,
                    &format!(
                        "no lab scenario {n:?}; the scenarios are: {}",
                        names.join(", ")
                    ),
                );
            }
        },
    };
    let mut reports = Vec::new();
    let mut mismatched = Vec::new();
    for s in &chosen {
        if interrupted() {
            break;
        }
        match run_scenario(s, opts).await {
            Ok(r) => {
                if !lab::matches_expectation(s, &r) {
                    mismatched.push(s.name);
                }
                reports.push((s, r));
            }
            Err(e) => return fail(EXIT_CANNOT_RUN, &format!("lab scenario {}: {e}", s.name)),
        }
    }
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
            .map(|(_, r)| dot::render(r))
            .collect::<String>(),
        Format::Json => {
            let only: Vec<TargetReport> = reports.iter().map(|(_, r)| r.clone()).collect();
            match json::render(&only, "lab") {
                Ok(s) => s + "\n",
                Err(e) => return fail(EXIT_CANNOT_RUN, &format!("cannot render JSON: {e}")),
            }
        }
    };
    if let Err(code) = emit(opts, &body) {
        return code;
    }
    if interrupted() {
        return fail(EXIT_INTERRUPTED, "interrupted: the report above is partial");
    }
    if mismatched.is_empty() {
        EXIT_OK
    } else {
        fail(
            EXIT_FINDINGS,
            &format!(
                "lab scenarios with unexpected findings or verdict: {}",
                mismatched.join(", ")
            ),
        )
    }
}
