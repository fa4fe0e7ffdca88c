//! Per-server DNSSEC validation of a finished walk (RFC 4033–4035, RFC 9520 §3).
//!
//! Zones are judged from the root down. A zone's expected keys come from the trust anchor
//! (the root, or any zone named in `--trust-anchor`) or from the DS RRset its parent's
//! servers gave, each verified against the parent's keys. Each server of the zone is then
//! judged on its own replies: its DNSKEY RRset must contain a key matching the DS and be
//! signed by it; every RRset it answered (PTR, CNAME, A/AAAA, SOA, NS) must carry a valid
//! RRSIG by the zone's keys, inside the signature's validity window; every NXDOMAIN or
//! NODATA must carry a signed NSEC proof. A server failing any of these makes validating
//! resolvers that pick it fail with SERVFAIL.
//!
//! hickory-proto's `verify_rrsig` checks the cryptography only: the inception and expiration
//! times are checked here, in RFC 1982 serial arithmetic (RFC 4034 §3.1.5).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use hickory_proto::dnssec::Verifier;
use hickory_proto::dnssec::rdata::{DNSKEY, DNSSECRData, DS, NSEC, RRSIG};
use hickory_proto::op::Message;
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};
use serde::Serialize;

use crate::model::ReplyClass;
use crate::model::anchors::TrustAnchors;
use crate::model::finding::{BogusReason, Detail, Finding, FindingKind, Reason, Severity};
use crate::model::reply::Problem;
use crate::model::walk::{ProbeKind, Purpose, Walk};

/// The DNSSEC state of a zone or of one server address of it (RFC 4033 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Security {
    /// The chain of trust reaches it and its data validates.
    Secure,
    /// Provably unsigned: the chain of trust ends above it (an unsigned delegation).
    Insecure,
    /// Validation fails: validating resolvers get SERVFAIL.
    Bogus,
    /// Not judged: no trust anchor, or no server gave usable replies.
    Indeterminate,
}

impl Security {
    /// `secure`, `insecure`, `bogus`, `indeterminate`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Secure => "secure",
            Self::Insecure => "insecure",
            Self::Bogus => "bogus",
            Self::Indeterminate => "indeterminate",
        }
    }
}

/// One server address of a zone, as a DNSSEC signer of its data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServerSecurity {
    /// NS name.
    pub server: Name,
    /// Address.
    pub address: IpAddr,
    /// secure or bogus (insecure and indeterminate follow the zone).
    pub status: Security,
    /// The `dnssec_bogus` reasons found on its replies.
    pub reasons: Vec<BogusReason>,
}

/// One zone's DNSSEC state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ZoneSecurity {
    /// The zone.
    pub zone: Name,
    /// secure, insecure, bogus (every server fails) or indeterminate.
    pub status: Security,
    /// Where its trust comes from: `trust anchor`, `DS in <parent>`, or why there is none.
    pub basis: String,
    /// The DS records (key tag, algorithm, digest type) it was checked against.
    pub ds: Vec<String>,
    /// The keys that validated (key tag, algorithm, flags).
    pub keys: Vec<String>,
    /// Its server addresses, each judged on its own replies.
    pub servers: Vec<ServerSecurity>,
}

/// The DNSSEC part of a diagnosis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DnssecSummary {
    /// The trust anchors' source.
    pub anchor: String,
    /// Zones on the paths, root first.
    pub zones: Vec<ZoneSecurity>,
    /// Zones of the target's own paths (reverse chain, forward names) where every server
    /// fails validation: validating resolvers cannot get the answer at all.
    pub broken: Vec<Name>,
}

impl DnssecSummary {
    /// The `dnssec_bogus` reasons of one server address of `zone`, comma-separated (empty
    /// when it has none or was not judged).
    #[must_use]
    pub fn reasons(&self, zone: &Name, server: &Name, address: IpAddr) -> String {
        self.zones
            .iter()
            .find(|z| z.zone == *zone)
            .and_then(|z| {
                z.servers
                    .iter()
                    .find(|s| s.server == *server && s.address == address)
            })
            .map(|s| {
                s.reasons
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    }
}

/// Seconds since the epoch, as a DNSSEC time.
#[must_use]
pub fn now() -> u32 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    // RRSIG times are 32-bit serial numbers (RFC 4034 §3.1.5): the low 32 bits.
    #[allow(clippy::cast_possible_truncation)]
    let t = secs as u32;
    t
}

/// RFC 1982: is `a` before `b`?
fn serial_lt(a: u32, b: u32) -> bool {
    a != b && b.wrapping_sub(a) < 0x8000_0000
}

fn sigs_in<'m>(records: &'m [Record], owner: &Name, rtype: RecordType) -> Vec<&'m RRSIG> {
    records
        .iter()
        .filter(|r| r.name == *owner)
        .filter_map(|r| match &r.data {
            RData::DNSSEC(DNSSECRData::RRSIG(s)) if s.input().type_covered == rtype => Some(s),
            _ => None,
        })
        .collect()
}

fn rrset_in<'m>(records: &'m [Record], owner: &Name, rtype: RecordType) -> Vec<&'m Record> {
    records
        .iter()
        .filter(|r| r.name == *owner && r.record_type() == rtype)
        .collect()
}

fn date(t: u32) -> String {
    let days = t / 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = i64::from(days) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let secs = t % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}Z",
        secs / 3600,
        (secs % 3600) / 60
    )
}

fn key_tag(k: &DNSKEY) -> u16 {
    k.calculate_key_tag().unwrap_or(0)
}

fn key_text(k: &DNSKEY) -> String {
    format!(
        "{} alg {} flags {}",
        key_tag(k),
        u8::from(k.algorithm()),
        k.flags()
    )
}

fn ds_text(d: &DS) -> String {
    format!(
        "{} alg {} digest {}",
        d.key_tag(),
        u8::from(d.algorithm()),
        u8::from(d.digest_type())
    )
}

/// Recent verifications by exact bytes (key, algorithm, signed data, signature). Several
/// servers of a zone return the same RRSIG over the same RRset: it is verified once. Small and
/// bounded: it only has to span one target's servers.
static RECENT: std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<Vec<u8>, bool>>> =
    std::sync::LazyLock::new(Default::default);
/// Entries kept before [`RECENT`] starts afresh.
const RECENT_MAX: usize = 4096;

/// The cryptographic check of one RRSIG over `set` with `k` (hickory-proto), remembered.
fn verify_once(k: &DNSKEY, owner: &Name, sig: &RRSIG, set: &[&Record]) -> bool {
    let Ok(tbs) = hickory_proto::dnssec::TBS::from_input(
        owner,
        DNSClass::IN,
        sig.input(),
        set.iter().copied(),
    ) else {
        return false;
    };
    let public = hickory_proto::dnssec::PublicKey::public_bytes(k.public_key());
    let mut key = vec![u8::from(k.algorithm())];
    for part in [public, tbs.as_ref(), sig.sig()] {
        key.extend_from_slice(&u32::try_from(part.len()).unwrap_or(u32::MAX).to_be_bytes());
        key.extend_from_slice(part);
    }
    if let Some(ok) = RECENT.lock().ok().and_then(|m| m.get(&key).copied()) {
        return ok;
    }
    let ok = k.verify(tbs.as_ref(), sig.sig()).is_ok();
    if let Ok(mut m) = RECENT.lock() {
        if m.len() >= RECENT_MAX {
            m.clear();
        }
        m.insert(key, ok);
    }
    ok
}

/// Most signature verifications spent on one RRset.
const MAX_CRYPTO_PER_RRSET: u32 = 16;

/// Verifies the RRSIGs over one RRset: `Ok(key tag)` for the first valid one in its window.
fn verify_set(
    owner: &Name,
    rtype: RecordType,
    set: &[&Record],
    sigs: &[&RRSIG],
    keys: &[DNSKEY],
    signer: &Name,
    now: u32,
) -> Result<u16, Problem> {
    let what = format!("{owner} {rtype}");
    let mine: Vec<&&RRSIG> = sigs
        .iter()
        .filter(|s| s.input().signer_name == *signer)
        .collect();
    if mine.is_empty() {
        let other = sigs
            .first()
            .map(|s| format!(" (only RRSIGs by {})", s.input().signer_name))
            .unwrap_or_default();
        return Err(Problem::new(
            BogusReason::MissingRrsig,
            format!("{what} came without an RRSIG by {signer}{other}"),
        ));
    }
    let mut best: Option<Problem> = None;
    let mut consider = |p: Problem| {
        if best.as_ref().is_none_or(|b| p.rank() < b.rank()) {
            best = Some(p);
        }
    };
    // KeyTrap (CVE-2023-50387): a hostile RRset with many RRSIGs and many keys sharing a tag
    // must not cost a verification for each pair.
    let mut budget = MAX_CRYPTO_PER_RRSET;
    for sig in mine {
        let input = sig.input();
        if budget == 0 {
            best = Some(Problem::new(
                BogusReason::BadSignature,
                format!(
                    "{what}: no RRSIG verified within {MAX_CRYPTO_PER_RRSET} signature checks (the bound against KeyTrap-style floods)"
                ),
            ));
            break;
        }
        if !input.algorithm.is_supported() {
            consider(Problem::new(
                BogusReason::UnsupportedAlgorithm,
                format!(
                    "{what}: RRSIG algorithm {} is not one ptrtrace can verify",
                    u8::from(input.algorithm)
                ),
            ));
            continue;
        }
        let candidates: Vec<&DNSKEY> = keys
            .iter()
            .filter(|k| {
                k.zone_key()
                    && !k.revoke()
                    && k.algorithm() == input.algorithm
                    && key_tag(k) == input.key_tag
            })
            .collect();
        if candidates.is_empty() {
            consider(Problem::new(
                BogusReason::MissingDnskey,
                format!(
                    "{what}: RRSIG by key {} of {signer}, which is not among the zone's validated DNSKEYs",
                    input.key_tag
                ),
            ));
            continue;
        }
        let good = candidates.iter().any(|k| {
            if budget == 0 {
                return false;
            }
            budget -= 1;
            verify_once(k, owner, sig, set)
        });
        if !good {
            consider(Problem::new(
                BogusReason::BadSignature,
                format!("{what}: the RRSIG by key {} does not verify", input.key_tag),
            ));
            continue;
        }
        let (inc, exp) = (input.sig_inception.get(), input.sig_expiration.get());
        if serial_lt(exp, now) {
            consider(Problem::new(
                BogusReason::ExpiredSignature,
                format!(
                    "{what}: the RRSIG by key {} expired {}",
                    input.key_tag,
                    date(exp)
                ),
            ));
            continue;
        }
        if serial_lt(now, inc) {
            consider(Problem::new(
                BogusReason::NotYetValid,
                format!(
                    "{what}: the RRSIG by key {} is valid only from {}",
                    input.key_tag,
                    date(inc)
                ),
            ));
            continue;
        }
        return Ok(input.key_tag);
    }
    Err(best.unwrap_or_else(|| {
        Problem::new(
            BogusReason::BadSignature,
            format!("{what}: no RRSIG verifies"),
        )
    }))
}

/// Does the NSEC at `owner` (pointing to `next`) cover `name`: owner < name < next in
/// canonical order, the last NSEC wrapping round to the apex (RFC 4034 §6.1, §4.1.1)?
fn covers(owner: &Name, next: &Name, name: &Name) -> bool {
    if owner < name {
        name < next || next <= owner
    } else {
        false
    }
}

/// A NODATA proof's type bitmap must show neither the type asked nor a CNAME.
fn type_absent(
    types: impl Iterator<Item = RecordType>,
    qtype: RecordType,
    what: &str,
    record: &str,
) -> Result<(), Problem> {
    let types: BTreeSet<RecordType> = types.collect();
    if types.contains(&qtype) || types.contains(&RecordType::CNAME) {
        return Err(Problem::new(
            BogusReason::BadDenial,
            format!("{what}: the {record} lists {qtype} (or CNAME) as present"),
        ));
    }
    Ok(())
}

/// Checks the NSEC proof of an NXDOMAIN or NODATA reply (RFC 4035 §5.4).
fn denial(
    msg: &Message,
    qname: &Name,
    qtype: RecordType,
    nxdomain: bool,
    keys: &[DNSKEY],
    zone: &Name,
    now: u32,
) -> Result<(), Problem> {
    let auth = &msg.authorities;
    let what = if nxdomain {
        format!("NXDOMAIN for {qname}")
    } else {
        format!("NODATA for {qname} {qtype}")
    };
    let nsec3 = auth.iter().any(|r| r.record_type() == RecordType::NSEC3);
    let nsecs: Vec<(&Name, &NSEC)> = auth
        .iter()
        .filter_map(|r| match &r.data {
            RData::DNSSEC(DNSSECRData::NSEC(n)) => Some((&r.name, n)),
            _ => None,
        })
        .collect();
    if nsecs.is_empty() {
        if nsec3 {
            return nsec3_denial(auth, qname, qtype, nxdomain, keys, zone, now, &what);
        }
        return Err(Problem::new(
            BogusReason::BadDenial,
            format!("{what} came without NSEC or NSEC3 records: nothing proves it"),
        ));
    }
    // Every NSEC used must itself be signed.
    let mut valid: Vec<(&Name, &NSEC)> = Vec::new();
    let mut sig_problem: Option<Problem> = None;
    for (owner, n) in &nsecs {
        let set = rrset_in(auth, owner, RecordType::NSEC);
        let sigs = sigs_in(auth, owner, RecordType::NSEC);
        match verify_set(owner, RecordType::NSEC, &set, &sigs, keys, zone, now) {
            Ok(_) => valid.push((owner, n)),
            Err(p) => sig_problem = Some(p),
        }
    }
    let fail = |detail: String| {
        sig_problem
            .clone()
            .unwrap_or_else(|| Problem::new(BogusReason::BadDenial, format!("{what}: {detail}")))
    };
    if nxdomain {
        let Some((owner, n)) = valid
            .iter()
            .find(|(o, n)| covers(o, n.next_domain_name(), qname))
        else {
            return Err(fail("no signed NSEC covers the name".into()));
        };
        // The closest encloser is the longest ancestor of the name shared with either end
        // of the covering NSEC; no wildcard may exist directly below it.
        let common = |a: &Name| {
            let mut c = qname.base_name();
            while !c.zone_of(a) && !c.is_root() {
                c = c.base_name();
            }
            c
        };
        let (c1, c2) = (common(owner), common(n.next_domain_name()));
        let ce = if c1.num_labels() >= c2.num_labels() {
            c1
        } else {
            c2
        };
        let Ok(wild) = ce.prepend_label("*") else {
            return Err(fail("no closest encloser".into()));
        };
        let wild_denied = valid
            .iter()
            .any(|(o, n)| covers(o, n.next_domain_name(), &wild));
        if !wild_denied {
            return Err(fail(format!(
                "no signed NSEC proves that {wild} does not exist"
            )));
        }
        Ok(())
    } else {
        if let Some((_, n)) = valid.iter().find(|(o, _)| *o == qname) {
            return type_absent(n.type_bit_maps(), qtype, &what, "NSEC at the name");
        }
        // An empty non-terminal: an NSEC covering it whose next name is below it.
        if valid.iter().any(|(o, n)| {
            covers(o, n.next_domain_name(), qname) && qname.zone_of(n.next_domain_name())
        }) {
            return Ok(());
        }
        Err(fail(
            "no signed NSEC at the name shows the type absent".into(),
        ))
    }
}

/// Most NSEC3 iterations ptrtrace hashes with (RFC 9276 §3.2 lets validators treat more as
/// insecure; the bound keeps a hostile zone from costing CPU).
const NSEC3_MAX_ITERATIONS: u16 = 500;

/// Checks an NSEC3 proof (RFC 5155 §8.4–8.7): NODATA by a matching NSEC3 without the type (or,
/// for DS, an opt-out NSEC3 covering the next closer name); NXDOMAIN by the closest encloser
/// proof and an NSEC3 covering the wildcard at the closest encloser.
#[allow(clippy::too_many_arguments)]
fn nsec3_denial(
    auth: &[Record],
    qname: &Name,
    qtype: RecordType,
    nxdomain: bool,
    keys: &[DNSKEY],
    zone: &Name,
    now: u32,
    what: &str,
) -> Result<(), Problem> {
    use hickory_proto::dnssec::rdata::NSEC3;
    let mut valid: Vec<(String, String, &NSEC3)> = Vec::new();
    let mut sig_problem: Option<Problem> = None;
    for r in auth {
        let RData::DNSSEC(DNSSECRData::NSEC3(n)) = &r.data else {
            continue;
        };
        // <base32hex hash>.<zone>
        if r.name.base_name() != *zone {
            continue;
        }
        let set = rrset_in(auth, &r.name, RecordType::NSEC3);
        let sigs = sigs_in(auth, &r.name, RecordType::NSEC3);
        match verify_set(&r.name, RecordType::NSEC3, &set, &sigs, keys, zone, now) {
            Ok(_) => {
                let Some(first) = r.name.iter().next() else {
                    continue;
                };
                let owner = String::from_utf8_lossy(first).to_lowercase();
                let next = data_encoding::BASE32_DNSSEC.encode(n.next_hashed_owner_name());
                valid.push((owner, next, n));
            }
            Err(p) => sig_problem = Some(p),
        }
    }
    let fail = |detail: String| {
        sig_problem
            .clone()
            .unwrap_or_else(|| Problem::new(BogusReason::BadDenial, format!("{what}: {detail}")))
    };
    let Some((_, _, params)) = valid.first() else {
        return Err(fail("no signed NSEC3 record".into()));
    };
    let (salt, iterations, alg) = (params.salt(), params.iterations(), params.hash_algorithm());
    if iterations > NSEC3_MAX_ITERATIONS {
        // Not judged: validators may treat such zones as insecure (RFC 9276).
        return Ok(());
    }
    let hash = |n: &Name| -> Option<String> {
        alg.hash(salt, n, iterations)
            .ok()
            .map(|d| data_encoding::BASE32_DNSSEC.encode(d.as_ref()))
    };
    let matching = |n: &Name| {
        let h = hash(n)?;
        valid.iter().find(|(o, _, _)| *o == h).map(|(_, _, x)| *x)
    };
    let covering = |n: &Name| {
        let h = hash(n)?;
        valid
            .iter()
            .find(|(o, nx, _)| {
                if o < nx {
                    o.as_str() < h.as_str() && h.as_str() < nx.as_str()
                } else {
                    // The last NSEC3 of the chain wraps round.
                    h.as_str() > o.as_str() || h.as_str() < nx.as_str()
                }
            })
            .map(|(_, _, x)| *x)
    };
    // The closest encloser: the longest existing ancestor, and the next closer name below it.
    let closest = || {
        let mut cur = qname.clone();
        while cur.num_labels() > zone.num_labels() {
            let parent = cur.base_name();
            if matching(&parent).is_some() {
                return Some((parent, cur));
            }
            cur = parent;
        }
        None
    };
    if !nxdomain {
        if let Some(n) = matching(qname) {
            return type_absent(n.type_bit_maps(), qtype, what, "NSEC3 for the name");
        }
        // An unsigned delegation in an opt-out span (RFC 5155 §8.6).
        if qtype == RecordType::DS
            && let Some((_, next_closer)) = closest()
            && covering(&next_closer).is_some_and(NSEC3::opt_out)
        {
            return Ok(());
        }
        return Err(fail("no signed NSEC3 matches the name".into()));
    }
    let Some((ce, next_closer)) = closest() else {
        return Err(fail("no signed NSEC3 proves a closest encloser".into()));
    };
    if covering(&next_closer).is_none() {
        return Err(fail(format!("no signed NSEC3 covers {next_closer}")));
    }
    let Ok(wild) = ce.prepend_label("*") else {
        return Err(fail("no closest encloser".into()));
    };
    if covering(&wild).is_none() {
        return Err(fail(format!(
            "no signed NSEC3 proves that {wild} does not exist"
        )));
    }
    Ok(())
}

struct ZoneState {
    status: Security,
    keys: Vec<DNSKEY>,
}

/// Collected problems: (zone, server, address, reason) → details.
type Problems = BTreeMap<(Name, Name, IpAddr, BogusReason), BTreeSet<String>>;

/// Records a failed check of `probe`'s reply against the server as a server of `zone`.
fn note(
    problems: &mut Problems,
    zone: &Name,
    probe: &crate::model::Probe,
    result: Result<(), Problem>,
) {
    if let Err(e) = result {
        problems
            .entry((zone.clone(), probe.server.clone(), probe.address, e.reason))
            .or_default()
            .insert(e.detail);
    }
}

/// The zones asked for their DNSKEY (the zones whose DNSSEC is judged), root first.
fn checked_zones(walk: &Walk) -> Vec<Name> {
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
fn root_keys(walk: &Walk, anchors: &TrustAnchors) -> Option<(BTreeSet<u16>, bool)> {
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
fn private_root(walk: &Walk, anchors: &TrustAnchors) -> Option<(DnssecSummary, Vec<Finding>)> {
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

/// Validates the walk's DNSSEC evidence: a summary per zone and server, and findings.
#[must_use]
#[allow(clippy::too_many_lines)]
pub fn check(walk: &Walk, anchors: &TrustAnchors, now: u32) -> (DnssecSummary, Vec<Finding>) {
    if let Some(judged) = private_root(walk, anchors) {
        return judged;
    }
    let mut findings = Vec::new();
    let qid = |name: &Name, t: RecordType| {
        walk.questions
            .iter()
            .position(|q| q.name == *name && q.qtype == t)
    };
    let zones = checked_zones(walk);
    let mut state: BTreeMap<Name, ZoneState> = BTreeMap::new();
    let mut summary = Vec::new();
    let mut problems: Problems = BTreeMap::new();
    let standard = |zone: &Name, q: usize| -> Vec<&crate::model::Probe> {
        walk.probes
            .iter()
            .filter(|p| p.question == q && p.zone == *zone && p.kind == ProbeKind::Standard)
            .filter(|p| p.class.is_terminal() && p.reply.is_some())
            .collect()
    };

    // The answers to judge, by the zone whose keys must have signed them (computed once: a
    // batch diagnoses many views of the same shared probes).
    let mut data_probes: BTreeMap<Name, Vec<(usize, &crate::model::Probe)>> = BTreeMap::new();
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
    for zone in &zones {
        let parent = walk.zones.get(zone).and_then(|z| z.parent.clone());
        let (anchor_ds, anchor_keys) = anchors.for_zone(zone);
        let basis;
        // The DS set the zone's keys must match, or the zone's state without one.
        let mut expected: Vec<DS> = Vec::new();
        let mut decided: Option<Security> = None;
        if !anchor_ds.is_empty() || !anchor_keys.is_empty() {
            basis = format!("trust anchor ({})", anchors.source);
            expected = anchor_ds;
            for k in &anchor_keys {
                if let Ok(d) = super::ds_of(zone, k) {
                    expected.push(d);
                }
            }
        } else {
            let pstate = parent.as_ref().and_then(|p| state.get(p));
            match (parent.as_ref(), pstate) {
                (None, _) => {
                    basis = "no trust anchor for the root".into();
                    decided = Some(Security::Indeterminate);
                }
                (Some(p), None) => {
                    basis = format!("parent {p} was not checked");
                    decided = Some(Security::Indeterminate);
                }
                (Some(p), Some(ps)) if ps.keys.is_empty() => {
                    let s = ps.status;
                    basis = format!("below {} {p}", s.as_str());
                    decided = Some(if s == Security::Secure {
                        Security::Indeterminate
                    } else {
                        s
                    });
                }
                (Some(p), Some(_)) => {
                    basis = format!("DS in {p}");
                    let mut proven_insecure = false;
                    let mut answered = false;
                    // The DS answers of every server asked as a server of an ancestor: the
                    // parent, or a zone above it whose server also serves the parent.
                    let ds_probes: Vec<&crate::model::Probe> = qid(zone, RecordType::DS)
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
                        let mut signer = judged_zone(walk, probe, zone, &zones);
                        if signer == *zone {
                            signer = probe.zone.clone();
                        }
                        let Some(skeys) = state
                            .get(&signer)
                            .map(|s| s.keys.clone())
                            .filter(|k| !k.is_empty())
                        else {
                            continue;
                        };
                        let (pkeys, p) = (&skeys, &signer);
                        answered = true;
                        let result = match &probe.class {
                            ReplyClass::Answer { .. } => {
                                let set = rrset_in(&msg.answers, zone, RecordType::DS);
                                let sigs = sigs_in(&msg.answers, zone, RecordType::DS);
                                reply
                                    .memo(0, zone, RecordType::DS, pkeys, p, now, || {
                                        verify_set(zone, RecordType::DS, &set, &sigs, pkeys, p, now)
                                            .map(|_| ())
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
                                    .memo(1, zone, RecordType::DS, pkeys, p, now, || {
                                        denial(msg, zone, RecordType::DS, nx, pkeys, p, now)
                                    })
                                    .map(|()| proven_insecure = true)
                            }
                            _ => Ok(()),
                        };
                        note(&mut problems, &probe.zone, probe, result);
                    }
                    if expected.is_empty() {
                        decided = Some(if proven_insecure {
                            findings.push(insecure_finding(
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
                }
            }
        }
        if decided.is_none() {
            let usable: Vec<&DS> = expected
                .iter()
                .filter(|d| d.algorithm().is_supported() && d.digest_type().is_supported())
                .collect();
            if usable.is_empty() {
                let algs: BTreeSet<u8> = expected.iter().map(|d| u8::from(d.algorithm())).collect();
                findings.push(insecure_finding(
                    zone,
                    parent.as_ref().unwrap_or(zone),
                    Some(Reason::Bogus(BogusReason::UnsupportedAlgorithm)),
                    format!(
                        "{zone} is signed only with algorithms {algs:?}, which ptrtrace cannot verify; validators that cannot either treat it as insecure (RFC 4035 §5.2)"
                    ),
                ));
                decided = Some(Security::Insecure);
            }
        }
        let ds_list: Vec<String> = expected.iter().map(ds_text).collect();
        if let Some(s) = decided {
            state.insert(
                zone.clone(),
                ZoneState {
                    status: s,
                    keys: Vec::new(),
                },
            );
            summary.push(ZoneSecurity {
                zone: zone.clone(),
                status: s,
                basis,
                ds: ds_list,
                keys: Vec::new(),
                servers: Vec::new(),
            });
            continue;
        }

        // The zone is expected signed: judge each server's DNSKEY RRset.
        let mut trusted: Vec<DNSKEY> = Vec::new();
        let mut per_server: BTreeSet<(Name, IpAddr)> = BTreeSet::new();
        let mut mismatch_detail = BTreeSet::new();
        if let Some(q) = qid(zone, RecordType::DNSKEY) {
            for probe in standard(zone, q) {
                let Some(reply) = probe.reply.as_deref() else {
                    continue;
                };
                let msg = &reply.msg;
                per_server.insert((probe.server.clone(), probe.address));
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
                        mismatch_detail
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
                            verify_set(zone, RecordType::DNSKEY, &set, &sigs, &entry, zone, now)
                                .map(|_| ())
                        };
                        reply
                            .memo(2, zone, RecordType::DNSKEY, &entry, zone, now, check)
                            .map(|()| {
                                for k in keys {
                                    if !trusted.contains(&k) {
                                        trusted.push(k);
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
                note(&mut problems, zone, probe, result);
            }
        }

        // Every other RRset and negative answer its servers gave must validate.
        if !trusted.is_empty() {
            for &(qi, probe) in data_probes.get(zone).into_iter().flatten() {
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
                            let sigs = sigs_in(&msg.answers, qname, t);
                            let check = || {
                                verify_set(qname, t, &set, &sigs, &trusted, zone, now).map(|_| ())
                            };
                            if let Err(e) = reply.memo(3, qname, t, &trusted, zone, now, check) {
                                r = Err(e);
                            }
                        }
                        r
                    }
                    ReplyClass::Nxdomain | ReplyClass::Nodata => {
                        let nx = probe.class == ReplyClass::Nxdomain;
                        let qt = question.qtype;
                        reply.memo(4, qname, qt, &trusted, zone, now, || {
                            denial(msg, qname, qt, nx, &trusted, zone, now)
                        })
                    }
                    _ => Ok(()),
                };
                note(&mut problems, zone, probe, result);
            }
        }

        // Per server: bogus when any of its replies failed.
        let servers: Vec<ServerSecurity> = per_server
            .iter()
            .map(|(server, address)| {
                let reasons: Vec<BogusReason> = problems
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
        // A DS that matches no key of any server is one fault of the delegation, not one per
        // server: report it once for the zone.
        if !servers.is_empty()
            && servers
                .iter()
                .all(|s| s.reasons == [BogusReason::DsMismatch])
        {
            problems.retain(|(z, _, _, r), _| !(z == zone && *r == BogusReason::DsMismatch));
            findings.push(Finding {
                involved: Vec::new(),
                kind: FindingKind::DnssecBogus,
                severity: Severity::Error,
                reason: Some(Reason::Bogus(BogusReason::DsMismatch)),
                zone: zone.clone(),
                server: None,
                address: None,
                message: format!(
                    "The DS for {zone} in {} matches none of the zone's DNSKEYs on any server: the chain of trust is broken, and validating resolvers, Gmail's among them, get SERVFAIL for everything in and below it",
                    parent.as_ref().map_or_else(|| "the trust anchor".into(), ToString::to_string)
                ),
                advice: advice(BogusReason::DsMismatch).into(),
                evidence: mismatch_detail.into_iter().collect(),
            });
        }
        state.insert(
            zone.clone(),
            ZoneState {
                status,
                keys: if status == Security::Secure {
                    trusted.clone()
                } else {
                    Vec::new()
                },
            },
        );
        summary.push(ZoneSecurity {
            zone: zone.clone(),
            status,
            basis,
            ds: ds_list,
            keys: trusted.iter().map(key_text).collect(),
            servers,
        });
    }

    // One finding per server address and reason. "Intermittent" only when some server of
    // the zone passes: a zone whose every server fails here fails for every resolver (a
    // root server's DS answers can all fail while the root's own keys are fine).
    let failing: BTreeSet<(Name, Name, IpAddr)> = problems
        .keys()
        .map(|(z, s, a, _)| (z.clone(), s.clone(), *a))
        .collect();
    for ((zone, server, address, reason), details) in problems {
        let zs = summary.iter().find(|z| z.zone == zone);
        let all_fail = zs.is_some_and(|z| {
            z.status == Security::Bogus
                || (!z.servers.is_empty()
                    && z.servers
                        .iter()
                        .all(|s| failing.contains(&(zone.clone(), s.server.clone(), s.address))))
        });
        let impact = if all_fail {
            "every server of the zone fails validation, so validating resolvers (Gmail's among them) get SERVFAIL"
        } else {
            "validating resolvers (Gmail's among them) that pick this server get SERVFAIL, the others succeed: an intermittent failure"
        };
        findings.push(Finding {
            involved: Vec::new(),
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

    // Zones of the target's own answer paths where nothing validates.
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

/// The zone whose keys must have signed a probe's reply: the zone it was asked of, or a
/// zone below it that the same server also serves and that signed the reply (a root server
/// that also serves `arpa.` answers for `arpa.`, signed by `arpa.`). An unsigned reply from an
/// address found serving a hidden zone that holds the name is that zone's (an unsigned /24
/// on the servers of a signed /16 is insecure, not a /16 answer without signatures).
fn judged_zone(walk: &Walk, p: &crate::model::Probe, qname: &Name, zones: &[Name]) -> Name {
    let signer = p.reply.as_deref().map(|r| &r.msg).and_then(|m| {
        m.answers
            .iter()
            .chain(m.authorities.iter())
            .find_map(|r| match &r.data {
                RData::DNSSEC(DNSSECRData::RRSIG(s)) => Some(s.input().signer_name.clone()),
                _ => None,
            })
    });
    match signer {
        Some(s) if s != p.zone && p.zone.zone_of(&s) && s.zone_of(qname) && zones.contains(&s) => s,
        Some(_) => p.zone.clone(),
        None => walk
            .zones
            .iter()
            .filter(|(n, z)| {
                **n != p.zone
                    && p.zone.zone_of(n)
                    && n.zone_of(qname)
                    && zones.contains(n)
                    && z.found_inside.iter().any(|c| c.address == p.address)
            })
            .map(|(n, _)| n.clone())
            .max_by_key(Name::num_labels)
            .unwrap_or_else(|| p.zone.clone()),
    }
}

fn insecure_finding(
    zone: &Name,
    parent: &Name,
    reason: Option<Reason>,
    evidence: String,
) -> Finding {
    Finding {
        involved: Vec::new(),
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

fn headline(reason: BogusReason) -> &'static str {
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

/// What to do about a `dnssec_bogus` reason (docs/findings.md repeats these).
#[must_use]
pub fn advice(reason: BogusReason) -> &'static str {
    match reason {
        BogusReason::DsMismatch => {
            "Publish the DS of the zone's current key-signing key in the parent (for reverse zones: through the RIR's or the upstream ISP's portal), or remove the DS if the zone is no longer signed. Check with the DNSKEY key tags in the evidence."
        }
        BogusReason::MissingDnskey => {
            "This server serves an unsigned copy of the zone, or a copy signed with another key: make it a secondary of the signer and transfer the signed zone."
        }
        BogusReason::MissingRrsig => {
            "This server strips signatures or serves an unsigned copy: transfer the signed zone to it from the signer, and make sure its software answers DO=1 queries with RRSIGs."
        }
        BogusReason::BadSignature => {
            "The data was changed after signing or signed with another key: re-sign the zone and have every server transfer it from the signer."
        }
        BogusReason::ExpiredSignature => {
            "Re-sign the zone; if only this server has old signatures, it stopped transferring (compare its SOA serial): fix the transfer from the signer."
        }
        BogusReason::NotYetValid => {
            "The signer's clock is ahead, or this server's copy was signed with a wrong clock: fix the clock and re-sign."
        }
        BogusReason::BadDenial => {
            "Serve the signed zone, with its NSEC or NSEC3 chain, from a DNSSEC-aware server: without a proof, validating resolvers turn NXDOMAIN and NODATA into SERVFAIL."
        }
        BogusReason::UnsupportedAlgorithm => {
            "Use a signing algorithm validators support (13 or 8, RFC 8624)."
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Name {
        Name::from_ascii(s).unwrap()
    }

    /// A test key signed with hickory's Ed25519 signer directly: the lab's signer is not
    /// used here, so the lab does not vouch for the validator it tests (the BIND-signed
    /// fixtures in tests/bind_fixtures.rs are the outside judge).
    struct TestKey {
        dnskey: DNSKEY,
        key: hickory_proto::dnssec::crypto::Ed25519SigningKey,
    }

    impl TestKey {
        fn generate() -> Self {
            use hickory_proto::dnssec::SigningKey as _;
            use hickory_proto::dnssec::crypto::Ed25519SigningKey;
            let pkcs8 = Ed25519SigningKey::generate_pkcs8().unwrap();
            let key = Ed25519SigningKey::from_pkcs8(&pkcs8).unwrap();
            let dnskey = DNSKEY::new(true, true, false, key.to_public_key().unwrap());
            Self { dnskey, key }
        }

        /// An RRSIG over `set` by `signer`, valid from an hour before `t` to a month after.
        fn sign_set(&self, set: &[Record], signer: &Name, t: u32) -> Record {
            use hickory_proto::dnssec::rdata::SigInput;
            use hickory_proto::dnssec::{SigningKey as _, TBS};
            use hickory_proto::rr::{DNSClass, SerialNumber};
            let first = &set[0];
            let input = SigInput {
                type_covered: first.record_type(),
                algorithm: self.dnskey.algorithm(),
                num_labels: first.name.num_labels(),
                original_ttl: first.ttl,
                sig_expiration: SerialNumber::new(t.wrapping_add(30 * 86_400)),
                sig_inception: SerialNumber::new(t.wrapping_sub(3600)),
                key_tag: self.dnskey.calculate_key_tag().unwrap(),
                signer_name: signer.clone(),
            };
            let tbs = TBS::from_input(&first.name, DNSClass::IN, &input, set.iter()).unwrap();
            let sig = self.key.sign(&tbs).unwrap();
            Record::from_rdata(
                first.name.clone(),
                first.ttl,
                RData::DNSSEC(DNSSECRData::RRSIG(RRSIG::from_sig(input, sig))),
            )
        }
    }

    /// An NSEC3 chain over `example.`'s names {apex, a, c} (SHA-1, salt ab, 2 iterations),
    /// signed; and the key that signed it.
    fn nsec3_zone() -> (Vec<Record>, DNSKEY) {
        use hickory_proto::dnssec::Nsec3HashAlgorithm;
        use hickory_proto::dnssec::rdata::NSEC3;
        let key = TestKey::generate();
        let zone = n("example.");
        let alg = Nsec3HashAlgorithm::SHA1;
        let names = [
            (n("example."), vec![RecordType::SOA, RecordType::NS]),
            (n("a.example."), vec![RecordType::A]),
            (n("c.example."), vec![RecordType::TXT]),
        ];
        let mut hashed: Vec<(Vec<u8>, Vec<RecordType>)> = names
            .iter()
            .map(|(x, t)| {
                (
                    alg.hash(&[0xab], x, 2).unwrap().as_ref().to_vec(),
                    t.clone(),
                )
            })
            .collect();
        hashed.sort();
        let mut out = Vec::new();
        let t = now();
        for (i, (h, types)) in hashed.iter().enumerate() {
            let next = hashed[(i + 1) % hashed.len()].0.clone();
            let owner = zone
                .prepend_label(data_encoding::BASE32_DNSSEC.encode(h))
                .unwrap();
            let rec = Record::from_rdata(
                owner,
                300,
                RData::DNSSEC(DNSSECRData::NSEC3(NSEC3::new(
                    alg,
                    false,
                    2,
                    vec![0xab],
                    next,
                    types.iter().copied(),
                ))),
            );
            out.push(key.sign_set(std::slice::from_ref(&rec), &zone, t));
            out.push(rec);
        }
        (out, key.dnskey.clone())
    }

    #[test]
    fn nsec3_proofs_are_checked() {
        let (auth, key) = nsec3_zone();
        let zone = n("example.");
        let keys = [key];
        let t = now();
        let check = |q: &str, qt: RecordType, nx: bool, records: &[Record]| {
            nsec3_denial(records, &n(q), qt, nx, &keys, &zone, t, "test")
        };
        // NODATA: a matching NSEC3 without the type.
        assert!(check("a.example.", RecordType::AAAA, false, &auth).is_ok());
        let e = check("a.example.", RecordType::A, false, &auth).unwrap_err();
        assert_eq!(e.reason, BogusReason::BadDenial);
        // NXDOMAIN: closest encloser example. (matching), next closer and wildcard covered.
        assert!(check("b.example.", RecordType::PTR, true, &auth).is_ok());
        assert!(check("x.y.a.example.", RecordType::PTR, true, &auth).is_ok());
        // Without the NSEC3 of the apex there is no closest encloser proof.
        let apex = data_encoding::BASE32_DNSSEC.encode(
            hickory_proto::dnssec::Nsec3HashAlgorithm::SHA1
                .hash(&[0xab], &zone, 2)
                .unwrap()
                .as_ref(),
        );
        let partial: Vec<Record> = auth
            .iter()
            .filter(|r| !r.name.to_string().starts_with(&apex))
            .cloned()
            .collect();
        assert_eq!(
            check("b.example.", RecordType::PTR, true, &partial)
                .unwrap_err()
                .reason,
            BogusReason::BadDenial
        );
        // Damaged signatures are named as such, not as a missing proof.
        let damaged: Vec<Record> = auth
            .iter()
            .map(|r| {
                let mut r = r.clone();
                if let RData::DNSSEC(DNSSECRData::RRSIG(s)) = &r.data {
                    let mut b = s.sig().to_vec();
                    b[0] ^= 1;
                    r.data =
                        RData::DNSSEC(DNSSECRData::RRSIG(RRSIG::from_sig(s.input().clone(), b)));
                }
                r
            })
            .collect();
        assert_eq!(
            check("b.example.", RecordType::PTR, true, &damaged)
                .unwrap_err()
                .reason,
            BogusReason::BadSignature
        );
    }

    #[test]
    fn signature_floods_are_bounded() {
        let key = TestKey::generate();
        let zone = n("example.");
        let rec = Record::from_rdata(
            n("a.example."),
            300,
            RData::A(hickory_proto::rr::rdata::A::new(192, 0, 2, 1)),
        );
        let good = key.sign_set(std::slice::from_ref(&rec), &zone, now());
        let RData::DNSSEC(DNSSECRData::RRSIG(s)) = &good.data else {
            panic!()
        };
        // 40 damaged copies of the signature, then the good one: the good one is never
        // reached, because the checks stop at the bound.
        let mut sigs: Vec<RRSIG> = (0..40u8)
            .map(|i| {
                let mut b = s.sig().to_vec();
                b[0] ^= i + 1;
                RRSIG::from_sig(s.input().clone(), b)
            })
            .collect();
        sigs.push(s.clone());
        let refs: Vec<&RRSIG> = sigs.iter().collect();
        let e = verify_set(
            &n("a.example."),
            RecordType::A,
            &[&rec],
            &refs,
            std::slice::from_ref(&key.dnskey),
            &zone,
            now(),
        )
        .unwrap_err();
        assert!(
            e.detail.contains("within 16 signature checks"),
            "{}",
            e.detail
        );
        // The good signature alone verifies.
        assert!(
            verify_set(
                &n("a.example."),
                RecordType::A,
                &[&rec],
                &[s],
                std::slice::from_ref(&key.dnskey),
                &zone,
                now()
            )
            .is_ok()
        );
    }

    #[test]
    fn serial_times_wrap() {
        assert!(serial_lt(1, 2));
        assert!(!serial_lt(2, 1));
        assert!(!serial_lt(5, 5));
        assert!(serial_lt(u32::MAX - 5, 10), "10 comes after a wrap");
    }

    #[test]
    fn nsec_covering_is_canonical_and_wraps() {
        let (a, c, apex) = (n("a.example."), n("c.example."), n("example."));
        assert!(covers(&a, &c, &n("b.example.")));
        assert!(covers(&a, &c, &n("x.b.example.")), "below b sorts before c");
        assert!(!covers(&a, &c, &n("d.example.")));
        assert!(!covers(&a, &c, &a), "the owner itself exists");
        assert!(
            covers(&c, &apex, &n("z.example.")),
            "the last NSEC wraps to the apex"
        );
    }

    #[test]
    fn dates_read_as_utc() {
        assert_eq!(date(0), "1970-01-01 00:00Z");
        assert_eq!(date(1_795_000_000), "2026-11-18 11:06Z");
    }
}
