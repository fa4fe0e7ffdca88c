//! One file per command; each returns an [`crate::exit::Outcome`].

pub mod check;
pub mod diff;
pub mod docs;
pub mod history;
pub mod lab;
pub mod serve;
pub mod trace;
pub mod watch;
