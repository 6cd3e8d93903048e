//! End-to-end tests of the `agora` binary: each feature folder drives the
//! real binary (and, for `serve`, a real HTTP server over loopback) through
//! the harness in `common`.

mod common;

mod audit;
mod catalog;
mod config;
mod contents;
mod eval;
mod help;
mod hostile;
mod import;
mod ledger;
mod library;
mod memberships;
mod models;
mod openapi;
mod outsourcing;
mod partners;
mod permissions;
mod recommendations;
mod seed;
mod serve;
mod sessions;
mod store_lock;
mod users;
mod verify;
