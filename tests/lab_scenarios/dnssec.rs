//! DNSSEC: per-server validation along the chain of trust.

#[allow(unused_imports)]
use super::*;

// ---- DNSSEC (issue 9) ----

#[tokio::test]
async fn dnssec_secure_chain_through_a_classless_cname() {
    let r = check("dnssec-secure").await;
    assert!(
        r.diagnosis
            .findings
            .iter()
            .all(|f| f.severity == Severity::Info),
        "{:?}",
        r.diagnosis.findings
    );
    let d = r.diagnosis.dnssec.as_ref().unwrap();
    assert!(d.broken.is_empty());
    let zones: Vec<String> = d.zones.iter().map(|z| z.zone.to_string()).collect();
    for z in [
        ".",
        "arpa.",
        "in-addr.arpa.",
        "203.in-addr.arpa.",
        "113.0.203.in-addr.arpa.",
        "128-26.113.0.203.in-addr.arpa.",
        "example.",
        "customer.example.",
    ] {
        assert!(zones.contains(&z.to_string()), "{z} missing from {zones:?}");
    }
    for z in &d.zones {
        assert_eq!(
            z.status,
            ptrtrace_core::dnssec::validate::Security::Secure,
            "{}",
            z.zone
        );
        assert!(!z.servers.is_empty() && z.servers.iter().all(|s| s.reasons.is_empty()));
    }
    // DNSKEY from every server of the zone, DS from every server of its parent.
    let rev = "113.0.203.in-addr.arpa.";
    assert_eq!(
        asked(&r, rev, "DNSKEY", rev),
        [
            "198.51.100.53",
            "198.51.100.54",
            "198.51.100.55",
            "2001:db8:5300::54"
        ]
    );
    assert_eq!(
        asked(&r, rev, "DS", "203.in-addr.arpa."),
        ["192.0.2.51", "192.0.2.52", "2001:db8:53::52"]
    );
    // The PTR answers came signed (DO=1 was set).
    let ptr = r
        .walk
        .probes
        .iter()
        .find(|p| p.question == 0 && matches!(p.class, ReplyClass::Answer { .. }))
        .unwrap();
    assert!(
        ptr.attempts[0].answer.iter().any(|a| a.contains("RRSIG")),
        "{:?}",
        ptr.attempts[0].answer
    );
}

#[tokio::test]
async fn dnssec_ds_mismatch_breaks_the_chain_for_every_server() {
    let r = check("dnssec-ds-mismatch").await;
    let rev = dnssec_zone(&r, "113.0.203.in-addr.arpa.");
    assert_eq!(rev.status, ptrtrace_core::dnssec::validate::Security::Bogus);
    let d = r.diagnosis.dnssec.as_ref().unwrap();
    assert_eq!(d.broken.len(), 1);
    let f = finding(&r, "dnssec_bogus");
    assert!(f.message.contains("SERVFAIL"), "{}", f.message);
    assert!(
        r.headline()
            .contains("but DNSSEC fails for 113.0.203.in-addr.arpa."),
        "{}",
        r.headline()
    );
    assert!(f.evidence[0].starts_with("DS key tags"), "{:?}", f.evidence);
    // The parent itself is fine.
    assert_eq!(
        dnssec_zone(&r, "203.in-addr.arpa.").status,
        ptrtrace_core::dnssec::validate::Security::Secure
    );
}

#[tokio::test]
async fn dnssec_expired_on_one_of_three_servers_is_degraded_and_names_it() {
    let r = check("dnssec-expired-one").await;
    let rev = dnssec_zone(&r, "113.0.203.in-addr.arpa.");
    assert_eq!(
        rev.status,
        ptrtrace_core::dnssec::validate::Security::Secure
    );
    let bad: Vec<String> = rev
        .servers
        .iter()
        .filter(|s| !s.reasons.is_empty())
        .map(|s| {
            let reasons: Vec<&str> = s.reasons.iter().map(|r| r.as_str()).collect();
            format!("{} {} {reasons:?}", s.server, s.address)
        })
        .collect();
    assert_eq!(
        bad,
        ["ns3.isp.example. 198.51.100.55 [\"expired_signature\"]"]
    );
    let f = finding(&r, "dnssec_bogus");
    assert!(
        f.evidence.iter().all(|e| e.contains("expired")),
        "{:?}",
        f.evidence
    );
    // One server of three fails: a third of first tries at that level.
    let level = r
        .diagnosis
        .levels
        .iter()
        .find(|l| l.zone.to_string() == "113.0.203.in-addr.arpa.")
        .unwrap();
    assert_eq!((level.failing_servers, level.servers), (1, 3));
    let text = ptrtrace_core::report::text::render(
        &r,
        ptrtrace_core::report::text::Style { color: false },
    );
    assert!(
        text.contains("198.51.100.55          PTR mail.isp.example. 3/3")
            && text.contains("DNSSEC bogus (expired_signature)"),
        "{text}"
    );
}

#[tokio::test]
async fn dnssec_stripped_rrsigs() {
    check("dnssec-stripped").await;
}

#[tokio::test]
async fn dnssec_bad_signature() {
    let r = check("dnssec-bad-signature").await;
    assert!(
        finding(&r, "dnssec_bogus")
            .evidence
            .iter()
            .any(|e| e.contains("does not verify"))
    );
}

#[tokio::test]
async fn dnssec_not_yet_valid() {
    check("dnssec-not-yet-valid").await;
}

#[tokio::test]
async fn dnssec_unsigned_copy_on_a_secondary() {
    check("dnssec-unsigned-copy").await;
}

#[tokio::test]
async fn dnssec_insecure_delegation_is_info_only() {
    let r = check("dnssec-insecure").await;
    assert_only_info(&r);
    assert_eq!(
        dnssec_zone(&r, "113.0.203.in-addr.arpa.").status,
        ptrtrace_core::dnssec::validate::Security::Insecure
    );
    assert_eq!(
        dnssec_zone(&r, "203.in-addr.arpa.").status,
        ptrtrace_core::dnssec::validate::Security::Secure
    );
    assert!(finding(&r, "dnssec_insecure").evidence[0].contains("signed NSEC"));
}

#[tokio::test]
async fn dnssec_nxdomain_with_a_valid_nsec_proof() {
    let r = check("dnssec-nxdomain").await;
    let rev = dnssec_zone(&r, "113.0.203.in-addr.arpa.");
    assert_eq!(
        rev.status,
        ptrtrace_core::dnssec::validate::Security::Secure
    );
    assert!(rev.servers.iter().all(|s| s.reasons.is_empty()));
    // The NXDOMAIN answers were judged: they carry the NSEC proof.
    let nx: Vec<_> = r
        .walk
        .probes
        .iter()
        .filter(|p| p.question == 0 && p.class == ReplyClass::Nxdomain)
        .collect();
    assert!(!nx.is_empty());
    assert!(
        nx.iter()
            .all(|p| p.attempts[0].authority.iter().any(|a| a.contains("NSEC")))
    );
}

#[tokio::test]
async fn dnssec_nxdomain_without_nsec_is_bogus_for_that_server() {
    let r = check("dnssec-nxdomain-no-nsec").await;
    assert!(finding(&r, "dnssec_bogus").evidence[0].contains("without NSEC"));
}

/// One story: a zone where one server address serves bogus DNSSEC is marked like a zone with
/// a lame server (✗ on the zone and the server) and counted in the summary.
#[tokio::test]
async fn one_bogus_server_marks_its_zone_and_is_counted() {
    let r = check("dnssec-expired-one").await;
    let text = ptrtrace_core::report::text::render(
        &r,
        ptrtrace_core::report::text::Style { color: false },
    );
    assert!(
        text.contains("✗ 113.0.203.in-addr.arpa.  DNSSEC secure, bogus on 1 of 4 server addresses"),
        "{text}"
    );
    assert!(
        text.contains(
            "7 secure (1 of them bogus on some server addresses), 0 insecure, 0 bogus of 7 zones"
        ),
        "{text}"
    );
    assert!(text.contains("      ✗ ns3.isp.example.\n"), "{text}");
}
