//! ptrtrace: find the DNS server that breaks an address's reverse DNS.
//!
//! The engine as a library: [`trace`] walks from the root to every authoritative server,
//! [`graph`] models what it saw, [`diagnose`] turns that into findings and a verdict, and
//! [`report`] renders them. [`lab`] is the built-in lab of faulty servers on loopback.
//! The engine never prints (STYLE.md §1); progress leaves as [`trace::Event`]s.

#![warn(missing_docs)]

/// Command-line definitions; doc comments here are `--help` text.
#[allow(missing_docs)]
pub mod cli;
pub mod diagnose;
pub mod dnssec;
pub mod graph;
pub mod hints;
pub mod lab;
pub mod net;
pub mod report;
pub mod targets;
pub mod trace;
