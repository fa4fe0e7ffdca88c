//! `ptrtrace watch ADDR…`: trace again every `--interval`, printing a line per change.

use ptrtrace_core::report::{TargetReport, diff, json};

use crate::cli::{TraceOpts, expand_targets};
use crate::exit::{Exit, Failure, Outcome, interrupted};
use crate::output::say;
use crate::run::{no_root_message, real_config, trace_all};

/// The rounds' reports as the JSON tree `diff` compares (straight from the data, not
/// through text).
fn document(reports: &[TargetReport], source: &str) -> Result<serde_json::Value, Failure> {
    let views = reports.iter().map(json::TargetJson::new).collect();
    serde_json::to_value(json::document(views, source))
        .map_err(|e| Failure::cannot_run(format!("cannot render the report: {e}")))
}

/// Waits `interval` for the next round; true when Ctrl-C came meanwhile, or nobody reads on
/// (`watch … | head -1`: end now, not at the next change).
async fn stopped_while_waiting(interval: std::time::Duration) -> bool {
    tokio::select! {
        () = tokio::time::sleep(interval) => false,
        _ = tokio::signal::ctrl_c() => true,
        () = crate::output::stdout_closed() => true,
    }
}

/// `watch`: exit 1 when something changed, 3 when the last round could not run.
pub async fn run(
    raw: &[String],
    opts: &TraceOpts,
    count: Option<u32>,
    exit_on_change: bool,
    history: Option<(&std::path::Path, std::time::Duration)>,
) -> Outcome {
    let targets = expand_targets(raw, opts.force, "watch").map_err(Failure::bad_input)?;
    let (cfg, source) = real_config(opts)?;
    // An unwritable history file is an error before any trace, not after the first round.
    let mut store = history
        .map(|(path, keep)| crate::history::History::open(path).map(|h| (h, keep)))
        .transpose()
        .map_err(Failure::cannot_run)?;
    let start = std::time::Instant::now();
    let stamp = |start: std::time::Instant| format!("[+{:.0}s]", start.elapsed().as_secs_f64());
    let mut prev: Option<serde_json::Value> = None;
    let mut last: Vec<TargetReport> = Vec::new();
    let (mut rounds, mut changes) = (0u32, 0usize);
    let mut local = None;
    loop {
        rounds += 1;
        let reports = trace_all(&targets, &cfg).await;
        if interrupted() {
            break;
        }
        // A round this host could not run (too many open files) is no evidence: it is said,
        // neither compared nor stored, and the round before it stands.
        local = reports
            .iter()
            .find_map(|r| r.walk.local.as_ref().map(|l| l.kind));
        if let Some(kind) = local {
            let line = format!(
                "{} round {rounds} could not run: {}; the round before stands",
                stamp(start),
                crate::exit::local_words(kind)
            );
            if !say(&line)? {
                return Ok(Exit::Ok);
            }
            if count.is_some_and(|c| rounds >= c) {
                break;
            }
            if stopped_while_waiting(cfg.interval).await {
                break;
            }
            continue;
        }
        store_round(store.as_mut(), &reports)?;
        let doc = document(&reports, &source)?;
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
                    if !say(&line)? {
                        return Ok(Exit::Ok);
                    }
                }
            }
            Some(p) => {
                let found = diff::diff(p, &doc).unwrap_or_default();
                changes += found.len();
                for c in &found {
                    if !say(&format!("{} {}", stamp(start), c.line()))? {
                        return Ok(Exit::Ok);
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
        if stopped_while_waiting(cfg.interval).await {
            break;
        }
    }
    ending((rounds, changes), &last, local, targets.len(), &source)
}

/// Stores a round's reports in the history file, if there is one, and prunes it.
fn store_round(
    store: Option<&mut (crate::history::History, std::time::Duration)>,
    reports: &[TargetReport],
) -> Result<(), Failure> {
    if let Some((h, keep)) = store {
        for r in reports {
            h.record(r)
                .map_err(|e| Failure::cannot_run(format!("cannot write the history: {e}")))?;
        }
        h.prune(*keep)
            .map_err(|e| Failure::cannot_run(format!("cannot prune the history: {e}")))?;
    }
    Ok(())
}

/// The closing line and the exit: 3 when the last round could not run at all (a local
/// failure, or no root server answered), as a trace; 1 when something changed.
fn ending(
    (rounds, changes): (u32, usize),
    last: &[TargetReport],
    local: Option<ptrtrace_core::model::LocalKind>,
    count: usize,
    source: &str,
) -> Outcome {
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
    ))?;
    if let Some(kind) = local {
        return Err(crate::exit::local_failure(kind, count, count));
    }
    if !last.is_empty() && last.iter().all(|r| !r.diagnosis.root_reachable) {
        return Err(Failure::cannot_run(no_root_message(source)));
    }
    Ok(Exit::findings_if(changes > 0))
}
