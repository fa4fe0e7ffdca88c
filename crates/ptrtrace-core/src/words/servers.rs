//! The words of the findings about one server address: `unreachable`, `flaky`,
//! `rate_limited`, `lame`, `tcp_failed`, `edns_failed`, `slow`, and of `no_reachable_server`
//! and `local_error` (docs/findings.md).

use hickory_proto::rr::{Name, RecordType};

use super::At;
use crate::model::LameReason;
use crate::model::finding::LocalKind;

type Sentences = (String, String);

pub(super) fn unreachable(
    At {
        server,
        address,
        zone,
    }: At<'_>,
    only: Option<RecordType>,
    (icmp, discarded): (bool, u32),
    port: u16,
) -> Sentences {
    let what = match only {
        Some(qtype) => {
            format!("{qtype} questions for {zone} (it answered every other question there)")
        }
        None => zone.to_string(),
    };
    let how = if icmp {
        "nothing listens there (ICMP port unreachable or connection refused)".to_string()
    } else if discarded > 0 {
        format!(
            "every probe timed out; {discarded} replies with a wrong ID or question were discarded (a broken server or middlebox, or spoofing)"
        )
    } else {
        "every probe timed out".to_string()
    };
    (
        format!("{server} ({address}) never answered for {what}: {how}"),
        format!(
            "Resolvers that pick {address} wait for a timeout and retry elsewhere, or fail. \
             Start the DNS server on {address}, open UDP and TCP port {port} to it, or have \
             {server} removed from the NS set of {zone} and from the delegation above it."
        ),
    )
}

pub(super) fn flaky(
    At {
        server,
        address,
        zone,
    }: At<'_>,
    sent: usize,
    lost: usize,
) -> Sentences {
    let share = lost as f64 / sent.max(1) as f64 * 100.0;
    (
        format!(
            "{server} ({address}) answered only {} of {sent} probes for {zone} ({share:.0}% lost)",
            sent - lost
        ),
        format!(
            "Some lookups that pick {address} fail or wait for a retry. Look for packet loss, an \
             overloaded server, rate limiting (RRL) or a firewall dropping DNS on the way to \
             {address}."
        ),
    )
}

pub(super) fn rate_limited(
    At {
        server,
        address,
        zone,
    }: At<'_>,
    (answered, sent, slipped): (usize, usize, usize),
) -> Sentences {
    (
        format!(
            "{server} ({address}) answered {answered} of {sent} probes for {zone}, and {slipped} of its UDP replies in {zone} were empty TC=1 \"slips\" that TCP answered: response rate limiting (RRL), not packet loss"
        ),
        "Nothing is broken: rate limiting drops repeated identical responses (for \
         error and NXDOMAIN answers, every question of a zone counts as the same), \
         and resolvers retry over TCP when it slips. ptrtrace spaces identical \
         questions to stay under common RRL settings; this server's limit is lower \
         or counts more broadly. Fewer --probes keep the figures clean."
            .to_string(),
    )
}

pub(super) fn lame(
    At {
        server,
        address,
        zone,
    }: At<'_>,
    reason: LameReason,
    (lame, answered): (usize, usize),
) -> Sentences {
    let text = match reason {
        LameReason::Refused => "it answered REFUSED",
        LameReason::Servfail => "it answered SERVFAIL",
        LameReason::NotAuthoritative => "its replies lack the AA bit (it is not authoritative)",
        LameReason::UpwardReferral => "it referred upwards instead of answering",
        LameReason::ReferralElsewhere => "it referred to an unrelated zone",
        LameReason::OtherRcode => "it answered with an unexpected RCODE",
        LameReason::Malformed => "its replies could not be decoded",
    };
    let fix = match reason {
        LameReason::Refused => format!(
            "{server} is not configured to serve {zone}: add the zone to it (as a secondary)"
        ),
        LameReason::Servfail => format!(
            "{server} has {zone} configured but cannot serve it: check its logs for a failed load or an expired secondary"
        ),
        LameReason::NotAuthoritative => {
            format!("{server} answers from a cache, not as {zone}'s server: load the zone on it")
        }
        LameReason::UpwardReferral => format!("{server} does not have {zone}: load the zone on it"),
        LameReason::ReferralElsewhere => {
            format!("{server} serves other zones but not {zone}: load the zone on it")
        }
        LameReason::OtherRcode | LameReason::Malformed => {
            format!("{server} sends broken replies: upgrade or fix it")
        }
    };
    (
        format!(
            "{server} ({address}) is lame for {zone}: {text} ({lame} of {answered} answered probes)"
        ),
        format!(
            "Resolvers that pick this server fail or retry (lame delegation, RFC 1912 §2.8). Either \
             {fix}, or remove {server} from the NS records of {zone} and from the delegation in its parent."
        ),
    )
}

pub(super) fn tcp_failed(
    At {
        server,
        address,
        zone,
    }: At<'_>,
    truncated: bool,
    port: u16,
) -> Sentences {
    (
        if truncated {
            format!(
                "{server} ({address}) truncates replies over UDP but does not answer over TCP, for {zone}: the full answer cannot be had"
            )
        } else {
            format!("{server} ({address}) answers over UDP but not over TCP, for {zone}")
        },
        format!(
            "Every authoritative server must answer over TCP (RFC 7766, RFC 9210); resolvers use it \
             for large or truncated answers and after UDP failures. Allow TCP port {port} to {address} \
             and enable TCP in the server."
        ),
    )
}

pub(super) fn edns_failed(
    At {
        server,
        address,
        zone,
    }: At<'_>,
    drops: bool,
) -> Sentences {
    let how = if drops {
        "drops every query that carries EDNS"
    } else {
        "answers queries that carry EDNS with an error"
    };
    (
        format!("{server} ({address}) {how} but answers plain DNS queries, for {zone}"),
        format!(
            "Resolvers send EDNS and, since DNS Flag Day 2019, no longer fall back to plain \
             DNS: lookups through {address} fail. Upgrade the server or fix the firewall or \
             load balancer in front of it that mishandles EDNS (OPT records, large UDP)."
        ),
    )
}

pub(super) fn slow(
    At {
        server,
        address,
        zone,
    }: At<'_>,
    median_ms: f64,
) -> Sentences {
    (
        format!(
            "{server} ({address}) takes {median_ms:.0} ms to answer for {zone}: resolvers usually give up on a server after about a second"
        ),
        format!(
            "Resolvers treat it as down and retry elsewhere, or fail when every server is this \
             slow. Look for an overloaded server or a congested path to {address}."
        ),
    )
}

pub(super) fn no_reachable_server(zone: &Name, question: &str) -> Sentences {
    (
        format!("no server of {zone} gave a usable answer to {question}: resolution fails here"),
        if zone.is_root() {
            "Every lookup fails at the root: no root server answered. Check this host's \
             network (UDP and TCP to the root servers' addresses and port) and the root \
             hints."
                .to_string()
        } else {
            format!(
                "Every resolver fails at {zone} — fix the servers named in the other \
                 findings, or the delegation of {zone} in its parent zone."
            )
        },
    )
}

pub(super) fn local_error(kind: LocalKind) -> Sentences {
    (
        format!(
            "this host could not send its queries ({}): nothing is known about the servers",
            kind.words()
        ),
        match kind {
            LocalKind::TooManyOpenFiles => {
                "raise this host's open-file limit (ulimit -n, LimitNOFILE=) or lower --concurrency, then trace again"
            }
            LocalKind::NoBufferSpace | LocalKind::OutOfMemory => {
                "free memory or socket buffers on this host (or lower --concurrency), then trace again"
            }
            LocalKind::PermissionDenied => {
                "allow this host to send DNS queries (a local firewall or policy refused them), then trace again"
            }
        }
        .into(),
    )
}
