//! Cause first (docs/findings.md "Cause first"): which finding is a symptom of which, and
//! the order that puts every symptom right after its cause.

use std::collections::BTreeSet;
use std::net::IpAddr;

use hickory_proto::rr::Name;

use super::Finding;
use crate::model::finding::{Cause, FindingKind};
use crate::model::{ProbeKind, ReplyClass, Walk};

/// The cause of a PTR name's failed forward confirmation when only the odd server out of a
/// zone on the reverse path gives that name (an old copy): its `inconsistent_answer`, which
/// consistency.rs made before this runs. Then the name is a symptom, and the fix is the
/// server, not an address record for the name.
pub(super) fn odd_source(walk: &Walk, pname: &Name, findings: &[Finding]) -> Option<Cause> {
    let chain = walk.chain(0);
    let givers: BTreeSet<(&Name, &Name, IpAddr)> = walk
        .probes
        .iter()
        .filter(|p| chain.contains(&p.question) && p.kind == ProbeKind::Standard)
        .filter(|p| match &p.class {
            ReplyClass::Answer { data } => data.iter().any(|d| d.ptr() == Some(pname)),
            _ => false,
        })
        .map(|p| (&p.zone, &p.server, p.address))
        .collect();
    findings
        .iter()
        .find(|f| {
            f.kind == FindingKind::InconsistentAnswer
                && f.server.is_some()
                && !givers.is_empty()
                && givers.iter().all(|(z, s, a)| {
                    **z == f.zone
                        && f.server.as_ref() == Some(*s)
                        && f.address.is_none_or(|fa| fa == *a)
                })
        })
        .map(Cause::of)
}

/// Cause first (docs/findings.md "Cause first"): a finding explained by another comes right
/// after its cause, whatever its severity or kind; one whose cause is not among the findings
/// stays where it is, and its `caused_by` is dropped.
pub(super) fn cause_first(findings: &mut Vec<Finding>) {
    let all: Vec<Finding> = findings.clone();
    for f in findings.iter_mut() {
        let cause = f.caused_by.take();
        f.caused_by = cause.filter(|c| !c.is(f) && all.iter().any(|g| c.is(g)));
    }
    let mut left: Vec<Option<Finding>> = findings.drain(..).map(Some).collect();
    let mut out: Vec<Finding> = Vec::new();
    // Roots in their order, each followed by its effects (and theirs), depth first.
    let mut stack: Vec<Finding> = Vec::new();
    for i in 0..left.len() {
        if left[i].as_ref().is_some_and(|f| f.caused_by.is_none()) {
            stack.extend(left[i].take());
        }
        while let Some(f) = stack.pop() {
            let mut effects: Vec<Finding> = left
                .iter_mut()
                .filter(|e| {
                    e.as_ref()
                        .and_then(|e| e.caused_by.as_ref())
                        .is_some_and(|c| c.is(&f))
                })
                .filter_map(Option::take)
                .collect();
            effects.reverse();
            out.push(f);
            stack.extend(effects);
        }
    }
    // A cycle of causes (none is a root): kept in order, links dropped.
    out.extend(left.into_iter().flatten().map(|mut f| {
        f.caused_by = None;
        f
    }));
    *findings = out;
}
