//! Model programs: a model is an ordinary Rust function that draws named random variables
//! through a handle, [`Effects`] — Edward2's random-variable constructors and NumPyro's
//! `numpyro.sample`, in Rust `fx.sample("z", Normal::new(0.0, 1.0)?)`.
//!
//! Each draw is a message passed through a stack of effect handlers (`handlers.rs`: trace,
//! seed, condition, substitute, block), innermost first, as in NumPyro's `apply_stack`: a
//! handler may fix the value, mark it observed, give it a seed, or stop the message from
//! reaching the handlers outside it. A message still without a value is drawn from its
//! distribution with its seed (an error naming the site when no `seed` handler gave one). Then
//! the handlers that saw the message post-process it (`trace` records it).
//!
//! A program run inside a joint distribution ([`to_joint_distribution`](super::to_joint_distribution))
//! sends its sites to the joint's [`ModelContext`] instead, so that everything built on joint
//! distributions (pinning, event-space bijectors, `sample_nuts_pinned`, `fit_surrogate_posterior`)
//! takes a program too.

use std::sync::Arc;

use crate::distributions::Distribution;
use crate::error::{Error, Result};
use crate::joint::{ModelContext, SiteDistribution};
use crate::random::Seed;
use crate::tensor::Tensor;

/// A site on its way through the handlers.
///
/// ```
/// use probrs::distributions::Normal;
/// use probrs::ppl::{program, seed, Handler, Message, Program};
/// use probrs::random::Seed;
/// use std::sync::Mutex;
/// // A handler that collects the names of the sites it sees.
/// #[derive(Default)]
/// struct Names(Mutex<Vec<String>>);
/// impl Handler for Names {
///     fn postprocess(&self, msg: &Message) -> probrs::Result<()> {
///         self.0.lock().unwrap().push(msg.name.clone());
///         Ok(())
///     }
/// }
/// let m = program(|fx| fx.sample("z", Normal::new(0.0, 1.0)?));
/// seed(m, Seed::new(0)).with_handler(Names::default()).run()?;
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct Message {
    /// The site's name.
    pub name: String,
    /// Its distribution.
    pub distribution: Arc<dyn Distribution>,
    /// Its value, once a handler or the draw set it.
    pub value: Option<Tensor>,
    /// Whether the value is data (`observe`, or a `condition` handler).
    pub is_observed: bool,
    /// The seed of the draw (a `seed` handler sets it).
    pub seed: Option<Seed>,
    /// Set by `block`: the handlers outside do not see the site.
    pub stop: bool,
    /// Whether the site was marked `Root` (for joint distributions' batched sampling).
    pub root: bool,
}

/// An effect handler: what it does to each message on the way in (`process`) and after the
/// value is known (`postprocess`). Both default to nothing.
///
/// ```
/// use probrs::distributions::Normal;
/// use probrs::ppl::{program, seed, Handler, Message, Program};
/// use probrs::random::Seed;
/// // A handler that fixes every site named "z" to 0.
/// struct ZeroZ;
/// impl Handler for ZeroZ {
///     fn process(&self, msg: &mut Message) -> probrs::Result<()> {
///         if msg.name == "z" {
///             msg.value = Some(probrs::tensor::Tensor::scalar(0.0, probrs::tensor::DType::F32)?);
///         }
///         Ok(())
///     }
/// }
/// let model = program(|fx| fx.sample("z", Normal::new(0.0, 1.0)?));
/// let z = seed(model.with_handler(ZeroZ), Seed::new(1)).run()?;
/// assert_eq!(z.to_scalar()?, 0.0);
/// # Ok::<(), probrs::Error>(())
/// ```
pub trait Handler: Send + Sync {
    /// Called innermost handler first, before the value is drawn.
    fn process(&self, msg: &mut Message) -> Result<()> {
        let _ = msg;
        Ok(())
    }
    /// Called on the handlers that processed the message, after its value is known.
    fn postprocess(&self, msg: &Message) -> Result<()> {
        let _ = msg;
        Ok(())
    }
}

/// Where a run's sites go when no handler gives a value: drawn here, or handed to a joint
/// distribution's model context.
pub(crate) trait SiteBackend {
    fn site(&mut self, name: &str, distribution: Arc<dyn Distribution>, root: bool) -> Result<Tensor>;
}

impl SiteBackend for ModelContext<'_> {
    fn site(&mut self, name: &str, distribution: Arc<dyn Distribution>, root: bool) -> Result<Tensor> {
        if root {
            self.sample(name, crate::joint::Root(distribution))
        } else {
            self.sample(name, distribution)
        }
    }
}

/// The handle a model program draws its random variables through.
///
/// ```
/// use probrs::distributions::{Exponential, Normal};
/// use probrs::ppl::{program, seed, trace};
/// use probrs::random::Seed;
/// let model = program(|fx| {
///     let scale = fx.sample("scale", Exponential::new(1.0)?)?;
///     fx.sample("x", Normal::new(0.0, &scale)?)
/// });
/// let (x, tr) = trace(seed(model, Seed::new(3))).get_trace()?;
/// assert_eq!(tr.names(), ["scale", "x"]);
/// assert_eq!(tr.value("x")?.to_scalar()?, x.to_scalar()?);
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct Effects<'a> {
    stack: Vec<Arc<dyn Handler>>,
    backend: Option<&'a mut dyn SiteBackend>,
}

impl<'a> Effects<'a> {
    pub(crate) fn new() -> Self {
        Effects { stack: vec![], backend: None }
    }

    pub(crate) fn on_backend(backend: &'a mut dyn SiteBackend) -> Self {
        Effects { stack: vec![], backend: Some(backend) }
    }

    /// Runs `f` with `handler` pushed on the stack (innermost), popping it after.
    pub(crate) fn with_handler<T>(&mut self, handler: Arc<dyn Handler>, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        self.stack.push(handler);
        let r = f(self);
        self.stack.pop();
        r
    }

    /// A random variable named `name` drawn from `distribution` (or `Root(distribution)`).
    ///
    /// ```
    /// use probrs::distributions::Normal;
    /// use probrs::ppl::{program, Program};
    /// // Without a seed handler there is nothing to draw with: an error naming the site.
    /// let e = program(|fx| fx.sample("z", Normal::new(0.0, 1.0)?)).run().unwrap_err().to_string();
    /// assert!(e.contains("`z`") && e.contains("seed"), "{e}");
    /// ```
    pub fn sample(&mut self, name: &str, distribution: impl SiteDistribution) -> Result<Tensor> {
        let (d, root) = distribution.into_site();
        self.apply(Message { name: name.to_string(), distribution: d, value: None, is_observed: false, seed: None, stop: false, root })
    }

    /// An observed random variable: `value` is data drawn from `distribution` (NumPyro's
    /// `sample(name, d, obs=value)`).
    ///
    /// ```
    /// use probrs::distributions::Normal;
    /// use probrs::ppl::{program, trace};
    /// use probrs::tensor::{DType, Tensor};
    /// let y = Tensor::vector(&[0.5, 1.5], DType::F32)?;
    /// let model = program(move |fx| fx.observe("y", Normal::new(1.0, 1.0)?, &y));
    /// let (_, tr) = trace(model).get_trace()?;
    /// assert!(tr.site("y")?.is_observed);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn observe(&mut self, name: &str, distribution: impl SiteDistribution, value: &Tensor) -> Result<Tensor> {
        let (d, root) = distribution.into_site();
        self.apply(Message { name: name.to_string(), distribution: d, value: Some(value.clone()), is_observed: true, seed: None, stop: false, root })
    }

    fn apply(&mut self, mut msg: Message) -> Result<Tensor> {
        let mut processed = 0;
        for h in self.stack.iter().rev() {
            h.process(&mut msg)?;
            processed += 1;
            if msg.stop {
                break;
            }
        }
        if msg.value.is_none() || self.backend.is_some() {
            let value = match self.backend.as_deref_mut() {
                Some(b) => b.site(&msg.name, msg.distribution.clone(), msg.root)?,
                None => {
                    let seed = msg.seed.ok_or_else(|| Error::invalid_parameter(msg.name.as_str(), format!("site `{}` has no value and no seed to draw one: wrap the program in `seed(...)`, or give the value (`condition`, `substitute`)", msg.name)))?;
                    msg.distribution.sample(&[], seed)?
                }
            };
            msg.value = Some(value);
        }
        let start = self.stack.len() - processed;
        for h in &self.stack[start..] {
            h.postprocess(&msg)?;
        }
        Ok(msg.value.expect("set above"))
    }
}

/// A model program: something that runs against [`Effects`] and returns a value.
///
/// ```
/// use probrs::ppl::{Effects, Program};
/// // Any type can be a program; this one returns a constant.
/// struct Two;
/// impl Program<f64> for Two {
///     fn run_with(&self, _fx: &mut Effects<'_>) -> probrs::Result<f64> {
///         Ok(2.0)
///     }
/// }
/// assert_eq!(Two.run()?, 2.0);
/// # Ok::<(), probrs::Error>(())
/// ```
pub trait Program<T>: Send + Sync {
    /// Runs the program once.
    fn run_with(&self, fx: &mut Effects<'_>) -> Result<T>;

    /// Runs the program alone (its handlers only).
    ///
    /// ```
    /// use probrs::distributions::Normal;
    /// use probrs::ppl::{program, seed, Program};
    /// use probrs::random::Seed;
    /// let model = program(|fx| fx.sample("z", Normal::new(0.0, 1.0)?));
    /// // The same seed, the same draw.
    /// let a = seed(model.clone(), Seed::new(5)).run()?.to_scalar()?;
    /// let b = seed(model, Seed::new(5)).run()?.to_scalar()?;
    /// assert_eq!(a, b);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    fn run(&self) -> Result<T> {
        self.run_with(&mut Effects::new())
    }

    /// This program with `handler` applied to its sites (innermost of the handlers wrapping it).
    ///
    /// ```
    /// use probrs::distributions::Normal;
    /// use probrs::ppl::{program, seed, trace, Block, Program};
    /// use probrs::random::Seed;
    /// let model = program(|fx| fx.sample("z", Normal::new(0.0, 1.0)?));
    /// let (_, tr) = trace(seed(model, Seed::new(0)).with_handler(Block::hide(&["z"]))).get_trace()?;
    /// assert!(tr.names().is_empty());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    fn with_handler(self, handler: impl Handler + 'static) -> Handled<Self>
    where
        Self: Sized,
    {
        Handled { inner: self, handler: Arc::new(handler) }
    }
}

/// A program from a function of [`Effects`].
///
/// ```
/// use probrs::distributions::Normal;
/// use probrs::ppl::{program, seed, Program};
/// use probrs::random::Seed;
/// fn model(fx: &mut probrs::ppl::Effects) -> probrs::Result<probrs::tensor::Tensor> {
///     let z = fx.sample("z", Normal::new(0.0, 1.0)?)?;
///     fx.sample("x", Normal::new(&z, 0.1)?)
/// }
/// assert!(seed(program(model), Seed::new(0)).run()?.to_scalar()?.is_finite());
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn program<T, F: Fn(&mut Effects<'_>) -> Result<T> + Send + Sync>(f: F) -> Model<F> {
    Model(Arc::new(f))
}

/// A program made by [`program`]; cheap to clone (the function is shared).
///
/// ```
/// use probrs::distributions::Normal;
/// use probrs::ppl::{program, seed, Program};
/// use probrs::random::Seed;
/// let m = program(|fx| fx.sample("z", Normal::new(0.0, 1.0)?));
/// let copy = m.clone(); // shares the function
/// assert_eq!(seed(m, Seed::new(1)).run()?.to_scalar()?, seed(copy, Seed::new(1)).run()?.to_scalar()?);
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct Model<F>(Arc<F>);

impl<F> Clone for Model<F> {
    fn clone(&self) -> Self {
        Model(self.0.clone())
    }
}

impl<T, F: Fn(&mut Effects<'_>) -> Result<T> + Send + Sync> Program<T> for Model<F> {
    fn run_with(&self, fx: &mut Effects<'_>) -> Result<T> {
        (self.0)(fx)
    }
}

/// A program with one more handler around its sites.
///
/// ```
/// use probrs::distributions::Normal;
/// use probrs::ppl::{program, Block, Program};
/// let _hidden = program(|fx| fx.sample("z", Normal::new(0.0, 1.0)?)).with_handler(Block::all());
/// ```
#[derive(Clone)]
pub struct Handled<P> {
    inner: P,
    handler: Arc<dyn Handler>,
}

impl<P> Handled<P> {
    pub(crate) fn new(inner: P, handler: Arc<dyn Handler>) -> Self {
        Handled { inner, handler }
    }
}

impl<T, P: Program<T>> Program<T> for Handled<P> {
    fn run_with(&self, fx: &mut Effects<'_>) -> Result<T> {
        fx.with_handler(self.handler.clone(), |fx| self.inner.run_with(fx))
    }
}

/// A program whose handler is made afresh for each run (handlers with per-run state: seed
/// counters, traces).
///
/// ```
/// use probrs::distributions::Normal;
/// use probrs::ppl::{program, seed, Program};
/// use probrs::random::Seed;
/// // `seed` makes its counter afresh each run: two runs, the same draw.
/// let s = seed(program(|fx| fx.sample("z", Normal::new(0.0, 1.0)?)), Seed::new(4));
/// assert_eq!(s.run()?.to_scalar()?, s.run()?.to_scalar()?);
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct HandledWith<P, H> {
    pub(crate) inner: P,
    pub(crate) make: Arc<dyn Fn() -> H + Send + Sync>,
}

impl<P: Clone, H> Clone for HandledWith<P, H> {
    fn clone(&self) -> Self {
        HandledWith { inner: self.inner.clone(), make: self.make.clone() }
    }
}

impl<T, P: Program<T>, H: Handler + 'static> Program<T> for HandledWith<P, H> {
    fn run_with(&self, fx: &mut Effects<'_>) -> Result<T> {
        fx.with_handler(Arc::new((self.make)()), |fx| self.inner.run_with(fx))
    }
}
