//! One reply and what it means: the transport it came over, its class for the zone it was
//! asked of (answer, NXDOMAIN, NODATA, referral, lame, silent), and each class's renderings.

use std::net::IpAddr;

use hickory_proto::rr::{Name, RData};

use super::rdata::Rdata;
use serde::Serialize;

/// Which transport an attempt used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// UDP datagram.
    Udp,
    /// TCP stream.
    Tcp,
    /// Not asked: read from the address's own zone transfer (AXFR over TCP, batches only).
    Axfr,
}

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
        /// The records' data, sorted by their text.
        data: Vec<Rdata>,
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

    /// Short text for an address line: `PTR mail.example.`, `NXDOMAIN`, `referral → zone`,
    /// `REFUSED`, `lame: upward_referral`, `timeout`.
    #[must_use]
    pub fn short(&self, rcode: Option<Rcode>) -> String {
        match self {
            Self::Answer { data } => data_text(data),
            Self::Nxdomain => "NXDOMAIN".into(),
            Self::Nodata => "NODATA".into(),
            Self::Referral(r) => format!("referral → {}", r.child),
            Self::Lame { reason } => match rcode {
                Some(rc) if rc != Rcode::NOERROR && rc != Rcode::NXDOMAIN => rc.to_string(),
                _ => format!("lame: {}", reason.as_str()),
            },
            Self::Silent { .. } => self.label(),
        }
    }

    /// What the server did, as the end of a sentence that starts with its name: `answered
    /// PTR mail.example.`, `referred to zone`, `did not answer (timeout)`, …
    #[must_use]
    pub fn sentence(&self, rcode: Option<Rcode>) -> String {
        match self {
            Self::Answer { data } => format!("answered {}", data_text(data)),
            Self::Nxdomain => "answered NXDOMAIN".into(),
            Self::Nodata => "answered NODATA".into(),
            Self::Referral(r) => format!("referred to {}", r.child),
            Self::Lame { reason } => match reason {
                LameReason::Refused | LameReason::Servfail | LameReason::OtherRcode => {
                    format!(
                        "answered {}",
                        rcode.map_or_else(|| "?".into(), |r| r.to_string())
                    )
                }
                r => format!("gave a lame reply ({})", r.as_str()),
            },
            Self::Silent { reason } => match reason {
                Silence::Timeout => "did not answer (timeout)".into(),
                Silence::Unreachable => "was unreachable (port unreachable / refused)".into(),
                Silence::NotSent => "was not queried".into(),
                Silence::NoRoute => "could not be reached from this host (no route)".into(),
            },
        }
    }
}

pub use super::rdata::{data_text, dname_target};

/// The name a DNAME at `owner` with `target` substitutes for `qname` (RFC 6672 §2.2: the
/// owner's suffix replaced by the target), when `qname` is strictly below `owner`.
#[must_use]
pub fn dname_substitute(
    qname: &hickory_proto::rr::Name,
    owner: &hickory_proto::rr::Name,
    target: &hickory_proto::rr::Name,
) -> Option<hickory_proto::rr::Name> {
    if !owner.zone_of(qname) || qname.num_labels() <= owner.num_labels() {
        return None;
    }
    let keep = usize::from(qname.num_labels() - owner.num_labels());
    let labels: Vec<&[u8]> = qname.iter().take(keep).collect();
    let prefix = hickory_proto::rr::Name::from_labels(labels).ok()?;
    prefix.append_domain(target).ok().map(|n| n.to_lowercase())
}

/// A record as evidence, in master-file form; an RRSIG's signature bytes are replaced by
/// their length (the key tag, signer and validity window are what a reader needs, and the
/// base64 would double the size of every report).
pub fn record_text(r: &hickory_proto::rr::Record) -> String {
    use hickory_proto::dnssec::rdata::DNSSECRData;
    if let RData::DNSSEC(DNSSECRData::RRSIG(sig)) = &r.data {
        let i = sig.input();
        return format!(
            "{} {} {} RRSIG {} {} {} {} {} {} {} {} [signature: {} bytes]",
            r.name,
            r.ttl,
            r.dns_class,
            i.type_covered,
            i.algorithm,
            i.num_labels,
            i.original_ttl,
            i.sig_expiration.get(),
            i.sig_inception.get(),
            i.key_tag,
            i.signer_name,
            sig.sig().len()
        );
    }
    r.to_string()
}

/// A reply's RCODE (RFC 1035 §4.1.1, RFC 6891 §6.1.3 extended), compared as a number and
/// rendered (and serialised) as its mnemonic: `NOERROR`, `SERVFAIL`, `RCODE23`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rcode(pub u16);

impl Rcode {
    /// NOERROR (0).
    pub const NOERROR: Self = Self(0);
    /// NXDOMAIN (3).
    pub const NXDOMAIN: Self = Self(3);

    /// The RCODE of a decoded message.
    #[must_use]
    pub fn of(rc: hickory_proto::op::ResponseCode) -> Self {
        Self(u16::from(rc))
    }
}

impl std::fmt::Display for Rcode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&rcode_name(<hickory_proto::op::ResponseCode as From<
            u16,
        >>::from(self.0)))
    }
}

impl Serialize for Rcode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The RFC 1035 / RFC 6895 mnemonic of an RCODE (`NOERROR`, `SERVFAIL`, …).
#[must_use]
pub fn rcode_name(rc: hickory_proto::op::ResponseCode) -> String {
    use hickory_proto::op::ResponseCode as R;
    match rc {
        R::NoError => "NOERROR".into(),
        R::FormErr => "FORMERR".into(),
        R::ServFail => "SERVFAIL".into(),
        R::NXDomain => "NXDOMAIN".into(),
        R::NotImp => "NOTIMP".into(),
        R::Refused => "REFUSED".into(),
        R::YXDomain => "YXDOMAIN".into(),
        R::YXRRSet => "YXRRSET".into(),
        R::NXRRSet => "NXRRSET".into(),
        R::NotAuth => "NOTAUTH".into(),
        R::NotZone => "NOTZONE".into(),
        R::BADVERS => "BADVERS".into(),
        other => format!("RCODE{}", u16::from(other)),
    }
}
