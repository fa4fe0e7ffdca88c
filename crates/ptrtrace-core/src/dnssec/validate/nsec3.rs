//! Negative answers proven by NSEC3 (RFC 5155 §8): closest encloser, next closer name and
//! wildcard, with the iteration count bounded.

use super::*;

/// Checks an NSEC3 proof (RFC 5155 §8.4–8.7): NODATA by a matching NSEC3 without the type (or,
/// for DS, an opt-out NSEC3 covering the next closer name); NXDOMAIN by the closest encloser
/// proof and an NSEC3 covering the wildcard at the closest encloser.
#[allow(clippy::too_many_arguments)]
pub(super) fn nsec3_denial(
    auth: &[Record],
    qname: &Name,
    qtype: RecordType,
    nxdomain: bool,
    keys: &[DNSKEY],
    zone: &Name,
    v: &Validator,
    what: &str,
) -> Result<(), Problem> {
    use hickory_proto::dnssec::rdata::NSEC3;
    let mut valid: Vec<(String, String, &NSEC3)> = Vec::new();
    let mut sig_problem: Option<Problem> = None;
    for r in auth {
        let RData::DNSSEC(DNSSECRData::NSEC3(n)) = &r.data else {
            continue;
        };
        // <base32hex hash>.<zone>
        if r.name.base_name() != *zone {
            continue;
        }
        let set = rrset_in(auth, &r.name, RecordType::NSEC3);
        let sigs = sigs_in(auth, &r.name, RecordType::NSEC3);
        match verify_set(&r.name, RecordType::NSEC3, &set, &sigs, keys, zone, v) {
            Ok(_) => {
                let Some(first) = r.name.iter().next() else {
                    continue;
                };
                let owner = String::from_utf8_lossy(first).to_lowercase();
                let next = data_encoding::BASE32_DNSSEC.encode(n.next_hashed_owner_name());
                valid.push((owner, next, n));
            }
            Err(p) => sig_problem = Some(p),
        }
    }
    let fail = |detail: String| {
        sig_problem
            .clone()
            .unwrap_or_else(|| Problem::new(BogusReason::BadDenial, format!("{what}: {detail}")))
    };
    let Some((_, _, params)) = valid.first() else {
        return Err(fail("no signed NSEC3 record".into()));
    };
    let (salt, iterations, alg) = (params.salt(), params.iterations(), params.hash_algorithm());
    if iterations > NSEC3_MAX_ITERATIONS {
        // Not judged: validators may treat such zones as insecure (RFC 9276).
        return Ok(());
    }
    let hash = |n: &Name| -> Option<String> {
        alg.hash(salt, n, iterations)
            .ok()
            .map(|d| data_encoding::BASE32_DNSSEC.encode(d.as_ref()))
    };
    let matching = |n: &Name| {
        let h = hash(n)?;
        valid.iter().find(|(o, _, _)| *o == h).map(|(_, _, x)| *x)
    };
    let covering = |n: &Name| {
        let h = hash(n)?;
        valid
            .iter()
            .find(|(o, nx, _)| {
                if o < nx {
                    o.as_str() < h.as_str() && h.as_str() < nx.as_str()
                } else {
                    // The last NSEC3 of the chain wraps round.
                    h.as_str() > o.as_str() || h.as_str() < nx.as_str()
                }
            })
            .map(|(_, _, x)| *x)
    };
    // The closest encloser: the longest existing ancestor, and the next closer name below it.
    let closest = || {
        let mut cur = qname.clone();
        while cur.num_labels() > zone.num_labels() {
            let parent = cur.base_name();
            if matching(&parent).is_some() {
                return Some((parent, cur));
            }
            cur = parent;
        }
        None
    };
    if !nxdomain {
        if let Some(n) = matching(qname) {
            return type_absent(n.type_bit_maps(), qtype, what, "NSEC3 for the name");
        }
        // An unsigned delegation in an opt-out span (RFC 5155 §8.6).
        if qtype == RecordType::DS
            && let Some((_, next_closer)) = closest()
            && covering(&next_closer).is_some_and(NSEC3::opt_out)
        {
            return Ok(());
        }
        return Err(fail("no signed NSEC3 matches the name".into()));
    }
    let Some((ce, next_closer)) = closest() else {
        return Err(fail("no signed NSEC3 proves a closest encloser".into()));
    };
    if covering(&next_closer).is_none() {
        return Err(fail(format!("no signed NSEC3 covers {next_closer}")));
    }
    let Ok(wild) = ce.prepend_label("*") else {
        return Err(fail("no closest encloser".into()));
    };
    if covering(&wild).is_none() {
        return Err(fail(format!(
            "no signed NSEC3 proves that {wild} does not exist"
        )));
    }
    Ok(())
}
