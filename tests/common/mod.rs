#![allow(dead_code)]
use probrs::tensor::{DType, Tensor};

pub fn t64(v: &[f64], shape: &[usize]) -> Tensor {
    Tensor::from_slice(v, shape, DType::F64).unwrap()
}

pub fn assert_close(a: &[f64], b: &[f64], rtol: f64, atol: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths {} vs {}", a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= atol + rtol * y.abs(), "{what}[{i}]: {x} vs {y} (rtol {rtol}, atol {atol})");
    }
}

/// Checks the autodiff gradient of `sum(w * f(x))` against central differences, in f64.
pub fn check_grad(name: &str, f: impl Fn(&Tensor) -> probrs::Result<Tensor>, x0: &[f64], shape: &[usize], h: f64, tol: f64) {
    let x = probrs::params::Variable::new(&t64(x0, shape), "x").unwrap();
    let y = f(&x.value()).unwrap();
    let n = y.elem_count();
    let w: Vec<f64> = (0..n).map(|i| 0.5 + 0.37 * ((i * 7919) % 13) as f64 / 13.0).collect();
    let wt = t64(&w, y.shape());
    let loss = y.mul(&wt).unwrap().sum_all().unwrap();
    let g = loss.grad(&[&x.value()]).unwrap()[0].clone().expect("gradient exists").to_vec().unwrap();
    let eval = |xs: &[f64]| -> Vec<f64> { f(&t64(xs, shape)).unwrap().to_vec().unwrap() };
    for i in 0..x0.len() {
        let mut p = x0.to_vec();
        let mut m = x0.to_vec();
        p[i] += h;
        m[i] -= h;
        // Difference element by element before weighting, so large entries do not swamp small ones.
        let (yp, ym) = (eval(&p), eval(&m));
        let fd: f64 = yp.iter().zip(&ym).zip(&w).map(|((a, b), c)| c * (a - b)).sum::<f64>() / (2.0 * h);
        assert!(g[i].is_finite(), "{name}: gradient[{i}] not finite at {x0:?}");
        assert!((g[i] - fd).abs() <= tol * (1.0 + fd.abs()), "{name}: d/dx[{i}] autodiff {} vs finite difference {fd} at {x0:?}", g[i]);
    }
}

/// Checks the autodiff gradient of a scalar `loss()` with respect to each of `vars` (f64)
/// against central differences, entry by entry; `name` labels failures.
pub fn check_variable_grads(name: &str, loss: impl Fn() -> probrs::Result<Tensor>, vars: &[probrs::params::Variable], h: f64, tol: f64) {
    let (_, grads) = probrs::math::value_and_gradient(&loss, vars).unwrap();
    for (v, g) in vars.iter().zip(&grads) {
        let start = v.numpy().to_vec().unwrap();
        let g = g.to_vec().unwrap();
        for j in 0..start.len() {
            let at = |d: f64| {
                let mut t = start.clone();
                t[j] += d;
                v.assign(&t64(&t, v.shape())).unwrap();
                let val = loss().unwrap().to_scalar().unwrap();
                v.assign(&t64(&start, v.shape())).unwrap();
                val
            };
            let fd = (at(h) - at(-h)) / (2.0 * h);
            assert!((fd - g[j]).abs() < tol * (1.0 + fd.abs()), "{name} {}[{j}]: {} vs {fd}", v.name(), g[j]);
        }
    }
}

/// log|det ∂f/∂x| for f: R^m → R^m (its output flattened; it must have m elements), by m
/// reverse passes and [`log_abs_det`].
pub fn autodiff_logdet(f: &dyn Fn(&Tensor) -> Tensor, x: &[f64]) -> f64 {
    let m = x.len();
    let mut jac = vec![0.0; m * m];
    for i in 0..m {
        let v = probrs::params::Variable::new(&t64(x, &[m]), "x").unwrap();
        let y = f(&v.value()).flatten().unwrap();
        assert_eq!(y.elem_count(), m, "not square: {} outputs for {m} inputs", y.elem_count());
        let g = y.narrow(0, i, 1).unwrap().sum_all().unwrap().grad(&[&v.value()]).unwrap()[0].clone().unwrap().to_vec().unwrap();
        jac[i * m..(i + 1) * m].copy_from_slice(&g);
    }
    log_abs_det(jac, m)
}

/// `ln |det J|` of a square `m × m` matrix (row-major), by elimination with partial pivoting.
pub fn log_abs_det(mut jac: Vec<f64>, m: usize) -> f64 {
    let mut logdet = 0.0;
    for c in 0..m {
        let p = (c..m).max_by(|a, b| jac[a * m + c].abs().total_cmp(&jac[b * m + c].abs())).unwrap();
        for k in 0..m {
            jac.swap(c * m + k, p * m + k);
        }
        let piv = jac[c * m + c];
        logdet += piv.abs().ln();
        for r in c + 1..m {
            let f = jac[r * m + c] / piv;
            for k in c..m {
                jac[r * m + k] -= f * jac[c * m + k];
            }
        }
    }
    logdet
}
