//! The program's integration tests, one binary, each running the real `scitrial` binary:
//! `classify` (cli), the server commands (server), signed audit checkpoints (checkpoints), the
//! API against its contract under schemathesis (contract), `randomization verify`
//! (randomization_verify), `export sdtm` read back by pyreadstat and pandas with its
//! define.xml validated (sdtm), `export odm` validated and read back (odm), `import odm` round
//! trip and refusals (odm_import), `safety e2b` read back by e2br3 (e2b), nothing acknowledged
//! lost after kill -9 (durability) nor when a standby is promoted (failover), the server's
//! JSON logs (logs), `terms load` (terms), `isbt128 check-character` (isbt128), `labs ranges`
//! and `labs import` (labs), `backup` and `restore` while writes go on (backup), `export
//! synthetic --follow-up` analysed with every model fitted (synthetic). A test
//! over both databases names the one it failed on.

mod analysis;
mod backup;
mod checkpoints;
mod cli;
mod common;
mod contract;
mod durability;
mod e2b;
mod failover;
mod isbt128;
mod labs;
mod logs;
mod mail;
mod odm;
mod odm_import;
mod randomization_verify;
mod sdtm;
mod server;
mod synthetic;
mod terms;
