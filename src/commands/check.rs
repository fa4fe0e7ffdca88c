//! `ptrtrace check ADDR…`: one status line in the monitoring-plugins format (Nagios,
//! Icinga, Zabbix, Sensu): `PTRTRACE STATUS - summary | perfdata`, and their exit codes
//! (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).

use std::fmt::Write as _;

use ptrtrace_core::diagnose::Verdict;
use ptrtrace_core::report::TargetReport;

use crate::cli::{TraceOpts, expand_targets};
use crate::exit::{Exit, Failure, Outcome, interrupted};
use crate::output::say;
use crate::run::{no_root_message, real_config, trace_all};

/// A monitoring-plugins status, worst last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// 0.
    Ok,
    /// 1.
    Warning,
    /// 2.
    Critical,
    /// 3: the check could not run.
    Unknown,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::Warning => "WARNING",
            Self::Critical => "CRITICAL",
            Self::Unknown => "UNKNOWN",
        }
    }

    fn exit(self) -> Exit {
        match self {
            Self::Ok => Exit::Ok,
            Self::Warning => Exit::Findings,
            Self::Critical => Exit::BadInput,
            Self::Unknown => Exit::CannotRun,
        }
    }
}

/// The `PTRTRACE UNKNOWN - …` line and exit 3 for anything that stops the check from
/// running (bad input included: to a monitoring host, 2 would mean the target is broken).
pub fn unknown(message: &str) -> Failure {
    let _ = say(&format!("PTRTRACE UNKNOWN - {message}"));
    Failure::quiet(Exit::CannotRun)
}

/// The share of a resolver's first tries that fail or go wrong, in percent.
fn first_try_bad(r: &TargetReport) -> f64 {
    (1.0 - r.diagnosis.odds.first_try.correct).clamp(0.0, 1.0) * 100.0
}

/// The status of one target: its verdict, raised by the first-try thresholds.
pub fn status_of(r: &TargetReport, warning: Option<f64>, critical: Option<f64>) -> Status {
    if !r.diagnosis.root_reachable {
        return Status::Unknown;
    }
    let by_verdict = match r.diagnosis.verdict {
        Verdict::Ok => Status::Ok,
        Verdict::Degraded => Status::Warning,
        Verdict::Broken => Status::Critical,
        // A local failure (too many open files): the check could not run.
        Verdict::Unknown => return Status::Unknown,
    };
    let bad = first_try_bad(r);
    // Above the threshold, as the monitoring-plugins guidelines read a bare number.
    let by_odds = if critical.is_some_and(|c| bad > c) {
        Status::Critical
    } else if warning.is_some_and(|w| bad > w) {
        Status::Warning
    } else {
        Status::Ok
    };
    by_verdict.max(by_odds)
}

/// The status line of `reports`.
pub fn line(
    reports: &[TargetReport],
    warning: Option<f64>,
    critical: Option<f64>,
) -> (Status, String) {
    let statuses: Vec<Status> = reports
        .iter()
        .map(|r| status_of(r, warning, critical))
        .collect();
    let worst = statuses.iter().copied().max().unwrap_or(Status::Unknown);
    // Summary: the worst targets first, each with its headline.
    let mut order: Vec<usize> = (0..reports.len()).collect();
    order.sort_by(|&a, &b| statuses[b].cmp(&statuses[a]).then(a.cmp(&b)));
    let parts: Vec<String> = order
        .iter()
        .map(|&i| {
            let r = &reports[i];
            format!(
                "{} {}: {}",
                r.target(),
                r.diagnosis.verdict.as_str(),
                r.headline()
            )
        })
        .collect();
    let mut perf = String::new();
    let threshold = |t: Option<f64>| t.map_or_else(String::new, |v| format!("{v}"));
    for r in reports {
        let label = r.target().to_string();
        // "U": no value (monitoring-plugins guidelines), for a target this host could not trace.
        let bad = if r.walk.local.is_some() {
            "U".to_string()
        } else {
            format!("{:.1}%", first_try_bad(r))
        };
        let _ = write!(
            perf,
            "'{label} first_try_bad'={bad};{};{};0;100 '{label} time'={:.3}s;;;0 '{label} queries'={};;;0 ",
            threshold(warning),
            threshold(critical),
            r.walk.elapsed_ms as f64 / 1000.0,
            r.walk.queries_sent
        );
    }
    // The plugin line is one line: newlines in a headline would break it.
    let summary = parts.join("; ").replace('\n', " ");
    (
        worst,
        format!(
            "PTRTRACE {} - {summary} | {}",
            worst.label(),
            perf.trim_end()
        ),
    )
}

/// `check`.
pub async fn run(
    raw: &[String],
    opts: &TraceOpts,
    warning: Option<f64>,
    critical: Option<f64>,
) -> Outcome {
    if let (Some(w), Some(c)) = (warning, critical)
        && w > c
    {
        return Err(unknown(&format!(
            "--warning {w} is above --critical {c}: the warning share must be the lower"
        )));
    }
    let targets = expand_targets(raw, opts.force, "check").map_err(|e| unknown(&e))?;
    let (cfg, source) = real_config(opts).map_err(|f| unknown(&f.message))?;
    let reports = trace_all(&targets, &cfg).await;
    if interrupted() {
        return Err(unknown("interrupted"));
    }
    if reports.iter().all(|r| !r.diagnosis.root_reachable) {
        return Err(unknown(&no_root_message(&source)));
    }
    let (status, text) = line(&reports, warning, critical);
    say(&text)?;
    Ok(status.exit())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    async fn report(name: &str) -> TargetReport {
        // The lab configuration's own timeout (the default, 2 s).
        crate::testing::lab_report(name, std::time::Duration::from_secs(2)).await
    }

    /// OK, WARNING, CRITICAL follow the verdict; the first-try thresholds raise it, never
    /// lower it; the line is one line with perfdata per target.
    #[tokio::test]
    async fn status_follows_verdict_and_thresholds() {
        let (ok, degraded, broken) = (
            report("healthy").await,
            report("servfail").await,
            report("nxdomain").await,
        );
        assert_eq!(status_of(&ok, None, None), Status::Ok);
        assert_eq!(status_of(&degraded, None, None), Status::Warning);
        assert_eq!(status_of(&broken, None, None), Status::Critical);
        // One server of three answers SERVFAIL: a third of first tries fail.
        let bad = first_try_bad(&degraded);
        assert!((30.0..40.0).contains(&bad), "{bad}");
        assert_eq!(status_of(&degraded, None, Some(30.0)), Status::Critical);
        assert_eq!(
            status_of(&degraded, Some(50.0), Some(90.0)),
            Status::Warning
        );
        assert_eq!(status_of(&ok, Some(0.0), Some(0.0)), Status::Ok);
        let (worst, text) = line(&[ok, degraded], Some(20.0), Some(50.0));
        assert_eq!(worst, Status::Warning);
        assert!(
            text.starts_with("PTRTRACE WARNING - 203.0.113.25 degraded"),
            "{text}"
        );
        assert!(!text.contains('\n'));
        let perf = text.split(" | ").nth(1).unwrap();
        assert!(perf.contains("'203.0.113.25 first_try_bad'="), "{perf}");
        assert!(perf.contains("%;20;50;0;100"), "{perf}");
        assert_eq!(perf.matches("first_try_bad").count(), 2);
    }
}
