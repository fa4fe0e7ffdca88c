//! Do the servers of one zone agree? `inconsistent_answer` compares what each address said to
//! the same question (data, NXDOMAIN, the referral's NS set); `inconsistent_serial` compares
//! SOA serials (RFC 1996, RFC 1982). Harmless differences — TTLs, record order, additional
//! sections — are not compared: answers are normalised to sorted record data.

use std::collections::BTreeMap;
use std::net::IpAddr;

use hickory_proto::rr::{Name, RecordType};

use super::{Finding, Severity, q_text};
use crate::model::reply::data_text;
use crate::model::{Probe, ProbeKind, QId, Rdata, ReplyClass, Soa, Walk};
use crate::words::{Fact, OddOne};

type ByServer<'a> = BTreeMap<(Name, IpAddr), Vec<&'a Probe>>;
type Who = Vec<(Name, IpAddr)>;

/// What one address said to one question, as compared between the servers of a zone.
/// Ordered by its words, the order the groups of a split have always been listed in.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Said {
    /// A positive answer: its data, sorted.
    Answer(Vec<Rdata>),
    /// NXDOMAIN.
    Nxdomain,
    /// NODATA.
    Nodata,
    /// A referral to `child` with these NS names.
    Referral { child: Name, ns: Vec<Name> },
    /// Referrals to children no other server of the zone names: servers that also serve an
    /// intermediate zone refer further down (the root servers also serve `arpa.`).
    FurtherDown,
}

impl Said {
    fn of(p: &Probe) -> Option<Self> {
        match &p.class {
            ReplyClass::Answer { data } => Some(Self::Answer(data.clone())),
            ReplyClass::Nxdomain => Some(Self::Nxdomain),
            ReplyClass::Nodata => Some(Self::Nodata),
            ReplyClass::Referral(r) => Some(Self::Referral {
                child: r.child.clone(),
                ns: r.ns.clone(),
            }),
            _ => None,
        }
    }

    /// What it says, without the verb for an answer: `PTR mail.example.`, `NXDOMAIN`,
    /// `referred to zone (ns1. ns2.)`.
    fn what(&self) -> String {
        match self {
            Self::Answer(data) => data_text(data),
            Self::Nxdomain => "NXDOMAIN".into(),
            Self::Nodata => "NODATA".into(),
            Self::Referral { child, ns } => {
                let ns: Vec<String> = ns.iter().map(ToString::to_string).collect();
                format!("referred to {child} ({})", ns.join(" "))
            }
            Self::FurtherDown => "referred further down".into(),
        }
    }

    /// The words of an evidence line: `answered PTR mail.example.`, `referred to …`.
    fn words(&self) -> String {
        match self {
            Self::Answer(_) | Self::Nxdomain | Self::Nodata => format!("answered {}", self.what()),
            _ => self.what(),
        }
    }
}

impl Ord for Said {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        if self == other {
            return std::cmp::Ordering::Equal;
        }
        self.words().cmp(&other.words())
    }
}

impl PartialOrd for Said {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Each address's most frequent signature for one question in one zone.
fn signatures<K: Ord + Clone>(
    servers: &ByServer<'_>,
    sig: impl Fn(&Probe) -> Option<K>,
) -> BTreeMap<K, Who> {
    let mut out: BTreeMap<K, Who> = BTreeMap::new();
    for ((server, addr), probes) in servers {
        let mut count: BTreeMap<K, usize> = BTreeMap::new();
        for p in probes {
            if let Some(s) = sig(p) {
                *count.entry(s).or_insert(0) += 1;
            }
        }
        if let Some((s, _)) = count.iter().max_by_key(|(_, n)| **n) {
            out.entry(s.clone())
                .or_default()
                .push((server.clone(), *addr));
        }
    }
    out
}

/// The odd one out: one server (by name, whatever its number of addresses) that disagrees
/// with a group of more servers.
fn minority<K>(groups: &[(&K, &Who)]) -> (Option<Name>, Option<IpAddr>) {
    let names = |v: &Who| {
        v.iter()
            .map(|(n, _)| n.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    };
    if groups.len() < 2 {
        return (None, None);
    }
    let (first, second) = (names(groups[0].1), names(groups[1].1));
    if first == 1 && first < second {
        let (n, a) = &groups[0].1[0];
        let address = (groups[0].1.len() == 1).then_some(*a);
        (Some(n.clone()), address)
    } else {
        (None, None)
    }
}

/// Without an odd one out, every side of the split: each server address that answered.
fn involved<K>(groups: &[(&K, &Who)], odd_one: Option<&Name>) -> Who {
    if odd_one.is_some() {
        return Vec::new();
    }
    let mut v: Who = groups.iter().flat_map(|(_, w)| w.iter().cloned()).collect();
    v.sort();
    v
}

/// One evidence line per group: its servers, then what they said (`label`).
fn evidence<K>(groups: &[(&K, &Who)], label: impl Fn(&K, &Who) -> String) -> Vec<String> {
    groups
        .iter()
        .map(|(s, v)| {
            let who: Vec<String> = v.iter().map(|(n, a)| format!("{n} ({a})")).collect();
            format!("{} {}", who.join(", "), label(s, v))
        })
        .collect()
}

/// The groups, the one with the fewest servers first.
fn sorted<K>(map: &BTreeMap<K, Who>) -> Vec<(&K, &Who)> {
    let mut g: Vec<_> = map.iter().collect();
    g.sort_by_key(|(_, v)| {
        v.iter()
            .map(|(n, _)| n.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    });
    g
}

/// Adds `inconsistent_answer` and `inconsistent_serial` findings.
/// Returns each zone's odd server out by serial.
pub(super) fn check(walk: &Walk, findings: &mut Vec<Finding>) -> Vec<OddSerial> {
    let mut by_qzone: BTreeMap<(QId, Name), ByServer> = BTreeMap::new();
    // Cut checks are discovery, not survey: the zones they find get their own checks.
    for p in walk
        .probes
        .iter()
        .filter(|p| p.kind == ProbeKind::Standard && !walk.questions[p.question].is_cut())
    {
        by_qzone
            .entry((p.question, p.zone.clone()))
            .or_default()
            .entry((p.server.clone(), p.address))
            .or_default()
            .push(p);
    }
    // Serials first: an answer that differs at the server with the old serial is that
    // server's old copy, and its finding says so.
    let mut odd_serials: BTreeMap<Name, OddSerial> = BTreeMap::new();
    for ((q, zone), servers) in &by_qzone {
        if walk.questions[*q].qtype == RecordType::SOA
            && let Some(odd) = serials(zone, servers, findings)
        {
            odd_serials.insert(zone.clone(), odd);
        }
    }
    for ((q, zone), servers) in &by_qzone {
        if walk.questions[*q].qtype == RecordType::SOA {
            continue;
        }
        let mut sig_of = signatures(servers, Said::of);
        // A referral next to a positive answer is a server that also serves the child:
        // harmless. Terminal answers are compared with each other; negative answers with
        // referrals too (a server that says NXDOMAIN where others delegate has stale data).
        if sig_of.keys().any(|s| matches!(s, Said::Answer(_))) {
            sig_of.retain(|s, _| !matches!(s, Said::Referral { .. }));
        }
        let sig_of = merge_referrals(sig_of);
        if sig_of.len() < 2 {
            continue;
        }
        let groups = sorted(&sig_of);
        let (server, address) = minority(&groups);
        let odd = server.as_ref().map(|odd| OddOne {
            server: odd,
            addresses: groups[0].1.iter().map(|(_, a)| *a).collect(),
            theirs: groups[0].0.what(),
            others: groups[1..].iter().map(|(s, _)| s.what()).collect(),
            copy: odd_serials
                .get(zone)
                .filter(|o| o.server == *odd)
                .map(OddSerial::copy),
        });
        let fact = Fact::InconsistentAnswer {
            zone,
            question: q_text(walk, *q),
            versions: groups.len(),
            odd,
        };
        let mut f = fact
            .finding(Severity::Error, zone)
            .involving(involved(&groups, server.as_ref()))
            .evidence(evidence(&groups, |s, _| s.words()));
        if let Some(server) = &server {
            f = f.at(server, address);
        }
        findings.push(f);
    }
    odd_serials.into_values().collect()
}

/// A zone's odd server out by serial: its serial and the others' (an old copy of the zone
/// when it is the lower one; the headline names it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OddSerial {
    /// The zone.
    pub zone: Name,
    /// The odd server out.
    pub server: Name,
    /// Its serial.
    pub serial: u32,
    /// The other servers' serials.
    pub others: Vec<u32>,
}

impl OddSerial {
    /// "an old copy (serial N; the others M)", or "another version …" when its serial is
    /// not the older one: what the odd server serves, for the finding and the headline.
    #[must_use]
    pub fn copy(&self) -> String {
        crate::words::old_copy(self.serial, &self.others, self.is_older())
    }

    /// True when the odd server's serial is older than every other (RFC 1982 serial number
    /// arithmetic: `s1 < s2` when `0 < (s2 - s1) mod 2^32 < 2^31`).
    #[must_use]
    pub fn is_older(&self) -> bool {
        let mine = self.serial;
        self.others
            .iter()
            .all(|o| (1..1u32 << 31).contains(&o.wrapping_sub(mine)))
    }
}

/// Referrals to different children are consistent: a server that also serves an intermediate
/// zone refers further down (the root servers also serve `arpa.`). Only referrals to the same
/// child with different NS sets disagree; the others merge into one "referred further down".
fn merge_referrals(sig_of: BTreeMap<Said, Who>) -> BTreeMap<Said, Who> {
    let child = |s: &Said| match s {
        Said::Referral { child, .. } => Some(child.clone()),
        _ => None,
    };
    let mut per_child: BTreeMap<Name, usize> = BTreeMap::new();
    for c in sig_of.keys().filter_map(child) {
        *per_child.entry(c).or_insert(0) += 1;
    }
    let mut out: BTreeMap<Said, Who> = BTreeMap::new();
    for (s, who) in sig_of {
        let key = match child(&s) {
            Some(c) if per_child.get(&c).copied().unwrap_or(0) <= 1 => Said::FurtherDown,
            _ => s,
        };
        out.entry(key).or_default().extend(who);
    }
    out
}

/// The SOA in a probe's answer.
fn soa(p: &Probe) -> Option<&Soa> {
    let ReplyClass::Answer { data } = &p.class else {
        return None;
    };
    data.iter().find_map(|d| match d {
        Rdata::Soa(s) => Some(s),
        _ => None,
    })
}

/// Adds the `inconsistent_serial` of a zone whose servers differ; returns the odd server
/// out, if one, with its serial and the others'.
fn serials(zone: &Name, servers: &ByServer, findings: &mut Vec<Finding>) -> Option<OddSerial> {
    let sig_of = signatures(servers, |p| soa(p).map(|s| s.serial));
    if sig_of.len() < 2 {
        return None;
    }
    let groups = sorted(&sig_of);
    let (server, address) = minority(&groups);
    let odd = server.clone().map(|server| OddSerial {
        zone: zone.clone(),
        server,
        serial: *groups[0].0,
        others: groups[1..].iter().map(|(s, _)| **s).collect(),
    });
    let fact = Fact::InconsistentSerial {
        zone,
        versions: groups.len(),
    };
    let mut f = fact
        .finding(Severity::Warning, zone)
        .involving(involved(&groups, server.as_ref()))
        .evidence(evidence(&groups, |s, v| {
            let verb = if v.len() == 1 { "has" } else { "have" };
            format!("{verb} serial {s}")
        }));
    if let Some(server) = &server {
        f = f.at(server, address);
    }
    findings.push(f);
    odd
}

/// Each zone's contact, from the SOA RNAME most of its servers gave (RFC 1035 §3.3.13:
/// the first label is the mailbox's local part).
pub(super) fn contacts(walk: &Walk) -> BTreeMap<Name, String> {
    let mut out = BTreeMap::new();
    for p in walk
        .probes
        .iter()
        .filter(|p| walk.questions[p.question].qtype == RecordType::SOA)
    {
        if out.contains_key(&p.zone) {
            continue;
        }
        if let Some(soa) = soa(p)
            && let Some(mailbox) = mailbox(&soa.rname.to_string())
        {
            out.insert(p.zone.clone(), mailbox);
        }
    }
    out
}

/// `hostmaster.isp.example.` → `hostmaster@isp.example`; an escaped dot stays in the local part
/// (`john\.doe.example.` → `john.doe@example`).
fn mailbox(rname: &str) -> Option<String> {
    let r = rname.trim_end_matches('.');
    let bytes = r.as_bytes();
    let split =
        (0..bytes.len()).find(|&i| bytes[i] == b'.' && (i == 0 || bytes[i - 1] != b'\\'))?;
    let (local, domain) = (&r[..split], &r[split + 1..]);
    if local.is_empty() || domain.is_empty() {
        return None;
    }
    Some(format!("{}@{domain}", local.replace("\\.", ".")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn mailbox_from_rname() {
        assert_eq!(
            super::mailbox("hostmaster.isp.example.").as_deref(),
            Some("hostmaster@isp.example")
        );
        assert_eq!(
            super::mailbox("john\\.doe.example.").as_deref(),
            Some("john.doe@example")
        );
        assert_eq!(super::mailbox("root."), None);
    }
}
