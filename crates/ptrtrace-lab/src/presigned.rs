//! Zones signed by other tools (BIND's dnssec-signzone), read so that lab servers serve their
//! signatures as they are: tests then validate signatures the lab's own signer did not make
//! (tests/bind_fixtures.rs). hickory's zone parser rejects DNSSEC records ("should be
//! dynamically generated"), so RRSIG and DNSKEY lines are read here, in their RFC 4034 §3.2
//! and §2.2 presentation formats, and NSEC (§4.2), one record per line (`named-compilezone
//! -s full`). NSEC3 and NSEC3PARAM are skipped: an NSEC3 zone's negative answers carry no
//! proof here.

use hickory_proto::dnssec::rdata::{DNSKEY, DNSSECRData, RRSIG, SigInput};
use hickory_proto::dnssec::{Algorithm, PublicKeyBuf};
use hickory_proto::rr::{Name, RData, Record, RecordType, SerialNumber};

use super::server::{ZoneData, ZoneError};

impl ZoneData {
    /// Parses a signed zone written one record per line (`named-compilezone -s full`): its
    /// RRSIGs and DNSKEYs are served as they are.
    ///
    /// # Errors
    /// A [`ZoneError`] naming the line that does not parse, or as [`ZoneData::parse`].
    pub fn parse_signed(origin: &str, text: &str) -> Result<Self, ZoneError> {
        let mut plain = String::new();
        let mut keys: Vec<Record> = Vec::new();
        let mut sigs: Vec<Record> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let tok: Vec<&str> = line.split_whitespace().collect();
            let rtype = tok.get(3).copied().unwrap_or("");
            let at = |m: String| ZoneError::new(origin, format!("line {}: {m}", i + 1));
            if tok.len() < 5 || line.trim_start().starts_with(';') {
                plain.push_str(line);
                plain.push('\n');
                continue;
            }
            match rtype {
                "RRSIG" => sigs.push(record(tok[0], tok[1], rrsig(&tok[4..]).map_err(at)?)?),
                "DNSKEY" => keys.push(record(tok[0], tok[1], dnskey(&tok[4..]).map_err(at)?)?),
                "NSEC" => keys.push(record(tok[0], tok[1], nsec(&tok[4..]).map_err(at)?)?),
                "NSEC3" | "NSEC3PARAM" => {}
                _ => {
                    plain.push_str(line);
                    plain.push('\n');
                }
            }
        }
        let mut data = Self::parse(origin, &plain)?;
        for k in keys {
            data.records
                .entry(k.name.to_lowercase())
                .or_default()
                .push(k);
        }
        for s in sigs {
            if let RData::DNSSEC(DNSSECRData::RRSIG(x)) = &s.data {
                let key = (s.name.to_lowercase(), x.input().type_covered);
                data.sigs.entry(key).or_default().push(s.clone());
            }
        }
        data.signed = !data.sigs.is_empty();
        Ok(data)
    }
}

fn record(owner: &str, ttl: &str, data: RData) -> Result<Record, ZoneError> {
    let bad = |m: String| ZoneError::new(owner, m);
    let name = Name::from_ascii(owner).map_err(|e| bad(e.to_string()))?;
    let ttl = ttl.parse().map_err(|_| bad(format!("bad TTL {ttl}")))?;
    Ok(Record::from_rdata(name, ttl, data))
}

fn num<T: std::str::FromStr>(tok: Option<&&str>, what: &str) -> Result<T, String> {
    tok.and_then(|t| t.parse().ok())
        .ok_or_else(|| format!("bad or missing {what}"))
}

fn base64(tok: &[&str]) -> Result<Vec<u8>, String> {
    data_encoding::BASE64
        .decode(tok.concat().as_bytes())
        .map_err(|e| format!("bad base64: {e}"))
}

/// `FLAGS 3 ALGORITHM KEY` (RFC 4034 §2.2).
fn dnskey(t: &[&str]) -> Result<RData, String> {
    let flags: u16 = num(t.first(), "flags")?;
    let alg: u8 = num(t.get(2), "algorithm")?;
    let key = base64(t.get(3..).unwrap_or_default())?;
    let key = PublicKeyBuf::new(key, Algorithm::from_u8(alg));
    Ok(RData::DNSSEC(DNSSECRData::DNSKEY(DNSKEY::with_flags(
        flags, key,
    ))))
}

/// `NEXT TYPE…` (RFC 4034 §4.2).
fn nsec(t: &[&str]) -> Result<RData, String> {
    let next = t
        .first()
        .and_then(|n| Name::from_ascii(n).ok())
        .ok_or("bad next name")?;
    let types = t
        .iter()
        .skip(1)
        .map(|x| x.parse::<RecordType>().map_err(|_| format!("bad type {x}")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RData::DNSSEC(DNSSECRData::NSEC(
        hickory_proto::dnssec::rdata::NSEC::new(next, types),
    )))
}

/// `TYPE ALGORITHM LABELS TTL EXPIRATION INCEPTION TAG SIGNER SIGNATURE` (RFC 4034 §3.2).
fn rrsig(t: &[&str]) -> Result<RData, String> {
    let type_covered: RecordType = t
        .first()
        .and_then(|s| s.parse().ok())
        .ok_or("bad type covered")?;
    let input = SigInput {
        type_covered,
        algorithm: Algorithm::from_u8(num(t.get(1), "algorithm")?),
        num_labels: num(t.get(2), "labels")?,
        original_ttl: num(t.get(3), "original TTL")?,
        sig_expiration: SerialNumber::new(time(t.get(4))?),
        sig_inception: SerialNumber::new(time(t.get(5))?),
        key_tag: num(t.get(6), "key tag")?,
        signer_name: t
            .get(7)
            .and_then(|n| Name::from_ascii(n).ok())
            .ok_or("bad signer name")?,
    };
    let sig = base64(t.get(8..).unwrap_or_default())?;
    Ok(RData::DNSSEC(DNSSECRData::RRSIG(RRSIG::from_sig(
        input, sig,
    ))))
}

/// `YYYYMMDDHHmmSS` in UTC, or seconds since 1970 (RFC 4034 §3.2), as seconds mod 2^32.
fn time(tok: Option<&&str>) -> Result<u32, String> {
    let s = tok.ok_or("missing time")?;
    if s.len() != 14 {
        return s.parse().map_err(|_| format!("bad time {s}"));
    }
    let field = |a: usize, b: usize| s.get(a..b).and_then(|x| x.parse::<i64>().ok());
    let (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(se)) = (
        field(0, 4),
        field(4, 6),
        field(6, 8),
        field(8, 10),
        field(10, 12),
        field(12, 14),
    ) else {
        return Err(format!("bad time {s}"));
    };
    // Days from 1970-01-01 to the civil date (proleptic Gregorian).
    let (y, m) = if mo <= 2 {
        (y - 1, mo + 9)
    } else {
        (y, mo - 3)
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + h * 3600 + mi * 60 + se;
    Ok(u32::try_from(secs.rem_euclid(1 << 32)).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    #[test]
    fn rrsig_times_read_as_utc() {
        assert_eq!(super::time(Some(&"19700101000000")), Ok(0));
        assert_eq!(super::time(Some(&"20261128065015")), Ok(1_795_848_615));
        assert_eq!(super::time(Some(&"1795848615")), Ok(1_795_848_615));
        assert!(super::time(Some(&"2026112806501x")).is_err());
    }
}
