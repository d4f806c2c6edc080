//! `low_dim_gauss_mix-low_dim_gauss_mix`: a two-component Gaussian mixture with ordered
//! locations, N = 1000 (`posteriordb/low_dim_gauss_mix-low_dim_gauss_mix/model.stan`):
//!
//! ```text
//! μ (ordered) ~ N(0, 2),  σ_k ~ HalfNormal(2),  θ ~ Beta(5, 5),
//! log p(y_n) = log(θ N(y_n | μ₁, σ₁) + (1 − θ) N(y_n | μ₂, σ₂))
//! ```
//! The ordering is the `Ascending` bijector (Stan's `ordered`), θ's support `Sigmoid`.

use super::{reference, scalar, Data, ReferenceModel};
use crate::bijectors::{Ascending, Exp, Sigmoid};
use crate::distributions::{Beta, Distribution, Normal};
use crate::error::Result;
use crate::joint::Structure;
use crate::tensor::{DType, Tensor};
use std::sync::Arc;

const NAME: &str = "low_dim_gauss_mix-low_dim_gauss_mix";

pub(super) fn model() -> Result<ReferenceModel> {
    let data = Data::parse(NAME, include_str!("posteriordb/low_dim_gauss_mix-low_dim_gauss_mix/data.json"))?;
    let y = data.tensor("y")?.unsqueeze(1)?; // [N, 1] against the components' [2]
    let target = move |s: &Structure| -> Result<Tensor> {
        let (mu, sigma, theta) = (s.get("mu")?, s.get("sigma")?, s.get("theta")?);
        let two = Normal::new(scalar(0.0)?, scalar(2.0)?)?;
        let prior = two.log_prob(mu)?.sum_all()?.add(&two.log_prob(sigma)?.sum_all()?)?.add(&Beta::new(scalar(5.0)?, scalar(5.0)?)?.log_prob(theta)?)?;
        // [N, 2]: log θ + log N(y | μ₁, σ₁), log(1 − θ) + log N(y | μ₂, σ₂)
        let weights = Tensor::concat(&[&theta.reshape(&[1])?.log()?, &theta.neg()?.log1p()?.reshape(&[1])?], 0)?;
        let components = Normal::new(mu.clone(), sigma.clone())?.log_prob(&y)?.add(&weights)?;
        prior.add(&components.logsumexp(1, false)?.sum_all()?)
    };
    Ok(ReferenceModel {
        name: NAME,
        description: "two-component Gaussian mixture with an ordered location vector",
        stan: include_str!("posteriordb/low_dim_gauss_mix-low_dim_gauss_mix/model.stan"),
        init: Structure::Named(vec![("mu".into(), Tensor::vector(&[-1.0, 1.0], DType::F64)?), ("sigma".into(), Tensor::vector(&[1.0, 1.0], DType::F64)?), ("theta".into(), scalar(0.5)?)]),
        bijectors: vec![Arc::new(Ascending::new()), Arc::new(Exp::new()), Arc::new(Sigmoid::new())],
        target: Arc::new(target),
        generated: None,
        reference: reference(NAME, include_str!("posteriordb/low_dim_gauss_mix-low_dim_gauss_mix/reference.json"))?,
    })
}
