//! Property tests over untrusted input: mutated real DNS replies into the decoder and the
//! reply classifier, random text into the root hints parser, and whole traces against lab
//! servers that damage their replies at random. Nothing may panic or hang; every run ends
//! within its bounds. Budgets: see `ProptestConfig` below and docs/security.md. Failures that
//! proptest finds are kept in `tests/fuzz.proptest-regressions` and replayed on every run.

// A test fails by panicking: unwrap and expect are how it says so.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::IpAddr;
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::{A, NS, PTR, SOA};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use proptest::prelude::*;
use ptrtrace_core::hints::RootHints;
use ptrtrace_core::report::{TargetReport, dot, json, text};
use ptrtrace_core::trace;
use ptrtrace_core::trace::classify::classify;
use ptrtrace_lab::{self as lab, Fault, Scenario, Tweak};

fn n(s: &str) -> Name {
    Name::from_ascii(s).unwrap()
}

const Q: &str = "25.113.0.203.in-addr.arpa.";

/// Real replies of the kinds the tracer meets: an answer, a referral with glue, NXDOMAIN.
fn seeds() -> Vec<Vec<u8>> {
    let base = |rc: ResponseCode, aa: bool| {
        let mut m = Message::new(0x1234, MessageType::Response, OpCode::Query);
        m.metadata.response_code = rc;
        m.metadata.authoritative = aa;
        m.add_query(Query::query(n(Q), RecordType::PTR));
        m
    };
    let mut answer = base(ResponseCode::NoError, true);
    answer.add_answer(Record::from_rdata(
        n(Q),
        3600,
        RData::PTR(PTR(n("mail.isp.example."))),
    ));
    let mut referral = base(ResponseCode::NoError, false);
    for ns in ["ns1.isp.example.", "ns2.isp.example."] {
        referral.add_authority(Record::from_rdata(
            n("113.0.203.in-addr.arpa."),
            3600,
            RData::NS(NS(n(ns))),
        ));
        referral.add_additional(Record::from_rdata(
            n(ns),
            3600,
            RData::A(A::new(198, 51, 100, 53)),
        ));
    }
    let mut nx = base(ResponseCode::NXDomain, true);
    let soa = SOA::new(n("ns1.isp.example."), n("h.isp.example."), 1, 2, 3, 4, 5);
    nx.add_authority(Record::from_rdata(
        n("113.0.203.in-addr.arpa."),
        3600,
        RData::SOA(soa),
    ));
    [answer, referral, nx]
        .iter()
        .map(|m| m.to_vec().unwrap())
        .collect()
}

#[derive(Debug, Clone)]
enum Edit {
    Flip(usize, u8),
    Set(usize, u8),
    Cut(usize),
    Insert(usize, u8),
    Pointer(usize, u16),
}

fn apply(mut wire: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        if wire.is_empty() {
            break;
        }
        let len = wire.len();
        match *e {
            Edit::Flip(i, b) => wire[i % len] ^= 1 << (b % 8),
            Edit::Set(i, v) => wire[i % len] = v,
            Edit::Cut(i) => wire.truncate(i % len),
            Edit::Insert(i, v) => wire.insert(i % len, v),
            Edit::Pointer(i, p) => {
                let [hi, lo] = (0xc000 | (p % 0x4000)).to_be_bytes();
                let i = i % len;
                wire[i] = hi;
                if i + 1 < len {
                    wire[i + 1] = lo;
                }
            }
        }
    }
    wire
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Flip(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, v)| Edit::Set(i, v)),
        any::<usize>().prop_map(Edit::Cut),
        (any::<usize>(), any::<u8>()).prop_map(|(i, v)| Edit::Insert(i, v)),
        (any::<usize>(), any::<u16>()).prop_map(|(i, p)| Edit::Pointer(i, p)),
    ]
}

proptest! {
    // 3000 cases per property in `cargo test`; PTRTRACE_FUZZ_CASES=N for a longer campaign.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PTRTRACE_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(3000),
        ..ProptestConfig::default()
    })]

    /// Mutated replies decode or fail cleanly, and whatever decodes classifies without panic.
    #[test]
    fn mutated_replies_never_panic(which in 0usize..3, edits in proptest::collection::vec(edit(), 1..8)) {
        let wire = apply(seeds()[which].clone(), &edits);
        if let Ok(msg) = Message::from_vec(&wire) {
            for zone in [".", "203.in-addr.arpa.", "113.0.203.in-addr.arpa."] {
                let _ = classify(&msg, &n(zone), &n(Q), RecordType::PTR);
            }
            let query = {
                let mut q = Message::new(0x1234, MessageType::Query, OpCode::Query);
                q.add_query(Query::query(n(Q), RecordType::PTR));
                q
            };
            let _ = ptrtrace_core::net::mismatch(&query, &msg);
            let _ = msg.to_vec();
        }
    }

    /// Arbitrary bytes too.
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(msg) = Message::from_vec(&bytes) {
            let _ = classify(&msg, &Name::root(), &n(Q), RecordType::PTR);
        }
    }

    /// The hints parser names the line of any problem and never panics, on random text and
    /// on damaged copies of the real named.root.
    #[test]
    fn hints_parser_never_panics(text in "[ -~\\t\\n;.]{0,400}", cut in any::<usize>(), junk in "[ -~]{0,20}") {
        let _ = RootHints::parse(&text, "fuzz");
        let real = ptrtrace_core::hints::BUILTIN_NAMED_ROOT;
        let mut at = cut % real.len();
        while !real.is_char_boundary(at) { at -= 1; }
        let damaged = format!("{}{junk}{}", &real[..at], &real[at..]);
        if let Err(e) = RootHints::parse(&damaged, "fuzz") {
            let e = e.to_string();
            prop_assert!(e.contains("line") || e.contains("no root server") || e.contains("no `. NS`"), "{}", e);
        }
    }
}

/// Whole traces against servers that damage their replies: bounded, no panic, every output
/// renders. Seeds are fixed so a failure is reproducible.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traces_against_mutating_servers_end_and_render() {
    let mut runs = Vec::new();
    for seed in 0..24u64 {
        let mut s: Scenario = lab::scenarios()
            .into_iter()
            .find(|s| s.name == "healthy")
            .unwrap();
        s.tweaks = [
            "ns1.isp.example.",
            "ns2.isp.example.",
            "ns3.isp.example.",
            "ns1.rir.example.",
            "a.nic.example.",
        ]
        .into_iter()
        .enumerate()
        .map(|(i, server)| Tweak::Fault {
            server,
            fault: Fault::Mutate(seed * 31 + i as u64),
            zone: None,
        })
        .collect();
        runs.push(async move {
            let running = lab::start(&s).await.unwrap();
            let mut cfg = running.config();
            cfg.timeout = Duration::from_millis(250);
            cfg.deadline = Duration::from_secs(20);
            let target: IpAddr = "203.0.113.25".parse().unwrap();
            let walk = trace::trace(target, &cfg, None).await;
            (seed, TargetReport::new(walk))
        });
    }
    let results = futures::future::join_all(runs).await;
    let mut malformed_seen = 0;
    for (seed, r) in &results {
        assert!(
            r.walk.limits.iter().all(|l| l.limit.as_str() != "deadline"),
            "seed {seed} hit the deadline"
        );
        assert!(r.walk.queries_sent <= 3000, "seed {seed}");
        let _ = text::render(r, text::Style { color: false });
        let _ = dot::render(r);
        json::render(std::slice::from_ref(r), "lab").unwrap();
        malformed_seen += r
            .diagnosis
            .findings
            .iter()
            .filter(|f| f.reason.map(|r| r.as_str()) == Some("malformed"))
            .count();
    }
    // The mutations really reached the classifier: some replies were judged malformed.
    assert!(
        malformed_seen > 0,
        "no malformed reply in 24 mutated traces"
    );
}
