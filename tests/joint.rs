//! Joint distributions: sequential, named and model-function forms — draws and their shapes,
//! `log_prob` equal to the sum of hand-computed parts, batched evaluation, TFP's argument
//! order, pinning, variables found across parts, event-space bijectors, use as a variational
//! family in `fit_surrogate_posterior`, and bad input.

use probrs::distributions::{Distribution, Gamma, Independent, Normal, Poisson};
use probrs::joint::*;
use probrs::optim::Adam;
use probrs::params::Variable;
use probrs::random::Seed;
use probrs::tensor::{DType, Tensor};
use probrs::vi::{fit_surrogate_posterior, FitOptions, Structure};

fn s64(v: f64) -> Tensor {
    Tensor::scalar(v, DType::F64).unwrap()
}

fn close(a: &Tensor, b: &Tensor, what: &str) {
    for (x, y) in a.to_vec().unwrap().iter().zip(b.to_vec().unwrap()) {
        assert!((x - y).abs() < 1e-10 * (1.0 + y.abs()), "{what}: {x} vs {y}");
    }
}

#[test]
fn sequential_joint_matches_its_parts() {
    // z ~ Gamma(2, 1); w ~ N(0, 1); x ~ N(w, z) — the function sees [w, z] (most recent first).
    let model = JointDistributionSequential::new(vec![
        Part::dist(Gamma::new(s64(2.0), s64(1.0)).unwrap()),
        Part::dist(Normal::new(s64(0.0), 1.0).unwrap()),
        Part::func(|prev| Ok(Box::new(Normal::new(&prev[0], &prev[1])?))),
    ])
    .unwrap();
    let draw = model.sample(&[5], Seed::new(1)).unwrap();
    let Structure::List(parts) = &draw else { panic!("a list") };
    assert_eq!(parts.len(), 3);
    assert!(parts.iter().all(|p| p.shape() == [5]));
    let (z, w, x) = (&parts[0], &parts[1], &parts[2]);
    let expect = Gamma::new(s64(2.0), s64(1.0)).unwrap().log_prob(z).unwrap()
        .add(&Normal::new(s64(0.0), 1.0).unwrap().log_prob(w).unwrap()).unwrap()
        .add(&Normal::new(w, z).unwrap().log_prob(x).unwrap()).unwrap();
    close(&model.log_prob(&draw).unwrap(), &expect, "log_prob");
    let parts_lp = model.log_prob_parts(&draw).unwrap();
    assert_eq!(parts_lp.len(), 3);
    // sample_and_log_prob agrees with log_prob of the same draw.
    let (d2, lp2) = model.sample_and_log_prob(&[5], Seed::new(1)).unwrap();
    close(&model.log_prob(&d2).unwrap(), &lp2, "sample_and_log_prob");
    // Same seed, same draws; names x0, x1, x2.
    assert_eq!(model.sample(&[5], Seed::new(1)).unwrap().part(2).unwrap().to_vec().unwrap(), x.to_vec().unwrap());
    assert_eq!(model.site_names().unwrap(), vec!["x0", "x1", "x2"]);
}

#[test]
fn named_and_coroutine_joints_agree() {
    let named = JointDistributionNamed::new(vec![
        ("rate", NamedPart::dist(Gamma::new(s64(3.0), s64(1.0)).unwrap())),
        ("y", NamedPart::func(|v| Ok(Box::new(Independent::new(Poisson::from_rate(v.get("rate")?.unsqueeze(v.get("rate")?.rank())?)?, 1)?)))),
    ])
    .unwrap();
    let coroutine = JointDistributionCoroutine::new(|m| {
        let rate = m.sample("rate", Root(Gamma::new(s64(3.0), s64(1.0))?))?;
        m.sample("y", Independent::new(Poisson::from_rate(rate.unsqueeze(rate.rank())?)?, 1)?)?;
        Ok(())
    });
    let value = Structure::Named(vec![("rate".into(), Tensor::vector(&[2.0, 4.0], DType::F64).unwrap()), ("y".into(), Tensor::from_slice(&[1.0, 3.0], &[2, 1], DType::F64).unwrap())]);
    let a = named.log_prob(&value).unwrap();
    let b = coroutine.log_prob(&value).unwrap();
    close(&a, &b, "named vs coroutine");
    // By hand: Gamma(3,1) at 2 and 4, Poisson(2) at 1, Poisson(4) at 3.
    let by_hand = [
        (2.0f64.ln() * 2.0 - 2.0 - 2f64.ln()) + (2f64.ln() - 2.0),
        (4.0f64.ln() * 2.0 - 4.0 - 2f64.ln()) + (3.0 * 4f64.ln() - 4.0 - 6f64.ln()),
    ];
    for (x, y) in a.to_vec().unwrap().iter().zip(by_hand) {
        assert!((x - y).abs() < 1e-10, "{x} vs {y}");
    }
    // Values may be given positionally too.
    let positional = Structure::List(vec![value.get("rate").unwrap().clone(), value.get("y").unwrap().clone()]);
    close(&coroutine.log_prob(&positional).unwrap(), &b, "positional");
    let draw = coroutine.sample(&[7], Seed::new(4)).unwrap();
    assert_eq!(draw.get("y").unwrap().shape(), &[7, 1]);
}

#[test]
fn pinning_conditions_on_observed_sites() {
    let model = JointDistributionCoroutine::new(|m| {
        let z = m.sample("z", Root(Normal::new(s64(0.0), 1.0)?))?;
        m.sample("x", Normal::new(&z, 1.0)?)?;
        Ok(())
    });
    let pinned = model.pin(vec![("x".into(), s64(5.0))]).unwrap();
    assert_eq!(pinned.unpinned_site_names().unwrap(), vec!["z"]);
    let z = Tensor::vector(&[0.0, 2.5], DType::F64).unwrap();
    let lp = pinned.unnormalized_log_prob(&Structure::Tensor(z.clone())).unwrap();
    let expect = Normal::new(s64(0.0), 1.0).unwrap().log_prob(&z).unwrap().add(&Normal::new(&z, 1.0).unwrap().log_prob(&z.full_like(5.0).unwrap()).unwrap()).unwrap();
    close(&lp, &expect, "pinned");
    assert!(matches!(model.pin(vec![("nope".into(), s64(1.0))]), Err(probrs::Error::InvalidParameter { .. })));
}

#[test]
fn variables_and_event_space_bijectors_across_parts() {
    let loc = Variable::new(&s64(0.5), "loc").unwrap();
    let log_scale = Variable::new(&s64(-0.2), "log_scale").unwrap();
    let (l2, ls2) = (loc.clone(), log_scale.clone());
    let model = JointDistributionCoroutine::new(move |m| {
        let s = m.sample("s", Root(Gamma::new(s64(2.0), s64(2.0))?))?;
        // A variable read inside the model function, transformed there (not a Param).
        m.sample("x", Normal::new(&l2, ls2.value().exp()?.mul(&s)?)?)?;
        Ok(())
    });
    let names: Vec<String> = model.trainable_variables().unwrap().iter().map(|v| v.name().to_string()).collect();
    assert_eq!(names, vec!["loc", "log_scale"]);
    let bij = model.default_event_space_bijectors().unwrap();
    assert_eq!(bij.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), vec!["s", "x"]);
    // The Gamma site's bijector maps any real into (0, ∞).
    let y = bij[0].1.forward(&Tensor::vector(&[-30.0, 0.0, 30.0], DType::F64).unwrap()).unwrap().to_vec().unwrap();
    assert!(y.iter().all(|v| *v > 0.0));
}

#[test]
fn a_joint_is_a_variational_family() {
    // z1 ~ N(0, 1), z2 ~ N(z1, 1), x ~ N(z2, 1), x = 3: posterior means E[z1|x] = 1, E[z2|x] = 2
    // (mean-field Gaussian VI recovers the exact means of a Gaussian posterior).
    let target = |v: &Structure| -> probrs::Result<Tensor> {
        let (z1, z2) = (v.get("z1")?, v.get("z2")?);
        Normal::new(z1.zeros_like()?, 1.0)?.log_prob(z1)?.add(&Normal::new(z1, 1.0)?.log_prob(z2)?)?.add(&Normal::new(z2, 1.0)?.log_prob(&z2.full_like(3.0)?)?)
    };
    let vars: Vec<Variable> = ["m1", "s1", "m2", "s2"].iter().map(|n| Variable::new(&Tensor::scalar(0.0, DType::F32).unwrap(), *n).unwrap()).collect();
    let v = vars.clone();
    let q = JointDistributionNamed::new(vec![
        ("z1", NamedPart::deferred({ let v = v.clone(); move || Ok(Box::new(Normal::new(&v[0], v[1].value().softplus()?)?)) })),
        ("z2", NamedPart::deferred(move || Ok(Box::new(Normal::new(&v[2], v[3].value().softplus()?)?)))),
    ])
    .unwrap();
    // Without Root sites the draws would lack the sample dimension: a typed error, not a panic.
    let no_root = JointDistributionNamed::new(vec![("z1", NamedPart::func(|_| Ok(Box::new(Normal::new(0.0f32, 1.0)?)))), ("z2", NamedPart::func(|_| Ok(Box::new(Normal::new(0.0f32, 1.0)?))))]).unwrap();
    let e = fit_surrogate_posterior(target, &no_root, &mut Adam::new(0.05), 2, FitOptions { sample_size: 4, ..Default::default() }, |_| ()).unwrap_err();
    assert!(e.to_string().contains("Root"), "{e}");
    let r = fit_surrogate_posterior(target, &q, &mut Adam::new(0.05), 1500, FitOptions { sample_size: 4, seed: 3, ..Default::default() }, |t| {
        (t.variables.len(), vars[0].numpy().to_scalar().unwrap(), vars[2].numpy().to_scalar().unwrap())
    })
    .unwrap();
    assert_eq!(r.trace[0].0, 4);
    let tail = &r.trace[1300..];
    let m1 = tail.iter().map(|t| t.1).sum::<f64>() / 200.0;
    let m2 = tail.iter().map(|t| t.2).sum::<f64>() / 200.0;
    assert!((m1 - 1.0).abs() < 0.1 && (m2 - 2.0).abs() < 0.1, "{m1} {m2}");
}

#[test]
fn bad_input_names_the_site() {
    let model = JointDistributionNamed::new(vec![
        ("a", NamedPart::dist(Normal::new(s64(0.0), 1.0).unwrap())),
        ("b", NamedPart::func(|v| Ok(Box::new(Normal::new(v.get("missing")?, 1.0)?)))),
    ])
    .unwrap();
    let e = model.sample(&[], Seed::new(0)).unwrap_err().to_string();
    assert!(e.contains("missing"), "{e}");
    let ok = JointDistributionSequential::new(vec![Part::dist(Normal::new(s64(0.0), 1.0).unwrap()), Part::dist(Normal::new(s64(1.0), 1.0).unwrap())]).unwrap();
    // Too few parts given.
    assert!(ok.log_prob(&Structure::List(vec![s64(0.0)])).is_err());
    // Too many parts given.
    assert!(ok.log_prob(&Structure::List(vec![s64(0.0), s64(0.0), s64(0.0)])).is_err());
    // A named value missing: the error names the site.
    let c = JointDistributionCoroutine::new(|m| {
        m.sample("alpha", Root(Normal::new(s64(0.0), 1.0)?))?;
        Ok(())
    });
    let e = c.log_prob(&Structure::Named(vec![("beta".into(), s64(0.0))])).unwrap_err().to_string();
    assert!(e.contains("alpha"), "{e}");
    // Incompatible batch shapes between sites: a shape error naming the site.
    let bad = JointDistributionSequential::new(vec![
        Part::dist(Normal::new(Tensor::zeros(&[3], DType::F64).unwrap(), 1.0).unwrap()),
        Part::dist(Normal::new(Tensor::zeros(&[2], DType::F64).unwrap(), 1.0).unwrap()),
    ])
    .unwrap();
    let e = bad.log_prob(&bad.sample(&[], Seed::new(0)).unwrap()).unwrap_err();
    assert!(matches!(e, probrs::Error::ShapeMismatch { ref context, .. } if context.contains("x1")), "{e}");
}
