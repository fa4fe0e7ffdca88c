//! Root hints: where the iterative walk starts (RFC 1034 §5.3.3, RFC 8109).
//!
//! The built-in set is IANA's `named.root` (all 13 letters, IPv4 and IPv6). `--root-hints FILE`
//! reads the same master-file format, so a lab or a private root can be traced. The parser is
//! strict and reports the file and line of the first problem: a hints file that silently drops
//! a server would make every trace lie.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;

use hickory_proto::rr::Name;

/// One root server: its NS name and every address the hints give for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HintServer {
    /// The NS name, e.g. `a.root-servers.net.`.
    pub name: Name,
    /// Its IPv4 and IPv6 addresses, in file order.
    pub addresses: Vec<IpAddr>,
}

/// The servers of the root zone the walk starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootHints {
    /// Root servers, sorted by name.
    pub servers: Vec<HintServer>,
    /// Where they came from, for reports (`built-in` or a file path).
    pub source: String,
}

/// A hints file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum HintsError {
    /// The file could not be read.
    #[error("cannot read root hints file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A line is not a valid record of the hints format.
    #[error("root hints file {path}, line {line}: {message}")]
    Syntax {
        /// The file.
        path: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The file parsed, but gives no usable root server.
    #[error("root hints file {path}: {message}")]
    Empty {
        /// The file.
        path: String,
        /// What is missing.
        message: String,
    },
}

/// IANA's root hints (named.root, last changed 2023-11 for b.root-servers.net's addresses).
pub const BUILTIN_NAMED_ROOT: &str = include_str!("named.root");

impl RootHints {
    /// The built-in IANA root hints. Only for real use: tests and the lab never call this.
    ///
    /// # Panics
    /// Never in practice: the embedded file is checked by a unit test.
    #[must_use]
    pub fn builtin() -> Self {
        #[allow(clippy::expect_used)]
        Self::parse(BUILTIN_NAMED_ROOT, "built-in").expect("built-in named.root parses")
    }

    /// Reads a hints file in named.root format.
    ///
    /// # Errors
    /// [`HintsError`] naming the file and, for syntax problems, the line.
    pub fn from_file(path: &Path) -> Result<Self, HintsError> {
        let shown = path.display().to_string();
        let text =
            crate::bounded::read_file(path, crate::bounded::MAX_FILE_BYTES).map_err(|source| {
                HintsError::Io {
                    path: shown.clone(),
                    source,
                }
            })?;
        Self::parse(&text, &shown)
    }

    /// The hints as named.root text, which [`RootHints::parse`] reads back (`lab serve`
    /// writes its hints file with it).
    #[must_use]
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for s in &self.servers {
            out.push_str(&format!(".  3600000  NS  {}\n", s.name));
            for a in &s.addresses {
                let t = if a.is_ipv4() { "A" } else { "AAAA" };
                out.push_str(&format!("{}  3600000  {t}  {a}\n", s.name));
            }
        }
        out
    }

    /// Parses named.root text: `NAME [TTL] [IN] TYPE RDATA` lines, `;` comments, blank lines.
    /// `. NS name` lines list the root servers; `name A`/`name AAAA` lines give addresses.
    ///
    /// # Errors
    /// [`HintsError::Syntax`] for the first bad line, [`HintsError::Empty`] when no NS of the
    /// root has an address.
    pub fn parse(text: &str, path: &str) -> Result<Self, HintsError> {
        let mut ns: Vec<Name> = Vec::new();
        let mut addrs: BTreeMap<Name, Vec<IpAddr>> = BTreeMap::new();
        for (idx, raw) in text.lines().enumerate() {
            let line = idx + 1;
            let err = |message: String| HintsError::Syntax {
                path: path.to_string(),
                line,
                message,
            };
            let content = raw.split(';').next().unwrap_or("").trim();
            if content.is_empty() {
                continue;
            }
            if content.starts_with('$') {
                return Err(err(format!(
                    "directive {content:?} is not supported in a hints file"
                )));
            }
            let fields: Vec<&str> = content.split_whitespace().collect();
            let owner = parse_name(fields[0]).map_err(&err)?;
            let mut rest = &fields[1..];
            if let Some(f) = rest.first()
                && f.chars().all(|c| c.is_ascii_digit())
            {
                rest = &rest[1..];
            }
            if let Some(f) = rest.first()
                && f.eq_ignore_ascii_case("IN")
            {
                rest = &rest[1..];
            }
            let [rtype, rdata] = rest else {
                return Err(err(format!(
                    "expected `NAME [TTL] [IN] TYPE DATA`, found {content:?}"
                )));
            };
            match rtype.to_ascii_uppercase().as_str() {
                "NS" => {
                    if !owner.is_root() {
                        return Err(err(format!(
                            "NS record for {owner}: a hints file lists the root's servers only"
                        )));
                    }
                    let target = parse_name(rdata).map_err(&err)?;
                    if !ns.contains(&target) {
                        ns.push(target);
                    }
                }
                "A" => {
                    let ip: std::net::Ipv4Addr = rdata
                        .parse()
                        .map_err(|_| err(format!("{rdata:?} is not an IPv4 address")))?;
                    addrs.entry(owner).or_default().push(IpAddr::V4(ip));
                }
                "AAAA" => {
                    let ip: std::net::Ipv6Addr = rdata
                        .parse()
                        .map_err(|_| err(format!("{rdata:?} is not an IPv6 address")))?;
                    addrs.entry(owner).or_default().push(IpAddr::V6(ip));
                }
                other => {
                    return Err(err(format!(
                        "record type {other} does not belong in a hints file (NS, A, AAAA only)"
                    )));
                }
            }
        }
        if ns.is_empty() {
            return Err(HintsError::Empty {
                path: path.to_string(),
                message: "no `. NS` record: the file names no root server".into(),
            });
        }
        let mut servers: Vec<HintServer> = ns
            .into_iter()
            .map(|name| HintServer {
                addresses: addrs.get(&name).cloned().unwrap_or_default(),
                name,
            })
            .collect();
        servers.sort_by(|a, b| a.name.cmp(&b.name));
        if servers.iter().all(|s| s.addresses.is_empty()) {
            return Err(HintsError::Empty {
                path: path.to_string(),
                message: "no root server has an A or AAAA record".into(),
            });
        }
        Ok(Self {
            servers,
            source: path.to_string(),
        })
    }
}

fn parse_name(text: &str) -> Result<Name, String> {
    if !text.ends_with('.') {
        return Err(format!(
            "name {text:?} must be fully qualified (end with a dot)"
        ));
    }
    Name::from_ascii(text)
        .map(|n| n.to_lowercase())
        .map_err(|e| format!("bad name {text:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_has_13_letters_with_both_families() {
        let h = RootHints::builtin();
        assert_eq!(h.servers.len(), 13);
        for s in &h.servers {
            assert!(s.addresses.iter().any(IpAddr::is_ipv4), "{} v4", s.name);
            assert!(s.addresses.iter().any(IpAddr::is_ipv6), "{} v6", s.name);
        }
        assert_eq!(h.servers[0].name.to_string(), "a.root-servers.net.");
        assert_eq!(h.servers[0].addresses[0].to_string(), "198.41.0.4");
    }

    #[test]
    fn parses_minimal_file_with_optional_ttl_and_class() {
        let text = "; lab\n.  3600000 IN NS a.lab.\n. NS b.lab.\na.lab. 3600000 A 127.0.0.1\nb.lab. IN AAAA ::1 ; comment\n";
        let h = RootHints::parse(text, "t").unwrap();
        assert_eq!(h.servers.len(), 2);
        assert_eq!(
            h.servers[0].addresses,
            vec!["127.0.0.1".parse::<IpAddr>().unwrap()]
        );
        assert_eq!(
            h.servers[1].addresses,
            vec!["::1".parse::<IpAddr>().unwrap()]
        );
    }

    #[test]
    fn text_reads_back() {
        let h = RootHints::builtin();
        let again = RootHints::parse(&h.to_text(), "t").unwrap();
        assert_eq!(again.servers, h.servers);
    }

    #[test]
    fn bad_address_names_file_and_line() {
        let text = ". NS a.lab.\na.lab. A 300.1.1.1\n";
        let e = RootHints::parse(text, "lab.hints").unwrap_err().to_string();
        assert_eq!(
            e,
            "root hints file lab.hints, line 2: \"300.1.1.1\" is not an IPv4 address"
        );
    }

    #[test]
    fn rejects_relative_names_unknown_types_and_missing_ns() {
        let e = RootHints::parse(". NS a.lab\n", "f")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 1") && e.contains("fully qualified"), "{e}");
        let e = RootHints::parse(". NS a.lab.\na.lab. MX 10 x.\n", "f")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2"), "{e}");
        let e = RootHints::parse("a.lab. A 127.0.0.1\n", "f")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no `. NS` record"), "{e}");
        let e = RootHints::parse(". NS a.lab.\n", "f")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no root server has an A or AAAA"), "{e}");
    }
}
