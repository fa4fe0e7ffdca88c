//! The human report: summary first, then the delegation as a tree with a mark on every
//! address, then each finding with its evidence and what to do.

use std::fmt::Write as _;

use hickory_proto::rr::Name;

use crate::diagnose::Severity;
use crate::dnssec::validate::Security;
use crate::graph::{EdgeKind, Node, Status};
use crate::model::finding::FindingKind;
use crate::report::TargetReport;

/// Colours on or off (on only for a terminal, and never with `NO_COLOR`).
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Emit ANSI colour codes.
    pub color: bool,
}

impl Style {
    pub(super) fn paint(self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

/// One summary line on DNSSEC: how many zones are secure, and what is not.
fn dnssec_line(d: &crate::diagnose::Diagnosis) -> Option<String> {
    let sec = d.dnssec.as_ref()?;
    let count = |s: Security| sec.zones.iter().filter(|z| z.status == s).count();
    // A secure zone with a bogus server address is counted apart: it fails the validating
    // resolvers that pick that address.
    let partly = sec
        .zones
        .iter()
        .filter(|z| {
            z.status == Security::Secure && z.servers.iter().any(|s| s.status == Security::Bogus)
        })
        .count();
    let partly_words = if partly > 0 {
        format!(" ({partly} of them bogus on some server addresses)")
    } else {
        String::new()
    };
    let mut line = format!(
        "DNSSEC: {} secure{partly_words}, {} insecure, {} bogus of {} zones (trust anchor: {})",
        count(Security::Secure),
        count(Security::Insecure),
        count(Security::Bogus),
        sec.zones.len(),
        sec.anchor
    );
    for z in &sec.zones {
        let bad = z
            .servers
            .iter()
            .filter(|s| s.status == Security::Bogus)
            .count();
        match z.status {
            Security::Bogus if !z.basis.starts_with("below") => {
                let _ = write!(line, "; {} bogus on every server", z.zone);
            }
            Security::Secure if bad > 0 => {
                let _ = write!(
                    line,
                    "; {} bogus on {bad} of {} server addresses",
                    z.zone,
                    z.servers.len()
                );
            }
            Security::Insecure if !z.basis.starts_with("below") => {
                let _ = write!(line, "; {} unsigned (chain ends here)", z.zone);
            }
            _ => {}
        }
    }
    Some(line)
}

/// A server whose answers fail DNSSEC fails validating resolvers: it gets the ✗ too.
fn sec_mark(status: Status, dnssec: Option<Security>) -> (&'static str, &'static str) {
    if dnssec == Some(Security::Bogus) {
        ("✗", "31")
    } else {
        mark(status)
    }
}

fn mark(status: Status) -> (&'static str, &'static str) {
    match status {
        Status::Ok => ("✓", "32"),
        Status::Inconsistent => ("≠", "35"),
        Status::Flaky => ("~", "33"),
        Status::Lame | Status::Unreachable => ("✗", "31"),
        Status::Untested => ("·", "2"),
    }
}

/// Renders one target: summary first, then the evidence (delegation tree, probe statistics,
/// forward confirmation), then the findings with what to do.
#[must_use]
pub fn render(r: &TargetReport, style: Style) -> String {
    let mut out = String::new();
    summary(&mut out, r, style);
    // A local failure (too many open files): what the walk saw is no evidence.
    if r.walk.local.is_some() {
        return out;
    }
    delegation(&mut out, r, style);
    probe_stats(&mut out, r, style);
    fcrdns(&mut out, r, style);
    findings(&mut out, r, style);
    out
}

/// The verdict line, then the problems in one line each, the untested, the lookup odds,
/// failing levels and DNSSEC: what a reader needs first.
fn summary(out: &mut String, r: &TargetReport, style: Style) {
    let d = &r.diagnosis;
    let verdict = d.verdict.as_str().to_uppercase();
    let vcol = match d.verdict {
        crate::diagnose::Verdict::Ok => "1;32",
        crate::diagnose::Verdict::Degraded => "1;33",
        crate::diagnose::Verdict::Broken => "1;31",
        crate::diagnose::Verdict::Unknown => "1;35",
    };
    let errors = d
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = d
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    let _ = writeln!(
        out,
        "{}  {}  {}",
        style.paint("1", &r.walk.target.to_string()),
        style.paint(vcol, &verdict),
        r.headline()
    );
    let _ = writeln!(
        out,
        "  {} error(s), {} warning(s) · reverse name {} · {} queries in {:.2} s",
        errors,
        warnings,
        r.walk.reverse_name,
        r.walk.queries_sent,
        r.walk.elapsed_ms as f64 / 1000.0
    );
    problem_lines(out, d, style);
    odds_line(out, d, style);
    for l in d.levels.iter().filter(|l| l.failing_servers > 0) {
        let _ = writeln!(
            out,
            "  {} {} of {} servers of {} fail ({} of {} addresses): {}",
            style.paint("33", "•"),
            l.failing_servers,
            l.servers,
            l.zone,
            l.failing_addresses,
            l.addresses,
            first_tries(l.first_try_failure)
        );
    }
    if let Some(line) = dnssec_line(d) {
        let _ = writeln!(out, "  {} {line}", style.paint("36", "•"));
    }
}

/// The problems in one line each, before the evidence (a symptom under its cause), and what
/// was not checked.
fn problem_lines(out: &mut String, d: &crate::diagnose::Diagnosis, style: Style) {
    let problems: Vec<&crate::diagnose::Finding> = d
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::Warning)
        .collect();
    for f in problems.iter().take(5) {
        if f.caused_by.is_some() {
            let _ = writeln!(out, "      ↳ {}", f.message);
        } else {
            let _ = writeln!(out, "  {} {}", style.paint("31", "•"), f.message);
        }
    }
    if problems.len() > 5 {
        let _ = writeln!(out, "  • … and {} more (see Findings)", problems.len() - 5);
    }
    for f in d
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::Untested)
    {
        let _ = writeln!(
            out,
            "  {} not checked: {}",
            style.paint("2", "·"),
            f.message
        );
    }
}

/// The lookup odds, when a lookup can go wrong.
fn odds_line(out: &mut String, d: &crate::diagnose::Diagnosis, style: Style) {
    let o = &d.odds;
    if o.first_try.correct < 0.999 && !d.ptr.is_empty() {
        // The worst server of the worst level that has one (odds.rs names a server only
        // where it does worse than another of its zone).
        let worst = o
            .levels
            .iter()
            .filter(|l| l.worst_server.is_some())
            .min_by(|a, b| a.first_try.correct.total_cmp(&b.first_try.correct))
            .and_then(|l| {
                l.worst_server
                    .as_ref()
                    .map(|s| format!(" (worst: {s} for {})", l.zone))
            })
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {} lookups: first try {} correct, {} wrong, {} fail{worst}; with retries {} correct, {} wrong, {} fail",
            style.paint("33", "•"),
            pct(o.first_try.correct),
            pct(o.first_try.wrong),
            pct(o.first_try.fail),
            pct(o.with_retries.correct),
            pct(o.with_retries.wrong),
            pct(o.with_retries.fail),
        );
    }
}

/// The delegation tree from the root: each zone, its servers and their addresses with
/// what each answered.
fn delegation(out: &mut String, r: &TargetReport, style: Style) {
    out.push('\n');
    let _ = writeln!(
        out,
        "Delegation from the root ({} ok  {} lame/unreachable/DNSSEC bogus  {} flaky  {} inconsistent  {} not queried)",
        style.paint("32", "✓"),
        style.paint("31", "✗"),
        style.paint("33", "~"),
        style.paint("35", "≠"),
        style.paint("2", "·"),
    );
    let g = &r.graph;
    for (zi, depth) in g.zones_in_order() {
        let indent = "  ".repeat(depth + 1);
        let Node::Zone {
            name,
            status,
            dnssec,
            ..
        } = &g.graph[zi]
        else {
            continue;
        };
        zone_line(out, r, style, (&indent, name, *status, *dnssec));
        for si in g.children(zi, EdgeKind::Nameserver) {
            let Node::Server {
                name,
                status,
                dnssec,
                ..
            } = &g.graph[si]
            else {
                continue;
            };
            let (m, c) = sec_mark(*status, *dnssec);
            let _ = writeln!(out, "{indent}    {} {name}", style.paint(c, m));
            for ai in g.children(si, EdgeKind::Address) {
                address_line(out, r, style, &indent, &g.graph[ai]);
            }
        }
    }
}

/// A zone's line in the tree: its mark, its name, its DNSSEC state, a note on its cut.
fn zone_line(
    out: &mut String,
    r: &TargetReport,
    style: Style,
    (indent, name, status, dnssec): (&str, &Name, Status, Option<Security>),
) {
    let (m, c) = mark(status);
    // A secure zone with bogus server addresses says how many.
    let bogus_at = r
        .diagnosis
        .dnssec
        .as_ref()
        .and_then(|x| x.zones.iter().find(|z| z.zone == *name))
        .map(|z| {
            let bad = z
                .servers
                .iter()
                .filter(|s| s.status == Security::Bogus)
                .count();
            (bad, z.servers.len())
        })
        .filter(|(bad, _)| *bad > 0);
    let sec = dnssec.map_or_else(String::new, |s| {
        let code = if s == Security::Bogus || bogus_at.is_some() {
            "31"
        } else {
            "2"
        };
        let words = match bogus_at {
            Some((bad, n)) if s == Security::Secure => {
                format!("DNSSEC secure, bogus on {bad} of {n} server addresses")
            }
            _ => format!("DNSSEC {}", s.as_str()),
        };
        format!("  {}", style.paint(code, &words))
    });
    let cut = r.cut_note(name).map_or_else(String::new, |n| {
        format!("  {}", style.paint("2", &format!("— {n}")))
    });
    let _ = writeln!(
        out,
        "{indent}{} {}{sec}{cut}",
        style.paint(c, m),
        style.paint("1", &name.to_string())
    );
}

/// An address's line in the tree: what it answered, its round-trip time and question, and
/// a DNSSEC failure beside the answer.
fn address_line(out: &mut String, r: &TargetReport, style: Style, indent: &str, node: &Node) {
    let Node::Address {
        zone,
        server,
        address,
        status,
        dnssec,
        probes,
        ..
    } = node
    else {
        return;
    };
    let (m, c) = sec_mark(*status, *dnssec);
    let sum = r.address_summary(probes);
    let rtt = sum
        .rtt_ms
        .map_or_else(String::new, |m| format!("  {m:.1} ms"));
    let asked = sum
        .question
        .map_or_else(String::new, |q| format!("  ({q})"));
    let summary = sum.outcome;
    let line = format!("{address:<22} {summary}{rtt}{asked}");
    let line = if *status == Status::Ok || *status == Status::Untested {
        line
    } else {
        style.paint(c, &line)
    };
    // Answers that fail DNSSEC are marked beside the answer they gave.
    let bogus = if *dnssec == Some(Security::Bogus) {
        let reasons = r.dnssec_reasons(zone, server, *address);
        format!(
            "  {}",
            style.paint("31", &format!("✗ DNSSEC bogus ({reasons})"))
        )
    } else {
        String::new()
    };
    let _ = writeln!(out, "{indent}        {} {line}{bogus}", style.paint(c, m));
}

/// Per-address probe statistics: sent, correct, wrong, lost, latency.
fn probe_stats(out: &mut String, r: &TargetReport, style: Style) {
    let d = &r.diagnosis;
    if !d.stats.is_empty() {
        out.push('\n');
        let _ = writeln!(
            out,
            "Probe statistics (sent/correct/wrong/lost; latency min/median/p95/max)"
        );
        let width = d
            .stats
            .iter()
            .map(|s| s.zone.to_string().len())
            .max()
            .unwrap_or(0);
        for s in &d.stats {
            let lost = if s.sent > 0 {
                s.lost as f64 / s.sent as f64
            } else {
                0.0
            };
            let rtt = s.rtt_ms.map_or_else(
                || "-".to_string(),
                |[a, b, c, d]| format!("{a:.1}/{b:.1}/{c:.1}/{d:.1} ms"),
            );
            let line = format!(
                "  {:<width$}  {:<26} {:<20} {:>3}/{}/{}/{}  {rtt}{}",
                s.zone.to_string(),
                s.server.to_string(),
                s.address.to_string(),
                s.sent,
                s.correct,
                s.wrong,
                s.lost,
                if s.lost > 0 {
                    format!("  ({} lost)", pct(lost))
                } else {
                    String::new()
                },
            );
            let bad = s.wrong > 0 || s.lost > 0;
            let _ = writeln!(out, "{}", if bad { style.paint("33", &line) } else { line });
        }
    }
}

/// The forward confirmation of each PTR name.
fn fcrdns(out: &mut String, r: &TargetReport, style: Style) {
    let d = &r.diagnosis;
    if !d.fcrdns.is_empty() {
        out.push('\n');
        let _ = writeln!(out, "Forward confirmation (FCrDNS)");
        for f in &d.fcrdns {
            let addrs: Vec<String> = f.addresses.iter().map(ToString::to_string).collect();
            let (m, c) = if f.confirmed {
                ("✓", "32")
            } else {
                ("✗", "31")
            };
            let (m, c) = if f.confirmed && !f.broken_by.is_empty() {
                ("~", "33")
            } else {
                (m, c)
            };
            let tail = if f.broken_by.is_empty() {
                String::new()
            } else {
                format!("  (not confirmed through {})", f.broken_by.join(", "))
            };
            let _ = writeln!(
                out,
                "  {} {} {} → {}{tail}",
                style.paint(c, m),
                f.name,
                f.qtype,
                if addrs.is_empty() {
                    "(none)".to_string()
                } else {
                    addrs.join(", ")
                }
            );
        }
    }
}

/// Every finding with its evidence, who runs the zone, and what to do.
fn findings(out: &mut String, r: &TargetReport, style: Style) {
    let d = &r.diagnosis;
    out.push('\n');
    if d.findings.is_empty() {
        let _ = writeln!(
            out,
            "No findings: every server of every zone answered every probe correctly."
        );
    } else {
        let _ = writeln!(out, "Findings");
    }
    for f in &d.findings {
        let (label, c) = severity_label(f.severity);
        let kind = kind_label(f);
        // A symptom hangs under its cause, indented, and says so.
        let (pad, arrow) = if f.caused_by.is_some() {
            ("    ", "↳ caused by the finding above: ")
        } else {
            ("", "")
        };
        let _ = writeln!(
            out,
            "{pad}  {arrow}{} {kind} · {}",
            style.paint(c, label),
            f.zone
        );
        let _ = writeln!(out, "{pad}    {}", f.message);
        for e in &f.evidence {
            let _ = writeln!(out, "{pad}    evidence: {e}");
        }
        let contact = |z: &hickory_proto::rr::Name| {
            d.contacts
                .get(z)
                .map_or_else(String::new, |c| format!(" (contact {c})"))
        };
        let mut who = format!("{pad}    zone {}{}", f.zone, contact(&f.zone));
        if let Some(zone) = r.walk.zones.get(&f.zone)
            && let Some(parent) = &zone.parent
        {
            let _ = write!(who, ", delegated by {parent}{}", contact(parent));
        }
        let _ = writeln!(out, "{who}");
        let _ = writeln!(out, "{pad}    what to do: {}", f.advice);
    }
}

/// A severity's word and colour: `ERROR` in bold red.
pub(super) fn severity_label(s: Severity) -> (&'static str, &'static str) {
    match s {
        Severity::Error => ("ERROR", "1;31"),
        Severity::Warning => ("WARNING", "1;33"),
        Severity::Info => ("INFO", "1;36"),
    }
}

/// A finding's kind with its reason: `lame (refused)`.
pub(super) fn kind_label(f: &crate::diagnose::Finding) -> String {
    match f.reason {
        Some(r) => format!("{} ({r})", f.kind),
        None => f.kind.to_string(),
    }
}

/// A share as a percentage: `33%`, `0.5%`.
fn pct(p: f64) -> String {
    let v = p * 100.0;
    // Below 0.05 % is rounding noise of the model: "0%", never "0.0%".
    if (0.05..1.0).contains(&v) {
        format!("{v:.1}%")
    } else {
        format!("{v:.0}%")
    }
}

/// The share of first tries that go wrong at a level, in words.
fn first_tries(p: f64) -> String {
    if p >= 0.999 {
        "every first try there goes wrong".into()
    } else {
        let w = super::share_words(p);
        let of = if w.ends_with('%') { " of" } else { "" };
        format!("{w}{of} first tries there go wrong")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn shares_in_words() {
        use crate::report::share_words;
        assert_eq!(share_words(1.0 / 3.0), "about 1 in 3");
        assert_eq!(share_words(0.5), "about 1 in 2");
        assert_eq!(share_words(1.0), "all");
        assert_eq!(share_words(0.137), "about 14%");
        assert_eq!(share_words(0.004), "under 1%");
        assert_eq!(
            super::first_tries(0.137),
            "about 14% of first tries there go wrong"
        );
    }
}
