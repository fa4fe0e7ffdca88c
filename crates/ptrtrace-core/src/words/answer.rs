//! The words of the findings about the answer itself: `classless_delegation`,
//! `multiple_ptr`, `ptr_missing`, `generic_ptr`, `fcrdns_failed`, `limit_exceeded`,
//! `cname_loop`, `helo_mismatch` (docs/findings.md).

use std::net::IpAddr;

use hickory_proto::rr::{Name, RecordType};

use super::ForwardFailure;

type Sentences = (String, String);

/// Why a PTR name looks generic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generic {
    /// The address is written into it.
    Address(IpAddr),
    /// It holds a word receivers take as the sign of a dynamic or residential address.
    Word(&'static str),
}

pub(super) fn classless(name: &Name, target: &Name, dname: Option<&str>) -> Sentences {
    (
        match dname {
            Some(owner) => format!(
                "{name} is redirected by the DNAME at {owner} (RFC 6672) to {target}; its PTR is looked up there"
            ),
            None => format!(
                "{name} is a CNAME to {target} (RFC 2317 classless delegation); its PTR is looked up there"
            ),
        },
        "Nothing to do; the CNAME target's zone was traced too.".into(),
    )
}

pub(super) fn multiple_ptr(ip: IpAddr, names: &[String]) -> Sentences {
    (
        format!("{ip} has {} PTR records: {}", names.len(), names.join(", ")),
        "Many receivers look at one PTR only, picked at random, and some penalise \
         several. Keep one PTR: the name your mail server uses in HELO."
            .into(),
    )
}

pub(super) fn ptr_missing(name: &Name, ip: IpAddr, zone: &Name, nxdomain: bool) -> Sentences {
    (
        if nxdomain {
            format!("{name} does not exist: there is no PTR record for {ip}")
        } else {
            format!("{name} exists but has no PTR record for {ip}")
        },
        format!(
            "Add `{name} PTR your-mail-host.example.` in {zone} (ask whoever runs {zone}, \
             usually the holder of the address block), and an A/AAAA record for that name \
             pointing back to {ip}."
        ),
    )
}

pub(super) fn generic_ptr(name: &Name, why: &Generic) -> Sentences {
    let why = match why {
        Generic::Address(ip) => format!("it contains the address {ip}"),
        Generic::Word(w) => format!("it contains the word \"{w}\""),
    };
    (
        format!("PTR {name} looks generic: {why}"),
        "Large receivers score names like this as dynamic or residential \
         addresses and may reject or junk the mail. Use a PTR that names the \
         mail server (mail.example.com), with a matching A/AAAA record."
            .into(),
    )
}

pub(super) fn fcrdns_failed(
    name: &Name,
    (qtype, ip, zone): (RecordType, IpAddr, &Name),
    how: &ForwardFailure,
    cause: Option<(Option<&Name>, &Name)>,
) -> Sentences {
    let what = match how {
        ForwardFailure::Elsewhere(addrs) => {
            let list: Vec<String> = addrs.iter().map(ToString::to_string).collect();
            format!("{name} resolves to {}, not to {ip}", list.join(", "))
        }
        ForwardFailure::NoAddress => format!("{name} has no {qtype} record"),
        ForwardFailure::Unresolvable => {
            format!("{name} could not be resolved: no server of its zone answered")
        }
    };
    let advice = match cause {
        Some((server, stale_zone)) => format!(
            "{name} comes only from the answers of {}, which differ from the other \
             servers of {stale_zone} (the finding above): fix that server, and the PTR resolvers \
             get is the others' name. Do not add an address record for {name}: it would \
             confirm a name the zone no longer gives.",
            server.map_or_else(String::new, ToString::to_string),
        ),
        None => format!(
            "Receivers such as Gmail require the PTR name to resolve back to the sending \
             address (550-5.7.25). Add `{name} {qtype} {ip}` in {zone}, or change the PTR \
             to a name that already does."
        ),
    };
    (
        format!("forward confirmation fails for PTR {name}: {what}"),
        advice,
    )
}

pub(super) fn limit_exceeded(detail: &str) -> Sentences {
    (
        format!("the walk hit a bound: {detail}"),
        "Part of the delegation was not checked; the findings may be incomplete. \
         Raise the bound (see --help) if the delegation is really this large."
            .into(),
    )
}

pub(super) fn cname_loop(chain: &[Name]) -> Sentences {
    let names: Vec<String> = chain.iter().map(ToString::to_string).collect();
    (
        format!("CNAME loop: {}", names.join(" → ")),
        "Every resolver fails. Point the CNAME at the name that holds the PTR.".into(),
    )
}

pub(super) fn helo_mismatch(
    helo: &Name,
    ptrs: &[String],
    ip: IpAddr,
    resolves_back: bool,
) -> Sentences {
    let ptr_text = if ptrs.is_empty() {
        "no PTR".to_string()
    } else {
        ptrs.join(", ")
    };
    (
        format!(
            "HELO name {helo} is not the PTR name ({ptr_text}){}",
            if resolves_back {
                format!("; it does resolve to {ip}")
            } else {
                format!(" and does not resolve to {ip}")
            }
        ),
        format!(
            "Configure the mail server to greet with its PTR name ({ptr_text}), or change the \
             PTR to {helo}; some receivers score a mismatch as spam."
        ),
    )
}
