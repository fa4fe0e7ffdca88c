//! The words of every finding: its message and its advice, from typed facts (docs/design.md
//! §5). The checks in `diagnose` and `dnssec` decide on typed observations and describe what
//! they found as a [`Fact`]; this module alone turns a fact into sentences, in one exhaustive
//! match, so rewording a message touches nothing that decides, and a new kind of finding is a
//! compile error here until it has words. [`Fact::finding`] builds the finding.

mod answer;
mod servers;
mod zones;

use std::collections::BTreeSet;
use std::net::IpAddr;

use hickory_proto::rr::{Name, RecordType};

use crate::model::finding::{BogusReason, FindingKind, LocalKind, Severity};
use crate::model::{Finding, LameReason};

pub use answer::Generic;
pub use zones::addresses;

/// Why a PTR name does not lead back to the traced address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForwardFailure {
    /// It resolves, to these other addresses.
    Elsewhere(Vec<IpAddr>),
    /// It has no address record of the traced address's family.
    NoAddress,
    /// No server of its zone answered.
    Unresolvable,
}

/// A server address as a server of a zone: what most findings are about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct At<'a> {
    /// The server's NS name.
    pub server: &'a Name,
    /// The address asked.
    pub address: IpAddr,
    /// The zone it was asked as a server of.
    pub zone: &'a Name,
}

/// What an `inconsistent_answer`'s odd server out answers, beside what the others answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OddOne<'a> {
    /// The odd server.
    pub server: &'a Name,
    /// Its addresses.
    pub addresses: Vec<IpAddr>,
    /// What it answers (`PTR old.example.`).
    pub theirs: String,
    /// What the others answer.
    pub others: Vec<String>,
    /// "an old copy (serial N; the others M)" when it also has the odd serial.
    pub copy: Option<String>,
}

/// One thing a check found, with the values its words need. The fields are named for what
/// they hold (`server`, `address`, `zone`: the server address and the zone it was asked as a
/// server of); each variant's comment says what was found.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq)]
pub enum Fact<'a> {
    /// An address gave no reply to any probe of a question (`only`: of this type, while it
    /// answered every other question of the zone).
    Unreachable {
        at: At<'a>,
        only: Option<RecordType>,
        icmp: bool,
        discarded: u32,
        port: u16,
    },
    /// An address lost some probes of a zone and answered others.
    Flaky {
        at: At<'a>,
        sent: usize,
        lost: usize,
    },
    /// An address's losses were RRL slips, answered over TCP.
    RateLimited {
        at: At<'a>,
        answered: usize,
        sent: usize,
        slipped: usize,
    },
    /// An address does not answer authoritatively for its zone.
    Lame {
        at: At<'a>,
        reason: LameReason,
        lame: usize,
        answered: usize,
    },
    /// UDP works, TCP does not (`tc`: UDP replies were truncated, so the full answer cannot
    /// be had at all).
    TcpFailed { at: At<'a>, tc: bool, port: u16 },
    /// EDNS queries fail, plain ones are answered (`drops`: silently).
    EdnsFailed { at: At<'a>, drops: bool },
    /// Median reply time over a second.
    Slow { at: At<'a>, median_ms: f64 },
    /// No server of a zone gave a usable answer to `question`.
    NoReachableServer { zone: &'a Name, question: String },
    /// Servers of a zone answer `question` in `versions` different ways.
    InconsistentAnswer {
        zone: &'a Name,
        question: String,
        versions: usize,
        odd: Option<OddOne<'a>>,
    },
    /// SOA serials differ.
    InconsistentSerial { zone: &'a Name, versions: usize },
    /// The parent's NS set differs from the child's.
    NsMismatch {
        zone: &'a Name,
        parent: &'a Name,
        only_parent: &'a BTreeSet<Name>,
        only_child: &'a BTreeSet<Name>,
    },
    /// An in-bailiwick NS name without glue.
    MissingGlue {
        ns: &'a Name,
        zone: &'a Name,
        parent: &'a Name,
    },
    /// Glue differs from the child's addresses.
    GlueMismatch {
        ns: &'a Name,
        zone: &'a Name,
        parent: &'a Name,
        glue: &'a BTreeSet<IpAddr>,
        child: &'a BTreeSet<IpAddr>,
    },
    /// An NS name without an address (`absent`: it has none; else nobody answered).
    NsUnresolvable {
        ns: &'a Name,
        zone: &'a Name,
        absent: bool,
    },
    /// The reverse name is a CNAME (or under a DNAME) into another zone.
    ClasslessDelegation {
        name: &'a Name,
        target: &'a Name,
        dname: Option<String>,
    },
    /// Several PTR names.
    MultiplePtr { ip: IpAddr, names: &'a [String] },
    /// NXDOMAIN (`nx`) or NODATA for the PTR.
    PtrMissing {
        name: &'a Name,
        ip: IpAddr,
        zone: &'a Name,
        nx: bool,
    },
    /// A PTR name that looks generated from the address.
    GenericPtr { name: &'a Name, why: Generic },
    /// A PTR name that does not resolve back; `cause`: the stale server and zone its name
    /// comes from, when it is a symptom.
    FcrdnsFailed {
        name: &'a Name,
        qtype: RecordType,
        ip: IpAddr,
        zone: &'a Name,
        how: ForwardFailure,
        cause: Option<(Option<&'a Name>, &'a Name)>,
    },
    /// The walk hit a bound.
    LimitExceeded { detail: &'a str },
    /// A CNAME chain came back on itself.
    CnameLoop { chain: &'a [Name] },
    /// The HELO name is not the PTR name.
    HeloMismatch {
        helo: &'a Name,
        ptrs: &'a [String],
        ip: IpAddr,
        resolves_back: bool,
    },
    /// A batch asked a zone's PTR of a sample of its addresses.
    Sampled {
        zone: &'a Name,
        not_asked: usize,
        total: usize,
        population: u64,
        rate: f64,
    },
    /// Addresses of a family this host has no route to.
    NoRoute { family: &'static str, count: usize },
    /// Addresses of a family excluded with `-4` or `-6`.
    FamilyDisabled { v6: bool, count: usize },
    /// This host could not send its queries.
    LocalError { kind: LocalKind },
    /// A private root without its trust anchor: DNSSEC not judged.
    TrustAnchor { source: &'a str },
    /// A zone outside the chain of trust.
    DnssecInsecure { zone: &'a Name, parent: &'a Name },
    /// The parent's DS matches no key on any server of the zone.
    DsMatchesNoKey {
        zone: &'a Name,
        parent: Option<&'a Name>,
    },
    /// One server's DNSSEC data fails validation (`everywhere`: every server of the zone's).
    DnssecBogus {
        at: At<'a>,
        reason: BogusReason,
        everywhere: bool,
    },
}

/// A finding's sentences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Words {
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub advice: String,
}

impl Fact<'_> {
    /// The kind of finding this fact is.
    #[must_use]
    pub fn kind(&self) -> FindingKind {
        match self {
            Self::Unreachable { .. } => FindingKind::Unreachable,
            Self::Flaky { .. } => FindingKind::Flaky,
            Self::RateLimited { .. } => FindingKind::RateLimited,
            Self::Lame { .. } => FindingKind::Lame,
            Self::TcpFailed { .. } => FindingKind::TcpFailed,
            Self::EdnsFailed { .. } => FindingKind::EdnsFailed,
            Self::Slow { .. } => FindingKind::Slow,
            Self::NoReachableServer { .. } => FindingKind::NoReachableServer,
            Self::InconsistentAnswer { .. } => FindingKind::InconsistentAnswer,
            Self::InconsistentSerial { .. } => FindingKind::InconsistentSerial,
            Self::NsMismatch { .. } => FindingKind::NsMismatch,
            Self::MissingGlue { .. } => FindingKind::MissingGlue,
            Self::GlueMismatch { .. } => FindingKind::GlueMismatch,
            Self::NsUnresolvable { .. } => FindingKind::NsUnresolvable,
            Self::ClasslessDelegation { .. } => FindingKind::ClasslessDelegation,
            Self::MultiplePtr { .. } => FindingKind::MultiplePtr,
            Self::PtrMissing { .. } => FindingKind::PtrMissing,
            Self::GenericPtr { .. } => FindingKind::GenericPtr,
            Self::FcrdnsFailed { .. } => FindingKind::FcrdnsFailed,
            Self::LimitExceeded { .. } => FindingKind::LimitExceeded,
            Self::CnameLoop { .. } => FindingKind::CnameLoop,
            Self::HeloMismatch { .. } => FindingKind::HeloMismatch,
            Self::Sampled { .. }
            | Self::NoRoute { .. }
            | Self::FamilyDisabled { .. }
            | Self::TrustAnchor { .. } => FindingKind::Untested,
            Self::LocalError { .. } => FindingKind::LocalError,
            Self::DnssecInsecure { .. } => FindingKind::DnssecInsecure,
            Self::DsMatchesNoKey { .. } | Self::DnssecBogus { .. } => FindingKind::DnssecBogus,
        }
    }

    /// The message and advice.
    #[must_use]
    pub fn words(&self) -> Words {
        use answer as a;
        use servers as s;
        use zones as z;
        let (message, advice) = match *self {
            Self::Unreachable {
                at,
                only,
                icmp,
                discarded,
                port,
            } => s::unreachable(at, only, (icmp, discarded), port),
            Self::Flaky { at, sent, lost } => s::flaky(at, sent, lost),
            Self::RateLimited {
                at,
                answered,
                sent,
                slipped,
            } => s::rate_limited(at, (answered, sent, slipped)),
            Self::Lame {
                at,
                reason,
                lame,
                answered,
            } => s::lame(at, reason, (lame, answered)),
            Self::TcpFailed { at, tc, port } => s::tcp_failed(at, tc, port),
            Self::EdnsFailed { at, drops } => s::edns_failed(at, drops),
            Self::Slow { at, median_ms } => s::slow(at, median_ms),
            Self::NoReachableServer { zone, ref question } => {
                s::no_reachable_server(zone, question)
            }
            Self::LocalError { kind } => s::local_error(kind),
            Self::InconsistentAnswer {
                zone,
                ref question,
                versions,
                ref odd,
            } => z::inconsistent_answer(zone, question, versions, odd.as_ref()),
            Self::InconsistentSerial { zone, versions } => z::inconsistent_serial(zone, versions),
            Self::NsMismatch {
                zone,
                parent,
                only_parent,
                only_child,
            } => z::ns_mismatch((zone, parent), only_parent, only_child),
            Self::MissingGlue { ns, zone, parent } => z::missing_glue(ns, zone, parent),
            Self::GlueMismatch {
                ns,
                zone,
                parent,
                glue,
                child,
            } => z::glue_mismatch((ns, zone, parent), glue, child),
            Self::NsUnresolvable { ns, zone, absent } => z::ns_unresolvable(ns, zone, absent),
            Self::Sampled {
                zone,
                not_asked,
                total,
                population,
                rate,
            } => z::sampled(zone, (not_asked, total, population), rate),
            Self::NoRoute { family, count } => z::no_route(family, count),
            Self::FamilyDisabled { v6, count } => z::family_disabled(v6, count),
            Self::TrustAnchor { source } => z::trust_anchor(source),
            Self::DnssecInsecure { zone, parent } => z::dnssec_insecure(zone, parent),
            Self::DsMatchesNoKey { zone, parent } => z::ds_matches_no_key(zone, parent),
            Self::DnssecBogus {
                at,
                reason,
                everywhere,
            } => z::dnssec_bogus(at, reason, everywhere),
            Self::ClasslessDelegation {
                name,
                target,
                ref dname,
            } => a::classless(name, target, dname.as_deref()),
            Self::MultiplePtr { ip, names } => a::multiple_ptr(ip, names),
            Self::PtrMissing { name, ip, zone, nx } => a::ptr_missing(name, ip, zone, nx),
            Self::GenericPtr { name, ref why } => a::generic_ptr(name, why),
            Self::FcrdnsFailed {
                name,
                qtype,
                ip,
                zone,
                ref how,
                cause,
            } => a::fcrdns_failed(name, (qtype, ip, zone), how, cause),
            Self::LimitExceeded { detail } => a::limit_exceeded(detail),
            Self::CnameLoop { chain } => a::cname_loop(chain),
            Self::HeloMismatch {
                helo,
                ptrs,
                ip,
                resolves_back,
            } => a::helo_mismatch(helo, ptrs, ip, resolves_back),
        };
        Words { message, advice }
    }

    /// The finding: this fact's kind and words, about `zone`, at `severity`; the builder
    /// methods of [`Finding`] add the server, reason, evidence.
    #[must_use]
    pub fn finding(&self, severity: Severity, zone: &Name) -> Finding {
        let Words { message, advice } = self.words();
        Finding::new(self.kind(), severity, zone.clone(), message, advice)
    }
}

/// A list of names for a sentence: `a., b.`.
fn names<'a>(names: impl IntoIterator<Item = &'a Name>) -> String {
    names
        .into_iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// What an odd server out by serial serves: "an old copy (serial N; the others M)", or
/// "another version …" when its serial is not the older one.
#[must_use]
pub fn old_copy(serial: u32, others: &[u32], older: bool) -> String {
    format!(
        "{} (serial {serial}; the others {})",
        if older {
            "an old copy"
        } else {
            "another version"
        },
        others
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    )
}
