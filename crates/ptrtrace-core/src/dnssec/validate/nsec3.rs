//! Negative answers proven by NSEC3 (RFC 5155 §8): closest encloser, next closer name and
//! wildcard, with the iteration count bounded.

use super::*;

use hickory_proto::dnssec::rdata::NSEC3;

/// The signed NSEC3 records of one reply's authority section for `zone`: each as (its owner's
/// hash, the next hash, the record), with the hash parameters of the first.
struct Chain<'a> {
    valid: Vec<(String, String, &'a NSEC3)>,
    /// Why an NSEC3 of the reply did not verify, if one did not.
    sig_problem: Option<Problem>,
}

/// What a reply's NSEC3 records can prove, once their signatures are checked.
enum Proof<'a> {
    /// A chain to look names up in.
    Chain(Chain<'a>),
    /// The iterations are above [`NSEC3_MAX_ITERATIONS`]: not judged (validators may treat
    /// such zones as insecure, RFC 9276).
    TooCostly,
    /// No NSEC3 verified: why.
    Nothing(Problem),
}

impl<'a> Chain<'a> {
    fn of(
        auth: &'a [Record],
        keys: &[DNSKEY],
        zone: &Name,
        v: &Validator,
        what: &str,
    ) -> Proof<'a> {
        let mut chain = Chain {
            valid: Vec::new(),
            sig_problem: None,
        };
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
                    chain.valid.push((owner, next, n));
                }
                Err(p) => chain.sig_problem = Some(p),
            }
        }
        match chain.valid.first() {
            None => Proof::Nothing(chain.fail(what, "no signed NSEC3 record".into())),
            Some((_, _, p)) if p.iterations() > NSEC3_MAX_ITERATIONS => Proof::TooCostly,
            Some(_) => Proof::Chain(chain),
        }
    }

    /// A failed proof: the signature problem if an NSEC3 did not verify, else `detail`.
    fn fail(&self, what: &str, detail: String) -> Problem {
        self.sig_problem
            .clone()
            .unwrap_or_else(|| Problem::new(BogusReason::BadDenial, format!("{what}: {detail}")))
    }

    fn hash(&self, n: &Name) -> Option<String> {
        let (_, _, p) = self.valid.first()?;
        p.hash_algorithm()
            .hash(p.salt(), n, p.iterations())
            .ok()
            .map(|d| data_encoding::BASE32_DNSSEC.encode(d.as_ref()))
    }

    /// The NSEC3 whose owner is `n`'s hash.
    fn matching(&self, n: &Name) -> Option<&'a NSEC3> {
        let h = self.hash(n)?;
        self.valid
            .iter()
            .find(|(o, _, _)| *o == h)
            .map(|(_, _, x)| *x)
    }

    /// The NSEC3 whose span covers `n`'s hash: `n` does not exist.
    fn covering(&self, n: &Name) -> Option<&'a NSEC3> {
        let h = self.hash(n)?;
        self.valid
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
    }

    /// The closest encloser of `qname` in `zone` (its longest existing ancestor) and the next
    /// closer name below it.
    fn closest(&self, qname: &Name, zone: &Name) -> Option<(Name, Name)> {
        let mut cur = qname.clone();
        while cur.num_labels() > zone.num_labels() {
            let parent = cur.base_name();
            if self.matching(&parent).is_some() {
                return Some((parent, cur));
            }
            cur = parent;
        }
        None
    }
}

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
    let chain = match Chain::of(auth, keys, zone, v, what) {
        Proof::Chain(c) => c,
        Proof::TooCostly => return Ok(()),
        Proof::Nothing(p) => return Err(p),
    };
    if !nxdomain {
        if let Some(n) = chain.matching(qname) {
            return type_absent(n.type_bit_maps(), qtype, what, "NSEC3 for the name");
        }
        // An unsigned delegation in an opt-out span (RFC 5155 §8.6).
        if qtype == RecordType::DS
            && let Some((_, next_closer)) = chain.closest(qname, zone)
            && chain.covering(&next_closer).is_some_and(NSEC3::opt_out)
        {
            return Ok(());
        }
        return Err(chain.fail(what, "no signed NSEC3 matches the name".into()));
    }
    let Some((ce, next_closer)) = chain.closest(qname, zone) else {
        return Err(chain.fail(what, "no signed NSEC3 proves a closest encloser".into()));
    };
    if chain.covering(&next_closer).is_none() {
        return Err(chain.fail(what, format!("no signed NSEC3 covers {next_closer}")));
    }
    let Ok(wild) = ce.prepend_label("*") else {
        return Err(chain.fail(what, "no closest encloser".into()));
    };
    if chain.covering(&wild).is_none() {
        return Err(chain.fail(
            what,
            format!("no signed NSEC3 proves that {wild} does not exist"),
        ));
    }
    Ok(())
}

/// A positive answer for `qname` expanded from a wildcard whose RRSIG has `labels` labels,
/// in an NSEC3 zone (RFC 5155 §8.8): the closest encloser is `qname`'s ancestor of `labels`
/// labels, and a signed NSEC3 must cover the next closer name (the ancestor one label
/// longer), proving that no closer name exists to have answered instead.
pub(super) fn nsec3_wildcard(
    auth: &[Record],
    qname: &Name,
    labels: u8,
    keys: &[DNSKEY],
    zone: &Name,
    v: &Validator,
) -> Result<(), Problem> {
    let what = format!("{qname}: a wildcard answer");
    let chain = match Chain::of(auth, keys, zone, v, &what) {
        Proof::Chain(c) => c,
        Proof::TooCostly => return Ok(()),
        Proof::Nothing(p) => return Err(p),
    };
    let next_closer = qname.trim_to(usize::from(labels) + 1);
    if chain.covering(&next_closer).is_none() {
        return Err(chain.fail(
            &what,
            format!(
                "no signed NSEC3 covers {next_closer}, so nothing proves that no closer name exists"
            ),
        ));
    }
    Ok(())
}
