//! What changed between two reports: `ptrtrace diff OLD.json NEW.json`, and each round of
//! `ptrtrace watch`. Works on the JSON documents (docs/json.md), so reports saved by any
//! version with the same `schema_version` compare.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

/// One difference.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Change {
    /// The target address.
    pub target: String,
    /// `verdict`, `ptr`, `finding_added`, `finding_removed`, `server_status`, `forward`,
    /// `target_added`, `target_removed`.
    pub kind: &'static str,
    /// What it concerns (a finding, a server address), empty for the target as a whole.
    pub subject: String,
    /// Before (empty when it did not exist).
    pub from: String,
    /// After (empty when it no longer exists).
    pub to: String,
}

impl Change {
    /// One line for people.
    #[must_use]
    pub fn line(&self) -> String {
        match self.kind {
            "finding_added" => format!("{}: + {}", self.target, self.subject),
            "finding_removed" => format!("{}: - {}", self.target, self.subject),
            "target_added" => format!("{}: new target ({})", self.target, self.to),
            "target_removed" => format!("{}: target gone (was {})", self.target, self.from),
            _ if self.subject.is_empty() => {
                format!("{}: {} {} → {}", self.target, self.kind, self.from, self.to)
            }
            _ => format!(
                "{}: {} {}: {} → {}",
                self.target, self.kind, self.subject, self.from, self.to
            ),
        }
    }
}

/// A report that cannot be compared.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DiffError(pub String);

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn finding_key(f: &Value) -> String {
    let mut k = s(&f["kind"]);
    if !f["reason"].is_null() {
        let _ = write!(k, " ({})", s(&f["reason"]));
    }
    let _ = write!(k, " · {}", s(&f["zone"]));
    if !f["server"].is_null() {
        let _ = write!(k, " {}", s(&f["server"]));
    }
    if !f["address"].is_null() {
        let _ = write!(k, " ({})", s(&f["address"]));
    }
    k
}

fn targets(doc: &Value, which: &str) -> Result<BTreeMap<String, Value>, DiffError> {
    // Version 2 changed JSONL lines only: the document's layout is version 1's.
    if doc["schema_version"] != 1 && doc["schema_version"] != 2 {
        return Err(DiffError(format!(
            "{which}: not a ptrtrace JSON report with schema_version 1 or 2"
        )));
    }
    let list = doc["targets"]
        .as_array()
        .ok_or_else(|| DiffError(format!("{which}: no \"targets\" array")))?;
    Ok(list.iter().map(|t| (s(&t["target"]), t.clone())).collect())
}

fn statuses(t: &Value) -> BTreeMap<String, String> {
    t["graph"]["nodes"]
        .as_array()
        .map(|nodes| {
            nodes
                .iter()
                .filter(|n| n["type"] == "address")
                .map(|n| {
                    (
                        format!(
                            "{} ({}) in {}",
                            s(&n["server"]),
                            s(&n["address"]),
                            s(&n["zone"])
                        ),
                        s(&n["status"]),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn set(v: &Value, f: impl Fn(&Value) -> String) -> BTreeSet<String> {
    v.as_array()
        .map(|a| a.iter().map(f).collect())
        .unwrap_or_default()
}

/// The differences between two JSON reports.
///
/// # Errors
/// When either document is not a ptrtrace report of schema version 1.
pub fn diff(old: &Value, new: &Value) -> Result<Vec<Change>, DiffError> {
    let (a, b) = (targets(old, "old report")?, targets(new, "new report")?);
    let mut out = Vec::new();
    for (target, ta) in &a {
        let Some(tb) = b.get(target) else {
            out.push(change(target, "target_removed", "", s(&ta["verdict"]), ""));
            continue;
        };
        if ta["verdict"] != tb["verdict"] {
            out.push(change(
                target,
                "verdict",
                "",
                s(&ta["verdict"]),
                s(&tb["verdict"]),
            ));
        }
        let (pa, pb) = (set(&ta["ptr"], s), set(&tb["ptr"], s));
        if pa != pb {
            let join = |x: &BTreeSet<String>| x.iter().cloned().collect::<Vec<_>>().join(", ");
            out.push(change(target, "ptr", "", join(&pa), join(&pb)));
        }
        forward_changes(target, ta, tb, &mut out);
        let key = |f: &Value| finding_key(f);
        let (ka, kb) = (set(&ta["findings"], key), set(&tb["findings"], key));
        for k in kb.difference(&ka) {
            out.push(change(target, "finding_added", k, "", ""));
        }
        for k in ka.difference(&kb) {
            out.push(change(target, "finding_removed", k, "", ""));
        }
        status_changes(target, ta, tb, &mut out);
    }
    for (target, tb) in &b {
        if !a.contains_key(target) {
            out.push(change(target, "target_added", "", "", s(&tb["verdict"])));
        }
    }
    Ok(out)
}

fn change(
    target: &str,
    kind: &'static str,
    subject: impl Into<String>,
    from: impl Into<String>,
    to: impl Into<String>,
) -> Change {
    Change {
        target: target.to_string(),
        kind,
        subject: subject.into(),
        from: from.into(),
        to: to.into(),
    }
}

/// `forward`: a PTR name whose addresses changed. A name without addresses on both sides (or
/// absent on one) is no change; an empty side reads "no address", never an empty string.
fn forward_changes(target: &str, ta: &Value, tb: &Value, out: &mut Vec<Change>) {
    let fwd = |t: &Value| -> BTreeMap<String, String> {
        t["fcrdns"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|f| {
                        let addrs = set(&f["addresses"], s)
                            .into_iter()
                            .collect::<Vec<_>>()
                            .join(", ");
                        (s(&f["name"]), addrs)
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let (fa, fb) = (fwd(ta), fwd(tb));
    let names: BTreeSet<&String> = fa.keys().chain(fb.keys()).collect();
    for name in names {
        let get = |m: &BTreeMap<String, String>| m.get(name).filter(|a| !a.is_empty()).cloned();
        let (from, to) = (get(&fa), get(&fb));
        if from != to {
            let words = |a: Option<String>| a.unwrap_or_else(|| "no address".to_string());
            out.push(change(target, "forward", name, words(from), words(to)));
        }
    }
}

/// `server_status`: each server address whose status changed, appeared or went.
fn status_changes(target: &str, ta: &Value, tb: &Value, out: &mut Vec<Change>) {
    let (sa, sb) = (statuses(ta), statuses(tb));
    for (addr, st) in &sb {
        match sa.get(addr) {
            Some(old) if old != st => {
                out.push(change(target, "server_status", addr, old, st));
            }
            None => out.push(change(target, "server_status", addr, "absent", st)),
            _ => {}
        }
    }
    for (addr, st) in &sa {
        if !sb.contains_key(addr) {
            out.push(change(target, "server_status", addr, st, "absent"));
        }
    }
}

/// The changes as JSON: `{"schema_version": 2, "changes": [...]}`.
///
/// # Errors
/// Never in practice.
pub fn render_json(changes: &[Change]) -> serde_json::Result<String> {
    serde_json::to_string_pretty(&serde_json::json!({
        "schema_version": crate::report::json::SCHEMA_VERSION,
        "changes": changes,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(verdict: &str, findings: Value, status: &str) -> Value {
        serde_json::json!({"schema_version": 1, "targets": [{
            "target": "203.0.113.25", "verdict": verdict, "ptr": ["mail.example."],
            "fcrdns": [{"name": "mail.example.", "addresses": ["203.0.113.25"]}],
            "findings": findings,
            "graph": {"nodes": [{"type": "address", "zone": "z.", "server": "ns3.", "address": "192.0.2.3", "status": status}]}
        }]})
    }

    #[test]
    fn finds_verdict_findings_and_status_changes() {
        let old = doc("ok", serde_json::json!([]), "ok");
        let new = doc(
            "degraded",
            serde_json::json!([{"kind": "unreachable", "reason": "timeout", "zone": "z.", "server": "ns3.", "address": "192.0.2.3"}]),
            "unreachable",
        );
        let c = diff(&old, &new).unwrap();
        let lines: Vec<String> = c.iter().map(Change::line).collect();
        assert_eq!(
            lines,
            [
                "203.0.113.25: verdict ok → degraded",
                "203.0.113.25: + unreachable (timeout) · z. ns3. (192.0.2.3)",
                "203.0.113.25: server_status ns3. (192.0.2.3) in z.: ok → unreachable",
            ]
        );
        assert!(diff(&old, &old).unwrap().is_empty());
        assert!(diff(&serde_json::json!({"schema_version": 3}), &old).is_err());
    }

    /// A PTR name that appears without addresses is no empty change; one that loses or gains
    /// its addresses says "no address", never an empty string.
    #[test]
    fn forward_changes_are_never_empty() {
        let with = |fcrdns: Value| {
            let mut d = doc("ok", serde_json::json!([]), "ok");
            d["targets"][0]["fcrdns"] = fcrdns;
            d
        };
        let none = with(serde_json::json!([]));
        let empty = with(serde_json::json!([{"name": "old-mail.example.", "addresses": []}]));
        assert!(diff(&none, &empty).unwrap().is_empty());
        assert!(diff(&empty, &none).unwrap().is_empty());
        let one =
            with(serde_json::json!([{"name": "old-mail.example.", "addresses": ["192.0.2.9"]}]));
        let lines = |a: &Value, b: &Value| -> Vec<String> {
            diff(a, b).unwrap().iter().map(Change::line).collect()
        };
        assert_eq!(
            lines(&empty, &one),
            ["203.0.113.25: forward old-mail.example.: no address → 192.0.2.9"]
        );
        assert_eq!(
            lines(&one, &none),
            ["203.0.113.25: forward old-mail.example.: 192.0.2.9 → no address"]
        );
    }
}
