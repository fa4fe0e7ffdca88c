//! Batch tracing over the lab: a /24 in one shared walk. Each zone cut, NS name lookup and
//! forward name is probed once per run; per target only its own PTR (and forward) probes
//! are added. Reports must equal what a single trace of the same address says.

// A test fails by panicking: unwrap and expect are how it says so.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use ptrtrace_core::report::TargetReport;
use ptrtrace_core::targets;
use ptrtrace_core::trace;
use ptrtrace_lab as lab;

fn keys(r: &TargetReport) -> Vec<lab::FindingKey> {
    let mut v: Vec<_> = r.diagnosis.findings.iter().map(lab::finding_key).collect();
    v.sort();
    v
}

/// The lab scenario `refused` (one reverse server refuses), one probe per address, and a
/// config for it; the lab serves while the first is held.
async fn refused_lab() -> (lab::RunningLab, trace::Session) {
    let s = lab::scenarios()
        .into_iter()
        .find(|s| s.name == "refused")
        .unwrap();
    let running = lab::start(&s).await.unwrap();
    let mut cfg = running.config();
    cfg.timeout = Duration::from_millis(600);
    cfg.probes = 1;
    (running, cfg)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_24_shares_the_chain_and_matches_single_traces() {
    let (_running, cfg) = refused_lab().await;
    let all = targets::expand("203.0.113.0/24", false).unwrap();
    let mut reports: BTreeMap<IpAddr, TargetReport> = BTreeMap::new();
    let mut own_queries: BTreeMap<IpAddr, u32> = BTreeMap::new();
    // Four chunks of 64: later chunks reuse the zones, lookups and checks the first made.
    trace::trace_batch(all.clone(), &cfg, 64, None, None, |w| {
        own_queries.insert(w.target, w.queries_sent);
        reports.insert(w.target, TargetReport::new(w));
    })
    .await;
    assert_eq!(reports.len(), 256);

    // Same verdict and findings as a trace of its own, for the interesting addresses.
    for ip in [
        "203.0.113.25",
        "203.0.113.26",
        "203.0.113.99",
        "203.0.113.130",
        "203.0.113.7",
    ] {
        let ip: IpAddr = ip.parse().unwrap();
        let single = TargetReport::new(trace::trace(ip, &cfg, None).await);
        let batch = &reports[&ip];
        assert_eq!(batch.diagnosis.verdict, single.diagnosis.verdict, "{ip}");
        assert_eq!(keys(batch), keys(&single), "{ip}");
        assert_eq!(batch.diagnosis.ptr, single.diagnosis.ptr, "{ip}");
    }

    // Queries per target: the reverse zone has 4 server addresses; with --probes 1 a target
    // without PTR costs exactly 4 queries of its own (its PTR question), one with a PTR adds
    // its forward lookup (4 more). The shared chain is amortised to nothing.
    let scout: IpAddr = "203.0.113.0".parse().unwrap();
    for (ip, n) in &own_queries {
        if *ip == scout {
            continue;
        }
        let r = &reports[ip];
        let expected = if r.diagnosis.ptr.is_empty() { 4 } else { 8 };
        let classless = ip.to_string() == "203.0.113.130"
            || ip.to_string() == "203.0.113.131"
            || ip.to_string() == "203.0.113.132"
            || ip.to_string() == "203.0.113.133"
            // RFC 2317 to the /24's own servers: a CNAME target question of its own.
            || ip.to_string() == "203.0.113.200"
            // A CNAME below the renumbered block's DNAME: two more questions of its own.
            || ip.to_string() == "203.0.113.140";
        if !classless && r.diagnosis.ptr.len() <= 1 {
            assert_eq!(*n, expected, "{ip}: {n} own queries");
        }
    }
    // Every target got its own PTR probes, in every chunk.
    assert!(own_queries.values().all(|&n| n >= 4), "{own_queries:?}");
    let total: u32 = own_queries.values().sum();
    assert!(total < 256 * 8 + 600, "{total} queries for the /24");
}

/// A supporting lookup (a glueless NS name's address) asks at most 4 addresses of a zone,
/// while the target's own question asks every address: a root with 6 servers.
#[tokio::test]
async fn supporting_lookups_ask_a_few_servers_the_path_asks_all() {
    use std::collections::{BTreeSet, HashMap};
    use std::net::SocketAddr;
    use std::sync::Arc;

    use hickory_proto::rr::Name;
    use ptrtrace_core::hints::{HintServer, RootHints};
    use ptrtrace_core::net::AddressMap;
    use ptrtrace_lab::{Fault, LabServer, ZoneData};

    let mut root = String::from("$TTL 3600\n@ SOA r1.root. h.root. 1 3600 600 86400 300\n");
    for i in 1..=6 {
        root.push_str(&format!("@ NS r{i}.root.\nr{i}.root. A 192.0.2.{i}\n"));
    }
    root.push_str("113.0.203.in-addr.arpa. NS ns.isp.example.\nexample. NS ns.nic.example.\nns.nic.example. A 192.0.2.21\n");
    let example = "$TTL 3600\n@ SOA ns.nic.example. h.example. 1 3600 600 86400 300\n@ NS ns.nic.example.\nns.nic A 192.0.2.21\nns.isp A 198.51.100.53\nmail.isp A 203.0.113.25\n";
    let rev = "$TTL 3600\n@ SOA ns.isp.example. h.example. 1 3600 600 86400 300\n@ NS ns.isp.example.\n25 PTR mail.isp.example.\n";
    let start = |origin: &'static str, text: String| async move {
        LabServer::start(
            vec![Arc::new(ZoneData::parse(origin, &text).unwrap())],
            Fault::None,
            None,
        )
        .await
        .unwrap()
    };
    let (a, b, c) = (
        start(".", root).await,
        start("example.", example.to_string()).await,
        start("113.0.203.in-addr.arpa.", rev.to_string()).await,
    );
    let mut map: HashMap<std::net::IpAddr, SocketAddr> = HashMap::new();
    let mut hints = Vec::new();
    for i in 1..=6 {
        let ip = format!("192.0.2.{i}").parse().unwrap();
        map.insert(ip, a.addr);
        hints.push(HintServer {
            name: Name::from_ascii(format!("r{i}.root.")).unwrap(),
            addresses: vec![ip],
        });
    }
    map.insert("192.0.2.21".parse().unwrap(), b.addr);
    map.insert("198.51.100.53".parse().unwrap(), c.addr);
    let mut cfg: trace::Session = ptrtrace_core::trace::TraceConfig::new(
        RootHints {
            servers: hints,
            source: "test".into(),
        },
        AddressMap::strict(map),
    )
    .into();
    cfg.rate_per_address = 0;
    let w = trace::trace("203.0.113.25".parse().unwrap(), &cfg, None).await;
    let at_root = |name: &str| -> BTreeSet<String> {
        w.probes
            .iter()
            .filter(|p| p.zone.is_root() && w.questions[p.question].name.to_string() == name)
            .map(|p| p.address.to_string())
            .collect()
    };
    assert_eq!(at_root("25.113.0.203.in-addr.arpa.").len(), 6);
    let support = at_root("ns.isp.example.");
    assert!(!support.is_empty() && support.len() <= 4, "{support:?}");
    let r = TargetReport::new(w);
    assert_eq!(r.diagnosis.ptr.len(), 1);
    assert!(r.diagnosis.fcrdns[0].confirmed);
}

/// One batch of 203.0.113.0/24: every target's report, the queries sent in all, and the
/// (address, transport) of every attempt of a target's own questions at the reverse zone.
async fn batch_24(
    cfg: &trace::Session,
) -> (
    BTreeMap<IpAddr, TargetReport>,
    u32,
    Vec<(IpAddr, ptrtrace_core::model::Transport)>,
) {
    let all = targets::expand("203.0.113.0/24", false).unwrap();
    let mut reports = BTreeMap::new();
    let mut sent = 0;
    let mut transports = Vec::new();
    let rev = hickory_proto::rr::Name::from_ascii("113.0.203.in-addr.arpa.").unwrap();
    // Chunks of 64, so that a lab server's socket is not sent more at once than it holds;
    // the copies made for the first chunk serve the others.
    trace::trace_batch(all, cfg, 64, None, None, |w| {
        sent += w.queries_sent;
        // The target's own questions (its chain) at the reverse zone's servers.
        let own = |p: &&ptrtrace_core::model::walk::Probe| w.questions[p.question].origin == 0;
        for p in w.probes.iter().filter(|p| p.zone == rev).filter(own) {
            for a in &p.attempts {
                transports.push((p.address, a.transport));
            }
        }
        reports.insert(w.target, TargetReport::new(w));
    })
    .await;
    (reports, sent, transports)
}

/// Zone transfers (RFC 5936) in a batch: the scout's answering zone is transferred from every
/// address that allows it, and later targets are answered from that address's own copy. Each
/// of the 256 targets gets the verdict, findings and PTR names the same batch gets by asking,
/// including the server named for a stale or expired copy, with far fewer queries; an address
/// that refuses the transfer is asked as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfers_answer_later_targets_with_the_same_findings() {
    use ptrtrace_core::model::Transport;
    use ptrtrace_lab::scenarios::Tweak;
    const NS2: &str = "198.51.100.54";
    for (scenario, blamed) in [
        ("inconsistent", "198.51.100.55"),
        ("dnssec-expired-one", "198.51.100.55"),
        ("dnssec-secure", ""),
    ] {
        let mut s = lab::scenarios()
            .into_iter()
            .find(|s| s.name == scenario)
            .unwrap();
        // ns1 and ns3 allow transfers; ns2 refuses them, as servers do by default.
        for server in ["ns1.isp.example.", "ns3.isp.example."] {
            s.tweaks.push(Tweak::Transfer { server });
        }
        let running = lab::start(&s).await.unwrap();
        let mut cfg = running.config();
        cfg.timeout = Duration::from_secs(2);
        cfg.probes = 1;
        cfg.axfr = false;
        let (asked, asked_sent, asked_via) = batch_24(&cfg).await;
        cfg.axfr = true;
        let (copied, copied_sent, copied_via) = batch_24(&cfg).await;
        assert_eq!(asked.len(), 256);
        assert_eq!(copied.len(), 256);
        for (ip, a) in &asked {
            let c = &copied[ip];
            assert_eq!(c.diagnosis.verdict, a.diagnosis.verdict, "{scenario} {ip}");
            assert_eq!(keys(c), keys(a), "{scenario} {ip}");
            assert_eq!(c.diagnosis.ptr, a.diagnosis.ptr, "{scenario} {ip}");
        }
        assert!(asked_via.iter().all(|(_, t)| *t != Transport::Axfr));
        let by_axfr: std::collections::BTreeSet<String> = copied_via
            .iter()
            .filter(|(_, t)| *t == Transport::Axfr)
            .map(|(a, _)| a.to_string())
            .collect();
        assert_eq!(
            by_axfr,
            ["198.51.100.53", "198.51.100.55"]
                .map(String::from)
                .into_iter()
                .collect(),
            "{scenario}"
        );
        // Queries (not transfer reads) to an address of the reverse zone.
        let asked_at = |via: &[(IpAddr, Transport)], addr: &str| {
            via.iter()
                .filter(|(a, t)| a.to_string() == addr && *t != Transport::Axfr)
                .count()
        };
        for addr in ["198.51.100.53", NS2, "198.51.100.55"] {
            assert!(asked_at(&asked_via, addr) >= 256, "{scenario} {addr}");
        }
        // The transferring addresses were asked each chunk's scout question (4) and the
        // few that a copy cannot answer (the CNAME targets below the RFC 2317 delegation);
        // ns2 every target's.
        for addr in ["198.51.100.53", "198.51.100.55"] {
            let n = asked_at(&copied_via, addr);
            assert!(n <= 12, "{scenario} {addr}: {n}");
        }
        assert!(asked_at(&copied_via, NS2) >= 256, "{scenario}");
        if !blamed.is_empty() {
            let r = &copied[&"203.0.113.25".parse::<IpAddr>().unwrap()];
            assert!(
                r.diagnosis
                    .findings
                    .iter()
                    .any(|f| f.address.map(|a| a.to_string()).as_deref() == Some(blamed)),
                "{scenario}: {blamed} not named"
            );
        }
        assert!(
            copied_sent + 400 < asked_sent,
            "{scenario}: {copied_sent} queries with transfers, {asked_sent} without"
        );
    }
}

/// Judging on threads beside the walk changes nothing a user sees: every target once, in the
/// order the plain batch delivers them, with the same verdict, findings and PTR.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn judged_on_threads_in_the_batch_order() {
    let (_running, cfg) = refused_lab().await;
    let all = targets::expand("203.0.113.0/25", false).unwrap();
    let mut plain: Vec<TargetReport> = Vec::new();
    trace::trace_batch(all.clone(), &cfg, 32, None, None, |w| {
        plain.push(TargetReport::new(w));
    })
    .await;
    let mut threaded: Vec<TargetReport> = Vec::new();
    let batch = ptrtrace_core::run::Batch::new(&cfg, 32);
    ptrtrace_core::run::judged_batch(all, batch, |r| {
        threaded.push(r);
    })
    .await;
    assert_eq!(threaded.len(), 128);
    let order = |v: &[TargetReport]| v.iter().map(TargetReport::target).collect::<Vec<_>>();
    assert_eq!(order(&threaded), order(&plain));
    for (t, p) in threaded.iter().zip(&plain) {
        assert_eq!(t.diagnosis.verdict, p.diagnosis.verdict, "{}", t.target());
        assert_eq!(keys(t), keys(p), "{}", t.target());
        assert_eq!(t.diagnosis.ptr, p.diagnosis.ptr, "{}", t.target());
    }
    // The scenario's refusing server is named for its targets either way.
    assert!(threaded.iter().any(|r| !keys(r).is_empty()));
}

/// A small tree with a /16 reverse zone (`0.203.in-addr.arpa.`, PTRs for 203.0.0.0/22) on
/// three servers, unsigned; server c answers `h-x-y.old.example.` instead of the right name for
/// every name with `y % wrong_every == 7` (an old copy; `wrong_every` 0: c agrees).
async fn wide_lab(wrong_every: u32) -> (Vec<lab::LabServer>, trace::Session) {
    use std::fmt::Write as _;
    use std::sync::Arc;
    let soa = |ns: &str| format!("$TTL 3600\n@ SOA {ns} h.example. 1 3600 600 86400 300\n");
    let mut root = soa("a.root.example.");
    let _ = writeln!(
        root,
        "@ NS a.root.example.\na.root.example. A 192.0.2.1\n\
         in-addr.arpa. NS a.ia.example.\na.ia.example. A 192.0.2.11\n\
         example. NS a.ex.example.\na.ex.example. A 192.0.2.21"
    );
    let mut inaddr = soa("a.ia.example.");
    let _ = writeln!(inaddr, "@ NS a.ia.example.\na.ia.example. A 192.0.2.11");
    let mut fwd = soa("a.ex.example.");
    let _ = writeln!(fwd, "@ NS a.ex.example.\na.ex.example. A 192.0.2.21");
    let mut rev = soa("a.rev.example.");
    for (i, l) in ["a", "b", "c"].iter().enumerate() {
        let _ = writeln!(inaddr, "0.203 NS {l}.rev.example.");
        let _ = writeln!(fwd, "{l}.rev.example. A 192.0.2.{}", 31 + i);
        let _ = writeln!(rev, "@ NS {l}.rev.example.");
    }
    let mut old = rev.clone();
    for x in 0..4u32 {
        for y in 0..=255u32 {
            let _ = writeln!(rev, "{y}.{x} PTR h-{x}-{y}.hosts.example.");
            // Never the scouts (y = 0): the zone must look agreeing at first.
            let wrong = wrong_every > 0 && y % wrong_every == 7;
            let host = if wrong { "old" } else { "hosts" };
            let _ = writeln!(old, "{y}.{x} PTR h-{x}-{y}.{host}.example.");
            let _ = writeln!(fwd, "h-{x}-{y}.hosts A 203.0.{x}.{y}");
        }
    }
    let mut servers = Vec::new();
    let mut map = std::collections::HashMap::new();
    let start = |origin: &str, text: &str, ip: &str| {
        let data = Arc::new(lab::ZoneData::parse(origin, text).unwrap());
        (data, ip.parse::<IpAddr>().unwrap())
    };
    let plan = vec![
        start(".", &root, "192.0.2.1"),
        start("in-addr.arpa.", &inaddr, "192.0.2.11"),
        start("example.", &fwd, "192.0.2.21"),
        start("0.203.in-addr.arpa.", &rev, "192.0.2.31"),
        start("0.203.in-addr.arpa.", &rev, "192.0.2.32"),
        start("0.203.in-addr.arpa.", &old, "192.0.2.33"),
    ];
    for (data, ip) in plan {
        let s = lab::LabServer::start(vec![data], lab::Fault::None, None)
            .await
            .unwrap();
        map.insert(ip, s.addr);
        servers.push(s);
    }
    let hints = ptrtrace_core::hints::RootHints {
        servers: vec![ptrtrace_core::hints::HintServer {
            name: hickory_proto::rr::Name::from_ascii("a.root.example.").unwrap(),
            addresses: vec!["192.0.2.1".parse().unwrap()],
        }],
        source: "test".into(),
    };
    let mut cfg: trace::Session =
        trace::TraceConfig::new(hints, ptrtrace_core::net::AddressMap::strict(map)).into();
    // A thousand queries a second per address: re-asking a whole chunk at once would otherwise
    // send one lab socket more datagrams than its receive buffer holds (seen as timeouts).
    cfg.rate_per_address = 1000;
    cfg.rrl_pacing = false;
    cfg.dnssec = None;
    cfg.timeout = Duration::from_secs(2);
    cfg.probes = 1;
    (servers, cfg)
}

fn spread_batch_cfg(cfg: &trace::Session, prefix: &str) -> trace::Session {
    let mut cfg = cfg.clone();
    let (t, _) = targets::parse(&[prefix.to_string()], false, std::io::empty());
    cfg.spread = Some(std::sync::Arc::new(t.population()));
    cfg
}

/// Healthy servers that agree: a /22 in a /16 zone is spread. A target outside the sample is
/// asked of exactly one of the three addresses and says so (`untested`, reason `sampled`),
/// with the same verdict and PTR as a batch that asks every address; the sampled ones are
/// asked of all three; the load is spread over all three.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agreeing_servers_share_a_wide_zone() {
    let (_servers, base) = wide_lab(0).await;
    let all = targets::expand("203.0.0.0/22", false).unwrap();
    let zone = hickory_proto::rr::Name::from_ascii("0.203.in-addr.arpa.").unwrap();
    let mut full: BTreeMap<IpAddr, TargetReport> = BTreeMap::new();
    trace::trace_batch(all.clone(), &base, 256, None, None, |w| {
        full.insert(w.target, TargetReport::new(w));
    })
    .await;
    let cfg = spread_batch_cfg(&base, "203.0.0.0/22");
    let mut spread: BTreeMap<IpAddr, TargetReport> = BTreeMap::new();
    trace::trace_batch(all, &cfg, 256, None, None, |w| {
        spread.insert(w.target, TargetReport::new(w));
    })
    .await;
    assert_eq!(spread.len(), 1024);
    let mut per_address: BTreeMap<IpAddr, usize> = BTreeMap::new();
    let (mut sampled, mut spread_out) = (0, 0);
    for (ip, r) in &spread {
        let f = &full[ip];
        assert_eq!(r.diagnosis.verdict, f.diagnosis.verdict, "{ip}");
        assert_eq!(r.diagnosis.ptr, f.diagnosis.ptr, "{ip}");
        assert!(!r.diagnosis.ptr.is_empty(), "{ip}");
        let asked: std::collections::BTreeSet<IpAddr> = r
            .walk
            .probes
            .iter()
            .filter(|p| p.question == 0 && p.zone == zone)
            .map(|p| p.address)
            .collect();
        let notes = &r.walk.spread;
        let finding = r.diagnosis.findings.iter().any(|x| {
            x.kind == ptrtrace_core::model::finding::FindingKind::Untested
                && x.reason.map(|r| r.as_str()) == Some("sampled")
        });
        if notes.is_empty() {
            sampled += 1;
            assert_eq!(asked.len(), 3, "{ip}: a sampled target is asked of all");
            assert!(!finding, "{ip}");
        } else {
            spread_out += 1;
            assert_eq!(asked.len(), 1, "{ip}: {asked:?}");
            assert_eq!(notes[0].not_asked.len(), 2, "{ip}");
            assert_eq!(notes[0].population, 1024);
            assert!(finding, "{ip}: the report says what was not asked");
            *per_address
                .entry(*asked.iter().next().unwrap())
                .or_default() += 1;
        }
    }
    // p = 1 - 0.01^(1/11) = 0.342 of 1024 targets, less the 4 scouts asked in full: the
    // sample's size is binomial (sd 15); 300..=420 holds it with overwhelming odds.
    assert!((300..=420).contains(&sampled), "{sampled} sampled");
    assert!(spread_out > 500, "{spread_out}");
    // Rendezvous hashing spreads the rest over all three addresses.
    assert_eq!(per_address.len(), 3, "{per_address:?}");
    assert!(
        per_address.values().all(|&n| n > spread_out / 6),
        "{per_address:?}"
    );
}

/// One server answers wrongly for 1 name in 16 (6 %): the sample catches it in the first
/// chunk, spreading stops, and every target it answers wrongly is reported naming it, exactly
/// as when every address is asked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disagreeing_server_ends_the_spread_and_is_named() {
    let (_servers, base) = wide_lab(16).await;
    let cfg = spread_batch_cfg(&base, "203.0.0.0/22");
    let all = targets::expand("203.0.0.0/22", false).unwrap();
    let mut reports: BTreeMap<IpAddr, TargetReport> = BTreeMap::new();
    // One chunk: the sample is checked before any target is reported.
    trace::trace_batch(all, &cfg, 1024, None, None, |w| {
        reports.insert(w.target, TargetReport::new(w));
    })
    .await;
    let bad: IpAddr = "192.0.2.33".parse().unwrap();
    for (ip, r) in &reports {
        let IpAddr::V4(v4) = ip else { unreachable!() };
        let wrong = v4.octets()[3] % 16 == 7;
        let names_c = r
            .diagnosis
            .findings
            .iter()
            .any(|f| f.address == Some(bad) || f.involved.iter().any(|(_, a)| *a == bad));
        assert_eq!(names_c, wrong, "{ip}: {:?}", keys(r));
        assert!(r.walk.spread.is_empty(), "{ip}: nothing was spread");
    }
}

/// In a batch each target's PTR is asked once per address and again only where that probe
/// was lost or disagreed (docs/findings.md "How many probes"): over the lab's `drop-30`
/// scenario (ns3 drops 30 % of UDP queries at random, seeded) with the default three probes
/// and 64 targets, the healthy addresses get one probe per target, every target whose first
/// probe ns3 lost is asked there again, and no target calls ns3 unreachable for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_asks_each_target_once_per_address_and_again_where_lost() {
    let s = lab::scenarios()
        .into_iter()
        .find(|s| s.name == "drop-30")
        .unwrap();
    let running = lab::start(&s).await.unwrap();
    let mut cfg = running.config();
    cfg.timeout = Duration::from_millis(600);
    let all = targets::expand("203.0.113.0/26", false).unwrap();
    let mut reports: BTreeMap<IpAddr, TargetReport> = BTreeMap::new();
    trace::trace_batch(all.clone(), &cfg, 256, None, None, |w| {
        reports.insert(w.target, TargetReport::new(w));
    })
    .await;
    assert_eq!(reports.len(), 64);
    let zone = "113.0.203.in-addr.arpa.";
    let mut lost_first = 0;
    for (ip, r) in &reports {
        let mut per_address: BTreeMap<(String, IpAddr), Vec<&str>> = BTreeMap::new();
        for p in r.walk.probes.iter().filter(|p| {
            p.question == 0
                && p.zone.to_string() == zone
                && p.kind == ptrtrace_core::model::ProbeKind::Standard
        }) {
            let status = p.attempts.first().map_or("none", |a| a.status.as_str());
            per_address
                .entry((p.server.to_string(), p.address))
                .or_default()
                .push(status);
        }
        for ((server, _), fates) in &per_address {
            if !server.starts_with("ns3.") {
                assert_eq!(fates.len(), 1, "{ip}: {server} asked {fates:?}");
            } else if fates.first() == Some(&"timeout") {
                lost_first += 1;
                assert!(
                    fates.len() > 1,
                    "{ip}: ns3 lost its probe and was not asked again"
                );
            }
        }
        assert!(
            !r.diagnosis.findings.iter().any(|f| {
                f.kind == ptrtrace_core::model::FindingKind::Unreachable
                    && f.server
                        .as_ref()
                        .is_some_and(|s| s.to_string().starts_with("ns3."))
            }),
            "{ip}: loss called unreachable"
        );
    }
    assert!(
        lost_first > 0,
        "ns3 lost no first probe of 64: the test proved nothing"
    );
}
