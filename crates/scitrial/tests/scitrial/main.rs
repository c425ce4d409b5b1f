//! The program's integration tests, one binary, each running the real `scitrial` binary:
//! `classify` (cli), the server commands (server), `randomization verify`
//! (randomization_verify), and nothing acknowledged lost after kill -9 (durability). A test
//! over both databases names the one it failed on.

mod cli;
mod common;
mod durability;
mod randomization_verify;
mod server;
