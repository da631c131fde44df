//! The shipped ranker and calibration.

use crate::calibrate::Model;

/// Fitted with `examples/calibrate.rs --save src/model.json` on half A of the development data
/// (see its header).
pub(crate) fn default_model() -> Model {
    serde_json::from_str(include_str!("model.json")).expect("the shipped model parses")
}
