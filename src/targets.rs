//! What to trace: addresses, CIDR prefixes, `@FILE` and `-` (stdin), one target per line
//! with `#` comments. Bad entries are reported with where they came from (the file and line)
//! and the good ones still run. Prefixes above [`MAX_PREFIX_SIZE`] addresses are refused
//! unless forced: a /8 is 16 million traces.

use std::collections::HashSet;
use std::io::BufRead;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The most addresses one prefix may expand to without `--force` (a /16, or a /112).
pub const MAX_PREFIX_SIZE: u128 = 65_536;

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

/// Expands one entry (address or prefix) into addresses.
///
/// # Errors
/// A message naming the problem.
pub fn expand(entry: &str, force: bool) -> Result<Vec<IpAddr>, String> {
    let e = entry.trim();
    let Some((addr, len)) = e.split_once('/') else {
        return e.parse::<IpAddr>().map(|ip| vec![ip]).map_err(|_| {
            format!("{e:?} is not an IP address or prefix (e.g. 203.0.113.25, 203.0.113.0/24, 2001:db8::/120)")
        });
    };
    let ip: IpAddr = addr
        .parse()
        .map_err(|_| format!("{e:?}: {addr:?} is not an IP address"))?;
    let bits: u32 = if ip.is_ipv4() { 32 } else { 128 };
    let len: u32 = len
        .parse()
        .ok()
        .filter(|l| *l <= bits)
        .ok_or_else(|| format!("{e:?}: prefix length must be 0 to {bits}"))?;
    let host_bits = bits - len;
    let size: u128 = if host_bits >= 128 {
        u128::MAX
    } else {
        1u128 << host_bits
    };
    if size > MAX_PREFIX_SIZE && !force {
        return Err(format!(
            "{e:?} has {} addresses, more than {MAX_PREFIX_SIZE}; split it or add --force",
            if host_bits >= 128 {
                "2^128".to_string()
            } else {
                size.to_string()
            }
        ));
    }
    let out = match ip {
        IpAddr::V4(v4) => {
            let mask = if len == 0 { 0 } else { u32::MAX << host_bits };
            let base = u32::from(v4) & mask;
            let count = u32::try_from(size).unwrap_or(u32::MAX);
            (0..count)
                .map(|i| IpAddr::V4(Ipv4Addr::from(base.wrapping_add(i))))
                .collect()
        }
        IpAddr::V6(v6) => {
            let mask = if len == 0 { 0 } else { u128::MAX << host_bits };
            let base = u128::from(v6) & mask;
            let count = u64::try_from(size).unwrap_or(u64::MAX);
            (0..count)
                .map(|i| IpAddr::V6(Ipv6Addr::from(base.wrapping_add(u128::from(i)))))
                .collect()
        }
    };
    Ok(out)
}

/// Reads targets from lines (a file or stdin): one entry per line, `#` starts a comment.
fn read_lines(
    name: &str,
    reader: impl BufRead,
    force: bool,
    out: &mut Vec<IpAddr>,
    bad: &mut Vec<BadTarget>,
) {
    for (i, line) in reader.lines().enumerate() {
        let place = format!("{name} line {}", i + 1);
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                bad.push(BadTarget {
                    place,
                    message: format!("cannot read: {e}"),
                });
                return;
            }
        };
        let entry = line.split('#').next().unwrap_or("").trim();
        if entry.is_empty() {
            continue;
        }
        match expand(entry, force) {
            Ok(v) => out.extend(v),
            Err(message) => bad.push(BadTarget { place, message }),
        }
    }
}

/// Parses the command line's target arguments: addresses, prefixes, `@FILE`, `-`.
/// Duplicates are dropped, the first occurrence keeps its place.
pub fn parse(args: &[String], force: bool, stdin: impl BufRead) -> (Vec<IpAddr>, Vec<BadTarget>) {
    let mut out = Vec::new();
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
            match expand(arg, force) {
                Ok(v) => out.extend(v),
                Err(message) => bad.push(BadTarget {
                    place: format!("argument {}", i + 1),
                    message,
                }),
            }
        }
    }
    let mut seen = HashSet::new();
    out.retain(|ip| seen.insert(*ip));
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
            ok.iter().map(ToString::to_string).collect::<Vec<_>>(),
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
}
