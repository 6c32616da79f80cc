//! gitsm: IT service management as code.
//!
//! The library holds the domain (record kinds, workflows), loading, validation
//! and rendering; it never prints (the lint below enforces it: printing is
//! the binary's choice). The `gitsm` binary parses arguments, calls into it
//! and chooses how to print.

#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod authoring;
pub mod availability;
pub mod budget;
pub mod calendar;
pub mod cmdb;
pub mod diag;
pub mod dora;
pub mod edit;
pub mod figures;
pub mod forms;
pub mod fsutil;
pub mod gate;
pub mod github;
pub mod glance;
pub mod globs;
pub mod graph;
pub mod history;
pub mod ical;
pub mod impact;
pub mod init;
pub mod intake;
pub mod model;
pub mod release;
pub mod repo;
pub mod report;
pub mod schema;
pub mod serve;
pub mod sla;
pub mod status;
pub mod templating;
pub mod text;
pub mod trends;
pub mod validate;
pub mod workflow;
pub mod yaml;
