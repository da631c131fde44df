//! One module per subcommand; each exposes `Args` (or `Command`) and `run`.

pub mod demo;
pub mod ingest;
pub mod items;
