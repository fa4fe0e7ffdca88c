//! A batch's addresses as intervals, to count how many of them a reverse zone holds (the
//! sample rate of spread probing, trace/spread.rs) without expanding anything.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::{Range, Targets, cover};

/// The addresses of a batch as disjoint intervals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Population {
    /// (IPv6, first) → one past the last; sorted and merged.
    intervals: BTreeMap<(bool, u128), u128>,
}

impl Population {
    /// The population of `addrs` (adjacent addresses merge into one interval).
    #[must_use]
    pub fn of_addrs(addrs: impl IntoIterator<Item = IpAddr>) -> Self {
        let mut p = Self::default();
        for a in addrs {
            let (v6, first) = bits(a);
            cover(
                &mut p.intervals,
                &Range {
                    v6,
                    first,
                    count: 1,
                },
            );
        }
        p
    }

    /// How many of the addresses have reverse names at or under `zone`: a zone of whole
    /// octets under `in-addr.arpa.` or whole nibbles under `ip6.arpa.`. None for any other
    /// name (a classless RFC 2317 zone, a forward zone).
    #[must_use]
    pub fn count_under(&self, zone: &hickory_proto::rr::Name) -> Option<u128> {
        let (v6, first, count) = reverse_range(zone)?;
        let end = first.saturating_add(count);
        // The interval starting at or before `first` may reach into the zone's range.
        let start = self
            .intervals
            .range(..=(v6, first))
            .next_back()
            .filter(|(k, e)| k.0 == v6 && **e > first)
            .map_or((v6, first), |(k, _)| *k);
        let mut n = 0u128;
        for (&(fam, s), &e) in self.intervals.range(start..) {
            if fam != v6 || s >= end {
                break;
            }
            n += e.min(end).saturating_sub(s.max(first));
        }
        Some(n)
    }
}

impl Targets {
    /// The addresses as a [`Population`].
    #[must_use]
    pub fn population(&self) -> Population {
        let mut p = Population::default();
        for r in &self.ranges {
            cover(&mut p.intervals, r);
        }
        p
    }
}

/// An address as (IPv6, its number).
fn bits(a: IpAddr) -> (bool, u128) {
    match a {
        IpAddr::V4(v4) => (false, u128::from(u32::from(v4))),
        IpAddr::V6(v6) => (true, u128::from(v6)),
    }
}

/// The addresses whose reverse names are at or under `zone`: (IPv6, first, count).
fn reverse_range(zone: &hickory_proto::rr::Name) -> Option<(bool, u128, u128)> {
    let text = zone.to_lowercase().to_ascii();
    let text = text.trim_end_matches('.');
    let (v6, labels, width, total) = if let Some(rest) = text.strip_suffix("in-addr.arpa") {
        (false, rest, 8u32, 32u32)
    } else if let Some(rest) = text.strip_suffix("ip6.arpa") {
        (true, rest, 4, 128)
    } else {
        return None;
    };
    let labels: Vec<&str> = labels
        .trim_end_matches('.')
        .split('.')
        .filter(|l| !l.is_empty())
        .collect();
    let fixed = u32::try_from(labels.len()).ok()?.checked_mul(width)?;
    if fixed > total {
        return None;
    }
    let mut first = 0u128;
    // Most significant part first: the last label.
    for l in labels.iter().rev() {
        let v = if v6 {
            if l.len() != 1 {
                return None;
            }
            u128::from_str_radix(l, 16).ok()?
        } else {
            if l.len() > 1 && l.starts_with('0') {
                return None;
            }
            u128::from(l.parse::<u8>().ok()?)
        };
        first = (first << width) | v;
    }
    let free = total - fixed;
    Some((v6, first << free, 1u128 << free))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::parse;

    fn name(s: &str) -> hickory_proto::rr::Name {
        hickory_proto::rr::Name::from_ascii(s).unwrap_or_else(|_| hickory_proto::rr::Name::root())
    }

    #[test]
    fn counts_the_targets_a_reverse_zone_holds() {
        let (t, _) = parse(
            &[
                "203.0.0.0/22".into(),
                "203.0.9.7".into(),
                "2001:db8::/120".into(),
            ],
            false,
            std::io::empty(),
        );
        let p = t.population();
        assert_eq!(p.count_under(&name("0.203.in-addr.arpa.")), Some(1025));
        assert_eq!(p.count_under(&name("1.0.203.in-addr.arpa.")), Some(256));
        assert_eq!(p.count_under(&name("9.0.203.in-addr.arpa.")), Some(1));
        assert_eq!(p.count_under(&name("4.0.203.in-addr.arpa.")), Some(0));
        assert_eq!(p.count_under(&name("in-addr.arpa.")), Some(1025));
        assert_eq!(p.count_under(&name("7.9.0.203.in-addr.arpa.")), Some(1));
        let v6 = format!("{}8.b.d.0.1.0.0.2.ip6.arpa.", "0.".repeat(22));
        assert_eq!(p.count_under(&name(&v6)), Some(256));
        assert_eq!(p.count_under(&name(&format!("1.{v6}"))), Some(16));
        assert_eq!(p.count_under(&name("8.b.d.0.1.0.0.2.ip6.arpa.")), Some(256));
        // Classless and forward zones are not counted.
        assert_eq!(p.count_under(&name("0-63.1.0.203.in-addr.arpa.")), None);
        assert_eq!(p.count_under(&name("example.")), None);
        assert_eq!(Population::of_addrs(t.iter()), p);
    }
}
