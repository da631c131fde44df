//! Training drills (*latihan simulasi*): a response team practises the 1×24-hour cycle on a simulated
//! outbreak, replayed into a running server faster than real time, and gets a score at the end.
//!
//! - [`scenario`]: what happens when (posts, citizen reports), the fact-checks known at the start, and the
//!   truth the team's verdicts are held to; a JSON Lines file, or the bundled outbreak built from the
//!   sample data.
//! - [`DrillClock`]: the drill's time, `speed` times faster than the wall clock; the server runs on it,
//!   so case deadlines, countdowns and the audit trail all read drill time.
//! - [`replay`]: sends each event to the server's own API when the drill's clock reaches it.
//! - [`score`]: what the team did, read from the drill's store: cases handled within their clock,
//!   verdicts against the truth, time to the first clarification, takedown requests sent.
//!
//! A drill keeps its data in a directory of its own, never in the real store (`tangkal drill` does so).

mod clock;
pub mod replay;
pub mod scenario;
pub mod score;

pub use clock::DrillClock;
pub use replay::{replay, ReplayTotals, Target};
pub use scenario::{Action, Event, Scenario, ScenarioError, Truth};
pub use score::{score, Score};
