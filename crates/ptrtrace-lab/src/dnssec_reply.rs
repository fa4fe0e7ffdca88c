//! The DNSSEC side of a lab server's reply: the RRSIGs it adds (damaged under the
//! `BadSignature` fault) and the NSEC proofs of its negative answers (RFC 4035 §3.1.3).

use hickory_proto::dnssec::rdata::{DNSSECRData, RRSIG};
use hickory_proto::rr::{Name, RData, Record, RecordType};

use crate::zone_data::ZoneData;

/// The RRSIGs over `name`'s `t` records when the reply carries DNSSEC, damaged when the
/// fault says so.
pub(crate) fn signatures(zone: &ZoneData, name: &Name, t: RecordType, sec: Sec) -> Vec<Record> {
    if !sec.on {
        return Vec::new();
    }
    let mut v = zone.sigs_for(name, t);
    if sec.corrupt {
        for r in &mut v {
            if let RData::DNSSEC(DNSSECRData::RRSIG(s)) = &r.data {
                let mut bytes = s.sig().to_vec();
                if let Some(b) = bytes.first_mut() {
                    *b ^= 0xff;
                }
                r.data = RData::DNSSEC(DNSSECRData::RRSIG(RRSIG::from_sig(
                    s.input().clone(),
                    bytes,
                )));
            }
        }
    }
    v
}

/// The NSEC proof of a negative answer (RFC 4035 §3.1.3): NODATA shows the name's types;
/// NXDOMAIN covers the name and the wildcard at its closest encloser.
pub(crate) fn denial(zone: &ZoneData, qname: &Name, exists: bool) -> Vec<Record> {
    let at_name = zone.get(qname, RecordType::NSEC);
    if exists && !at_name.is_empty() {
        return at_name;
    }
    let mut proof: Vec<Record> = Vec::new();
    if let Some(n) = zone.nsec_covering(qname) {
        proof.push(n);
        if !exists {
            let mut ce = qname.base_name();
            while !zone.name_or_descendant_exists(&ce) && !ce.is_root() {
                ce = ce.base_name();
            }
            if let Ok(wild) = ce.prepend_label("*")
                && let Some(w) = zone.nsec_covering(&wild)
                && !proof.contains(&w)
            {
                proof.push(w);
            }
        }
    }
    proof
}

/// How a reply carries DNSSEC records.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sec {
    /// The query had DO=1 and the server does DNSSEC: add RRSIGs and proofs.
    pub(crate) on: bool,
    /// Add NSEC proofs to negative answers.
    pub(crate) denial: bool,
    /// Damage the signatures.
    pub(crate) corrupt: bool,
}
