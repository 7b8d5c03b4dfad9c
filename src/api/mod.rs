//! The Management API client: one request loop (`client`), its shared run
//! state (`session`), and one file per endpoint family.

pub mod client;
pub mod clients;
pub mod grants;
pub mod link;
pub mod logs;
pub mod organizations;
pub mod paging;
pub mod query;
pub mod session;
