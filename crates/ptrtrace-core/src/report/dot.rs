//! The delegation graph as Graphviz DOT: zones as clusters, NS names and their addresses as
//! nodes coloured by status, delegation edges between zones, the question at the top and the
//! answers at the bottom, and a legend. Built from the same [`TraceGraph`] as the JSON.
//!
//! Render with `dot -Tsvg trace.dot > trace.svg`. Every lab scenario is rendered by the real
//! `dot` in the tests, which fail on any Graphviz warning.

use std::fmt::Write as _;

use crate::diagnose::Verdict;
use crate::dnssec::validate::Security;
use crate::graph::{EdgeKind, Node, Status, TraceGraph};
use crate::model::Purpose;
use crate::report::TargetReport;

/// Fill and border of an address whose DNSSEC data fails: it answers, but validating
/// resolvers that pick it fail.
pub(super) const DNSSEC_BOGUS: (&str, &str) = ("#ffd8b0", "#c62828");

/// Fill and border colours of a status.
pub(super) fn colours(status: Status) -> (&'static str, &'static str) {
    match status {
        Status::Ok => ("#d9f2d9", "#2e7d32"),
        Status::Inconsistent => ("#ead9f5", "#7b1fa2"),
        Status::Flaky => ("#fff2b3", "#b28704"),
        Status::Lame => ("#f9d0d0", "#c62828"),
        Status::Unreachable => ("#e0e0e0", "#c62828"),
        Status::Untested => ("#ffffff", "#9e9e9e"),
    }
}

/// A DOT double-quoted string: backslashes and quotes escaped, newlines as `\n` (centred).
fn q(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn zone_role(r: &TargetReport, zone: &hickory_proto::rr::Name) -> &'static str {
    let mut role = "";
    for q in &r.walk.questions {
        if !q.zones.contains(zone) {
            continue;
        }
        match r.walk.questions[q.origin].purpose {
            Purpose::Target => return "reverse path",
            Purpose::Forward { .. } | Purpose::Helo => role = "forward (FCrDNS)",
            _ if role.is_empty() => role = "NS name lookup",
            _ => {}
        }
    }
    role
}

/// The graph's header: its name and title, and the default styles.
fn head(out: &mut String, strict: &str, name: &str, title: &str) {
    let _ = writeln!(out, "{strict}digraph {} {{", q(name));
    let _ = writeln!(
        out,
        "  graph [label={}, labelloc=t, fontname=\"Helvetica\", fontsize=14, compound=true, newrank=true, nodesep=0.25, ranksep=0.45];",
        q(title)
    );
    out.push_str("  node [fontname=\"Helvetica\", fontsize=10, style=filled];\n");
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=9, color=\"#555555\"];\n");
}

/// Renders one target's graph as a DOT digraph.
#[must_use]
pub fn render(r: &TargetReport) -> String {
    let d = &r.diagnosis;
    let mut out = String::new();
    let title = format!(
        "ptrtrace {} · {} · {}",
        r.walk.target,
        d.verdict.as_str().to_uppercase(),
        r.headline()
    );
    head(&mut out, "", &format!("ptrtrace {}", r.walk.target), &title);
    body(&mut out, r, "", &|_: &str| true);
    legend(&mut out, d.dnssec.is_some());
    out
}

/// Renders several targets as one document (`dot -Tsvg` draws one picture): one strict
/// digraph, each target's question in a cluster of its own with its verdict, its answer
/// beside it; zones, servers and addresses the targets share are drawn once (same node
/// names), each zone's cluster from the target that saw it worst ([`worst_views`]: a server
/// lame, flaky or holding an old copy for one target of a batch shows so), and a delegation
/// edge once.
#[must_use]
pub fn render_many(reports: &[&TargetReport]) -> String {
    let mut out = String::new();
    let title = format!("ptrtrace · {} targets", reports.len());
    head(&mut out, "strict ", "ptrtrace", &title);
    let drawn_by = worst_views(reports);
    for (i, r) in reports.iter().enumerate() {
        let own = format!(":{}", r.walk.target);
        let _ = writeln!(
            out,
            "  subgraph {} {{\n    label={}; style=rounded; color=\"#1565c0\";\n    {};\n  }}",
            q(&format!("cluster_target{own}")),
            q(&format!(
                "{} · {}",
                r.walk.target,
                r.diagnosis.verdict.as_str().to_uppercase()
            )),
            q(&format!("question{own}"))
        );
        body(&mut out, r, &own, &|zone: &str| {
            drawn_by.get(zone) == Some(&i)
        });
    }
    legend(
        &mut out,
        reports.iter().any(|r| r.diagnosis.dnssec.is_some()),
    );
    out
}

/// One zone's cluster: the zone, its servers and their addresses. Records in `bottom` the
/// cluster's lowest node.
fn zone_cluster(
    out: &mut String,
    r: &TargetReport,
    zi: petgraph::graph::NodeIndex,
    bottom: &mut std::collections::BTreeMap<String, String>,
) {
    let g: &TraceGraph = &r.graph;
    let Node::Zone {
        id,
        name,
        status,
        dnssec,
    } = &g.graph[zi]
    else {
        return;
    };
    let (_, border) = colours(*status);
    let role = match dnssec {
        Some(sec) => format!("{} · DNSSEC {}", zone_role(r, name), sec.as_str()),
        None => zone_role(r, name).to_string(),
    };
    let role = match r.cut_note(name) {
        Some(n) => format!("{role}\n{n}"),
        None => role,
    };
    let _ = writeln!(out, "  subgraph {} {{", q(&format!("cluster_{id}")));
    let _ = writeln!(
        out,
        "    label={}; style=rounded; color={}; penwidth={}; fontsize=11;",
        q(&format!("{name} · {role}")),
        q(border),
        if *status == Status::Ok { "1" } else { "2.5" }
    );
    let (fill, _) = colours(*status);
    let _ = writeln!(
        out,
        "    {} [shape=folder, fillcolor={}, color={}, label={}];",
        q(id),
        q(fill),
        q(border),
        q(&match dnssec {
            Some(sec) => format!("{name}\n{}\nDNSSEC {}", status.as_str(), sec.as_str()),
            None => format!("{name}\n{}", status.as_str()),
        })
    );
    bottom.insert(id.clone(), id.clone());
    for si in g.children(zi, EdgeKind::Nameserver) {
        let Node::Server {
            id: sid,
            name: sname,
            status: sstatus,
            ..
        } = &g.graph[si]
        else {
            continue;
        };
        let (fill, border) = colours(*sstatus);
        let _ = writeln!(
            out,
            "    {} [shape=box, style=\"rounded,filled\", fillcolor={}, color={}, label={}];",
            q(sid),
            q(fill),
            q(border),
            q(&sname.to_string())
        );
        let _ = writeln!(out, "    {} -> {} [arrowhead=none];", q(id), q(sid));
        for ai in g.children(si, EdgeKind::Address) {
            if let Some(aid) = address_node(out, r, ai) {
                let _ = writeln!(out, "    {} -> {} [arrowhead=none];", q(sid), q(&aid));
                bottom.insert(id.clone(), aid);
            }
        }
    }
    out.push_str("  }\n");
}

/// One address's node: what it answered, its round-trip time, its DNSSEC failure. Returns
/// its id.
fn address_node(
    out: &mut String,
    r: &TargetReport,
    ai: petgraph::graph::NodeIndex,
) -> Option<String> {
    let Node::Address {
        id: aid,
        zone: azone,
        server: aserver,
        address,
        status: astatus,
        dnssec: asec,
        probes,
    } = &r.graph.graph[ai]
    else {
        return None;
    };
    let (mut fill, mut border) = colours(*astatus);
    let sum = r.address_summary(probes);
    let mut label = format!("{address}\n{}", sum.outcome);
    if let Some(rtt) = sum.rtt_ms {
        let _ = write!(label, "\n{rtt:.1} ms");
    }
    // A server whose signatures fail is marked even when it answers.
    if *asec == Some(Security::Bogus) {
        let reasons = r.dnssec_reasons(azone, aserver, *address);
        let _ = write!(label, "\nDNSSEC bogus: {reasons}");
        (fill, border) = DNSSEC_BOGUS;
    }
    let style = if *astatus == Status::Untested {
        "\"dashed,filled\""
    } else {
        "filled"
    };
    let _ = writeln!(
        out,
        "    {} [shape=ellipse, style={style}, fillcolor={}, color={}, label={}];",
        q(aid),
        q(fill),
        q(border),
        q(&label)
    );
    Some(aid.clone())
}

/// How bad a state looks in a picture: untested least (another target may have tested it),
/// then ok, inconsistent, flaky, lame, unreachable, and bogus signatures worst.
fn badness(status: Status, dnssec: Option<Security>) -> u8 {
    if dnssec == Some(Security::Bogus) {
        return 6;
    }
    match status {
        Status::Untested => 0,
        Status::Ok => 1,
        Status::Inconsistent => 2,
        Status::Flaky => 3,
        Status::Lame => 4,
        Status::Unreachable => 5,
    }
}

/// For each zone's node id, the index of the report that saw the zone worst: the highest
/// badness of the zone or any of its addresses, the first such report on a tie.
fn worst_views(reports: &[&TargetReport]) -> std::collections::BTreeMap<String, usize> {
    let mut worst: std::collections::BTreeMap<String, (u8, usize)> = Default::default();
    for (i, r) in reports.iter().enumerate() {
        let g = &r.graph;
        for (zi, _) in g.zones_in_order() {
            let Node::Zone { id, status, .. } = &g.graph[zi] else {
                continue;
            };
            let mut bad = badness(*status, None);
            for si in g.children(zi, EdgeKind::Nameserver) {
                for ai in g.children(si, EdgeKind::Address) {
                    if let Node::Address { status, dnssec, .. } = &g.graph[ai] {
                        bad = bad.max(badness(*status, *dnssec));
                    }
                }
            }
            let seen = worst.entry(id.clone()).or_insert((bad, i));
            if bad > seen.0 {
                *seen = (bad, i);
            }
        }
    }
    worst.into_iter().map(|(id, (_, i))| (id, i)).collect()
}

/// Everything of one target's graph but the header and the legend: its question and answer
/// are the nodes `question{own}` and `answer{own}`; `draws(zone id)` says whether this target
/// draws that zone's cluster (`render_many` draws each once).
fn body(out: &mut String, r: &TargetReport, own: &str, draws: &dyn Fn(&str) -> bool) {
    let g: &TraceGraph = &r.graph;
    let d = &r.diagnosis;
    let question = q(&format!("question{own}"));
    let answer_id = q(&format!("answer{own}"));
    // The question.
    let _ = writeln!(
        out,
        "  {question} [shape=note, fillcolor=\"#e3f2fd\", label={}];",
        q(&format!("{}\n{} PTR", r.walk.target, r.walk.reverse_name))
    );

    // The lowest node of each zone's cluster: delegation edges leave from it (with ltail, so
    // they are drawn from the cluster's border) and child clusters stack below their parent.
    let mut bottom: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
    for (zi, _) in g.zones_in_order() {
        let mine = matches!(&g.graph[zi], Node::Zone { id, .. } if draws(id));
        if mine {
            zone_cluster(out, r, zi, &mut bottom);
        } else {
            // Drawn by another target: only its lowest node, for this target's edges.
            zone_cluster(&mut String::new(), r, zi, &mut bottom);
        }
    }

    // Delegations between zones, the question into the root, answers out of the last zones.
    let (_, edges) = g.export();
    for (from, to, kind) in &edges {
        if *kind == EdgeKind::Delegation {
            let tail = bottom.get(from).unwrap_or(from);
            let _ = writeln!(
                out,
                "  {} -> {} [ltail={}, label=\"delegates\", penwidth=1.6, color=\"#1565c0\"];",
                q(tail),
                q(to),
                q(&format!("cluster_{from}"))
            );
        }
    }
    let _ = writeln!(out, "  {question} -> \"zone:.\" [color=\"#1565c0\"];");
    let answer_fill = match d.verdict {
        Verdict::Ok => colours(Status::Ok).0,
        Verdict::Degraded => colours(Status::Flaky).0,
        Verdict::Broken => colours(Status::Lame).0,
        Verdict::Unknown => colours(Status::Untested).0,
    };
    let mut answer = if d.ptr.is_empty() {
        "no PTR".to_string()
    } else {
        d.ptr
            .iter()
            .map(|p| format!("PTR {p}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    for f in &d.fcrdns {
        let mark = if f.confirmed { "✓" } else { "✗" };
        let addrs: Vec<String> = f.addresses.iter().map(ToString::to_string).collect();
        let _ = write!(
            answer,
            "\n{mark} {} {} → {}",
            f.name,
            f.qtype,
            if addrs.is_empty() {
                "(none)".to_string()
            } else {
                addrs.join(", ")
            }
        );
    }
    let _ = writeln!(
        out,
        "  {answer_id} [shape=doubleoctagon, fillcolor={}, label={}];",
        q(answer_fill),
        q(&answer)
    );
    let last = r
        .walk
        .questions
        .iter()
        .rev()
        .filter(|x| x.origin == 0)
        .find_map(|x| x.zones.last());
    if let Some(z) = last {
        let id = format!("zone:{z}");
        let tail = bottom.get(&id).unwrap_or(&id);
        let _ = writeln!(
            out,
            "  {} -> {answer_id} [ltail={}, color=\"#1565c0\"];",
            q(tail),
            q(&format!("cluster_{id}"))
        );
    }
}

/// The legend of the colours, and the end of the graph.
fn legend(out: &mut String, dnssec: bool) {
    out.push_str("  subgraph cluster_legend {\n    label=\"status\"; style=rounded; color=\"#9e9e9e\"; fontsize=10;\n");
    let all = [
        Status::Ok,
        Status::Flaky,
        Status::Lame,
        Status::Unreachable,
        Status::Inconsistent,
        Status::Untested,
    ];
    for s in all {
        let (fill, border) = colours(s);
        let _ = writeln!(
            out,
            "    {} [shape=box, fontsize=9, fillcolor={}, color={}, label={}];",
            q(&format!("legend:{}", s.as_str())),
            q(fill),
            q(border),
            q(s.as_str())
        );
    }
    if dnssec {
        let _ = writeln!(
            out,
            "    \"legend:dnssec_bogus\" [shape=box, fontsize=9, fillcolor={}, color={}, label=\"DNSSEC bogus\"];\n    \"legend:untested\" -> \"legend:dnssec_bogus\" [style=invis];",
            q(DNSSEC_BOGUS.0),
            q(DNSSEC_BOGUS.1)
        );
    }
    for w in all.windows(2) {
        let _ = writeln!(
            out,
            "    {} -> {} [style=invis];",
            q(&format!("legend:{}", w[0].as_str())),
            q(&format!("legend:{}", w[1].as_str()))
        );
    }
    out.push_str("  }\n}\n");
}
