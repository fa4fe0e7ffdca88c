//! One record's data in an authoritative answer, typed: what diagnosis compares. Rendered
//! (and serialised) as the lower-case `type data` text of the JSON (`ptr mail.example.`,
//! `a 203.0.113.25`, `soa ns1.example. hostmaster.example. 7 …`), and ordered by that text,
//! so sorted answer sets come out in the order reports have always shown.

use std::cmp::Ordering;
use std::fmt;
use std::net::IpAddr;

use hickory_proto::rr::{Name, RData, Record, RecordType};
use serde::{Serialize, Serializer};

/// The fields of an SOA record (RFC 1035 §3.3.13).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Soa {
    /// The primary server's name.
    pub mname: Name,
    /// The responsible person's mailbox, as a name.
    pub rname: Name,
    /// The zone's serial.
    pub serial: u32,
    /// Refresh interval, seconds.
    pub refresh: i32,
    /// Retry interval, seconds.
    pub retry: i32,
    /// Expire time, seconds.
    pub expire: i32,
    /// Negative-caching TTL, seconds.
    pub minimum: u32,
}

/// One record's data, names in lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Rdata {
    /// PTR: the name the address points to.
    Ptr(Name),
    /// CNAME: the canonical name.
    Cname(Name),
    /// NS: a server's name.
    Ns(Name),
    /// A DNAME above the question's name (RFC 6672): the answer's CNAME was synthesised from
    /// it. Rendered `dname OWNER TARGET`.
    Dname {
        /// Where the DNAME sits.
        owner: Name,
        /// What it substitutes.
        target: Name,
    },
    /// SOA.
    Soa(Soa),
    /// A or AAAA: an address.
    Addr(IpAddr),
    /// Any other type, with its data as master-file text in lower case.
    Other(RecordType, String),
}

impl Rdata {
    /// The typed data of an answer record, names in lower case.
    #[must_use]
    pub fn of(record: &Record) -> Self {
        let data = &record.data;
        if let Some(target) = dname_target(data) {
            return Self::Other(RecordType::DNAME, target.to_string());
        }
        match data {
            RData::PTR(p) => Self::Ptr(p.0.to_lowercase()),
            RData::CNAME(c) => Self::Cname(c.0.to_lowercase()),
            RData::NS(n) => Self::Ns(n.0.to_lowercase()),
            RData::A(a) => Self::Addr(IpAddr::V4(a.0)),
            RData::AAAA(a) => Self::Addr(IpAddr::V6(a.0)),
            RData::SOA(s) => Self::Soa(Soa {
                mname: s.mname.to_lowercase(),
                rname: s.rname.to_lowercase(),
                serial: s.serial,
                refresh: s.refresh,
                retry: s.retry,
                expire: s.expire,
                minimum: s.minimum,
            }),
            other => Self::Other(record.record_type(), other.to_string().to_lowercase()),
        }
    }

    /// The record type.
    #[must_use]
    pub fn rtype(&self) -> RecordType {
        match self {
            Self::Ptr(_) => RecordType::PTR,
            Self::Cname(_) => RecordType::CNAME,
            Self::Ns(_) => RecordType::NS,
            Self::Dname { .. } => RecordType::DNAME,
            Self::Soa(_) => RecordType::SOA,
            Self::Addr(IpAddr::V4(_)) => RecordType::A,
            Self::Addr(IpAddr::V6(_)) => RecordType::AAAA,
            Self::Other(t, _) => *t,
        }
    }

    /// The address of an A or AAAA record.
    #[must_use]
    pub fn addr(&self) -> Option<IpAddr> {
        match self {
            Self::Addr(a) => Some(*a),
            _ => None,
        }
    }

    /// The name of a PTR record.
    #[must_use]
    pub fn ptr(&self) -> Option<&Name> {
        match self {
            Self::Ptr(n) => Some(n),
            _ => None,
        }
    }

    /// The name of an NS record.
    #[must_use]
    pub fn ns(&self) -> Option<&Name> {
        match self {
            Self::Ns(n) => Some(n),
            _ => None,
        }
    }

    /// The data without its type: `mail.example.`, `203.0.113.25`.
    fn data(&self) -> String {
        match self {
            Self::Ptr(n) | Self::Cname(n) | Self::Ns(n) => n.to_string(),
            Self::Dname { owner, target } => format!("{owner} {target}"),
            Self::Soa(s) => format!(
                "{} {} {} {} {} {} {}",
                s.mname, s.rname, s.serial, s.refresh, s.retry, s.expire, s.minimum
            ),
            Self::Addr(a) => a.to_string(),
            Self::Other(_, text) => text.clone(),
        }
    }

    /// For people: the type upper case, as in zone files (`PTR mail.example.`).
    #[must_use]
    pub fn human(&self) -> String {
        format!("{} {}", self.rtype(), self.data())
    }
}

impl fmt::Display for Rdata {
    /// The lower-case `type data` text of the JSON and of comparisons between servers.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}",
            self.rtype().to_string().to_lowercase(),
            self.data()
        )
    }
}

impl Ord for Rdata {
    /// By the rendered text, the order reports have always listed answers in.
    fn cmp(&self, other: &Self) -> Ordering {
        if self == other {
            return Ordering::Equal;
        }
        self.to_string().cmp(&other.to_string())
    }
}

impl PartialOrd for Rdata {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Serialize for Rdata {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The target of a DNAME record (RFC 6672 §2.1), lower case. hickory-proto 0.26 has no
/// DNAME type and keeps its RDATA as bytes: one uncompressed domain name (RFC 6672 §2.5
/// forbids compressing it).
#[must_use]
pub fn dname_target(data: &RData) -> Option<hickory_proto::rr::Name> {
    use hickory_proto::serialize::binary::{BinDecodable, BinDecoder};
    let RData::Unknown { code, rdata } = data else {
        return None;
    };
    if *code != RecordType::DNAME {
        return None;
    }
    let mut d = BinDecoder::new(&rdata.anything);
    let name = hickory_proto::rr::Name::read(&mut d).ok()?;
    d.is_empty().then(|| name.to_lowercase())
}

/// Answers for people: `PTR mail.example., PTR other.example.`.
#[must_use]
pub fn data_text(data: &[Rdata]) -> String {
    data.iter().map(Rdata::human).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::rdata::{A, AAAA, PTR, SOA, TXT};

    fn rec(data: RData) -> Record {
        Record::from_rdata(Name::from_ascii("x.example.").unwrap(), 60, data)
    }

    #[test]
    fn renders_the_text_reports_compare() {
        let ptr = Rdata::of(&rec(RData::PTR(PTR(
            Name::from_ascii("Mail.Example.").unwrap()
        ))));
        assert_eq!(ptr.to_string(), "ptr mail.example.");
        assert_eq!(ptr.human(), "PTR mail.example.");
        let a = Rdata::of(&rec(RData::A(A::new(203, 0, 113, 25))));
        assert_eq!(a.to_string(), "a 203.0.113.25");
        assert_eq!(a.addr(), Some("203.0.113.25".parse().unwrap()));
        let aaaa = Rdata::of(&rec(RData::AAAA(AAAA::new(
            0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x25,
        ))));
        assert_eq!(aaaa.to_string(), "aaaa 2001:db8::25");
        let soa = SOA::new(
            Name::from_ascii("NS1.Example.").unwrap(),
            Name::from_ascii("hostmaster.example.").unwrap(),
            2024,
            3600,
            600,
            86400,
            300,
        );
        let typed = Rdata::of(&rec(RData::SOA(soa.clone())));
        assert_eq!(
            typed.to_string(),
            format!("soa {soa}").to_lowercase(),
            "the same text as the record's own rendering"
        );
        let txt = Rdata::of(&rec(RData::TXT(TXT::new(vec!["Hello".into()]))));
        assert_eq!(txt.to_string(), "txt hello");
    }

    #[test]
    fn orders_by_text() {
        let mut v = [
            Rdata::Ptr(Name::from_ascii("b.example.").unwrap()),
            Rdata::Cname(Name::from_ascii("z.example.").unwrap()),
            Rdata::Ptr(Name::from_ascii("a.example.").unwrap()),
        ];
        v.sort();
        let text: Vec<String> = v.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            ["cname z.example.", "ptr a.example.", "ptr b.example."]
        );
    }
}
