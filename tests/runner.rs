//! The one integration-test binary (keeps link time down): each module is a
//! topic. Shared helpers live in `common`.

mod common;

mod authoring;
mod cli;
mod corpus;
mod gate;
mod gate_github;
mod hostile;
mod loading;
mod report;
mod schemas;
mod sla;
mod status_page;
