//! `ptrtrace history ADDR --format svg`: loss and median reply time per server address over
//! time, with every status change marked. Servers that failed in some round come first, each
//! in a colour of its own and a thick line; the ones ok in every round are thin grey lines,
//! one legend entry for them all. Plain SVG 1.1, no script, no external resource.

use std::fmt::Write as _;

use super::{ServerHistory, ServerRound, stories, utc};

const W: f64 = 900.0;
const PANEL: f64 = 180.0;
const LEFT: f64 = 70.0;
const TOP: f64 = 50.0;
const GAP: f64 = 60.0;
/// The thin line of a server address that was ok in every round.
const OK_GREY: &str = "#c8c8c8";
/// One colour per failing server address (they are few; the healthy ones are grey).
const COLOURS: &[&str] = &[
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
    "#7f7f7f", "#bcbd22",
];

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The two panels' frames and axes: loss above, median reply time below, from the first
/// round `t0` to the last `t1`.
fn panels(out: &mut String, (t0, t1): (f64, f64), plot_w: f64, max_rtt: f64) {
    for (i, (name, top)) in [("loss", TOP), ("median reply (ms)", TOP + PANEL + GAP)]
        .into_iter()
        .enumerate()
    {
        let _ = writeln!(
            out,
            r##"<rect x="{LEFT}" y="{top}" width="{plot_w}" height="{PANEL}" fill="none" stroke="#999"/><text x="{LEFT}" y="{}">{name}</text>"##,
            top - 5.0
        );
        // The time axis: the first and the last round.
        let _ = writeln!(
            out,
            r##"<text x="{LEFT}" y="{}" fill="#555">{}</text><text x="{}" y="{}" fill="#555" text-anchor="end">{}</text>"##,
            top + PANEL + 14.0,
            utc(t0),
            LEFT + plot_w,
            top + PANEL + 14.0,
            utc(t1)
        );
        let top_label = if i == 0 {
            "100%".to_string()
        } else {
            format!("{max_rtt:.1}")
        };
        let _ = writeln!(
            out,
            r#"<text x="{}" y="{}" text-anchor="end">{top_label}</text><text x="{}" y="{}" text-anchor="end">0</text>"#,
            LEFT - 4.0,
            top + 10.0,
            LEFT - 4.0,
            top + PANEL
        );
    }
}

/// A server's status changes after its first sighting: a dashed line and the new status,
/// in its colour, staggered by its index `i`.
fn changes(
    out: &mut String,
    s: &ServerHistory,
    (colour, i): (&str, usize),
    (x, plot_w): (&dyn Fn(f64) -> f64, f64),
) {
    // Status changes after the first sighting: a dashed line and the new status.
    for c in s.changes.iter().filter(|c| c.from.is_some()) {
        let cx = x(c.at);
        // Near the right edge the label goes to the left of its line, not past the edge.
        let (lx, anchor) = if cx > LEFT + plot_w - 120.0 {
            (cx - 3.0, "end")
        } else {
            (cx + 3.0, "start")
        };
        let _ = writeln!(
            out,
            r#"<line class="change" x1="{cx:.1}" y1="{TOP}" x2="{cx:.1}" y2="{}" stroke="{colour}" stroke-dasharray="4 3"/><text x="{lx:.1}" y="{}" fill="{colour}" text-anchor="{anchor}">{}</text>"#,
            TOP + 2.0 * PANEL + GAP,
            TOP + 12.0 + 14.0 * (i % 8) as f64,
            esc(&c.to)
        );
    }
}

/// The picture of `rows` (one target's server rounds) titled `title`.
#[must_use]
pub fn svg(title: &str, rows: &[ServerRound]) -> String {
    let mut servers = stories(rows);
    // Failing servers first (most failing rounds first), then the healthy ones.
    servers.sort_by_key(|s| std::cmp::Reverse(s.failing));
    let failing = servers.iter().filter(|s| s.failing > 0).count();
    let legend_h = 18.0 * (failing + 1) as f64;
    let h = TOP + 2.0 * PANEL + GAP + 40.0 + legend_h;
    let (t0, t1) = rows
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), r| (a.min(r.at), b.max(r.at)));
    let span = if t1 > t0 { t1 - t0 } else { 1.0 };
    let plot_w = W - LEFT - 20.0;
    let x = |t: f64| LEFT + (t - t0) / span * plot_w;
    let max_rtt = rows.iter().filter_map(|r| r.rtt_ms).fold(1.0_f64, f64::max);
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{h}" viewBox="0 0 {W} {h}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(out, r#"<rect width="{W}" height="{h}" fill="white"/>"#);
    let _ = writeln!(
        out,
        r#"<text x="{LEFT}" y="20" font-size="15">{}</text>"#,
        esc(title)
    );
    panels(&mut out, (t0, t1), plot_w, max_rtt);
    for (i, s) in servers.iter().enumerate() {
        let bad = s.failing > 0;
        let (colour, width) = if bad {
            (COLOURS[i % COLOURS.len()], 3.0)
        } else {
            (OK_GREY, 1.0)
        };
        let mine: Vec<&ServerRound> = rows
            .iter()
            .filter(|r| r.zone == s.zone && r.server == s.server && r.address == s.address)
            .collect();
        let loss: Vec<String> = mine
            .iter()
            .filter(|r| r.sent > 0)
            .map(|r| {
                let y = TOP + PANEL - (r.lost as f64 / r.sent as f64) * PANEL;
                format!("{:.1},{y:.1}", x(r.at))
            })
            .collect();
        let rtt: Vec<String> = mine
            .iter()
            .filter_map(|r| {
                r.rtt_ms.map(|ms| {
                    let y = TOP + 2.0 * PANEL + GAP - ms / max_rtt * PANEL;
                    format!("{:.1},{y:.1}", x(r.at))
                })
            })
            .collect();
        for pts in [loss, rtt] {
            if !pts.is_empty() {
                let _ = writeln!(
                    out,
                    r#"<polyline class="series" data-failing="{bad}" fill="none" stroke="{colour}" stroke-width="{width}" points="{}"/>"#,
                    pts.join(" ")
                );
            }
        }
        changes(&mut out, s, (colour, i), (&x, plot_w));
        if bad {
            let ly = TOP + 2.0 * PANEL + GAP + 30.0 + 18.0 * i as f64;
            let _ = writeln!(
                out,
                r#"<rect x="{LEFT}" y="{}" width="12" height="4" fill="{colour}"/><text x="{}" y="{ly}">{} ({}) in {} — not ok in {} of {} rounds</text>"#,
                ly - 6.0,
                LEFT + 18.0,
                esc(&s.server),
                esc(&s.address),
                esc(&s.zone),
                s.failing,
                s.rounds
            );
        }
    }
    let healthy = servers.len() - failing;
    if healthy > 0 {
        let ly = TOP + 2.0 * PANEL + GAP + 30.0 + 18.0 * failing as f64;
        let _ = writeln!(
            out,
            r##"<rect x="{LEFT}" y="{}" width="12" height="2" fill="{OK_GREY}"/><text x="{}" y="{ly}" fill="#555">{healthy} server addresses ok in every round</text>"##,
            ly - 6.0,
            LEFT + 18.0
        );
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(at: f64, server: &str, status: &str) -> ServerRound {
        ServerRound {
            at,
            zone: "113.0.203.in-addr.arpa.".into(),
            server: server.into(),
            address: format!("198.51.100.{}", server.len()),
            status: status.into(),
            sent: 3,
            lost: if status == "ok" { 0 } else { 3 },
            rtt_ms: (status == "ok").then_some(1.0),
        }
    }

    /// A server that fails stands out: listed first, its own colour and a thick line; the
    /// healthy ones are thin grey lines under one legend entry; a change at the right edge is
    /// labelled to the left of its line, inside the picture.
    #[test]
    fn failing_servers_stand_out() {
        let mut rows = Vec::new();
        for (i, t) in [0.0, 100.0, 200.0].iter().enumerate() {
            rows.push(round(*t, "ns1.isp.example.", "ok"));
            rows.push(round(*t, "ns22.isp.example.", "ok"));
            let late = if i == 2 { "unreachable" } else { "ok" };
            rows.push(round(*t, "ns3.isp.example.", late));
        }
        let svg = svg("t", &rows);
        let bad: Vec<&str> = svg
            .lines()
            .filter(|l| l.contains(r#"data-failing="true""#))
            .collect();
        assert!(!bad.is_empty() && bad.iter().all(|l| l.contains(r#"stroke-width="3""#)));
        assert!(bad.iter().all(|l| !l.contains(OK_GREY)));
        let good = svg
            .lines()
            .filter(|l| l.contains(r#"data-failing="false""#));
        assert!(good.clone().count() >= 2 && good.clone().all(|l| l.contains(OK_GREY)));
        assert!(svg.contains(
            "ns3.isp.example. (198.51.100.16) in 113.0.203.in-addr.arpa. — not ok in 1 of 3 rounds"
        ));
        assert!(svg.contains("2 server addresses ok in every round"));
        assert!(
            svg.contains(r#"text-anchor="end">unreachable</text>"#),
            "{svg}"
        );
    }
}
