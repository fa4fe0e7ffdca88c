//! Hidden zone cuts, the receiver's answer, and every server silent.

#[allow(unused_imports)]
use super::*;

// ---- Hidden zone cuts (issue 13) ----

fn zone_of<'a>(r: &'a TargetReport, zone: &str) -> &'a ptrtrace_core::trace::Zone {
    r.walk
        .zones
        .get(&hickory_proto::rr::Name::from_ascii(zone).unwrap())
        .unwrap_or_else(|| panic!("zone {zone} not found"))
}

fn found_addresses(r: &TargetReport, zone: &str) -> Vec<String> {
    let mut v: Vec<String> = zone_of(r, zone)
        .found_inside
        .iter()
        .map(|c| c.address.to_string())
        .collect();
    v.sort();
    v.dedup();
    v
}

const ISP_ADDRESSES: [&str; 4] = [
    "198.51.100.53",
    "198.51.100.54",
    "198.51.100.55",
    "2001:db8:5300::54",
];

/// The ISP's servers answer for the /24 while asked as servers of the /16: the /24's cut is
/// found at every one of their addresses, it hangs below the /16, the target's path crosses
/// it, and its chain of trust is checked like any zone's.
#[tokio::test]
async fn isp_hidden_cut_is_a_zone_like_any_other() {
    let r = check("isp-hidden-cut").await;
    let zone = zone_of(&r, "100.51.198.in-addr.arpa.");
    assert_eq!(
        zone.parent.as_ref().map(ToString::to_string).as_deref(),
        Some("51.198.in-addr.arpa.")
    );
    assert_eq!(
        found_addresses(&r, "100.51.198.in-addr.arpa."),
        ISP_ADDRESSES
    );
    let path: Vec<String> = r.walk.questions[0]
        .zones
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        path.last().map(String::as_str),
        Some("100.51.198.in-addr.arpa."),
        "{path:?}"
    );
    assert_eq!(
        dnssec_zone(&r, "100.51.198.in-addr.arpa.").status,
        ptrtrace_core::dnssec::validate::Security::Secure
    );
    // The /16 is not a hidden cut: the RIR's referral names it.
    assert!(zone_of(&r, "51.198.in-addr.arpa.").found_inside.is_empty());
    // Text and DOT say how the cut was found.
    let text = ptrtrace_core::report::text::render(
        &r,
        ptrtrace_core::report::text::Style { color: false },
    );
    assert!(
        text.contains("100.51.198.in-addr.arpa.  DNSSEC secure  — hidden cut: served by the servers of 51.198.in-addr.arpa."),
        "{text}"
    );
}

/// A /24 and its RFC 2317 child on the same servers: the CNAME target is answered by the
/// servers of the /24, from the child zone, whose cut is found and whose signatures verify
/// with the child's own keys.
#[tokio::test]
async fn classless_child_on_the_same_servers_is_found() {
    let r = check("classless-same-servers").await;
    let child = "192-26.113.0.203.in-addr.arpa.";
    assert_eq!(found_addresses(&r, child), ISP_ADDRESSES);
    assert_eq!(
        dnssec_zone(&r, child).status,
        ptrtrace_core::dnssec::validate::Security::Secure
    );
    assert!(dnssec_zone(&r, child).servers.len() == 4);
    assert_eq!(r.diagnosis.ptr[0].to_string(), "smtp.isp.example.");
}

/// An unsigned hidden /24 below a signed /16 is insecure (the /16 proves it has no DS), and
/// its unsigned answers are not blamed on the /16 as missing signatures.
#[tokio::test]
async fn hidden_cut_insecure_is_info_only() {
    let r = check("hidden-cut-insecure").await;
    assert_eq!(
        dnssec_zone(&r, "100.51.198.in-addr.arpa.").status,
        ptrtrace_core::dnssec::validate::Security::Insecure
    );
    assert_eq!(
        dnssec_zone(&r, "51.198.in-addr.arpa.").status,
        ptrtrace_core::dnssec::validate::Security::Secure
    );
    assert_only_info(&r);
}

/// One shared server still serving the hidden zone signed with an old key is named, for
/// the hidden zone, and the others keep it secure.
#[tokio::test]
async fn hidden_cut_stale_key_names_the_server() {
    let r = check("hidden-cut-stale-key").await;
    let z = dnssec_zone(&r, "100.51.198.in-addr.arpa.");
    assert_eq!(z.status, ptrtrace_core::dnssec::validate::Security::Secure);
    let bogus: Vec<String> = z
        .servers
        .iter()
        .filter(|s| s.status == ptrtrace_core::dnssec::validate::Security::Bogus)
        .map(|s| s.address.to_string())
        .collect();
    assert_eq!(bogus, ["198.51.100.55"]);
}

/// A wrong DS for the hidden zone breaks the chain for every server: the verdict is broken,
/// and the hidden zone is named as where the chain breaks.
#[tokio::test]
async fn hidden_cut_bad_ds_is_broken() {
    let r = check("hidden-cut-bad-ds").await;
    let d = r.diagnosis.dnssec.as_ref().unwrap();
    let broken: Vec<String> = d.broken.iter().map(ToString::to_string).collect();
    assert_eq!(broken, ["100.51.198.in-addr.arpa."]);
}

/// Every root server serves arpa. (the lab's default, as on the real Internet): the DS of
/// in-addr.arpa. they hand out is signed by arpa., whose keys are fetched from them, and every
/// IPv4 and IPv6 target of the default tree validates with no false finding.
#[tokio::test]
async fn root_servers_serving_arpa_validate_for_ipv4_and_ipv6() {
    for name in ["healthy", "ipv6", "dnssec-secure"] {
        let r = check(name).await;
        let d = r.diagnosis.dnssec.as_ref().unwrap();
        assert!(d.broken.is_empty(), "{name}: {:?}", d.broken);
        assert_eq!(
            dnssec_zone(&r, "arpa.").status,
            ptrtrace_core::dnssec::validate::Security::Secure,
            "{name}"
        );
        assert_eq!(
            found_addresses(&r, "arpa."),
            ["192.0.2.1", "192.0.2.2", "2001:db8:53::2"],
            "{name}"
        );
    }
}

/// What a receiving mail server answers, per kind of failure: the mapping Postfix confirms in
/// the interop suite (docs/findings.md).
#[tokio::test]
async fn receiver_answer_follows_the_cause() {
    use ptrtrace_core::diagnose::receiver::Receiver;
    for (name, want) in [
        ("healthy", Receiver::Accept),
        ("nxdomain", Receiver::Permanent),
        ("forward-mismatch", Receiver::Permanent),
        ("dnssec-ds-mismatch", Receiver::Temporary),
        ("all-silent", Receiver::Temporary),
        ("hidden-cut-bad-ds", Receiver::Temporary),
        ("flaky", Receiver::Delayed),
        ("refused", Receiver::Delayed),
        ("dnssec-expired-one", Receiver::Delayed),
        ("three-way-split", Receiver::Accept),
        // A server bogus only for a zone hidden inside the servers the referral named: its
        // answers fail validating resolvers like any bogus server's.
        ("hidden-cut-stale-key", Receiver::Delayed),
        ("inconsistent", Receiver::SometimesPermanent),
        ("stale-serial", Receiver::Accept),
    ] {
        let r = run(&scenario(name)).await;
        assert_eq!(r.diagnosis.receiver, want, "{name}: {}", r.headline());
    }
}

#[tokio::test]
async fn all_silent_is_a_temporary_failure() {
    let r = check("all-silent").await;
    assert!(
        r.headline()
            .contains("defer its mail (421-4.7.23; Postfix 450 4.7.25)"),
        "{}",
        r.headline()
    );
}

/// A signed DNAME (RFC 6672): the answer carries the DNAME with its RRSIG and a synthesized
/// CNAME without one, which validators accept (§5.3.1). Every zone is secure, and the report
/// says a DNAME redirected the name. Without the DNAME rule in the validator, every server of
/// 51.198.in-addr.arpa. is `missing_rrsig` and the verdict `broken`.
#[tokio::test]
async fn dname_signed_validates() {
    let r = check("dname").await;
    assert_eq!(
        dnssec_zone(&r, "51.198.in-addr.arpa.").status,
        ptrtrace_core::dnssec::validate::Security::Secure
    );
    assert_eq!(
        dnssec_zone(&r, "100.51.198.in-addr.arpa.").status,
        ptrtrace_core::dnssec::validate::Security::Secure
    );
    let f = finding(&r, "classless_delegation");
    assert!(
        f.message
            .contains("redirected by the DNAME at 101.51.198.in-addr.arpa. (RFC 6672)"),
        "{}",
        f.message
    );
    // The servers' answers carry both records.
    let answered = r.walk.probes.iter().any(|p| match &p.class {
        ReplyClass::Answer { data } => {
            data.iter()
                .any(|d| d.to_string() == "cname 60.100.51.198.in-addr.arpa.")
                && data.iter().any(|d| {
                    d.to_string() == "dname 101.51.198.in-addr.arpa. 100.51.198.in-addr.arpa."
                })
        }
        _ => false,
    });
    assert!(answered, "no answer with the DNAME and its CNAME");
}

#[tokio::test]
async fn dname_unsigned_is_followed() {
    let r = check("dname-unsigned").await;
    assert_eq!(r.diagnosis.ptr.len(), 1);
}

/// The same in ip6.arpa: a renumbered /64's nibbles redirected by a signed DNAME.
#[tokio::test]
async fn dname_ipv6_validates() {
    let r = check("dname-ipv6").await;
    assert_eq!(
        dnssec_zone(&r, "8.b.d.0.1.0.0.2.ip6.arpa.").status,
        ptrtrace_core::dnssec::validate::Security::Secure
    );
}

/// Cuts below the last referral, down to the target's own name: the referral goes to the
/// /16, whose servers answer from a zone at 61.100.51.198.in-addr.arpa. (signed by it), two
/// labels down. Both hidden zones are found at every ISP address and validate.
#[tokio::test]
async fn hidden_cut_at_the_targets_own_name() {
    let r = check("hidden-cut-at-target").await;
    let zone = zone_of(&r, "61.100.51.198.in-addr.arpa.");
    assert_eq!(
        zone.parent.as_ref().map(ToString::to_string).as_deref(),
        Some("100.51.198.in-addr.arpa.")
    );
    assert_eq!(
        found_addresses(&r, "61.100.51.198.in-addr.arpa."),
        ISP_ADDRESSES
    );
    for z in ["100.51.198.in-addr.arpa.", "61.100.51.198.in-addr.arpa."] {
        assert_eq!(
            dnssec_zone(&r, z).status,
            ptrtrace_core::dnssec::validate::Security::Secure,
            "{z}"
        );
    }
}

/// A signed wildcard (RFC 4592): the answer's RRSIG was made over `*.105.51.198.in-addr.arpa.`
/// (labels 5 below the owner's 6) and comes with the NSEC proving no closer name: secure.
#[tokio::test]
async fn wildcard_answer_validates() {
    let r = check("wildcard").await;
    assert_eq!(
        dnssec_zone(&r, "51.198.in-addr.arpa.").status,
        ptrtrace_core::dnssec::validate::Security::Secure
    );
}

/// The same answer without the NSEC (RFC 4035 §5.3.4): bogus at that server only.
#[tokio::test]
async fn wildcard_answer_without_its_proof_is_bogus() {
    let r = check("wildcard-no-nsec").await;
    let f = finding(&r, "dnssec_bogus");
    assert!(
        f.evidence
            .iter()
            .any(|e| e.contains("wildcard answer came without a signed NSEC")),
        "{:?}",
        f.evidence
    );
}

/// A CNAME whose target lies below a signed DNAME: the chain CNAME → DNAME → PTR is followed
/// and every link validates (the RFC 2317-style CNAME is signed, the DNAME's synthesized one
/// is judged by its DNAME).
#[tokio::test]
async fn cname_chain_through_a_dname() {
    let r = check("cname-through-dname").await;
    let ptr: Vec<String> = r.diagnosis.ptr.iter().map(ToString::to_string).collect();
    assert_eq!(ptr, ["mail2.isp.example."]);
    for z in [
        "113.0.203.in-addr.arpa.",
        "51.198.in-addr.arpa.",
        "100.51.198.in-addr.arpa.",
    ] {
        assert_eq!(
            dnssec_zone(&r, z).status,
            ptrtrace_core::dnssec::validate::Security::Secure,
            "{z}"
        );
    }
}

/// A zone at the target's own name one label below the zone the referral named, on that
/// zone's servers: the answer's RRSIG signer names it and it is found at every address. Real
/// servers showed this one (interop, 198.51.5.25): without it, every server of the /24 was
/// `missing_rrsig` and the verdict `broken`.
#[tokio::test]
async fn hidden_cut_one_label_below_the_referral() {
    let r = check("hidden-cut-one-label").await;
    let zone = zone_of(&r, "41.113.0.203.in-addr.arpa.");
    assert_eq!(
        zone.parent.as_ref().map(ToString::to_string).as_deref(),
        Some("113.0.203.in-addr.arpa.")
    );
    assert_eq!(
        found_addresses(&r, "41.113.0.203.in-addr.arpa."),
        ISP_ADDRESSES
    );
    assert_eq!(
        dnssec_zone(&r, "41.113.0.203.in-addr.arpa.").status,
        ptrtrace_core::dnssec::validate::Security::Secure
    );
}
