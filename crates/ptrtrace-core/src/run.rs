//! Running a batch, the one orchestration every command shares (the trace command, `watch`,
//! `check`, `serve`, the benchmarks): the walk (`trace`), then each target's report
//! (`report`). This module sits above both (docs/architecture.md, layer 8).
//!
//! A batch whose targets are judged while the walk goes on: the walk runs on the caller's task,
//! each finished target's diagnosis, DNSSEC validation and graph on judge threads, and the
//! reports come back to the caller in the batch's order.
//!
//! Judging a target costs about as much CPU as walking it (docs/benchmarks.md, "Where a batch's
//! time goes"); done in the walk's own task, one core does both and the others idle.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, mpsc};

use crate::dnssec::validate::Validator;
use crate::model::Walk;
use crate::report::TargetReport;
use crate::trace::{self, Event, Session};

/// Judge threads: one per core the host offers beyond the walk's, at least one, at most eight.
#[must_use]
pub fn judge_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .clamp(1, 8)
}

/// How a batch runs: its configuration, the targets walked together (`chunk`), where its
/// progress goes, what stops it, and the validator its reports share.
pub struct Batch<'a> {
    /// The run's configuration.
    pub cfg: &'a Session,
    /// Targets walked together in one chunk.
    pub chunk: usize,
    /// Progress events, for a bar.
    pub events: Option<tokio::sync::mpsc::UnboundedSender<Event>>,
    /// Turns true to stop (Ctrl-C, the reader gone).
    pub cancel: Option<tokio::sync::watch::Receiver<bool>>,
    /// The clock and remembered verifications of DNSSEC validation.
    pub validator: Arc<Validator>,
}

impl<'a> Batch<'a> {
    /// A batch of `cfg` in chunks of `chunk`, without progress or a stop, validating now.
    #[must_use]
    pub fn new(cfg: &'a Session, chunk: usize) -> Self {
        Self {
            cfg,
            chunk,
            events: None,
            cancel: None,
            validator: Arc::new(Validator::now()),
        }
    }
}

/// [`trace::trace_batch`], with each target judged ([`TargetReport::judged`]) on one of
/// [`judge_threads`] threads sharing `validator`. `sink` gets the reports on the caller's task,
/// in the order the batch finished the targets: during the batch's own hand-over of finished
/// targets, and the rest at the end. At most two walks per judge wait in the queue; the walk
/// hands the next one over only when there is room, emitting finished reports meanwhile, so
/// memory stays bounded by the judges' number, not by the chunk.
pub async fn judged_batch(
    targets: impl IntoIterator<Item = IpAddr>,
    batch: Batch<'_>,
    mut sink: impl FnMut(TargetReport),
) {
    let Batch {
        cfg,
        chunk,
        events,
        cancel,
        validator,
    } = batch;
    let threads = judge_threads();
    let (walk_tx, walk_rx) = mpsc::sync_channel::<(u64, Walk)>(2 * threads);
    let walk_rx = Arc::new(Mutex::new(walk_rx));
    let (report_tx, report_rx) = mpsc::channel::<(u64, TargetReport)>();
    let judges: Vec<std::thread::JoinHandle<()>> = (0..threads)
        .filter_map(|i| {
            let (rx, tx, validator) = (
                Arc::clone(&walk_rx),
                report_tx.clone(),
                Arc::clone(&validator),
            );
            std::thread::Builder::new()
                .name(format!("ptrtrace-judge-{i}"))
                .spawn(move || {
                    loop {
                        // The lock is held only while waiting for the next walk.
                        let next = rx.lock().map(|r| r.recv());
                        let Ok(Ok((seq, walk))) = next else { break };
                        if tx
                            .send((seq, TargetReport::judged(walk, &validator)))
                            .is_err()
                        {
                            break;
                        }
                    }
                })
                .ok()
        })
        .collect();
    drop(report_tx);
    if judges.is_empty() {
        // No thread could be started: judge in the walk's task, as a plain batch does.
        drop(walk_rx);
        trace::trace_batch(targets, cfg, chunk, events, cancel, |walk| {
            sink(TargetReport::judged(walk, &validator));
        })
        .await;
        return;
    }
    let mut pipe = Pipe {
        walk_tx: Some(walk_tx),
        report_rx,
        held: BTreeMap::new(),
        next: 0,
        seq: 0,
    };
    trace::trace_batch(targets, cfg, chunk, events, cancel, |walk| {
        pipe.push(walk, &mut sink);
    })
    .await;
    // No more walks: the judges finish the queue and stop.
    pipe.walk_tx = None;
    while let Ok(item) = pipe.report_rx.recv() {
        pipe.deliver(item, &mut sink);
    }
    // Only a judge's panic leaves a gap; what was judged is still delivered, then it is raised.
    for (_, r) in std::mem::take(&mut pipe.held) {
        sink(r);
    }
    for j in judges {
        if let Err(panic) = j.join() {
            std::panic::resume_unwind(panic);
        }
    }
}

/// The walk's end of the judges' queue, and the reports not yet delivered in order.
struct Pipe {
    walk_tx: Option<mpsc::SyncSender<(u64, Walk)>>,
    report_rx: mpsc::Receiver<(u64, TargetReport)>,
    held: BTreeMap<u64, TargetReport>,
    next: u64,
    seq: u64,
}

impl Pipe {
    /// Queues `walk` for a judge; while the queue is full, waits for a judged report (one is
    /// being made: the queue is full) and delivers it.
    fn push(&mut self, walk: Walk, sink: &mut impl FnMut(TargetReport)) {
        while let Ok(item) = self.report_rx.try_recv() {
            self.deliver(item, sink);
        }
        let Some(tx) = self.walk_tx.clone() else {
            return;
        };
        let mut item = (self.seq, walk);
        self.seq += 1;
        loop {
            match tx.try_send(item) {
                Ok(()) => return,
                Err(mpsc::TrySendError::Full(back)) => {
                    item = back;
                    match self.report_rx.recv() {
                        Ok(r) => self.deliver(r, sink),
                        // Every judge is gone (a panic, raised at the end).
                        Err(_) => return,
                    }
                }
                Err(mpsc::TrySendError::Disconnected(_)) => return,
            }
        }
    }

    /// Delivers `item` and every report after it that is ready, in order.
    fn deliver(&mut self, (seq, report): (u64, TargetReport), sink: &mut impl FnMut(TargetReport)) {
        self.held.insert(seq, report);
        while let Some(r) = self.held.remove(&self.next) {
            sink(r);
            self.next += 1;
        }
    }
}
