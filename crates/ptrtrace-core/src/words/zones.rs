//! The words of the findings about a zone and its delegation: `inconsistent_answer`,
//! `inconsistent_serial`, `ns_mismatch`, `missing_glue`, `glue_mismatch`, `ns_unresolvable`,
//! `untested`, and DNSSEC's `dnssec_insecure` and `dnssec_bogus` (docs/findings.md).

use std::collections::BTreeSet;
use std::net::IpAddr;

use hickory_proto::rr::Name;

use super::{At, OddOne, names};
use crate::model::finding::BogusReason;

type Sentences = (String, String);

pub(super) fn inconsistent_answer(
    zone: &Name,
    question: &str,
    versions: usize,
    odd: Option<&OddOne<'_>>,
) -> Sentences {
    let Some(odd) = odd else {
        return (
            format!("the servers of {zone} give {versions} different answers to {question}"),
            format!(
                "Resolvers get one answer or the other depending on the server they pick. \
                 Make every server of {zone} serve the same zone version: compare SOA \
                 serials, fix zone transfers (NOTIFY, allow-transfer, TSIG) or the \
                 provisioning of the servers that differ."
            ),
        );
    };
    let server = odd.server;
    let addrs: Vec<String> = odd.addresses.iter().map(ToString::to_string).collect();
    let copy = match &odd.copy {
        Some(copy) => format!("{server} ({}) serves {copy} of {zone}", addrs.join(", ")),
        None => format!(
            "{server} ({}) answers differently from the other servers of {zone}",
            addrs.join(", ")
        ),
    };
    (
        format!(
            "{copy}: to {question} it gives {}, the others {}",
            odd.theirs,
            odd.others.join(" or ")
        ),
        format!(
            "Resolvers that pick {server} get its answer, and believe it. The other servers agree: \
             reload {zone} on {server} and check its zone transfers (NOTIFY and allow-transfer on \
             the primary, TSIG, the secondary's logs), or fix its provisioning."
        ),
    )
}

pub(super) fn inconsistent_serial(zone: &Name, versions: usize) -> Sentences {
    (
        format!(
            "the servers of {zone} serve {versions} different versions of the zone (SOA serials differ)"
        ),
        format!(
            "A server with an old serial is not getting zone transfers: check NOTIFY and \
             allow-transfer on the primary, the secondary's logs, and that the serial was \
             increased after the last change. Until then, {zone} may give outdated PTR records through it."
        ),
    )
}

pub(super) fn ns_mismatch(
    (zone, parent): (&Name, &Name),
    only_parent: &BTreeSet<Name>,
    only_child: &BTreeSet<Name>,
) -> Sentences {
    let mut parts = Vec::new();
    if !only_parent.is_empty() {
        parts.push(format!("only the parent lists {}", names(only_parent)));
    }
    if !only_child.is_empty() {
        parts.push(format!("only the child lists {}", names(only_child)));
    }
    (
        format!(
            "the delegation of {zone} in {parent} differs from the NS records at its apex: {}",
            parts.join("; ")
        ),
        format!(
            "Resolvers use the parent's set first and the child's later, so a server on \
             one side only is used by some resolvers and not others. Make the NS records \
             in {parent} (ask its operator) and at the apex of {zone} the same list."
        ),
    )
}

pub(super) fn missing_glue(ns: &Name, zone: &Name, parent: &Name) -> Sentences {
    (
        format!(
            "{ns} is inside {zone} but the delegation in {parent} gives no address (glue) for it"
        ),
        format!(
            "A resolver cannot find {ns}'s address without already reaching {zone}: \
             a circular dependency. Ask the operator of {parent} to add glue A/AAAA \
             records for {ns}."
        ),
    )
}

/// A set of addresses for a sentence: `192.0.2.1, 2001:db8::1`, or `nothing`.
pub fn addresses(s: &BTreeSet<IpAddr>) -> String {
    if s.is_empty() {
        "nothing".to_string()
    } else {
        s.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

pub(super) fn glue_mismatch(
    (ns, zone, parent): (&Name, &Name, &Name),
    glue: &BTreeSet<IpAddr>,
    child: &BTreeSet<IpAddr>,
) -> Sentences {
    (
        format!(
            "glue for {ns} in {parent} says {}, but {zone} itself says {}",
            addresses(glue),
            addresses(child)
        ),
        format!(
            "Resolvers that arrive through {parent} use the glue and query the wrong \
             address. Ask the operator of {parent} to update the glue for {ns} (often \
             forgotten after renumbering a server)."
        ),
    )
}

pub(super) fn ns_unresolvable(ns: &Name, zone: &Name, no_record: bool) -> Sentences {
    let why = if no_record {
        "it has no A or AAAA record"
    } else {
        "no server answered for its address"
    };
    (
        format!("NS name {ns} of {zone} cannot be resolved: {why}"),
        format!(
            "Resolvers that pick {ns} waste time before trying another server. Remove \
             {ns} from the NS records of {zone} (and from the delegation above it), \
             or give it an address."
        ),
    )
}

pub(super) fn sampled(
    zone: &Name,
    (not_asked, total, population): (usize, usize, u64),
    rate: f64,
) -> Sentences {
    (
        format!(
            "{not_asked} of {total} server addresses of {zone} were not asked this PTR: the batch spread its {population} targets there over the servers, which agreed on a random sample of them"
        ),
        format!(
            "Each target was in the sample asked of every address with probability {:.2} %, \
             so a server answering differently for 1 % of the names is caught with at least \
             99 % probability, and the batch then asks every target of every address. \
             Trace this address alone, or the batch with --no-spread, to ask every server.",
            rate * 100.0
        ),
    )
}

pub(super) fn no_route(family: &str, count: usize) -> Sentences {
    (
        format!(
            "{count} {family} server addresses were not tested: this host has no {family} route"
        ),
        format!(
            "Their servers are not blamed. Run ptrtrace from a host with {family} \
             connectivity to check them: resolvers that have it will use them."
        ),
    )
}

pub(super) fn family_disabled(v6: bool, count: usize) -> Sentences {
    let (family, flag) = if v6 { ("IPv6", "-4") } else { ("IPv4", "-6") };
    (
        format!("{count} {family} server addresses were not queried ({flag})"),
        format!("Run without {flag} to check them too."),
    )
}

pub(super) fn trust_anchor(source: &str) -> Sentences {
    (
        format!(
            "DNSSEC was not judged: the root given with --root-hints has none of the keys of the built-in trust anchor ({source}), so it is a private or lab root, not the Internet's"
        ),
        "Give this root's DS or DNSKEY records with --trust-anchor FILE (BIND's dsset-. file works as it is) to judge DNSSEC, or --no-dnssec to skip it.".into(),
    )
}

pub(super) fn dnssec_insecure(zone: &Name, parent: &Name) -> Sentences {
    (
        format!(
            "{zone} is not covered by DNSSEC: the chain of trust ends at its delegation from {parent}. Resolvers accept its answers unvalidated; nothing fails because of it"
        ),
        "Nothing is broken. To protect the PTR, sign the zone and publish its DS in the parent."
            .into(),
    )
}

pub(super) fn ds_matches_no_key(zone: &Name, parent: Option<&Name>) -> Sentences {
    (
        format!(
            "The DS for {zone} in {} matches none of the zone's DNSKEYs on any server: the chain of trust is broken, and validating resolvers, Gmail's among them, get SERVFAIL for everything in and below it",
            parent.map_or_else(|| "the trust anchor".into(), ToString::to_string)
        ),
        bogus_advice(BogusReason::DsMismatch).into(),
    )
}

pub(super) fn dnssec_bogus(
    At {
        server,
        address,
        zone,
    }: At<'_>,
    reason: BogusReason,
    everywhere: bool,
) -> Sentences {
    let what = match reason {
        BogusReason::DsMismatch => "its DNSKEY RRset has no key matching the DS in the parent",
        BogusReason::MissingDnskey => "it does not serve the DNSKEY that signs the zone",
        BogusReason::MissingRrsig => "it returns records without signatures (RRSIGs)",
        BogusReason::BadSignature => "its signatures do not verify",
        BogusReason::ExpiredSignature => "its signatures have expired",
        BogusReason::NotYetValid => "its signatures are not valid yet",
        BogusReason::BadDenial => "its negative answers carry no valid NSEC proof",
        BogusReason::UnsupportedAlgorithm => "it uses a signature algorithm ptrtrace cannot verify",
    };
    let impact = if everywhere {
        "every server of the zone fails validation, so validating resolvers (Gmail's among them) get SERVFAIL"
    } else {
        "validating resolvers (Gmail's among them) that pick this server get SERVFAIL, the others succeed: an intermittent failure"
    };
    (
        format!("{server} ({address}) as a server of {zone}: {what}; {impact}"),
        bogus_advice(reason).into(),
    )
}

/// What to do about a server's DNSSEC failure.
fn bogus_advice(reason: BogusReason) -> &'static str {
    match reason {
        BogusReason::DsMismatch => {
            "Publish the DS of the zone's current key-signing key in the parent (for reverse zones: through the RIR's or the upstream ISP's portal), or remove the DS if the zone is no longer signed. Check with the DNSKEY key tags in the evidence."
        }
        BogusReason::MissingDnskey => {
            "This server serves an unsigned copy of the zone, or a copy signed with another key: make it a secondary of the signer and transfer the signed zone."
        }
        BogusReason::MissingRrsig => {
            "This server strips signatures or serves an unsigned copy: transfer the signed zone to it from the signer, and make sure its software answers DO=1 queries with RRSIGs."
        }
        BogusReason::BadSignature => {
            "The data was changed after signing or signed with another key: re-sign the zone and have every server transfer it from the signer."
        }
        BogusReason::ExpiredSignature => {
            "Re-sign the zone; if only this server has old signatures, it stopped transferring (compare its SOA serial): fix the transfer from the signer."
        }
        BogusReason::NotYetValid => {
            "The signer's clock is ahead, or this server's copy was signed with a wrong clock: fix the clock and re-sign."
        }
        BogusReason::BadDenial => {
            "Serve the signed zone, with its NSEC or NSEC3 chain, from a DNSSEC-aware server: without a proof, validating resolvers turn NXDOMAIN and NODATA into SERVFAIL."
        }
        BogusReason::UnsupportedAlgorithm => {
            "Use a signing algorithm validators support (13 or 8, RFC 8624)."
        }
    }
}
