//! Text for many targets (README "Batches"): one line per address, then every problem once.
//!
//! A line is `ADDRESS VERDICT RECEIVER PTR FIX`, address first so that `grep` finds it: the
//! verdict, what a receiving mail server answers (docs/findings.md "What a receiver
//! answers"), the first PTR name (`-` when none) and the server to fix, as the headline names
//! it (without one, the first problem's kind and zone; `-` when none). After the last line, each problem (a finding's kind and reason at one
//! zone, server and address) once, with the number of targets it touches, one target's
//! message and evidence, and the advice. The per-target report of [`super::text`] is for one
//! target, or `--tree`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::IpAddr;

use hickory_proto::rr::Name;

use super::TargetReport;
use super::text::Style;
use crate::diagnose::{Finding, Severity, Verdict};
use crate::model::finding::{FindingKind, Reason};

/// What makes two findings of two targets the same problem.
type ProblemKey = (
    Name,
    FindingKind,
    Option<Reason>,
    Option<Name>,
    Option<IpAddr>,
);

/// A batch's table and the problems seen so far.
#[derive(Debug)]
pub struct Table {
    width: usize,
    style: Style,
    /// Per problem: its first finding, the target it came from, and the targets it touches.
    problems: BTreeMap<ProblemKey, (Finding, IpAddr, usize)>,
    lines: usize,
}

impl Table {
    /// A table whose addresses take `width` columns (15 for IPv4, 39 with IPv6).
    #[must_use]
    pub fn new(width: usize, style: Style) -> Self {
        Self {
            width,
            style,
            problems: BTreeMap::new(),
            lines: 0,
        }
    }

    /// The line of one target (with the column heads before the first), and its problems
    /// remembered for [`Self::finish`].
    pub fn line(&mut self, r: &TargetReport) -> String {
        let d = &r.diagnosis;
        for f in d
            .findings
            .iter()
            .filter(|f| f.severity >= Severity::Warning)
        {
            let key = (
                f.zone.clone(),
                f.kind,
                f.reason,
                f.server.clone(),
                f.address,
            );
            self.problems
                .entry(key)
                .or_insert_with(|| (f.clone(), r.target(), 0))
                .2 += 1;
        }
        let mut out = String::new();
        if self.lines == 0 {
            let _ = writeln!(
                out,
                "# {:<w$}  {:<8}  {:<19}  {:<30}  server to fix",
                "address",
                "verdict",
                "receiver",
                "ptr",
                w = self.width.saturating_sub(2)
            );
        }
        self.lines += 1;
        let colour = match d.verdict {
            Verdict::Ok => "32",
            Verdict::Degraded => "33",
            Verdict::Broken => "31",
            Verdict::Unknown => "35",
        };
        let verdict = format!("{:<8}", d.verdict.as_str());
        let ptr = d
            .ptr
            .first()
            .map_or_else(|| "-".to_string(), ToString::to_string);
        let fix = match d.verdict {
            Verdict::Unknown => d
                .findings
                .first()
                .map_or_else(|| "-".to_string(), |f| format!("this host: {}", f.message)),
            // Without a server to name, the first problem and its zone.
            _ => r
                .culprit_words()
                .or_else(|| {
                    d.findings
                        .iter()
                        .find(super::headline::candidates)
                        .map(|f| match f.reason {
                            Some(reason) => format!("{} ({reason}) in {}", f.kind, f.zone),
                            None => format!("{} in {}", f.kind, f.zone),
                        })
                })
                .unwrap_or_else(|| "-".to_string()),
        };
        let _ = writeln!(
            out,
            "{:<w$}  {}  {:<19}  {:<30}  {fix}",
            r.target().to_string(),
            self.style.paint(colour, &verdict),
            d.receiver.as_str(),
            ptr,
            w = self.width
        );
        out
    }

    /// Every problem once, errors first, then the ones touching the most targets.
    #[must_use]
    pub fn finish(&self) -> String {
        let mut out = String::new();
        if self.problems.is_empty() {
            return out;
        }
        let mut all: Vec<&(Finding, IpAddr, usize)> = self.problems.values().collect();
        all.sort_by(|a, b| {
            b.0.severity
                .cmp(&a.0.severity)
                .then(b.2.cmp(&a.2))
                .then_with(|| a.0.zone.cmp(&b.0.zone))
        });
        let _ = writeln!(
            out,
            "\nProblems ({}), each once, with the targets it touches:",
            all.len()
        );
        for (f, example, count) in all {
            let (label, c) = super::text::severity_label(f.severity);
            let kind = super::text::kind_label(f);
            let who = match (&f.server, f.address) {
                (Some(s), Some(a)) => format!(" · {s} ({a})"),
                (Some(s), None) => format!(" · {s}"),
                _ => String::new(),
            };
            let targets = if *count == 1 {
                format!("1 target ({example})")
            } else {
                format!("{count} targets, e.g. {example}")
            };
            let _ = writeln!(
                out,
                "  {} {kind} · {}{who} · {targets}",
                self.style.paint(c, label),
                f.zone
            );
            let _ = writeln!(out, "    {}", f.message);
            for e in f.evidence.iter().take(3) {
                let _ = writeln!(out, "    evidence: {e}");
            }
            let _ = writeln!(out, "    what to do: {}", f.advice);
        }
        out
    }
}
