//! `kidiq-kidscore_momhsiq`: linear regression of a child's test score on the mother's high
//! school completion and IQ, N = 434, flat priors on the coefficients
//! (`posteriordb/kidiq-kidscore_momhsiq/model.stan`):
//!
//! ```text
//! σ ~ HalfCauchy(0, 2.5),  kid_score ~ N(β₁ + β₂ mom_hs + β₃ mom_iq, σ)
//! ```

use super::{reference, scalar, Data, ReferenceModel};
use crate::bijectors::{Exp, Identity};
use crate::distributions::{Distribution, HalfCauchy, Normal};
use crate::error::Result;
use crate::joint::Structure;
use crate::tensor::{DType, Tensor};
use std::sync::Arc;

const NAME: &str = "kidiq-kidscore_momhsiq";

pub(super) fn model() -> Result<ReferenceModel> {
    let data = Data::parse(NAME, include_str!("posteriordb/kidiq-kidscore_momhsiq/data.json"))?;
    let (hs, iq) = (data.vector("mom_hs")?, data.vector("mom_iq")?);
    let n = hs.len();
    let x: Vec<f64> = (0..n).flat_map(|i| [1.0, hs[i], iq[i]]).collect();
    let x = Tensor::from_slice(&x, &[n, 3], DType::F64)?;
    let score = data.tensor("kid_score")?;
    let target = move |s: &Structure| -> Result<Tensor> {
        let (beta, sigma) = (s.get("beta")?, s.get("sigma")?);
        let prior = HalfCauchy::new(scalar(0.0)?, scalar(2.5)?)?.log_prob(sigma)?;
        prior.add(&Normal::new(x.matvec(beta)?, sigma.clone())?.log_prob(&score)?.sum_all()?)
    };
    Ok(ReferenceModel {
        name: NAME,
        description: "linear regression, flat priors, N = 434",
        stan: include_str!("posteriordb/kidiq-kidscore_momhsiq/model.stan"),
        init: Structure::Named(vec![("beta".into(), Tensor::vector(&[80.0, 0.0, 0.0], DType::F64)?), ("sigma".into(), scalar(20.0)?)]),
        bijectors: vec![Arc::new(Identity::new()), Arc::new(Exp::new())],
        target: Arc::new(target),
        generated: None,
        reference: reference(NAME, include_str!("posteriordb/kidiq-kidscore_momhsiq/reference.json"))?,
    })
}
