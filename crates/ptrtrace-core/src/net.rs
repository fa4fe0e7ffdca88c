//! One query to one server address: the transport of the tracer.
//!
//! Every function here sends exactly one DNS message and returns one [`Attempt`], so the walker
//! decides on retries and TCP fallback and every decision shows in the evidence (docs/design.md §4).
//! Server misbehaviour is data ([`Outcome`]), never `Err`.
//!
//! Matching (RFC 5452 §9.1 and RFC 1035 §7.3): the UDP socket is connected to the server, so the
//! kernel drops datagrams from any other address or port; of what arrives, a reply whose ID,
//! QR bit or question does not match the query is discarded and counted, and the attempt keeps
//! waiting for the real reply until its deadline. The query ID is random and the source port is
//! the kernel's random ephemeral port. A connected socket also reports ICMP port-unreachable
//! (`ECONNREFUSED`), which is told apart from a timeout.
//!
//! TCP (RFC 7766 §8, RFC 1035 §4.2.2): two-byte length prefix; connect, write and read all
//! share the one per-attempt deadline, so a server that accepts and stalls costs one timeout.
//!
//! [`axfr`] is the one exchange of several messages: a zone transfer (RFC 5936), bounded in
//! time, records and bytes.

mod axfr;

pub use axfr::{
    MAX_TRANSFER_BYTES, MAX_TRANSFER_RECORDS, TRANSFER_TIMEOUTS, TransferError, Transferred, axfr,
};

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use hickory_proto::op::{Edns, Message, MessageType, Query};
use hickory_proto::rr::{Name, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

use crate::model::LocalKind;
pub use crate::model::reply::Transport;
use crate::model::reply::{Rcode, record_text};
use crate::model::walk::{AttemptRecord, AttemptStatus};

/// What came back from one attempt.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// A reply that matches the query.
    Reply(Box<Message>),
    /// Nothing usable arrived before the deadline.
    Timeout,
    /// The network said no: ICMP port or host unreachable, or a refused TCP connection.
    Unreachable(String),
    /// A reply arrived but could not be decoded, or a TCP reply did not match the query.
    Malformed(String),
    /// The query was not sent (address outside the lab, socket error).
    NotSent(String),
    /// This host has no route to the address's family (no IPv6 connectivity is common): the
    /// server cannot be judged from here.
    NoRoute(String),
    /// This host failed (too many open files, no buffer space): no evidence about any
    /// server, and the walk stops (docs/findings.md `local_error`).
    Local(LocalKind, String),
}

/// One query to one address and what happened.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// UDP or TCP.
    pub transport: Transport,
    /// Time from send to the matching reply (or to giving up).
    pub rtt: Duration,
    /// The result.
    pub outcome: Outcome,
    /// Replies that arrived but were discarded as not matching (wrong ID or question).
    pub mismatched: u32,
    /// Size of the accepted reply in bytes (0 when none).
    pub bytes: usize,
}

/// The question and the options of one query.
#[derive(Debug, Clone)]
pub struct QuerySpec {
    /// The name asked for.
    pub name: Name,
    /// The record type asked for.
    pub qtype: RecordType,
    /// EDNS(0) UDP payload size to advertise; `None` sends a plain query.
    pub edns_payload: Option<u16>,
    /// Set the EDNS DO bit (RFC 3225): ask for RRSIGs and denial proofs.
    pub dnssec_ok: bool,
}

/// Where packets for a server address really go.
///
/// In normal use a server address `ip` is reached at `ip:port` (port 53). The lab maps the
/// documentation addresses its zone data names onto loopback sockets; a *strict* map refuses to
/// send anything to an address it does not list, so a lab run can never leak a packet onto a
/// real network whatever the zone data says.
#[derive(Debug, Clone, Default)]
pub struct AddressMap {
    map: HashMap<IpAddr, SocketAddr>,
    strict: bool,
    port: u16,
    no_route_v6: bool,
}

impl AddressMap {
    /// Servers are reached at their own address on `port` (53 for real DNS).
    #[must_use]
    pub fn direct(port: u16) -> Self {
        Self {
            map: HashMap::new(),
            strict: false,
            port,
            no_route_v6: false,
        }
    }

    /// Only the listed addresses are reachable; everything else is never sent.
    #[must_use]
    pub fn strict(map: HashMap<IpAddr, SocketAddr>) -> Self {
        Self {
            map,
            strict: true,
            port: 53,
            no_route_v6: false,
        }
    }

    /// The DNS port servers are asked on (53, or `--port`; 53 for the lab's map, whose
    /// servers stand for real ones).
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Simulates a host without IPv6 connectivity (for the lab): IPv6 addresses get
    /// [`Outcome::NoRoute`].
    #[must_use]
    pub fn without_ipv6_route(mut self) -> Self {
        self.no_route_v6 = true;
        self
    }

    /// The socket a server address is reached at, or why it is not.
    ///
    /// # Errors
    /// [`Outcome::NotSent`] when the map is strict and does not list `ip`;
    /// [`Outcome::NoRoute`] for IPv6 when simulating a host without IPv6.
    pub fn resolve(&self, ip: IpAddr) -> Result<SocketAddr, Outcome> {
        if self.no_route_v6 && ip.is_ipv6() {
            return Err(Outcome::NoRoute("no IPv6 route (simulated)".into()));
        }
        if let Some(sa) = self.map.get(&ip) {
            return Ok(*sa);
        }
        if self.strict {
            return Err(Outcome::NotSent(format!(
                "{ip} is not a lab address; nothing was sent"
            )));
        }
        Ok(SocketAddr::new(ip, self.port))
    }

    /// True when this map only reaches lab sockets.
    #[must_use]
    pub fn is_strict(&self) -> bool {
        self.strict
    }
}

/// Builds the query message: random ID, RD=0, one question, EDNS(0) if asked.
#[must_use]
pub fn build_query(spec: &QuerySpec) -> Message {
    let mut msg = Message::query();
    msg.metadata.recursion_desired = false;
    msg.add_query(Query::query(spec.name.clone(), spec.qtype));
    if let Some(payload) = spec.edns_payload {
        let mut edns = Edns::new();
        edns.set_max_payload(payload);
        edns.set_dnssec_ok(spec.dnssec_ok);
        msg.set_edns(edns);
    }
    msg
}

/// Why a decoded message is not the reply to `query`, or `None` when it is.
#[must_use]
pub fn mismatch(query: &Message, reply: &Message) -> Option<&'static str> {
    if reply.metadata.id != query.metadata.id {
        return Some("ID differs");
    }
    if reply.metadata.message_type != MessageType::Response {
        return Some("not a response (QR=0)");
    }
    let (Some(q), Some(r)) = (query.queries.first(), reply.queries.first()) else {
        return Some("no question section");
    };
    if reply.queries.len() != 1
        || r.query_type() != q.query_type()
        || r.query_class() != q.query_class()
        || r.name() != q.name()
    {
        return Some("question differs");
    }
    None
}

/// An error while setting up or sending: a local routing failure means "cannot test from
/// here", not "the server is down".
pub(crate) fn send_outcome(e: &std::io::Error) -> Outcome {
    use std::io::ErrorKind as K;
    if let Some(kind) = LocalKind::of(e) {
        return Outcome::Local(kind, e.to_string());
    }
    match e.kind() {
        K::NetworkUnreachable | K::AddrNotAvailable | K::Unsupported => {
            Outcome::NoRoute(format!("this host cannot send there ({e})"))
        }
        _ if e.raw_os_error() == Some(97) => {
            // EAFNOSUPPORT: the address family (IPv6) is disabled on this host.
            Outcome::NoRoute(format!("address family not supported here ({e})"))
        }
        _ => io_outcome(e),
    }
}

fn io_outcome(e: &std::io::Error) -> Outcome {
    use std::io::ErrorKind as K;
    if let Some(kind) = LocalKind::of(e) {
        return Outcome::Local(kind, e.to_string());
    }
    match e.kind() {
        K::ConnectionRefused => Outcome::Unreachable("port unreachable (ICMP) / refused".into()),
        K::HostUnreachable | K::NetworkUnreachable => {
            Outcome::Unreachable(format!("no route ({e})"))
        }
        _ => Outcome::NotSent(e.to_string()),
    }
}

fn local_for(target: SocketAddr) -> SocketAddr {
    match target {
        SocketAddr::V4(_) => SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
        SocketAddr::V6(_) => SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0),
    }
}

/// Sends one query over UDP to `server` and waits up to `timeout` for the matching reply.
pub async fn udp_attempt(
    map: &AddressMap,
    server: IpAddr,
    spec: &QuerySpec,
    timeout: Duration,
) -> Attempt {
    let start = Instant::now();
    let done = |outcome, mismatched, bytes| Attempt {
        transport: Transport::Udp,
        rtt: start.elapsed(),
        outcome,
        mismatched,
        bytes,
    };
    let target = match map.resolve(server) {
        Ok(t) => t,
        Err(outcome) => return done(outcome, 0, 0),
    };
    let query = build_query(spec);
    let wire = match query.to_vec() {
        Ok(w) => w,
        Err(e) => return done(Outcome::NotSent(format!("cannot encode query: {e}")), 0, 0),
    };
    let sock = match UdpSocket::bind(local_for(target)).await {
        Ok(s) => s,
        Err(e) => return done(send_outcome(&e), 0, 0),
    };
    if let Err(e) = sock.connect(target).await {
        return done(send_outcome(&e), 0, 0);
    }
    if let Err(e) = sock.send(&wire).await {
        return done(send_outcome(&e), 0, 0);
    }
    let deadline = tokio::time::Instant::now() + timeout;
    let mut buf = vec![0u8; 65_535];
    let mut mismatched = 0;
    let mut malformed: Option<String> = None;
    loop {
        match tokio::time::timeout_at(deadline, sock.recv(&mut buf)).await {
            Err(_) => {
                let outcome = malformed.map_or(Outcome::Timeout, Outcome::Malformed);
                return done(outcome, mismatched, 0);
            }
            Ok(Err(e)) => return done(io_outcome(&e), mismatched, 0),
            Ok(Ok(n)) => {
                let data = &buf[..n];
                match Message::from_vec(data) {
                    Ok(reply) => match mismatch(&query, &reply) {
                        None => return done(Outcome::Reply(Box::new(reply)), mismatched, n),
                        Some(_) => mismatched += 1,
                    },
                    Err(e) => {
                        // Only a datagram carrying our ID can be a broken reply to us;
                        // anything else is noise. Either way keep waiting for the real one.
                        if n >= 2 && u16::from_be_bytes([data[0], data[1]]) == query.metadata.id {
                            malformed = Some(format!("undecodable reply ({n} bytes): {e}"));
                        } else {
                            mismatched += 1;
                        }
                    }
                }
            }
        }
    }
}

/// `wire` behind its two-byte length (RFC 1035 §4.2.2), or None when it is too long for one.
#[must_use]
pub fn framed(wire: &[u8]) -> Option<Vec<u8>> {
    let len = u16::try_from(wire.len()).ok()?;
    let mut out = Vec::with_capacity(wire.len() + 2);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(wire);
    Some(out)
}

/// Why a length-prefixed message could not be read.
pub(crate) enum FrameError {
    /// The stream ended (or failed) before the length.
    Closed(std::io::Error),
    /// The stream ended (or failed) inside the message.
    Cut(std::io::Error),
}

/// Reads one length-prefixed DNS message from a TCP stream (RFC 1035 §4.2.2).
pub(crate) async fn read_frame(stream: &mut TcpStream) -> Result<Vec<u8>, FrameError> {
    let mut lenbuf = [0u8; 2];
    stream
        .read_exact(&mut lenbuf)
        .await
        .map_err(FrameError::Closed)?;
    let mut body = vec![0u8; usize::from(u16::from_be_bytes(lenbuf))];
    stream
        .read_exact(&mut body)
        .await
        .map_err(FrameError::Cut)?;
    Ok(body)
}

/// Sends one query over TCP (RFC 7766) and reads one reply, all within `timeout`.
pub async fn tcp_attempt(
    map: &AddressMap,
    server: IpAddr,
    spec: &QuerySpec,
    timeout: Duration,
) -> Attempt {
    let start = Instant::now();
    let done = |outcome, bytes| Attempt {
        transport: Transport::Tcp,
        rtt: start.elapsed(),
        outcome,
        mismatched: 0,
        bytes,
    };
    let target = match map.resolve(server) {
        Ok(t) => t,
        Err(outcome) => return done(outcome, 0),
    };
    let query = build_query(spec);
    let wire = match query.to_vec() {
        Ok(w) => w,
        Err(e) => return done(Outcome::NotSent(format!("cannot encode query: {e}")), 0),
    };
    let exchange = async {
        let mut stream = TcpStream::connect(target)
            .await
            .map_err(|e| send_outcome(&e))?;
        let framed = framed(&wire).ok_or_else(|| Outcome::NotSent("query too large".into()))?;
        stream
            .write_all(&framed)
            .await
            .map_err(|e| Outcome::Unreachable(format!("TCP write failed: {e}")))?;
        let body = read_frame(&mut stream).await.map_err(|e| match e {
            FrameError::Closed(e) => {
                Outcome::Malformed(format!("TCP connection closed before a reply: {e}"))
            }
            FrameError::Cut(e) => Outcome::Malformed(format!("TCP reply cut short: {e}")),
        })?;
        let n = body.len();
        let reply = Message::from_vec(&body)
            .map_err(|e| Outcome::Malformed(format!("undecodable reply ({n} bytes): {e}")))?;
        if let Some(why) = mismatch(&query, &reply) {
            return Err(Outcome::Malformed(format!(
                "TCP reply does not match the query: {why}"
            )));
        }
        Ok((reply, n))
    };
    match tokio::time::timeout(timeout, exchange).await {
        Err(_) => done(Outcome::Timeout, 0),
        Ok(Err(outcome)) => done(outcome, 0),
        Ok(Ok((reply, n))) => done(Outcome::Reply(Box::new(reply)), n),
    }
}

impl Attempt {
    /// This attempt as evidence (the records in master-file form).
    #[must_use]
    pub fn record(&self) -> AttemptRecord {
        let a = self;
        let mut rec = AttemptRecord {
            transport: a.transport,
            rtt_ms: (a.rtt.as_secs_f64() * 1000.0 * 10.0).round() / 10.0,
            status: AttemptStatus::Reply,
            detail: None,
            rcode: None,
            aa: false,
            tc: false,
            answer: Vec::new(),
            authority: Vec::new(),
            additional: Vec::new(),
            mismatched: a.mismatched,
            bytes: a.bytes,
        };
        match &a.outcome {
            Outcome::Reply(m) => {
                rec.rcode = Some(Rcode::of(m.metadata.response_code));
                rec.aa = m.metadata.authoritative;
                rec.tc = m.metadata.truncation;
                rec.answer = m.answers.iter().map(record_text).collect();
                rec.authority = m.authorities.iter().map(record_text).collect();
                rec.additional = m.additionals.iter().map(record_text).collect();
            }
            Outcome::Timeout => rec.status = AttemptStatus::Timeout,
            Outcome::Unreachable(d) => {
                rec.status = AttemptStatus::Unreachable;
                rec.detail = Some(d.clone());
            }
            Outcome::Malformed(d) => {
                rec.status = AttemptStatus::Malformed;
                rec.detail = Some(d.clone());
            }
            Outcome::NotSent(d) => {
                rec.status = AttemptStatus::NotSent;
                rec.detail = Some(d.clone());
            }
            Outcome::NoRoute(d) => {
                rec.status = AttemptStatus::NoRoute;
                rec.detail = Some(d.clone());
            }
            Outcome::Local(kind, d) => {
                rec.status = AttemptStatus::LocalError;
                rec.detail = Some(format!("{}: {d}", kind.as_str()));
            }
        }
        rec
    }
}
