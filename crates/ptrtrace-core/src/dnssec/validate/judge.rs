//! Judging one zone server by server: its DNSKEY RRset must hold a key matching the DS and
//! be signed by it; every RRset and negative answer it gave must validate with the zone's
//! keys. A server failing any check makes validating resolvers that pick it fail.

use super::*;

/// A zone's anchors from `--trust-anchor`: DS records and keys.
pub(super) type Anchored = (Vec<DS>, Vec<DNSKEY>);

/// The state of one validation run over a walk.
pub(super) struct Judge<'w> {
    pub walk: &'w Walk,
    pub anchors: &'w TrustAnchors,
    pub v: &'w Validator,
    /// The zones judged, root first.
    pub zones: Vec<Name>,
    pub state: BTreeMap<Name, ZoneState>,
    pub summary: Vec<ZoneSecurity>,
    pub problems: Problems,
    pub findings: Vec<Finding>,
    /// The answers to judge, by the zone whose keys must have signed them (computed once: a
    /// batch diagnoses many views of the same shared probes).
    data_probes: BTreeMap<Name, Vec<(usize, &'w Probe)>>,
}

impl<'w> Judge<'w> {
    pub(super) fn new(walk: &'w Walk, anchors: &'w TrustAnchors, v: &'w Validator) -> Self {
        let zones = checked_zones(walk);
        let mut data_probes: BTreeMap<Name, Vec<(usize, &Probe)>> = BTreeMap::new();
        for p in &walk.probes {
            let question = &walk.questions[p.question];
            if p.kind == ProbeKind::Standard
                && p.class.is_terminal()
                && p.reply.is_some()
                && !matches!(question.qtype, RecordType::DNSKEY | RecordType::DS)
            {
                data_probes
                    .entry(judged_zone(walk, p, &question.name, &zones))
                    .or_default()
                    .push((p.question, p));
            }
        }
        Self {
            walk,
            anchors,
            v,
            zones,
            state: BTreeMap::new(),
            summary: Vec::new(),
            problems: BTreeMap::new(),
            findings: Vec::new(),
            data_probes,
        }
    }

    /// The question asking `t` of `name`.
    pub(super) fn qid(&self, name: &Name, t: RecordType) -> Option<usize> {
        self.walk
            .questions
            .iter()
            .position(|q| q.name == *name && q.qtype == t)
    }

    /// Judges one zone, its parent already judged.
    pub(super) fn zone(&mut self, zone: &Name) {
        let parent = self.walk.zones.get(zone).and_then(|z| z.parent.clone());
        let anchor = self.anchors.for_zone(zone);
        let Trust {
            basis,
            expected,
            mut decided,
        } = self.trust(zone, parent.as_ref(), &anchor);
        if decided.is_none() {
            decided = self.unsupported(zone, parent.as_ref(), &expected);
        }
        let ds = expected.iter().map(ds_text).collect();
        if let Some(status) = decided {
            self.settle(zone, status, Vec::new());
            self.summary.push(ZoneSecurity {
                zone: zone.clone(),
                status,
                basis,
                ds,
                keys: Vec::new(),
                servers: Vec::new(),
            });
            return;
        }
        // The zone is expected signed: judge each server's DNSKEY RRset, then its data.
        let keys = self.keys(zone, &expected, &anchor.1);
        let mut per_server = keys.servers;
        if !keys.trusted.is_empty() {
            self.data(zone, &keys.trusted, &mut per_server);
        }
        let (status, servers) = self.servers(
            zone,
            parent.as_ref(),
            &keys.trusted,
            &per_server,
            keys.mismatch,
        );
        self.settle(zone, status, keys.trusted.clone());
        self.summary.push(ZoneSecurity {
            zone: zone.clone(),
            status,
            basis,
            ds,
            keys: keys.trusted.iter().map(key_text).collect(),
            servers,
        });
    }

    /// Remembers a judged zone's state; its keys vouch for its children only when secure.
    fn settle(&mut self, zone: &Name, status: Security, trusted: Vec<DNSKEY>) {
        let keys = if status == Security::Secure {
            trusted
        } else {
            Vec::new()
        };
        self.state.insert(zone.clone(), ZoneState { status, keys });
    }

    /// Standard probes of question `q` asked of `zone`'s servers with a terminal reply kept.
    fn standard(&self, zone: &Name, q: usize) -> Vec<&'w Probe> {
        self.walk
            .probes
            .iter()
            .filter(|p| p.question == q && p.zone == *zone && p.kind == ProbeKind::Standard)
            .filter(|p| p.class.is_terminal() && p.reply.is_some())
            .collect()
    }

    /// Each server's DNSKEY RRset: a key matching `expected` (or an anchor key) that signs it.
    fn keys(&mut self, zone: &Name, expected: &[DS], anchor_keys: &[DNSKEY]) -> Keys {
        let v = self.v;
        let mut out = Keys {
            trusted: Vec::new(),
            servers: BTreeSet::new(),
            mismatch: BTreeSet::new(),
        };
        let Some(q) = self.qid(zone, RecordType::DNSKEY) else {
            return out;
        };
        for probe in self.standard(zone, q) {
            let Some(reply) = probe.reply.as_deref() else {
                continue;
            };
            let msg = &reply.msg;
            out.servers.insert((probe.server.clone(), probe.address));
            let result: Result<(), Problem> = if let ReplyClass::Answer { .. } = &probe.class {
                let set = rrset_in(&msg.answers, zone, RecordType::DNSKEY);
                let keys: Vec<DNSKEY> = set
                    .iter()
                    .filter_map(|r| match &r.data {
                        RData::DNSSEC(DNSSECRData::DNSKEY(k)) => Some(k.clone()),
                        _ => None,
                    })
                    .collect();
                let entry: Vec<DNSKEY> = keys
                    .iter()
                    .filter(|k| {
                        anchor_keys.contains(k)
                            || expected.iter().any(|d| d.covers(zone, k).unwrap_or(false))
                    })
                    .cloned()
                    .collect();
                if entry.is_empty() {
                    let tags: Vec<u16> = keys.iter().map(key_tag).collect();
                    let want: Vec<u16> = expected.iter().map(DS::key_tag).collect();
                    out.mismatch
                        .insert(format!("DS key tags {want:?}, DNSKEY key tags {tags:?}"));
                    Err(Problem::new(
                        BogusReason::DsMismatch,
                        format!(
                            "{zone} DNSKEY: no key matches the DS (DS key tags {want:?}, DNSKEYs {tags:?})"
                        ),
                    ))
                } else {
                    let sigs = sigs_in(&msg.answers, zone, RecordType::DNSKEY);
                    let check = || {
                        verify_set(zone, RecordType::DNSKEY, &set, &sigs, &entry, zone, v)
                            .map(|_| ())
                    };
                    reply
                        .memo(2, zone, RecordType::DNSKEY, &entry, zone, v.now, check)
                        .map(|()| {
                            for k in keys {
                                if !out.trusted.contains(&k) {
                                    out.trusted.push(k);
                                }
                            }
                        })
                }
            } else {
                Err(Problem::new(
                    BogusReason::MissingDnskey,
                    format!(
                        "{zone} DNSKEY: {} although the parent has a DS",
                        probe.class.sentence(probe.rcode())
                    ),
                ))
            };
            note(&mut self.problems, zone, probe, result);
        }
        out
    }

    /// Every other RRset and negative answer the zone's servers gave must validate.
    fn data(&mut self, zone: &Name, trusted: &[DNSKEY], per_server: &mut BTreeSet<(Name, IpAddr)>) {
        let v = self.v;
        let walk = self.walk;
        let probes = self.data_probes.get(zone).cloned().unwrap_or_default();
        for (qi, probe) in probes {
            let question = &walk.questions[qi];
            let Some(reply) = probe.reply.as_deref() else {
                continue;
            };
            let msg = &reply.msg;
            per_server.insert((probe.server.clone(), probe.address));
            let qname = &question.name;
            let result = match &probe.class {
                ReplyClass::Answer { .. } => {
                    let mut r = Ok(());
                    for t in [question.qtype, RecordType::CNAME] {
                        let set = rrset_in(&msg.answers, qname, t);
                        if set.is_empty() {
                            continue;
                        }
                        let mut sigs = sigs_in(&msg.answers, qname, t);
                        // RFC 6672 §5.3.1: a CNAME synthesized from a DNAME comes without an
                        // RRSIG; the DNAME is what is signed, and the CNAME must be exactly
                        // its substitution. Validators verify the DNAME instead.
                        let (mut owner, mut t, mut set) = (qname.clone(), t, set);
                        if t == RecordType::CNAME
                            && sigs.is_empty()
                            && let Some(d) = synthesized_by(msg, qname, &set)
                        {
                            set = rrset_in(&msg.answers, &d, RecordType::DNAME);
                            sigs = sigs_in(&msg.answers, &d, RecordType::DNAME);
                            (owner, t) = (d, RecordType::DNAME);
                        }
                        // An RRSIG whose labels field is below the owner's label count was made
                        // over a wildcard: the answer was expanded from it (RFC 4035 §5.3.4).
                        let expanded = sigs
                            .iter()
                            .map(|s| s.input().num_labels)
                            .filter(|l| *l < owner.num_labels())
                            .min();
                        let check = || {
                            verify_set(&owner, t, &set, &sigs, trusted, zone, v)?;
                            if let Some(labels) = expanded {
                                super::denial::wildcard_proof(
                                    msg, &owner, labels, trusted, zone, v,
                                )?;
                            }
                            Ok(())
                        };
                        if let Err(e) = reply.memo(3, &owner, t, trusted, zone, v.now, check) {
                            r = Err(e);
                        }
                    }
                    r
                }
                ReplyClass::Nxdomain | ReplyClass::Nodata => {
                    let nx = probe.class == ReplyClass::Nxdomain;
                    let qt = question.qtype;
                    reply.memo(4, qname, qt, trusted, zone, v.now, || {
                        denial(msg, qname, qt, nx, trusted, zone, v)
                    })
                }
                _ => Ok(()),
            };
            note(&mut self.problems, zone, probe, result);
        }
    }
}

/// The owner of the DNAME in `msg`'s answers that synthesizes the CNAME `set` of `qname`
/// (RFC 6672 §3.2: the target is `qname` with the DNAME owner's suffix replaced by its
/// target), if one does.
fn synthesized_by(
    msg: &hickory_proto::op::Message,
    qname: &Name,
    set: &[&hickory_proto::rr::Record],
) -> Option<Name> {
    let [cname] = set else {
        return None;
    };
    let hickory_proto::rr::RData::CNAME(c) = &cname.data else {
        return None;
    };
    let want = c.0.to_lowercase();
    msg.answers.iter().find_map(|r| {
        let target = crate::model::reply::dname_target(&r.data)?;
        let owner = r.name.to_lowercase();
        (crate::model::reply::dname_substitute(qname, &owner, &target) == Some(want.clone()))
            .then_some(owner)
    })
}

/// What the DNSKEY checks found.
pub(super) struct Keys {
    /// Keys that validated.
    pub trusted: Vec<DNSKEY>,
    /// Server addresses judged.
    pub servers: BTreeSet<(Name, IpAddr)>,
    /// DS/DNSKEY key tags of the servers whose keys match no DS.
    pub mismatch: BTreeSet<String>,
}
