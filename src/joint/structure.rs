//! What a surrogate posterior (VI) or a target (MCMC) is to inference, and the structure of its draws.
//!
//! A target log-density receives the surrogate's draw as a [`Structure`]: a single tensor (a
//! plain distribution), a list (TFP's `target_log_prob_fn(*q_sample)`), or named values
//! (`target_log_prob_fn(**q_sample)`). Every [`Distribution`] is a [`SurrogatePosterior`]
//! whose draws are `Structure::Tensor`; joint distributions produce lists or named values.
//!
//! ```
//! use probrs::tensor::{DType, Tensor};
//! use probrs::vi::Structure;
//! let s = Structure::Named(vec![("z".into(), Tensor::vector(&[1.0, 2.0], DType::F32)?)]);
//! assert_eq!(s.get("z")?.shape(), &[2]);
//! assert!(matches!(s.get("w"), Err(probrs::Error::InvalidParameter { .. })));
//! # Ok::<(), probrs::Error>(())
//! ```

use crate::distributions::{Distribution, ReparameterizationType};
use crate::error::{Error, Result};
use crate::params::Variable;
use crate::random::Seed;
use crate::tensor::Tensor;

/// A draw of a surrogate posterior as the target sees it.
///
/// ```
/// use probrs::tensor::{DType, Tensor};
/// use probrs::vi::Structure;
/// let s = Structure::Named(vec![
///     ("z".into(), Tensor::scalar(1.0, DType::F64)?),
///     ("w".into(), Tensor::vector(&[2.0, 3.0], DType::F64)?),
/// ]);
/// assert_eq!(s.len(), 2);
/// assert_eq!(s.get("w")?.to_vec()?, vec![2.0, 3.0]);
/// assert_eq!(s.part(0)?.to_scalar()?, 1.0);
/// assert!(s.get("missing").is_err());
/// let doubled = s.try_map(|t| t.mul_scalar(2.0))?;
/// assert_eq!(doubled.get("z")?.to_scalar()?, 2.0);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub enum Structure {
    /// One tensor (`target(q_sample)`).
    Tensor(Tensor),
    /// Positional parts (`target(*q_sample)`).
    List(Vec<Tensor>),
    /// Named parts, in the model's order (`target(**q_sample)`).
    Named(Vec<(String, Tensor)>),
}

impl Structure {
    /// The single tensor of a `Structure::Tensor` (a typed error naming the structure otherwise).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::vi::Structure;
    /// let s = Structure::Tensor(Tensor::scalar(1.0, DType::F64)?);
    /// assert_eq!(s.as_tensor()?.to_scalar()?, 1.0);
    /// assert!(Structure::List(vec![]).as_tensor().is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn as_tensor(&self) -> Result<&Tensor> {
        match self {
            Structure::Tensor(t) => Ok(t),
            other => Err(Error::invalid_parameter("surrogate sample", format!("expected one tensor, got {}", other.describe()))),
        }
    }
    /// Part `i` of a list (or of named values, in order); a single tensor is part 0.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::vi::Structure;
    /// let s = Structure::List(vec![Tensor::scalar(1.0, DType::F64)?, Tensor::scalar(2.0, DType::F64)?]);
    /// assert_eq!(s.part(1)?.to_scalar()?, 2.0);
    /// assert!(s.part(2).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn part(&self, i: usize) -> Result<&Tensor> {
        let n = self.len();
        let got = match self {
            Structure::Tensor(t) if i == 0 => Some(t),
            Structure::Tensor(_) => None,
            Structure::List(v) => v.get(i),
            Structure::Named(v) => v.get(i).map(|(_, t)| t),
        };
        got.ok_or_else(|| Error::invalid_parameter("surrogate sample", format!("has {n} part(s); part {i} was requested ({})", self.describe())))
    }
    /// The named part `name`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::vi::Structure;
    /// let s = Structure::Named(vec![("z".into(), Tensor::scalar(1.0, DType::F64)?)]);
    /// assert_eq!(s.get("z")?.to_scalar()?, 1.0);
    /// assert!(s.get("w").unwrap_err().to_string().contains('w'));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn get(&self, name: &str) -> Result<&Tensor> {
        match self {
            Structure::Named(v) => v
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, t)| t)
                .ok_or_else(|| Error::invalid_parameter("surrogate sample", format!("has no part named `{name}` ({})", self.describe()))),
            other => Err(Error::invalid_parameter("surrogate sample", format!("has no names; part `{name}` was requested ({})", other.describe()))),
        }
    }
    /// The parts as a positional list (TFP's `*args`: names dropped, order kept).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::vi::Structure;
    /// let s = Structure::Named(vec![("a".into(), Tensor::scalar(1.0, DType::F64)?), ("b".into(), Tensor::scalar(2.0, DType::F64)?)]);
    /// assert!(matches!(s.to_list(), Structure::List(v) if v.len() == 2));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn to_list(&self) -> Structure {
        Structure::List(self.tensors().into_iter().cloned().collect())
    }
    /// The number of parts.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::vi::Structure;
    /// assert_eq!(Structure::Tensor(Tensor::scalar(1.0, DType::F64)?).len(), 1);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        match self {
            Structure::Tensor(_) => 1,
            Structure::List(v) => v.len(),
            Structure::Named(v) => v.len(),
        }
    }
    /// Whether there are no parts.
    ///
    /// ```
    /// use probrs::vi::Structure;
    /// assert!(Structure::List(vec![]).is_empty());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The parts in order.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::vi::Structure;
    /// let s = Structure::List(vec![Tensor::scalar(1.0, DType::F64)?, Tensor::scalar(2.0, DType::F64)?]);
    /// let total: f64 = s.tensors().iter().map(|t| t.to_scalar().unwrap()).sum();
    /// assert_eq!(total, 3.0);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn tensors(&self) -> Vec<&Tensor> {
        match self {
            Structure::Tensor(t) => vec![t],
            Structure::List(v) => v.iter().collect(),
            Structure::Named(v) => v.iter().map(|(_, t)| t).collect(),
        }
    }
    /// The same structure with every part mapped by `f`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::vi::Structure;
    /// let s = Structure::List(vec![Tensor::scalar(4.0, DType::F64)?]);
    /// assert_eq!(s.try_map(|t| t.sqrt())?.part(0)?.to_scalar()?, 2.0);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn try_map(&self, mut f: impl FnMut(&Tensor) -> Result<Tensor>) -> Result<Structure> {
        Ok(match self {
            Structure::Tensor(t) => Structure::Tensor(f(t)?),
            Structure::List(v) => Structure::List(v.iter().map(f).collect::<Result<_>>()?),
            Structure::Named(v) => Structure::Named(v.iter().map(|(n, t)| Ok((n.clone(), f(t)?))).collect::<Result<_>>()?),
        })
    }
    /// A one-line description: kinds, names and shapes.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::vi::Structure;
    /// let s = Structure::Named(vec![("z".into(), Tensor::zeros(&[3], DType::F64)?)]);
    /// assert!(s.describe().contains("z: [3]"), "{}", s.describe());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn describe(&self) -> String {
        match self {
            Structure::Tensor(t) => format!("a tensor of shape {:?}", t.shape()),
            Structure::List(v) => format!("a list of shapes {:?}", v.iter().map(|t| t.shape().to_vec()).collect::<Vec<_>>()),
            Structure::Named(v) => format!("named parts {:?}", v.iter().map(|(n, t)| format!("{n}: {:?}", t.shape())).collect::<Vec<_>>()),
        }
    }
}

/// A variational family: draws (with their log-density), log-density of given draws, whether
/// draws are reparameterized, and the variables it reads.
///
/// ```
/// use probrs::distributions::Normal;
/// use probrs::random::Seed;
/// use probrs::vi::SurrogatePosterior;
/// // Every distribution (and every joint) is a surrogate.
/// let q = Normal::new(0.0, 1.0)?;
/// let (x, lp) = q.sample_and_log_prob_structure(&[4], Seed::new(0))?;
/// let again = q.log_prob_structure(&x)?.to_vec()?;
/// assert!(lp.to_vec()?.iter().zip(&again).all(|(a, b)| (a - b).abs() < 1e-6));
/// assert!(q.fully_reparameterized());
/// assert!(q.surrogate_variables().is_empty());
/// # Ok::<(), probrs::Error>(())
/// ```
pub trait SurrogatePosterior {
    /// Draws of shape `sample_shape + batch + event` per part.
    fn sample_structure(&self, sample_shape: &[usize], seed: Seed) -> Result<Structure>;
    /// Draws and their log-density, computed in the same pass where the family can (TFP's
    /// `experimental_sample_and_log_prob`: from the underlying standard draws, no inverse).
    fn sample_and_log_prob_structure(&self, sample_shape: &[usize], seed: Seed) -> Result<(Structure, Tensor)>;
    /// The log-density of given draws.
    fn log_prob_structure(&self, x: &Structure) -> Result<Tensor>;
    /// True when every part is fully reparameterized (gradients flow through draws).
    fn fully_reparameterized(&self) -> bool;
    /// The variables the surrogate reads.
    fn surrogate_variables(&self) -> Vec<Variable>;
}

impl<D: Distribution + ?Sized> SurrogatePosterior for D {
    fn sample_structure(&self, sample_shape: &[usize], seed: Seed) -> Result<Structure> {
        Ok(Structure::Tensor(self.sample(sample_shape, seed)?))
    }
    fn sample_and_log_prob_structure(&self, sample_shape: &[usize], seed: Seed) -> Result<(Structure, Tensor)> {
        let (x, lp) = self.sample_and_log_prob(sample_shape, seed)?;
        Ok((Structure::Tensor(x), lp))
    }
    fn log_prob_structure(&self, x: &Structure) -> Result<Tensor> {
        self.log_prob(x.as_tensor()?)
    }
    fn fully_reparameterized(&self) -> bool {
        self.reparameterization_type() == ReparameterizationType::FullyReparameterized
    }
    fn surrogate_variables(&self) -> Vec<Variable> {
        self.trainable_variables()
    }
}
