//! `eight_schools-eight_schools_noncentered`: the hierarchical model of Rubin's eight schools,
//! non-centred (`posteriordb/eight_schools-eight_schools_noncentered/model.stan`):
//!
//! ```text
//! θ̃_j ~ N(0, 1),  μ ~ N(0, 5),  τ ~ HalfCauchy(0, 5),  θ_j = μ + τ θ̃_j,  y_j ~ N(θ_j, σ_j)
//! ```

use super::{reference, scalar, Data, ReferenceModel};
use crate::bijectors::{Exp, Identity};
use crate::distributions::{Distribution, HalfCauchy, Normal};
use crate::error::Result;
use crate::joint::Structure;
use crate::tensor::{DType, Tensor};
use std::sync::Arc;

const NAME: &str = "eight_schools-eight_schools_noncentered";

pub(super) fn model() -> Result<ReferenceModel> {
    let data = Data::parse(NAME, include_str!("posteriordb/eight_schools-eight_schools_noncentered/data.json"))?;
    let (y, sigma) = (data.tensor("y")?, data.tensor("sigma")?);
    let theta = |s: &Structure| -> Result<Tensor> { s.get("theta_trans")?.mul(s.get("tau")?)?.add(s.get("mu")?) };
    let target = move |s: &Structure| -> Result<Tensor> {
        let prior = Normal::new(scalar(0.0)?, scalar(1.0)?)?.log_prob(s.get("theta_trans")?)?.sum_all()?;
        let prior = prior.add(&Normal::new(scalar(0.0)?, scalar(5.0)?)?.log_prob(s.get("mu")?)?)?;
        let prior = prior.add(&HalfCauchy::new(scalar(0.0)?, scalar(5.0)?)?.log_prob(s.get("tau")?)?)?;
        prior.add(&Normal::new(theta(s)?, sigma.clone())?.log_prob(&y)?.sum_all()?)
    };
    Ok(ReferenceModel {
        name: NAME,
        description: "eight schools, non-centred hierarchical model (half-Cauchy scale)",
        stan: include_str!("posteriordb/eight_schools-eight_schools_noncentered/model.stan"),
        init: Structure::Named(vec![("theta_trans".into(), Tensor::zeros(&[8], DType::F64)?), ("mu".into(), scalar(0.0)?), ("tau".into(), scalar(1.0)?)]),
        bijectors: vec![Arc::new(Identity::new()), Arc::new(Identity::new()), Arc::new(Exp::new())],
        target: Arc::new(target),
        generated: Some(Arc::new(move |s: &Structure| Ok(vec![("theta".into(), theta(s)?)]))),
        reference: reference(NAME, include_str!("posteriordb/eight_schools-eight_schools_noncentered/reference.json"))?,
    })
}
