//! DNSSEC along the walk: the per-server validation of what every server on the path
//! returned ([`validate`]); the trust anchors it starts from are data ([`crate::model::anchors`]).
//!
//! ptrtrace is not a validating resolver: it has already asked every server separately, so it
//! judges each server's DNSKEY, DS, RRSIG and NSEC records on their own, against the keys that
//! chain from the trust anchor. That is how one secondary serving expired signatures is told
//! from its healthy siblings.

pub mod validate;

pub use crate::model::anchors::{Anchor, AnchorError, TrustAnchors, ds_of};
