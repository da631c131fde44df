//! One module per subcommand; each exposes `Args` (or `Command`) and `run`.

pub mod audit;
pub mod demo;
pub mod ingest;
pub mod items;
pub mod serve;
pub mod token;
pub mod user;
