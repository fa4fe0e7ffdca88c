//! Findings: what diagnosis concluded, as typed data. Kinds and reasons are enums whose
//! serialised names are the stable snake_case identifiers of docs/findings.md; a `match` on
//! them is exhaustive, so a new kind cannot be silently ignored by a renderer.

use std::net::IpAddr;

use hickory_proto::rr::Name;
use serde::Serialize;

use super::reply::LameReason;

/// An enum of stable identifiers: `as_str`, `ALL`, serialised and ordered as its string, so
/// sorting and JSON stay what they were when these were strings.
macro_rules! identifiers {
    ($(#[$m:meta])* pub enum $T:ident { $($(#[$vm:meta])* $V:ident = $s:literal,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $T { $($(#[$vm])* $V,)* }
        impl $T {
            /// Every value, in declaration order.
            pub const ALL: &[$T] = &[$($T::$V,)*];
            /// The stable snake_case identifier.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self { $($T::$V => $s,)* }
            }
        }
        as_identifier!($T);
    };
}

/// Serialises, displays and orders a type with an `as_str` as that identifier.
macro_rules! as_identifier {
    ($T:ident) => {
        impl Serialize for $T {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl std::fmt::Display for $T {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl PartialOrd for $T {
            fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(o))
            }
        }
        impl Ord for $T {
            fn cmp(&self, o: &Self) -> std::cmp::Ordering {
                self.as_str().cmp(o.as_str())
            }
        }
    };
}

identifiers! {
    /// What a finding is about (docs/findings.md, one section each).
    pub enum FindingKind {
        /// An address gave no reply to any probe of a question.
        Unreachable = "unreachable",
        /// An address replied to some probes and not others.
        Flaky = "flaky",
        /// A delegated server does not answer authoritatively for its zone.
        Lame = "lame",
        /// UDP works, TCP does not.
        TcpFailed = "tcp_failed",
        /// The server fails on EDNS queries but answers plain ones.
        EdnsFailed = "edns_failed",
        /// Servers of one zone give different answers to the same question.
        InconsistentAnswer = "inconsistent_answer",
        /// SOA serials differ between a zone's servers.
        InconsistentSerial = "inconsistent_serial",
        /// The parent's NS set differs from the child's.
        NsMismatch = "ns_mismatch",
        /// Parent glue differs from the child's addresses of that NS name.
        GlueMismatch = "glue_mismatch",
        /// An in-bailiwick NS name delegated without glue.
        MissingGlue = "missing_glue",
        /// An NS name has no address at all.
        NsUnresolvable = "ns_unresolvable",
        /// No server of a zone gave a usable answer.
        NoReachableServer = "no_reachable_server",
        /// NXDOMAIN or NODATA for the PTR.
        PtrMissing = "ptr_missing",
        /// The reverse name is a CNAME into another zone (RFC 2317).
        ClasslessDelegation = "classless_delegation",
        /// A CNAME chain comes back on itself.
        CnameLoop = "cname_loop",
        /// More than one PTR record.
        MultiplePtr = "multiple_ptr",
        /// A PTR name that looks generated from the address.
        GenericPtr = "generic_ptr",
        /// The HELO name does not match.
        HeloMismatch = "helo_mismatch",
        /// No PTR name resolves back to the address.
        FcrdnsFailed = "fcrdns_failed",
        /// The walk hit a bound.
        LimitExceeded = "limit_exceeded",
        /// Something was not tested, and why.
        Untested = "untested",
        /// A server answers slowly.
        Slow = "slow",
        /// DNSSEC validation fails.
        DnssecBogus = "dnssec_bogus",
        /// The chain of trust ends above the zone.
        DnssecInsecure = "dnssec_insecure",
        /// A server rate-limits identical answers (RRL).
        RateLimited = "rate_limited",
        /// This host could not send queries (too many open files, no buffer space): nothing
        /// is known about any server, and the verdict is `unknown`.
        LocalError = "local_error",
    }
}

identifiers! {
    /// Why this host could not send a query: a local failure, no evidence about any server
    /// (`local_error` reasons).
    pub enum LocalKind {
        /// EMFILE or ENFILE: the process or the system is out of file descriptors.
        TooManyOpenFiles = "too_many_open_files",
        /// ENOBUFS: the kernel's socket buffers are full.
        NoBufferSpace = "no_buffer_space",
        /// ENOMEM.
        OutOfMemory = "out_of_memory",
        /// EPERM or EACCES: a local firewall or policy refused the send.
        PermissionDenied = "permission_denied",
    }
}

impl LocalKind {
    /// The kind of a local I/O error, or `None` when the error says something about the
    /// network or the server.
    #[must_use]
    pub fn of(e: &std::io::Error) -> Option<Self> {
        match e.raw_os_error()? {
            23 | 24 => Some(Self::TooManyOpenFiles),
            105 => Some(Self::NoBufferSpace),
            12 => Some(Self::OutOfMemory),
            1 | 13 => Some(Self::PermissionDenied),
            _ => None,
        }
    }

    /// The words for a person: "too many open files".
    #[must_use]
    pub fn words(self) -> &'static str {
        match self {
            Self::TooManyOpenFiles => "too many open files",
            Self::NoBufferSpace => "no buffer space for sockets",
            Self::OutOfMemory => "out of memory",
            Self::PermissionDenied => "sending was not permitted by this host",
        }
    }
}

/// A local failure met during a walk: the walk stopped there, and nothing it saw is a verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LocalFailure {
    /// The first kind met.
    pub kind: LocalKind,
    /// The operating system's words for it.
    pub detail: String,
    /// Attempts that failed locally before the walk stopped.
    pub attempts: u32,
}

identifiers! {
    /// Why DNSSEC validation fails at one server (`dnssec_bogus` reasons).
    pub enum BogusReason {
        /// No key of the zone matches the parent's DS.
        DsMismatch = "ds_mismatch",
        /// The zone's DNSKEY RRset is missing.
        MissingDnskey = "missing_dnskey",
        /// An RRset came without a signature.
        MissingRrsig = "missing_rrsig",
        /// A signature does not verify.
        BadSignature = "bad_signature",
        /// A signature has expired.
        ExpiredSignature = "expired_signature",
        /// A signature is not valid yet.
        NotYetValid = "not_yet_valid",
        /// A negative answer without a valid NSEC or NSEC3 proof.
        BadDenial = "bad_denial",
        /// Signed only with algorithms that cannot be verified.
        UnsupportedAlgorithm = "unsupported_algorithm",
    }
}

identifiers! {
    /// A bound of the walk (`limit_exceeded` reasons).
    pub enum Limit {
        /// `--query-budget`.
        QueryBudget = "query_budget",
        /// Zone cuts on one path.
        Depth = "depth",
        /// CNAMEs in one chain.
        CnameChain = "cname_chain",
        /// NS names of one zone.
        NsFanout = "ns_fanout",
        /// Levels of glueless NS resolution.
        Nesting = "nesting",
        /// `--deadline`.
        Deadline = "deadline",
        /// PTR names of one address walked forward.
        PtrNames = "ptr_names",
        /// Ctrl-C.
        Interrupted = "interrupted",
    }
}

identifiers! {
    /// A reason that belongs to one kind only.
    pub enum Detail {
        /// `unreachable`: nothing came back.
        Timeout = "timeout",
        /// `unreachable`: ICMP port unreachable or a refused TCP connection.
        PortUnreachable = "port_unreachable",
        /// `ptr_missing`: the name does not exist.
        Nxdomain = "nxdomain",
        /// `ptr_missing`: the name exists without a PTR.
        Nodata = "nodata",
        /// `fcrdns_failed`: the name has no A/AAAA record.
        NoAddress = "no_address",
        /// `fcrdns_failed`: its addresses do not include the traced one.
        AddressMismatch = "address_mismatch",
        /// `fcrdns_failed`: no server of its zone answered.
        ForwardUnresolvable = "forward_unresolvable",
        /// `untested`: no route from this host for that family.
        NoRoute = "no_route",
        /// `untested`: excluded with `-4` or `-6`.
        FamilyDisabled = "family_disabled",
        /// `untested`: a private root without `--trust-anchor`: DNSSEC not judged.
        TrustAnchor = "trust_anchor",
        /// `untested`: a batch asked this PTR of some of the zone's addresses; the others
        /// agreed on a random sample of the batch's names (spread probing).
        Sampled = "sampled",
    }
}

/// The reason of a finding, within its kind (docs/findings.md), serialised as its identifier
/// and ordered by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// `lame`.
    Lame(LameReason),
    /// `dnssec_bogus` and `dnssec_insecure`.
    Bogus(BogusReason),
    /// `limit_exceeded`.
    Limit(Limit),
    /// The other kinds' reasons.
    Detail(Detail),
    /// `local_error`.
    Local(LocalKind),
}

impl Reason {
    /// The stable snake_case identifier.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lame(r) => r.as_str(),
            Self::Bogus(r) => r.as_str(),
            Self::Limit(r) => r.as_str(),
            Self::Detail(r) => r.as_str(),
            Self::Local(r) => r.as_str(),
        }
    }
}

as_identifier!(Reason);

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Context, not a fault.
    Info,
    /// A fault that does not make lookups fail.
    Warning,
    /// A fault that makes some lookups fail or return wrong data.
    Error,
}

impl Severity {
    /// `info`, `warning`, `error` (as serialised).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }
}

/// The verdict on one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Every server on every path agrees; PTR and FCrDNS hold.
    Ok,
    /// The PTR and FCrDNS hold on some paths, but servers fail or disagree.
    Degraded,
    /// No path gives a correct, forward-confirmed PTR.
    Broken,
    /// This host could not run the trace (a local failure: too many open files): nothing is
    /// known about the servers.
    Unknown,
}

impl Verdict {
    /// `ok`, `degraded`, `broken`, `unknown`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Degraded => "degraded",
            Self::Broken => "broken",
            Self::Unknown => "unknown",
        }
    }
}

/// One diagnosed problem (or, at info severity, a fact worth knowing).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Stable snake_case identifier (docs/findings.md).
    pub kind: FindingKind,
    /// error, warning or info.
    pub severity: Severity,
    /// Reason within the kind, where the kind has reasons.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// The zone concerned.
    pub zone: Name,
    /// The server's NS name, when one server is concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<Name>,
    /// The server address, when one address is concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<IpAddr>,
    /// What is wrong, in plain words.
    pub message: String,
    /// What to do about it.
    pub advice: String,
    /// The observations it rests on, one line each.
    pub evidence: Vec<String>,
    /// Every server address the finding concerns when no single one is to blame: each side
    /// of a split without a majority (servers of one zone that answer differently, none the
    /// odd one out). Empty otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub involved: Vec<(Name, IpAddr)>,
    /// The finding that explains this one, when it is a symptom of another (an FCrDNS failure
    /// seen only through a stale server's answer): reports list it under its cause
    /// (docs/findings.md "Cause first").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caused_by: Option<Cause>,
}

impl Finding {
    /// A finding of `kind` about `zone` with its words (the words module, `Fact::finding`,
    /// makes them); no server, reason or evidence until the builder methods add them.
    #[must_use]
    pub fn new(
        kind: FindingKind,
        severity: Severity,
        zone: Name,
        message: String,
        advice: String,
    ) -> Self {
        Self {
            kind,
            severity,
            reason: None,
            zone,
            server: None,
            address: None,
            message,
            advice,
            evidence: Vec::new(),
            involved: Vec::new(),
            caused_by: None,
        }
    }

    /// The server it concerns, and the address when one address is concerned.
    #[must_use]
    pub fn at(mut self, server: &Name, address: Option<IpAddr>) -> Self {
        self.server = Some(server.clone());
        self.address = address;
        self
    }

    /// Its reason within the kind.
    #[must_use]
    pub fn reason(mut self, reason: Reason) -> Self {
        self.reason = Some(reason);
        self
    }

    /// The observations it rests on.
    #[must_use]
    pub fn evidence(mut self, evidence: Vec<String>) -> Self {
        self.evidence = evidence;
        self
    }

    /// Every server address of a split without an odd one out.
    #[must_use]
    pub fn involving(mut self, involved: Vec<(Name, IpAddr)>) -> Self {
        self.involved = involved;
        self
    }

    /// The finding it is a symptom of.
    #[must_use]
    pub fn caused_by(mut self, cause: Option<Cause>) -> Self {
        self.caused_by = cause;
        self
    }
}

/// Which finding is the cause: its kind, zone, and the server and address it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cause {
    /// The cause's kind.
    pub kind: FindingKind,
    /// The cause's zone.
    pub zone: Name,
    /// The server it names, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<Name>,
    /// The address it names, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<IpAddr>,
}

impl Cause {
    /// The cause that `f` is.
    #[must_use]
    pub fn of(f: &Finding) -> Self {
        Self {
            kind: f.kind,
            zone: f.zone.clone(),
            server: f.server.clone(),
            address: f.address,
        }
    }

    /// True when `f` is this cause.
    #[must_use]
    pub fn is(&self, f: &Finding) -> bool {
        f.kind == self.kind
            && f.zone == self.zone
            && f.server == self.server
            && f.address == self.address
    }
}

#[cfg(test)]
mod tests {
    use super::LocalKind;

    /// Descriptors, buffers, memory and local policy are this host's failures; refusals and
    /// unreachable networks are facts about the network, not local errors.
    #[test]
    fn local_kinds_are_told_from_network_errors() {
        let kind = |code| LocalKind::of(&std::io::Error::from_raw_os_error(code));
        assert_eq!(kind(24), Some(LocalKind::TooManyOpenFiles));
        assert_eq!(kind(23), Some(LocalKind::TooManyOpenFiles));
        assert_eq!(kind(105), Some(LocalKind::NoBufferSpace));
        assert_eq!(kind(12), Some(LocalKind::OutOfMemory));
        assert_eq!(kind(1), Some(LocalKind::PermissionDenied));
        // ECONNREFUSED, ENETUNREACH, EHOSTUNREACH, EAFNOSUPPORT.
        for network in [111, 101, 113, 97] {
            assert_eq!(kind(network), None, "errno {network}");
        }
    }
}
