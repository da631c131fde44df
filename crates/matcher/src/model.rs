//! The shipped ranker and calibration weights.

use crate::calibrate::{Calibration, Model};

/// Fitted with `examples/calibrate.rs` on half A of the development data (see its header).
pub(crate) fn default_model() -> Model {
    Model {
        rank: vec![2.6223, 0.4482, -1.6932, 2.9913, 1.769, -4.605, -0.3432, 0.0, 4.1695, -0.4902, 0.3628, 0.911],
        calibration: Calibration {
            bias: -5.2177,
            rank: 0.5284,
            query: vec![0.679, 1.6745, -0.553, -0.9375, 0.1861, 0.5571, 0.2411],
        },
    }
}
