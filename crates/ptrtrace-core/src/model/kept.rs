//! A reply kept for DNSSEC validation, with the results of the checks already made on it,
//! and what a failed check says.

use hickory_proto::dnssec::Verifier;
use hickory_proto::dnssec::rdata::DNSKEY;
use hickory_proto::op::Message;
use hickory_proto::rr::{Name, RecordType};

use super::finding::BogusReason;

/// A reply kept for validation, with the results of the checks already made on it. A batch's
/// targets share the zones above them: each shared reply is checked once per run, not once
/// per target, and the results go when the reply does.
#[derive(Debug)]
pub struct Reply {
    /// The message.
    pub msg: Message,
    memo: std::sync::Mutex<std::collections::HashMap<Vec<u8>, Result<(), Problem>>>,
}

impl Reply {
    /// Keeps `msg` for validation.
    #[must_use]
    pub fn new(msg: Message) -> Self {
        Self {
            msg,
            memo: std::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }

    /// The result of check `what` on (`owner`, `rtype`) with `keys` of `signer`, computed by
    /// `f` the first time.
    #[allow(clippy::too_many_arguments)]
    pub fn memo(
        &self,
        what: u8,
        owner: &Name,
        rtype: RecordType,
        keys: &[DNSKEY],
        signer: &Name,
        now: u32,
        f: impl FnOnce() -> Result<(), Problem>,
    ) -> Result<(), Problem> {
        let mut key = vec![what];
        key.extend_from_slice(owner.to_lowercase().to_string().as_bytes());
        key.extend_from_slice(&u16::from(rtype).to_be_bytes());
        key.extend_from_slice(signer.to_lowercase().to_string().as_bytes());
        // Five-minute buckets: a validity window is never that fine.
        key.extend_from_slice(&(now / 300).to_be_bytes());
        for k in keys {
            let public = hickory_proto::dnssec::PublicKey::public_bytes(k.public_key());
            key.push(u8::from(k.algorithm()));
            key.extend_from_slice(&u16::try_from(public.len()).unwrap_or(0).to_be_bytes());
            key.extend_from_slice(public);
        }
        if let Some(r) = self.memo.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return r;
        }
        let r = f();
        if let Ok(mut m) = self.memo.lock() {
            m.insert(key, r.clone());
        }
        r
    }
}

/// One failed check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The `dnssec_bogus` reason.
    pub reason: BogusReason,
    /// What failed, for evidence.
    pub detail: String,
}

impl Problem {
    /// A failed check.
    #[must_use]
    pub fn new(reason: BogusReason, detail: String) -> Self {
        Self { reason, detail }
    }
    /// Which problem to report when several RRSIGs fail: the one nearest to success.
    #[must_use]
    pub fn rank(&self) -> u8 {
        match self.reason {
            BogusReason::ExpiredSignature | BogusReason::NotYetValid => 0,
            BogusReason::BadSignature => 1,
            BogusReason::MissingDnskey => 2,
            BogusReason::UnsupportedAlgorithm => 3,
            BogusReason::DsMismatch | BogusReason::MissingRrsig | BogusReason::BadDenial => 4,
        }
    }
}
