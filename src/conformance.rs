//! The conformance runner: evaluates reference cases computed with TFP and compares.
//!
//! The file format is `../shared/reference/README.md`'s: `{"meta": ..., "cases": [...]}`, each
//! case naming a class, its constructor parameters, a method, inputs and the expected output
//! with `rtol`/`atol`. A case passes iff `|actual − expected| ≤ atol + rtol·|expected|`
//! elementwise (non-finite values must match exactly). Families and methods probrs does not
//! implement yet count as *unsupported*, never as passed.

use crate::bijectors::{self as b, Bijector};
use crate::distributions::*;
use crate::distributions::{
    Bernoulli, Categorical, Distribution, Exponential, Independent, MixtureSameFamily, MultivariateNormalDiag, MultivariateNormalFullCovariance, MultivariateNormalTriL, Normal,
};
use crate::error::{Error, Result};
use crate::tensor::{DType, Tensor};
use serde_json::Value;
use std::sync::Arc;

/// The outcome of one case.
///
/// ```
/// use probrs::conformance::{run_case, CaseResult};
/// let case = serde_json::json!({
///     "id": "distribution/Normal/log_prob/doc", "kind": "distribution", "name": "Normal",
///     "params": {"loc": 0.0, "scale": 1.0}, "method": "log_prob", "input": [0.0],
///     "expected": [-0.9189385332046727], "rtol": 1e-12, "atol": 1e-12, "dtype": "float64"
/// });
/// assert_eq!(run_case(&case), CaseResult::Pass);
/// let mut wrong = case.clone();
/// wrong["expected"] = serde_json::json!([-1.0]);
/// assert!(matches!(run_case(&wrong), CaseResult::Fail(_)));
/// let mut unknown = case.clone();
/// unknown["name"] = serde_json::json!("NoSuchDistribution");
/// assert!(matches!(run_case(&unknown), CaseResult::Unsupported(_)));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum CaseResult {
    /// The value matched the reference within tolerance.
    Pass,
    /// It did not: what was expected and what came.
    Fail(String),
    /// The case names something probrs does not have: what.
    Unsupported(String),
}

/// Totals of a run, with one message per failure.
///
/// ```
/// use probrs::conformance::Summary;
/// let s = Summary { passed: 3, failed: 1, ..Summary::default() };
/// assert_eq!(s.line(), "3 passed, 1 failed, 0 unsupported");
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Cases that matched.
    pub passed: usize,
    /// Cases that did not.
    pub failed: usize,
    /// Cases naming something probrs lacks.
    pub unsupported: usize,
    /// One line per failure.
    pub failures: Vec<String>,
    /// One line per unsupported case.
    pub unsupported_cases: Vec<String>,
}

impl Summary {
    /// The closing line: `N passed, N failed, N unsupported`.
    ///
    /// ```
    /// use probrs::conformance::Summary;
    /// assert_eq!(Summary { passed: 301, ..Default::default() }.line(), "301 passed, 0 failed, 0 unsupported");
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn line(&self) -> String {
        format!("{} passed, {} failed, {} unsupported", self.passed, self.failed, self.unsupported)
    }
}

/// Runs every case of a reference file.
///
/// ```
/// use probrs::conformance::run_file;
/// let path = std::env::temp_dir().join("probrs_doc_reference.json");
/// std::fs::write(&path, r#"{"meta": {}, "cases": [
///   {"id": "distribution/Exponential/mean/0", "kind": "distribution", "name": "Exponential",
///    "params": {"rate": 4.0}, "method": "mean", "input": null, "expected": 0.25,
///    "rtol": 1e-12, "atol": 0.0, "dtype": "float64"}]}"#)?;
/// let summary = run_file(path.to_str().unwrap())?;
/// assert_eq!(summary.line(), "1 passed, 0 failed, 0 unsupported");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn run_file(path: &str) -> Result<Summary> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::BadInput { location: path.into(), reason: e.to_string() })?;
    let json: Value = serde_json::from_str(&text).map_err(|e| Error::BadInput {
        location: format!("{path}:{}:{}", e.line(), e.column()),
        reason: e.to_string(),
    })?;
    let cases = json
        .get("cases")
        .and_then(|c| c.as_array())
        .ok_or_else(|| Error::BadInput { location: path.into(), reason: "no `cases` array".into() })?;
    let mut s = Summary::default();
    for case in cases {
        let id = case.get("id").and_then(|v| v.as_str()).unwrap_or("<no id>").to_string();
        match run_case(case) {
            CaseResult::Pass => s.passed += 1,
            CaseResult::Fail(m) => {
                s.failed += 1;
                s.failures.push(format!("FAIL {id}: {m}"));
            }
            CaseResult::Unsupported(m) => {
                s.unsupported += 1;
                s.unsupported_cases.push(format!("UNSUPPORTED {id}: {m}"));
            }
        }
    }
    Ok(s)
}

/// Evaluates one case.
///
/// ```
/// use probrs::conformance::{run_case, CaseResult};
/// // A bijector case: Exp's forward log-det-Jacobian is x.
/// let case = serde_json::json!({
///     "id": "bijector/Exp/forward_log_det_jacobian/doc", "kind": "bijector", "name": "Exp",
///     "params": {}, "method": "forward_log_det_jacobian", "args": {"event_ndims": 0},
///     "input": [0.5, 2.0], "expected": [0.5, 2.0], "rtol": 1e-12, "atol": 0.0, "dtype": "float64"
/// });
/// assert_eq!(run_case(&case), CaseResult::Pass);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn run_case(case: &Value) -> CaseResult {
    match eval(case) {
        Ok(Eval::Value(actual)) => compare(case, &actual),
        Ok(Eval::Unsupported(why)) => CaseResult::Unsupported(why),
        Err(e) => CaseResult::Fail(format!("error: {e}")),
    }
}

enum Eval {
    Value(Tensor),
    Unsupported(String),
}

fn str_field<'a>(case: &'a Value, k: &str) -> Result<&'a str> {
    case.get(k).and_then(|v| v.as_str()).ok_or_else(|| Error::BadInput { location: format!("case field `{k}`"), reason: "missing".into() })
}

fn number(v: &Value) -> Result<f64> {
    match v {
        Value::Number(n) => n.as_f64().ok_or_else(|| Error::BadInput { location: "number".into(), reason: n.to_string() }),
        Value::String(s) => match s.as_str() {
            "Infinity" => Ok(f64::INFINITY),
            "-Infinity" => Ok(f64::NEG_INFINITY),
            "NaN" => Ok(f64::NAN),
            _ => Err(Error::BadInput { location: "number".into(), reason: format!("unexpected string {s:?}") }),
        },
        Value::Bool(b) => Ok(if *b { 1.0 } else { 0.0 }),
        other => Err(Error::BadInput { location: "number".into(), reason: format!("expected a number, got {other}") }),
    }
}

/// A nested JSON list (or number) as a tensor.
///
/// ```
/// use probrs::conformance::json_tensor;
/// use probrs::tensor::DType;
/// let t = json_tensor(&serde_json::json!([[1.0, "Infinity"], [3.0, "-Infinity"]]), DType::F64)?;
/// assert_eq!(t.shape(), &[2, 2]);
/// assert_eq!(t.to_vec()?, vec![1.0, f64::INFINITY, 3.0, f64::NEG_INFINITY]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn json_tensor(v: &Value, dtype: DType) -> Result<Tensor> {
    fn walk(v: &Value, depth: usize, shape: &mut Vec<usize>, out: &mut Vec<f64>) -> Result<()> {
        match v {
            Value::Array(items) => {
                if shape.len() == depth {
                    shape.push(items.len());
                } else if shape[depth] != items.len() {
                    return Err(Error::BadInput { location: "tensor literal".into(), reason: "ragged nested list".into() });
                }
                for it in items {
                    walk(it, depth + 1, shape, out)?;
                }
                Ok(())
            }
            other => {
                out.push(number(other)?);
                Ok(())
            }
        }
    }
    let (mut shape, mut out) = (vec![], vec![]);
    walk(v, 0, &mut shape, &mut out)?;
    Tensor::from_slice(&out, &shape, dtype)
}

fn param(params: &Value, k: &str, dtype: DType) -> Result<Option<Tensor>> {
    params.get(k).map(|v| json_tensor(v, dtype)).transpose()
}

fn req(params: &Value, k: &str, dtype: DType) -> Result<Tensor> {
    param(params, k, dtype)?.ok_or_else(|| Error::invalid_parameter(k, "missing in case params"))
}

/// A parameter with TFP's default when the case leaves it out.
fn or_default(params: &Value, k: &str, default: f64, dtype: DType) -> Result<Tensor> {
    Ok(param(params, k, dtype)?.map_or_else(|| Tensor::scalar(default, dtype), Ok)?)
}

/// A shape argument (`sample_shape`, `batch_shape`): a list of integers or one integer.
fn shape_arg(params: &Value, k: &str) -> Result<Option<Vec<usize>>> {
    match params.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(a)) => Ok(Some(a.iter().map(|v| number(v).map(|x| x as usize)).collect::<Result<_>>()?)),
        Some(v) => Ok(Some(vec![number(v)? as usize])),
    }
}

fn flag(params: &Value, k: &str) -> Option<bool> {
    params.get(k).and_then(|v| v.as_bool())
}

/// Keyword arguments that change behaviour in a way probrs does not model: a case that sets one
/// is unsupported, never silently evaluated without it. (`validate_args`, `name`,
/// `reparameterize`, `require_integer_total_count` and the like change no value.)
fn unmodelled_argument(name: &str, params: &Value) -> Option<String> {
    if flag(params, "allow_nan_stats") == Some(false) {
        return Some("allow_nan_stats=False (probrs returns NaN statistics, as TFP's default)".into());
    }
    if flag(params, "force_probs_to_zero_outside_support") == Some(true) {
        return Some(format!("{name}(force_probs_to_zero_outside_support=True)"));
    }
    if flag(params, "interpolate_nondiscrete") == Some(false) {
        return Some(format!("{name}(interpolate_nondiscrete=False)"));
    }
    for k in ["atol", "rtol"] {
        if params.get(k).is_some_and(|v| !v.is_null() && v.as_f64() != Some(0.0)) {
            return Some(format!("{name}({k}=...) tolerances"));
        }
    }
    if flag(params, "adjoint") == Some(true) && name != "ScaleMatvecDiag" {
        return Some(format!("{name}(adjoint=True)"));
    }
    None
}

/// The shared event size of an MVN's optional `loc` and scale, for TFP's defaults (zeros,
/// identity).
fn mvn_size(params: &Value, keys: &[&str], dtype: DType) -> Result<usize> {
    for k in keys {
        if let Some(t) = param(params, k, dtype)? {
            if t.rank() >= 1 {
                return Ok(t.shape()[t.rank() - 1]);
            }
        }
    }
    Err(Error::invalid_parameter("loc", "an MVN case needs `loc` or a scale to fix its event size"))
}

/// Builds a distribution from a class name and JSON parameters; `None` if not implemented.
///
/// ```
/// use probrs::conformance::build_distribution;
/// use probrs::tensor::DType;
/// let d = build_distribution("Gamma", &serde_json::json!({"concentration": 2.0, "rate": 4.0}), DType::F64)?.expect("Gamma is built");
/// assert!((d.mean()?.to_scalar()? - 0.5).abs() < 1e-12);
/// assert!(build_distribution("NoSuchFamily", &serde_json::json!({}), DType::F64)?.is_none());
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn build_distribution(name: &str, params: &Value, dtype: DType) -> Result<Option<Box<dyn Distribution>>> {
    let nested = |k: &str| -> Result<Option<Box<dyn Distribution>>> {
        let v = params.get(k).ok_or_else(|| Error::invalid_parameter(k, "missing in case params"))?;
        build_distribution(v.get("name").and_then(|x| x.as_str()).unwrap_or(""), v.get("params").unwrap_or(&Value::Null), dtype)
    };
    Ok(match name {
        _ if unmodelled_argument(name, params).is_some() => None,
        "Normal" => Some(Box::new(Normal::new(req(params, "loc", dtype)?, req(params, "scale", dtype)?)?)),
        "HalfCauchy" => Some(Box::new(HalfCauchy::new(req(params, "loc", dtype)?, req(params, "scale", dtype)?)?)),
        "InverseGamma" => Some(Box::new(InverseGamma::new(req(params, "concentration", dtype)?, req(params, "scale", dtype)?)?)),
        "Chi2" => Some(Box::new(Chi2::new(req(params, "df", dtype)?)?)),
        "Weibull" => Some(Box::new(Weibull::new(req(params, "concentration", dtype)?, req(params, "scale", dtype)?)?)),
        "Pareto" => Some(Box::new(Pareto::new(req(params, "concentration", dtype)?, or_default(params, "scale", 1.0, dtype)?)?)),
        "TruncatedNormal" => Some(Box::new(TruncatedNormal::new(req(params, "loc", dtype)?, req(params, "scale", dtype)?, req(params, "low", dtype)?, req(params, "high", dtype)?)?)),
        "Geometric" => Some(Box::new(match param(params, "logits", dtype)? {
            Some(l) => Geometric::new(l.sigmoid()?)?,
            None => Geometric::new(req(params, "probs", dtype)?)?,
        })),
        "NegativeBinomial" => Some(Box::new(match param(params, "logits", dtype)? {
            Some(l) => NegativeBinomial::from_logits(req(params, "total_count", dtype)?, l)?,
            None => NegativeBinomial::from_probs(req(params, "total_count", dtype)?, req(params, "probs", dtype)?)?,
        })),
        "OneHotCategorical" => Some(Box::new(match param(params, "logits", dtype)? {
            Some(l) => OneHotCategorical::from_logits(l)?,
            None => OneHotCategorical::from_probs(req(params, "probs", dtype)?)?,
        })),
        "Multinomial" => Some(Box::new(match param(params, "logits", dtype)? {
            Some(l) => Multinomial::from_logits(req(params, "total_count", dtype)?, l)?,
            None => Multinomial::from_probs(req(params, "total_count", dtype)?, req(params, "probs", dtype)?)?,
        })),
        "Exponential" => Some(Box::new(Exponential::new(req(params, "rate", dtype)?)?)),
        "HalfNormal" => Some(Box::new(HalfNormal::new(req(params, "scale", dtype)?)?)),
        "LogNormal" => Some(Box::new(LogNormal::new(req(params, "loc", dtype)?, req(params, "scale", dtype)?)?)),
        "Laplace" => Some(Box::new(Laplace::new(req(params, "loc", dtype)?, req(params, "scale", dtype)?)?)),
        "Logistic" => Some(Box::new(Logistic::new(req(params, "loc", dtype)?, req(params, "scale", dtype)?)?)),
        "Gumbel" => Some(Box::new(Gumbel::new(req(params, "loc", dtype)?, req(params, "scale", dtype)?)?)),
        "Cauchy" => Some(Box::new(Cauchy::new(req(params, "loc", dtype)?, req(params, "scale", dtype)?)?)),
        "Uniform" => Some(Box::new(Uniform::new(req(params, "low", dtype)?, req(params, "high", dtype)?)?)),
        "Gamma" => Some(Box::new(Gamma::new(
            req(params, "concentration", dtype)?,
            match param(params, "rate", dtype)? {
                Some(r) => r,
                None => req(params, "log_rate", dtype)?.exp()?,
            },
        )?)),
        "Beta" => Some(Box::new(Beta::new(req(params, "concentration1", dtype)?, req(params, "concentration0", dtype)?)?)),
        "Kumaraswamy" => Some(Box::new(Kumaraswamy::new(or_default(params, "concentration1", 1.0, dtype)?, or_default(params, "concentration0", 1.0, dtype)?)?)),
        "StudentT" => Some(Box::new(StudentT::new(req(params, "df", dtype)?, req(params, "loc", dtype)?, req(params, "scale", dtype)?)?)),
        "Deterministic" => Some(Box::new(Deterministic::new(req(params, "loc", dtype)?)?)),
        "VectorDeterministic" => Some(Box::new(VectorDeterministic::new(req(params, "loc", dtype)?)?)),
        "Dirichlet" => Some(Box::new(Dirichlet::new(req(params, "concentration", dtype)?)?)),
        "VonMises" => Some(Box::new(VonMises::new(req(params, "loc", dtype)?, req(params, "concentration", dtype)?)?)),
        "LKJ" | "CholeskyLKJ" => {
            let dim = params.get("dimension").and_then(|v| v.as_u64()).ok_or_else(|| Error::invalid_parameter("dimension", format!("{name} needs an integer `dimension`")))? as usize;
            let conc = req(params, "concentration", dtype)?;
            if name == "LKJ" {
                let chol = params.get("input_output_cholesky").and_then(|v| v.as_bool()).unwrap_or(false);
                Some(Box::new(LKJ::new(dim, conc)?.with_input_output_cholesky(chol)))
            } else {
                Some(Box::new(CholeskyLKJ::new(dim, conc)?))
            }
        }
        "Poisson" => Some(Box::new(match param(params, "rate", dtype)? {
            Some(r) => Poisson::from_rate(r)?,
            None => Poisson::from_log_rate(req(params, "log_rate", dtype)?)?,
        })),
        "Binomial" => Some(Box::new(match param(params, "logits", dtype)? {
            Some(l) => Binomial::from_logits(req(params, "total_count", dtype)?, l)?,
            None => Binomial::from_probs(req(params, "total_count", dtype)?, req(params, "probs", dtype)?)?,
        })),
        "TransformedDistribution" => {
            let b = params.get("bijector").ok_or_else(|| Error::invalid_parameter("bijector", "missing in case params"))?;
            let bij = build_bijector(b.get("name").and_then(|x| x.as_str()).unwrap_or(""), b.get("params").unwrap_or(&Value::Null), dtype)?;
            match (nested("distribution")?, bij) {
                (Some(d), Some(b)) => Some(Box::new(TransformedDistribution::from_arcs(Arc::from(d), b)?)),
                _ => None,
            }
        }
        "Bernoulli" => Some(Box::new(match param(params, "logits", dtype)? {
            Some(l) => Bernoulli::from_logits(l)?,
            None => Bernoulli::from_probs(req(params, "probs", dtype)?)?,
        })),
        "Categorical" => Some(Box::new(match param(params, "logits", dtype)? {
            Some(l) => Categorical::from_logits(l)?,
            None => Categorical::from_probs(req(params, "probs", dtype)?)?,
        })),
        // TFP's defaults: loc zeros, scale the identity.
        "MultivariateNormalDiag" => {
            let n = mvn_size(params, &["loc", "scale_diag"], dtype)?;
            let loc = param(params, "loc", dtype)?.map_or_else(|| Tensor::zeros(&[n], dtype), Ok)?;
            Some(Box::new(MultivariateNormalDiag::new(loc, param(params, "scale_diag", dtype)?.map_or_else(|| Tensor::ones(&[n], dtype), Ok)?)?))
        }
        "MultivariateNormalTriL" => {
            let n = mvn_size(params, &["loc", "scale_tril"], dtype)?;
            let loc = param(params, "loc", dtype)?.map_or_else(|| Tensor::zeros(&[n], dtype), Ok)?;
            Some(Box::new(MultivariateNormalTriL::new(loc, param(params, "scale_tril", dtype)?.map_or_else(|| Tensor::eye(n, &[], dtype), Ok)?)?))
        }
        "MultivariateNormalFullCovariance" => {
            let n = mvn_size(params, &["loc", "covariance_matrix"], dtype)?;
            let loc = param(params, "loc", dtype)?.map_or_else(|| Tensor::zeros(&[n], dtype), Ok)?;
            Some(Box::new(MultivariateNormalFullCovariance::new(loc, param(params, "covariance_matrix", dtype)?.map_or_else(|| Tensor::eye(n, &[], dtype), Ok)?)?))
        }
        "MultivariateNormalDiagPlusLowRank" => {
            let n = mvn_size(params, &["loc", "scale_diag", "scale_perturb_factor"], dtype)?;
            let loc = param(params, "loc", dtype)?.map_or_else(|| Tensor::zeros(&[n], dtype), Ok)?;
            let diag = param(params, "scale_diag", dtype)?.map_or_else(|| Tensor::ones(&[n], dtype), Ok)?;
            let perturb_diag = param(params, "scale_perturb_diag", dtype)?.map(crate::params::Param::from);
            Some(Box::new(MultivariateNormalDiagPlusLowRank::new(loc, diag, req(params, "scale_perturb_factor", dtype)?, perturb_diag)?))
        }
        "Sample" => match nested("distribution")? {
            Some(inner) => Some(Box::new(Sample::from_arc(Arc::from(inner), &shape_arg(params, "sample_shape")?.unwrap_or_default())?)),
            None => None,
        },
        "BatchReshape" => match nested("distribution")? {
            Some(inner) => {
                let shape = shape_arg(params, "batch_shape")?.ok_or_else(|| Error::invalid_parameter("batch_shape", "missing in case params"))?;
                Some(Box::new(BatchReshape::from_arc(Arc::from(inner), &shape)?))
            }
            None => None,
        },
        "Masked" => match nested("distribution")? {
            Some(inner) => {
                let mask = params.get("validity_mask").ok_or_else(|| Error::invalid_parameter("validity_mask", "missing in case params"))?;
                let flat: Vec<bool> = json_tensor(&bool_to_number(mask), DType::F64)?.to_vec()?.iter().map(|v| *v != 0.0).collect();
                Some(Box::new(Masked::from_arc(Arc::from(inner), &flat)?))
            }
            None => None,
        },
        "Independent" => match nested("distribution")? {
            Some(inner) => {
                let k = match params.get("reinterpreted_batch_ndims") {
                    None | Some(Value::Null) => inner.batch_shape().len() as isize,
                    Some(v) => number(v)? as isize,
                };
                Some(Box::new(Independent::from_arc(Arc::from(inner), k)?))
            }
            None => None,
        },
        "MixtureSameFamily" => match (nested("mixture_distribution")?, nested("components_distribution")?) {
            (Some(mix), Some(comp)) => match mix.as_any().downcast_ref::<Categorical>() {
                Some(cat) => Some(Box::new(MixtureSameFamily::from_arc(cat.clone(), Arc::from(comp))?)),
                None => None,
            },
            _ => None,
        },
        _ => None,
    })
}

/// `true`/`false` as 1/0, at any depth (a validity mask).
fn bool_to_number(v: &Value) -> Value {
    match v {
        Value::Bool(b) => Value::from(if *b { 1.0 } else { 0.0 }),
        Value::Array(a) => Value::Array(a.iter().map(bool_to_number).collect()),
        other => other.clone(),
    }
}

/// Builds a bijector from a class name and JSON parameters; `None` if not implemented.
///
/// ```
/// use probrs::conformance::build_bijector;
/// use probrs::tensor::{DType, Tensor};
/// let b = build_bijector("Shift", &serde_json::json!({"shift": 2.0}), DType::F64)?.expect("Shift is built");
/// assert_eq!(b.forward(&Tensor::scalar(1.0, DType::F64)?)?.to_scalar()?, 3.0);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn build_bijector(name: &str, params: &Value, dtype: DType) -> Result<Option<Arc<dyn Bijector>>> {
    let nested = |v: &Value| -> Result<Option<Arc<dyn Bijector>>> {
        let n = v.get("name").and_then(|x| x.as_str()).unwrap_or("");
        build_bijector(n, v.get("params").unwrap_or(&Value::Null), dtype)
    };
    Ok(match name {
        _ if unmodelled_argument(name, params).is_some() => None,
        "Identity" => Some(Arc::new(b::Identity::new())),
        "Exp" => Some(Arc::new(b::Exp::new())),
        "Tanh" => Some(Arc::new(b::Tanh::new())),
        "Square" => Some(Arc::new(b::Square::new())),
        "Softplus" => {
            let mut s = b::Softplus::new();
            if let Some(c) = param(params, "hinge_softness", dtype)? {
                s = s.with_hinge_softness(c)?;
            }
            if let Some(l) = param(params, "low", dtype)? {
                s = s.with_low(l);
            }
            Some(Arc::new(s))
        }
        "Sigmoid" => match (param(params, "low", dtype)?, param(params, "high", dtype)?) {
            (Some(l), Some(h)) => Some(Arc::new(b::Sigmoid::with_bounds(l, h)?)),
            _ => Some(Arc::new(b::Sigmoid::new())),
        },
        "Scale" => Some(Arc::new(b::Scale::new(match param(params, "scale", dtype)? {
            Some(s) => s,
            None => req(params, "log_scale", dtype)?.exp()?,
        })?)),
        "Reshape" => {
            let spec = |k: &str, default: Option<Vec<isize>>| -> Result<Vec<isize>> {
                match params.get(k) {
                    None | Some(Value::Null) => default.ok_or_else(|| Error::invalid_parameter(k, "missing in case params")),
                    Some(Value::Array(a)) => a.iter().map(|v| number(v).map(|x| x as isize)).collect(),
                    Some(v) => Ok(vec![number(v)? as isize]),
                }
            };
            Some(Arc::new(b::Reshape::new(&spec("event_shape_out", None)?, &spec("event_shape_in", Some(vec![-1]))?)?))
        }
        "Transpose" => {
            let perm = match (params.get("perm"), params.get("rightmost_transposed_ndims")) {
                (Some(Value::Array(a)), _) => a.iter().map(|v| number(v).map(|x| x as usize)).collect::<Result<Vec<_>>>()?,
                // TFP: rightmost_transposed_ndims = k reverses the last k dimensions.
                (_, Some(k)) if !k.is_null() => (0..number(k)? as usize).rev().collect(),
                _ => return Err(Error::invalid_parameter("perm", "Transpose needs perm or rightmost_transposed_ndims")),
            };
            Some(Arc::new(b::Transpose::new(perm)?))
        }
        "TransformDiagonal" => match nested(params.get("diag_bijector").unwrap_or(&Value::Null))? {
            Some(d) => Some(Arc::new(b::TransformDiagonal::new(d))),
            None => None,
        },
        "Shift" => Some(Arc::new(b::Shift::new(req(params, "shift", dtype)?))),
        "Power" => Some(Arc::new(b::Power::new(number(params.get("power").unwrap_or(&Value::Null))?)?)),
        "Invert" => nested(params.get("bijector").unwrap_or(&Value::Null))?.map(|i| Arc::new(b::Invert::from_arc(i)) as Arc<dyn Bijector>),
        "Pad" => {
            let pads = params.get("paddings").and_then(|v| v.as_array()).cloned().unwrap_or_default();
            let paddings: Vec<(usize, usize)> = pads
                .iter()
                .map(|p| Ok((number(&p[0])? as usize, number(&p[1])? as usize)))
                .collect::<Result<_>>()?;
            let pad = match params.get("axis") {
                None | Some(Value::Null) => b::Pad::new(paddings)?,
                Some(Value::Array(a)) => b::Pad::with_axes(paddings, a.iter().map(|v| number(v).map(|x| x as isize)).collect::<Result<_>>()?)?,
                Some(v) => b::Pad::with_axes(paddings, vec![number(v)? as isize])?,
            };
            let c = params.get("constant_values").map(number).transpose()?.unwrap_or(0.0);
            Some(Arc::new(pad.with_constant_values(c)))
        }
        "FillTriangular" => Some(Arc::new(if params.get("upper").and_then(|v| v.as_bool()).unwrap_or(false) {
            b::FillTriangular::upper()
        } else {
            b::FillTriangular::new()
        })),
        "FillScaleTriL" => {
            let diag = match params.get("diag_bijector") {
                None | Some(Value::Null) => Arc::new(b::Softplus::new()) as Arc<dyn Bijector>,
                Some(v) => match nested(v)? {
                    Some(d) => d,
                    None => return Ok(None),
                },
            };
            let shift = match params.get("diag_shift") {
                None => Some(1e-5),
                Some(Value::Null) => None,
                Some(v) => Some(number(v)?),
            };
            Some(Arc::new(b::FillScaleTriL::with_options(diag, shift)))
        }
        "ScaleMatvecTriL" => Some(Arc::new(b::ScaleMatvecTriL::new(req(params, "scale_tril", dtype)?)?)),
        "ScaleMatvecDiag" => Some(Arc::new(b::ScaleMatvecDiag::new(req(params, "scale_diag", dtype)?))),
        "SoftmaxCentered" => Some(Arc::new(b::SoftmaxCentered::new())),
        "KumaraswamyCDF" => Some(Arc::new(b::KumaraswamyCDF::new(or_default(params, "concentration1", 1.0, dtype)?, or_default(params, "concentration0", 1.0, dtype)?))),
        "CholeskyOuterProduct" => Some(Arc::new(b::CholeskyOuterProduct::new())),
        "CorrelationCholesky" => Some(Arc::new(b::CorrelationCholesky::new())),
        "Chain" => {
            let list = params.get("bijectors").and_then(|v| v.as_array()).cloned().unwrap_or_default();
            let mut parts = vec![];
            for item in &list {
                match nested(item)? {
                    Some(p) => parts.push(p),
                    None => return Ok(None),
                }
            }
            Some(Arc::new(b::Chain::new(parts)))
        }
        _ => None,
    })
}

fn eval(case: &Value) -> Result<Eval> {
    let kind = str_field(case, "kind")?;
    let name = str_field(case, "name")?;
    let method = str_field(case, "method")?;
    let dtype = DType::parse(case.get("dtype").and_then(|v| v.as_str()).unwrap_or("float64"))?;
    let params = case.get("params").cloned().unwrap_or(Value::Null);
    let input = case.get("input").cloned().unwrap_or(Value::Null);
    let event_ndims = case.get("args").and_then(|a| a.get("event_ndims")).and_then(|v| v.as_u64()).map(|v| v as usize);
    match kind {
        "distribution" => {
            if let Some(reason) = unmodelled_argument(name, &params) {
                return Ok(Eval::Unsupported(reason));
            }
            let Some(d) = build_distribution(name, &params, dtype)? else {
                return Ok(Eval::Unsupported(format!("distribution {name} (or a distribution it wraps) not implemented")));
            };
            distribution_method(d.as_ref(), method, &input, dtype)
        }
        "bijector" => {
            if let Some(reason) = unmodelled_argument(name, &params) {
                return Ok(Eval::Unsupported(reason));
            }
            if method == "forward_event_shape" || method == "inverse_event_shape" {
                let Some(bij) = build_bijector(name, &params, dtype)? else {
                    return Ok(Eval::Unsupported(format!("bijector {name} (or a bijector it wraps) not implemented")));
                };
                let shape: Vec<usize> = json_tensor(&input, DType::F64)?.to_vec()?.iter().map(|v| *v as usize).collect();
                let out = if method == "forward_event_shape" { bij.forward_event_shape(&shape)? } else { bij.inverse_event_shape(&shape)? };
                return Ok(Eval::Value(Tensor::vector(&out.iter().map(|&d| d as f64).collect::<Vec<_>>(), DType::F64)?));
            }
            let Some(bij) = build_bijector(name, &params, dtype)? else {
                return Ok(Eval::Unsupported(format!("bijector {name} (or a bijector it wraps) not implemented")));
            };
            let x = json_tensor(&input, dtype)?;
            let need = || event_ndims.ok_or_else(|| Error::invalid_parameter("event_ndims", "missing in case args"));
            let out = match method {
                "forward" => bij.forward(&x)?,
                "inverse" => bij.inverse(&x)?,
                "forward_log_det_jacobian" => bij.forward_log_det_jacobian(&x, need()?)?,
                "inverse_log_det_jacobian" => bij.inverse_log_det_jacobian(&x, need()?)?,
                m => return Ok(Eval::Unsupported(format!("method {m}"))),
            };
            Ok(Eval::Value(out))
        }
        "seed_zoo" => match (name, method) {
            ("seed_example_moments", "reduce_mean_and_reduce_std") => {
                let x = json_tensor(&input, dtype)?;
                let mean = x.mean_all()?;
                let std = x.sub(&mean)?.square()?.mean_all()?.sqrt()?;
                Ok(Eval::Value(Tensor::concat(&[&mean.reshape(&[1])?, &std.reshape(&[1])?], 0)?))
            }
            _ if name.starts_with("make_trainable(") && name.ends_with(')') => make_trainable_case(&name["make_trainable(".len()..name.len() - 1], method, &params, &input, dtype),
            _ => match build_bijector(name, &params, dtype)? {
                Some(bij) if method == "inverse" => Ok(Eval::Value(bij.inverse(&json_tensor(&input, dtype)?)?)),
                Some(bij) if method == "forward" => Ok(Eval::Value(bij.forward(&json_tensor(&input, dtype)?)?)),
                _ => Ok(Eval::Unsupported(format!("seed_zoo {name}.{method} not implemented"))),
            },
        },
        k => Ok(Eval::Unsupported(format!("kind {k}"))),
    }
}

/// A distribution method of the reference format, evaluated on `d`.
fn distribution_method(d: &dyn Distribution, method: &str, input: &Value, dtype: DType) -> Result<Eval> {
    let x = || json_tensor(input, dtype);
    let out = match method {
        "log_prob" => d.log_prob(&x()?),
        "prob" => d.prob(&x()?),
        "cdf" => d.cdf(&x()?),
        "log_cdf" => d.log_cdf(&x()?),
        "survival_function" => d.survival_function(&x()?),
        "log_survival_function" => d.log_survival_function(&x()?),
        "quantile" => d.quantile(&x()?),
        "mean" => d.mean(),
        "mode" => d.mode(),
        "stddev" => d.stddev(),
        "variance" => d.variance(),
        "covariance" => d.covariance(),
        "entropy" => d.entropy(),
        m => return Ok(Eval::Unsupported(format!("method {m}"))),
    };
    match out {
        Ok(t) => Ok(Eval::Value(t)),
        Err(Error::NotDefined { family, method }) => Ok(Eval::Unsupported(format!("{method} not defined for {family}"))),
        Err(e) => Err(e),
    }
}

/// A quantity the seed pages print about `make_trainable(Family)`: built with `params` as
/// initial values (numbers or lists; `seed` seeds the rest, as `make_trainable`'s random
/// start), in the case's dtype. Methods: `trainable_variables` (the stored, unconstrained
/// values, every variable flattened in order; also `pretransformed` and `stored`),
/// `parameters` (the presented, constrained values in the same order; also `presented`), or
/// any distribution method of the result.
fn make_trainable_case(family: &str, method: &str, params: &Value, input: &Value, dtype: DType) -> Result<Eval> {
    let mut builder = crate::params::MakeTrainable::new().parameter_dtype(dtype);
    let inits = params.get("initial_parameters").unwrap_or(params);
    if let Some(map) = inits.as_object() {
        for (k, v) in map {
            if k == "seed" {
                builder = builder.seed(number(v)? as u64);
            } else if !v.is_null() {
                builder = builder.initial_value(k, json_tensor(v, dtype)?);
            }
        }
    }
    if let Some(seed) = params.get("seed") {
        builder = builder.seed(number(seed)? as u64);
    }
    let Some(d) = crate::save::make_trainable_named(family, builder)? else {
        return Ok(Eval::Unsupported(format!("make_trainable({family}): not a trainable family")));
    };
    let flat = |ts: Vec<Tensor>| -> Result<Tensor> { Tensor::vector(&ts.iter().map(|t| t.to_vec()).collect::<Result<Vec<_>>>()?.concat(), dtype) };
    let flat_values = match method {
        "trainable_variables" | "pretransformed" | "stored" => flat(d.trainable_variables().iter().map(|v| v.numpy()).collect())?,
        "parameters" | "presented" => flat(d.parameters().iter().map(|(_, p)| p.value(dtype).map(|t| t.detach())).collect::<Result<Vec<_>>>()?)?,
        _ => return distribution_method(d.as_ref(), method, input, dtype),
    };
    Ok(Eval::Value(flat_values))
}

fn close(a: f64, e: f64, rtol: f64, atol: f64) -> bool {
    if !e.is_finite() {
        return (e.is_nan() && a.is_nan()) || a == e;
    }
    a.is_finite() && (a - e).abs() <= atol + rtol * e.abs()
}

fn compare(case: &Value, actual: &Tensor) -> CaseResult {
    let dtype = case.get("dtype").and_then(|v| v.as_str()).and_then(|s| DType::parse(s).ok()).unwrap_or(DType::F64);
    let expected = match case.get("expected").map(|e| json_tensor(e, dtype)) {
        Some(Ok(t)) => t,
        Some(Err(e)) => return CaseResult::Fail(format!("bad expected value: {e}")),
        None => return CaseResult::Fail("no expected value".into()),
    };
    let rtol = case.get("rtol").and_then(|v| v.as_f64()).unwrap_or(1e-6);
    let atol = case.get("atol").and_then(|v| v.as_f64()).unwrap_or(1e-6);
    // TFP returns constant log-det-Jacobians unbroadcast; allow broadcasting to the expected shape.
    let actual = match actual.broadcast_to(expected.shape()) {
        Ok(a) => a,
        Err(_) => return CaseResult::Fail(format!("shape {:?}, expected {:?}", actual.shape(), expected.shape())),
    };
    let (a, e) = match (actual.to_vec(), expected.to_vec()) {
        (Ok(a), Ok(e)) => (a, e),
        _ => return CaseResult::Fail("could not read values".into()),
    };
    let bad: Vec<String> = a
        .iter()
        .zip(&e)
        .enumerate()
        .filter(|(_, (a, e))| !close(**a, **e, rtol, atol))
        .take(3)
        .map(|(i, (a, e))| format!("[{i}] got {a}, expected {e}"))
        .collect();
    if bad.is_empty() {
        CaseResult::Pass
    } else {
        CaseResult::Fail(bad.join("; "))
    }
}
