//! The auth0-audit host: runs the component, keeps its state, collects output.

pub mod collector;
pub mod commands;
pub mod runtime;
