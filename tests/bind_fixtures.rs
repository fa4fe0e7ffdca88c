//! Signatures made by BIND's own tools, validated by ptrtrace without root and without BIND:
//! the zones in tests/fixtures/bind-signed (made by its regenerate.sh with dnssec-signzone,
//! valid for ten years) are served as they are by lab servers over real sockets. The lab's
//! signer and ptrtrace's validator share hickory's code; these signatures do not.
//!
//! The shape is the real Internet's: the root server also serves `arpa.` (NSEC3), whose
//! referral skips to the reverse zone (two algorithms, 13 and 8; NSEC).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use hickory_proto::rr::Name;
use ptrtrace_core::dnssec::TrustAnchors;
use ptrtrace_core::dnssec::validate::Security;
use ptrtrace_core::hints::{HintServer, RootHints};
use ptrtrace_core::net::AddressMap;
use ptrtrace_core::report::TargetReport;
use ptrtrace_core::trace;
use ptrtrace_lab::{Fault, LabServer, ZoneData};

const ROOT: &str = include_str!("fixtures/bind-signed/root.zone.signed");
const ARPA: &str = include_str!("fixtures/bind-signed/arpa.zone.signed");
const REV: &str = include_str!("fixtures/bind-signed/rev.zone.signed");
const ANCHOR: &str = include_str!("fixtures/bind-signed/trust-anchor.ds");

/// Traces 203.0.113.25 through the fixture zones (`rev` as given) and returns the report.
async fn trace_fixtures(rev: &str) -> TargetReport {
    let zone = |origin: &str, text: &str| Arc::new(ZoneData::parse_signed(origin, text).unwrap());
    let root = LabServer::start(
        vec![zone(".", ROOT), zone("arpa.", ARPA)],
        Fault::None,
        None,
    )
    .await
    .unwrap();
    let isp = LabServer::start(
        vec![zone("113.0.203.in-addr.arpa.", rev)],
        Fault::None,
        None,
    )
    .await
    .unwrap();
    let mut map: HashMap<IpAddr, SocketAddr> = HashMap::new();
    map.insert("192.0.2.1".parse().unwrap(), root.addr);
    map.insert("198.51.100.53".parse().unwrap(), isp.addr);
    let hints = RootHints {
        servers: vec![HintServer {
            name: Name::from_ascii("a.root.fixture.").unwrap(),
            addresses: vec!["192.0.2.1".parse().unwrap()],
        }],
        source: "bind fixtures".into(),
    };
    let mut cfg = trace::TraceConfig::new(hints, AddressMap::strict(map));
    cfg.rate_per_address = 0;
    cfg.fcrdns = false;
    cfg.probes = 1;
    cfg.dnssec = Some(TrustAnchors::from_text(ANCHOR).unwrap());
    let walk = trace::trace("203.0.113.25".parse().unwrap(), &cfg.into(), None).await;
    drop((root, isp));
    TargetReport::new(walk)
}

fn status(r: &TargetReport, zone: &str) -> Security {
    r.diagnosis
        .dnssec
        .as_ref()
        .unwrap()
        .zones
        .iter()
        .find(|z| z.zone.to_string() == zone)
        .unwrap_or_else(|| panic!("{zone} not judged"))
        .status
}

#[tokio::test]
async fn bind_signed_chain_validates_through_a_hidden_arpa_cut() {
    let r = trace_fixtures(REV).await;
    assert_eq!(r.diagnosis.ptr[0].to_string(), "mail.fixture.");
    for zone in [".", "arpa.", "113.0.203.in-addr.arpa."] {
        assert_eq!(status(&r, zone), Security::Secure, "{zone}");
    }
    // arpa. was never named by a referral: its cut was found inside the root server.
    let arpa = &r.walk.zones[&Name::from_ascii("arpa.").unwrap()];
    assert!(arpa.delegations.is_empty());
    assert_eq!(arpa.found_inside.len(), 1);
    // Both algorithms' keys of the reverse zone are trusted.
    let rev = r
        .diagnosis
        .dnssec
        .as_ref()
        .unwrap()
        .zones
        .iter()
        .find(|z| z.zone.to_string() == "113.0.203.in-addr.arpa.")
        .unwrap();
    assert!(
        rev.keys.iter().any(|k| k.contains("alg 8")),
        "{:?}",
        rev.keys
    );
    assert!(
        rev.keys.iter().any(|k| k.contains("alg 13")),
        "{:?}",
        rev.keys
    );
    assert!(
        r.diagnosis
            .findings
            .iter()
            .all(|f| !f.kind.as_str().starts_with("dnssec_bogus")),
        "{:?}",
        r.diagnosis.findings
    );
}

/// The same zone with one byte of the PTR's signatures changed: the test above can fail.
#[tokio::test]
async fn a_damaged_bind_signature_is_bogus() {
    // Both RRSIGs over the PTR (one per algorithm): change the first characters of the
    // signature's last base64 group (still valid base64, another signature).
    let mut damaged = 0;
    let lines: Vec<String> = REV
        .lines()
        .map(|l| {
            let tok: Vec<&str> = l.split_whitespace().collect();
            if tok.get(3) == Some(&"RRSIG") && tok.get(4) == Some(&"PTR") {
                damaged += 1;
                let last = tok.last().unwrap();
                let swapped: String = last
                    .chars()
                    .enumerate()
                    .map(|(i, c)| match (i < 4, c) {
                        (true, 'A') => 'B',
                        (true, _) => 'A',
                        (false, c) => c,
                    })
                    .collect();
                l.replace(last, &swapped)
            } else {
                l.to_string()
            }
        })
        .collect();
    assert_eq!(damaged, 2);
    let r = trace_fixtures(&lines.join("\n")).await;
    assert_eq!(status(&r, "113.0.203.in-addr.arpa."), Security::Bogus);
    assert!(
        r.diagnosis
            .findings
            .iter()
            .any(|f| f.kind.as_str() == "dnssec_bogus"
                && f.reason.map(|r| r.as_str()) == Some("bad_signature")),
        "{:?}",
        r.diagnosis.findings
    );
}
