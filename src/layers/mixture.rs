//! TFP's mixture distribution layers: `MixtureSameFamily(num_components, component_layer)` and
//! its two instances `MixtureNormal` and `MixtureLogistic` (mixture density networks):
//!
//! ```text
//! params = [mixture logits (k) | component params (k · c)]        c = component_layer.params_size
//!        → MixtureSameFamily(Categorical(logits), component_layer(params reshaped [..., k, c]))
//! params_size = k · (1 + c)
//! ```

use crate::distributions::{Categorical, MixtureSameFamily as Mixture};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

use super::independent::{check_params, DistributionLayer, IndependentLogistic, IndependentNormal};

/// A mixture of `num_components` distributions of one family, each made by `component_layer`.
///
/// ```
/// use probrs::distributions::Distribution;
/// use probrs::layers::{DistributionLayer, IndependentNormal, MixtureSameFamily};
/// use probrs::tensor::{DType, Tensor};
/// let layer = MixtureSameFamily::new(3, IndependentNormal::new(&[2]))?;
/// assert_eq!(layer.params_size(), 3 * (1 + 4));
/// let d = layer.distribution(&Tensor::zeros(&[5, 15], DType::F64)?)?;
/// assert_eq!((d.batch_shape(), d.event_shape()), (vec![5], vec![2]));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct MixtureSameFamily<L> {
    num_components: usize,
    component_layer: L,
}

impl<L: DistributionLayer> MixtureSameFamily<L> {
    /// The layer of `num_components` components from `component_layer`.
    ///
    /// ```
    /// use probrs::layers::{IndependentNormal, MixtureSameFamily};
    /// assert!(MixtureSameFamily::new(0, IndependentNormal::new(&[1])).is_err());
    /// ```
    pub fn new(num_components: usize, component_layer: L) -> Result<Self> {
        if num_components == 0 {
            return Err(Error::invalid_parameter("num_components", "a mixture needs at least one component"));
        }
        Ok(MixtureSameFamily { num_components, component_layer })
    }
}

impl<L: DistributionLayer> DistributionLayer for MixtureSameFamily<L> {
    type Output = Mixture;

    fn params_size(&self) -> usize {
        self.num_components * (1 + self.component_layer.params_size())
    }

    fn distribution(&self, params: &Tensor) -> Result<Mixture> {
        let (k, size) = (self.num_components, self.params_size());
        check_params(&format!("MixtureSameFamily({k})"), params, size)?;
        let axis = params.rank() - 1;
        let mut shape = params.shape()[..axis].to_vec();
        shape.extend_from_slice(&[k, self.component_layer.params_size()]);
        let components = self.component_layer.distribution(&params.narrow(axis, k, size - k)?.reshape(&shape)?)?;
        Mixture::new(Categorical::from_logits(params.narrow(axis, 0, k)?)?, components)
    }
}

macro_rules! mixture_of {
    ($t:ident, $component:ident, $doc:literal) => {
        #[doc = $doc]
        ///
        /// ```
        /// use probrs::distributions::Distribution;
        /// use probrs::layers::DistributionLayer;
        #[doc = concat!("let layer = probrs::layers::", stringify!($t), "::new(5, &[1])?;")]
        /// assert_eq!(layer.params_size(), 5 * (1 + 2));
        /// let d = layer.distribution(&probrs::tensor::Tensor::zeros(&[4, 15], probrs::tensor::DType::F64)?)?;
        /// assert_eq!(d.event_shape(), vec![1]);
        /// # Ok::<(), probrs::Error>(())
        /// ```
        #[derive(Clone, Debug)]
        pub struct $t(MixtureSameFamily<$component>);

        impl $t {
            /// `num_components` components over events of `event_shape`.
            ///
            /// ```
            #[doc = concat!("assert!(probrs::layers::", stringify!($t), "::new(0, &[1]).is_err());")]
            /// ```
            pub fn new(num_components: usize, event_shape: &[usize]) -> Result<Self> {
                Ok($t(MixtureSameFamily::new(num_components, $component::new(event_shape))?))
            }
        }

        impl DistributionLayer for $t {
            type Output = Mixture;

            fn params_size(&self) -> usize {
                self.0.params_size()
            }

            fn distribution(&self, params: &Tensor) -> Result<Mixture> {
                self.0.distribution(params)
            }
        }
    };
}

mixture_of!(MixtureNormal, IndependentNormal, "TFP's `MixtureNormal(num_components, event_shape)`: a mixture of `IndependentNormal`s.");
mixture_of!(MixtureLogistic, IndependentLogistic, "TFP's `MixtureLogistic(num_components, event_shape)`: a mixture of `IndependentLogistic`s.");
