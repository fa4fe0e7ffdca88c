//! Negative answers: NXDOMAIN and NODATA proven by a signed NSEC chain (RFC 4035 §5.4).

use super::*;

/// Does the NSEC at `owner` (pointing to `next`) cover `name`: owner < name < next in
/// canonical order, the last NSEC wrapping round to the apex (RFC 4034 §6.1, §4.1.1)?
pub(super) fn covers(owner: &Name, next: &Name, name: &Name) -> bool {
    if owner < name {
        name < next || next <= owner
    } else {
        false
    }
}

/// A NODATA proof's type bitmap must show neither the type asked nor a CNAME.
pub(super) fn type_absent(
    types: impl Iterator<Item = RecordType>,
    qtype: RecordType,
    what: &str,
    record: &str,
) -> Result<(), Problem> {
    let types: BTreeSet<RecordType> = types.collect();
    if types.contains(&qtype) || types.contains(&RecordType::CNAME) {
        return Err(Problem::new(
            BogusReason::BadDenial,
            format!("{what}: the {record} lists {qtype} (or CNAME) as present"),
        ));
    }
    Ok(())
}

/// A positive answer expanded from a wildcard (its RRSIG's labels field, `labels`, is below
/// the owner's label count) must carry a signed NSEC covering the name (RFC 4035 §5.3.4, RFC
/// 4592), or in an NSEC3 zone a signed NSEC3 covering the next closer name (RFC 5155 §8.8):
/// no closer match exists.
pub(super) fn wildcard_proof(
    msg: &Message,
    qname: &Name,
    labels: u8,
    keys: &[DNSKEY],
    zone: &Name,
    v: &Validator,
) -> Result<(), Problem> {
    let auth = &msg.authorities;
    if auth.iter().any(|r| r.record_type() == RecordType::NSEC3) {
        return super::nsec3::nsec3_wildcard(auth, qname, labels, keys, zone, v);
    }
    let mut problem = Problem::new(
        BogusReason::BadDenial,
        format!(
            "{qname}: a wildcard answer came without a signed NSEC proving that no closer name exists"
        ),
    );
    for r in auth {
        let RData::DNSSEC(DNSSECRData::NSEC(n)) = &r.data else {
            continue;
        };
        if !covers(&r.name, n.next_domain_name(), qname) {
            continue;
        }
        let set = rrset_in(auth, &r.name, RecordType::NSEC);
        let sigs = sigs_in(auth, &r.name, RecordType::NSEC);
        match verify_set(&r.name, RecordType::NSEC, &set, &sigs, keys, zone, v) {
            Ok(_) => return Ok(()),
            Err(p) => problem = p,
        }
    }
    Err(problem)
}

/// Checks the NSEC proof of an NXDOMAIN or NODATA reply (RFC 4035 §5.4).
pub(super) fn denial(
    msg: &Message,
    qname: &Name,
    qtype: RecordType,
    nxdomain: bool,
    keys: &[DNSKEY],
    zone: &Name,
    v: &Validator,
) -> Result<(), Problem> {
    let auth = &msg.authorities;
    let what = if nxdomain {
        format!("NXDOMAIN for {qname}")
    } else {
        format!("NODATA for {qname} {qtype}")
    };
    let nsec3 = auth.iter().any(|r| r.record_type() == RecordType::NSEC3);
    let nsecs: Vec<(&Name, &NSEC)> = auth
        .iter()
        .filter_map(|r| match &r.data {
            RData::DNSSEC(DNSSECRData::NSEC(n)) => Some((&r.name, n)),
            _ => None,
        })
        .collect();
    if nsecs.is_empty() {
        if nsec3 {
            return nsec3_denial(auth, qname, qtype, nxdomain, keys, zone, v, &what);
        }
        return Err(Problem::new(
            BogusReason::BadDenial,
            format!("{what} came without NSEC or NSEC3 records: nothing proves it"),
        ));
    }
    // Every NSEC used must itself be signed.
    let mut valid: Vec<(&Name, &NSEC)> = Vec::new();
    let mut sig_problem: Option<Problem> = None;
    for (owner, n) in &nsecs {
        let set = rrset_in(auth, owner, RecordType::NSEC);
        let sigs = sigs_in(auth, owner, RecordType::NSEC);
        match verify_set(owner, RecordType::NSEC, &set, &sigs, keys, zone, v) {
            Ok(_) => valid.push((owner, n)),
            Err(p) => sig_problem = Some(p),
        }
    }
    let fail = |detail: String| {
        sig_problem
            .clone()
            .unwrap_or_else(|| Problem::new(BogusReason::BadDenial, format!("{what}: {detail}")))
    };
    if nxdomain {
        let Some((owner, n)) = valid
            .iter()
            .find(|(o, n)| covers(o, n.next_domain_name(), qname))
        else {
            return Err(fail("no signed NSEC covers the name".into()));
        };
        // The closest encloser is the longest ancestor of the name shared with either end
        // of the covering NSEC; no wildcard may exist directly below it.
        let common = |a: &Name| {
            let mut c = qname.base_name();
            while !c.zone_of(a) && !c.is_root() {
                c = c.base_name();
            }
            c
        };
        let (c1, c2) = (common(owner), common(n.next_domain_name()));
        let ce = if c1.num_labels() >= c2.num_labels() {
            c1
        } else {
            c2
        };
        let Ok(wild) = ce.prepend_label("*") else {
            return Err(fail("no closest encloser".into()));
        };
        let wild_denied = valid
            .iter()
            .any(|(o, n)| covers(o, n.next_domain_name(), &wild));
        if !wild_denied {
            return Err(fail(format!(
                "no signed NSEC proves that {wild} does not exist"
            )));
        }
        Ok(())
    } else {
        if let Some((_, n)) = valid.iter().find(|(o, _)| *o == qname) {
            return type_absent(n.type_bit_maps(), qtype, &what, "NSEC at the name");
        }
        // An empty non-terminal: an NSEC covering it whose next name is below it.
        if valid.iter().any(|(o, n)| {
            covers(o, n.next_domain_name(), qname) && qname.zone_of(n.next_domain_name())
        }) {
            return Ok(());
        }
        Err(fail(
            "no signed NSEC at the name shows the type absent".into(),
        ))
    }
}
