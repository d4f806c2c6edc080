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
            ///
            #[doc = concat!(
                "```\n",
                "use probrs::psd_kernels::{", stringify!($name), ", PositiveSemidefiniteKernel};\n",
                "use probrs::tensor::{DType, Tensor};\n",
                "// k(x, x) = a², decreasing with distance.\n",
                "let k = ", stringify!($name), "::new(Some(2.0.into()), Some(0.5.into()));\n",
                "let x = Tensor::from_slice(&[0.0, 1.0], &[2, 1], DType::F64)?;\n",
                "let m = k.matrix(&x, &x)?.to_vec()?;\n",
                "assert!((m[0] - 4.0).abs() < 1e-12 && m[1] < m[0] && m[1] > 0.0);\n",
                "# Ok::<(), probrs::Error>(())\n",
                "```"
            )]
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
    ///
    /// ```
    /// use probrs::psd_kernels::{MaternOneHalf, PositiveSemidefiniteKernel};
    /// use probrs::tensor::{DType, Tensor};
    /// // e^(−r/ℓ) with ℓ = 2, r = 1
    /// let x = Tensor::from_slice(&[0.0, 1.0], &[2, 1], DType::F64)?;
    /// let m = MaternOneHalf::new(None, Some(2.0.into())).matrix(&x, &x)?.to_vec()?;
    /// assert!((m[1] - (-0.5f64).exp()).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    MaternOneHalf, "MaternOneHalf", |z| z.neg()?.exp()
);
matern!(
    /// Matérn ν = 3/2.
    ///
    /// ```
    /// use probrs::psd_kernels::{MaternThreeHalves, PositiveSemidefiniteKernel};
    /// use probrs::tensor::{DType, Tensor};
    /// // (1 + √3 r) e^(−√3 r) with ℓ = 1, r = 1
    /// let x = Tensor::from_slice(&[0.0, 1.0], &[2, 1], DType::F64)?;
    /// let m = MaternThreeHalves::new(None, None).matrix(&x, &x)?.to_vec()?;
    /// let s = 3f64.sqrt();
    /// assert!((m[1] - (1.0 + s) * (-s).exp()).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    MaternThreeHalves, "MaternThreeHalves", |z| {
        let s = z.mul_scalar(3f64.sqrt())?;
        s.add_scalar(1.0)?.mul(&s.neg()?.exp()?)
    }
);
matern!(
    /// Matérn ν = 5/2.
    ///
    /// ```
    /// use probrs::psd_kernels::{MaternFiveHalves, PositiveSemidefiniteKernel};
    /// use probrs::tensor::{DType, Tensor};
    /// // (1 + √5 r + 5r²/3) e^(−√5 r) with ℓ = 1, r = 1
    /// let x = Tensor::from_slice(&[0.0, 1.0], &[2, 1], DType::F64)?;
    /// let m = MaternFiveHalves::new(None, None).matrix(&x, &x)?.to_vec()?;
    /// let s = 5f64.sqrt();
    /// assert!((m[1] - (1.0 + s + 5.0 / 3.0) * (-s).exp()).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    MaternFiveHalves, "MaternFiveHalves", |z| {
        let s = z.mul_scalar(5f64.sqrt())?;
        s.add_scalar(1.0)?.add(&s.square()?.mul_scalar(1.0 / 3.0)?)?.mul(&s.neg()?.exp()?)
    }
);
