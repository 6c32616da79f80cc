//! The one integration-test binary (keeps link time down): each module is a
//! topic. Shared helpers live in `common`.

mod common;

mod cli;
mod gate;
mod gate_github;
mod schemas;
