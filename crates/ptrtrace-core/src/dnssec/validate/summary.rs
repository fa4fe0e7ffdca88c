//! What validation says: one finding per failing server address and reason, the zones of
//! the target's own paths where nothing validates, the private-root case, and the words
//! (headline, advice, dates, key and DS texts) of DNSSEC findings.

use super::*;

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
    let finding = Finding {
        involved: Vec::new(),
        caused_by: None,
        kind: FindingKind::Untested,
        severity: Severity::Info,
        reason: Some(Reason::Detail(Detail::TrustAnchor)),
        zone: Name::root(),
        server: None,
        address: None,
        message: format!(
            "DNSSEC was not judged: the root given with --root-hints has none of the keys of the built-in trust anchor ({}), so it is a private or lab root, not the Internet's",
            anchors.source
        ),
        advice: "Give this root's DS or DNSKEY records with --trust-anchor FILE (BIND's dsset-. file works as it is) to judge DNSSEC, or --no-dnssec to skip it.".into(),
        evidence: vec![format!("{seen}; the built-in anchor's are {want:?}")],
    };
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
    Finding {
        involved: Vec::new(),
        caused_by: None,
        kind: FindingKind::DnssecInsecure,
        severity: Severity::Info,
        reason,
        zone: zone.clone(),
        server: None,
        address: None,
        message: format!(
            "{zone} is not covered by DNSSEC: the chain of trust ends at its delegation from {parent}. Resolvers accept its answers unvalidated; nothing fails because of it"
        ),
        advice:
            "Nothing is broken. To protect the PTR, sign the zone and publish its DS in the parent."
                .into(),
        evidence: vec![evidence],
    }
}

pub(super) fn headline(reason: BogusReason) -> &'static str {
    match reason {
        BogusReason::DsMismatch => "its DNSKEY RRset has no key matching the DS in the parent",
        BogusReason::MissingDnskey => "it does not serve the DNSKEY that signs the zone",
        BogusReason::MissingRrsig => "it returns records without signatures (RRSIGs)",
        BogusReason::BadSignature => "its signatures do not verify",
        BogusReason::ExpiredSignature => "its signatures have expired",
        BogusReason::NotYetValid => "its signatures are not valid yet",
        BogusReason::BadDenial => "its negative answers carry no valid NSEC proof",
        BogusReason::UnsupportedAlgorithm => "it uses a signature algorithm ptrtrace cannot verify",
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
            self.findings.push(Finding {
                involved: Vec::new(),
                caused_by: None,
                kind: FindingKind::DnssecBogus,
                severity: Severity::Error,
                reason: Some(Reason::Bogus(BogusReason::DsMismatch)),
                zone: zone.clone(),
                server: None,
                address: None,
                message: format!(
                    "The DS for {zone} in {} matches none of the zone's DNSKEYs on any server: the chain of trust is broken, and validating resolvers, Gmail's among them, get SERVFAIL for everything in and below it",
                    parent.map_or_else(|| "the trust anchor".into(), ToString::to_string)
                ),
                advice: advice(BogusReason::DsMismatch).into(),
                evidence: mismatch.into_iter().collect(),
            });
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
            let impact = if all_fail {
                "every server of the zone fails validation, so validating resolvers (Gmail's among them) get SERVFAIL"
            } else {
                "validating resolvers (Gmail's among them) that pick this server get SERVFAIL, the others succeed: an intermittent failure"
            };
            findings.push(Finding {
                involved: Vec::new(),
                caused_by: None,
                kind: FindingKind::DnssecBogus,
                severity: Severity::Error,
                reason: Some(Reason::Bogus(reason)),
                zone: zone.clone(),
                server: Some(server.clone()),
                address: Some(address),
                message: format!(
                    "{server} ({address}) as a server of {zone}: {}; {impact}",
                    headline(reason)
                ),
                advice: advice(reason).into(),
                evidence: details.into_iter().collect(),
            });
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
