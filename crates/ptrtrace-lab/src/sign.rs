//! Signing the lab's zones at lab start (RFC 4034, RFC 4035 §2): one Ed25519 key per zone
//! (a combined signing key, flags 257), a DNSKEY RRset at the apex, DS records at signed
//! children's cuts, an NSEC chain over the authoritative names, and an RRSIG over every
//! authoritative RRset. Keys are made afresh at every start, so no private key is kept.

use std::collections::{BTreeMap, BTreeSet};

use hickory_proto::dnssec::crypto::Ed25519SigningKey;
use hickory_proto::dnssec::rdata::{DNSKEY, DNSSECRData, DS, NSEC, RRSIG, SigInput};
use hickory_proto::dnssec::{SigningKey, TBS, Verifier};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType, SerialNumber};

use super::server::ZoneData;

/// A zone's signing key and its public DNSKEY.
pub struct ZoneKey {
    /// The public key as published.
    pub dnskey: DNSKEY,
    key: Box<dyn SigningKey>,
}

impl std::fmt::Debug for ZoneKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZoneKey")
            .field("tag", &self.dnskey.calculate_key_tag().ok())
            .finish_non_exhaustive()
    }
}

impl ZoneKey {
    /// A fresh Ed25519 key (algorithm 15).
    ///
    /// # Errors
    /// When the system random source fails.
    pub fn generate() -> Result<Self, String> {
        let pkcs8 = Ed25519SigningKey::generate_pkcs8().map_err(|e| e.to_string())?;
        let key = Ed25519SigningKey::from_pkcs8(&pkcs8).map_err(|e| e.to_string())?;
        let public = key.to_public_key().map_err(|e| e.to_string())?;
        Ok(Self {
            dnskey: DNSKEY::new(true, true, false, public),
            key: Box::new(key),
        })
    }

    /// The key tag (RFC 4034 appendix B).
    #[must_use]
    pub fn tag(&self) -> u16 {
        self.dnskey.calculate_key_tag().unwrap_or(0)
    }

    /// An RRSIG record over `set` (one owner, one type), valid over `window`.
    pub(crate) fn sign_set(
        &self,
        set: &[Record],
        signer: &Name,
        window: Window,
    ) -> Result<Record, String> {
        let first = set.first().ok_or("empty RRset")?;
        let owner = first.name.clone();
        let input = SigInput {
            type_covered: first.record_type(),
            algorithm: self.dnskey.algorithm(),
            num_labels: owner.num_labels(),
            original_ttl: first.ttl,
            sig_expiration: SerialNumber::new(window.expiration),
            sig_inception: SerialNumber::new(window.inception),
            key_tag: self.tag(),
            signer_name: signer.clone(),
        };
        // The RDATA's names in their canonical case, as BIND's signer does (a DNAME's too).
        let canonical = ptrtrace_core::dnssec::validate::canonical_rdata(set);
        let tbs = TBS::from_input(&owner, DNSClass::IN, &input, canonical.iter().map(|r| &**r))
            .map_err(|e| e.to_string())?;
        let sig = self.key.sign(&tbs).map_err(|e| e.to_string())?;
        Ok(Record::from_rdata(
            owner,
            first.ttl,
            RData::DNSSEC(DNSSECRData::RRSIG(RRSIG::from_sig(input, sig))),
        ))
    }
}

/// A signature validity window, in seconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Valid from.
    pub inception: u32,
    /// Valid until.
    pub expiration: u32,
}

impl Window {
    /// From an hour ago to 30 days ahead, as signers do.
    #[must_use]
    pub fn current(now: u32) -> Self {
        Self {
            inception: now.wrapping_sub(3600),
            expiration: now.wrapping_add(30 * 86_400),
        }
    }

    /// Valid only from tomorrow: signed on a host whose clock runs a day ahead.
    #[must_use]
    pub fn future(now: u32) -> Self {
        Self {
            inception: now.wrapping_add(86_400),
            expiration: now.wrapping_add(31 * 86_400),
        }
    }

    /// Expired yesterday: a copy nobody re-signed for a month.
    #[must_use]
    pub fn expired(now: u32) -> Self {
        Self {
            inception: now.wrapping_sub(31 * 86_400),
            expiration: now.wrapping_sub(86_400),
        }
    }
}

impl ZoneData {
    /// Signs the zone: DNSKEY at the apex, `child_ds` at the cuts they name, an NSEC chain
    /// and RRSIGs over every authoritative RRset (not over delegation NS RRsets or glue).
    ///
    /// # Errors
    /// When a record cannot be encoded or signed.
    pub fn sign(
        &mut self,
        key: &ZoneKey,
        child_ds: &BTreeMap<Name, Vec<DS>>,
        window: Window,
    ) -> Result<(), String> {
        let origin = self.origin.clone();
        let dnskey_ttl = 3600;
        self.records
            .entry(origin.clone())
            .or_default()
            .push(Record::from_rdata(
                origin.clone(),
                dnskey_ttl,
                RData::DNSSEC(DNSSECRData::DNSKEY(key.dnskey.clone())),
            ));
        let cuts: BTreeSet<Name> = self
            .records
            .iter()
            .filter(|(n, rs)| **n != origin && rs.iter().any(|r| r.record_type() == RecordType::NS))
            .map(|(n, _)| n.clone())
            .collect();
        for cut in &cuts {
            for ds in child_ds.get(cut).into_iter().flatten() {
                self.records
                    .entry(cut.clone())
                    .or_default()
                    .push(Record::from_rdata(
                        cut.clone(),
                        86_400,
                        RData::DNSSEC(DNSSECRData::DS(ds.clone())),
                    ));
            }
        }
        // Names below a cut (glue) are not the zone's data (RFC 4035 §2.2).
        let auth: Vec<Name> = self
            .records
            .keys()
            .filter(|n| !cuts.iter().any(|c| c != *n && c.zone_of(n)))
            .cloned()
            .collect();
        let neg_ttl = 3600;
        for (i, name) in auth.iter().enumerate() {
            let next = auth[(i + 1) % auth.len()].clone();
            let mut types: BTreeSet<RecordType> =
                self.records[name].iter().map(Record::record_type).collect();
            if cuts.contains(name) {
                types.retain(|t| matches!(t, RecordType::NS | RecordType::DS));
            }
            types.extend([RecordType::NSEC, RecordType::RRSIG]);
            self.records
                .entry(name.clone())
                .or_default()
                .push(Record::from_rdata(
                    name.clone(),
                    neg_ttl,
                    RData::DNSSEC(DNSSECRData::NSEC(NSEC::new(next, types))),
                ));
        }
        for name in &auth {
            let mut by_type: BTreeMap<RecordType, Vec<Record>> = BTreeMap::new();
            for r in &self.records[name] {
                by_type.entry(r.record_type()).or_default().push(r.clone());
            }
            for (t, set) in by_type {
                if t == RecordType::NS && cuts.contains(name) {
                    continue;
                }
                let sig = key.sign_set(&set, &origin, window)?;
                self.sigs.entry((name.clone(), t)).or_default().push(sig);
            }
        }
        self.signed = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_zone_verifies_and_chains_from_its_ds() {
        let mut z = ZoneData::parse(
            "example.",
            "@ 3600 SOA ns.example. h.example. 1 2 3 4 5\n@ NS ns.example.\nns A 192.0.2.1\nsub NS ns.sub.example.\nns.sub A 192.0.2.9\n",
        )
        .unwrap();
        let key = ZoneKey::generate().unwrap();
        let child = ZoneKey::generate().unwrap();
        let sub = Name::from_ascii("sub.example.").unwrap();
        let ds = ptrtrace_core::dnssec::ds_of(&sub, &child.dnskey).unwrap();
        z.sign(
            &key,
            &BTreeMap::from([(sub.clone(), vec![ds.clone()])]),
            Window::current(ptrtrace_core::dnssec::validate::now()),
        )
        .unwrap();
        let apex = Name::from_ascii("example.").unwrap();
        for t in [
            RecordType::SOA,
            RecordType::NS,
            RecordType::DNSKEY,
            RecordType::NSEC,
        ] {
            let set = z.get(&apex, t);
            let sig = &z.sigs_for(&apex, t)[0];
            let RData::DNSSEC(DNSSECRData::RRSIG(s)) = &sig.data else {
                panic!()
            };
            key.dnskey
                .verify_rrsig(&apex, DNSClass::IN, s, set.iter())
                .unwrap();
        }
        assert!(
            z.sigs_for(&sub, RecordType::NS).is_empty(),
            "delegation NS is not signed"
        );
        assert_eq!(z.sigs_for(&sub, RecordType::DS).len(), 1, "the DS is");
        assert!(ds.covers(&sub, &child.dnskey).unwrap());
        let glue = Name::from_ascii("ns.sub.example.").unwrap();
        assert!(
            z.get(&glue, RecordType::NSEC).is_empty(),
            "glue is not in the NSEC chain"
        );
    }
}
