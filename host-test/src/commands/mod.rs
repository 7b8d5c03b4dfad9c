//! One file per subcommand, plus the shared pieces: connection settings
//! (flags, env vars, TOML file), sink setup, report printing and progress.

pub mod audit;
pub mod audit_html;
pub mod audit_table;
pub mod config;
pub mod demo;
pub mod output;
pub mod progress;
pub mod sink;
pub mod status;
pub mod sync;

/// Exit codes a scheduler or script can branch on.
pub mod exit {
    pub const OK: i32 = 0;
    pub const HOST: i32 = 1;
    pub const CONFIG: i32 = 2;
    pub const AUTH: i32 = 3;
    pub const RATE_LIMITED: i32 = 4;
    pub const UPSTREAM: i32 = 5;
    pub const SINK: i32 = 6;
    pub const STORAGE: i32 = 7;
    pub const DEADLINE: i32 = 8;
    pub const NOT_FOUND: i32 = 10;
    /// `status` found a warning or failing runs: worth an alert.
    pub const ATTENTION: i32 = 9;
}
