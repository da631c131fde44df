//! The shipped ranker and calibration weights.

use crate::calibrate::{Calibration, Model};

/// Fitted with `examples/calibrate.rs` on half A of the development data (see its header).
pub(crate) fn default_model() -> Model {
    Model {
        rank: vec![2.897, -0.6188, -2.1846, 2.6116, 1.7865, -4.2698, -0.4703, 0.0, 4.3649, -0.4834, 0.5, 1.1581],
        calibration: Calibration {
            bias: -4.1699,
            rank: 0.5067,
            query: vec![0.6917, 1.8269, -1.0163, -0.9403, 0.0893, 0.5939, 0.2005],
        },
    }
}
