//! Zone transfers from a lab server (AXFR over TCP, RFC 5936): the SOA, every record and
//! RRSIG of the zone, the SOA again, in messages of at most [`PER_MESSAGE`] records. A server
//! not allowed to transfer answers REFUSED, as BIND, NSD and Knot do by default.

use hickory_proto::op::{Message, MessageType, ResponseCode};
use hickory_proto::rr::RecordType;

use crate::zone_data::ZoneData;

/// Records per transfer message.
const PER_MESSAGE: usize = 100;

/// The wire messages answering the AXFR `query`, or None when it is not one. `allowed`: the
/// server permits transfers; otherwise, and for a zone it does not serve, one REFUSED.
pub(crate) fn messages(
    zones: &[std::sync::Arc<ZoneData>],
    allowed: bool,
    query: &Message,
) -> Option<Vec<Vec<u8>>> {
    let q = query.queries.first()?;
    if q.query_type() != RecordType::AXFR {
        return None;
    }
    let apex = q.name().to_lowercase();
    let reply = |records: &[hickory_proto::rr::Record], code: ResponseCode| {
        let mut m = Message::new(
            query.metadata.id,
            MessageType::Response,
            query.metadata.op_code,
        );
        m.add_query(q.clone());
        m.metadata.authoritative = true;
        m.metadata.response_code = code;
        for r in records {
            m.add_answer(r.clone());
        }
        m.to_vec().ok()
    };
    let zone = zones.iter().find(|z| z.origin == apex).filter(|_| allowed);
    let Some(zone) = zone else {
        return Some(vec![reply(&[], ResponseCode::Refused)?]);
    };
    let soa = zone.soa();
    let mut all = soa.clone();
    for rs in zone.records.values() {
        all.extend(
            rs.iter()
                .filter(|r| r.record_type() != RecordType::SOA)
                .cloned(),
        );
    }
    for sigs in zone.sigs.values() {
        all.extend(sigs.iter().cloned());
    }
    all.extend(soa);
    all.chunks(PER_MESSAGE)
        .map(|c| reply(c, ResponseCode::NoError))
        .collect()
}
