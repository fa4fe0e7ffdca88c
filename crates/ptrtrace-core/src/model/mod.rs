//! The data model: what a trace observed ([`walk`]), what one reply means ([`reply`]), the
//! replies kept for validation ([`kept`]), trust anchors ([`anchors`]), dates ([`clock`]) and what diagnosis
//! concludes ([`finding`]). Nearly a leaf: it imports nothing else of the crate but
//! [`crate::bounded`] (anchor files are read within a maximum), and every other module may
//! import it (docs/architecture.md).

pub mod anchors;
pub mod clock;
pub mod finding;
pub mod kept;
pub mod rdata;
pub mod reply;
pub mod walk;

pub use finding::{
    BogusReason, Detail, Finding, FindingKind, Limit, LocalFailure, LocalKind, Reason, Severity,
    Verdict,
};
pub use rdata::{Rdata, Soa};
pub use reply::{LameReason, Rcode, Referral, ReplyClass, Silence, Transport};
pub use walk::{
    AttemptRecord, AttemptStatus, CnameLoop, CutSeen, DelegationSeen, LimitHit, Probe, ProbeKind,
    Purpose, QId, Question, Walk, Zone, forward_type,
};
