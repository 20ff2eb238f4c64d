//! The `hallguard` binary's library: which service roles exist and how one is started.
//! The binary (`main.rs`) parses flags; tests start services through [`start`] exactly as
//! `hallguard serve` does.

pub mod analyst;
pub mod analyze;
pub mod check;
pub mod demo;
pub mod lookup;
pub mod report;
pub mod serve;
pub mod suite;

pub use serve::{ServiceRole, StartError, start};
pub use suite::Suite;
