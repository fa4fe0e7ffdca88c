//! Per-zone checks scheduled when the walk enters a zone: SOA and NS at every server
//! address (serials, NS sets, TCP, EDNS), DNSKEY and DS for DNSSEC, and the child's
//! addresses of in-bailiwick NS names to compare with the glue.

use hickory_proto::rr::{Name, RecordType};

use super::Walker;
use crate::model::Purpose;

impl Walker<'_> {
    /// Opens the apex SOA and NS questions of a zone and the glue checks of its in-bailiwick
    /// NS names. Called once per zone, when a question first enters it.
    pub(super) fn zone_checks(&mut self, zone: &Name) {
        for qtype in [RecordType::SOA, RecordType::NS] {
            let purpose = Purpose::ZoneCheck { zone: zone.clone() };
            self.start_question(zone.clone(), qtype, purpose, 0, 0, None);
        }
        self.glue_checks(zone);
        self.dnssec_checks(zone);
    }

    /// Opens the DNSKEY question of a zone (asked of its servers) and its DS question (asked
    /// of its parent's servers), then the same for its ancestors: a chain of trust is checked
    /// from the root down, even through zones the walk entered only for supporting lookups.
    pub(super) fn dnssec_checks(&mut self, zone: &Name) {
        if self.cfg.dnssec.is_none() {
            return;
        }
        let mut cur = Some(zone.clone());
        while let Some(z) = cur {
            if !self.book.dnssec_checked.insert(z.clone()) {
                break;
            }
            let purpose = Purpose::ZoneCheck { zone: z.clone() };
            self.start_question(z.clone(), RecordType::DNSKEY, purpose, 0, 0, None);
            if !z.is_root() {
                let purpose = Purpose::DsCheck { zone: z.clone() };
                self.start_question(z.clone(), RecordType::DS, purpose, 0, 0, None);
            }
            cur = self.book.zones.get(&z).and_then(|x| x.parent.clone());
        }
    }

    pub(super) fn glue_checks(&mut self, zone: &Name) {
        let glued: Vec<Name> = self
            .book
            .zones
            .get(zone)
            .map(|z| {
                z.ns.iter()
                    .filter(|(n, g)| !g.is_empty() && zone.zone_of(n) && !zone.is_root())
                    .map(|(n, _)| n.clone())
                    .collect()
            })
            .unwrap_or_default();
        for ns in glued {
            if !self.book.glue_checked.insert(ns.clone()) {
                continue;
            }
            for (qtype, wanted) in [
                (RecordType::A, self.cfg.families.v4),
                (RecordType::AAAA, self.cfg.families.v6),
            ] {
                if wanted {
                    let purpose = Purpose::GlueCheck { zone: zone.clone() };
                    self.start_question(ns.clone(), qtype, purpose, 0, 0, None);
                }
            }
        }
    }
}
