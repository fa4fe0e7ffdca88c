//! The chain of trust (RFC 4035 §5): the DS set a zone's keys must match, from a trust
//! anchor or from its parent's servers (each DS answer verified against the parent's keys),
//! or the zone's state without one (insecure below a proven unsigned delegation,
//! indeterminate where nothing above was judged, insecure for unsupported algorithms).

use super::*;

/// Where a zone's trust comes from.
pub(super) struct Trust {
    /// `trust anchor (…)`, `DS in <parent>`, or why there is none.
    pub basis: String,
    /// The DS records its keys must match.
    pub expected: Vec<DS>,
    /// The zone's state when it is not expected signed.
    pub decided: Option<Security>,
}

impl Judge<'_> {
    /// The trust basis of `zone`: anchors first, else the parent's DS answers.
    pub(super) fn trust(&mut self, zone: &Name, parent: Option<&Name>, anchor: &Anchored) -> Trust {
        let (anchor_ds, anchor_keys) = anchor;
        if !anchor_ds.is_empty() || !anchor_keys.is_empty() {
            let mut expected = anchor_ds.clone();
            for k in anchor_keys {
                if let Ok(d) = crate::model::anchors::ds_of(zone, k) {
                    expected.push(d);
                }
            }
            return Trust {
                basis: format!("trust anchor ({})", self.anchors.source),
                expected,
                decided: None,
            };
        }
        let pstate = parent.and_then(|p| self.state.get(p));
        match (parent, pstate) {
            (None, _) => Trust {
                basis: "no trust anchor for the root".into(),
                expected: Vec::new(),
                decided: Some(Security::Indeterminate),
            },
            (Some(p), None) => Trust {
                basis: format!("parent {p} was not checked"),
                expected: Vec::new(),
                decided: Some(Security::Indeterminate),
            },
            (Some(p), Some(ps)) if ps.keys.is_empty() => {
                let s = ps.status;
                Trust {
                    basis: format!("below {} {p}", s.as_str()),
                    expected: Vec::new(),
                    decided: Some(if s == Security::Secure {
                        Security::Indeterminate
                    } else {
                        s
                    }),
                }
            }
            (Some(p), Some(_)) => self.ds_from_parent(zone, p),
        }
    }

    /// The DS answers of every server asked as a server of an ancestor (the parent, or a
    /// zone above it whose server also serves the parent), each verified with the keys of
    /// the zone that signed it.
    fn ds_from_parent(&mut self, zone: &Name, p: &Name) -> Trust {
        let walk = self.walk;
        let v = self.v;
        let mut expected: Vec<DS> = Vec::new();
        let mut proven_insecure = false;
        let mut answered = false;
        let ds_probes: Vec<&Probe> = self
            .qid(zone, RecordType::DS)
            .map(|q| {
                walk.probes
                    .iter()
                    .filter(|pr| {
                        pr.question == q
                            && pr.kind == ProbeKind::Standard
                            && pr.zone != *zone
                            && pr.zone.zone_of(zone)
                            && pr.class.is_terminal()
                            && pr.reply.is_some()
                    })
                    .collect()
            })
            .unwrap_or_default();
        for probe in ds_probes {
            let Some(reply) = probe.reply.as_deref() else {
                continue;
            };
            let msg = &reply.msg;
            // Signed by the zone that holds the DS: the parent, normally.
            let mut signer = judged_zone(walk, probe, zone, &self.zones);
            if signer == *zone {
                signer = probe.zone.clone();
            }
            let Some(skeys) = self
                .state
                .get(&signer)
                .map(|s| s.keys.clone())
                .filter(|k| !k.is_empty())
            else {
                continue;
            };
            let (pkeys, ps) = (&skeys, &signer);
            answered = true;
            let result = match &probe.class {
                ReplyClass::Answer { .. } => {
                    let set = rrset_in(&msg.answers, zone, RecordType::DS);
                    let sigs = sigs_in(&msg.answers, zone, RecordType::DS);
                    reply
                        .memo(0, zone, RecordType::DS, pkeys, ps, v.now, || {
                            verify_set(zone, RecordType::DS, &set, &sigs, pkeys, ps, v).map(|_| ())
                        })
                        .map(|()| {
                            for r in set {
                                if let RData::DNSSEC(DNSSECRData::DS(d)) = &r.data
                                    && !expected.contains(d)
                                {
                                    expected.push(d.clone());
                                }
                            }
                        })
                }
                ReplyClass::Nodata | ReplyClass::Nxdomain => {
                    let nx = probe.class == ReplyClass::Nxdomain;
                    reply
                        .memo(1, zone, RecordType::DS, pkeys, ps, v.now, || {
                            denial(msg, zone, RecordType::DS, nx, pkeys, ps, v)
                        })
                        .map(|()| proven_insecure = true)
                }
                _ => Ok(()),
            };
            note(&mut self.problems, &probe.zone, probe, result);
        }
        let mut decided = None;
        if expected.is_empty() {
            decided = Some(if proven_insecure {
                self.findings.push(insecure_finding(
                    zone,
                    p,
                    None,
                    format!(
                        "{p} proves with a signed NSEC that {zone} has no DS: the delegation is unsigned"
                    ),
                ));
                Security::Insecure
            } else if answered {
                // Every parent server's DS answer failed: the findings say why.
                Security::Bogus
            } else {
                Security::Indeterminate
            });
        }
        Trust {
            basis: format!("DS in {p}"),
            expected,
            decided,
        }
    }

    /// Insecure when no DS uses an algorithm and digest ptrtrace can verify (RFC 4035 §5.2).
    pub(super) fn unsupported(
        &mut self,
        zone: &Name,
        parent: Option<&Name>,
        expected: &[DS],
    ) -> Option<Security> {
        let usable = expected
            .iter()
            .any(|d| d.algorithm().is_supported() && d.digest_type().is_supported());
        if usable {
            return None;
        }
        let algs: BTreeSet<u8> = expected.iter().map(|d| u8::from(d.algorithm())).collect();
        self.findings.push(insecure_finding(
            zone,
            parent.unwrap_or(zone),
            Some(Reason::Bogus(BogusReason::UnsupportedAlgorithm)),
            format!(
                "{zone} is signed only with algorithms {algs:?}, which ptrtrace cannot verify; validators that cannot either treat it as insecure (RFC 4035 §5.2)"
            ),
        ));
        Some(Security::Insecure)
    }
}
