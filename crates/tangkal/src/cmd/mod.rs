//! One module per subcommand; each exposes `Args` (or `Command`) and `run`.

pub mod audit;
pub mod demo;
pub mod factchecks;
pub mod ingest;
pub mod items;
pub mod matching;
pub mod narratives;
pub mod serve;
pub mod text;
pub mod token;
pub mod user;
