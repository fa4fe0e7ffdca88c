//! What every command that traces shares: the configuration of a run against real servers
//! (or `--root-hints`), tracing a few targets at once with a progress bar and Ctrl-C, and the
//! words for a root that never answered. The trace command, `watch`, `check` and `serve` run
//! through here; batches run through the engine's `ptrtrace_core::run`.

use std::net::IpAddr;

use ptrtrace_core::dnssec::TrustAnchors;
use ptrtrace_core::dnssec::validate::Validator;
use ptrtrace_core::net::AddressMap;
use ptrtrace_core::report::TargetReport;
use ptrtrace_core::trace::{self, Session};

use crate::cli::TraceOpts;
use crate::exit::{Failure, stop_on_ctrl_c};
use crate::output;

/// The configuration of a trace against real servers (or `--root-hints`): the hints, the
/// options and the trust anchors, and the hints' source for reports.
pub fn real_config(opts: &TraceOpts) -> Result<(Session, String), Failure> {
    let hints = opts.hints().map_err(Failure::bad_input)?;
    let source = hints.source.clone();
    let mut cfg = opts.config(hints, AddressMap::direct(opts.port));
    // The IANA keys were not chosen for a root given with --root-hints: when it has none of
    // them it is a private root, and DNSSEC is not judged (validate/summary.rs).
    let mut default = TrustAnchors::builtin();
    default.assumed = opts.root_hints.is_some();
    cfg.dnssec = opts.anchors(default).map_err(Failure::bad_input)?;
    // Spread probing on: each batch sets its own population of targets (empty, nothing
    // would be spread).
    if !opts.no_spread {
        cfg.spread = Some(std::sync::Arc::default());
    }
    Ok((cfg.into(), source))
}

/// Traces every target concurrently. Ctrl-C stops them all; what they gathered is kept.
pub async fn trace_all(targets: &[IpAddr], cfg: &Session) -> Vec<TargetReport> {
    let (tx, bar) = output::progress();
    let (stop_rx, watcher, _) = stop_on_ctrl_c();
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
    // One validator for the batch: the clock is read once, and the zones the targets share
    // have their signatures verified once.
    let validator = Validator::now();
    walks
        .into_iter()
        .map(|w| TargetReport::judged(w, &validator))
        .collect()
}

/// What a trace or `watch` says when no root server answered (exit 3).
pub fn no_root_message(source: &str) -> String {
    format!(
        "no root server from {source} answered: the trace could not run (check the network or the hints)"
    )
}
