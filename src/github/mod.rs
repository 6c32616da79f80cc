//! Being a good citizen of GitHub's REST API, for every part of gitsm that
//! talks to it (the gate's `--github` adapter today, `gitsm serve` next):
//! when to retry and how long to wait ([`retry`]), and the size limits GitHub
//! puts on what it accepts ([`limits`]). No gate rules live here, and
//! nothing here prints.

pub mod limits;
pub mod retry;
