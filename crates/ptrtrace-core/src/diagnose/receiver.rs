//! What a receiving mail server answers a connection from the traced address (issue 13's
//! judge: Postfix with `reject_unknown_client_hostname` behind a validating resolver; Gmail's
//! published replies). The verdict says whether reverse DNS works; this says what it costs.
//!
//! Postfix (smtpd(8), `reject_unknown_client_hostname`): a PTR lookup or forward lookup
//! that fails *temporarily* (SERVFAIL, timeouts: what a validating resolver returns for
//! lame, silent or DNSSEC-bogus servers) gives `450 4.7.25` (`unknown_client_reject_code`
//! is not used); no PTR (NXDOMAIN, NODATA) or a PTR name that does not resolve back gives
//! `unknown_client_reject_code` (550 here). Gmail says `421-4.7.23` and `550-5.7.25` for the
//! same two cases. docs/findings.md has the mapping and the interop evidence.

use serde::Serialize;

use super::{Fcrdns, Finding, Verdict};
use crate::model::finding::{Detail, FindingKind, Reason};

/// A receiving mail server's answer to mail from the traced address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Receiver {
    /// The reverse and forward lookups succeed: the mail is accepted.
    Accept,
    /// Every lookup fails temporarily (SERVFAIL): deferred, `421-4.7.23` (Postfix `450`),
    /// and bounced when it lasts beyond the sender's queue lifetime.
    Temporary,
    /// No PTR, or the PTR name does not resolve back: rejected, `550-5.7.25`.
    Permanent,
    /// Some servers fail (lame, silent, lossy, DNSSEC-bogus) but every lookup succeeds once
    /// the resolver retries another server: the mail is accepted, some of it after the
    /// resolver's retry (a timeout's delay).
    Delayed,
    /// Lookups fail temporarily even with retries, some of the time (every server of a level
    /// fails now and then): a receiver whose lookup fails defers the mail; others accept it.
    SometimesTemporary,
    /// Some servers answer wrongly (no PTR, or a name that does not resolve back): a
    /// receiver whose resolver picks one of them rejects the mail; others accept it.
    SometimesPermanent,
    /// The trace could not run (no root server answered this host): nothing is known about
    /// what receivers see.
    Unknown,
}

impl Receiver {
    /// The stable identifier.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accept => "accept",
            Self::Delayed => "delayed",
            Self::Temporary => "temporary",
            Self::Permanent => "permanent",
            Self::SometimesTemporary => "sometimes_temporary",
            Self::SometimesPermanent => "sometimes_permanent",
            Self::Unknown => "unknown",
        }
    }

    /// The receiver's reply in Gmail's and Postfix's words, for the headline (empty when
    /// nothing is known).
    #[must_use]
    pub fn phrase(self) -> &'static str {
        match self {
            Self::Unknown => "",
            Self::Accept => "receivers accept its mail",
            Self::Delayed => {
                "receivers accept its mail, some of it late: a resolver that first picks a failing server waits for it, then retries another"
            }
            Self::Temporary => {
                "receivers such as Gmail defer its mail (421-4.7.23; Postfix 450 4.7.25) and bounce it when this lasts"
            }
            Self::Permanent => "receivers such as Gmail reject its mail (550-5.7.25; Postfix 550)",
            Self::SometimesTemporary => {
                "receivers whose resolver picks a failing server defer its mail (421-4.7.23; Postfix 450)"
            }
            Self::SometimesPermanent => {
                "receivers whose resolver picks a wrong server reject its mail (550-5.7.25; Postfix 550)"
            }
        }
    }
}

/// Share of first tries below which a failure is not counted (rounding of the odds model).
const NOISE: f64 = 0.0005;

/// The receiver's answer, from the verdict and what made it.
#[must_use]
pub fn compute(
    root_reachable: bool,
    verdict: Verdict,
    ptr_found: bool,
    fcrdns: &[Fcrdns],
    findings: &[Finding],
    dnssec_broken: bool,
    odds: &super::odds::Odds,
) -> Receiver {
    if !root_reachable {
        return Receiver::Unknown;
    }
    match verdict {
        Verdict::Unknown => Receiver::Unknown,
        Verdict::Ok => Receiver::Accept,
        // A receiver's resolver retries other servers after a failure (never after an
        // answer): what it finally gets is the with-retries figure; first-try failures that
        // retries cure only delay the mail.
        Verdict::Degraded => {
            if odds.with_retries.wrong > NOISE {
                Receiver::SometimesPermanent
            } else if odds.with_retries.fail > NOISE {
                Receiver::SometimesTemporary
            } else if odds.first_try.fail > NOISE {
                Receiver::Delayed
            } else {
                Receiver::Accept
            }
        }
        Verdict::Broken => {
            // A validating resolver answers SERVFAIL for a bogus chain: temporary.
            if dnssec_broken {
                return Receiver::Temporary;
            }
            if !ptr_found {
                // NXDOMAIN or NODATA from the servers is an answer: no PTR. Anything else
                // (no server answered usefully) is a lookup failure.
                return if findings.iter().any(|f| f.kind == FindingKind::PtrMissing) {
                    Receiver::Permanent
                } else {
                    Receiver::Temporary
                };
            }
            // PTR found, not confirmed: permanent unless every forward lookup failed.
            let reasons: Vec<Option<Reason>> = findings
                .iter()
                .filter(|f| f.kind == FindingKind::FcrdnsFailed)
                .map(|f| f.reason)
                .collect();
            if !fcrdns.is_empty()
                && !reasons.is_empty()
                && reasons
                    .iter()
                    .all(|r| *r == Some(Reason::Detail(Detail::ForwardUnresolvable)))
            {
                Receiver::Temporary
            } else {
                Receiver::Permanent
            }
        }
    }
}
