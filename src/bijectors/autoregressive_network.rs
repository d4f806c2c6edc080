//! `AutoregressiveNetwork`: MADE (Germain et al. 2015; TFP's `tfb.AutoregressiveNetwork`), a
//! dense network whose weights are masked so that output `d` depends only on the inputs that
//! come before `d` in the input order — the shift and log-scale network of a masked
//! autoregressive flow.
//!
//! ```text
//! degrees:  inputs m_0 = the input order (1..D);  hidden layer l, "equal":
//!           m_l[k] = max(min(min m_{l−1}, D − 1), ⌈k (D − 1)/(units + 1)⌉),  k = 1..=units
//! masks:    hidden  M_l[i, k] = 1[m_{l−1}[i] ≤ m_l[k]]
//!           output  M[i, (d, p)] = 1[m_L[i] < m_0[d]]          (each of the `params` outputs)
//! layer:    h_l = act(h_{l−1} (W_l ⊙ M_l) + b_l),  the last layer linear;  out [..., D, params]
//! ```
//!
//! TFP's degree and mask rules (`_create_degrees`, `_create_masks`) are followed exactly, so a
//! network built with the same settings has the same connectivity. Kernels are Glorot-uniform
//! (masked, as TFP masks its initializer), biases zero; the seed makes them reproducible.
//!
//! A conditional network (TFP's `conditional=True`) also reads a context vector `c`, unmasked,
//! through its own kernel (Glorot, no bias) added before each layer's activation — every layer
//! (`all_layers`, TFP's default) or the first only (`first_layer`):
//! `h_l = act(h_{l−1} (W_l ⊙ M_l) + c V_l + b_l)`.

use crate::error::{Error, Result};
use crate::random::{self, Seed};
use crate::tensor::{DType, Tensor};
use crate::variables::Variable;

/// The order in which the inputs are autoregressive (TFP's `input_order`).
///
/// ```
/// use probrs::bijectors::InputOrder;
/// assert_eq!(InputOrder::default(), InputOrder::LeftToRight);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub enum InputOrder {
    /// Input `d` has degree `d + 1`.
    #[default]
    LeftToRight,
    /// Input `d` has degree `D − d`.
    RightToLeft,
    /// Explicit degrees: a permutation of `1..=D`.
    Degrees(Vec<usize>),
    /// A random permutation of `1..=D` drawn from the seed (TFP's `'random'`).
    Random(Seed),
}

/// How a MADE's hidden units get their degrees (TFP's `hidden_degrees`).
///
/// ```
/// use probrs::bijectors::HiddenDegrees;
/// assert_eq!(HiddenDegrees::default(), HiddenDegrees::Equal);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub enum HiddenDegrees {
    /// Spread evenly over `[min degree, D − 1]` (TFP's default `'equal'`).
    #[default]
    Equal,
    /// Each drawn uniformly from `[min degree of the layer below, D − 1]` (TFP's `'random'`).
    Random(Seed),
}

/// A masked autoregressive network (MADE).
///
/// ```
/// use probrs::bijectors::AutoregressiveNetwork;
/// use probrs::random::Seed;
/// use probrs::tensor::{DType, Tensor};
/// // Two parameters (shift, log scale) per coordinate of a 3-vector, hidden layers 8 and 8.
/// let made = AutoregressiveNetwork::new(2, 3, &[8, 8], DType::F64, Seed::new(0))?.with_activation(Tensor::relu);
/// let out = made.call(&Tensor::zeros(&[5, 3], DType::F64)?)?;
/// assert_eq!(out.shape(), &[5, 3, 2]);
/// assert_eq!(made.trainable_variables().len(), 6); // three kernels, three biases
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct AutoregressiveNetwork {
    params: usize,
    event_size: usize,
    degrees: Vec<Vec<usize>>,
    layers: Vec<(Variable, Variable, Tensor)>,
    activation: Option<fn(&Tensor) -> Result<Tensor>>,
    /// The conditional input's size and its kernel per layer it enters.
    conditional: Option<(usize, Vec<Variable>)>,
}

/// Which layers of a conditional [`AutoregressiveNetwork`] read the conditional input (TFP's
/// `conditional_input_layers`).
///
/// ```
/// use probrs::bijectors::ConditionalInputLayers;
/// assert_ne!(ConditionalInputLayers::AllLayers, ConditionalInputLayers::FirstLayer);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConditionalInputLayers {
    /// Every layer, the output layer included (TFP's default).
    AllLayers,
    /// The first layer only.
    FirstLayer,
}

impl std::fmt::Debug for AutoregressiveNetwork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AutoregressiveNetwork(params {}, event_size {}, degrees {:?})", self.params, self.event_size, self.degrees)
    }
}

/// TFP's `_create_degrees`.
fn create_degrees(order: &[usize], hidden_units: &[usize], hidden: &HiddenDegrees) -> Vec<Vec<usize>> {
    let d = order.len();
    let mut degrees = vec![order.to_vec()];
    for (l, &units) in hidden_units.iter().enumerate() {
        let prev_min = degrees.last().and_then(|v| v.iter().min().copied()).unwrap_or(1);
        let min_degree = prev_min.min(d.saturating_sub(1));
        degrees.push(match hidden {
            HiddenDegrees::Equal => (1..=units).map(|k| min_degree.max((k * (d - 1)).div_ceil(units + 1))).collect(),
            HiddenDegrees::Random(seed) => {
                use rand::Rng;
                let mut rng = seed.fold_in(l as u64).rng();
                (0..units).map(|_| rng.random_range(min_degree..=d - 1)).collect()
            }
        });
    }
    degrees
}

/// TFP's `_create_masks`, the output mask repeated for each of `params` outputs per input.
fn create_masks(degrees: &[Vec<usize>], params: usize) -> Vec<Vec<Vec<bool>>> {
    let mut masks: Vec<Vec<Vec<bool>>> = degrees.windows(2).map(|w| w[0].iter().map(|i| w[1].iter().map(|o| i <= o).collect()).collect()).collect();
    let (last, first) = (&degrees[degrees.len() - 1], &degrees[0]);
    masks.push(last.iter().map(|i| first.iter().flat_map(|o| std::iter::repeat_n(i < o, params)).collect()).collect());
    masks
}

impl AutoregressiveNetwork {
    /// `params` outputs per coordinate of a `event_size`-vector, through `hidden_units`,
    /// left-to-right order, linear activation (TFP's defaults), `dtype` weights drawn from `seed`.
    ///
    /// ```
    /// use probrs::bijectors::AutoregressiveNetwork;
    /// use probrs::random::Seed;
    /// use probrs::tensor::DType;
    /// assert!(AutoregressiveNetwork::new(2, 1, &[4], DType::F64, Seed::new(0)).is_err()); // a 1-vector has nothing to condition on
    /// assert!(AutoregressiveNetwork::new(0, 3, &[4], DType::F64, Seed::new(0)).is_err());
    /// ```
    pub fn new(params: usize, event_size: usize, hidden_units: &[usize], dtype: DType, seed: Seed) -> Result<Self> {
        Self::with_order(params, event_size, hidden_units, InputOrder::LeftToRight, dtype, seed)
    }

    /// As [`AutoregressiveNetwork::new`] with an input order.
    ///
    /// ```
    /// use probrs::bijectors::{AutoregressiveNetwork, InputOrder};
    /// use probrs::random::Seed;
    /// use probrs::tensor::DType;
    /// let made = AutoregressiveNetwork::with_order(1, 4, &[6], InputOrder::RightToLeft, DType::F64, Seed::new(0))?;
    /// assert_eq!(made.degrees()[0], vec![4, 3, 2, 1]);
    /// assert!(AutoregressiveNetwork::with_order(1, 3, &[6], InputOrder::Degrees(vec![1, 1, 2]), DType::F64, Seed::new(0)).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_order(params: usize, event_size: usize, hidden_units: &[usize], order: InputOrder, dtype: DType, seed: Seed) -> Result<Self> {
        Self::with_degrees(params, event_size, hidden_units, order, HiddenDegrees::Equal, dtype, seed)
    }

    /// As [`AutoregressiveNetwork::with_order`] with a rule for the hidden degrees (TFP's
    /// `hidden_degrees`; `Random` draws them, as TFP's `'random'`, from its own seed).
    ///
    /// ```
    /// use probrs::bijectors::{AutoregressiveNetwork, HiddenDegrees, InputOrder};
    /// use probrs::random::Seed;
    /// use probrs::tensor::DType;
    /// let made = AutoregressiveNetwork::with_degrees(1, 4, &[50], InputOrder::Random(Seed::new(3)), HiddenDegrees::Random(Seed::new(4)), DType::F64, Seed::new(0))?;
    /// let mut order = made.degrees()[0].clone();
    /// order.sort();
    /// assert_eq!(order, vec![1, 2, 3, 4]); // a permutation
    /// assert!(made.degrees()[1].iter().all(|&m| (1..=3).contains(&m)));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_degrees(params: usize, event_size: usize, hidden_units: &[usize], order: InputOrder, hidden_degrees: HiddenDegrees, dtype: DType, seed: Seed) -> Result<Self> {
        if params == 0 || event_size < 2 {
            return Err(Error::invalid_parameter("params, event_shape", format!("need params ≥ 1 and an event of at least 2 coordinates (got {params}, {event_size})")));
        }
        if let Some(0) = hidden_units.iter().find(|&&u| u == 0) {
            return Err(Error::invalid_parameter("hidden_units", "every hidden layer needs at least one unit"));
        }
        let order = match order {
            InputOrder::LeftToRight => (1..=event_size).collect(),
            InputOrder::RightToLeft => (1..=event_size).rev().collect(),
            InputOrder::Degrees(d) => {
                let mut sorted = d.clone();
                sorted.sort_unstable();
                if sorted != (1..=event_size).collect::<Vec<_>>() {
                    return Err(Error::invalid_parameter("input_order", format!("{d:?} is not a permutation of 1..={event_size}")));
                }
                d
            }
            InputOrder::Random(seed) => {
                use rand::seq::SliceRandom;
                let mut d: Vec<usize> = (1..=event_size).collect();
                d.shuffle(&mut seed.rng());
                d
            }
        };
        let degrees = create_degrees(&order, hidden_units, &hidden_degrees);
        let masks = create_masks(&degrees, params);
        let mut layers = Vec::with_capacity(masks.len());
        for (l, mask) in masks.iter().enumerate() {
            let (fan_in, fan_out) = (mask.len(), mask[0].len());
            let flat: Vec<f64> = mask.iter().flatten().map(|&m| if m { 1.0 } else { 0.0 }).collect();
            let m = Tensor::from_slice(&flat, &[fan_in, fan_out], dtype)?;
            let w = random::glorot_uniform(&[fan_in, fan_out], dtype, seed.fold_in(l as u64))?.mul(&m)?;
            let kernel = Variable::new(&w, format!("made/dense_{l}/kernel"))?;
            let bias = Variable::new(&Tensor::zeros(&[fan_out], dtype)?, format!("made/dense_{l}/bias"))?;
            layers.push((kernel, bias, m));
        }
        Ok(AutoregressiveNetwork { params, event_size, degrees, layers, activation: None, conditional: None })
    }

    /// The hidden layers' activation (TFP's default is none, i.e. linear; its MAF template uses
    /// relu: `.with_activation(Tensor::relu)`).
    ///
    /// ```
    /// use probrs::bijectors::AutoregressiveNetwork;
    /// use probrs::random::Seed;
    /// use probrs::tensor::{DType, Tensor};
    /// let made = AutoregressiveNetwork::new(1, 2, &[3], DType::F64, Seed::new(1))?.with_activation(Tensor::tanh);
    /// assert_eq!(made.call(&Tensor::ones(&[2], DType::F64)?)?.shape(), &[2, 1]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_activation(mut self, activation: fn(&Tensor) -> Result<Tensor>) -> Self {
        self.activation = Some(activation);
        self
    }

    /// A conditional network (TFP's `conditional=True, conditional_event_shape=[size]`): its
    /// outputs also depend on a context vector of `size` entries, given to [`call_conditional`]
    /// (no masks: every output may depend on all of it). The context kernels are Glorot-uniform
    /// from `seed`.
    ///
    /// [`call_conditional`]: AutoregressiveNetwork::call_conditional
    ///
    /// ```
    /// use probrs::bijectors::{AutoregressiveNetwork, ConditionalInputLayers};
    /// use probrs::random::Seed;
    /// use probrs::tensor::{DType, Tensor};
    /// let made = AutoregressiveNetwork::new(2, 3, &[8], DType::F64, Seed::new(0))?.with_conditional(4, ConditionalInputLayers::AllLayers, Seed::new(1))?;
    /// let x = Tensor::zeros(&[5, 3], DType::F64)?;
    /// let (c0, c1) = (Tensor::zeros(&[5, 4], DType::F64)?, Tensor::ones(&[5, 4], DType::F64)?);
    /// let (a, b) = (made.call_conditional(&x, &c0)?.to_vec()?, made.call_conditional(&x, &c1)?.to_vec()?);
    /// assert_ne!(a, b); // even the first coordinate's outputs move with the context
    /// assert!(made.call(&x).is_err()); // a conditional network needs its context
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_conditional(mut self, size: usize, layers: ConditionalInputLayers, seed: Seed) -> Result<Self> {
        if size == 0 {
            return Err(Error::invalid_parameter("conditional_event_shape", "a conditional input needs at least one entry"));
        }
        let n = if layers == ConditionalInputLayers::AllLayers { self.layers.len() } else { 1 };
        let dtype = self.layers[0].0.dtype();
        let kernels = (0..n)
            .map(|l| {
                let units = self.layers[l].0.shape()[1];
                Variable::new(&random::glorot_uniform(&[size, units], dtype, seed.fold_in(l as u64))?, format!("made/conditional_{l}/kernel"))
            })
            .collect::<Result<Vec<_>>>()?;
        self.conditional = Some((size, kernels));
        Ok(self)
    }

    /// The outputs `[..., D, params]` at `x [..., D]` and the context `conditional_input
    /// [..., C]` (its leading axes broadcast against `x`'s).
    ///
    /// ```
    /// use probrs::bijectors::{AutoregressiveNetwork, ConditionalInputLayers};
    /// use probrs::random::Seed;
    /// use probrs::tensor::{DType, Tensor};
    /// let made = AutoregressiveNetwork::new(2, 2, &[8], DType::F32, Seed::new(0))?.with_conditional(1, ConditionalInputLayers::FirstLayer, Seed::new(1))?;
    /// // One context for a batch of three points, broadcast.
    /// let out = made.call_conditional(&Tensor::zeros(&[3, 2], DType::F32)?, &Tensor::ones(&[1], DType::F32)?)?;
    /// assert_eq!(out.shape(), &[3, 2, 2]);
    /// assert!(made.call_conditional(&Tensor::zeros(&[3, 2], DType::F32)?, &Tensor::ones(&[2], DType::F32)?).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn call_conditional(&self, x: &Tensor, conditional_input: &Tensor) -> Result<Tensor> {
        self.forward_pass(x, Some(conditional_input))
    }

    /// Outputs per coordinate (TFP's `params`).
    ///
    /// ```
    /// use probrs::bijectors::AutoregressiveNetwork;
    /// let made = AutoregressiveNetwork::new(2, 3, &[4], probrs::tensor::DType::F64, probrs::random::Seed::new(0))?;
    /// assert_eq!((made.params(), made.event_size()), (2, 3));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn params(&self) -> usize {
        self.params
    }

    /// The event size `D`.
    ///
    /// ```
    /// use probrs::bijectors::AutoregressiveNetwork;
    /// let made = AutoregressiveNetwork::new(1, 5, &[], probrs::tensor::DType::F32, probrs::random::Seed::new(0))?;
    /// assert_eq!(made.event_size(), 5);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn event_size(&self) -> usize {
        self.event_size
    }

    /// The degrees of the inputs and of each hidden layer (TFP's `_create_degrees`).
    ///
    /// ```
    /// use probrs::bijectors::AutoregressiveNetwork;
    /// use probrs::random::Seed;
    /// use probrs::tensor::DType;
    /// let made = AutoregressiveNetwork::new(2, 3, &[5, 4], DType::F64, Seed::new(0))?;
    /// assert_eq!(made.degrees(), &[vec![1, 2, 3], vec![1, 1, 1, 2, 2], vec![1, 1, 2, 2]]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn degrees(&self) -> &[Vec<usize>] {
        &self.degrees
    }

    /// The network on inputs `[..., D]`: `[..., D, params]`.
    ///
    /// ```
    /// use probrs::bijectors::AutoregressiveNetwork;
    /// use probrs::random::Seed;
    /// use probrs::tensor::{DType, Tensor};
    /// let made = AutoregressiveNetwork::new(2, 3, &[4], DType::F64, Seed::new(0))?;
    /// // The first coordinate depends on nothing: its outputs are the (zero) output biases.
    /// let out = made.call(&Tensor::vector(&[0.3, -1.0, 2.0], DType::F64)?)?.to_vec()?;
    /// assert_eq!(&out[..2], &[0.0, 0.0]);
    /// assert!(made.call(&Tensor::zeros(&[2], DType::F64)?).is_err()); // wrong event size
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn call(&self, x: &Tensor) -> Result<Tensor> {
        self.forward_pass(x, None)
    }

    fn forward_pass(&self, x: &Tensor, conditional_input: Option<&Tensor>) -> Result<Tensor> {
        if x.rank() == 0 || x.shape()[x.rank() - 1] != self.event_size {
            return Err(Error::ShapeMismatch { context: "autoregressive_network: the input's last axis vs event_shape".into(), lhs: x.shape().to_vec(), rhs: vec![self.event_size] });
        }
        let context = match (&self.conditional, conditional_input) {
            (None, None) => None,
            (Some((size, kernels)), Some(c)) => {
                if c.rank() == 0 || c.shape()[c.rank() - 1] != *size {
                    return Err(Error::ShapeMismatch { context: "autoregressive_network: the conditional input's last axis vs conditional_event_shape".into(), lhs: c.shape().to_vec(), rhs: vec![*size] });
                }
                Some((c, kernels))
            }
            (None, Some(_)) => return Err(Error::invalid_parameter("conditional_input", "this network is not conditional (build it with with_conditional)")),
            (Some(_), None) => return Err(Error::invalid_parameter("conditional_input", "a conditional network needs its conditional input (call_conditional)")),
        };
        let batch = x.shape()[..x.rank() - 1].to_vec();
        let mut h = x.reshape(&[batch.iter().product(), self.event_size])?;
        for (l, (kernel, bias, mask)) in self.layers.iter().enumerate() {
            h = h.dense(&kernel.value().mul(mask)?, &bias.value(), false)?;
            if let Some((c, kernels)) = &context {
                if let Some(v) = kernels.get(l) {
                    // c V_l over the context's own batch, broadcast against x's, then flat again.
                    let units = h.shape()[1];
                    let c_batch = &c.shape()[..c.rank() - 1];
                    let mut cv_shape = c_batch.to_vec();
                    cv_shape.push(units);
                    let cv = c.reshape(&[c_batch.iter().product(), c.shape()[c.rank() - 1]])?.matmul(&v.value())?.reshape(&cv_shape)?;
                    let mut shape = batch.clone();
                    shape.push(units);
                    h = h.reshape(&shape)?.add(&cv)?.reshape(&[h.shape()[0], units])?;
                }
            }
            if l + 1 < self.layers.len() {
                if let Some(act) = self.activation {
                    h = act(&h)?;
                }
            }
        }
        let mut shape = batch;
        shape.extend_from_slice(&[self.event_size, self.params]);
        h.reshape(&shape)
    }

    /// The kernels and biases, first layer first.
    ///
    /// ```
    /// use probrs::bijectors::AutoregressiveNetwork;
    /// use probrs::random::Seed;
    /// use probrs::tensor::DType;
    /// let made = AutoregressiveNetwork::new(2, 3, &[4], DType::F32, Seed::new(0))?;
    /// assert_eq!(made.trainable_variables()[0].name(), "made/dense_0/kernel");
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn trainable_variables(&self) -> Vec<Variable> {
        let conditional = self.conditional.iter().flat_map(|(_, k)| k.iter().cloned());
        self.layers.iter().flat_map(|(k, b, _)| [k.clone(), b.clone()]).chain(conditional).collect()
    }
}
