//! `ptrtrace lab list|run|serve`: the built-in lab (crates/ptrtrace-lab): its scenarios
//! listed, traced and checked against what each expects, or served on loopback for other
//! tools.

use futures::StreamExt;
use ptrtrace_core::report::TargetReport;
use ptrtrace_core::trace;
use ptrtrace_lab::{self as lab, Scenario};

use crate::cli::{Format, OutputOpts, TraceOpts, parse_target};
use crate::exit::{Exit, Failure, Outcome, interrupted, stop_on_ctrl_c};
use crate::output::{self, Out, Renderer, say};

/// `lab list`: every scenario, its target, and what it expects.
pub fn list() -> Outcome {
    let mut body = String::from(
        "Lab scenarios (run one with `ptrtrace lab run NAME`, all with `ptrtrace lab run`):\n\n",
    );
    let all = lab::scenarios();
    // Columns as wide as the longest name and address.
    let nw = all.iter().map(|s| s.name.len()).max().unwrap_or(0);
    let tw = all.iter().map(|s| s.target.len()).max().unwrap_or(0);
    for s in all {
        body.push_str(&format!(
            "  {:<nw$} {:<tw$} {}\n",
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
            "  {:<nw$} {:<tw$} expects: {} → {}\n",
            "", "", exp, s.verdict
        ));
    }
    Out::open(None)?.write(&body)?;
    Ok(Exit::Ok)
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
    let walk = trace::trace_rounds(target, &cfg.into(), None, Some(stop)).await;
    drop(running);
    Ok(TargetReport::new(walk))
}

/// Options that have no meaning in the lab, refused by name.
fn refuse_outside_options(opts: &TraceOpts) -> Result<(), Failure> {
    if opts.root_hints.is_some() {
        return Err(Failure::bad_input(
            "--root-hints does not apply to the lab: it has its own root",
        ));
    }
    if opts.trust_anchor.is_some() {
        return Err(Failure::bad_input(
            "--trust-anchor does not apply to the lab: it signs its root with its own key",
        ));
    }
    if opts.port != 53 {
        return Err(Failure::bad_input(
            "--port does not apply to `lab run`: its servers are on loopback ports of their own (`lab serve --port` serves them on one)",
        ));
    }
    if opts.force {
        return Err(Failure::bad_input(
            "--force does not apply to `lab run`: each scenario traces one address",
        ));
    }
    Ok(())
}

/// The scenarios `name` picks (all when none), without the DNSSEC ones under --no-dnssec.
fn choose<'a>(
    all: &'a [Scenario],
    name: Option<&str>,
    opts: &TraceOpts,
) -> Result<Vec<&'a Scenario>, Failure> {
    let chosen: Vec<&Scenario> = match name {
        None => all.iter().collect(),
        Some(n) => vec![find_scenario(all, n)?],
    };
    // DNSSEC scenarios expect DNSSEC findings: without DNSSEC they cannot match.
    Ok(if opts.no_dnssec {
        if let Some(s) = chosen.iter().find(|s| s.is_dnssec())
            && name.is_some()
        {
            return Err(Failure::bad_input(format!(
                "lab scenario {} is about DNSSEC: run it without --no-dnssec",
                s.name
            )));
        }
        chosen.into_iter().filter(|s| !s.is_dnssec()).collect()
    } else {
        chosen
    })
}

/// "N of N scenarios as expected", with the unfinished and the ones that differed.
fn tally_line(done: usize, unfinished: usize, mismatched: &[String]) -> String {
    let n = done;
    let cut = if unfinished > 0 {
        format!(" ({unfinished} unfinished when interrupted, not counted)")
    } else {
        String::new()
    };
    if mismatched.is_empty() {
        format!("{n} of {n} scenarios as expected{cut}")
    } else {
        format!(
            "{} of {n} scenarios as expected{cut}; differed: {}",
            n - mismatched.len(),
            mismatched.join("; ")
        )
    }
}

/// `lab run [NAME]`: traces each scenario in its own lab and checks its expectations.
pub async fn run(name: Option<&str>, opts: &TraceOpts, out_opts: &OutputOpts) -> Outcome {
    refuse_outside_options(opts)?;
    let all = lab::scenarios();
    let chosen = choose(&all, name, opts)?;
    // A bad -o or --evidence fails now, not after the scenarios ran.
    let mut out = Out::open(out_opts.output.as_deref())?;
    let mut render = Renderer::new(out_opts, "lab")?;
    // Scenarios are independent labs: run several at once, report each in order as soon as
    // it and those before it are done (`lab run | head -2` ends at once).
    let (stop_rx, watcher, _) = stop_on_ctrl_c();
    let bar = output::bar(
        u64::try_from(chosen.len()).unwrap_or(u64::MAX),
        "{bar:30} {pos}/{len} lab scenarios · {elapsed}",
    );
    let mut results = futures::stream::iter(chosen.iter())
        .map(|s| {
            let stop = stop_rx.clone();
            async move { (*s, run_scenario(s, opts, stop).await) }
        })
        // Two scenarios per core: more and the labs' own servers starve the traces of CPU
        // (timeouts and `slow` findings that are the machine's, not the scenario's).
        .buffered(
            std::thread::available_parallelism()
                .map_or(2, std::num::NonZeroUsize::get)
                .saturating_mul(2)
                .clamp(2, 8),
        );
    let (mut done, mut unfinished) = (0usize, 0usize);
    let mut mismatched: Vec<String> = Vec::new();
    while let Some((s, result)) = results.next().await {
        if let Some(b) = &bar {
            b.inc(1);
        }
        let r = result.map_err(|e| Failure::cannot_run(format!("lab scenario {}: {e}", s.name)))?;
        // Ctrl-C cut this one short: among all scenarios it is neither shown nor counted
        // (one scenario named is one trace watched: its partial report is shown).
        if name.is_none()
            && r.walk
                .limits
                .iter()
                .any(|l| l.limit == ptrtrace_core::model::Limit::Interrupted)
        {
            unfinished += 1;
            continue;
        }
        done += 1;
        if !lab::matches_expectation(s, &r) {
            mismatched.push(mismatch_text(s, &r));
        }
        let piece = render.target(r, Some((s.name, s.summary)))?;
        match &bar {
            Some(b) => b.suspend(|| out.write(&piece))?,
            None => out.write(&piece)?,
        }
        if out.is_closed() {
            // Nobody reads on: the other scenarios are dropped with their labs.
            watcher.abort();
            return Ok(Exit::Ok);
        }
    }
    drop(results);
    watcher.abort();
    // Stopped, and not by Ctrl-C: the reader of stdout went away. Nothing more to say.
    if *stop_rx.borrow() && !interrupted() {
        return Ok(Exit::Ok);
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let tally = tally_line(done, unfinished, &mismatched);
    let mut body = render.finish()?;
    // The tally ends the text report; machine formats keep stdout clean and say it on stderr.
    if out_opts.format == Format::Text {
        body.push_str(&format!("\n{tally}\n"));
    } else {
        eprintln!("ptrtrace: {tally}");
    }
    out.write(&body)?;
    if interrupted() {
        return Err(Failure::interrupted());
    }
    if mismatched.is_empty() {
        return Ok(Exit::Ok);
    }
    let names: Vec<&str> = mismatched
        .iter()
        .filter_map(|m| m.split(' ').next())
        .collect();
    Err(Failure::with(
        Exit::Findings,
        format!(
            "lab scenarios with unexpected findings or verdict: {}",
            names.join(", ")
        ),
    ))
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
fn find_scenario<'a>(all: &'a [Scenario], name: &str) -> Result<&'a Scenario, Failure> {
    all.iter().find(|s| s.name == name).ok_or_else(|| {
        let names: Vec<&str> = all.iter().map(|s| s.name).collect();
        Failure::bad_input(format!(
            "no lab scenario {name:?}; the scenarios are: {}",
            names.join(", ")
        ))
    })
}

/// `lab serve`: the scenario's servers on 127.0.53.N:port for other processes, until Ctrl-C.
pub async fn serve(name: Option<&str>, port: u16, dir: Option<std::path::PathBuf>) -> Outcome {
    let all = lab::scenarios();
    let s = find_scenario(&all, name.unwrap_or("healthy"))?;
    let running = lab::serve(s, port).await.map_err(|e| {
        Failure::cannot_run(format!(
            "cannot serve the lab on 127.0.53.N port {port}: {e} (is the port in use? try --port)"
        ))
    })?;
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
    std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(&hints_path, hints))
        .and_then(|()| std::fs::write(&anchor_path, running.anchors.to_text()))
        .map_err(|e| {
            Failure::bad_input(format!(
                "cannot write the lab's files in {}: {e}",
                dir.display()
            ))
        })?;
    let root = running
        .hints
        .servers
        .first()
        .and_then(|h| h.addresses.first().copied())
        .map_or_else(|| "127.0.53.1".to_string(), |a| a.to_string());
    let mut text = format!(
        "ptrtrace lab serve: scenario {} ({}) on 127.0.53.1-127.0.53.{}, port {port}, UDP and TCP. Ctrl-C (or SIGTERM) stops it.\n\n",
        s.name,
        s.summary,
        lab::SERVERS.len()
    );
    text.push_str(&format!(
        "Root hints:   {}\nTrust anchor: {}\n\nTrace it from another terminal:\n  {} --root-hints {} --trust-anchor {} --port {port} {}\nAsk a server yourself:\n  dig @{root} -p {port} +norecurse +dnssec -x {}\n\nServers (name, address here, address in the zone data of the built-in lab):\n",
        hints_path.display(),
        anchor_path.display(),
        crate::exit::this_command(),
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
    // Signals are caught from before the lines that say the lab is ready.
    let stop = crate::exit::stop_signal();
    if !say(&text)? {
        return Ok(Exit::Ok);
    }
    // Ctrl-C or SIGTERM: the servers stop and the files written above go.
    stop.await;
    drop(running);
    if remove {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let _ = say("ptrtrace lab serve: stopped");
    Ok(Exit::Ok)
}
