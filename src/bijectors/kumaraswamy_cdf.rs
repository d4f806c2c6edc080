//! `KumaraswamyCDF`: `y = 1 − (1 − x^a)^b` on `[0, 1]` (concentration1 a, concentration0 b).
//! `log|dy/dx| = log a + log b + (a − 1) log x + (b − 1) log(1 − x^a)`;
//! `x = (1 − (1 − y)^{1/b})^{1/a}`.

use super::bijector::param_for;
use super::Bijector;
use crate::error::Result;
use crate::variables::{Param, Parameters, Variable};
use super::{constraining, ParameterProperties, Trainable};
use crate::tensor::{DType, Mask, Tensor};

/// The Kumaraswamy CDF as a bijector on the unit interval.
///
/// ```
/// use probrs::bijectors::{Bijector, KumaraswamyCDF};
/// use probrs::tensor::{DType, Tensor};
/// // With a = b = 1 the CDF is the identity on (0, 1); with a = 2, b = 1 it is x².
/// let x = Tensor::scalar(0.3, DType::F64)?;
/// assert!((KumaraswamyCDF::new(1.0, 1.0).forward(&x)?.to_scalar()? - 0.3).abs() < 1e-12);
/// let b = KumaraswamyCDF::new(2.0, 1.0);
/// assert!((b.forward(&x)?.to_scalar()? - 0.09).abs() < 1e-12);
/// assert!((b.inverse(&Tensor::scalar(0.09, DType::F64)?)?.to_scalar()? - 0.3).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct KumaraswamyCDF {
    a: Param,
    b: Param,
}

impl KumaraswamyCDF {
    /// `y = 1 − (1 − x^a)^b` with `a = concentration1`, `b = concentration0` (both positive).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::{Bijector, KumaraswamyCDF};
    /// // a = 1, b = 2: 1 − (1 − x)²
    /// let y = KumaraswamyCDF::new(1.0, 2.0).forward(&Tensor::scalar(0.5, DType::F64)?)?;
    /// assert!((y.to_scalar()? - 0.75).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(concentration1: impl Into<Param>, concentration0: impl Into<Param>) -> Self {
        KumaraswamyCDF { a: concentration1.into(), b: concentration0.into() }
    }
}

impl Bijector for KumaraswamyCDF {
    fn name(&self) -> &str {
        "kumaraswamy_cdf"
    }
    fn is_increasing(&self) -> Result<Option<Mask>> {
        super::bijector::increasing()
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let (a, b) = (param_for(&self.a, x)?, param_for(&self.b, x)?);
        // −expm1(b log(−expm1(a log x))): accurate near both ends.
        x.log()?.mul(&a)?.expm1()?.neg()?.log()?.mul(&b)?.expm1()?.neg()
    }
    fn inverse(&self, y: &Tensor) -> Result<Tensor> {
        let (a, b) = (param_for(&self.a, y)?, param_for(&self.b, y)?);
        // (1 − (1 − y)^{1/b})^{1/a} = exp(log(−expm1(log1p(−y)/b)) / a)
        y.neg()?.log1p()?.div(&b)?.expm1()?.neg()?.log()?.div(&a)?.exp()
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        let (a, b) = (param_for(&self.a, x)?, param_for(&self.b, x)?);
        let lx = x.log()?;
        a.log()?.add(&b.log()?)?.add(&a.add_scalar(-1.0)?.mul(&lx)?)?.add(&b.add_scalar(-1.0)?.mul(&lx.mul(&a)?.expm1()?.neg()?.log()?)?)
    }
    fn visit_variables(&self, f: &mut dyn FnMut(&Variable)) {
        self.a.visit_variables(f);
        self.b.visit_variables(f);
    }
}

impl Trainable for KumaraswamyCDF {
    const NAME: &'static str = "KumaraswamyCDF";
    /// Both concentrations positive (softplus), as TFP.
    ///
    /// ```
    /// use probrs::bijectors::{Bijector, KumaraswamyCDF};
    /// use probrs::params::MakeTrainable;
    /// use probrs::tensor::{DType, Tensor};
    /// let b: KumaraswamyCDF = MakeTrainable::new().initial_value("concentration1", 2.0).initial_value("concentration0", 1.0).build()?;
    /// let y = b.forward(&Tensor::scalar(0.5, DType::F32)?)?.to_scalar()?;
    /// assert!((y - 0.25).abs() < 1e-5); // x² for a = 2, b = 1
    /// assert_eq!(b.trainable_variables().len(), 2);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    fn parameter_properties(_: DType) -> Vec<(&'static str, ParameterProperties)> {
        vec![
            ("concentration1", ParameterProperties { default_constraining_bijector: constraining::positive, ..Default::default() }),
            ("concentration0", ParameterProperties { default_constraining_bijector: constraining::positive, ..Default::default() }),
        ]
    }
    fn from_parameters(mut p: Parameters) -> Result<Self> {
        let b = KumaraswamyCDF::new(p.take_required("concentration1", Self::NAME)?, p.take_required("concentration0", Self::NAME)?);
        p.finish(Self::NAME)?;
        Ok(b)
    }
}
