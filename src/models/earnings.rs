//! `earnings-logearn_height`: log earnings on height in inches, N = 1192, flat priors
//! (`posteriordb/earnings-logearn_height/model.stan`); the predictor is badly scaled, so the
//! metric's adaptation matters:
//!
//! ```text
//! log(earn) ~ N(β₁ + β₂ height, σ)
//! ```

use super::{reference, scalar, Data, ReferenceModel};
use crate::bijectors::{Exp, Identity};
use crate::distributions::{Distribution, Normal};
use crate::error::Result;
use crate::joint::Structure;
use crate::tensor::{DType, Tensor};
use std::sync::Arc;

const NAME: &str = "earnings-logearn_height";

pub(super) fn model() -> Result<ReferenceModel> {
    let data = Data::parse(NAME, include_str!("posteriordb/earnings-logearn_height/data.json"))?;
    let height = data.vector("height")?;
    let n = height.len();
    let x: Vec<f64> = height.iter().flat_map(|h| [1.0, *h]).collect();
    let x = Tensor::from_slice(&x, &[n, 2], DType::F64)?;
    let log_earn = data.tensor("earn")?.log()?;
    let target = move |s: &Structure| -> Result<Tensor> { Normal::new(x.matvec(s.get("beta")?)?, s.get("sigma")?.clone())?.log_prob(&log_earn)?.sum_all() };
    Ok(ReferenceModel {
        name: NAME,
        description: "regression on log scale, badly scaled predictor (height in inches)",
        stan: include_str!("posteriordb/earnings-logearn_height/model.stan"),
        init: Structure::Named(vec![("beta".into(), Tensor::vector(&[9.0, 0.0], DType::F64)?), ("sigma".into(), scalar(1.0)?)]),
        bijectors: vec![Arc::new(Identity::new()), Arc::new(Exp::new())],
        target: Arc::new(target),
        generated: None,
        reference: reference(NAME, include_str!("posteriordb/earnings-logearn_height/reference.json"))?,
    })
}
