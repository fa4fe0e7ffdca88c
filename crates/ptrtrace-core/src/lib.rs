//! ptrtrace: find the DNS server that breaks an address's reverse DNS.
//!
//! The engine as a library: [`trace`] walks from the root to every authoritative server,
//! [`graph`] models what it saw, [`diagnose`] turns that into findings and a verdict, and
//! [`report`] renders them. The built-in lab of faulty servers is the `ptrtrace-lab` crate.
//! The engine never prints (docs/design.md §1); progress leaves as [`trace::Event`]s.

#![warn(missing_docs)]

pub mod bounded;
pub mod diagnose;
pub mod dnssec;
pub mod graph;
pub mod hints;
pub mod model;
pub mod net;
pub mod report;
pub mod run;
pub mod targets;
pub mod trace;
pub mod words;
