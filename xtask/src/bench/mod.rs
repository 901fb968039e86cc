//! `cargo xtask bench`, `demo` and `readme`: the experiment in local workerd and what is
//! made of it.
//!
//! [`modes`] lists every mode once; [`run`] measures them (validated `/batch` requests,
//! interleaved runs) and [`probes`] the figures besides, [`conversion`] the value
//! conversion of calls by name; [`results`] summarizes the
//! samples into the rows that `bench.json` holds and reads them back; [`report`] writes
//! `bench.md`, [`sections`] every generated table, [`targets`] checks the project's
//! targets, [`plot`] draws the SVGs, [`demo`] is the short run for newcomers, and
//! [`generated`] keeps the generated sections of README.md and docs/*.md equal to `results/`.

pub mod conversion;
pub mod demo;
pub mod generated;
pub mod modes;
pub mod plot;
pub mod probes;
pub mod report;
pub mod results;
pub mod run;
pub mod sections;
pub mod targets;
