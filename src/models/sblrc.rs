//! `sblrc-blr`: Bayesian linear regression with a very tight posterior (sd ≈ 1e-3), N = 100,
//! D = 5 (`posteriordb/sblrc-blr/model.stan`):
//!
//! ```text
//! β_d ~ N(0, 10),  σ ~ HalfNormal(10),  y ~ N(X β, σ)
//! ```

use super::{reference, scalar, Data, ReferenceModel};
use crate::bijectors::{Exp, Identity};
use crate::distributions::{Distribution, Normal};
use crate::error::Result;
use crate::joint::Structure;
use crate::tensor::{DType, Tensor};
use std::sync::Arc;

const NAME: &str = "sblrc-blr";

pub(super) fn model() -> Result<ReferenceModel> {
    let data = Data::parse(NAME, include_str!("posteriordb/sblrc-blr/data.json"))?;
    let (x, n, d) = data.matrix("X")?;
    let x = Tensor::from_slice(&x, &[n, d], DType::F64)?;
    let y = data.tensor("y")?;
    let target = move |s: &Structure| -> Result<Tensor> {
        let (beta, sigma) = (s.get("beta")?, s.get("sigma")?);
        let wide = Normal::new(scalar(0.0)?, scalar(10.0)?)?;
        let prior = wide.log_prob(beta)?.sum_all()?.add(&wide.log_prob(sigma)?)?;
        prior.add(&Normal::new(x.matvec(beta)?, sigma.clone())?.log_prob(&y)?.sum_all()?)
    };
    Ok(ReferenceModel {
        name: NAME,
        description: "Bayesian linear regression, very tight posterior",
        stan: include_str!("posteriordb/sblrc-blr/model.stan"),
        init: Structure::Named(vec![("beta".into(), Tensor::zeros(&[d], DType::F64)?), ("sigma".into(), scalar(1.0)?)]),
        bijectors: vec![Arc::new(Identity::new()), Arc::new(Exp::new())],
        target: Arc::new(target),
        generated: None,
        reference: reference(NAME, include_str!("posteriordb/sblrc-blr/reference.json"))?,
    })
}
