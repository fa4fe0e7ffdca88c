//! The delegation graph: zones, their NS names and those names' addresses, with every probe's
//! evidence hanging on the address it was sent to (docs/architecture.md, layer 6).
//!
//! Node identifiers are stable strings built from names (`zone:…`, `server:…`, `address:…`)
//! and nodes are inserted in sorted order, so JSON and DOT output are byte-stable.

use std::collections::BTreeMap;
use std::net::IpAddr;

use hickory_proto::rr::Name;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use serde::Serialize;

use crate::diagnose::{Diagnosis, Severity};
use crate::dnssec::validate::{Security, ZoneSecurity};
use crate::model::Walk;
use crate::model::finding::FindingKind;

/// The state of one server address as a server of one zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Answered every probe correctly.
    Ok,
    /// Gave a different answer from the other servers of the zone.
    Inconsistent,
    /// Answered some probes and not others.
    Flaky,
    /// Answered, but not as an authoritative server of the zone.
    Lame,
    /// Never answered.
    Unreachable,
    /// Not queried (family disabled, outside the lab, a bound hit).
    Untested,
}

impl Status {
    /// The stable identifier.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Inconsistent => "inconsistent",
            Self::Flaky => "flaky",
            Self::Lame => "lame",
            Self::Unreachable => "unreachable",
            Self::Untested => "untested",
        }
    }
}

/// A node of the graph.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Node {
    /// A zone on some path.
    Zone {
        /// Stable id.
        id: String,
        /// Apex.
        name: Name,
        /// Worst status of its addresses.
        status: Status,
        /// DNSSEC: secure, insecure, bogus or indeterminate (absent with `--no-dnssec`).
        #[serde(skip_serializing_if = "Option::is_none")]
        dnssec: Option<Security>,
    },
    /// An NS name as a server of a zone.
    Server {
        /// Stable id.
        id: String,
        /// Zone.
        zone: Name,
        /// NS name.
        name: Name,
        /// Worst status of its addresses.
        status: Status,
        /// DNSSEC: bogus when any of its addresses is.
        #[serde(skip_serializing_if = "Option::is_none")]
        dnssec: Option<Security>,
    },
    /// An address of an NS name, as a server of a zone.
    Address {
        /// Stable id.
        id: String,
        /// Zone.
        zone: Name,
        /// NS name.
        server: Name,
        /// The address.
        address: IpAddr,
        /// How it behaved.
        status: Status,
        /// DNSSEC: whether its own replies validate (the zone's state when not signed).
        #[serde(skip_serializing_if = "Option::is_none")]
        dnssec: Option<Security>,
        /// Indexes into the walk's probes sent to it for this zone.
        probes: Vec<usize>,
    },
}

impl Node {
    /// The node's stable id.
    #[must_use]
    pub fn id(&self) -> &str {
        match self {
            Self::Zone { id, .. } | Self::Server { id, .. } | Self::Address { id, .. } => id,
        }
    }
    /// The node's DNSSEC state (None when DNSSEC was not checked or not judged here).
    #[must_use]
    pub fn dnssec(&self) -> Option<Security> {
        match self {
            Self::Zone { dnssec, .. }
            | Self::Server { dnssec, .. }
            | Self::Address { dnssec, .. } => *dnssec,
        }
    }
    /// The node's status.
    #[must_use]
    pub fn status(&self) -> Status {
        match self {
            Self::Zone { status, .. }
            | Self::Server { status, .. }
            | Self::Address { status, .. } => *status,
        }
    }
}

/// An edge of the graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeKind {
    /// Parent zone → child zone.
    Delegation,
    /// Zone → its NS name.
    Nameserver,
    /// NS name → its address.
    Address,
}

/// The graph of one trace.
#[derive(Debug, Clone)]
pub struct TraceGraph {
    /// The petgraph model.
    pub graph: DiGraph<Node, EdgeKind>,
    zones: BTreeMap<Name, NodeIndex>,
}

/// The status of one address as a server of one zone: the worst of the findings that name
/// it — by address, by server name when the finding names no address (a server with two
/// addresses that is the odd one out), or as one side of a split without a majority.
fn status_from_findings(diag: &Diagnosis, zone: &Name, server: &Name, ip: IpAddr) -> Status {
    let mut st = Status::Ok;
    for f in &diag.findings {
        let names_it = match (&f.server, f.address) {
            (Some(s), Some(a)) => s == server && a == ip,
            (Some(s), None) => s == server,
            (None, _) => f.involved.iter().any(|(s, a)| s == server && *a == ip),
        };
        if f.severity < Severity::Warning || f.zone != *zone || !names_it {
            continue;
        }
        let s = match f.kind {
            FindingKind::Unreachable => Status::Unreachable,
            FindingKind::Lame => Status::Lame,
            FindingKind::Flaky | FindingKind::Slow => Status::Flaky,
            FindingKind::InconsistentAnswer => Status::Inconsistent,
            // Findings that do not mark one server address in the graph.
            FindingKind::TcpFailed
            | FindingKind::EdnsFailed
            | FindingKind::InconsistentSerial
            | FindingKind::NsMismatch
            | FindingKind::GlueMismatch
            | FindingKind::MissingGlue
            | FindingKind::NsUnresolvable
            | FindingKind::NoReachableServer
            | FindingKind::PtrMissing
            | FindingKind::ClasslessDelegation
            | FindingKind::CnameLoop
            | FindingKind::MultiplePtr
            | FindingKind::GenericPtr
            | FindingKind::HeloMismatch
            | FindingKind::FcrdnsFailed
            | FindingKind::LocalError
            | FindingKind::LimitExceeded
            | FindingKind::Untested
            | FindingKind::DnssecBogus
            | FindingKind::DnssecInsecure
            | FindingKind::RateLimited => continue,
        };
        st = st.max(s);
    }
    st
}

/// zone → server → address → the indexes of its probes.
type Tree = BTreeMap<Name, BTreeMap<Name, BTreeMap<IpAddr, Vec<usize>>>>;

/// Every zone's servers and addresses: those its delegations and glue (or the separate
/// resolution of a glueless name) give, and those probed, with their probes.
fn tree(walk: &Walk) -> Tree {
    let mut tree = Tree::new();
    for (name, z) in &walk.zones {
        let servers = tree.entry(name.clone()).or_default();
        for (ns, glue) in &z.ns {
            let addrs = servers.entry(ns.clone()).or_default();
            for ip in glue {
                addrs.entry(*ip).or_default();
            }
            if let Some(res) = walk.resolved_ns.get(ns)
                && glue.is_empty()
            {
                for ip in res {
                    addrs.entry(*ip).or_default();
                }
            }
        }
    }
    for (i, p) in walk.probes.iter().enumerate() {
        tree.entry(p.zone.clone())
            .or_default()
            .entry(p.server.clone())
            .or_default()
            .entry(p.address)
            .or_default()
            .push(i);
    }
    tree
}

/// One address's DNSSEC state: signed zones judge each address; unsigned ones pass their
/// state down.
fn address_security(z: &ZoneSecurity, server: &Name, ip: IpAddr) -> Option<Security> {
    if matches!(z.status, Security::Secure | Security::Bogus) {
        z.servers
            .iter()
            .find(|s| s.server == *server && s.address == ip)
            .map(|s| s.status)
    } else {
        Some(z.status)
    }
}

impl TraceGraph {
    /// Builds the graph of `walk`, with statuses from `diag`.
    #[must_use]
    pub fn build(walk: &Walk, diag: &Diagnosis) -> Self {
        let mut graph = DiGraph::new();
        let mut zones = BTreeMap::new();
        let tree = tree(walk);
        let sec_zone = |zone: &Name| {
            diag.dnssec
                .as_ref()
                .and_then(|d| d.zones.iter().find(|z| z.zone == *zone))
        };
        for (zone, servers) in &tree {
            let zsec = sec_zone(zone);
            let zi = graph.add_node(Node::Zone {
                id: format!("zone:{zone}"),
                name: zone.clone(),
                status: Status::Ok,
                dnssec: zsec.map(|z| z.status),
            });
            zones.insert(zone.clone(), zi);
            let mut zone_status = Status::Ok;
            for (server, addrs) in servers {
                let si = graph.add_node(Node::Server {
                    id: format!("server:{zone}|{server}"),
                    zone: zone.clone(),
                    name: server.clone(),
                    status: Status::Ok,
                    dnssec: None,
                });
                let mut server_sec: Option<Security> = None;
                graph.add_edge(zi, si, EdgeKind::Nameserver);
                let mut server_status = if addrs.is_empty() {
                    Status::Untested
                } else {
                    Status::Ok
                };
                for (ip, probes) in addrs {
                    let tested = probes.iter().any(|&i| !walk.probes[i].class.is_untested());
                    let status = if !tested {
                        Status::Untested
                    } else {
                        status_from_findings(diag, zone, server, *ip)
                    };
                    if status != Status::Untested {
                        server_status = if server_status == Status::Untested {
                            status
                        } else {
                            server_status.max(status)
                        };
                    }
                    let sec = zsec.and_then(|z| address_security(z, server, *ip));
                    if let Some(s) = sec {
                        server_sec = Some(server_sec.map_or(s, |x| x.max(s)));
                    }
                    let ai = graph.add_node(Node::Address {
                        id: format!("address:{zone}|{server}|{ip}"),
                        zone: zone.clone(),
                        server: server.clone(),
                        address: *ip,
                        status,
                        dnssec: sec,
                        probes: probes.clone(),
                    });
                    graph.add_edge(si, ai, EdgeKind::Address);
                }
                if let Node::Server { status, dnssec, .. } = &mut graph[si] {
                    *status = server_status;
                    *dnssec = server_sec;
                }
                if server_status != Status::Untested {
                    zone_status = zone_status.max(server_status);
                }
                // A server whose DNSSEC data fails validation fails validating resolvers like
                // a lame one: the zone is marked as with a lame server (its addresses keep
                // their own status and carry the DNSSEC mark).
                if server_sec == Some(Security::Bogus) {
                    zone_status = zone_status.max(Status::Lame);
                }
            }
            if let Node::Zone { status, .. } = &mut graph[zi] {
                *status = zone_status;
            }
        }
        for (name, z) in &walk.zones {
            if let (Some(parent), Some(&ci)) = (&z.parent, zones.get(name))
                && let Some(&pi) = zones.get(parent)
            {
                graph.add_edge(pi, ci, EdgeKind::Delegation);
            }
        }
        Self { graph, zones }
    }

    /// Zones in tree order from the root (depth-first, children sorted), with their depth.
    #[must_use]
    pub fn zones_in_order(&self) -> Vec<(NodeIndex, usize)> {
        let mut out = Vec::new();
        let Some(&root) = self.zones.get(&Name::root()) else {
            return out;
        };
        let mut stack = vec![(root, 0usize)];
        while let Some((n, depth)) = stack.pop() {
            if out.iter().any(|(x, _)| *x == n) {
                continue;
            }
            out.push((n, depth));
            let mut kids: Vec<NodeIndex> = self
                .graph
                .edges(n)
                .filter(|e| *e.weight() == EdgeKind::Delegation)
                .map(|e| e.target())
                .collect();
            kids.sort_by(|a, b| self.graph[*b].id().cmp(self.graph[*a].id()));
            for k in kids {
                stack.push((k, depth + 1));
            }
        }
        out
    }

    /// Children of `n` reached by edges of `kind`, sorted by id.
    #[must_use]
    pub fn children(&self, n: NodeIndex, kind: EdgeKind) -> Vec<NodeIndex> {
        let mut v: Vec<NodeIndex> = self
            .graph
            .edges(n)
            .filter(|e| *e.weight() == kind)
            .map(|e| e.target())
            .collect();
        v.sort_by(|a, b| self.graph[*a].id().cmp(self.graph[*b].id()));
        v
    }

    /// Every node sorted by id, and every edge as (from id, to id, kind), sorted.
    #[must_use]
    pub fn export(&self) -> (Vec<&Node>, Vec<(String, String, EdgeKind)>) {
        let mut nodes: Vec<&Node> = self.graph.node_weights().collect();
        nodes.sort_by(|a, b| a.id().cmp(b.id()));
        let mut edges: Vec<(String, String, EdgeKind)> = self
            .graph
            .edge_references()
            .map(|e| {
                (
                    self.graph[e.source()].id().to_string(),
                    self.graph[e.target()].id().to_string(),
                    *e.weight(),
                )
            })
            .collect();
        edges.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        (nodes, edges)
    }
}
