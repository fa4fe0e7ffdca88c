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
use crate::model::finding::{BogusReason, Detail, Finding, Reason, Severity};
use crate::model::kept::Problem;
use crate::model::walk::{Probe, ProbeKind, Purpose, Walk};

mod chain;
mod denial;
mod judge;
mod nsec3;
mod summary;
mod verify;

use chain::Trust;
use denial::denial;
use denial::type_absent;
use judge::{Anchored, Judge};
use nsec3::nsec3_denial;
use summary::{checked_zones, date, ds_text, insecure_finding, key_tag, key_text};
pub use verify::{Validator, canonical_rdata};
use verify::{rrset_in, sigs_in, verify_set};

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

/// Most signature verifications spent on one RRset.
const MAX_CRYPTO_PER_RRSET: u32 = 16;

/// Most NSEC3 iterations ptrtrace hashes with (RFC 9276 §3.2 lets validators treat more as
/// insecure; the bound keeps a hostile zone from costing CPU).
const NSEC3_MAX_ITERATIONS: u16 = 500;

pub(super) struct ZoneState {
    pub status: Security,
    pub keys: Vec<DNSKEY>,
}

/// Collected problems: (zone, server, address, reason) → details.
pub(super) type Problems = BTreeMap<(Name, Name, IpAddr, BogusReason), BTreeSet<String>>;

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

impl Validator {
    /// Validates the walk's DNSSEC evidence: a summary per zone and server, and findings.
    /// Zones are judged root first, each from its trust basis ([`chain`]) and then server by
    /// server ([`judge`]); [`summary`] turns the problems into findings.
    #[must_use]
    pub fn check(&self, walk: &Walk, anchors: &TrustAnchors) -> (DnssecSummary, Vec<Finding>) {
        if let Some(judged) = summary::private_root(walk, anchors) {
            return judged;
        }
        let mut j = Judge::new(walk, anchors, self);
        for zone in j.zones.clone() {
            j.zone(&zone);
        }
        j.finish()
    }
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

#[cfg(test)]
mod tests {
    use super::denial::covers;
    use super::verify::serial_lt;
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

    /// A wildcard answer in an NSEC3 zone (RFC 5155 §8.8): the next closer name below the
    /// closest encloser the RRSIG's labels imply must be covered by a signed NSEC3.
    #[test]
    fn nsec3_wildcard_answers_need_the_next_closer_name_covered() {
        let (auth, key) = nsec3_zone();
        let zone = n("example.");
        let keys = [key];
        let v = Validator::at(now());
        let check = |q: &str, labels: u8, records: &[Record]| {
            super::nsec3::nsec3_wildcard(records, &n(q), labels, &keys, &zone, &v)
        };
        // *.example. (1 label) answering x.example. and q.x.example.: x.example. is covered.
        assert!(check("x.example.", 1, &auth).is_ok());
        assert!(check("q.x.example.", 1, &auth).is_ok());
        // a.example. exists: an answer for z.a.example. cannot come from *.example.
        let e = check("z.a.example.", 1, &auth).unwrap_err();
        assert_eq!(e.reason, BogusReason::BadDenial, "{}", e.detail);
        assert!(e.detail.contains("covers a.example."), "{}", e.detail);
        // Without the NSEC3 that covers x.example., nothing proves the name does not exist.
        let hash = |name: &str| {
            data_encoding::BASE32_DNSSEC.encode(
                hickory_proto::dnssec::Nsec3HashAlgorithm::SHA1
                    .hash(&[0xab], &n(name), 2)
                    .unwrap()
                    .as_ref(),
            )
        };
        let x = hash("x.example.");
        let mut owners: Vec<String> = ["example.", "a.example.", "c.example."]
            .iter()
            .map(|z| hash(z))
            .collect();
        owners.sort();
        // The span that covers x's hash begins at the last owner before it (or wraps).
        let cover = owners
            .iter()
            .rev()
            .find(|o| **o < x)
            .unwrap_or_else(|| owners.last().unwrap())
            .clone();
        let without: Vec<Record> = auth
            .iter()
            .filter(|r| !r.name.to_string().to_lowercase().starts_with(&cover))
            .cloned()
            .collect();
        assert!(without.len() < auth.len());
        let e = check("x.example.", 1, &without).unwrap_err();
        assert_eq!(e.reason, BogusReason::BadDenial, "{}", e.detail);
    }

    #[test]
    fn nsec3_proofs_are_checked() {
        let (auth, key) = nsec3_zone();
        let zone = n("example.");
        let keys = [key];
        let v = Validator::at(now());
        let check = |q: &str, qt: RecordType, nx: bool, records: &[Record]| {
            nsec3_denial(records, &n(q), qt, nx, &keys, &zone, &v, "test")
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
            &Validator::at(now()),
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
                &Validator::at(now())
            )
            .is_ok()
        );
    }

    /// A DNAME record as hickory-proto reads it off the wire: opaque RDATA, the target's
    /// name with the case it was written in.
    fn dname(owner: &str, target: &str) -> Record {
        use hickory_proto::serialize::binary::BinEncodable as _;
        let bytes = Name::from_ascii(target).unwrap().to_bytes().unwrap();
        Record::from_rdata(
            n(owner),
            3600,
            RData::Unknown {
                code: RecordType::DNAME,
                rdata: hickory_proto::rr::rdata::NULL::with(bytes),
            },
        )
    }

    #[test]
    fn a_dname_target_in_upper_case_verifies_against_the_canonical_signature() {
        // The zone's signer (as BIND's dnssec-signzone) signs the lowercase target (RFC 4034
        // §6.2); the server sends the target as the zone file wrote it.
        let key = TestKey::generate();
        let zone = n("3.51.198.in-addr.arpa.");
        let owner = "3.51.198.in-addr.arpa.";
        let signed = dname(owner, "4.51.198.in-addr.arpa.");
        let sig = key.sign_set(std::slice::from_ref(&signed), &zone, now());
        let RData::DNSSEC(DNSSECRData::RRSIG(sig)) = &sig.data else {
            panic!()
        };
        let check = |rec: &Record| {
            verify_set(
                &n(owner),
                RecordType::DNAME,
                &[rec],
                &[sig],
                std::slice::from_ref(&key.dnskey),
                &zone,
                &Validator::at(now()),
            )
        };
        assert!(check(&dname(owner, "4.51.198.IN-ADDR.ARPA.")).is_ok());
        assert!(check(&dname(owner, "4.51.198.In-Addr.Arpa.")).is_ok());
        // Case is all that is forgiven: another target fails.
        let e = check(&dname(owner, "5.51.198.IN-ADDR.ARPA.")).unwrap_err();
        assert_eq!(e.reason, BogusReason::BadSignature, "{}", e.detail);
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
