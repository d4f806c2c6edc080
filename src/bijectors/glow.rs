//! `Glow` (Kingma & Dhariwal 2018; TFP's `tfb.Glow`): a multi-scale flow from vectors
//! `[H·W·C]` (forward) to images `[H, W, C]`.
//!
//! ```text
//! forward (latent → image), per level i = 0 (coarsest) .. n−1:
//!   exit:   the channels that left the flow after this level's block join it again, shifted
//!           and scaled by a network of the staying ones (Invert(ExitBijector))
//!   block:  num_steps_per_block steps, each (latent → image)
//!           Invert(coupling) → Invert(1×1 convolution) → ActNorm
//!           coupling = RealNVP on the channels: half condition the other half,
//!           y = x · sigmoid(a + 2) + b,   (a, b) = network(half)
//!   expand: [h, w, 4c] → [2h, 2w, c]  (each pixel's 4 channel groups become a 2 × 2 tile)
//! ```
//! In the data direction (`inverse`, what `log_prob` runs) each step is ActNorm → 1×1
//! convolution → coupling, as in the paper, and the image is squeezed `n` times; after level
//! `k` (counted from the image) the fraction `grab_after_block[k]` of the channels still in the
//! flow leaves it (half by default, none after the last), so finer features are coupled to
//! coarser ones only through the exits. The 1×1 convolutions are [`ScaleMatvecLU`]s started at
//! random rotations, the ActNorms ([`ActivationNormalization`]) initialize from the first batch,
//! and every bijector acts on each pixel's channel vector (event rank 1), so the log-det sums
//! over pixels like TFP's.
//!
//! The networks are supplied by [`GlowNetworkFn`] builders; `layers::GlowDefaultNetwork` and
//! `layers::GlowDefaultExitNetwork` are TFP's defaults (convolutions, last layer zero so each
//! coupling starts near the identity).

use super::{trainable_lu_factorization, ActivationNormalization, Bijector, Blockwise, Chain, Identity, Invert, Masked, RealNVP, Reshape, ScaleMatvecLU, ShiftAndLogScaleFn, Transpose};
use crate::error::{Error, Result};
use crate::random::Seed;
use crate::tensor::{DType, Tensor};
use crate::variables::Variable;
use std::sync::Arc;

/// A network of Glow's couplings: `[..., h, w, c_in]` images to `[..., h, w, c_out]`, with
/// `c_out` twice the transformed channels (affine coupling: scale and shift) or equal to them
/// (additive coupling: shift only).
///
/// ```
/// use probrs::bijectors::GlowNetwork;
/// use probrs::params::Variable;
/// use probrs::tensor::{DType, Tensor};
/// /// Zero shift and scale logits: the coupling's scale is sigmoid(2).
/// struct Zeros;
/// impl GlowNetwork for Zeros {
///     fn call(&self, x: &Tensor) -> probrs::Result<Tensor> { Tensor::concat(&[x, x], x.rank() - 1)?.zeros_like() }
///     fn trainable_variables(&self) -> Vec<Variable> { vec![] }
/// }
/// let y = Zeros.call(&Tensor::ones(&[1, 2, 2, 3], DType::F32)?)?;
/// assert_eq!(y.shape(), &[1, 2, 2, 6]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub trait GlowNetwork: Send + Sync {
    /// The network's output for a batch of images.
    fn call(&self, x: &Tensor) -> Result<Tensor>;
    /// The variables the network holds.
    fn trainable_variables(&self) -> Vec<Variable>;
}

/// Builds the networks of a [`Glow`] (TFP's `coupling_bijector_fn` / `exit_bijector_fn`): one
/// for images of `input_shape = [h, w, c_in]` that shifts (and scales) `output_channels`
/// channels, its variables of `dtype` drawn from `seed`; `name` prefixes their names.
///
/// ```
/// use probrs::bijectors::{GlowNetwork, GlowNetworkFn};
/// use probrs::params::Variable;
/// use probrs::random::Seed;
/// use probrs::tensor::{DType, Tensor};
/// use std::sync::Arc;
/// /// An additive coupling that shifts by the mean of the conditioning channels.
/// struct MeanShift(usize);
/// impl GlowNetwork for MeanShift {
///     fn call(&self, x: &Tensor) -> probrs::Result<Tensor> {
///         let m = x.mean_axes(&[x.rank() - 1], true)?;
///         let mut shape = x.shape().to_vec();
///         *shape.last_mut().unwrap() = self.0;
///         m.broadcast_to(&shape)
///     }
///     fn trainable_variables(&self) -> Vec<Variable> { vec![] }
/// }
/// struct MeanShiftFn;
/// impl GlowNetworkFn for MeanShiftFn {
///     fn build(&self, _input_shape: [usize; 3], output_channels: usize, _dtype: DType, _seed: Seed, _name: &str) -> probrs::Result<Arc<dyn GlowNetwork>> {
///         Ok(Arc::new(MeanShift(output_channels)))
///     }
/// }
/// let net = MeanShiftFn.build([4, 4, 2], 2, DType::F32, Seed::new(0), "net")?;
/// assert_eq!(net.call(&Tensor::ones(&[1, 4, 4, 2], DType::F32)?)?.shape(), &[1, 4, 4, 2]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub trait GlowNetworkFn: Send + Sync {
    /// A network for `[h, w, c_in]` inputs shifting (and scaling) `output_channels` channels.
    fn build(&self, input_shape: [usize; 3], output_channels: usize, dtype: DType, seed: Seed, name: &str) -> Result<Arc<dyn GlowNetwork>>;
}

/// Glow's settings (TFP's defaults).
///
/// ```
/// let o = probrs::bijectors::GlowOptions::default();
/// assert_eq!((o.num_glow_blocks, o.num_steps_per_block, o.use_actnorm), (3, 32, true));
/// assert!(o.grab_after_block.is_none());
/// ```
#[derive(Clone, Debug)]
pub struct GlowOptions {
    /// Levels (squeezes); `H` and `W` must be divisible by `2^num_glow_blocks`.
    pub num_glow_blocks: usize,
    /// Flow steps (ActNorm, 1×1 convolution, coupling) per level.
    pub num_steps_per_block: usize,
    /// The fraction of the remaining channels that leaves after each block, from the image
    /// side; `None`: half after each block but the last, none after the last.
    pub grab_after_block: Option<Vec<f64>>,
    /// ActNorm in every step (data-initialized).
    pub use_actnorm: bool,
    /// Seeds the 1×1 convolutions' rotations and the networks.
    pub seed: Seed,
    /// The variables' dtype.
    pub dtype: DType,
}

impl Default for GlowOptions {
    fn default() -> Self {
        GlowOptions { num_glow_blocks: 3, num_steps_per_block: 32, grab_after_block: None, use_actnorm: true, seed: Seed::new(0), dtype: DType::F32 }
    }
}

/// TFP's `Glow` (module doc).
///
/// ```
/// use probrs::bijectors::{Bijector, Glow, GlowNetwork, GlowNetworkFn, GlowOptions};
/// use probrs::params::Variable;
/// use probrs::random::Seed;
/// use probrs::tensor::{DType, Tensor};
/// use std::sync::Arc;
/// /// Additive couplings that shift by zero: Glow is then ActNorms and rotations.
/// struct NoShift(usize);
/// impl GlowNetwork for NoShift {
///     fn call(&self, x: &Tensor) -> probrs::Result<Tensor> {
///         let mut s = x.shape().to_vec();
///         *s.last_mut().unwrap() = self.0;
///         Tensor::zeros(&s, x.dtype())
///     }
///     fn trainable_variables(&self) -> Vec<Variable> { vec![] }
/// }
/// struct NoShiftFn;
/// impl GlowNetworkFn for NoShiftFn {
///     fn build(&self, _: [usize; 3], c: usize, _: DType, _: Seed, _: &str) -> probrs::Result<Arc<dyn GlowNetwork>> { Ok(Arc::new(NoShift(c))) }
/// }
/// let o = GlowOptions { num_glow_blocks: 2, num_steps_per_block: 2, dtype: DType::F64, ..Default::default() };
/// let glow = Glow::new([4, 4, 1], Arc::new(NoShiftFn), Arc::new(NoShiftFn), &o)?;
/// assert_eq!(glow.blockwise_splits(), &[[8, 0, 8], [2, 2, 0]]);
/// let z = Tensor::from_slice(&(0..32).map(|i| (i as f64 * 0.7).sin()).collect::<Vec<_>>(), &[2, 16], DType::F64)?;
/// let x = glow.forward(&z)?;
/// assert_eq!(x.shape(), &[2, 4, 4, 1]);
/// let back = glow.inverse(&x)?.to_vec()?;
/// assert!(back.iter().zip(z.to_vec()?).all(|(a, b)| (a - b).abs() < 1e-9));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct Glow {
    chain: Chain,
    output_shape: [usize; 3],
    blockwise_splits: Vec<[usize; 3]>,
}

impl Glow {
    /// Glow onto images of `output_shape = [H, W, C]`, its coupling and exit networks from the
    /// builders (TFP's `coupling_bijector_fn`, `exit_bijector_fn`). Errors name the setting: `H`
    /// or `W` not divisible by `2^num_glow_blocks`, a `grab_after_block` of the wrong length or
    /// one that leaves no channel in the flow or grabs none.
    ///
    /// ```
    /// use probrs::bijectors::{Glow, GlowOptions};
    /// use probrs::layers::{GlowDefaultExitNetwork, GlowDefaultNetwork};
    /// use std::sync::Arc;
    /// let (net, exit) = (Arc::new(GlowDefaultNetwork::new(8, 3)), Arc::new(GlowDefaultExitNetwork::new(3)));
    /// let o = GlowOptions { num_glow_blocks: 2, num_steps_per_block: 2, ..Default::default() };
    /// assert!(Glow::new([8, 8, 1], net.clone(), exit.clone(), &o).is_ok());
    /// assert!(Glow::new([6, 8, 1], net.clone(), exit.clone(), &o).is_err_and(|e| e.to_string().contains("height")));
    /// let bad = GlowOptions { grab_after_block: Some(vec![0.5]), ..o };
    /// assert!(Glow::new([8, 8, 1], net, exit, &bad).is_err_and(|e| e.to_string().contains("grab_after_block")));
    /// ```
    pub fn new(output_shape: [usize; 3], coupling_fn: Arc<dyn GlowNetworkFn>, exit_fn: Arc<dyn GlowNetworkFn>, o: &GlowOptions) -> Result<Self> {
        let [h, w, c] = output_shape;
        let n = o.num_glow_blocks;
        if n == 0 || o.num_steps_per_block == 0 || c == 0 {
            return Err(Error::invalid_parameter("num_glow_blocks", format!("glow needs at least one block, one step per block and one channel (blocks {n}, steps {}, channels {c})", o.num_steps_per_block)));
        }
        let tile = 1usize.checked_shl(n as u32).filter(|t| *t <= h.max(w)).unwrap_or(usize::MAX);
        for (what, size) in [("height", h), ("width", w)] {
            if tile == usize::MAX || size % tile != 0 || size / tile == 0 {
                return Err(Error::invalid_parameter("num_glow_blocks", format!("glow: the image {what} {size} must be divisible by 2^{n} (one squeeze per block)")));
            }
        }
        let grab = o.grab_after_block.clone().unwrap_or_else(|| (0..n).map(|i| if i + 1 < n { 0.5 } else { 0.0 }).collect());
        if grab.len() != n {
            return Err(Error::invalid_parameter("grab_after_block", format!("glow: {} fractions for {n} blocks", grab.len())));
        }
        let splits = blockwise_splits(c, &grab)?;
        let (h0, w0) = (h / tile, w / tile);
        let mut parts: Vec<Arc<dyn Bijector>> = vec![Arc::new(Reshape::new(&[h0 as isize, w0 as isize, (c * tile * tile) as isize], &[(h * w * c) as isize])?)];
        for (i, &[nleave, ngrab, npass]) in splits.iter().enumerate() {
            let (hi, wi) = (h0 << i, w0 << i);
            let seed = o.seed.fold_in(i as u64);
            parts.push(Arc::new(Invert::from_arc(exit_bijector([hi, wi], [nleave, ngrab, npass], exit_fn.as_ref(), seed.fold_in(0), o.dtype, i)?)));
            let block = glow_block([hi, wi, nleave + ngrab], o, coupling_fn.as_ref(), seed.fold_in(1), i)?;
            parts.push(if npass == 0 { Arc::new(block) } else { Arc::new(Blockwise::new(vec![Arc::new(block), Arc::new(Identity::new())], Some(vec![nleave + ngrab, npass]))?) });
            parts.push(Arc::new(expand([hi, wi, (c * tile * tile) >> (2 * i)])?));
        }
        parts.reverse();
        Ok(Glow { chain: Chain::new(parts), output_shape, blockwise_splits: splits })
    }

    /// Per level (coarsest first): `[nleave, ngrab, npass]` — the channels that stay in the
    /// flow, those that leave at its exit, and those that left at earlier (finer) exits.
    ///
    /// ```
    /// use probrs::bijectors::{Glow, GlowOptions};
    /// use probrs::layers::{GlowDefaultExitNetwork, GlowDefaultNetwork};
    /// use std::sync::Arc;
    /// let o = GlowOptions { num_glow_blocks: 3, num_steps_per_block: 1, ..Default::default() };
    /// let g = Glow::new([8, 8, 3], Arc::new(GlowDefaultNetwork::new(4, 3)), Arc::new(GlowDefaultExitNetwork::new(3)), &o)?;
    /// // TFP's splits for a 3-channel image and three blocks.
    /// assert_eq!(g.blockwise_splits(), &[[48, 0, 144], [12, 12, 24], [6, 6, 0]]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn blockwise_splits(&self) -> &[[usize; 3]] {
        &self.blockwise_splits
    }
}

/// TFP's `_get_blockwise_splits`, coarsest level first.
fn blockwise_splits(c: usize, grab: &[f64]) -> Result<Vec<[usize; 3]>> {
    let mut splits = Vec::with_capacity(grab.len());
    let mut npass = 0usize;
    for (i, &frac) in grab.iter().enumerate() {
        if !(0.0..1.0).contains(&frac) {
            return Err(Error::invalid_parameter("grab_after_block", format!("glow: fraction {frac} at block {i} must lie in [0, 1)")));
        }
        let nchan = c << (2 * (i + 1));
        let ngrab = ((nchan - npass) as f64 * frac).floor() as usize;
        let nleave = nchan - ngrab - npass;
        if nleave == 0 {
            return Err(Error::invalid_parameter("grab_after_block", format!("glow: block {i} would take out every remaining channel")));
        }
        if frac > 0.0 && ngrab == 0 {
            return Err(Error::invalid_parameter("grab_after_block", format!("glow: fraction {frac} at block {i} takes out no channel")));
        }
        splits.push([nleave, ngrab, npass]);
        npass = (npass + ngrab) * 4;
    }
    splits.reverse();
    Ok(splits)
}

/// TFP's `Expand`: `[h, w, c] → [2h, 2w, c/4]`, each pixel's four channel groups a 2 × 2 tile.
fn expand([h, w, c]: [usize; 3]) -> Result<Chain> {
    let (h, w, q) = (h as isize, w as isize, (c / 4) as isize);
    Ok(Chain::new(vec![
        Arc::new(Reshape::new(&[2 * h, 2 * w, q], &[h, 2, w, 2, q])?),
        Arc::new(Transpose::new(vec![0, 3, 1, 4, 2])?),
        Arc::new(Reshape::new(&[h, w, q, 2, 2], &[h, w, 4 * q])?),
    ]))
}

/// One level's flow steps on `[h, w, c]`: (latent → image) Invert(coupling), Invert(1×1), ActNorm.
fn glow_block([h, w, c]: [usize; 3], o: &GlowOptions, coupling_fn: &dyn GlowNetworkFn, seed: Seed, level: usize) -> Result<Chain> {
    let masked = c / 2;
    if masked == 0 {
        return Err(Error::invalid_parameter("grab_after_block", format!("glow: level {level} keeps {c} channel, too few to couple")));
    }
    let mut steps: Vec<Arc<dyn Bijector>> = Vec::with_capacity(3 * o.num_steps_per_block);
    for j in 0..o.num_steps_per_block {
        let name = format!("glow/level{level}/step{j}");
        let s = seed.fold_in(j as u64);
        let net = coupling_fn.build([h, w, masked], c - masked, o.dtype, s.fold_in(0), &format!("{name}/coupling"))?;
        let coupling = RealNVP::new(Masked::Num(masked as isize), Arc::new(GlowCoupling { network: net, scale: CouplingScale::Sigmoid }))?;
        steps.push(Arc::new(Invert::new(coupling)));
        let (lu, p) = trainable_lu_factorization(c, o.dtype, s.fold_in(1), &format!("{name}/conv1x1"))?;
        steps.push(Arc::new(Invert::new(ScaleMatvecLU::new(lu, p)?)));
        if o.use_actnorm {
            steps.push(Arc::new(ActivationNormalization::new(c, o.dtype, &format!("{name}/actnorm"))?));
        }
    }
    steps.reverse();
    Ok(Chain::new(steps))
}

/// TFP's `ExitBijector`: the channels leaving at this level shifted and scaled (`exp(a + 2)`)
/// by a network of the staying ones; those that left earlier pass through.
fn exit_bijector([h, w]: [usize; 2], [nleave, ngrab, npass]: [usize; 3], exit_fn: &dyn GlowNetworkFn, seed: Seed, dtype: DType, level: usize) -> Result<Arc<dyn Bijector>> {
    let coupling: Arc<dyn Bijector> = if nleave == 0 || ngrab == 0 {
        Arc::new(Identity::new())
    } else {
        let net = exit_fn.build([h, w, nleave], ngrab, dtype, seed, &format!("glow/level{level}/exit"))?;
        Arc::new(RealNVP::new(Masked::Num(nleave as isize), Arc::new(GlowCoupling { network: net, scale: CouplingScale::Exp }))?)
    };
    if npass == 0 {
        return Ok(coupling);
    }
    Ok(Arc::new(Blockwise::new(vec![coupling, Arc::new(Identity::new())], Some(vec![nleave + ngrab, npass]))?))
}

/// How a coupling network's scale logits become the scale.
#[derive(Clone, Copy)]
enum CouplingScale {
    /// `sigmoid(a + 2)` (the flow steps).
    Sigmoid,
    /// `exp(a + 2)` (the exits).
    Exp,
}

/// A Glow network as RealNVP's conditioner: `(shift, log_scale)` from its output (TFP's
/// `make_bijector_fn`: the first half of the channels are the scale logits, the second the
/// shift; as many channels as transformed ones is an additive coupling).
struct GlowCoupling {
    network: Arc<dyn GlowNetwork>,
    scale: CouplingScale,
}

impl ShiftAndLogScaleFn for GlowCoupling {
    fn call(&self, x0: &Tensor, output_units: usize) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let out = self.network.call(x0)?;
        let axis = out.rank().saturating_sub(1);
        let channels = out.shape().last().copied().unwrap_or(0);
        if out.rank() != x0.rank() || out.shape()[..axis] != x0.shape()[..axis] || (channels != output_units && channels != 2 * output_units) {
            return Err(Error::ShapeMismatch {
                context: format!("glow coupling network output (expected {output_units} or {} channels on the input's pixels)", 2 * output_units),
                lhs: x0.shape().to_vec(),
                rhs: out.shape().to_vec(),
            });
        }
        if channels == output_units {
            return Ok((Some(out), None));
        }
        let logits = out.narrow(axis, 0, output_units)?.add_scalar(2.0)?;
        let log_scale = match self.scale {
            CouplingScale::Sigmoid => logits.log_sigmoid()?,
            CouplingScale::Exp => logits,
        };
        Ok((Some(out.narrow(axis, output_units, output_units)?), Some(log_scale)))
    }
    fn trainable_variables(&self) -> Vec<Variable> {
        self.network.trainable_variables()
    }
}

impl Bijector for Glow {
    fn name(&self) -> &str {
        "glow"
    }
    fn forward_min_event_ndims(&self) -> usize {
        1
    }
    fn inverse_min_event_ndims(&self) -> usize {
        3
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.chain.forward(x)
    }
    fn inverse(&self, y: &Tensor) -> Result<Tensor> {
        self.chain.inverse(y)
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        self.chain.forward_log_det_jacobian(x, 1)
    }
    fn inverse_log_det_jacobian_min(&self, y: &Tensor) -> Result<Tensor> {
        self.chain.inverse_log_det_jacobian(y, 3)
    }
    fn forward_and_forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        self.chain.forward_and_forward_log_det_jacobian(x, 1)
    }
    fn inverse_and_inverse_log_det_jacobian_min(&self, y: &Tensor) -> Result<(Tensor, Tensor)> {
        self.chain.inverse_and_inverse_log_det_jacobian(y, 3)
    }
    fn forward_event_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        let [h, w, c] = self.output_shape;
        if input != [h * w * c] {
            return Err(Error::ShapeMismatch { context: "glow forward event".into(), lhs: input.to_vec(), rhs: vec![h * w * c] });
        }
        Ok(self.output_shape.to_vec())
    }
    fn inverse_event_shape(&self, output: &[usize]) -> Result<Vec<usize>> {
        if output != self.output_shape {
            return Err(Error::ShapeMismatch { context: "glow inverse event".into(), lhs: output.to_vec(), rhs: self.output_shape.to_vec() });
        }
        Ok(vec![output.iter().product()])
    }
    fn visit_variables(&self, f: &mut dyn FnMut(&Variable)) {
        self.chain.visit_variables(f)
    }
}
