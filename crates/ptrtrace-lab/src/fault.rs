//! The ways a lab server misbehaves on purpose (each scenario's one fault), and the
//! malformed replies some of them send.

use std::time::Duration;

use hickory_proto::rr::RecordType;

/// How a lab server misbehaves.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Answer correctly.
    None,
    /// RCODE REFUSED to everything.
    Refuse,
    /// RCODE SERVFAIL to everything.
    Servfail,
    /// Correct data, but AA=0.
    NoAa,
    /// A referral to the root instead of an answer (AA=0).
    UpwardReferral,
    /// Never reply (UDP and TCP).
    Drop,
    /// Drop every `n`th UDP query of each question (2 = every other one, half of them).
    /// TCP is spared: it retransmits, so packet loss shows as delay there, not loss.
    DropEvery(u32),
    /// Wait this long before each reply.
    Delay(Duration),
    /// UDP replies always have TC=1 and no records; TCP answers fully.
    Truncate,
    /// No TCP listener: connections are refused.
    TcpOff,
    /// Truncate UDP replies and have no TCP listener: the answer cannot be had.
    TruncateNoTcp,
    /// Drop every query that carries an EDNS OPT record (a broken middlebox or old server).
    NoEdns,
    /// Reply with the query ID plus one: replies that must not be believed.
    WrongId,
    /// Reply from another socket (another source port).
    WrongSource,
    /// A referral to an unrelated zone (`elsewhere.example.`) instead of an answer.
    ReferElsewhere,
    /// RCODE FORMERR to everything.
    Formerr,
    /// Reply with the right ID followed by bytes that are not a DNS message.
    Garbage,
    /// Never reply to questions of this type (a server that answers SOA but not PTR).
    DropType(RecordType),
    /// Cut every reply to two thirds of its length (a message that ends mid-record).
    CutShort,
    /// Answer with a record whose owner name is a compression pointer to itself.
    CompressionLoop,
    /// Reply with the right ID but another question: must not be believed.
    WrongQuestion,
    /// Send a copy with a wrong ID first, then the real reply: the real one must be accepted.
    SpoofFirst,
    /// Pad PTR answers with thousands of additional records: a ~62 KB reply, over TCP.
    HugeAdditional,
    /// Truncate UDP; over TCP read the query and never answer.
    TcpStall,
    /// Truncate UDP; over TCP send a length prefix and then nothing.
    TcpPrefixStall,
    /// Drop this share (per mille) of UDP queries, at random but reproducibly: whether the
    /// k-th query of a question is dropped depends only on (seed, question, k), not on how
    /// queries from concurrent questions interleave.
    DropRandom {
        /// Share dropped, per mille (300 = 30%).
        per_mille: u32,
        /// Seed.
        seed: u64,
    },
    /// Response rate limiting as BIND does it (`rate-limit { responses-per-second N; slip
    /// S; }`), over UDP only: identical responses (same name and type) earn `per_second`
    /// credits a second, at most `per_second` banked; one without credit is dropped, except
    /// every `slip`-th, which is sent truncated and empty (TC=1, "slipped": the client retries
    /// over TCP). `slip` 0 drops them all.
    Rrl {
        /// Identical responses per second.
        per_second: u32,
        /// Every slip-th limited response is sent as TC=1 instead of dropped (0: never).
        slip: u32,
    },
    /// Fuzzing: damage replies at random (flip, cut, insert bytes), reproducibly from a seed.
    Mutate(u64),
    /// Harmless: add the zone's NS records and their addresses to authoritative answers, as
    /// servers without minimal responses do.
    NonMinimal,
    /// Ignore the DO bit: no RRSIGs, no NSEC (a server given an unsigned copy of a signed
    /// zone, or software that strips DNSSEC records).
    StripDnssec,
    /// Signed answers, but negative answers come without their NSEC proof.
    NoDenial,
    /// RRSIGs whose signature bytes are damaged: they do not verify.
    BadSignature,
}

/// A reply whose one answer record's owner name is a compression pointer to itself
/// (RFC 1035 §4.1.4 pointers must point backwards; this one loops).
pub(crate) fn compression_loop(query: &[u8]) -> Option<Vec<u8>> {
    // The question ends after the QNAME's zero label and QTYPE/QCLASS.
    let mut pos = 12;
    loop {
        let len = usize::from(*query.get(pos)?);
        if len == 0 {
            pos += 1;
            break;
        }
        if len & 0xc0 != 0 {
            return None;
        }
        pos += 1 + len;
    }
    let question = query.get(12..pos + 4)?;
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(query.get(0..2)?);
    out.extend_from_slice(&[0x84, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00]);
    out.extend_from_slice(question);
    let here = u16::try_from(out.len()).ok()?;
    out.extend_from_slice(&(0xc000 | here).to_be_bytes());
    out.extend_from_slice(&[0x00, 0x0c, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x02]);
    out.extend_from_slice(&(0xc000 | here).to_be_bytes());
    Some(out)
}

/// Damages a reply the way broken middleboxes and fuzzers do. The ID is kept most of the
/// time, so the damaged message reaches the parser instead of being discarded unread.
pub(crate) fn mutate(wire: &mut Vec<u8>, rng: &mut rand::rngs::StdRng) {
    use rand::RngExt;
    let rounds = rng.random_range(1..=4);
    for _ in 0..rounds {
        if wire.is_empty() {
            wire.push(0);
        }
        let at = rng.random_range(0..wire.len());
        match rng.random_range(0..5u8) {
            0 => wire[at] ^= 1 << rng.random_range(0..8u8),
            1 => wire[at] = rng.random_range(0..=255u8),
            2 => wire.truncate(at.max(2)),
            3 => wire.insert(at, rng.random_range(0..=255u8)),
            _ => {
                // A compression pointer to a random offset.
                let ptr = 0xc000 | u16::try_from(rng.random_range(0..wire.len())).unwrap_or(0);
                let [hi, lo] = ptr.to_be_bytes();
                wire[at] = hi;
                if at + 1 < wire.len() {
                    wire[at + 1] = lo;
                }
            }
        }
    }
    if rng.random_range(0..10u8) == 0 && wire.len() >= 2 {
        wire[0] ^= 0xff;
    }
}
