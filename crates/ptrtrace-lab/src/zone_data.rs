//! A zone's records as a lab server holds them, read from master-file text, with the
//! lookups the authoritative algorithm needs (closest cut, glue, NSEC coverage).

use std::collections::BTreeMap;

use hickory_proto::rr::rdata::NS;
use hickory_proto::rr::{Name, RData, Record, RecordType};
use hickory_proto::serialize::txt::Parser;

/// One zone's records, indexed by owner name.
#[derive(Debug, Clone)]
pub struct ZoneData {
    /// Apex.
    pub origin: Name,
    pub(super) records: BTreeMap<Name, Vec<Record>>,
    /// RRSIGs by owner and type covered (empty for an unsigned zone).
    pub(super) sigs: BTreeMap<(Name, RecordType), Vec<Record>>,
    /// True once signed (lab/sign.rs).
    pub(super) signed: bool,
}

/// A lab zone text that does not parse.
#[derive(Debug, thiserror::Error)]
#[error("lab zone {origin}: {message}")]
pub struct ZoneError {
    origin: String,
    message: String,
}

impl ZoneError {
    pub(super) fn new(origin: &str, message: String) -> Self {
        Self {
            origin: origin.to_string(),
            message,
        }
    }
}

impl ZoneData {
    /// Parses master-file text (RFC 1035 §5) for the zone `origin`.
    ///
    /// # Errors
    /// When the text does not parse or has no SOA at the apex.
    pub fn parse(origin: &str, text: &str) -> Result<Self, ZoneError> {
        let err = |message: String| ZoneError {
            origin: origin.to_string(),
            message,
        };
        let apex = Name::from_ascii(origin).map_err(|e| err(e.to_string()))?;
        // hickory-proto's parser has no DNAME (RFC 6672): those lines are read here.
        let (dnames, text) = dname_lines(&apex, text).map_err(err)?;
        let (apex, sets) = Parser::new(&text, None, Some(apex))
            .parse()
            .map_err(|e| err(e.to_string()))?;
        let mut records: BTreeMap<Name, Vec<Record>> = BTreeMap::new();
        for r in dnames {
            records.entry(r.name.to_lowercase()).or_default().push(r);
        }
        for set in sets.values() {
            for r in set.records_without_rrsigs() {
                records
                    .entry(r.name.to_lowercase())
                    .or_default()
                    .push(r.clone());
            }
        }
        let data = Self {
            origin: apex.to_lowercase(),
            records,
            sigs: BTreeMap::new(),
            signed: false,
        };
        if data.get(&data.origin, RecordType::SOA).is_empty() {
            return Err(err("no SOA record at the apex".into()));
        }
        Ok(data)
    }

    /// The RRSIGs over one RRset.
    pub(super) fn sigs_for(&self, name: &Name, rtype: RecordType) -> Vec<Record> {
        self.sigs
            .get(&(name.clone(), rtype))
            .cloned()
            .unwrap_or_default()
    }

    /// The NSEC record whose span covers `name` (owner < name < next, canonical order).
    pub(crate) fn nsec_covering(&self, name: &Name) -> Option<Record> {
        let nsec_in = |rs: &Vec<Record>| {
            rs.iter()
                .find(|r| r.record_type() == RecordType::NSEC)
                .cloned()
        };
        self.records
            .range(..name.clone())
            .rev()
            .find_map(|(_, rs)| nsec_in(rs))
            .or_else(|| {
                // Before the apex nothing sorts; the last NSEC wraps round.
                self.records.values().rev().find_map(nsec_in)
            })
    }

    /// The records of one RRset.
    pub(super) fn get(&self, name: &Name, rtype: RecordType) -> Vec<Record> {
        self.records
            .get(name)
            .map(|v| {
                v.iter()
                    .filter(|r| r.record_type() == rtype)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    pub(crate) fn soa(&self) -> Vec<Record> {
        self.get(&self.origin, RecordType::SOA)
    }

    /// The serial of the zone's SOA.
    #[must_use]
    pub fn serial(&self) -> u32 {
        self.soa()
            .first()
            .and_then(|r| match &r.data {
                RData::SOA(s) => Some(s.serial),
                _ => None,
            })
            .unwrap_or(0)
    }

    /// The zone cut (delegation point) between the apex and `qname`, closest to the apex.
    /// A DS question is answered by the parent side of a cut at the name itself.
    pub(crate) fn cut_for(&self, qname: &Name, qtype: RecordType) -> Option<Name> {
        let apex_labels = self.origin.num_labels();
        let q_labels = qname.num_labels();
        let last = if qtype == RecordType::DS {
            q_labels.saturating_sub(1)
        } else {
            q_labels
        };
        (apex_labels + 1..=last)
            .map(|n| qname.trim_to(usize::from(n)))
            .find(|cand| !self.get(cand, RecordType::NS).is_empty())
    }

    pub(crate) fn glue_for(&self, ns: &[Record]) -> Vec<Record> {
        let mut glue = Vec::new();
        for r in ns {
            if let RData::NS(NS(target)) = &r.data {
                let t = target.to_lowercase();
                glue.extend(self.get(&t, RecordType::A));
                glue.extend(self.get(&t, RecordType::AAAA));
            }
        }
        glue
    }

    /// The DNAME strictly above `qname` in this zone (RFC 6672 §2.3: it redirects the names
    /// below its owner, not the owner itself): its owner and RRset.
    pub(crate) fn dname_above(&self, qname: &Name) -> Option<(Name, Vec<Record>)> {
        let mut n = qname.base_name();
        while self.origin.zone_of(&n) {
            let set = self.get(&n, RecordType::DNAME);
            if !set.is_empty() {
                return Some((n, set));
            }
            if n.is_root() {
                break;
            }
            n = n.base_name();
        }
        None
    }

    /// The answer below a DNAME (RFC 6672 §3.2): its RRset and the CNAME synthesized from
    /// it for `qname` (the DNAME's TTL, unsigned).
    pub(crate) fn dname_answer(&self, qname: &Name) -> Option<(Vec<Record>, Option<Record>)> {
        use ptrtrace_core::model::reply::{dname_substitute, dname_target};
        let (owner, dname) = self.dname_above(qname)?;
        let synthesized = dname.first().and_then(|d| {
            let to = dname_substitute(qname, &owner, &dname_target(&d.data)?)?;
            Some(Record::from_rdata(
                qname.clone(),
                d.ttl,
                RData::CNAME(hickory_proto::rr::rdata::CNAME(to)),
            ))
        });
        Some((dname, synthesized))
    }

    /// The answer from a wildcard for a name that does not exist (RFC 4592 §4.1: `*.` and
    /// the closest encloser): the wildcard's owner and its `qtype` records under `qname`.
    pub(crate) fn wildcard_answer(
        &self,
        qname: &Name,
        qtype: RecordType,
    ) -> Option<(Name, Vec<Record>)> {
        if self.name_or_descendant_exists(qname) {
            return None;
        }
        let mut ce = qname.base_name();
        while !self.name_or_descendant_exists(&ce) && self.origin.zone_of(&ce) && !ce.is_root() {
            ce = ce.base_name();
        }
        let wild = ce.prepend_label("*").ok()?.to_lowercase();
        let set = self.get(&wild, qtype);
        (!set.is_empty()).then(|| (wild, Self::renamed(set, qname)))
    }

    /// `records` with `owner` as their owner name.
    pub(crate) fn renamed(records: Vec<Record>, owner: &Name) -> Vec<Record> {
        records
            .into_iter()
            .map(|mut r| {
                r.name = owner.clone();
                r
            })
            .collect()
    }

    pub(crate) fn name_or_descendant_exists(&self, qname: &Name) -> bool {
        self.records.keys().any(|k| qname.zone_of(k))
    }
}

/// Splits the DNAME lines (`OWNER [TTL] DNAME TARGET`, RFC 6672 §2.1) out of a zone text:
/// the records, and the text without them. Owners may be relative, `@` or absolute; the TTL
/// defaults to 3600. The target is kept as uncompressed wire bytes in lower case (hickory-proto
/// 0.26 keeps DNAME RDATA as bytes; lower case is its canonical form, RFC 4034 §6.2).
fn dname_lines(apex: &Name, text: &str) -> Result<(Vec<Record>, String), String> {
    use hickory_proto::rr::rdata::NULL;
    let mut records = Vec::new();
    let mut rest = String::new();
    for line in text.lines() {
        let tokens: Vec<&str> = line.split_whitespace().collect();
        let (owner, ttl, target) = match tokens.as_slice() {
            [owner, t, target] if t.eq_ignore_ascii_case("DNAME") => (*owner, 3600, *target),
            [owner, ttl, t, target] if t.eq_ignore_ascii_case("DNAME") => (
                *owner,
                ttl.parse::<u32>()
                    .map_err(|e| format!("DNAME TTL {ttl}: {e}"))?,
                *target,
            ),
            _ => {
                rest.push_str(line);
                rest.push('\n');
                continue;
            }
        };
        let name = |s: &str| -> Result<Name, String> {
            if s == "@" {
                return Ok(apex.clone());
            }
            let n = Name::from_ascii(s).map_err(|e| format!("DNAME name {s}: {e}"))?;
            if n.is_fqdn() {
                Ok(n)
            } else {
                n.append_domain(apex).map_err(|e| e.to_string())
            }
        };
        let (owner, target) = (name(owner)?.to_lowercase(), name(target)?.to_lowercase());
        let mut wire = Vec::new();
        for label in target.iter() {
            wire.push(u8::try_from(label.len()).map_err(|e| e.to_string())?);
            wire.extend_from_slice(label);
        }
        wire.push(0);
        records.push(Record::from_rdata(
            owner,
            ttl,
            RData::Unknown {
                code: RecordType::DNAME,
                rdata: NULL::with(wire),
            },
        ));
    }
    Ok((records, rest))
}
