//! Zones and delegations: serials, parents, NS sets, glue, TCP and EDNS, CNAMEs, bounds on
//! what servers send.

#[allow(unused_imports)]
use super::*;

#[tokio::test]
async fn stale_serial_names_both_serials() {
    let r = check("stale-serial").await;
    let f = finding(&r, "inconsistent_serial");
    let ev = f.evidence.join(" | ");
    assert!(
        ev.contains("(198.51.100.55) has serial 2026112700")
            && ev.contains("have serial 2026112801"),
        "{ev}"
    );
    assert_eq!(f.severity, Severity::Warning);
}

#[tokio::test]
async fn parents_disagree() {
    let r = check("parents-disagree").await;
    let f = finding(&r, "ns_mismatch");
    assert!(
        f.message.contains("only the child lists ns3.isp.example."),
        "{}",
        f.message
    );
    assert!(
        f.evidence[0].contains("ns2.rir.example."),
        "{:?}",
        f.evidence
    );
}

#[tokio::test]
async fn ns_mismatch_child_lists_more() {
    let r = check("ns-mismatch").await;
    let f = finding(&r, "ns_mismatch");
    assert!(
        f.message.contains("only the child lists ns4.isp.example."),
        "{}",
        f.message
    );
}

#[tokio::test]
async fn ns_unresolvable() {
    let r = check("ns-unresolvable").await;
    assert!(
        finding(&r, "ns_mismatch")
            .message
            .contains("only the parent lists ns4.isp.example.")
    );
    assert!(
        finding(&r, "ns_unresolvable")
            .message
            .contains("no A or AAAA record")
    );
}

#[tokio::test]
async fn glue_mismatch() {
    let r = check("glue-mismatch").await;
    let f = finding(&r, "glue_mismatch");
    assert!(
        f.message
            .contains("says 198.51.100.99, but isp.example. itself says 198.51.100.55"),
        "{}",
        f.message
    );
}

#[tokio::test]
async fn missing_glue_is_found_and_the_server_still_reached() {
    let r = check("missing-glue").await;
    assert!(
        r.walk
            .probes
            .iter()
            .any(|p| p.zone.to_string() == "isp.example."
                && p.address.to_string() == "198.51.100.55"
                && p.class.is_useful())
    );
}

#[tokio::test]
async fn tcp_failed() {
    let r = check("tcp-failed").await;
    assert!(
        r.diagnosis
            .findings
            .iter()
            .filter(|f| f.kind.as_str() == "tcp_failed")
            .all(|f| f.severity == Severity::Warning)
    );
}

#[tokio::test]
async fn truncated_no_tcp_is_an_error_where_answers_are_truncated() {
    let r = check("truncated-no-tcp").await;
    let rev = r
        .diagnosis
        .findings
        .iter()
        .find(|f| {
            f.kind.as_str() == "tcp_failed" && f.zone.to_string() == "113.0.203.in-addr.arpa."
        })
        .unwrap();
    assert_eq!(rev.severity, Severity::Error);
}

#[tokio::test]
async fn edns_failed_is_not_mistaken_for_unreachable() {
    let r = check("edns-failed").await;
    assert!(
        finding(&r, "edns_failed")
            .message
            .contains("drops every query that carries EDNS")
    );
}

#[tokio::test]
async fn wrong_id_replies_are_discarded_and_counted() {
    let r = check("wrong-id").await;
    let f = finding(&r, "unreachable");
    assert!(
        f.message
            .contains("replies with a wrong ID or question were discarded"),
        "{}",
        f.message
    );
    // The real servers' answers were still believed: the PTR came through the others.
    assert_eq!(r.diagnosis.ptr.len(), 1);
}

#[tokio::test]
async fn wrong_source_replies_are_not_believed() {
    let r = check("wrong-source").await;
    let ns3: Vec<_> = r
        .walk
        .probes
        .iter()
        .filter(|p| p.address.to_string() == "198.51.100.55" && p.question == 0)
        .collect();
    assert!(
        ns3.iter()
            .all(|p| matches!(p.class, ReplyClass::Silent { .. }))
    );
}

#[tokio::test]
async fn glueless_lame() {
    check("glueless-lame").await;
}

#[tokio::test]
async fn referral_loop() {
    let r = check("referral-loop").await;
    assert!(r.diagnosis.ptr.is_empty());
}

#[tokio::test]
async fn cname_loop() {
    let r = check("cname-loop").await;
    let f = finding(&r, "cname_loop");
    assert_eq!(
        f.message,
        "CNAME loop: 132.113.0.203.in-addr.arpa. → 132.128-26.113.0.203.in-addr.arpa. → 132.113.0.203.in-addr.arpa."
    );
}

#[tokio::test]
async fn cname_chain() {
    let r = check("cname-chain").await;
    assert_eq!(finding(&r, "limit_exceeded").severity, Severity::Error);
    assert!(r.walk.questions.iter().all(|q| q.cname_depth <= 8));
}

#[tokio::test]
async fn multiple_ptr() {
    let r = check("multiple-ptr").await;
    assert_eq!(r.diagnosis.fcrdns.len(), 2);
    assert!(r.diagnosis.fcrdns.iter().all(|f| f.confirmed));
}

#[tokio::test]
async fn harmless_variations() {
    let r = check("harmless-variations").await;
    assert_only_info(&r);
}

#[tokio::test]
async fn multi_fault() {
    check("multi-fault").await;
}

#[tokio::test]
async fn referral_elsewhere() {
    check("referral-elsewhere").await;
}

#[tokio::test]
async fn formerr_is_other_rcode() {
    check("formerr").await;
}

#[tokio::test]
async fn garbage_is_malformed() {
    let r = check("garbage").await;
    let ns3 = r
        .walk
        .probes
        .iter()
        .find(|p| p.address.to_string() == "198.51.100.55" && p.question == 0)
        .unwrap();
    assert_eq!(
        ns3.attempts[0].status,
        ptrtrace_core::model::AttemptStatus::Malformed
    );
}

/// Judged per question: a server that answers SOA and NS but drops PTR is blamed for PTR.
#[tokio::test]
async fn ptr_silent_is_judged_per_question() {
    let r = check("ptr-silent").await;
    let f = finding(&r, "unreachable");
    assert!(
        f.message.contains("never answered for PTR questions"),
        "{}",
        f.message
    );
    assert!(
        f.message.contains("it answered every other question there"),
        "{}",
        f.message
    );
    // Its silence was confirmed: the PTR was asked again after the first --probes were lost.
    let ptr_probes = r
        .walk
        .probes
        .iter()
        .filter(|p| {
            p.address.to_string() == "198.51.100.55"
                && r.walk.questions[p.question].qtype.to_string() == "PTR"
                && p.kind == ptrtrace_core::model::ProbeKind::Standard
        })
        .count();
    // The lab's runs use the default --probes (3): three, then three more.
    assert_eq!(ptr_probes, 6, "PTR probes to ns3");
}
