//! Helpers for the binary's unit tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use ptrtrace_core::report::TargetReport;

/// The report of lab scenario `name`'s target, traced over the lab's real sockets with a
/// per-attempt `timeout`.
pub async fn lab_report(name: &str, timeout: Duration) -> TargetReport {
    let s = ptrtrace_lab::scenarios()
        .into_iter()
        .find(|s| s.name == name)
        .unwrap();
    let running = ptrtrace_lab::start(&s).await.unwrap();
    let mut cfg = running.config();
    cfg.timeout = timeout;
    let target = s.target.parse().unwrap();
    TargetReport::new(ptrtrace_core::trace::trace(target, &cfg, None).await)
}
