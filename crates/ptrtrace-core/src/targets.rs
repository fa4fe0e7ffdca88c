//! What to trace: addresses, CIDR prefixes, `@FILE` and `-` (stdin), one target per line
//! with `#` comments. Bad entries are reported with where they came from (the file and line)
//! and the good ones still run. Prefixes above [`MAX_PREFIX_SIZE`] addresses are refused
//! unless forced (a /8 is 16 million traces), and above [`MAX_FORCED_SIZE`] always.
//!
//! Prefixes are never expanded into memory: [`Targets`] keeps one range per entry and
//! [`Targets::iter`] yields the addresses one by one, skipping those an earlier entry already
//! gave. Memory is proportional to the number of entries (tens of bytes each), whatever the
//! size of the prefixes: `--force 10.0.0.0/8` holds one range, not 16 million addresses.

mod population;
pub use population::Population;

use std::collections::BTreeMap;
use std::io::BufRead;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The most addresses one prefix may expand to without `--force` (a /16, or a /112).
pub const MAX_PREFIX_SIZE: u128 = 65_536;

/// The most addresses one prefix may expand to with `--force`: the whole IPv4 space, an IPv6
/// /96 (at a thousand traces a second, 50 days).
pub const MAX_FORCED_SIZE: u128 = 1 << 32;

/// The most characters of an entry quoted back in an error (a 1 MB line is not repeated).
const QUOTE: usize = 80;

/// One bad target entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadTarget {
    /// `argument 2`, `hosts.txt line 7`, `stdin line 3`.
    pub place: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for BadTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.place, self.message)
    }
}

/// A run of consecutive addresses of one family: `count` addresses from `first`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    v6: bool,
    first: u128,
    count: u128,
}

impl Range {
    fn addr(&self, n: u128) -> IpAddr {
        if self.v6 {
            IpAddr::V6(Ipv6Addr::from(n))
        } else {
            IpAddr::V4(Ipv4Addr::from(u32::try_from(n).unwrap_or(u32::MAX)))
        }
    }
    /// One past the last address.
    fn end(&self) -> u128 {
        self.first.saturating_add(self.count)
    }
}

/// An entry quoted for an error message: at most [`QUOTE`] characters.
fn quote(e: &str) -> String {
    if e.chars().count() <= QUOTE {
        format!("{e:?}")
    } else {
        let head: String = e.chars().take(QUOTE).collect();
        format!("{head:?}… ({} characters)", e.chars().count())
    }
}

/// Parses one entry (address or prefix) into a range, and a warning when a prefix has host
/// bits set (`203.0.113.25/24` means the whole /24). An IPv4-mapped IPv6 address
/// (`::ffff:203.0.113.25`, RFC 4291 §2.5.5.2) is the IPv4 address: its reverse name is under
/// in-addr.arpa.
///
/// # Errors
/// A message naming the problem.
pub fn range(entry: &str, force: bool) -> Result<(Range, Option<String>), String> {
    let e = entry.trim();
    let q = quote(e);
    let (addr, len) = match e.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (e, None),
    };
    let ip: IpAddr = addr.parse().map_err(|_| {
        if len.is_some() {
            format!("{q}: {} is not an IP address", quote(addr))
        } else {
            format!("{q} is not an IP address or prefix (e.g. 203.0.113.25, 203.0.113.0/24, 2001:db8::/120)")
        }
    })?;
    let full: u32 = if ip.is_ipv4() { 32 } else { 128 };
    let len: u32 = match len {
        None => full,
        Some(l) => l
            .parse()
            .ok()
            .filter(|l| *l <= full)
            .ok_or_else(|| format!("{q}: prefix length must be 0 to {full}"))?,
    };
    // ::ffff:a.b.c.d/len (len ≥ 96) is the IPv4 prefix a.b.c.d/(len - 96).
    let (ip, len) = match ip {
        IpAddr::V6(v6) if len >= 96 => match v6.to_ipv4_mapped() {
            Some(v4) => (IpAddr::V4(v4), len - 96),
            None => (ip, len),
        },
        _ => (ip, len),
    };
    let bits: u32 = if ip.is_ipv4() { 32 } else { 128 };
    let host_bits = bits - len;
    let size: u128 = if host_bits >= 128 {
        u128::MAX
    } else {
        1u128 << host_bits
    };
    let size_text = if host_bits >= 64 {
        format!("2^{host_bits}")
    } else {
        size.to_string()
    };
    if size > MAX_FORCED_SIZE {
        return Err(format!(
            "{q} has {size_text} addresses, more than ptrtrace traces in one run even with --force ({MAX_FORCED_SIZE}, an IPv6 /96); give a longer prefix, or list the addresses that send mail"
        ));
    }
    if size > MAX_PREFIX_SIZE && !force {
        return Err(format!(
            "{q} has {size_text} addresses, more than {MAX_PREFIX_SIZE}; split it or add --force"
        ));
    }
    let raw: u128 = match ip {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    };
    let mask = if host_bits >= 128 {
        0
    } else {
        !((1u128 << host_bits) - 1)
    };
    let first = raw & mask;
    let warning = (first != raw).then(|| {
        let base = Range {
            v6: ip.is_ipv6(),
            first,
            count: 1,
        }
        .addr(first);
        format!("{q} has host bits set: tracing the whole prefix {base}/{len}")
    });
    Ok((
        Range {
            v6: ip.is_ipv6(),
            first,
            count: size,
        },
        warning,
    ))
}

/// Expands one entry into its addresses, in memory: for small prefixes and tests.
///
/// # Errors
/// A message naming the problem.
pub fn expand(entry: &str, force: bool) -> Result<Vec<IpAddr>, String> {
    let (r, _) = range(entry, force)?;
    let mut t = Targets::default();
    t.ranges.push(r);
    Ok(t.iter().collect())
}

/// Everything to trace, as ranges in the order given; addresses are produced by
/// [`Targets::iter`], never stored.
#[derive(Debug, Default)]
pub struct Targets {
    ranges: Vec<Range>,
    /// Warnings about entries that were accepted (host bits set in a prefix).
    pub warnings: Vec<String>,
}

impl Targets {
    /// The addresses, each once, in the order given.
    #[must_use]
    pub fn iter(&self) -> TargetIter<'_> {
        TargetIter {
            ranges: &self.ranges,
            next_range: 0,
            pending: Vec::new(),
            at: None,
            seen: BTreeMap::new(),
        }
    }
    /// The number of distinct addresses.
    #[must_use]
    pub fn len(&self) -> u128 {
        let mut seen: BTreeMap<(bool, u128), u128> = BTreeMap::new();
        let mut n = 0u128;
        for r in &self.ranges {
            for (s, e) in uncovered(&seen, r) {
                n = n.saturating_add(e - s);
            }
            cover(&mut seen, r);
        }
        n
    }
    /// True when there is nothing to trace.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }
}

/// The parts of `r` not in `seen` (disjoint intervals start → end, keyed by family).
fn uncovered(seen: &BTreeMap<(bool, u128), u128>, r: &Range) -> Vec<(u128, u128)> {
    let (mut at, end) = (r.first, r.end());
    let mut out = Vec::new();
    // The interval starting at or before `at` may cover its beginning.
    if let Some((&(v6, s), &e)) = seen.range(..=(r.v6, at)).next_back()
        && v6 == r.v6
        && s <= at
        && e > at
    {
        at = e.min(end);
    }
    for (&(v6, s), &e) in seen.range((r.v6, at)..) {
        if v6 != r.v6 || s >= end {
            break;
        }
        if s > at {
            out.push((at, s));
        }
        at = at.max(e);
        if at >= end {
            break;
        }
    }
    if at < end {
        out.push((at, end));
    }
    out
}

/// Adds `r` to `seen`, merging overlapping and adjacent intervals.
fn cover(seen: &mut BTreeMap<(bool, u128), u128>, r: &Range) {
    let (mut s, mut e) = (r.first, r.end());
    let touching: Vec<(u128, u128)> = seen
        .range((r.v6, 0)..=(r.v6, e))
        .filter(|(_, end)| **end >= s)
        .map(|(&(_, a), &b)| (a, b))
        .collect();
    for (a, b) in touching {
        seen.remove(&(r.v6, a));
        s = s.min(a);
        e = e.max(b);
    }
    seen.insert((r.v6, s), e);
}

/// The addresses of [`Targets`], produced one at a time.
#[derive(Debug)]
pub struct TargetIter<'a> {
    ranges: &'a [Range],
    next_range: usize,
    /// The uncovered intervals of the current range still to produce, last first.
    pending: Vec<(u128, u128)>,
    /// The current interval: next address, end, family.
    at: Option<(u128, u128, bool)>,
    seen: BTreeMap<(bool, u128), u128>,
}

impl Iterator for TargetIter<'_> {
    type Item = IpAddr;
    fn next(&mut self) -> Option<IpAddr> {
        loop {
            if let Some((n, end, v6)) = self.at {
                if n < end {
                    self.at = Some((n + 1, end, v6));
                    return Some(
                        Range {
                            v6,
                            first: n,
                            count: 1,
                        }
                        .addr(n),
                    );
                }
                self.at = None;
            }
            if let Some((s, e)) = self.pending.pop() {
                let v6 = self.ranges[self.next_range - 1].v6;
                self.at = Some((s, e, v6));
                continue;
            }
            let r = self.ranges.get(self.next_range)?;
            self.next_range += 1;
            let mut parts = uncovered(&self.seen, r);
            parts.reverse();
            self.pending = parts;
            cover(&mut self.seen, r);
        }
    }
}

/// Reads targets from lines (a file or stdin): one entry per line, `#` starts a comment.
fn read_lines(
    name: &str,
    reader: impl BufRead,
    force: bool,
    out: &mut Targets,
    bad: &mut Vec<BadTarget>,
) {
    let (ranges, warnings) = (out.ranges.len(), out.warnings.len());
    let read = crate::bounded::each_line(reader, |number, line| {
        let entry = line.split('#').next().unwrap_or("").trim();
        if !entry.is_empty() {
            out.add(&format!("{name} line {number}"), entry, force, bad);
        }
    });
    if let Err((number, e)) = read {
        // A list cut short is not the list meant: none of it is traced.
        out.ranges.truncate(ranges);
        out.warnings.truncate(warnings);
        bad.push(BadTarget {
            place: format!("{name} line {number}"),
            message: e.to_string(),
        });
    }
}

impl Targets {
    fn add(&mut self, place: &str, entry: &str, force: bool, bad: &mut Vec<BadTarget>) {
        match range(entry, force) {
            Ok((r, warning)) => {
                self.ranges.push(r);
                if let Some(w) = warning {
                    self.warnings.push(format!("{place}: {w}"));
                }
            }
            Err(message) => bad.push(BadTarget {
                place: place.to_string(),
                message,
            }),
        }
    }
}

/// Parses the command line's target arguments: addresses, prefixes, `@FILE`, `-`.
/// Duplicates are dropped when iterating, the first occurrence keeps its place.
pub fn parse(args: &[String], force: bool, stdin: impl BufRead) -> (Targets, Vec<BadTarget>) {
    let mut out = Targets::default();
    let mut bad = Vec::new();
    let mut stdin = Some(stdin);
    for (i, arg) in args.iter().enumerate() {
        if arg == "-" {
            if let Some(s) = stdin.take() {
                read_lines("stdin", s, force, &mut out, &mut bad);
            }
        } else if let Some(path) = arg.strip_prefix('@') {
            match std::fs::File::open(path) {
                Ok(f) => read_lines(path, std::io::BufReader::new(f), force, &mut out, &mut bad),
                Err(e) => bad.push(BadTarget {
                    place: format!("argument {}", i + 1),
                    message: format!("cannot read target file {path}: {e}"),
                }),
            }
        } else {
            out.add(&format!("argument {}", i + 1), arg, force, &mut bad);
        }
    }
    (out, bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_expand() {
        let v = expand("203.0.113.0/30", false).unwrap();
        assert_eq!(
            v.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["203.0.113.0", "203.0.113.1", "203.0.113.2", "203.0.113.3"]
        );
        assert_eq!(expand("203.0.113.77/24", false).unwrap().len(), 256);
        assert_eq!(
            expand("203.0.113.0/24", false).unwrap()[255].to_string(),
            "203.0.113.255"
        );
        let v6 = expand("2001:db8:1::/126", false).unwrap();
        assert_eq!(v6.last().unwrap().to_string(), "2001:db8:1::3");
        assert_eq!(expand("198.51.100.0/16", false).unwrap().len(), 65_536);
        assert!(
            expand("198.51.100.0/15", false)
                .unwrap_err()
                .contains("--force")
        );
        assert_eq!(expand("198.51.100.0/15", true).unwrap().len(), 131_072);
        assert!(
            expand("2001:db8::/64", false)
                .unwrap_err()
                .contains("more than ptrtrace traces in one run even with --force")
        );
        assert!(
            expand("2001:db8::/100", false)
                .unwrap_err()
                .contains("more than 65536")
        );
        assert!(
            expand("203.0.113.0/33", false)
                .unwrap_err()
                .contains("0 to 32")
        );
        assert!(expand("mail.example/24", false).is_err());
    }

    #[test]
    fn files_and_stdin_report_bad_lines_and_keep_good_ones() {
        let input = "# audit\n203.0.113.25\n\n203.0.113.256  # typo\n203.0.113.24/31\n";
        let (ok, bad) = parse(
            &["-".to_string(), "203.0.113.25".to_string()],
            false,
            input.as_bytes(),
        );
        assert_eq!(
            ok.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
            ["203.0.113.25", "203.0.113.24"]
        );
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].place, "stdin line 4");
        assert!(bad[0].message.contains("203.0.113.256"), "{}", bad[0]);
        let (_, bad) = parse(&["@/nonexistent/targets".to_string()], false, "".as_bytes());
        assert!(
            bad[0]
                .to_string()
                .starts_with("argument 1: cannot read target file /nonexistent/targets")
        );
    }

    /// Prefixes are streamed: a /8 is one range, iterated without storing its addresses;
    /// a /96 starts at once; a /64 is refused in one line, even with --force.
    #[test]
    fn big_prefixes_stream_in_bounded_memory() {
        let (t, bad) = parse(&["10.0.0.0/8".to_string()], true, "".as_bytes());
        assert!(bad.is_empty());
        assert_eq!(t.ranges.len(), 1, "one range, not 16 million addresses");
        assert_eq!(t.len(), 1 << 24);
        let mut n = 0u64;
        let mut last = None;
        for a in t.iter() {
            n += 1;
            last = Some(a);
        }
        assert_eq!(n, 1 << 24);
        assert_eq!(
            last.map(|a| a.to_string()).as_deref(),
            Some("10.255.255.255")
        );
        let (t, _) = parse(&["2001:db8::/96".to_string()], true, "".as_bytes());
        assert_eq!(t.len(), 1 << 32);
        let first: Vec<String> = t.iter().take(3).map(|a| a.to_string()).collect();
        assert_eq!(first, ["2001:db8::", "2001:db8::1", "2001:db8::2"]);
        let (t, bad) = parse(&["2001:db8::/64".to_string()], true, "".as_bytes());
        assert!(t.is_empty());
        assert!(bad[0].message.contains("2^64 addresses"), "{}", bad[0]);
    }

    #[test]
    fn overlapping_entries_give_each_address_once_in_order() {
        let args: Vec<String> = [
            "203.0.113.4/31",
            "203.0.113.0/29",
            "203.0.113.5",
            "2001:db8::/127",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let (t, _) = parse(&args, false, "".as_bytes());
        let got: Vec<String> = t.iter().map(|a| a.to_string()).collect();
        assert_eq!(
            got,
            [
                "203.0.113.4",
                "203.0.113.5",
                "203.0.113.0",
                "203.0.113.1",
                "203.0.113.2",
                "203.0.113.3",
                "203.0.113.6",
                "203.0.113.7",
                "2001:db8::",
                "2001:db8::1"
            ]
        );
        assert_eq!(t.len(), 10);
    }

    #[test]
    fn host_bits_warn_mapped_addresses_are_ipv4_long_lines_are_cut() {
        let (t, bad) = parse(&["203.0.113.25/24".to_string()], false, "".as_bytes());
        assert!(bad.is_empty());
        assert_eq!(t.len(), 256);
        assert!(
            t.warnings[0].contains("tracing the whole prefix 203.0.113.0/24"),
            "{:?}",
            t.warnings
        );
        let v = expand("::ffff:203.0.113.25", false).unwrap();
        assert_eq!(v[0].to_string(), "203.0.113.25");
        assert!(v[0].is_ipv4());
        let long = "x".repeat(1_000_000);
        let e = expand(&long, false).unwrap_err();
        assert!(e.len() < 200, "{} characters", e.len());
        assert!(e.contains("(1000000 characters)"), "{e}");
    }
}
