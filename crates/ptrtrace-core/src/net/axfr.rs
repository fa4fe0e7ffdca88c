//! A zone transfer (AXFR, RFC 5936) from one server address over TCP: the query, then
//! length-prefixed messages until the closing SOA (RFC 5936 §2.2).
//!
//! Bounded like everything else: every read waits at most the per-attempt timeout, the whole
//! transfer at most [`TRANSFER_TIMEOUTS`] of them, and it stops at [`MAX_TRANSFER_RECORDS`]
//! records or [`MAX_TRANSFER_BYTES`] bytes. A refusal (REFUSED, NOTAUTH, any other RCODE), a
//! closed connection or a broken stream is a [`TransferError`]: the caller falls back to
//! asking questions, so nothing here is a finding.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use hickory_proto::op::{Message, MessageType, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::{AddressMap, Outcome};

/// Most records one transfer may hold (a /16 reverse zone with DNSSEC is about 200 000).
pub const MAX_TRANSFER_RECORDS: usize = 500_000;
/// Most bytes one transfer may read.
pub const MAX_TRANSFER_BYTES: usize = 64 << 20;
/// A whole transfer's deadline, in per-attempt timeouts.
pub const TRANSFER_TIMEOUTS: u32 = 10;

/// A finished transfer: the zone's records in the order received (the opening SOA first, the
/// closing SOA not repeated), and what it cost.
#[derive(Debug, Clone)]
pub struct Transferred {
    /// Every record, RRSIGs and NSEC/NSEC3 included.
    pub records: Vec<Record>,
    /// The serial of the opening SOA.
    pub serial: u32,
    /// Bytes read.
    pub bytes: usize,
    /// Time from connect to the closing SOA.
    pub elapsed: Duration,
}

/// Why a transfer did not give a zone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransferError {
    /// The server answered with an error RCODE (REFUSED and NOTAUTH are how servers say no).
    #[error("refused ({0})")]
    Refused(String),
    /// The connection could not be made, or closed or stalled before the closing SOA.
    #[error("{0}")]
    Failed(String),
    /// The stream broke the protocol (no SOA first, a wrong ID, undecodable).
    #[error("malformed transfer: {0}")]
    Malformed(String),
    /// A bound of this module was reached.
    #[error("transfer too large: {0}")]
    TooLarge(String),
}

fn outcome_text(o: &Outcome) -> String {
    match o {
        Outcome::Timeout => "timeout".into(),
        Outcome::Reply(_) => "reply".into(),
        Outcome::Unreachable(d)
        | Outcome::Malformed(d)
        | Outcome::NotSent(d)
        | Outcome::NoRoute(d)
        | Outcome::Local(_, d) => d.clone(),
    }
}

/// Transfers `zone` from `server` (RFC 5936), within the bounds of this module.
///
/// # Errors
/// [`TransferError`] when the server refuses, the stream fails or breaks the protocol, or a
/// bound is reached.
pub async fn axfr(
    map: &AddressMap,
    server: IpAddr,
    zone: &Name,
    timeout: Duration,
) -> Result<Transferred, TransferError> {
    let start = Instant::now();
    let target = map
        .resolve(server)
        .map_err(|o| TransferError::Failed(outcome_text(&o)))?;
    let mut query = Message::query();
    query.metadata.recursion_desired = false;
    query.add_query(Query::query(zone.clone(), RecordType::AXFR));
    let wire = query
        .to_vec()
        .map_err(|e| TransferError::Failed(format!("cannot encode query: {e}")))?;
    let whole = timeout * TRANSFER_TIMEOUTS;
    let run = async {
        let mut stream = tokio::time::timeout(timeout, TcpStream::connect(target))
            .await
            .map_err(|_| TransferError::Failed("connect timed out".into()))?
            .map_err(|e| TransferError::Failed(outcome_text(&super::send_outcome(&e))))?;
        let framed =
            super::framed(&wire).ok_or_else(|| TransferError::Failed("query too large".into()))?;
        stream
            .write_all(&framed)
            .await
            .map_err(|e| TransferError::Failed(format!("TCP write failed: {e}")))?;
        let mut reader = Reader {
            zone,
            id: query.metadata.id,
            records: Vec::new(),
            serial: None,
            bytes: 0,
            first: true,
        };
        loop {
            let msg = read_message(&mut stream, timeout, &mut reader.bytes).await?;
            if reader.take(msg)? {
                break;
            }
        }
        let serial = reader.serial.unwrap_or(0);
        Ok(Transferred {
            records: reader.records,
            serial,
            bytes: reader.bytes,
            elapsed: start.elapsed(),
        })
    };
    tokio::time::timeout(whole, run)
        .await
        .map_err(|_| TransferError::Failed(format!("not finished within {whole:?}")))?
}

async fn read_message(
    stream: &mut TcpStream,
    timeout: Duration,
    bytes: &mut usize,
) -> Result<Message, TransferError> {
    let body = tokio::time::timeout(timeout, super::read_frame(stream))
        .await
        .map_err(|_| TransferError::Failed(format!("no message within {timeout:?}")))?
        .map_err(|e| match e {
            super::FrameError::Closed(e) => {
                TransferError::Failed(format!("connection closed before the closing SOA: {e}"))
            }
            super::FrameError::Cut(e) => TransferError::Failed(format!("message cut short: {e}")),
        })?;
    *bytes += body.len() + 2;
    if *bytes > MAX_TRANSFER_BYTES {
        return Err(TransferError::TooLarge(format!(
            "more than {MAX_TRANSFER_BYTES} bytes"
        )));
    }
    Message::from_vec(&body).map_err(|e| TransferError::Malformed(format!("undecodable: {e}")))
}

/// The state of one transfer's stream.
struct Reader<'z> {
    zone: &'z Name,
    id: u16,
    records: Vec<Record>,
    serial: Option<u32>,
    bytes: usize,
    first: bool,
}

impl Reader<'_> {
    /// Takes one message; true once the closing SOA has arrived.
    fn take(&mut self, msg: Message) -> Result<bool, TransferError> {
        if msg.metadata.id != self.id || msg.metadata.message_type != MessageType::Response {
            return Err(TransferError::Malformed(
                "a message that is not a response to the query".into(),
            ));
        }
        if msg.metadata.response_code != ResponseCode::NoError {
            return Err(TransferError::Refused(
                crate::model::reply::rcode_name(msg.metadata.response_code).to_string(),
            ));
        }
        // RFC 5936 §2.2.1: only the first message must repeat the question.
        if self.first
            && msg
                .queries
                .first()
                .is_some_and(|q| q.name() != self.zone || q.query_type() != RecordType::AXFR)
        {
            return Err(TransferError::Malformed("the question differs".into()));
        }
        self.first = false;
        for r in msg.answers {
            let soa_serial = match &r.data {
                RData::SOA(s) if r.name == *self.zone => Some(s.serial),
                _ => None,
            };
            match (self.serial, soa_serial) {
                (None, Some(s)) => self.serial = Some(s),
                (None, None) => {
                    return Err(TransferError::Malformed(
                        "the first record is not the zone's SOA".into(),
                    ));
                }
                (Some(_), Some(_)) => return Ok(true),
                (Some(_), None) => {}
            }
            if self.records.len() >= MAX_TRANSFER_RECORDS {
                return Err(TransferError::TooLarge(format!(
                    "more than {MAX_TRANSFER_RECORDS} records"
                )));
            }
            self.records.push(r);
        }
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::rdata::{A, SOA};
    use std::net::SocketAddr;
    use tokio::io::AsyncReadExt;
    use tokio::net::TcpListener;

    fn soa(zone: &Name, serial: u32) -> Record {
        let n = Name::from_ascii("ns.test.").unwrap();
        Record::from_rdata(
            zone.clone(),
            60,
            RData::SOA(SOA::new(n.clone(), n, serial, 1, 1, 1, 1)),
        )
    }

    /// A one-connection TCP server that reads the query and sends, for each entry of
    /// `script`, a message with those answers (None: stall for a minute).
    async fn server(script: Vec<Option<(ResponseCode, Vec<Record>)>>) -> SocketAddr {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let at = l.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let mut len = [0u8; 2];
            s.read_exact(&mut len).await.unwrap();
            let mut q = vec![0u8; usize::from(u16::from_be_bytes(len))];
            s.read_exact(&mut q).await.unwrap();
            let query = Message::from_vec(&q).unwrap();
            for step in script {
                let Some((code, records)) = step else {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    return;
                };
                let mut m = Message::new(
                    query.metadata.id,
                    MessageType::Response,
                    query.metadata.op_code,
                );
                m.add_query(query.queries[0].clone());
                m.metadata.response_code = code;
                for r in records {
                    m.add_answer(r);
                }
                let w = m.to_vec().unwrap();
                let mut out = u16::try_from(w.len()).unwrap().to_be_bytes().to_vec();
                out.extend_from_slice(&w);
                s.write_all(&out).await.unwrap();
            }
        });
        at
    }

    async fn run(
        script: Vec<Option<(ResponseCode, Vec<Record>)>>,
    ) -> Result<Transferred, TransferError> {
        let at = server(script).await;
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let map = AddressMap::strict([(ip, at)].into_iter().collect());
        let zone = Name::from_ascii("113.0.203.in-addr.arpa.").unwrap();
        axfr(&map, ip, &zone, Duration::from_millis(300)).await
    }

    #[tokio::test]
    async fn a_transfer_in_several_messages_ends_at_the_second_soa() {
        let z = Name::from_ascii("113.0.203.in-addr.arpa.").unwrap();
        let a = Record::from_rdata(
            z.prepend_label("x").unwrap(),
            60,
            RData::A(A::new(192, 0, 2, 9)),
        );
        let t = run(vec![
            Some((ResponseCode::NoError, vec![soa(&z, 5), a.clone()])),
            Some((ResponseCode::NoError, vec![a, soa(&z, 5)])),
            None,
        ])
        .await
        .unwrap();
        assert_eq!(t.serial, 5);
        assert_eq!(t.records.len(), 3);
    }

    #[tokio::test]
    async fn refusals_stalls_and_broken_streams_are_errors_not_hangs() {
        let z = Name::from_ascii("113.0.203.in-addr.arpa.").unwrap();
        let refused = run(vec![Some((ResponseCode::Refused, vec![]))]).await;
        assert_eq!(
            refused.unwrap_err(),
            TransferError::Refused("REFUSED".into())
        );
        // No closing SOA, then silence: one read timeout, not a hang.
        let started = Instant::now();
        let stalled = run(vec![Some((ResponseCode::NoError, vec![soa(&z, 5)])), None]).await;
        assert!(
            matches!(stalled, Err(TransferError::Failed(_))),
            "{stalled:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(2));
        let a = Record::from_rdata(z.clone(), 60, RData::A(A::new(192, 0, 2, 9)));
        let no_soa = run(vec![Some((ResponseCode::NoError, vec![a]))]).await;
        assert!(
            matches!(no_soa, Err(TransferError::Malformed(_))),
            "{no_soa:?}"
        );
        // The connection closed before the closing SOA.
        let cut = run(vec![Some((ResponseCode::NoError, vec![soa(&z, 5)]))]).await;
        assert!(matches!(cut, Err(TransferError::Failed(_))), "{cut:?}");
    }
}
