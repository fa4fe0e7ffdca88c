//! Signatures: one RRSIG checked against a key (hickory-proto's cryptography, remembered
//! by the [`Validator`]), and an RRset's signatures checked within their validity window
//! (RFC 4034 §3.1.5 serial arithmetic), at most `MAX_CRYPTO_PER_RRSET` verifications each.

use super::*;

/// Validation's state, held by its caller: the time signatures are judged at, and the
/// verifications already made. Several servers of a zone (and a batch's targets) return the
/// same RRSIG over the same RRset: it is verified once per validator. A trace is then a
/// function of its inputs; tests pin the time with [`Validator::at`].
#[derive(Debug)]
pub struct Validator {
    /// Seconds since the epoch, as a DNSSEC time (RFC 4034 §3.1.5: the low 32 bits).
    pub now: u32,
    verified: std::sync::Mutex<std::collections::HashMap<Vec<u8>, bool>>,
}

/// Verifications a [`Validator`] remembers before it starts afresh.
const VERIFIED_MAX: usize = 4096;

impl Validator {
    /// A validator judging signatures at `now` (seconds since the epoch, low 32 bits).
    #[must_use]
    pub fn at(now: u32) -> Self {
        Self {
            now,
            verified: std::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }

    /// A validator judging signatures at this host's clock, read once here.
    #[must_use]
    pub fn now() -> Self {
        Self::at(now())
    }

    /// The cryptographic check of one RRSIG over `set` with `k` (hickory-proto), remembered
    /// by exact bytes (key, algorithm, signed data, signature).
    fn verify_once(&self, k: &DNSKEY, owner: &Name, sig: &RRSIG, set: &[&Record]) -> bool {
        let canonical = canonical_rdata(set.iter().copied());
        let Ok(tbs) = hickory_proto::dnssec::TBS::from_input(
            owner,
            DNSClass::IN,
            sig.input(),
            canonical.iter().map(|r| &**r),
        ) else {
            return false;
        };
        let public = hickory_proto::dnssec::PublicKey::public_bytes(k.public_key());
        let mut key = vec![u8::from(k.algorithm())];
        for part in [public, tbs.as_ref(), sig.sig()] {
            key.extend_from_slice(&u32::try_from(part.len()).unwrap_or(u32::MAX).to_be_bytes());
            key.extend_from_slice(part);
        }
        if let Some(ok) = self.verified.lock().ok().and_then(|m| m.get(&key).copied()) {
            return ok;
        }
        let ok = k.verify(tbs.as_ref(), sig.sig()).is_ok();
        if let Ok(mut m) = self.verified.lock() {
            if m.len() >= VERIFIED_MAX {
                m.clear();
            }
            m.insert(key, ok);
        }
        ok
    }
}

/// `set` with the names in its RDATA in the case a signature covers (RFC 4034 §6.2 as RFC 6840
/// §5.1 amends it: the names in the RDATA of NS, CNAME, PTR, SOA, MX, SRV, DNAME and a few
/// more are lowercased). hickory-proto's signed-data encoder lowercases them for the types it
/// decodes; a DNAME it keeps as opaque bytes, so its target keeps the case it came with and a
/// target such as `4.51.198.IN-ADDR.ARPA.` would fail a signature that BIND's signer made over
/// the lowercase name. Here a DNAME's RDATA (one uncompressed name, RFC 6672 §2.5) has its
/// ASCII letters lowercased: a label's length octet is at most 63, below `A`, so only the
/// labels' letters change; other records are borrowed as they are. The lab signs through
/// the same function.
pub fn canonical_rdata<'r>(
    set: impl IntoIterator<Item = &'r Record>,
) -> Vec<std::borrow::Cow<'r, Record>> {
    use std::borrow::Cow;
    set.into_iter()
        .map(|r| match &r.data {
            RData::Unknown { code, rdata } if *code == RecordType::DNAME => {
                let lower = rdata.anything.to_ascii_lowercase();
                let mut c = r.clone();
                c.data = RData::Unknown {
                    code: *code,
                    rdata: hickory_proto::rr::rdata::NULL::with(lower),
                };
                Cow::Owned(c)
            }
            _ => Cow::Borrowed(r),
        })
        .collect()
}

/// RFC 1982: is `a` before `b`?
pub(super) fn serial_lt(a: u32, b: u32) -> bool {
    a != b && b.wrapping_sub(a) < 0x8000_0000
}

pub(super) fn sigs_in<'m>(
    records: &'m [Record],
    owner: &Name,
    rtype: RecordType,
) -> Vec<&'m RRSIG> {
    records
        .iter()
        .filter(|r| r.name == *owner)
        .filter_map(|r| match &r.data {
            RData::DNSSEC(DNSSECRData::RRSIG(s)) if s.input().type_covered == rtype => Some(s),
            _ => None,
        })
        .collect()
}

pub(super) fn rrset_in<'m>(
    records: &'m [Record],
    owner: &Name,
    rtype: RecordType,
) -> Vec<&'m Record> {
    records
        .iter()
        .filter(|r| r.name == *owner && r.record_type() == rtype)
        .collect()
}

/// Verifies the RRSIGs over one RRset: `Ok(key tag)` for the first valid one in its window.
pub(super) fn verify_set(
    owner: &Name,
    rtype: RecordType,
    set: &[&Record],
    sigs: &[&RRSIG],
    keys: &[DNSKEY],
    signer: &Name,
    v: &Validator,
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
    // KeyTrap (CVE-2023-50387): a hostile RRset with many RRSIGs and many keys sharing a tag
    // must not cost a verification for each pair.
    let mut budget = MAX_CRYPTO_PER_RRSET;
    for sig in mine {
        if budget == 0 {
            best = Some(Problem::new(
                BogusReason::BadSignature,
                format!(
                    "{what}: no RRSIG verified within {MAX_CRYPTO_PER_RRSET} signature checks (the bound against KeyTrap-style floods)"
                ),
            ));
            break;
        }
        let signed = Signed {
            owner,
            set,
            what: &what,
            signer,
        };
        match signed.check(sig, keys, v, &mut budget) {
            Ok(tag) => return Ok(tag),
            Err(p) => {
                if best.as_ref().is_none_or(|b| p.rank() < b.rank()) {
                    best = Some(p);
                }
            }
        }
    }
    Err(best.unwrap_or_else(|| {
        Problem::new(
            BogusReason::BadSignature,
            format!("{what}: no RRSIG verifies"),
        )
    }))
}

/// One RRset and the zone that should have signed it, as `verify_set` checks it.
struct Signed<'a> {
    owner: &'a Name,
    set: &'a [&'a Record],
    /// `owner TYPE`, for the problems' words.
    what: &'a str,
    signer: &'a Name,
}

impl Signed<'_> {
    /// One RRSIG: `Ok(key tag)` when a key of the zone verifies it within its window, else
    /// why not. Each verification spends one of `budget`.
    fn check(
        &self,
        sig: &RRSIG,
        keys: &[DNSKEY],
        v: &Validator,
        budget: &mut u32,
    ) -> Result<u16, Problem> {
        let (what, signer) = (self.what, self.signer);
        let input = sig.input();
        if !input.algorithm.is_supported() {
            return Err(Problem::new(
                BogusReason::UnsupportedAlgorithm,
                format!(
                    "{what}: RRSIG algorithm {} is not one ptrtrace can verify",
                    u8::from(input.algorithm)
                ),
            ));
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
            return Err(Problem::new(
                BogusReason::MissingDnskey,
                format!(
                    "{what}: RRSIG by key {} of {signer}, which is not among the zone's validated DNSKEYs",
                    input.key_tag
                ),
            ));
        }
        let good = candidates.iter().any(|k| {
            if *budget == 0 {
                return false;
            }
            *budget -= 1;
            v.verify_once(k, self.owner, sig, self.set)
        });
        if !good {
            return Err(Problem::new(
                BogusReason::BadSignature,
                format!("{what}: the RRSIG by key {} does not verify", input.key_tag),
            ));
        }
        let (inc, exp) = (input.sig_inception.get(), input.sig_expiration.get());
        if serial_lt(exp, v.now) {
            return Err(Problem::new(
                BogusReason::ExpiredSignature,
                format!(
                    "{what}: the RRSIG by key {} expired {}",
                    input.key_tag,
                    date(exp)
                ),
            ));
        }
        if serial_lt(v.now, inc) {
            return Err(Problem::new(
                BogusReason::NotYetValid,
                format!(
                    "{what}: the RRSIG by key {} is valid only from {}",
                    input.key_tag,
                    date(inc)
                ),
            ));
        }
        Ok(input.key_tag)
    }
}
