//! What one reply means for the zone it was asked of (RFC 1034 §4.3.2, RFC 1912 §2.8,
//! RFC 8499 §7 "lame delegation").
//!
//! A server asked for `qname` as a server of `zone` must do one of three useful things:
//! answer authoritatively (data, NXDOMAIN or NODATA, AA=1), or refer downwards to a child
//! zone that is below `zone` and encloses `qname`. Everything else is lameness, with a reason.

use std::net::IpAddr;

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};
use serde::Serialize;

/// Why a reply does not count as an authoritative answer for the zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LameReason {
    /// RCODE REFUSED: the server is not configured for the zone.
    Refused,
    /// RCODE SERVFAIL: the server has the zone configured but cannot serve it.
    Servfail,
    /// A reply without the AA bit that is neither a referral nor an answer it may give.
    NotAuthoritative,
    /// A referral to the zone itself or one of its ancestors (often to the root).
    UpwardReferral,
    /// A referral to a zone that does not lead towards the queried name.
    ReferralElsewhere,
    /// Another RCODE (FORMERR, NOTIMP, …).
    OtherRcode,
    /// The reply could not be decoded, or was cut short.
    Malformed,
}

impl LameReason {
    /// The stable snake_case identifier.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Refused => "refused",
            Self::Servfail => "servfail",
            Self::NotAuthoritative => "not_authoritative",
            Self::UpwardReferral => "upward_referral",
            Self::ReferralElsewhere => "referral_elsewhere",
            Self::OtherRcode => "other_rcode",
            Self::Malformed => "malformed",
        }
    }
}

/// Why no reply was had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Silence {
    /// Nothing arrived before the timeout.
    Timeout,
    /// ICMP unreachable or a refused TCP connection.
    Unreachable,
    /// ptrtrace did not send (outside the lab, local error).
    NotSent,
    /// This host has no route to the address's family: untested, not blamed.
    NoRoute,
}

/// A referral's content: the child zone, its NS names and the glue that came with them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Referral {
    /// The delegated child zone.
    pub child: Name,
    /// NS names of the child, sorted, lower case.
    pub ns: Vec<Name>,
    /// Glue: addresses the additional section gives for those NS names.
    pub glue: Vec<(Name, IpAddr)>,
}

/// The meaning of one probe's final reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "class", rename_all = "snake_case")]
pub enum ReplyClass {
    /// AA=1 with records for the name: the records (type and data, sorted, lower case).
    Answer {
        /// `TYPE data` strings, sorted.
        data: Vec<String>,
    },
    /// AA=1 NXDOMAIN: the name does not exist.
    Nxdomain,
    /// AA=1 NOERROR without records of the type: the name exists, the type does not.
    Nodata,
    /// A downward referral.
    Referral(Referral),
    /// A reply that makes the server lame for the zone.
    Lame {
        /// Why.
        reason: LameReason,
    },
    /// No reply.
    Silent {
        /// Why.
        reason: Silence,
    },
}

impl ReplyClass {
    /// True for the replies a resolver can use: answers, negative answers and referrals.
    #[must_use]
    pub fn is_useful(&self) -> bool {
        matches!(
            self,
            Self::Answer { .. } | Self::Nxdomain | Self::Nodata | Self::Referral(_)
        )
    }

    /// True for the authoritative end of a lookup: answer, NXDOMAIN or NODATA.
    #[must_use]
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Answer { .. } | Self::Nxdomain | Self::Nodata)
    }

    /// True for probes that say nothing about the server: never sent, or no route from this
    /// host. They are neither blamed nor counted.
    #[must_use]
    pub fn is_untested(&self) -> bool {
        matches!(
            self,
            Self::Silent {
                reason: Silence::NotSent | Silence::NoRoute
            }
        )
    }

    /// A short label for reports: `answer`, `nxdomain`, `referral`, `lame:refused`, …
    #[must_use]
    pub fn label(&self) -> String {
        match self {
            Self::Answer { .. } => "answer".into(),
            Self::Nxdomain => "nxdomain".into(),
            Self::Nodata => "nodata".into(),
            Self::Referral(_) => "referral".into(),
            Self::Lame { reason } => format!("lame:{}", reason.as_str()),
            Self::Silent { reason } => match reason {
                Silence::Timeout => "timeout".into(),
                Silence::Unreachable => "unreachable".into(),
                Silence::NotSent => "not_sent".into(),
                Silence::NoRoute => "no_route".into(),
            },
        }
    }
}

/// Answer data for people: `PTR mail.example.` (types upper case, as in zone files).
#[must_use]
pub fn data_text(data: &[String]) -> String {
    data.iter()
        .map(|d| {
            let mut it = d.splitn(2, ' ');
            let t = it.next().unwrap_or("").to_uppercase();
            format!("{t} {}", it.next().unwrap_or(""))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The address in an answer's `a …` or `aaaa …` data string, if it is one.
#[must_use]
pub fn address_in(data: &str) -> Option<IpAddr> {
    data.strip_prefix("a ")
        .or_else(|| data.strip_prefix("aaaa "))?
        .parse()
        .ok()
}

/// The name in an answer's `ptr …` data string, if it is one.
#[must_use]
pub fn ptr_in(data: &str) -> Option<&str> {
    data.strip_prefix("ptr ")
}

/// The `TYPE data` text of a record's data, lower case, as compared between servers.
#[must_use]
pub fn rdata_text(rtype: RecordType, data: &RData) -> String {
    format!("{rtype} {data}").to_lowercase()
}

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
    let mut data: Vec<String> = msg
        .answers
        .iter()
        .filter(|r| {
            r.name == *qname && (r.record_type() == qtype || r.record_type() == RecordType::CNAME)
        })
        .map(|r| rdata_text(r.record_type(), &r.data))
        .collect();
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
                data: vec!["ptr mail.example.".into()]
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
