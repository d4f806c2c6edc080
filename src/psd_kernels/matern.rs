//! The Matérn kernels with ν = ½, 3/2, 5/2 (`r = ‖x − y‖`, `z = r/ℓ`):
//! `a² e^{−z}`, `a² (1 + √3 z) e^{−√3 z}`, `a² (1 + √5 z + 5z²/3) e^{−√5 z}`.

use super::kernel::{batch_param, check_points, distance, scale_by, squared_or_one, visit_params, PositiveSemidefiniteKernel};
use crate::error::Result;
use crate::params::{Param, Variable};
use crate::tensor::Tensor;

macro_rules! matern {
    ($(#[$doc:meta])* $name:ident, $label:literal, |$z:ident| $body:expr) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name {
            /// The amplitude `a` (`None`: 1).
            pub amplitude: Option<Param>,
            /// The length scale `ℓ` (`None`: 1).
            pub length_scale: Option<Param>,
        }
        impl $name {
            /// The kernel with the given amplitude and length scale (`None`: 1).
            pub fn new(amplitude: Option<Param>, length_scale: Option<Param>) -> Self {
                $name { amplitude, length_scale }
            }
        }
        impl PositiveSemidefiniteKernel for $name {
            fn name(&self) -> &str {
                $label
            }
            fn matrix(&self, x1: &Tensor, x2: &Tensor) -> Result<Tensor> {
                let dt = check_points(x1, x2, self.name())?;
                let mut $z = distance(x1, x2)?;
                if let Some(l) = &self.length_scale {
                    $z = $z.div(&batch_param(l, dt)?)?;
                }
                let k: Result<Tensor> = $body;
                scale_by(squared_or_one(&self.amplitude, dt)?, k?)
            }
            fn visit_variables(&self, f: &mut dyn FnMut(&Variable)) {
                visit_params(&[&self.amplitude, &self.length_scale], f)
            }
        }
    };
}

matern!(
    /// Matérn ν = ½ (the exponential / Ornstein–Uhlenbeck kernel).
    MaternOneHalf, "MaternOneHalf", |z| z.neg()?.exp()
);
matern!(
    /// Matérn ν = 3/2.
    MaternThreeHalves, "MaternThreeHalves", |z| {
        let s = z.mul_scalar(3f64.sqrt())?;
        s.add_scalar(1.0)?.mul(&s.neg()?.exp()?)
    }
);
matern!(
    /// Matérn ν = 5/2.
    MaternFiveHalves, "MaternFiveHalves", |z| {
        let s = z.mul_scalar(5f64.sqrt())?;
        s.add_scalar(1.0)?.add(&s.square()?.mul_scalar(1.0 / 3.0)?)?.mul(&s.neg()?.exp()?)
    }
);
