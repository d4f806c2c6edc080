//! NumPyro's (and Edward2's) effect handlers, each a program transformer; they compose by
//! nesting, the innermost acting first: `trace(seed(condition(model, data), s))`.
//!
//! | handler | what it does to a site |
//! |---|---|
//! | [`trace`] | records it (name, distribution, value, observed or not) |
//! | [`seed`] | gives each unobserved site its own seed, `seed.fold_in(k)` for the k-th |
//! | [`condition`] | fixes named sites to data (observed) |
//! | [`substitute`] | fixes named sites to values (still latent) |
//! | [`Block`] | hides sites from the handlers outside it |

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::distributions::Distribution;
use crate::error::{Error, Result};
use crate::random::Seed;
use crate::tensor::Tensor;

use super::program::{Effects, Handled, HandledWith, Handler, Message, Program};

/// One recorded site.
///
/// ```
/// use probrs::distributions::Normal;
/// use probrs::ppl::{program, seed, trace};
/// use probrs::random::Seed;
/// let (_, tr) = trace(seed(program(|fx| fx.sample("z", Normal::new(0.0, 2.0)?)), Seed::new(0))).get_trace()?;
/// let site = tr.site("z")?;
/// assert_eq!((site.name.as_str(), site.is_observed, site.value.rank()), ("z", false, 0));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct TraceSite {
    /// The name.
    pub name: String,
    /// The distribution it was drawn from.
    pub distribution: Arc<dyn Distribution>,
    /// Its value.
    pub value: Tensor,
    /// Whether the value is data.
    pub is_observed: bool,
}

/// The sites of one run, in order.
///
/// ```
/// use probrs::distributions::Normal;
/// use probrs::ppl::{program, seed, trace};
/// use probrs::random::Seed;
/// let (_, tr) = trace(seed(program(|fx| fx.sample("z", Normal::new(0.0, 1.0)?)), Seed::new(0))).get_trace()?;
/// let z = tr.value("z")?.to_scalar()?;
/// assert!((tr.log_prob_sum()?.to_scalar()? - (-0.5 * z * z - 0.918_938_533)).abs() < 1e-5);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct Trace {
    /// The sites.
    pub sites: Vec<TraceSite>,
}

impl Trace {
    /// Site names, in order.
    ///
    /// ```
    /// let tr = probrs::ppl::Trace::default();
    /// assert!(tr.names().is_empty());
    /// ```
    pub fn names(&self) -> Vec<&str> {
        self.sites.iter().map(|s| s.name.as_str()).collect()
    }

    /// A site by name.
    ///
    /// ```
    /// assert!(probrs::ppl::Trace::default().site("z").is_err());
    /// ```
    pub fn site(&self, name: &str) -> Result<&TraceSite> {
        self.sites.iter().find(|s| s.name == name).ok_or_else(|| Error::invalid_parameter(name, format!("no site `{name}` in the trace ({})", self.names().join(", "))))
    }

    /// A site's value.
    ///
    /// ```
    /// assert!(probrs::ppl::Trace::default().value("z").is_err());
    /// ```
    pub fn value(&self, name: &str) -> Result<&Tensor> {
        self.site(name).map(|s| &s.value)
    }

    /// `Σ log p(value)` over every site and every element (Edward2's log joint).
    ///
    /// ```
    /// assert_eq!(probrs::ppl::Trace::default().log_prob_sum()?.to_scalar()?, 0.0);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn log_prob_sum(&self) -> Result<Tensor> {
        let mut total: Option<Tensor> = None;
        for s in &self.sites {
            let lp = s.distribution.log_prob(&s.value).map_err(|e| annotate(e, &s.name))?.sum_all()?;
            total = Some(match total {
                None => lp,
                Some(t) => t.add(&lp.to_dtype(t.dtype())?)?,
            });
        }
        match total {
            Some(t) => Ok(t),
            None => Tensor::scalar(0.0, crate::tensor::DType::F64),
        }
    }
}

fn annotate(e: Error, site: &str) -> Error {
    match e {
        Error::ShapeMismatch { context, lhs, rhs } => Error::ShapeMismatch { context: format!("site `{site}`: {context}"), lhs, rhs },
        Error::InvalidShape { what, shape, reason } => Error::InvalidShape { what: format!("site `{site}`: {what}"), shape, reason },
        other => other,
    }
}

struct TraceHandler {
    sites: Mutex<Vec<TraceSite>>,
}

impl Handler for TraceHandler {
    fn postprocess(&self, msg: &Message) -> Result<()> {
        let mut sites = self.sites.lock().unwrap_or_else(|e| e.into_inner());
        if sites.iter().any(|s| s.name == msg.name) {
            return Err(Error::invalid_parameter(msg.name.as_str(), format!("site name `{}` used twice in one run", msg.name)));
        }
        sites.push(TraceSite { name: msg.name.clone(), distribution: msg.distribution.clone(), value: msg.value.clone().expect("postprocess sees values"), is_observed: msg.is_observed });
        Ok(())
    }
}

/// A program whose runs can be traced.
///
/// ```
/// use probrs::distributions::Normal;
/// use probrs::ppl::{program, seed, trace, Program};
/// use probrs::random::Seed;
/// // A traced program is still a program.
/// let t = trace(seed(program(|fx| fx.sample("z", Normal::new(0.0, 1.0)?)), Seed::new(0)));
/// assert!(t.run()?.to_scalar()?.is_finite());
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct Traced<P>(P);

impl<P> Traced<P> {
    /// Runs the program and returns its value with the trace of its sites.
    ///
    /// ```
    /// use probrs::distributions::Normal;
    /// use probrs::ppl::{program, seed, trace};
    /// use probrs::random::Seed;
    /// let model = program(|fx| {
    ///     let a = fx.sample("a", Normal::new(0.0, 1.0)?)?;
    ///     fx.sample("b", Normal::new(&a, 1.0)?)
    /// });
    /// let (_, tr) = trace(seed(model, Seed::new(2))).get_trace()?;
    /// assert_eq!(tr.names(), ["a", "b"]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn get_trace<T>(&self) -> Result<(T, Trace)>
    where
        P: Program<T>,
    {
        self.get_trace_with(&mut Effects::new())
    }

    pub(crate) fn get_trace_with<T>(&self, fx: &mut Effects<'_>) -> Result<(T, Trace)>
    where
        P: Program<T>,
    {
        let h = Arc::new(TraceHandler { sites: Mutex::new(vec![]) });
        let out = fx.with_handler(h.clone(), |fx| self.0.run_with(fx))?;
        let sites = std::mem::take(&mut *h.sites.lock().unwrap_or_else(|e| e.into_inner()));
        Ok((out, Trace { sites }))
    }
}

impl<T, P: Program<T>> Program<T> for Traced<P> {
    fn run_with(&self, fx: &mut Effects<'_>) -> Result<T> {
        self.get_trace_with(fx).map(|(t, _)| t)
    }
}

/// NumPyro's `trace`: records every site of a run ([`Traced::get_trace`]).
///
/// ```
/// use probrs::distributions::Normal;
/// use probrs::ppl::{condition, program, seed, trace};
/// use probrs::random::Seed;
/// use probrs::tensor::{DType, Tensor};
/// let model = program(|fx| {
///     let z = fx.sample("z", Normal::new(0.0, 1.0)?)?;
///     fx.sample("x", Normal::new(&z, 1.0)?)
/// });
/// let data = vec![("x".to_string(), Tensor::scalar(2.0, DType::F32)?)];
/// let (x, tr) = trace(seed(condition(model, data), Seed::new(0))).get_trace()?;
/// assert_eq!(x.to_scalar()?, 2.0);
/// assert!(tr.site("x")?.is_observed && !tr.site("z")?.is_observed);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn trace<P>(program: P) -> Traced<P> {
    Traced(program)
}

/// Seeds each unobserved site without a value: the k-th such site of a run draws with
/// `seed.fold_in(k)` (NumPyro's `seed`, which splits its key per site in the same order).
///
/// ```
/// use probrs::distributions::Normal;
/// use probrs::ppl::{program, seed, Program};
/// use probrs::random::Seed;
/// // Two sites, two different seeds.
/// let m = program(|fx| Ok((fx.sample("a", Normal::new(0.0, 1.0)?)?, fx.sample("b", Normal::new(0.0, 1.0)?)?)));
/// let (a, b) = seed(m, Seed::new(9)).run()?;
/// assert_ne!(a.to_scalar()?, b.to_scalar()?);
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct SeedHandler {
    seed: Seed,
    counter: AtomicU64,
}

impl Handler for SeedHandler {
    fn process(&self, msg: &mut Message) -> Result<()> {
        if msg.value.is_none() && msg.seed.is_none() && !msg.is_observed {
            msg.seed = Some(self.seed.fold_in(self.counter.fetch_add(1, Ordering::Relaxed)));
        }
        Ok(())
    }
}

/// NumPyro's `seed`: the program draws its unobserved sites from `seed` (the same seed, the
/// same draws).
///
/// ```
/// use probrs::distributions::Normal;
/// use probrs::ppl::{program, seed, Program};
/// use probrs::random::Seed;
/// let m = program(|fx| fx.sample("z", Normal::new(0.0, 1.0)?));
/// assert_ne!(seed(m.clone(), Seed::new(1)).run()?.to_scalar()?, seed(m, Seed::new(2)).run()?.to_scalar()?);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn seed<P>(program: P, seed: Seed) -> HandledWith<P, SeedHandler> {
    HandledWith { inner: program, make: Arc::new(move || SeedHandler { seed, counter: AtomicU64::new(0) }) }
}

/// Fixes named sites to values; `observed` marks them as data.
///
/// ```
/// use probrs::distributions::Normal;
/// use probrs::ppl::{program, substitute, Program};
/// use probrs::tensor::{DType, Tensor};
/// let m = program(|fx| fx.sample("z", Normal::new(0.0, 1.0)?));
/// assert_eq!(substitute(m, vec![("z".into(), Tensor::scalar(2.0, DType::F32)?)]).run()?.to_scalar()?, 2.0);
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct ValueHandler {
    values: Vec<(String, Tensor)>,
    observed: bool,
}

impl Handler for ValueHandler {
    fn process(&self, msg: &mut Message) -> Result<()> {
        if let Some((_, v)) = self.values.iter().find(|(n, _)| *n == msg.name) {
            msg.value = Some(v.clone());
            if self.observed {
                msg.is_observed = true;
            }
        }
        Ok(())
    }
}

/// NumPyro's `condition` (Edward2's `make_value_setter` for data): the named sites take the given
/// values as observed data.
///
/// ```
/// use probrs::distributions::Normal;
/// use probrs::ppl::{condition, program, Program};
/// use probrs::tensor::{DType, Tensor};
/// let m = program(|fx| fx.sample("y", Normal::new(0.0, 1.0)?));
/// let y = condition(m, vec![("y".into(), Tensor::scalar(1.5, DType::F32)?)]).run()?;
/// assert_eq!(y.to_scalar()?, 1.5);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn condition<P>(program: P, data: Vec<(String, Tensor)>) -> Handled<P> {
    Handled::new(program, Arc::new(ValueHandler { values: data, observed: true }))
}

/// NumPyro's `substitute`: the named sites take the given values and stay latent (their
/// log-density still counts as a latent's).
///
/// ```
/// use probrs::distributions::Normal;
/// use probrs::ppl::{program, substitute, trace};
/// use probrs::tensor::{DType, Tensor};
/// let m = program(|fx| fx.sample("z", Normal::new(0.0, 1.0)?));
/// let (_, tr) = trace(substitute(m, vec![("z".into(), Tensor::scalar(0.3, DType::F32)?)])).get_trace()?;
/// assert!(!tr.site("z")?.is_observed && (tr.value("z")?.to_scalar()? - 0.3).abs() < 1e-7);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn substitute<P>(program: P, values: Vec<(String, Tensor)>) -> Handled<P> {
    Handled::new(program, Arc::new(ValueHandler { values, observed: false }))
}

/// NumPyro's `block`: the chosen sites stop at this handler, so the handlers outside it (a
/// `trace`, say) do not see them.
///
/// ```
/// use probrs::distributions::Normal;
/// use probrs::ppl::{program, seed, trace, Block, Program};
/// use probrs::random::Seed;
/// let m = program(|fx| {
///     let a = fx.sample("a", Normal::new(0.0, 1.0)?)?;
///     fx.sample("b", Normal::new(&a, 1.0)?)
/// });
/// // The blocked sites are drawn (the seed is inside the block) but not traced.
/// let (_, tr) = trace(seed(m.clone(), Seed::new(0)).with_handler(Block::hide(&["a"]))).get_trace()?;
/// assert_eq!(tr.names(), ["b"]);
/// let (_, tr) = trace(seed(m, Seed::new(0)).with_handler(Block::expose(&["a"]))).get_trace()?;
/// assert_eq!(tr.names(), ["a"]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct Block {
    hide: Option<Vec<String>>,
    expose: Vec<String>,
}

impl Block {
    /// Hides every site.
    ///
    /// ```
    /// use probrs::distributions::Normal;
    /// use probrs::ppl::{program, seed, trace, Block, Program};
    /// use probrs::random::Seed;
    /// let m = seed(program(|fx| fx.sample("a", Normal::new(0.0, 1.0)?)), Seed::new(0)).with_handler(Block::all());
    /// assert!(trace(m).get_trace()?.1.names().is_empty());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn all() -> Self {
        Block { hide: None, expose: vec![] }
    }

    /// Hides the named sites.
    ///
    /// ```
    /// let _ = probrs::ppl::Block::hide(&["a", "b"]);
    /// ```
    pub fn hide(names: &[&str]) -> Self {
        Block { hide: Some(names.iter().map(|s| s.to_string()).collect()), expose: vec![] }
    }

    /// Hides every site but the named ones.
    ///
    /// ```
    /// let _ = probrs::ppl::Block::expose(&["a"]);
    /// ```
    pub fn expose(names: &[&str]) -> Self {
        Block { hide: None, expose: names.iter().map(|s| s.to_string()).collect() }
    }
}

impl Handler for Block {
    fn process(&self, msg: &mut Message) -> Result<()> {
        let hidden = match &self.hide {
            Some(h) => h.contains(&msg.name),
            None => !self.expose.contains(&msg.name),
        };
        if hidden {
            msg.stop = true;
        }
        Ok(())
    }
}
