//! Flows as variational surrogates (issue 17, item 3): an inverse autoregressive flow
//! (`Invert(MaskedAutoregressiveFlow)`, TFP's IAF surrogate) against a mean-field normal on
//! Neal's funnel in two dimensions, `v ~ N(0, 3²)`, `x | v ~ N(0, (e^{v/2})²)`. The target is
//! normalized, so the ELBO is `−KL(q ‖ p) ≤ 0` and the margin between the two surrogates is
//! their KL difference. Both are fitted by `fit_surrogate_posterior` (reparameterized KL, 16
//! draws a step, Adam) and scored by a 20,000-draw ELBO estimate (standard error ~0.01 nats).
//! Fixed seeds, deterministic; measured: mean-field ELBO −0.854, IAF (three flows of [32, 32]
//! MADEs) −0.011: a margin of 0.84 nats, the IAF within 0.02 nats of the exact posterior. The
//! same over a model's named sites (`v`, `x`) with `build_split_flow_surrogate_posterior`
//! (TFP's split flow, here four RealNVP couplings) against `build_factored_surrogate_posterior`:
//! −0.068 against −0.846.

use probrs::bijectors::{AutoregressiveNetwork, Bijector, Chain, Identity, Invert, Masked, MaskedAutoregressiveFlow, Permute, RealNVP, RealNVPDefaultTemplate};
use probrs::distributions::{MultivariateNormalDiag, TransformedDistribution};
use probrs::optim::Adam;
use probrs::params::{TransformedVariable, Variable};
use probrs::random::Seed;
use probrs::tensor::{DType, Tensor};
use probrs::vi::{build_factored_surrogate_posterior, build_split_flow_surrogate_posterior, fit_surrogate_posterior, FitOptions, Structure, SurrogatePart, SurrogatePosterior};
use std::sync::Arc;

/// `log p(v, x)` of the funnel for draws `[.., 2]`.
fn funnel(z: &Tensor) -> probrs::Result<Tensor> {
    let ax = z.rank() - 1;
    let (v, x) = (z.narrow(ax, 0, 1)?.squeeze(ax)?, z.narrow(ax, 1, 1)?.squeeze(ax)?);
    let c = 0.5 * (2.0 * std::f64::consts::PI).ln();
    let lv = v.square()?.affine(-0.5 / 9.0, -(3f64.ln()) - c)?;
    let lx = x.square()?.mul(&v.neg()?.exp()?)?.affine(-0.5, -c)?.sub(&v.affine(0.5, 0.0)?)?;
    lv.add(&lx)
}

/// The funnel over one vector site `[.., 2]`.
fn funnel_vector(s: &Structure) -> probrs::Result<Tensor> {
    funnel(s.as_tensor()?)
}

/// Fits `q` to `target` (2,000 Adam steps, 16 draws each, `fit_seed`), then its ELBO from
/// 20,000 fresh draws (`score_seed`).
fn fit_and_score(q: &dyn SurrogatePosterior, target: fn(&Structure) -> probrs::Result<Tensor>, lr: f64, fit_seed: u64, score_seed: u64) -> f64 {
    let r = fit_surrogate_posterior(target, q, &mut Adam::new(lr), 2000, FitOptions { sample_size: 16, seed: fit_seed, ..Default::default() }, |t| t.loss_value).unwrap();
    assert!(r.trace.iter().all(|l| l.is_finite()));
    let (z, lq) = q.sample_and_log_prob_structure(&[20_000], Seed::new(score_seed)).unwrap();
    target(&z).unwrap().sub(&lq).unwrap().mean_all().unwrap().to_scalar().unwrap()
}

#[test]
fn an_iaf_surrogate_beats_mean_field_on_the_funnel() {
    let dtype = DType::F64;
    let loc = Variable::new(&Tensor::zeros(&[2], dtype).unwrap(), "loc").unwrap();
    let scale = TransformedVariable::new(&Tensor::ones(&[2], dtype).unwrap(), probrs::bijectors::Softplus::new(), "scale").unwrap();
    let mean_field = MultivariateNormalDiag::new(&loc, &scale).unwrap();
    let elbo_mf = fit_and_score(&mean_field, funnel_vector, 0.02, 5, 99);

    let mut parts: Vec<Arc<dyn Bijector>> = Vec::new();
    for k in 0..3u64 {
        if k > 0 {
            parts.push(Arc::new(Permute::new(vec![1, 0]).unwrap()));
        }
        let made = AutoregressiveNetwork::new(2, 2, &[32, 32], dtype, Seed::new(20 + k)).unwrap().with_activation(Tensor::relu);
        parts.push(Arc::new(Invert::new(MaskedAutoregressiveFlow::new(made).unwrap())));
    }
    let base = MultivariateNormalDiag::new(Tensor::zeros(&[2], dtype).unwrap(), Tensor::ones(&[2], dtype).unwrap()).unwrap();
    let iaf = TransformedDistribution::new(base, Chain::new(parts)).unwrap();
    let elbo_iaf = fit_and_score(&iaf, funnel_vector, 0.005, 5, 99);
    eprintln!("ELBO: mean-field {elbo_mf:.4}, IAF {elbo_iaf:.4}");
    assert!(elbo_mf <= 0.05 && elbo_iaf <= 0.05, "an ELBO of a normalized target is at most 0 (up to Monte Carlo error): {elbo_mf} {elbo_iaf}");
    assert!(elbo_iaf > elbo_mf + 0.5 && elbo_iaf > -0.1, "IAF {elbo_iaf:.4} vs mean-field {elbo_mf:.4}");
}

/// `log p(v, x)` for named sites.
fn funnel_named(s: &Structure) -> probrs::Result<Tensor> {
    let (v, x) = (s.get("v")?, s.get("x")?);
    funnel(&Tensor::concat(&[&v.unsqueeze(v.rank())?, &x.unsqueeze(x.rank())?], v.rank())?)
}

#[test]
fn a_split_flow_surrogate_beats_the_factored_one_over_named_sites() {
    let dtype = DType::F64;
    let parts = [SurrogatePart::new("v", &[], Identity::new()), SurrogatePart::new("x", &[], Identity::new())];
    let factored = build_factored_surrogate_posterior(&parts, dtype, 0, 1e-2).unwrap();
    let elbo_mf = fit_and_score(&factored, funnel_named, 0.02, 6, 98);
    // Four RealNVP couplings alternating which coordinate conditions the other.
    let couplings: Vec<Arc<dyn Bijector>> = (0..4)
        .map(|k| {
            let net = RealNVPDefaultTemplate::new(&[32, 32], 1, 1, false, dtype, Seed::new(40 + k)).unwrap();
            Arc::new(RealNVP::new(Masked::Num(if k % 2 == 0 { 1 } else { -1 }), Arc::new(net)).unwrap()) as Arc<dyn Bijector>
        })
        .collect();
    let split = build_split_flow_surrogate_posterior(&parts, Arc::new(Chain::new(couplings)), dtype).unwrap();
    let elbo_flow = fit_and_score(&split, funnel_named, 0.005, 6, 98);
    eprintln!("ELBO over named sites: factored {elbo_mf:.4}, split RealNVP flow {elbo_flow:.4}");
    assert!(elbo_mf <= 0.05 && elbo_flow <= 0.05, "{elbo_mf} {elbo_flow}");
    assert!(elbo_flow > elbo_mf + 0.5, "split flow {elbo_flow:.4} vs factored {elbo_mf:.4}");
}
