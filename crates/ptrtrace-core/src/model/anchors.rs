//! Trust anchors: where chains of trust start (the built-in IANA root keys, a file given with
//! `--trust-anchor`, or the lab's keys), and the DS digest of a key.

use std::path::Path;

use hickory_proto::dnssec::rdata::{DNSKEY, DNSSECRData, DS};
use hickory_proto::dnssec::{DigestType, PublicKey, Verifier};
use hickory_proto::rr::{Name, RData};
use hickory_proto::serialize::txt::Parser;

/// One trusted starting point of a chain of trust.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Anchor {
    /// A DS record: the zone's DNSKEY with this digest is trusted.
    Ds(DS),
    /// A DNSKEY record: this key is trusted.
    Key(DNSKEY),
}

/// The trust anchors of a run: where chains of trust start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustAnchors {
    /// Anchors by owner name (the root, for the built-in set).
    pub anchors: Vec<(Name, Anchor)>,
    /// Where they came from: `builtin (IANA root KSK-2017, KSK-2024)`, a file name, `lab`.
    pub source: String,
    /// True when nobody chose these anchors for this root: the built-in IANA keys applied to
    /// a root given with `--root-hints` and no `--trust-anchor`. A root none of whose keys
    /// match them is then a private root, not a broken one: DNSSEC is not judged.
    pub assumed: bool,
}

/// A trust anchor file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("trust anchor file {path}: {message}")]
pub struct AnchorError {
    path: String,
    message: String,
}

impl TrustAnchors {
    /// The IANA root zone key-signing keys (KSK-2017, tag 20326, and KSK-2024, tag 38696), as
    /// shipped by hickory-proto. A unit test checks them against the DS digests IANA
    /// publishes in root-anchors.xml.
    #[must_use]
    pub fn builtin() -> Self {
        let roots = hickory_proto::dnssec::TrustAnchors::default();
        let anchors = (0..roots.len())
            .filter_map(|i| roots.get(i))
            .map(|k| {
                let key = DNSKEY::new(
                    true,
                    true,
                    false,
                    hickory_proto::dnssec::PublicKeyBuf::new(
                        k.public_bytes().to_vec(),
                        k.algorithm(),
                    ),
                );
                (Name::root(), Anchor::Key(key))
            })
            .collect();
        Self {
            anchors,
            source: "builtin (IANA root KSK-2017 and KSK-2024)".into(),
            assumed: false,
        }
    }

    /// Reads DS or DNSKEY records in master-file text (`. IN DS 20326 8 2 E06D…`).
    ///
    /// # Errors
    /// When the file cannot be read, does not parse, or holds no DS or DNSKEY record.
    pub fn from_file(path: &Path) -> Result<Self, AnchorError> {
        let err = |message: String| AnchorError {
            path: path.display().to_string(),
            message,
        };
        let text = crate::bounded::read_file(path, crate::bounded::MAX_FILE_BYTES)
            .map_err(|e| err(e.to_string()))?;
        let mut t = Self::from_text(&text).map_err(|e| err(locate(&text, e)))?;
        t.source = path.display().to_string();
        Ok(t)
    }
}

/// Names the line a parse error comes from, in ptrtrace's words: the file parser reports
/// neither. Each line is tried on its own (anchor files hold one record per line).
fn locate(text: &str, whole: String) -> String {
    for (i, line) in text.lines().enumerate() {
        let entry = line.split(';').next().unwrap_or("").trim();
        if entry.is_empty() || entry.starts_with('$') {
            continue;
        }
        if let Err(e) = TrustAnchors::from_text(entry) {
            let shown: String = entry.chars().take(60).collect();
            let why = match e.split_once("record type string unknown: ") {
                Some((_, t)) => format!("unknown record type {}", t.trim()),
                None if e.contains("only DS and DNSKEY") => {
                    "only DS and DNSKEY records can be trust anchors".into()
                }
                None => "not a DS or DNSKEY record in master-file form (`. IN DS 20326 8 2 E06D…`)"
                    .into(),
            };
            return format!("line {}: {shown:?}: {why}", i + 1);
        }
    }
    whole
}

impl TrustAnchors {
    /// Parses DS or DNSKEY records in master-file text.
    ///
    /// # Errors
    /// A one-line message when the text does not parse or holds no DS or DNSKEY record.
    pub fn from_text(text: &str) -> Result<Self, String> {
        // Anchors carry no TTL that matters: supply a default so plain lines parse.
        let text = format!("$TTL 3600\n{text}");
        let (_, sets) = Parser::new(text.as_str(), None, Some(Name::root()))
            .parse()
            .map_err(|e| e.to_string().replace('\n', " "))?;
        let mut anchors = Vec::new();
        let mut other = Vec::new();
        for set in sets.values() {
            for r in set.records_without_rrsigs() {
                let name = r.name.to_lowercase();
                match &r.data {
                    RData::DNSSEC(DNSSECRData::DS(ds)) => {
                        anchors.push((name, Anchor::Ds(ds.clone())))
                    }
                    RData::DNSSEC(DNSSECRData::DNSKEY(k)) => {
                        anchors.push((name, Anchor::Key(k.clone())));
                    }
                    _ => other.push(format!("{} {}", r.name, r.record_type())),
                }
            }
        }
        if let Some(o) = other.first() {
            return Err(format!(
                "{o}: only DS and DNSKEY records can be trust anchors"
            ));
        }
        if anchors.is_empty() {
            return Err("no DS or DNSKEY record".into());
        }
        anchors.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(Self {
            anchors,
            source: "text".into(),
            assumed: false,
        })
    }

    /// The anchors for `zone`, as DS records (DNSKEY anchors are turned into their SHA-256
    /// DS), and the DNSKEY anchors themselves.
    #[must_use]
    pub fn for_zone(&self, zone: &Name) -> (Vec<DS>, Vec<DNSKEY>) {
        let mut ds = Vec::new();
        let mut keys = Vec::new();
        for (name, a) in &self.anchors {
            if name != zone {
                continue;
            }
            match a {
                Anchor::Ds(d) => ds.push(d.clone()),
                Anchor::Key(k) => keys.push(k.clone()),
            }
        }
        (ds, keys)
    }

    /// One DS record per anchor in master-file text (a key as its SHA-256 DS, RFC 4509), as
    /// `--trust-anchor` reads it and IANA publishes it.
    #[must_use]
    pub fn ds_text(&self) -> String {
        let mut out = String::new();
        for (name, a) in &self.anchors {
            match a {
                Anchor::Ds(d) => out.push_str(&format!("{name} IN DS {d}\n")),
                Anchor::Key(k) => match ds_of(name, k) {
                    Ok(d) => out.push_str(&format!("{name} IN DS {d}\n")),
                    Err(_) => out.push_str(&format!("{name} IN DNSKEY {k}\n")),
                },
            }
        }
        out
    }

    /// The anchors in master-file text, as read back by [`Self::from_text`].
    #[must_use]
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for (name, a) in &self.anchors {
            match a {
                Anchor::Ds(d) => out.push_str(&format!("{name} IN DS {d}\n")),
                Anchor::Key(k) => out.push_str(&format!("{name} IN DNSKEY {k}\n")),
            }
        }
        out
    }
}

/// The SHA-256 DS of `key` at `name` (RFC 4509), as a parent publishes it.
///
/// # Errors
/// When the key cannot be encoded.
pub fn ds_of(name: &Name, key: &DNSKEY) -> Result<DS, hickory_proto::ProtoError> {
    let digest = key.to_digest(name, DigestType::SHA256)?;
    Ok(DS::new(
        key.calculate_key_tag()?,
        key.algorithm(),
        DigestType::SHA256,
        digest.as_ref().to_vec(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The DS records IANA publishes for the root KSKs (root-anchors.xml).
    const IANA: &[(u16, &str)] = &[
        (
            20326,
            "E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D",
        ),
        (
            38696,
            "683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16",
        ),
    ];

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02X}")).collect()
    }

    #[test]
    fn builtin_anchors_are_the_iana_root_ksks() {
        let t = TrustAnchors::builtin();
        let mut seen: Vec<(u16, String)> = t
            .anchors
            .iter()
            .map(|(n, a)| {
                assert!(n.is_root());
                let Anchor::Key(k) = a else {
                    panic!("builtin anchors are keys")
                };
                assert!(k.secure_entry_point() && k.zone_key());
                let ds = ds_of(n, k).unwrap();
                (ds.key_tag(), hex(ds.digest()))
            })
            .collect();
        seen.sort();
        let want: Vec<(u16, String)> = IANA.iter().map(|(t, d)| (*t, (*d).to_string())).collect();
        assert_eq!(seen, want);
    }

    #[test]
    fn anchor_text_parses_ds_and_keys_and_rejects_other_records() {
        let t = TrustAnchors::from_text(&format!(". IN DS 20326 8 2 {}\n", IANA[0].1)).unwrap();
        assert_eq!(t.for_zone(&Name::root()).0.len(), 1);
        let round = TrustAnchors::from_text(&t.to_text()).unwrap();
        assert_eq!(round.anchors, t.anchors);
        let e = TrustAnchors::from_text(". IN A 192.0.2.1\n").unwrap_err();
        assert!(e.contains("only DS and DNSKEY"), "{e}");
        assert!(TrustAnchors::from_text("").unwrap_err().contains("no DS"));
        // BIND's dsset files split long digests with a space (RFC 4034 §5.3 allows it).
        let (d, _) = IANA[0].1.split_at(40);
        let split = TrustAnchors::from_text(&format!(
            ".\t\t\tIN DS 20326 8 2 {d} {}\n",
            &IANA[0].1[40..]
        ))
        .unwrap();
        assert_eq!(split.anchors, t.anchors);
        assert!(TrustAnchors::from_text(". IN DS 1 2 3 zz-not-hex\n").is_err());
    }
}
