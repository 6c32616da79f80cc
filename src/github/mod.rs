//! Being a good citizen of GitHub's REST API, for every part of gitsm that
//! talks to it (the gate's `--github` adapter and `gitsm serve`): the client ([`client`]),
//! when to retry and how long to wait ([`retry`]), and the size limits GitHub
//! puts on what it accepts ([`limits`]). No gate rules live here, and
//! nothing here prints.

pub mod client;
pub mod limits;
pub mod retry;
