//! The one integration-test binary (keeps link time down): each module is a
//! topic. Shared helpers live in `common`.

mod common;

mod acme;
mod authoring;
mod budget;
mod cache;
mod cli;
mod cmd;
mod cmdb;
mod corpus;
mod dora;
mod figures;
mod forms;
mod gate;
mod gate_attacks;
mod gate_github;
mod gate_output;
mod hostile;
mod ical;
mod impact;
mod intake;
mod loading;
mod outputs;
mod redteam;
mod releases;
mod report;
mod schemas;
mod serve;
mod ship;
mod sla;
mod status_page;
mod status_update;
mod statuspage;
mod yaml_fast;
