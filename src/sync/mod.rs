//! The `sync-logs` job and its rules, one file each.

pub mod batch;
pub mod checkpoint;
pub mod filter;
pub mod gaps;
pub mod health;
pub mod lease;
pub mod options;
pub mod run;
pub mod start;
pub mod status;
pub mod usage;

pub use run::sync_logs;
pub use status::sync_status;

#[cfg(test)]
mod tests;
