//! `arK-arK`: an autoregressive model of order K = 5 over T = 200 observations
//! (`posteriordb/arK-arK/model.stan`):
//!
//! ```text
//! α ~ N(0, 10),  β_k ~ N(0, 10),  σ ~ HalfCauchy(0, 2.5),
//! y_t ~ N(α + Σ_k β_k y_{t−k}, σ)   for t = K+1..T
//! ```
//! The lags are a `[T − K, K]` design matrix built once.

use super::{reference, scalar, Data, ReferenceModel};
use crate::bijectors::{Exp, Identity};
use crate::distributions::{Distribution, HalfCauchy, Normal};
use crate::error::Result;
use crate::joint::Structure;
use crate::tensor::{DType, Tensor};
use std::sync::Arc;

const NAME: &str = "arK-arK";

pub(super) fn model() -> Result<ReferenceModel> {
    let data = Data::parse(NAME, include_str!("posteriordb/arK-arK/data.json"))?;
    let y = data.vector("y")?;
    let k = data.json.get("K").and_then(|v| v.as_u64()).unwrap_or(5) as usize;
    let t = y.len();
    // lags[t − K − 1][k − 1] = y[t − k] (1-based t = K+1..T)
    let lags: Vec<f64> = (k..t).flat_map(|i| (1..=k).map(move |j| (i, j))).map(|(i, j)| y[i - j]).collect();
    let lags = Tensor::from_slice(&lags, &[t - k, k], DType::F64)?;
    let response = Tensor::vector(&y[k..], DType::F64)?;
    let target = move |s: &Structure| -> Result<Tensor> {
        let (alpha, beta, sigma) = (s.get("alpha")?, s.get("beta")?, s.get("sigma")?);
        let wide = Normal::new(scalar(0.0)?, scalar(10.0)?)?;
        let prior = wide.log_prob(alpha)?.add(&wide.log_prob(beta)?.sum_all()?)?.add(&HalfCauchy::new(scalar(0.0)?, scalar(2.5)?)?.log_prob(sigma)?)?;
        let mu = lags.matvec(beta)?.add(alpha)?;
        prior.add(&Normal::new(mu, sigma.clone())?.log_prob(&response)?.sum_all()?)
    };
    Ok(ReferenceModel {
        name: NAME,
        description: "autoregressive model of order 5, T = 200",
        stan: include_str!("posteriordb/arK-arK/model.stan"),
        init: Structure::Named(vec![("alpha".into(), scalar(0.0)?), ("beta".into(), Tensor::zeros(&[k], DType::F64)?), ("sigma".into(), scalar(1.0)?)]),
        bijectors: vec![Arc::new(Identity::new()), Arc::new(Identity::new()), Arc::new(Exp::new())],
        target: Arc::new(target),
        generated: None,
        reference: reference(NAME, include_str!("posteriordb/arK-arK/reference.json"))?,
    })
}
