//! The built-in lab: real authoritative servers on loopback, serving a small copy of the
//! reverse tree, with one fault per scenario (docs/design.md §8, docs/lab.md).
//!
//! Zone data names documentation addresses; a strict [`AddressMap`] sends each of them to
//! the loopback socket of the server that owns it, and refuses every other address. So the
//! lab needs neither root nor a network namespace, can simulate IPv6 servers on a host
//! without IPv6, and cannot leak a packet off the machine whatever a zone says.

mod dnssec_reply;
mod fault;
mod presigned;
pub mod scenarios;
pub mod server;
pub mod sign;
mod transfer;
mod zone_data;
pub mod zones;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use hickory_proto::rr::Name;

use ptrtrace_core::hints::{HintServer, RootHints};
use ptrtrace_core::net::AddressMap;
pub use scenarios::{Expect, Scenario, Tweak, scenarios};
pub use server::{Fault, LabServer, ZoneData};

/// The zones the ISP's three servers hold: besides the /24 and the forward zone, zones whose
/// cuts their own referrals hide (a /16 and the /24 below it, single-address zones, a /24's
/// RFC 2317 child), keys of [`zones::zones`].
const ISP_ZONES: &[&str] = &[
    "rev",
    "isp",
    "v6rev",
    "r51",
    "r100",
    "r61",
    "r41",
    "classless-isp",
];

/// The lab's servers: NS name, addresses, zones served (keys of [`zones::zones`]).
///
/// As on the real Internet (RFC 9120), every root server also serves `arpa.`, so its referrals
/// skip that cut and go straight to `in-addr.arpa.` and `ip6.arpa.`; the arpa. NS names
/// (a.ns.arpa., b.ns.arpa.) are only reached by a root server that does not serve `arpa.`
/// (scenario `one-root-without-arpa`).
pub const SERVERS: &[(&str, &[&str], &[&str])] = &[
    ("a.root-servers.example.", &["192.0.2.1"], &["root", "arpa"]),
    (
        "b.root-servers.example.",
        &["192.0.2.2", "2001:db8:53::2"],
        &["root", "arpa"],
    ),
    ("a.ns.arpa.", &["192.0.2.11"], &["arpa"]),
    ("b.ns.arpa.", &["192.0.2.12", "2001:db8:53::12"], &["arpa"]),
    ("a.in-addr-servers.arpa.", &["192.0.2.31"], &["in-addr"]),
    ("b.in-addr-servers.arpa.", &["192.0.2.32"], &["in-addr"]),
    ("a.ip6-servers.arpa.", &["192.0.2.41"], &["ip6"]),
    ("b.ip6-servers.arpa.", &["2001:db8:53::42"], &["ip6"]),
    ("a.nic.example.", &["192.0.2.21"], &["example"]),
    ("b.nic.example.", &["192.0.2.22"], &["example"]),
    ("ns1.rir.example.", &["192.0.2.51"], &["r203", "r198"]),
    (
        "ns2.rir.example.",
        &["192.0.2.52", "2001:db8:53::52"],
        &["r203", "r198"],
    ),
    ("ns1.isp.example.", &["198.51.100.53"], ISP_ZONES),
    (
        "ns2.isp.example.",
        &["198.51.100.54", "2001:db8:5300::54"],
        ISP_ZONES,
    ),
    ("ns3.isp.example.", &["198.51.100.55"], ISP_ZONES),
    (
        "ns1.customer.example.",
        &["198.51.100.80"],
        &["classless", "customer", "v6-48"],
    ),
    (
        "ns2.customer.example.",
        &["198.51.100.81", "2001:db8:1::53"],
        &["v6-56"],
    ),
    // An IPv6-only server of the ip6.arpa delegation.
    ("ns6.isp.example.", &["2001:db8:5300::66"], &["v6rev"]),
    // ns3's address before it was renumbered: another DNS server now, without these zones.
    (
        "old.ns3.isp.example.",
        &["198.51.100.99", "2001:db8:5300::99"],
        &[],
    ),
];

/// The lab could not be started.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// A zone text is wrong (a bug in the lab).
    #[error(transparent)]
    Zone(#[from] server::ZoneError),
    /// A socket could not be bound.
    #[error("cannot start a lab server on loopback: {0}")]
    Io(#[from] std::io::Error),
    /// The scenario names something the lab does not have.
    #[error("lab scenario {scenario}: {message}")]
    Scenario {
        /// The scenario.
        scenario: String,
        /// What is wrong.
        message: String,
    },
}

/// A started lab: its servers, the hints to its root and the address map to reach them.
#[derive(Debug)]
pub struct RunningLab {
    /// Servers, kept alive while the lab runs.
    pub servers: Vec<LabServer>,
    /// Root hints pointing at the lab's root servers.
    pub hints: RootHints,
    /// Documentation address → loopback socket; strict.
    pub map: AddressMap,
    /// The DS of the lab root's key: the lab's trust anchor.
    pub anchors: ptrtrace_core::dnssec::TrustAnchors,
}

fn parse_ip(s: &str) -> Result<IpAddr, LabError> {
    s.parse().map_err(|_| LabError::Scenario {
        scenario: "-".into(),
        message: format!("bad lab address {s}"),
    })
}

fn parse_name(s: &str) -> Result<Name, LabError> {
    Name::from_ascii(s).map_err(|e| LabError::Scenario {
        scenario: "-".into(),
        message: format!("bad lab name {s}: {e}"),
    })
}

impl RunningLab {
    /// A trace configuration for this lab: its root hints and strict address map, and no
    /// per-address rate limit or RRL pacing (lab servers are ours and do not rate-limit,
    /// except in the `rrl-` scenarios, whose [`Scenario::fit`] turns pacing back on; real
    /// servers get the polite defaults).
    #[must_use]
    pub fn config(&self) -> ptrtrace_core::trace::Session {
        let mut cfg = ptrtrace_core::trace::TraceConfig::new(self.hints.clone(), self.map.clone());
        cfg.rate_per_address = 0;
        cfg.rrl_pacing = false;
        cfg.dnssec = Some(self.anchors.clone());
        cfg.into()
    }
}

/// Starts every server of the lab with the scenario's tweaks applied.
///
/// # Errors
/// [`LabError`] when a zone does not parse or a socket cannot be bound.
pub async fn start(scenario: &Scenario) -> Result<RunningLab, LabError> {
    start_placed(scenario, None).await
}

/// The loopback address of the `index`-th server of [`SERVERS`] in `lab serve`: 127.0.53.N.
#[must_use]
pub fn serve_address(index: usize) -> std::net::Ipv4Addr {
    std::net::Ipv4Addr::new(127, 0, 53, u8::try_from(index + 1).unwrap_or(u8::MAX))
}

/// Starts the lab for other processes (`ptrtrace lab serve`): each server of [`SERVERS`] on
/// its own loopback address ([`serve_address`]) and `port`, UDP and TCP, with the zone data
/// rewritten so that glue and NS addresses name those loopback addresses instead of the
/// documentation ones. IPv6 server addresses cannot be given each a loopback address (there is
/// one, ::1): a dual-stack server keeps only its IPv4 one, an IPv6-only server gets an IPv4
/// loopback address instead. The returned lab's map is direct (any tool can reach it).
///
/// # Errors
/// [`LabError`] when a zone does not parse or an address cannot be bound (the port in use).
pub async fn serve(scenario: &Scenario, port: u16) -> Result<RunningLab, LabError> {
    start_placed(scenario, Some(port)).await
}

/// Replaces server addresses in zone text by their `lab serve` loopback addresses: A records
/// of servers get their loopback address; AAAA records of dual-stack servers go; an
/// IPv6-only server's AAAA becomes an A record. Other addresses (PTR targets' forward
/// records) stay.
fn rewrite_for_serving(text: &str) -> String {
    let mut v4: HashMap<IpAddr, std::net::Ipv4Addr> = HashMap::new();
    let mut dual: Vec<IpAddr> = Vec::new();
    for (i, (_, addrs, _)) in SERVERS.iter().enumerate() {
        let ips: Vec<IpAddr> = addrs.iter().filter_map(|a| a.parse().ok()).collect();
        let has_v4 = ips.iter().any(IpAddr::is_ipv4);
        for ip in ips {
            v4.insert(ip, serve_address(i));
            if ip.is_ipv6() && has_v4 {
                dual.push(ip);
            }
        }
    }
    let mut out = String::new();
    for line in text.lines() {
        let mut tokens: Vec<String> = line.split_whitespace().map(str::to_string).collect();
        let at = tokens
            .iter()
            .position(|t| t.eq_ignore_ascii_case("A") || t.eq_ignore_ascii_case("AAAA"));
        if let Some(i) = at
            && let Some(ip) = tokens.get(i + 1).and_then(|t| t.parse::<IpAddr>().ok())
            && let Some(lo) = v4.get(&ip)
        {
            if dual.contains(&ip) {
                continue;
            }
            tokens[i] = "A".into();
            tokens[i + 1] = lo.to_string();
            out.push_str(&tokens.join(" "));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

async fn start_placed(
    scenario: &Scenario,
    serve_port: Option<u16>,
) -> Result<RunningLab, LabError> {
    let (parsed, anchors) = signed_zones(scenario, serve_port.is_some())?;
    let mut servers = Vec::new();
    let mut map: HashMap<IpAddr, SocketAddr> = HashMap::new();
    let mut root_servers = Vec::new();
    for (index, (name, addrs, zone_keys)) in SERVERS.iter().enumerate() {
        let mut keys: Vec<&str> = zone_keys.to_vec();
        let mut fault = Fault::None;
        let mut fault_zone = None;
        let mut closed = false;
        let mut transfer = false;
        for t in &scenario.tweaks {
            match t {
                Tweak::Zones { server, zones } if server == name => keys.clone_from(zones),
                Tweak::Fault {
                    server,
                    fault: f,
                    zone,
                } if server == name => {
                    fault = f.clone();
                    fault_zone = zone.map(parse_name).transpose()?;
                }
                Tweak::Closed { server } if server == name => closed = true,
                Tweak::Transfer { server } if server == name => transfer = true,
                _ => {}
            }
        }
        let zones_served = keys
            .iter()
            .map(|k| {
                parsed.get(k).cloned().ok_or_else(|| LabError::Scenario {
                    scenario: scenario.name.into(),
                    message: format!("no lab zone {k}"),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let at = serve_port.map(|p| SocketAddr::new(IpAddr::V4(serve_address(index)), p));
        let sock = if closed {
            match at {
                Some(a) => a,
                None => LabServer::closed_port().await?,
            }
        } else {
            let s = LabServer::start_at(zones_served, fault, fault_zone, at, transfer).await?;
            let a = s.addr;
            servers.push(s);
            a
        };
        let mut ips = Vec::new();
        if serve_port.is_some() {
            ips.push(IpAddr::V4(serve_address(index)));
        } else {
            for a in *addrs {
                let ip = parse_ip(a)?;
                map.insert(ip, sock);
                ips.push(ip);
            }
        }
        if zone_keys.contains(&"root") {
            root_servers.push(HintServer {
                name: parse_name(name)?,
                addresses: ips,
            });
        }
    }
    if let Some(port) = serve_port {
        return Ok(RunningLab {
            servers,
            hints: RootHints {
                servers: root_servers,
                source: format!("lab serve:{}", scenario.name),
            },
            anchors,
            map: AddressMap::direct(port),
        });
    }
    Ok(RunningLab {
        servers,
        hints: RootHints {
            servers: root_servers,
            source: format!("lab:{}", scenario.name),
        },
        anchors,
        map: if scenario
            .tweaks
            .iter()
            .any(|t| matches!(t, Tweak::NoIpv6Route))
        {
            AddressMap::strict(map).without_ipv6_route()
        } else {
            AddressMap::strict(map)
        },
    })
}

/// Zone keys whose copies are signed with an expired window (a secondary nobody re-signed).
const EXPIRED: &[&str] = &["rev-expired"];
/// Zone keys whose copies are signed with a window that starts tomorrow (a clock ahead).
const FUTURE: &[&str] = &["rev-future"];
/// Zone keys whose copies are not signed at all (a secondary loaded from the unsigned file).
const UNSIGNED_COPIES: &[&str] = &["rev-unsigned"];
/// Zone keys whose DS for a child is for a key the child does not have: (zone key, child).
const WRONG_DS: &[(&str, &str)] = &[
    ("r203-bad-ds", "113.0.203.in-addr.arpa."),
    ("r51-bad-ds", "100.51.198.in-addr.arpa."),
];
/// Zone keys whose copies are signed with another key than the zone's (the key from before a
/// rollover, still on a secondary that stopped transferring).
const OLD_KEY: &[&str] = &["r100-old-key"];

/// Parses every lab zone and signs it (one fresh key per origin; copies of a zone share
/// it), except the origins the scenario leaves unsigned, whose parents then have no DS.
fn signed_zones(
    scenario: &Scenario,
    serving: bool,
) -> Result<
    (
        HashMap<&'static str, Arc<ZoneData>>,
        ptrtrace_core::dnssec::TrustAnchors,
    ),
    LabError,
> {
    let fail = |message: String| LabError::Scenario {
        scenario: scenario.name.into(),
        message,
    };
    let unsigned: Vec<Name> = scenario
        .tweaks
        .iter()
        .filter_map(|t| match t {
            Tweak::Unsigned { zone } => Some(parse_name(zone)),
            _ => None,
        })
        .collect::<Result<_, _>>()?;
    let all = zones::zones();
    let mut keys: HashMap<Name, sign::ZoneKey> = HashMap::new();
    for (_, origin, _) in &all {
        let name = parse_name(origin)?;
        if !unsigned.contains(&name) && !keys.contains_key(&name) {
            keys.insert(name, sign::ZoneKey::generate().map_err(fail)?);
        }
    }
    let mut ds: std::collections::BTreeMap<Name, Vec<hickory_proto::dnssec::rdata::DS>> =
        std::collections::BTreeMap::new();
    for (name, key) in &keys {
        let d = ptrtrace_core::dnssec::ds_of(name, &key.dnskey).map_err(|e| fail(e.to_string()))?;
        ds.insert(name.clone(), vec![d]);
    }
    let now = ptrtrace_core::dnssec::validate::now();
    let mut parsed = HashMap::new();
    for (key, origin, text) in all {
        let text = if serving {
            rewrite_for_serving(&text)
        } else {
            text
        };
        let mut data = ZoneData::parse(origin, &text)?;
        if let Some(zk) = keys.get(&data.origin)
            && !UNSIGNED_COPIES.contains(&key)
        {
            let window = if EXPIRED.contains(&key) {
                sign::Window::expired(now)
            } else if FUTURE.contains(&key) {
                sign::Window::future(now)
            } else {
                sign::Window::current(now)
            };
            let mut child_ds = ds.clone();
            for (k, child) in WRONG_DS {
                if *k == key {
                    let other = sign::ZoneKey::generate().map_err(fail)?;
                    let c = parse_name(child)?;
                    let d = ptrtrace_core::dnssec::ds_of(&c, &other.dnskey)
                        .map_err(|e| fail(e.to_string()))?;
                    child_ds.insert(c, vec![d]);
                }
            }
            if OLD_KEY.contains(&key) {
                let old = sign::ZoneKey::generate().map_err(fail)?;
                data.sign(&old, &child_ds, window).map_err(fail)?;
            } else {
                data.sign(zk, &child_ds, window).map_err(fail)?;
            }
        }
        parsed.insert(key, Arc::new(data));
    }
    let root_ds = ds.get(&Name::root()).cloned().unwrap_or_default();
    let anchors = ptrtrace_core::dnssec::TrustAnchors {
        anchors: root_ds
            .into_iter()
            .map(|d| (Name::root(), ptrtrace_core::dnssec::Anchor::Ds(d)))
            .collect(),
        source: format!("lab:{}", scenario.name),
        assumed: false,
    };
    Ok((parsed, anchors))
}

/// A finding reduced to what scenarios assert: kind, reason, zone, server, address.
pub type FindingKey = (
    String,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
);

/// The [`FindingKey`] of a finding.
#[must_use]
pub fn finding_key(f: &ptrtrace_core::diagnose::Finding) -> FindingKey {
    (
        f.kind.to_string(),
        f.reason.map(|r| r.to_string()),
        f.zone.to_string(),
        f.server.as_ref().map(ToString::to_string),
        f.address.map(|a| a.to_string()),
    )
}

/// The findings of `report` that a scenario's expectations are compared with: every
/// warning and error, plus info findings the scenario names, as [`Expect`]-shaped tuples.
#[must_use]
pub fn observed(
    scenario: &Scenario,
    report: &ptrtrace_core::report::TargetReport,
) -> Vec<FindingKey> {
    let named_info: Vec<&str> = scenario.expect.iter().map(|e| e.kind).collect();
    let mut v: Vec<_> = report
        .diagnosis
        .findings
        .iter()
        .filter(|f| {
            f.severity >= ptrtrace_core::diagnose::Severity::Warning
                || named_info.contains(&f.kind.as_str())
        })
        .map(finding_key)
        .collect();
    v.sort();
    v
}

/// The scenario's expectations in the same shape as [`observed`].
#[must_use]
pub fn expected(scenario: &Scenario) -> Vec<FindingKey> {
    let mut v: Vec<_> = scenario
        .expect
        .iter()
        .map(|e| {
            (
                e.kind.to_string(),
                e.reason.map(str::to_string),
                e.zone.to_string(),
                e.server.map(str::to_string),
                e.address.map(str::to_string),
            )
        })
        .collect();
    v.sort();
    v
}

/// True when the trace produced exactly the scenario's findings and verdict.
#[must_use]
pub fn matches_expectation(
    scenario: &Scenario,
    report: &ptrtrace_core::report::TargetReport,
) -> bool {
    observed(scenario, report) == expected(scenario)
        && report.diagnosis.verdict.as_str() == scenario.verdict
}
