//! Zone cuts a referral or answer skipped (every root server also serves `arpa.`; an ISP's
//! servers hold a /16 and its /24s): found by the RRSIG signer or SOA owner of a reply, or by
//! asking SOA label by label at the same servers (RFC 9156 §2.3), and entered as zones.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;

use hickory_proto::op::Message;
use hickory_proto::rr::{Name, RecordType};

use super::{Job, MAX_CUT_CANDIDATES, Walker, classify};
use crate::model::{CutSeen, Purpose, QId, Question, Zone};

/// The hidden-cut search: the cut-check question of each candidate name (not in the
/// walker's question index: a cut check is not the zone check of the same name and type),
/// and the (candidate name, server address) pairs already asked whether the name is a cut.
#[derive(Default)]
pub(super) struct CutBook {
    pub(super) index: HashMap<Name, QId>,
    pub(super) asked: HashSet<(Name, IpAddr)>,
}

impl Walker<'_> {
    /// Looks for the zone cuts a reply skipped (docs/design.md "The walk", step 3; RFC 9156 §2.3):
    /// a server asked as a server of `job.zone` that refers to, or answers for, a name below
    /// it may also serve a zone in between, or at the name itself (every real root server
    /// serves `arpa.` and refers straight to `in-addr.arpa.`; an ISP's servers may hold a zone
    /// at one address's own name). The reply's own evidence says where to look: an RRSIG's
    /// signer, or a negative answer's SOA owner, names the zone that answered (nothing to find
    /// when it is the zone asked; any name down to the one asked when it is deeper). Without
    /// evidence, only names more than one label down have cuts in between to look for (unsigned, or
    /// `--no-dnssec`) every name in between is a candidate, the shallowest
    /// [`MAX_CUT_CANDIDATES`] first. Each candidate is asked once per address
    /// ([`Purpose::CutCheck`]). DS answers come from the parent side of a cut and are judged
    /// by their signer (dnssec::validate), so they are not used here.
    pub(super) fn seek_cuts(&mut self, job: &Job, below: &Name, msg: &Message) {
        let zone = &job.zone;
        if !zone.zone_of(below) {
            return;
        }
        // With evidence, the signer may be any name down to `below` itself — one label below
        // the zone asked included (a zone at the target's own name on the same servers).
        // Without it, only the names strictly between are candidates.
        let (deepest, bounded) = match classify::reply_zone(msg) {
            Some(z) if z == *zone => return,
            Some(z) if zone.zone_of(&z) && z.zone_of(below) => (z, false),
            _ if below.num_labels() <= zone.num_labels() + 1 => return,
            _ => (below.base_name(), true),
        };
        let mut candidates = Vec::new();
        let mut n = deepest;
        while n.num_labels() > zone.num_labels() {
            let up = n.base_name();
            candidates.push(n);
            n = up;
        }
        candidates.reverse();
        if bounded {
            candidates.truncate(MAX_CUT_CANDIDATES);
        }
        for name in candidates {
            // Already known to be served at this address: nothing to learn.
            let known = self
                .book
                .zones
                .get(&name)
                .is_some_and(|z| z.ns.values().any(|a| a.contains(&job.address)));
            if known || !self.cuts.asked.insert((name.clone(), job.address)) {
                continue;
            }
            let q = self.cut_question(&name, zone);
            self.schedule_addr(q, zone, &job.server, job.address);
        }
    }

    /// The cut-check question of `name` (opened on first use; not in `qindex`).
    pub(super) fn cut_question(&mut self, name: &Name, parent: &Name) -> QId {
        if let Some(&q) = self.cuts.index.get(name) {
            return q;
        }
        let id = self.questions.len();
        self.chains.entry(id).or_default().push(id);
        self.questions.push(Question {
            name: name.clone(),
            qtype: RecordType::SOA,
            purpose: Purpose::CutCheck {
                parent: parent.clone(),
            },
            origin: id,
            cname_depth: 0,
            nesting: 0,
            zones: Vec::new(),
        });
        self.cuts.index.insert(name.clone(), id);
        id
    }

    /// A cut check's reply: an authoritative SOA owned by the name means the server serves
    /// the zone below the cut; anything else (NODATA, a referral, an error) means it does not.
    pub(super) fn on_cut_reply(&mut self, job: &Job, name: &Name, msg: &Message) {
        let apex = msg.metadata.authoritative
            && msg.metadata.response_code == hickory_proto::op::ResponseCode::NoError
            && msg
                .answers
                .iter()
                .any(|r| r.record_type() == RecordType::SOA && r.name.to_lowercase() == *name);
        if apex {
            self.found_cut(name, job);
        }
    }

    /// The deepest known zone strictly above `name`.
    pub(super) fn enclosing_zone(&self, name: &Name) -> Name {
        self.book
            .zones
            .keys()
            .filter(|z| *z != name && z.zone_of(name))
            .max_by_key(|z| z.num_labels())
            .cloned()
            .unwrap_or_else(Name::root)
    }

    /// Zones found inside their parent's servers strictly between `top` and `bottom`,
    /// shallowest first.
    pub(super) fn hidden_between(&self, top: &Name, bottom: &Name) -> Vec<Name> {
        let mut v: Vec<Name> = self
            .book
            .zones
            .iter()
            .filter(|(n, z)| {
                !z.found_inside.is_empty()
                    && *n != top
                    && *n != bottom
                    && top.zone_of(n)
                    && n.zone_of(bottom)
            })
            .map(|(n, _)| n.clone())
            .collect();
        v.sort_by_key(Name::num_labels);
        v
    }

    /// `job`'s server serves `name`, a zone whose cut its replies skipped. The zone becomes
    /// a zone like any other: the server joins its servers, zones below it hang on it, the
    /// paths that crossed it list it, and it gets its zone and DNSSEC checks.
    pub(super) fn found_cut(&mut self, name: &Name, job: &Job) {
        let seen = CutSeen {
            parent: job.zone.clone(),
            server: job.server.clone(),
            address: job.address,
        };
        let parent = self.enclosing_zone(name);
        let zone = self.book.zones.entry(name.clone()).or_insert_with(|| Zone {
            name: name.clone(),
            parent: Some(parent),
            ns: BTreeMap::new(),
            delegations: Vec::new(),
            found_inside: Vec::new(),
        });
        if !zone.found_inside.contains(&seen) {
            zone.found_inside.push(seen);
            zone.found_inside.sort();
        }
        let fresh = zone
            .ns
            .entry(job.server.clone())
            .or_default()
            .insert(job.address);
        for (zname, z) in &mut self.book.zones {
            if zname == name || !name.zone_of(zname) {
                continue;
            }
            if z.parent
                .as_ref()
                .is_some_and(|p| p != name && p.zone_of(name))
            {
                z.parent = Some(name.clone());
            }
            // A referral this address gave for a zone below the cut came from the cut's data.
            for d in &mut z.delegations {
                if d.address == job.address && d.parent != *name && d.parent.zone_of(name) {
                    d.parent = name.clone();
                }
            }
        }
        // The paths that crossed the cut list it: those that went on below it (a referral
        // skipped it), and those answered from above it for a name inside it (the answer
        // came from the hidden zone).
        for q in &mut self.questions {
            if q.zones.contains(name) || q.is_cut() {
                continue;
            }
            if let Some(i) = q.zones.iter().position(|z| z != name && name.zone_of(z)) {
                if q.zones[..i].iter().any(|z| z.zone_of(name)) {
                    q.zones.insert(i, name.clone());
                }
            } else if q.name != *name
                && name.zone_of(&q.name)
                && q.zones.last().is_some_and(|z| z.zone_of(name))
            {
                q.zones.push(name.clone());
            }
        }
        if self.book.checked.insert(name.clone()) {
            self.zone_checks(name);
        } else if fresh {
            let already: Vec<QId> = self
                .book
                .entered
                .iter()
                .filter(|(_, z)| z == name)
                .map(|(q, _)| *q)
                .collect();
            for q in already {
                self.schedule_addr(q, name, &job.server, job.address);
            }
        }
    }
}
