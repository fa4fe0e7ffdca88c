//! The transport over real loopback sockets: reply matching, ICMP vs timeout, TCP bounds.

// A test fails by panicking: unwrap and expect are how it says so.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use hickory_proto::op::{Message, MessageType, Query};
use hickory_proto::rr::{Name, RecordType};
use ptrtrace_core::net::{AddressMap, Outcome, QuerySpec, tcp_attempt, udp_attempt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};

const LAB_IP: &str = "192.0.2.1";

fn spec() -> QuerySpec {
    QuerySpec {
        name: Name::from_ascii("25.113.0.203.in-addr.arpa.").unwrap(),
        qtype: RecordType::PTR,
        edns_payload: Some(1232),
        dnssec_ok: false,
    }
}

fn map_to(sock: SocketAddr) -> (AddressMap, IpAddr) {
    let ip: IpAddr = LAB_IP.parse().unwrap();
    (AddressMap::strict(HashMap::from([(ip, sock)])), ip)
}

fn reply_to(q: &Message, id: u16, name: &str) -> Vec<u8> {
    let mut m = Message::new(id, MessageType::Response, q.metadata.op_code);
    m.add_query(Query::query(
        Name::from_ascii(name).unwrap(),
        RecordType::PTR,
    ));
    m.metadata.authoritative = true;
    m.to_vec().unwrap()
}

#[tokio::test]
async fn query_has_rd0_edns_1232_and_random_id() {
    let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let (map, ip) = map_to(server.local_addr().unwrap());
    let mut ids = Vec::new();
    for _ in 0..4 {
        let s = spec();
        let m2 = map.clone();
        let client =
            tokio::spawn(async move { udp_attempt(&m2, ip, &s, Duration::from_millis(300)).await });
        let mut buf = [0u8; 2048];
        let (n, _) = server.recv_from(&mut buf).await.unwrap();
        let q = Message::from_vec(&buf[..n]).unwrap();
        assert!(!q.metadata.recursion_desired);
        assert_eq!(q.edns.as_ref().map(|e| e.max_payload()), Some(1232));
        ids.push(q.metadata.id);
        let _ = client.await;
    }
    ids.sort_unstable();
    ids.dedup();
    assert!(ids.len() > 1, "query IDs must vary: {ids:?}");
}

/// Spoofed-looking replies (wrong ID, wrong question, garbage) are discarded and counted;
/// the real reply that follows is still accepted.
#[tokio::test]
async fn mismatched_replies_are_ignored_and_the_real_one_accepted() {
    let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let (map, ip) = map_to(server.local_addr().unwrap());
    let s = spec();
    let client =
        tokio::spawn(async move { udp_attempt(&map, ip, &s, Duration::from_secs(2)).await });
    let mut buf = [0u8; 2048];
    let (n, peer) = server.recv_from(&mut buf).await.unwrap();
    let q = Message::from_vec(&buf[..n]).unwrap();
    let id = q.metadata.id;
    server
        .send_to(
            &reply_to(&q, id.wrapping_add(1), "25.113.0.203.in-addr.arpa."),
            peer,
        )
        .await
        .unwrap();
    server
        .send_to(&reply_to(&q, id, "26.113.0.203.in-addr.arpa."), peer)
        .await
        .unwrap();
    let mut garbage = (!id).to_be_bytes().to_vec();
    garbage.extend_from_slice(b" garbage");
    server.send_to(&garbage, peer).await.unwrap();
    // Garbage carrying our ID is remembered as a malformed reply, but the real one still wins.
    let mut ours = id.to_be_bytes().to_vec();
    ours.extend_from_slice(b"\x80");
    server.send_to(&ours, peer).await.unwrap();
    server
        .send_to(&reply_to(&q, id, "25.113.0.203.in-addr.arpa."), peer)
        .await
        .unwrap();
    let a = client.await.unwrap();
    assert!(matches!(a.outcome, Outcome::Reply(_)), "{:?}", a.outcome);
    assert_eq!(a.mismatched, 3);
}

/// A reply from another source port never reaches the connected socket: it is not believed.
#[tokio::test]
async fn reply_from_another_port_is_not_believed() {
    let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let other = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let (map, ip) = map_to(server.local_addr().unwrap());
    let s = spec();
    let client =
        tokio::spawn(async move { udp_attempt(&map, ip, &s, Duration::from_millis(400)).await });
    let mut buf = [0u8; 2048];
    let (n, peer) = server.recv_from(&mut buf).await.unwrap();
    let q = Message::from_vec(&buf[..n]).unwrap();
    other
        .send_to(
            &reply_to(&q, q.metadata.id, "25.113.0.203.in-addr.arpa."),
            peer,
        )
        .await
        .unwrap();
    let a = client.await.unwrap();
    assert!(matches!(a.outcome, Outcome::Timeout), "{:?}", a.outcome);
}

#[tokio::test]
async fn closed_port_is_unreachable_not_timeout() {
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = sock.local_addr().unwrap();
    drop(sock);
    let (map, ip) = map_to(addr);
    let start = Instant::now();
    let a = udp_attempt(&map, ip, &spec(), Duration::from_secs(5)).await;
    assert!(
        matches!(a.outcome, Outcome::Unreachable(_)),
        "{:?}",
        a.outcome
    );
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "ICMP must end the attempt early"
    );
    let t = tcp_attempt(&map, ip, &spec(), Duration::from_secs(5)).await;
    assert!(
        matches!(t.outcome, Outcome::Unreachable(_)),
        "{:?}",
        t.outcome
    );
}

#[tokio::test]
async fn strict_map_refuses_unknown_addresses_without_sending() {
    let map = AddressMap::strict(HashMap::new());
    let a = udp_attempt(
        &map,
        "198.41.0.4".parse().unwrap(),
        &spec(),
        Duration::from_millis(100),
    )
    .await;
    match a.outcome {
        Outcome::NotSent(why) => assert!(why.contains("not a lab address"), "{why}"),
        o => panic!("{o:?}"),
    }
}

/// A TCP server that accepts and then says nothing, or sends a length prefix and stalls,
/// costs one timeout.
#[tokio::test]
async fn tcp_stalls_cost_one_timeout() {
    for send_prefix in [false, true] {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let (map, ip) = map_to(listener.local_addr().unwrap());
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 512];
            let _ = s.read(&mut buf).await;
            if send_prefix {
                let _ = s.write_all(&[0x01, 0x00]).await;
            }
            tokio::time::sleep(Duration::from_secs(10)).await;
        });
        let start = Instant::now();
        let a = tcp_attempt(&map, ip, &spec(), Duration::from_millis(300)).await;
        assert!(matches!(a.outcome, Outcome::Timeout), "{:?}", a.outcome);
        assert!(start.elapsed() < Duration::from_secs(3));
    }
}

#[tokio::test]
async fn tcp_reply_is_read_and_matched() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (map, ip) = map_to(listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut len = [0u8; 2];
        s.read_exact(&mut len).await.unwrap();
        let mut body = vec![0u8; usize::from(u16::from_be_bytes(len))];
        s.read_exact(&mut body).await.unwrap();
        let q = Message::from_vec(&body).unwrap();
        let r = reply_to(&q, q.metadata.id, "25.113.0.203.in-addr.arpa.");
        let mut out = u16::try_from(r.len()).unwrap().to_be_bytes().to_vec();
        out.extend_from_slice(&r);
        s.write_all(&out).await.unwrap();
    });
    let a = tcp_attempt(&map, ip, &spec(), Duration::from_secs(2)).await;
    assert!(matches!(a.outcome, Outcome::Reply(_)), "{:?}", a.outcome);
}
