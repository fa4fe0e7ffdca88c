//! `ptrtrace ADDR…`: trace addresses, prefixes and files against the real root (or
//! `--root-hints`), streaming each target's report, with a closing summary for batches.

use std::net::IpAddr;

use hickory_proto::rr::Name;
use ptrtrace_core::diagnose::{Severity, Verdict};
use ptrtrace_core::model::FindingKind;
use ptrtrace_core::report::TargetReport;
use ptrtrace_core::run::Batch;

use crate::cli::{Format, OutputOpts, TraceOpts};
use crate::exit::{Exit, Failure, Outcome, interrupted, stop_on_ctrl_c};
use crate::output::{self, Out, Renderer};
use crate::run::{no_root_message, real_config, trace_all};

/// A server address blamed by a finding: (NS name, address, zone, finding kind).
type Blamed = (Name, IpAddr, Name, FindingKind);

/// Batch bookkeeping for the closing summary: targets by verdict, and the servers that
/// affect the most targets.
#[derive(Default)]
struct Tally {
    verdicts: std::collections::BTreeMap<&'static str, usize>,
    servers: std::collections::BTreeMap<Blamed, usize>,
    root_unreachable: bool,
    /// Targets a local failure left unknown (too many open files), and the first kind.
    local: Option<(ptrtrace_core::model::LocalKind, usize)>,
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
        if let Some(l) = &r.walk.local {
            self.local.get_or_insert((l.kind, 0)).1 += 1;
        }
        let mut seen = std::collections::BTreeSet::new();
        for f in &r.diagnosis.findings {
            if f.severity < Severity::Warning {
                continue;
            }
            if let (Some(server), Some(addr)) = (&f.server, f.address) {
                let key = (server.clone(), addr, f.zone.clone(), f.kind);
                if seen.insert(key.clone()) {
                    *self.servers.entry(key).or_insert(0) += 1;
                }
            }
        }
    }

    /// The exit of a run with `bad` target entries, roots from `source`: interrupted, bad
    /// input, a local failure, no root, findings or ok.
    fn outcome(&self, bad: usize, source: &str) -> Outcome {
        if interrupted() {
            return Err(Failure::interrupted());
        }
        // Both problems are reported when both happened; bad input decides the exit code.
        let root_message = no_root_message(source);
        if bad > 0 {
            if self.root_unreachable {
                eprintln!("ptrtrace: {root_message}");
            }
            return Err(Failure::bad_input(format!(
                "{} target entries were not valid (see above)",
                bad
            )));
        }
        if let Some((kind, failed)) = self.local {
            return Err(crate::exit::local_failure(kind, failed, self.count));
        }
        if self.root_unreachable {
            return Err(Failure::cannot_run(root_message));
        }
        Ok(if self.all_ok {
            Exit::Ok
        } else {
            Exit::Findings
        })
    }

    /// The verdicts' counts, and (`servers`) the servers touching the most targets (the
    /// table lists every problem with its count already).
    fn summary(&self, servers: bool) -> String {
        let verdicts: Vec<String> = ["ok", "degraded", "broken", "unknown"]
            .iter()
            .filter(|v| **v != "unknown" || self.verdicts.contains_key(*v))
            .map(|v| format!("{} {v}", self.verdicts.get(v).copied().unwrap_or(0)))
            .collect();
        let mut out = format!(
            "\nSummary: {} targets — {}\n",
            self.count,
            verdicts.join(", ")
        );
        let mut worst: Vec<(&Blamed, &usize)> = self.servers.iter().collect();
        worst.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        if servers && !worst.is_empty() {
            out.push_str("Servers affecting the most targets:\n");
            for ((server, addr, zone, kind), n) in worst.into_iter().take(10) {
                let kind = kind.as_str();
                out.push_str(&format!(
                    "  {n:>6} targets  {kind:<20} {server} ({addr}) in {zone}\n"
                ));
            }
        }
        out
    }
}

/// The targets of the command line (and the files and stdin it names); each bad entry is
/// named on stderr. Bad input when no target is left.
fn parse_targets(
    raw_targets: &[String],
    opts: &TraceOpts,
) -> Result<
    (
        ptrtrace_core::targets::Targets,
        Vec<ptrtrace_core::targets::BadTarget>,
    ),
    Failure,
> {
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
            return Err(Failure::bad_input(
                "no target to trace: the files or stdin held none",
            ));
        }
        // Every entry was bad, and each was named above.
        return Err(Failure::quiet(Exit::BadInput));
    }
    Ok((targets, bad))
}

/// `ptrtrace ADDR…`.
pub async fn run(raw_targets: &[String], opts: &TraceOpts, out_opts: &OutputOpts) -> Outcome {
    if raw_targets.is_empty() {
        return Err(Failure::bad_input(
            "no address given; try `ptrtrace 203.0.113.25`, or `ptrtrace lab run` for the offline demo (see --help)",
        ));
    }
    let (targets, bad) = parse_targets(raw_targets, opts)?;
    let (cfg, source) = real_config(opts)?;
    let mut out = Out::open(out_opts.output.as_deref())?;
    let mut render = Renderer::new(out_opts, &source)?;
    let count = targets.len();
    let tabled = count > 1 && {
        let width = if targets.iter().any(|t| t.is_ipv6()) {
            39
        } else {
            15
        };
        render.batch(out_opts, width)
    };
    let mut tally = Tally::default();
    let mut failed: Option<Failure> = None;
    let mut emit_one = |r: TargetReport, out: &mut Out| {
        tally.add(&r);
        if let Err(f) = render.target(r, None).and_then(|piece| out.write(&piece)) {
            failed.get_or_insert(f);
        }
    };
    if count > ptrtrace_core::targets::MAX_PREFIX_SIZE && cfg.rounds > 1 {
        return Err(Failure::bad_input(format!(
            "--rounds traces every target at once, and {count} targets are more than {}: trace fewer, or drop --rounds",
            ptrtrace_core::targets::MAX_PREFIX_SIZE
        )));
    }
    if count == 1 || cfg.rounds > 1 {
        let all: Vec<IpAddr> = targets.iter().collect();
        for r in trace_all(&all, &cfg).await {
            emit_one(r, &mut out);
        }
    } else {
        let (bar, events) = match output::BatchBar::start(u64::try_from(count).unwrap_or(u64::MAX))
        {
            Some((b, tx)) => (Some(b), Some(tx)),
            None => (None, None),
        };
        let (stop_rx, watcher, stop_now) = stop_on_ctrl_c();
        let mut cfg = cfg;
        if cfg.spread.is_some() {
            cfg.spread = Some(std::sync::Arc::new(targets.population()));
        }
        let batch = Batch {
            events,
            cancel: Some(stop_rx),
            ..Batch::new(&cfg, usize::from(opts.concurrency))
        };
        ptrtrace_core::run::judged_batch(targets.iter(), batch, |r| {
            match &bar {
                Some(b) => {
                    b.target_done();
                    b.suspend(|| emit_one(r, &mut out));
                }
                None => emit_one(r, &mut out),
            }
            // The reader of stdout is gone (`| head`): stop the batch now.
            if out.is_closed() {
                let _ = stop_now.send(true);
            }
        })
        .await;
        watcher.abort();
        if let Some(b) = bar {
            b.finish();
        }
    }
    if let Some(f) = failed {
        return Err(f);
    }
    out.write(&render.finish()?)?;
    if out_opts.format == Format::Text && tally.count > 1 {
        out.write(&tally.summary(!tabled))?;
    }
    tally.outcome(bad.len(), &source)
}
