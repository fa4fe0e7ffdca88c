//! The walker's main loop: the root installed from the hints, questions started and zones
//! entered, finished probes taken as they come, bounds applied.

use std::collections::{BTreeMap, HashSet};

use hickory_proto::rr::{Name, RecordType};

use super::{NsState, Walker};
use crate::model::finding::Limit;
use crate::model::{LimitHit, Purpose, QId, Question, Zone};

/// The zones met on the walk: each zone's servers and delegations, the state of each NS
/// name's address lookup, the (question, zone) pairs entered, and the zones whose SOA/NS,
/// DNSSEC and glue checks were scheduled.
#[derive(Default)]
pub(super) struct ZoneBook {
    pub(super) zones: BTreeMap<Name, Zone>,
    pub(super) ns_state: BTreeMap<Name, NsState>,
    pub(super) entered: HashSet<(QId, Name)>,
    pub(super) checked: HashSet<Name>,
    pub(super) dnssec_checked: HashSet<Name>,
    pub(super) glue_checked: HashSet<Name>,
}

impl Walker<'_> {
    pub(super) fn install_root(&mut self) {
        let mut ns = BTreeMap::new();
        for s in &self.cfg.hints.servers {
            ns.insert(s.name.clone(), s.addresses.iter().copied().collect());
        }
        self.book.zones.insert(
            Name::root(),
            Zone {
                name: Name::root(),
                parent: None,
                ns,
                delegations: Vec::new(),
                found_inside: Vec::new(),
            },
        );
    }

    pub(super) fn limit(&mut self, limit: Limit, detail: String) {
        self.limits.insert(LimitHit {
            limit,
            detail,
            question: self.current,
        });
    }

    pub(super) async fn run(&mut self, mut cancel: Option<tokio::sync::watch::Receiver<bool>>) {
        let deadline = tokio::time::Instant::now() + self.cfg.deadline;
        let cancelled = async {
            match cancel.as_mut() {
                Some(rx) => {
                    let _ = rx.wait_for(|stop| *stop).await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::pin!(cancelled);
        loop {
            tokio::select! {
                () = &mut cancelled => {
                    self.current = None;
                    let left = self.pending.len();
                    self.limit(
                Limit::Interrupted,
                        format!("interrupted with {left} probes unfinished"),
                    );
                    break;
                }
                done = self.pending.join_next() => match done {
                    Some(Ok(done)) => {
                        self.on_done(done);
                        // A local failure makes every further probe meaningless: stop.
                        if self.local.is_some() {
                            self.pending.abort_all();
                            break;
                        }
                    }
                    // A probe task cannot panic (misbehaviour is data); if one did, its probe
                    // is lost, not the trace.
                    Some(Err(_)) => {}
                    None => break,
                },
                () = tokio::time::sleep_until(deadline) => {
                    self.current = None;
                    let left = self.pending.len();
                    self.limit(
                Limit::Deadline,
                        format!(
                            "the trace deadline of {:?} passed with {left} probes unfinished",
                            self.cfg.deadline
                        ),
                    );
                    break;
                }
            }
        }
    }

    /// Opens a question (or returns the existing one) and enters the closest known zone.
    pub(super) fn start_question(
        &mut self,
        name: Name,
        qtype: RecordType,
        purpose: Purpose,
        nesting: u8,
        cname_depth: usize,
        origin: Option<QId>,
    ) -> QId {
        let key = (name.clone(), qtype);
        if let Some(&q) = self.qindex.get(&key) {
            return q;
        }
        let id = self.questions.len();
        self.chains
            .entry(origin.unwrap_or(id))
            .or_default()
            .push(id);
        self.questions.push(Question {
            name: name.clone(),
            qtype,
            purpose,
            origin: origin.unwrap_or(id),
            cname_depth,
            nesting,
            zones: Vec::new(),
        });
        self.qindex.insert(key, id);
        // Closest enclosing zone whose servers are already known (RFC 1034 §5.3.3 step 2).
        // A DS RRset lives in the parent: its question starts above the name (RFC 4035
        // §3.1.4.1), or the child's servers would answer NODATA from their apex.
        let is_ds = qtype == RecordType::DS && !name.is_root();
        // A zone's own apex checks start at the zone once its servers are known: a zone found
        // inside its parent's servers (a hidden cut) was never entered by a referral.
        let apex = matches!(&self.questions[id].purpose, Purpose::ZoneCheck { zone } if *zone == name)
            && self.book.zones.get(&name).is_some_and(|z| !z.ns.is_empty());
        let start = if apex {
            name.clone()
        } else {
            self.book
                .zones
                .keys()
                .filter(|z| !(is_ds && **z == name))
                .filter(|z| z.zone_of(&name) && self.book.entered.iter().any(|(_, e)| e == *z))
                .max_by_key(|z| z.num_labels())
                .cloned()
                .unwrap_or_else(Name::root)
        };
        self.enter(id, &start);
        id
    }

    pub(super) fn enter(&mut self, q: QId, zone: &Name) {
        self.current = Some(q);
        if !self.book.entered.insert((q, zone.clone())) {
            return;
        }
        if self.questions[q].zones.len() >= self.cfg.max_depth {
            let name = self.questions[q].name.clone();
            self.limit(
                Limit::Depth,
                format!(
                    "{name}: more than {} zone cuts; {zone} not queried",
                    self.cfg.max_depth
                ),
            );
            return;
        }
        // Zones found hidden between the previous zone of the path and this one were crossed
        // too: a referral from their servers skipped them.
        if let Some(last) = self.questions[q].zones.last().cloned() {
            for hidden in self.hidden_between(&last, zone) {
                if !self.questions[q].zones.contains(&hidden) {
                    self.questions[q].zones.push(hidden);
                }
            }
        }
        if !self.questions[q].zones.contains(zone) {
            self.questions[q].zones.push(zone.clone());
        }
        // Zones on a path to an answer get the full checks; zones visited only to find an
        // NS name's address are probed, but not checked further (that would multiply the
        // cost of every glueless delegation by every TLD's servers).
        if self.on_path(q) && self.book.checked.insert(zone.clone()) {
            self.zone_checks(zone);
        }
        let ns: Vec<Name> = self
            .book
            .zones
            .get(zone)
            .map(|z| z.ns.keys().cloned().collect())
            .unwrap_or_default();
        for server in ns {
            self.schedule_ns(q, zone, &server);
        }
    }

    /// True for the questions of a path to an answer: the target's chain, forward names, HELO.
    pub(super) fn on_path(&self, q: QId) -> bool {
        matches!(
            self.questions[self.questions[q].origin].purpose,
            Purpose::Target | Purpose::Cname { .. } | Purpose::Forward { .. } | Purpose::Helo
        )
    }
}
