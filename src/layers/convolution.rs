//! What every convolution and pooling layer shares: the window geometry (kernel size, strides,
//! dilation, `valid` or `same` padding, as Keras and TFP) and the patches of a channels-last
//! input that a window sees, gathered once so a convolution is one matrix product (im2col):
//!
//! ```text
//! inputs [B, s_1..s_R, C]  →  patches [B, o_1..o_R, K, C]      K = k_1·…·k_R window offsets
//! conv(inputs, kernel [k_1..k_R, C, F]) = patches[B·O, K·C] · kernel[K·C, F]  → [B, o_1..o_R, F]
//! o_i = ⌈(s_i − (k_i − 1)·d_i) / t_i⌉  (valid)      o_i = ⌈s_i / t_i⌉  (same, zero-padded, the
//!                                                   extra pad after, as TensorFlow)
//! ```
//!
//! The gather is `index_select` on the padded input, so gradients flow back to the inputs and
//! the kernel by the tensor facade's autodiff (scatter-add), for every rank alike.

use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// Keras's padding modes.
///
/// ```
/// assert_eq!(probrs::layers::Padding::default(), probrs::layers::Padding::Valid);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Padding {
    /// No padding: windows lie inside the input.
    #[default]
    Valid,
    /// Padded so the output has `⌈size / stride⌉` positions (zeros for a convolution, ignored
    /// by max pooling).
    Same,
}

/// A window's geometry over `R` spatial axes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Geometry {
    pub kernel: Vec<usize>,
    pub strides: Vec<usize>,
    pub dilation: Vec<usize>,
    pub padding: Padding,
}

/// How one spatial axis is padded and how many outputs it has.
struct Axis {
    before: usize,
    after: usize,
    out: usize,
}

impl Geometry {
    pub(super) fn new(kernel: &[usize]) -> Geometry {
        Geometry { kernel: kernel.to_vec(), strides: vec![1; kernel.len()], dilation: vec![1; kernel.len()], padding: Padding::Valid }
    }

    /// Checks the sizes are positive (`what` names the layer's setting in errors).
    pub(super) fn validate(&self, layer: &str) -> Result<()> {
        for (what, v) in [("kernel_size", &self.kernel), ("strides", &self.strides), ("dilation_rate", &self.dilation)] {
            if v.contains(&0) {
                return Err(Error::invalid_parameter(what, format!("layer `{layer}`: every entry must be positive, got {v:?}")));
            }
        }
        Ok(())
    }

    fn axes(&self, layer: &str, spatial: &[usize]) -> Result<Vec<Axis>> {
        self.validate(layer)?;
        let mut out = vec![];
        for (i, &s) in spatial.iter().enumerate() {
            let span = (self.kernel[i] - 1) * self.dilation[i] + 1;
            let t = self.strides[i];
            let a = match self.padding {
                Padding::Valid => {
                    if s < span {
                        return Err(Error::ShapeMismatch { context: format!("layer `{layer}`: spatial axis {i} of the input is shorter than the window (valid padding)"), lhs: spatial.to_vec(), rhs: vec![span] });
                    }
                    Axis { before: 0, after: 0, out: (s - span) / t + 1 }
                }
                Padding::Same => {
                    let o = s.div_ceil(t);
                    let total = ((o - 1) * t + span).saturating_sub(s);
                    Axis { before: total / 2, after: total - total / 2, out: o }
                }
            };
            out.push(a);
        }
        Ok(out)
    }

    /// The output positions `[o_1..o_R]` for an input of spatial shape `spatial`.
    #[cfg(test)]
    pub(super) fn output_shape(&self, layer: &str, spatial: &[usize]) -> Result<Vec<usize>> {
        Ok(self.axes(layer, spatial)?.iter().map(|a| a.out).collect())
    }

    /// The patches `[B, o_1..o_R, K, C]` of `inputs` `[B, s_1..s_R, C]`, padded with `pad`.
    pub(super) fn patches(&self, layer: &str, inputs: &Tensor, pad: f64) -> Result<Tensor> {
        let w = self.windows(layer, inputs, pad)?;
        let gathered = w.grid.index_select(1, &w.positions)?;
        let mut out_shape = w.out_shape(inputs.shape()[0]);
        let c = out_shape.pop().expect("channels");
        out_shape.extend_from_slice(&[w.k, c]);
        gathered.reshape(&out_shape)
    }

    /// The windows of `inputs` `[B, s_1..s_R, C]` padded with `pad`: the padded input as
    /// `[B, positions, C]` and, for each output position in row-major order, the `K` positions
    /// its window covers.
    pub(super) fn windows(&self, layer: &str, inputs: &Tensor, pad: f64) -> Result<Windows> {
        let r = self.kernel.len();
        check_rank(layer, inputs, r)?;
        let shape = inputs.shape().to_vec();
        let (b, c) = (shape[0], shape[r + 1]);
        let axes = self.axes(layer, &shape[1..=r])?;
        let mut x = inputs.clone();
        let mut padded = shape[1..=r].to_vec();
        for (i, a) in axes.iter().enumerate() {
            if a.before + a.after > 0 {
                x = x.pad(i + 1, a.before, a.after, pad)?;
                padded[i] += a.before + a.after;
            }
        }
        // Row-major strides of the padded spatial grid.
        let mut stride = vec![1usize; r];
        for i in (0..r.saturating_sub(1)).rev() {
            stride[i] = stride[i + 1] * padded[i + 1];
        }
        let outs: Vec<usize> = axes.iter().map(|a| a.out).collect();
        let n_out: usize = outs.iter().product();
        let n_k: usize = self.kernel.iter().product();
        let mut idx = Vec::with_capacity(n_out * n_k);
        let mut o = vec![0usize; r];
        for _ in 0..n_out {
            let mut k = vec![0usize; r];
            for _ in 0..n_k {
                idx.push((0..r).map(|i| (o[i] * self.strides[i] + k[i] * self.dilation[i]) * stride[i]).sum::<usize>() as u32);
                increment(&mut k, &self.kernel);
            }
            increment(&mut o, &outs);
        }
        let grid: usize = padded.iter().product();
        Ok(Windows { grid: x.reshape(&[b, grid, c])?, positions: idx, k: n_k, outs, channels: c })
    }
}

/// [`Geometry::windows`]' result.
pub(super) struct Windows {
    /// The padded input, `[B, positions, C]`.
    pub grid: Tensor,
    /// `K` positions per output position, row after row.
    pub positions: Vec<u32>,
    /// Positions per window.
    pub k: usize,
    /// The output's spatial shape `[o_1..o_R]`.
    pub outs: Vec<usize>,
    channels: usize,
}

impl Windows {
    /// `[batch, o_1..o_R, C]`.
    pub fn out_shape(&self, batch: usize) -> Vec<usize> {
        let mut s = vec![batch];
        s.extend_from_slice(&self.outs);
        s.push(self.channels);
        s
    }
}

/// The next multi-index in row-major order (wrapping to zeros after the last).
fn increment(ix: &mut [usize], dims: &[usize]) {
    for i in (0..ix.len()).rev() {
        ix[i] += 1;
        if ix[i] < dims[i] {
            return;
        }
        ix[i] = 0;
    }
}

/// `patches [B, o..., K, C] · kernel [k..., C, F]` → `[B, o..., F]`.
pub(super) fn convolve_patches(patches: &Tensor, kernel: &Tensor) -> Result<Tensor> {
    let ps = patches.shape();
    let r = ps.len() - 3;
    let (k, c) = (ps[r + 1], ps[r + 2]);
    let f = *kernel.shape().last().expect("a kernel has axes");
    let rows: usize = ps[..=r].iter().product();
    let out = patches.reshape(&[rows, k * c])?.matmul(&kernel.reshape(&[k * c, f])?)?;
    let mut shape = ps[..=r].to_vec();
    shape.push(f);
    out.reshape(&shape)
}

/// The window builders every convolution has on its `geometry` field (`with_strides`,
/// `with_padding`, `with_dilation_rate`); the arguments are the type (generic over `R`) and a
/// 2-D constructor call for the doc examples.
macro_rules! geometry_builders {
    ($t:ty, $doc_new:literal) => {
        impl<const R: usize> $t {
            /// With strides (Keras's `strides`, 1 by default).
            ///
            /// ```
            #[doc = concat!("let _ = probrs::layers::", $doc_new, ".with_strides([2, 2]);")]
            /// # Ok::<(), probrs::Error>(())
            /// ```
            pub fn with_strides(mut self, strides: [usize; R]) -> Self {
                self.geometry.strides = strides.to_vec();
                self
            }

            /// With a padding mode (`Valid` by default).
            ///
            /// ```
            #[doc = concat!("let _ = probrs::layers::", $doc_new, ".with_padding(probrs::layers::Padding::Same);")]
            /// # Ok::<(), probrs::Error>(())
            /// ```
            pub fn with_padding(mut self, padding: crate::layers::Padding) -> Self {
                self.geometry.padding = padding;
                self
            }

            /// With a dilation rate (Keras's `dilation_rate`: the window's taps `d` apart).
            ///
            /// ```
            #[doc = concat!("let _ = probrs::layers::", $doc_new, ".with_dilation_rate([2, 2]);")]
            /// # Ok::<(), probrs::Error>(())
            /// ```
            pub fn with_dilation_rate(mut self, dilation: [usize; R]) -> Self {
                self.geometry.dilation = dilation.to_vec();
                self
            }
        }
    };
}
pub(super) use geometry_builders;

/// Checks `inputs` is `[batch, rank spatial axes, channels]`.
fn check_rank(layer: &str, inputs: &Tensor, rank: usize) -> Result<()> {
    if inputs.rank() != rank + 2 {
        return Err(Error::InvalidShape { what: format!("layer `{layer}`'s input"), shape: inputs.shape().to_vec(), reason: format!("needs {} axes, [batch, {rank} spatial, channels]", rank + 2) });
    }
    Ok(())
}

/// Checks the channels of a convolution's input against the kernel built for `built`.
pub(super) fn check_channels(layer: &str, inputs: &Tensor, rank: usize, built: Option<usize>) -> Result<usize> {
    check_rank(layer, inputs, rank)?;
    let c = *inputs.shape().last().expect("rank checked");
    if let Some(want) = built.filter(|w| *w != c) {
        return Err(Error::ShapeMismatch { context: format!("layer `{layer}`: the input's channels vs the kernel built for {want}"), lhs: inputs.shape().to_vec(), rhs: vec![want] });
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::DType;

    #[test]
    fn output_sizes_are_tensorflows() {
        // TF: valid ⌈(s − span + 1) / t⌉, same ⌈s / t⌉.
        let mut g = Geometry::new(&[3]);
        assert_eq!(g.output_shape("c", &[7]).unwrap(), vec![5]);
        g.strides = vec![2];
        assert_eq!(g.output_shape("c", &[7]).unwrap(), vec![3]);
        g.padding = Padding::Same;
        assert_eq!(g.output_shape("c", &[7]).unwrap(), vec![4]);
        g.dilation = vec![3];
        g.strides = vec![1];
        g.padding = Padding::Valid;
        assert_eq!(g.output_shape("c", &[7]).unwrap(), vec![1]);
        assert!(g.output_shape("c", &[6]).is_err());
    }

    #[test]
    fn same_padding_puts_the_odd_pad_after() {
        // 4 inputs, window 2, stride 1, same: 4 outputs, one zero after (TensorFlow's convention).
        let mut g = Geometry::new(&[2]);
        g.padding = Padding::Same;
        let x = Tensor::from_slice(&[1.0, 2.0, 3.0, 4.0], &[1, 4, 1], DType::F64).unwrap();
        let p = g.patches("c", &x, 0.0).unwrap();
        assert_eq!(p.shape(), &[1, 4, 2, 1]);
        assert_eq!(p.to_vec().unwrap(), vec![1.0, 2.0, 2.0, 3.0, 3.0, 4.0, 4.0, 0.0]);
    }
}
