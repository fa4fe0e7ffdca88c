//! The delegation graph as SVG, laid out by ptrtrace itself (no Graphviz at run time), for
//! serve's web page (docs/monitoring.md "The web page").
//!
//! The layout is layered, as the delegation is a tree walked top-down: one band per zone in
//! tree order (the root first, each child below its parent and indented by its depth), the
//! zone's box on the band's first line, its servers side by side below it, and each server's
//! addresses stacked under it. A line on the left joins each zone to its parent. Nothing
//! crosses, every band is as wide as its servers, and the picture of the same report is the
//! same every time. Colours are the DOT output's (report/dot.rs). Every address is a `<g>`
//! with `data-status` (`ok`, `lame`, `unreachable`, `flaky`, `inconsistent`, `bogus`,
//! `untested`) and a `<title>` holding its evidence, which browsers show as a tooltip.

use std::fmt::Write as _;

use super::TargetReport;
use crate::dnssec::validate::Security;
use crate::graph::{EdgeKind, Node, Status};

/// Width of one server's column.
const COL: f64 = 210.0;
/// Indent per level of depth.
const INDENT: f64 = 24.0;
/// Height of a zone's or a server's box, and of one address line.
const ROW: f64 = 26.0;
/// Gap between bands.
const GAP: f64 = 18.0;
/// Left margin, where the delegation lines run.
const LEFT: f64 = 16.0;

// Fill and border of a status, and of an address whose DNSSEC data fails: the DOT output's.
use super::dot::{DNSSEC_BOGUS as BOGUS, colours};

/// Text for XML: `&`, `<`, `>`, quotes escaped, control characters dropped.
#[must_use]
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' => {}
            c => out.push(c),
        }
    }
    out
}

/// The `data-status` word of an address: its status, or `bogus` for an address that answers
/// but whose DNSSEC data fails validation.
#[must_use]
pub fn address_status(status: Status, dnssec: Option<Security>) -> &'static str {
    match (status, dnssec) {
        (Status::Ok | Status::Untested, Some(Security::Bogus)) => "bogus",
        (s, _) => s.as_str(),
    }
}

/// One laid-out address: where, and what it shows.
struct Placed {
    x: f64,
    y: f64,
    status: &'static str,
    fill: &'static str,
    border: &'static str,
    label: String,
    title: String,
}

/// The report's delegation graph as one `<svg>` element, for inline use in HTML.
#[must_use]
pub fn render(r: &TargetReport) -> String {
    let g = &r.graph;
    let mut body = String::new();
    let mut y = GAP;
    let mut width: f64 = 400.0;
    // Each zone's box top, by depth: the delegation line runs from the parent's box down.
    let mut parent_at: Vec<f64> = Vec::new();
    for (zi, depth) in g.zones_in_order() {
        let Node::Zone { name, status, .. } = &g.graph[zi] else {
            continue;
        };
        let x = LEFT + INDENT * depth as f64;
        parent_at.truncate(depth);
        if let Some(py) = parent_at.last() {
            let px = x - INDENT + 8.0;
            let _ = writeln!(
                body,
                r##"<path class="delegation" d="M{px:.0},{:.0} V{:.0} H{x:.0}" fill="none" stroke="#1565c0" stroke-width="1.5"/>"##,
                py + ROW,
                y + ROW / 2.0
            );
        }
        parent_at.push(y);
        let (fill, border) = colours(*status);
        let zone_label = format!("{name} · {}", status.as_str());
        let _ = writeln!(
            body,
            r#"<g class="zone" data-zone="{}" data-status="{}"><rect x="{x:.0}" y="{y:.0}" width="{:.0}" height="{ROW}" rx="4" fill="{fill}" stroke="{border}"/><text x="{:.0}" y="{:.0}" font-weight="bold">{}</text></g>"#,
            esc(&name.to_string()),
            status.as_str(),
            (zone_label.len() as f64 * 7.2 + 16.0).max(COL - 10.0),
            x + 8.0,
            y + 17.0,
            esc(&zone_label)
        );
        y += ROW + 6.0;
        let servers = g.children(zi, EdgeKind::Nameserver);
        let mut deepest = y;
        for (i, si) in servers.iter().enumerate() {
            let Node::Server {
                name: sname,
                status: sstatus,
                ..
            } = &g.graph[*si]
            else {
                continue;
            };
            let sx = x + 12.0 + COL * i as f64;
            let (fill, border) = colours(*sstatus);
            let _ = writeln!(
                body,
                r#"<g class="server" data-status="{}"><rect x="{sx:.0}" y="{y:.0}" width="{:.0}" height="{ROW}" rx="10" fill="{fill}" stroke="{border}"/><text x="{:.0}" y="{:.0}">{}</text></g>"#,
                sstatus.as_str(),
                COL - 12.0,
                sx + 8.0,
                y + 17.0,
                esc(&sname.to_string())
            );
            let mut ay = y + ROW + 4.0;
            for ai in g.children(*si, EdgeKind::Address) {
                if let Some(p) = place(r, ai, sx + 10.0, ay) {
                    address(&mut body, &p);
                    ay += ROW + 4.0;
                }
            }
            deepest = deepest.max(ay);
            width = width.max(sx + COL + LEFT);
        }
        y = deepest.max(y + ROW) + GAP;
    }
    let legend_y = y;
    legend(&mut body, legend_y);
    let height = legend_y + 2.0 * ROW;
    let title = format!("Delegation of {} ({})", r.walk.reverse_name, r.walk.target);
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="delegation-graph" role="img" aria-labelledby="graph-title" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="sans-serif" font-size="12"><title id="graph-title">{}</title>
{body}</svg>
"#,
        esc(&title)
    )
}

/// Lays out one address: its label (address, what it answered, its reply time) and the
/// tooltip with its evidence.
fn place(r: &TargetReport, ai: petgraph::graph::NodeIndex, x: f64, y: f64) -> Option<Placed> {
    let Node::Address {
        zone,
        server,
        address,
        status,
        dnssec,
        probes,
        ..
    } = &r.graph.graph[ai]
    else {
        return None;
    };
    let word = address_status(*status, *dnssec);
    let (fill, border) = if word == "bogus" {
        BOGUS
    } else {
        colours(*status)
    };
    let sum = r.address_summary(probes);
    let mut title = format!("{server} {address} as a server of {zone}: {}", sum.outcome);
    if let Some(rtt) = sum.rtt_ms {
        let _ = write!(title, ", median {rtt:.1} ms");
    }
    if let Some(q) = &sum.question {
        let _ = write!(title, " ({q})");
    }
    if *dnssec == Some(Security::Bogus) {
        let reasons = r.dnssec_reasons(zone, server, *address);
        let _ = write!(title, "; DNSSEC bogus: {reasons}");
    }
    for f in r.diagnosis.findings.iter().filter(|f| {
        f.zone == *zone && f.server.as_ref() == Some(server) && f.address == Some(*address)
    }) {
        let _ = write!(title, "\n{}: {}", f.kind.as_str(), f.message);
    }
    Some(Placed {
        x,
        y,
        status: word,
        fill,
        border,
        label: fit(&format!("{address}  {}", first(&sum.outcome)), LABEL_CHARS),
        title,
    })
}

/// Characters of an address's label that fit its box (the tooltip has all of it).
const LABEL_CHARS: usize = 30;

/// The first of an outcome's parts (`PTR mail.example. 3/3`).
fn first(outcome: &str) -> &str {
    outcome.split(", ").next().unwrap_or(outcome)
}

/// `text` cut to `n` characters, with an ellipsis when cut.
fn fit(text: &str, n: usize) -> String {
    if text.chars().count() > n {
        let cut: String = text.chars().take(n - 1).collect();
        format!("{cut}…")
    } else {
        text.to_string()
    }
}

fn address(out: &mut String, p: &Placed) {
    let dash = if p.status == "untested" {
        r#" stroke-dasharray="4 3""#
    } else {
        ""
    };
    let _ = writeln!(
        out,
        r#"<g class="address" data-status="{}" tabindex="0"><title>{}</title><rect x="{:.0}" y="{:.0}" width="{:.0}" height="{ROW}" fill="{}" stroke="{}"{dash}/><text x="{:.0}" y="{:.0}">{}</text></g>"#,
        p.status,
        esc(&p.title),
        p.x,
        p.y,
        COL - 22.0,
        p.fill,
        p.border,
        p.x + 6.0,
        p.y + 17.0,
        esc(&p.label)
    );
}

/// The legend: one swatch per status.
fn legend(out: &mut String, y: f64) {
    let items = [
        (Status::Ok.as_str(), colours(Status::Ok)),
        (Status::Lame.as_str(), colours(Status::Lame)),
        (Status::Unreachable.as_str(), colours(Status::Unreachable)),
        (Status::Flaky.as_str(), colours(Status::Flaky)),
        (Status::Inconsistent.as_str(), colours(Status::Inconsistent)),
        ("bogus", BOGUS),
        (Status::Untested.as_str(), colours(Status::Untested)),
    ];
    let _ = writeln!(out, r#"<g class="legend">"#);
    for (i, (word, (fill, border))) in items.iter().enumerate() {
        let x = LEFT + 110.0 * i as f64;
        let _ = writeln!(
            out,
            r#"<rect x="{x:.0}" y="{y:.0}" width="14" height="14" fill="{fill}" stroke="{border}"/><text x="{:.0}" y="{:.0}">{word}</text>"#,
            x + 20.0,
            y + 12.0
        );
    }
    let _ = writeln!(out, "</g>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc(r#"<a href="x">&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn bogus_marks_an_answering_address() {
        assert_eq!(address_status(Status::Ok, Some(Security::Bogus)), "bogus");
        assert_eq!(address_status(Status::Lame, Some(Security::Bogus)), "lame");
        assert_eq!(address_status(Status::Ok, Some(Security::Secure)), "ok");
        assert_eq!(address_status(Status::Untested, None), "untested");
    }
}
