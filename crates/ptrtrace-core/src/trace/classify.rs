//! What one reply means for the zone it was asked of (RFC 1034 §4.3.2, RFC 1912 §2.8,
//! RFC 8499 §7 "lame delegation").
//!
//! A server asked for `qname` as a server of `zone` must do one of three useful things:
//! answer authoritatively (data, NXDOMAIN or NODATA, AA=1), or refer downwards to a child
//! zone that is below `zone` and encloses `qname`. Everything else is lameness, with a reason.

use std::net::IpAddr;

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};

use crate::model::rdata::Rdata;
pub use crate::model::reply::{LameReason, Referral, ReplyClass, Silence, data_text};

/// The zone a reply names as its source, if it names one: the signer of its first RRSIG
/// (RFC 4035 §5: the signer name is the zone whose keys signed it), or else the owner of the
/// SOA in a negative answer's authority section (RFC 2308 §3). Lower case.
#[must_use]
pub fn reply_zone(msg: &Message) -> Option<Name> {
    use hickory_proto::dnssec::rdata::DNSSECRData;
    let sections = || msg.answers.iter().chain(msg.authorities.iter());
    sections()
        .find_map(|r| match &r.data {
            RData::DNSSEC(DNSSECRData::RRSIG(s)) => Some(s.input().signer_name.to_lowercase()),
            _ => None,
        })
        .or_else(|| {
            msg.authorities
                .iter()
                .find(|r| r.record_type() == RecordType::SOA)
                .map(|r| r.name.to_lowercase())
        })
}

/// Classifies `msg`, the reply of a server of `zone` to `qname`/`qtype`.
#[must_use]
pub fn classify(msg: &Message, zone: &Name, qname: &Name, qtype: RecordType) -> ReplyClass {
    let aa = msg.metadata.authoritative;
    match msg.metadata.response_code {
        ResponseCode::NoError => {}
        ResponseCode::NXDomain if aa => return ReplyClass::Nxdomain,
        ResponseCode::NXDomain => {
            return ReplyClass::Lame {
                reason: LameReason::NotAuthoritative,
            };
        }
        ResponseCode::Refused => {
            return ReplyClass::Lame {
                reason: LameReason::Refused,
            };
        }
        ResponseCode::ServFail => {
            return ReplyClass::Lame {
                reason: LameReason::Servfail,
            };
        }
        _ => {
            return ReplyClass::Lame {
                reason: LameReason::OtherRcode,
            };
        }
    }
    let mut data: Vec<Rdata> = msg
        .answers
        .iter()
        .filter(|r| {
            r.name == *qname && (r.record_type() == qtype || r.record_type() == RecordType::CNAME)
        })
        .map(Rdata::of)
        .collect();
    // A DNAME above the name (RFC 6672): the CNAME beside it was synthesized from it; the
    // answer says so ("dname OWNER TARGET"), for the report and the comparison of servers.
    if !data.is_empty() {
        data.extend(msg.answers.iter().filter_map(|r| {
            let target = crate::model::reply::dname_target(&r.data)?;
            (r.name != *qname && r.name.zone_of(qname)).then(|| Rdata::Dname {
                owner: r.name.to_lowercase(),
                target,
            })
        }));
    }
    if !data.is_empty() {
        if !aa {
            return ReplyClass::Lame {
                reason: LameReason::NotAuthoritative,
            };
        }
        data.sort();
        data.dedup();
        return ReplyClass::Answer { data };
    }
    let ns_owner = msg
        .authorities
        .iter()
        .find(|r| r.record_type() == RecordType::NS)
        .map(|r| r.name.to_lowercase());
    if let Some(owner) = ns_owner {
        if owner != *zone && zone.zone_of(&owner) && owner.zone_of(qname) {
            return ReplyClass::Referral(referral(msg, owner));
        }
        if !aa {
            let reason = if owner.zone_of(zone) {
                LameReason::UpwardReferral
            } else {
                LameReason::ReferralElsewhere
            };
            return ReplyClass::Lame { reason };
        }
    }
    if aa {
        ReplyClass::Nodata
    } else {
        ReplyClass::Lame {
            reason: LameReason::NotAuthoritative,
        }
    }
}

fn referral(msg: &Message, child: Name) -> Referral {
    let mut ns: Vec<Name> = msg
        .authorities
        .iter()
        .filter(|r| r.record_type() == RecordType::NS && r.name == child)
        .filter_map(|r| match &r.data {
            RData::NS(n) => Some(n.0.to_lowercase()),
            _ => None,
        })
        .collect();
    ns.sort();
    ns.dedup();
    let mut glue: Vec<(Name, IpAddr)> = msg
        .additionals
        .iter()
        .filter(|r| ns.contains(&r.name))
        .filter_map(|r| match &r.data {
            RData::A(a) => Some((r.name.to_lowercase(), IpAddr::V4(a.0))),
            RData::AAAA(a) => Some((r.name.to_lowercase(), IpAddr::V6(a.0))),
            _ => None,
        })
        .collect();
    glue.sort();
    glue.dedup();
    Referral { child, ns, glue }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::op::{MessageType, OpCode, Query};
    use hickory_proto::rr::Record;
    use hickory_proto::rr::rdata::{A, NS, PTR, SOA};

    fn n(s: &str) -> Name {
        Name::from_ascii(s).unwrap()
    }

    fn reply(rcode: ResponseCode, aa: bool) -> Message {
        let mut m = Message::new(1, MessageType::Response, OpCode::Query);
        m.metadata.response_code = rcode;
        m.metadata.authoritative = aa;
        m.add_query(Query::query(n(Q), RecordType::PTR));
        m
    }

    const Q: &str = "25.113.0.203.in-addr.arpa.";
    const ZONE: &str = "203.in-addr.arpa.";

    fn class(m: &Message) -> ReplyClass {
        classify(m, &n(ZONE), &n(Q), RecordType::PTR)
    }

    fn lame(reason: LameReason) -> ReplyClass {
        ReplyClass::Lame { reason }
    }

    fn ns(owner: &str, target: &str) -> Record {
        Record::from_rdata(n(owner), 3600, RData::NS(NS(n(target))))
    }

    #[test]
    fn authoritative_answer() {
        let mut m = reply(ResponseCode::NoError, true);
        m.add_answer(Record::from_rdata(
            n(Q),
            3600,
            RData::PTR(PTR(n("Mail.Example."))),
        ));
        assert_eq!(
            class(&m),
            ReplyClass::Answer {
                data: vec![Rdata::Ptr(n("mail.example."))]
            }
        );
        m.metadata.authoritative = false;
        assert_eq!(class(&m), lame(LameReason::NotAuthoritative));
    }

    #[test]
    fn referral_with_in_bailiwick_glue() {
        let mut m = reply(ResponseCode::NoError, false);
        m.add_authority(ns("113.0.203.in-addr.arpa.", "ns1.isp.example."));
        m.add_authority(ns("113.0.203.in-addr.arpa.", "ns2.isp.example."));
        m.add_additional(Record::from_rdata(
            n("ns1.isp.example."),
            3600,
            RData::A(A::new(198, 51, 100, 53)),
        ));
        m.add_additional(Record::from_rdata(
            n("unrelated.example."),
            3600,
            RData::A(A::new(192, 0, 2, 99)),
        ));
        let ReplyClass::Referral(r) = class(&m) else {
            panic!("{:?}", class(&m))
        };
        assert_eq!(r.child, n("113.0.203.in-addr.arpa."));
        assert_eq!(r.ns, vec![n("ns1.isp.example."), n("ns2.isp.example.")]);
        assert_eq!(
            r.glue,
            vec![(n("ns1.isp.example."), "198.51.100.53".parse().unwrap())]
        );
    }

    #[test]
    fn upward_and_sideways_referrals_are_lame() {
        let mut m = reply(ResponseCode::NoError, false);
        m.add_authority(ns(".", "a.root-servers.net."));
        assert_eq!(class(&m), lame(LameReason::UpwardReferral));
        let mut m = reply(ResponseCode::NoError, false);
        m.add_authority(ns(ZONE, "ns1.rir.example."));
        assert_eq!(class(&m), lame(LameReason::UpwardReferral));
        let mut m = reply(ResponseCode::NoError, false);
        m.add_authority(ns("example.com.", "ns1.example.com."));
        assert_eq!(class(&m), lame(LameReason::ReferralElsewhere));
    }

    #[test]
    fn negative_answers_and_rcodes() {
        assert_eq!(
            class(&reply(ResponseCode::NXDomain, true)),
            ReplyClass::Nxdomain
        );
        assert_eq!(
            class(&reply(ResponseCode::NXDomain, false)),
            lame(LameReason::NotAuthoritative)
        );
        let mut m = reply(ResponseCode::NoError, true);
        let soa = SOA::new(n("ns1.rir.example."), n("h.rir.example."), 1, 2, 3, 4, 5);
        m.add_authority(Record::from_rdata(n(ZONE), 3600, RData::SOA(soa)));
        assert_eq!(class(&m), ReplyClass::Nodata);
        assert_eq!(
            class(&reply(ResponseCode::NoError, false)),
            lame(LameReason::NotAuthoritative)
        );
        assert_eq!(
            class(&reply(ResponseCode::Refused, false)),
            lame(LameReason::Refused)
        );
        assert_eq!(
            class(&reply(ResponseCode::ServFail, false)),
            lame(LameReason::Servfail)
        );
        assert_eq!(
            class(&reply(ResponseCode::NotImp, false)),
            lame(LameReason::OtherRcode)
        );
        assert_eq!(
            class(&reply(ResponseCode::FormErr, true)),
            lame(LameReason::OtherRcode)
        );
    }
}
