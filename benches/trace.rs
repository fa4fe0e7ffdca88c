//! Benchmarks (docs/benchmarks.md): `cargo bench --bench trace [latency|throughput|all] [--full]`.
//!
//! a. Latency: the built-in lab with a fixed delay D on every reply, `--probes 1` without
//!    rate limits (D = 20 ms) and with ptrtrace's defaults (D = 50 ms). The lower bound comes
//!    from the walk (`Walk::lower_bound`): its longest chain of dependent probes at D each,
//!    plus the waits ptrtrace chose on it. Reported: wall time / lower bound, and the same
//!    with one silent server at every level (they should add about one timeout in all).
//! b. Throughput: a /24 and (with --full) a /16 behind a 3-level chain with 3 servers per
//!    zone, delay 0, --probes 1: targets per second, own queries per target, peak RSS, and
//!    the size of the JSONL stream (slim; BENCH_FULL_JSONL=1 for `--evidence full`).
//!
//! Everything runs on loopback lab servers inside this process; nothing leaves the machine.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hickory_proto::rr::Name;
use ptrtrace_core::hints::{HintServer, RootHints};
use ptrtrace_core::net::AddressMap;
use ptrtrace_core::report::TargetReport;
use ptrtrace_core::trace::{self, TraceConfig};
use ptrtrace_lab::sign::{Window, ZoneKey};
use ptrtrace_lab::{self as lab, Fault, LabServer, Tweak, ZoneData};

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// How a latency run is configured: `--probes 1` without rate limits (the walk itself), or
/// ptrtrace's defaults (3 probes, the per-address token bucket, RRL pacing).
#[derive(Clone, Copy)]
enum Profile {
    Bare,
    Defaults,
}

async fn latency(delay_ms: u64, profile: Profile) {
    let d = Duration::from_millis(delay_ms);
    let profile_name = match profile {
        Profile::Bare => "--probes 1, no rate limit",
        Profile::Defaults => "defaults",
    };
    for (label, silent) in [("healthy", false), ("one silent server per level", true)] {
        let mut s = lab::scenarios()
            .into_iter()
            .find(|s| s.name == "healthy")
            .unwrap();
        let silent_servers = [
            // Silent for . and for arpa., which it also serves.
            "b.root-servers.example.",
            "b.in-addr-servers.arpa.",
            "ns2.rir.example.",
            "ns3.isp.example.",
        ];
        s.tweaks = lab::SERVERS
            .iter()
            .map(|(name, _, _)| {
                let fault = if silent && silent_servers.contains(name) {
                    Fault::Drop
                } else {
                    Fault::Delay(d)
                };
                Tweak::Fault {
                    server: name,
                    fault,
                    zone: None,
                }
            })
            .collect();
        let running = lab::start(&s).await.unwrap();
        let mut cfg = running.config();
        match profile {
            Profile::Bare => {
                cfg.probes = 1;
                cfg.rate_per_address = 0;
                cfg.rrl_pacing = false;
            }
            Profile::Defaults => {
                let real = TraceConfig::new(cfg.hints.clone(), cfg.map.clone());
                cfg.probes = real.probes;
                cfg.rate_per_address = real.rate_per_address;
                cfg.rrl_pacing = real.rrl_pacing;
                cfg.probe_spacing = real.probe_spacing;
            }
        }
        cfg.timeout = Duration::from_secs(2);
        let mut runs = Vec::new();
        for _ in 0..5 {
            // A fresh pacer and token buckets per run: each trace is the first of its process.
            cfg.pacing = trace::Pacing::default();
            let start = Instant::now();
            let w = trace::trace("203.0.113.25".parse().unwrap(), &cfg, None).await;
            let wall = start.elapsed().as_secs_f64() * 1000.0;
            // The lower bound from the walk itself: its longest chain of dependent probes at
            // D each, plus the waits ptrtrace chose on it (Walk::lower_bound).
            let bound = w.lower_bound(d).as_secs_f64() * 1000.0;
            let depth = w.probes.iter().map(|p| p.depth).max().unwrap_or(0);
            let queries = w.queries_sent;
            let r = TargetReport::new(w);
            assert!(!r.diagnosis.ptr.is_empty());
            runs.push((wall, bound, depth, queries));
        }
        runs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (median, bound, depth, queries) = runs[runs.len() / 2];
        if silent {
            println!(
                "latency  D={delay_ms} ms  {profile_name:<26} {label:<28} wall {median:7.1} ms  {queries} queries  extra over the healthy chain of {depth} round trips: {:.0} ms = {:.2} timeouts (2 s)",
                median - f64::from(depth) * delay_ms as f64,
                (median - f64::from(depth) * delay_ms as f64) / 2000.0
            );
        } else {
            println!(
                "latency  D={delay_ms} ms  {profile_name:<26} {label:<28} wall {median:7.1} ms  {queries} queries  lower bound {bound:.0} ms ({depth} round trips + waits)  ratio {:.2}",
                median / bound
            );
        }
    }
}

/// The chain lab's zone texts, with the last octet of each zone's first server address.
fn chain_zones() -> [(&'static str, String, u8); 4] {
    let soa = |z: &str| format!("$TTL 3600\n@ SOA ns1.{z} h.{z} 1 3600 600 86400 300\n");
    let mut root = soa("root.example.").replace(
        "@ SOA ns1.root.example. h.root.example.",
        "@ SOA a.root.example. h.example.",
    );
    let mut inaddr = soa("in-addr.example.").replace(
        "ns1.in-addr.example. h.in-addr.example.",
        "a.ia.example. h.example.",
    );
    let mut rev = "$TTL 3600\n@ SOA a.rev.example. h.example. 1 3600 600 86400 300\n".to_string();
    let mut fwd = "$TTL 3600\n@ SOA a.ex.example. h.example. 1 3600 600 86400 300\n".to_string();
    for (i, l) in ["a", "b", "c"].iter().enumerate() {
        let _ = writeln!(
            root,
            "@ NS {l}.root.example.\n{l}.root.example. A 192.0.2.{}",
            1 + i
        );
        let _ = writeln!(
            root,
            "in-addr.arpa. NS {l}.ia.example.\n{l}.ia.example. A 192.0.2.{}",
            11 + i
        );
        let _ = writeln!(
            root,
            "example. NS {l}.ex.example.\n{l}.ex.example. A 192.0.2.{}",
            21 + i
        );
        let _ = writeln!(inaddr, "@ NS {l}.ia.example.\n0.203 NS {l}.rev.example.");
        let _ = writeln!(root, "{l}.rev.example. A 192.0.2.{}", 31 + i);
        let _ = writeln!(inaddr, "{l}.rev.example. A 192.0.2.{}", 31 + i);
        let _ = writeln!(rev, "@ NS {l}.rev.example.");
        let _ = writeln!(
            fwd,
            "@ NS {l}.ex.example.\n{l}.ex.example. A 192.0.2.{}\n{l}.rev.example. A 192.0.2.{}",
            21 + i,
            31 + i
        );
    }
    for x in 0..=255u32 {
        for y in 0..=255u32 {
            let _ = writeln!(rev, "{y}.{x} PTR h-{x}-{y}.hosts.example.");
            let _ = writeln!(fwd, "h-{x}-{y}.hosts A 203.0.{x}.{y}");
        }
    }
    [
        (".", root, 1),
        ("in-addr.arpa.", inaddr, 11),
        ("0.203.in-addr.arpa.", rev, 31),
        ("example.", fwd, 21),
    ]
}

/// A 3-level chain with 3 servers per zone: `.` → `in-addr.arpa.` → `0.203.in-addr.arpa.`
/// (PTRs for 203.0.0.0/16), and `.` → `example.` (their A records).
async fn chain_lab() -> (Vec<LabServer>, RootHints, AddressMap, String) {
    let zones = chain_zones();
    // Signed, as real reverse and forward trees are: each zone has a key, parents have DS.
    let keys: Vec<(Name, ZoneKey)> = zones
        .iter()
        .map(|(o, _, _)| (Name::from_ascii(o).unwrap(), ZoneKey::generate().unwrap()))
        .collect();
    let ds: std::collections::BTreeMap<Name, Vec<_>> = keys
        .iter()
        .map(|(n, k)| {
            (
                n.clone(),
                vec![ptrtrace_core::dnssec::ds_of(n, &k.dnskey).unwrap()],
            )
        })
        .collect();
    let now = ptrtrace_core::dnssec::validate::now();
    let anchor = format!(". IN DS {}", ds[&Name::root()][0]);
    let mut servers = Vec::new();
    let mut map: HashMap<IpAddr, SocketAddr> = HashMap::new();
    let mut hints = Vec::new();
    for ((origin, text, first), (_, key)) in zones.into_iter().zip(&keys) {
        let mut data = ZoneData::parse(origin, &text).unwrap();
        data.sign(key, &ds, Window::current(now)).unwrap();
        let data = Arc::new(data);
        for i in 0..3u8 {
            let s = LabServer::start(vec![Arc::clone(&data)], Fault::None, None)
                .await
                .unwrap();
            let ip: IpAddr = format!("192.0.2.{}", first + i).parse().unwrap();
            map.insert(ip, s.addr);
            if origin == "." {
                hints.push(HintServer {
                    name: Name::from_ascii(format!(
                        "{}.root.example.",
                        ["a", "b", "c"][usize::from(i)]
                    ))
                    .unwrap(),
                    addresses: vec![ip],
                });
            }
            servers.push(s);
        }
    }
    (
        servers,
        RootHints {
            servers: hints,
            source: "bench".into(),
        },
        AddressMap::strict(map),
        anchor,
    )
}

/// Serves the chain lab in this (child) process: prints `IP PORT` per server, then `READY`,
/// and serves until its stdin closes. Keeps the lab's zone data out of the measured process.
async fn serve_lab() {
    // The servers serve for as long as they are held.
    let (_servers, _hints, map, anchor) = chain_lab().await;
    println!("ANCHOR {anchor}");
    for i in 1..=40u8 {
        let ip: IpAddr = format!("192.0.2.{i}").parse().unwrap();
        if let Ok(sa) = map.resolve(ip) {
            println!("{ip} {}", sa.port());
        }
    }
    println!("READY");
    let _ = tokio::task::spawn_blocking(|| {
        let mut sink = String::new();
        let _ = std::io::stdin().read_line(&mut sink);
    })
    .await;
}

/// Starts the chain lab in a child process and returns it, the hints and the address map.
fn lab_process() -> (
    std::process::Child,
    RootHints,
    AddressMap,
    ptrtrace_core::dnssec::TrustAnchors,
) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .arg("--serve-lab")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut map = HashMap::new();
    let mut anchors = None;
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if line == "READY" {
            break;
        }
        if let Some(a) = line.strip_prefix("ANCHOR ") {
            anchors = Some(ptrtrace_core::dnssec::TrustAnchors::from_text(a).unwrap());
            continue;
        }
        let (ip, port) = line.split_once(' ').unwrap();
        let ip: IpAddr = ip.parse().unwrap();
        map.insert(
            ip,
            SocketAddr::new("127.0.0.1".parse().unwrap(), port.parse().unwrap()),
        );
    }
    let hints = RootHints {
        servers: ["a", "b", "c"]
            .iter()
            .enumerate()
            .map(|(i, l)| HintServer {
                name: Name::from_ascii(format!("{l}.root.example.")).unwrap(),
                addresses: vec![format!("192.0.2.{}", 1 + i).parse().unwrap()],
            })
            .collect(),
        source: "bench".into(),
    };
    (child, hints, AddressMap::strict(map), anchors.unwrap())
}

async fn throughput(prefix: &str) {
    let (mut child, hints, map, anchors) = lab_process();
    let mut cfg = TraceConfig::new(hints, map);
    // BENCH_NO_DNSSEC=1 measures the same batch as `--no-dnssec`.
    cfg.dnssec = std::env::var_os("BENCH_NO_DNSSEC")
        .is_none()
        .then_some(anchors);
    cfg.probes = 1;
    cfg.rate_per_address = 0;
    cfg.timeout = Duration::from_secs(2);
    let targets = ptrtrace_core::targets::expand(prefix, false).unwrap();
    // Spread probing, on by default in batches; BENCH_NO_SPREAD=1 measures `--no-spread`.
    if std::env::var_os("BENCH_NO_SPREAD").is_none() {
        let population = ptrtrace_core::targets::Population::of_addrs(targets.iter().copied());
        cfg.spread = Some(std::sync::Arc::new(population));
    }
    let n = targets.len();
    let rss_before = peak_rss_mb();
    let start = Instant::now();
    let mut own = 0u64;
    let mut ok = 0usize;
    let mut bytes = 0usize;
    let mut largest_ok_line = 0usize;
    let mut written = std::collections::HashSet::new();
    // BENCH_FULL_JSONL=1 renders `--evidence full` lines instead of the default slim ones.
    let full_lines = std::env::var_os("BENCH_FULL_JSONL").is_some();
    let targets = targets.iter().copied();
    let session: trace::Session = cfg.into();
    let batch = ptrtrace_core::run::Batch::new(&session, 256);
    ptrtrace_core::run::judged_batch(targets, batch, |r| {
        own += u64::from(r.walk.queries_sent);
        // jsonl mode: each report is rendered and dropped.
        if std::env::var_os("BENCH_NO_JSON").is_none() {
            let text = if full_lines {
                ptrtrace_core::report::json::render_line(&r, "bench").unwrap()
            } else {
                ptrtrace_core::report::json::render_slim(&r, None, "bench", &mut written).unwrap()
            };
            bytes += text.len();
            if r.diagnosis.verdict == ptrtrace_core::diagnose::Verdict::Ok {
                let target_line = text.lines().last().map_or(0, str::len);
                largest_ok_line = largest_ok_line.max(target_line);
            }
        }
        if r.diagnosis.verdict == ptrtrace_core::diagnose::Verdict::Ok {
            ok += 1;
        }
    })
    .await;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "throughput  {prefix:<16} {n:>6} targets in {secs:6.2} s = {:7.0} targets/s  own queries/target {:.2}  ok {ok}/{n}  jsonl ({}) {:.1} MB, largest healthy target line {largest_ok_line} B  peak RSS of ptrtrace {:.0} MB (before the batch {rss_before:.0} MB; the lab runs in a child process)",
        n as f64 / secs,
        own as f64 / n as f64,
        if full_lines { "full" } else { "slim" },
        bytes as f64 / 1e6,
        peak_rss_mb()
    );
    let _ = child.kill();
    let _ = child.wait();
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let what = args
        .iter()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .map_or("all", String::as_str);
    let full = args.iter().any(|a| a == "--full");
    let rt = tokio::runtime::Runtime::new().unwrap();
    if args.iter().any(|a| a == "--serve-lab") {
        rt.block_on(serve_lab());
        return;
    }
    rt.block_on(async {
        if what == "latency" || what == "all" {
            latency(20, Profile::Bare).await;
            latency(50, Profile::Defaults).await;
        }
        if what == "throughput" || what == "all" {
            // BENCH_PREFIX=203.0.0.0/20: one prefix of the lab's /16 instead (A/B comparisons
            // of two builds in seconds rather than minutes).
            if let Ok(prefix) = std::env::var("BENCH_PREFIX") {
                throughput(&prefix).await;
                return;
            }
            throughput("203.0.0.0/24").await;
            if full {
                throughput("203.0.0.0/16").await;
            }
        }
    });
}
