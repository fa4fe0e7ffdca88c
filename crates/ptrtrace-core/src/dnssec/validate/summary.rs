//! What validation says: one finding per failing server address and reason, the zones of
//! the target's own paths where nothing validates, the private-root case, and the evidence's
//! texts (dates, keys, DS); the findings' words are in words/zones.rs.

use super::*;
use crate::words::{At, Fact};

pub(super) fn date(t: u32) -> String {
    let [y, m, d, h, min, _] = crate::model::clock::civil(i64::from(t));
    format!("{y:04}-{m:02}-{d:02} {h:02}:{min:02}Z")
}

pub(super) fn key_tag(k: &DNSKEY) -> u16 {
    k.calculate_key_tag().unwrap_or(0)
}

pub(super) fn key_text(k: &DNSKEY) -> String {
    format!(
        "{} alg {} flags {}",
        key_tag(k),
        u8::from(k.algorithm()),
        k.flags()
    )
}

pub(super) fn ds_text(d: &DS) -> String {
    format!(
        "{} alg {} digest {}",
        d.key_tag(),
        u8::from(d.algorithm()),
        u8::from(d.digest_type())
    )
}

/// The zones asked for their DNSKEY (the zones whose DNSSEC is judged), root first.
pub(super) fn checked_zones(walk: &Walk) -> Vec<Name> {
    let mut zones: Vec<Name> = walk
        .questions
        .iter()
        .filter_map(|q| match &q.purpose {
            Purpose::ZoneCheck { zone } if q.qtype == RecordType::DNSKEY => Some(zone.clone()),
            _ => None,
        })
        .filter(|z| walk.zones.contains_key(z))
        .collect();
    zones.sort_by_key(Name::num_labels);
    zones.dedup();
    zones
}

/// The root's DNSKEY key tags as its servers gave them, and whether any key matches an
/// anchor; None when no server of the root answered its DNSKEY question.
pub(super) fn root_keys(walk: &Walk, anchors: &TrustAnchors) -> Option<(BTreeSet<u16>, bool)> {
    let q = walk
        .questions
        .iter()
        .position(|q| q.name.is_root() && q.qtype == RecordType::DNSKEY)?;
    let (anchor_ds, anchor_keys) = anchors.for_zone(&Name::root());
    let mut tags = BTreeSet::new();
    let mut matched = false;
    let mut answered = false;
    for p in walk.probes.iter().filter(|p| {
        p.question == q && p.zone.is_root() && p.kind == ProbeKind::Standard && p.class.is_useful()
    }) {
        answered = true;
        let Some(reply) = p.reply.as_deref() else {
            continue;
        };
        for r in rrset_in(&reply.msg.answers, &Name::root(), RecordType::DNSKEY) {
            if let RData::DNSSEC(DNSSECRData::DNSKEY(k)) = &r.data {
                tags.insert(key_tag(k));
                matched |= anchor_keys.contains(k)
                    || anchor_ds
                        .iter()
                        .any(|d| d.covers(&Name::root(), k).unwrap_or(false));
            }
        }
    }
    answered.then_some((tags, matched))
}

/// A root given with `--root-hints` and checked against the built-in IANA keys it does not
/// have: a private (or lab) root, not a broken one. DNSSEC is not judged; one info finding
/// says so and how to give the right anchor.
pub(super) fn private_root(
    walk: &Walk,
    anchors: &TrustAnchors,
) -> Option<(DnssecSummary, Vec<Finding>)> {
    if !anchors.assumed {
        return None;
    }
    let (tags, matched) = root_keys(walk, anchors)?;
    if matched {
        return None;
    }
    let (anchor_ds, _) = anchors.for_zone(&Name::root());
    let want: Vec<u16> = anchor_ds.iter().map(DS::key_tag).collect();
    let seen = if tags.is_empty() {
        "the root answered its DNSKEY question without keys (an unsigned root)".to_string()
    } else {
        format!("the root's DNSKEY key tags are {tags:?}")
    };
    let finding = Fact::TrustAnchor {
        source: &anchors.source,
    }
    .finding(Severity::Info, &Name::root())
    .reason(Reason::Detail(Detail::TrustAnchor))
    .evidence(vec![format!("{seen}; the built-in anchor's are {want:?}")]);
    let zones = checked_zones(walk)
        .into_iter()
        .map(|zone| ZoneSecurity {
            zone,
            status: Security::Indeterminate,
            basis: "not judged: the trust anchor does not match this root".into(),
            ds: Vec::new(),
            keys: Vec::new(),
            servers: Vec::new(),
        })
        .collect();
    Some((
        DnssecSummary {
            anchor: anchors.source.clone(),
            zones,
            broken: Vec::new(),
        },
        vec![finding],
    ))
}

pub(super) fn insecure_finding(
    zone: &Name,
    parent: &Name,
    reason: Option<Reason>,
    evidence: String,
) -> Finding {
    let f = Fact::DnssecInsecure { zone, parent }
        .finding(Severity::Info, zone)
        .evidence(vec![evidence]);
    match reason {
        Some(r) => f.reason(r),
        None => f,
    }
}

impl Judge<'_> {
    /// Each judged server address of `zone`: bogus when any of its replies failed; and the
    /// zone's status. A DS that matches no key of any server is one fault of the delegation,
    /// not one per server: it is reported once for the zone.
    pub(super) fn servers(
        &mut self,
        zone: &Name,
        parent: Option<&Name>,
        trusted: &[DNSKEY],
        per_server: &BTreeSet<(Name, IpAddr)>,
        mismatch: BTreeSet<String>,
    ) -> (Security, Vec<ServerSecurity>) {
        let servers: Vec<ServerSecurity> = per_server
            .iter()
            .map(|(server, address)| {
                let reasons: Vec<BogusReason> = self
                    .problems
                    .keys()
                    .filter(|(z, s, a, _)| z == zone && s == server && a == address)
                    .map(|(_, _, _, r)| *r)
                    .collect();
                ServerSecurity {
                    server: server.clone(),
                    address: *address,
                    status: if reasons.is_empty() {
                        Security::Secure
                    } else {
                        Security::Bogus
                    },
                    reasons,
                }
            })
            .collect();
        let any_good = servers.iter().any(|s| s.status == Security::Secure);
        let status = if trusted.is_empty() || !any_good {
            if servers.is_empty() {
                Security::Indeterminate
            } else {
                Security::Bogus
            }
        } else {
            Security::Secure
        };
        if !servers.is_empty()
            && servers
                .iter()
                .all(|s| s.reasons == [BogusReason::DsMismatch])
        {
            self.problems
                .retain(|(z, _, _, r), _| !(z == zone && *r == BogusReason::DsMismatch));
            let fact = Fact::DsMatchesNoKey { zone, parent };
            self.findings.push(
                fact.finding(Severity::Error, zone)
                    .reason(Reason::Bogus(BogusReason::DsMismatch))
                    .evidence(mismatch.into_iter().collect()),
            );
        }
        (status, servers)
    }

    /// One finding per server address and reason, and the zones of the target's own answer
    /// paths where nothing validates. "Intermittent" only when some server of the zone
    /// passes: a zone whose every server fails here fails for every resolver (a root
    /// server's DS answers can all fail while the root's own keys are fine).
    pub(super) fn finish(self) -> (DnssecSummary, Vec<Finding>) {
        let Self {
            walk,
            anchors,
            summary,
            problems,
            mut findings,
            ..
        } = self;
        let failing: BTreeSet<(Name, Name, IpAddr)> = problems
            .keys()
            .map(|(z, s, a, _)| (z.clone(), s.clone(), *a))
            .collect();
        for ((zone, server, address, reason), details) in problems {
            let zs = summary.iter().find(|z| z.zone == zone);
            let all_fail = zs.is_some_and(|z| {
                z.status == Security::Bogus
                    || (!z.servers.is_empty()
                        && z.servers.iter().all(|s| {
                            failing.contains(&(zone.clone(), s.server.clone(), s.address))
                        }))
            });
            let fact = Fact::DnssecBogus {
                at: At {
                    server: &server,
                    address,
                    zone: &zone,
                },
                reason,
                everywhere: all_fail,
            };
            findings.push(
                fact.finding(Severity::Error, &zone)
                    .at(&server, Some(address))
                    .reason(Reason::Bogus(reason))
                    .evidence(details.into_iter().collect()),
            );
        }
        let own: BTreeSet<&Name> = walk
            .questions
            .iter()
            .filter(|q| {
                let o = &walk.questions[q.origin].purpose;
                matches!(o, Purpose::Target | Purpose::Forward { .. })
            })
            .flat_map(|q| q.zones.iter())
            .collect();
        let broken = summary
            .iter()
            .filter(|z| z.status == Security::Bogus && own.contains(&z.zone))
            .map(|z| z.zone.clone())
            .collect();
        (
            DnssecSummary {
                anchor: anchors.source.clone(),
                zones: summary,
                broken,
            },
            findings,
        )
    }
}
