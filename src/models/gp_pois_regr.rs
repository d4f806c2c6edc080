//! `gp_pois_regr-gp_pois_regr`: a latent Gaussian process with Poisson counts, non-centred,
//! N = 11 (`posteriordb/gp_pois_regr-gp_pois_regr/model.stan`):
//!
//! ```text
//! ρ ~ Gamma(25, 4),  α ~ HalfNormal(2),  f̃ ~ N(0, I),
//! f = L f̃ with L L^T = α² exp(−(x_i − x_j)² / 2ρ²) + 1e-10 I,   k_i ~ Poisson(e^{f_i})
//! ```

use super::{reference, scalar, Data, ReferenceModel};
use crate::bijectors::{Exp, Identity};
use crate::distributions::{Distribution, Gamma, Normal, Poisson};
use crate::error::Result;
use crate::joint::Structure;
use crate::tensor::{DType, Tensor};
use std::sync::Arc;

const NAME: &str = "gp_pois_regr-gp_pois_regr";

pub(super) fn model() -> Result<ReferenceModel> {
    let data = Data::parse(NAME, include_str!("posteriordb/gp_pois_regr-gp_pois_regr/data.json"))?;
    let xs = data.vector("x")?;
    let n = xs.len();
    let points = Tensor::from_slice(&xs, &[n, 1], DType::F64)?;
    let counts = data.tensor("k")?;
    let jitter = Tensor::eye(n, &[], DType::F64)?.mul_scalar(1e-10)?;
    let f = move |s: &Structure| -> Result<Tensor> {
        let cov = Tensor::exponentiated_quadratic_matrix(&points, &points, s.get("alpha")?, s.get("rho")?)?.add(&jitter)?;
        cov.cholesky()?.matvec(s.get("f_tilde")?)
    };
    let f2 = f.clone();
    let target = move |s: &Structure| -> Result<Tensor> {
        let prior = Gamma::new(scalar(25.0)?, scalar(4.0)?)?.log_prob(s.get("rho")?)?;
        let prior = prior.add(&Normal::new(scalar(0.0)?, scalar(2.0)?)?.log_prob(s.get("alpha")?)?)?;
        let prior = prior.add(&Normal::new(scalar(0.0)?, scalar(1.0)?)?.log_prob(s.get("f_tilde")?)?.sum_all()?)?;
        prior.add(&Poisson::from_log_rate(f(s)?)?.log_prob(&counts)?.sum_all()?)
    };
    Ok(ReferenceModel {
        name: NAME,
        description: "latent Gaussian process with Poisson counts, non-centred",
        stan: include_str!("posteriordb/gp_pois_regr-gp_pois_regr/model.stan"),
        init: Structure::Named(vec![("rho".into(), scalar(6.0)?), ("alpha".into(), scalar(1.0)?), ("f_tilde".into(), Tensor::zeros(&[n], DType::F64)?)]),
        bijectors: vec![Arc::new(Exp::new()), Arc::new(Exp::new()), Arc::new(Identity::new())],
        target: Arc::new(target),
        generated: Some(Arc::new(move |s: &Structure| Ok(vec![("f".into(), f2(s)?)]))),
        reference: reference(NAME, include_str!("posteriordb/gp_pois_regr-gp_pois_regr/reference.json"))?,
    })
}
