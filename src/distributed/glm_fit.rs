//! `glm_fit` and `glm_fit_sparse`: TFP's `tfp.glm.fit` (Fisher scoring) and `fit_sparse`
//! (elastic net by proximal Newton) with the rows sharded over ranks.
//!
//! The single-process fit already adds the weighted Gram matrix `XᵀW²X` and `XᵀW²z` over fixed
//! blocks of 4096 rows in block order; here each rank computes its blocks' partials, they are
//! gathered and added in the same order ([`Shards::sum_blocks`]), and every rank solves the same
//! normal equations. With [`Shards::with_block_rows`]`(n, 4096, …)` the coefficients equal the
//! single-process `glm::fit`'s bit for bit, on any number of ranks. Per Fisher step one
//! exchange of `D² + D` numbers per block travels.

use super::communicator::{agree, Communicator};
use super::shards::Shards;
use crate::error::{Error, Result};
use crate::glm::{fit_data, fit_sparse_data, BlockSum, ExponentialFamily, FitOptions, FitSparseOptions, GlmData, GlmFit, GlmSparseFit};
use std::sync::Arc;

/// The rows per block of the single-process GLM fit's Gram sums: shards of this size
/// ([`Shards::with_block_rows`]) make a sharded fit equal to `glm::fit` bit for bit.
///
/// ```
/// assert_eq!(probrs::distributed::GLM_BLOCK_ROWS, 4096);
/// ```
pub const GLM_BLOCK_ROWS: usize = crate::glm::GRAM_BLOCK_ROWS;

/// Fisher scoring on this rank's rows `local` (rows `shards.local_rows()` of the data set,
/// nothing else), with the Gram sums gathered over `comm`'s ranks: every rank returns the same
/// coefficients, convergence flag and step count; `predicted_linear_response` holds this
/// rank's rows. `options.offset` and `predicted_linear_response_start`, when given, are this
/// rank's rows too. The QR solve (`fast_unsafe_numerics: false`) needs the whole weighted
/// design and is not offered sharded.
///
/// ```
/// use probrs::distributed::{glm_fit, Shards, ThreadRanks, GLM_BLOCK_ROWS};
/// use probrs::glm::{fit_data, FitOptions, GlmData, Poisson};
/// use std::sync::Arc;
/// // A Poisson regression on 9,000 rows: three blocks of 4096 rows, two ranks.
/// let n = 9000;
/// let x: Vec<f64> = (0..n).flat_map(|i| [1.0, (i as f64 * 0.001).sin()]).collect();
/// let y: Vec<f64> = (0..n).map(|i| ((i * 7) % 5) as f64).collect();
/// let whole = fit_data(&GlmData::from_rows(x.clone(), y.clone(), 2, &Poisson)?, &Poisson, &FitOptions::default())?;
/// let fits = ThreadRanks::run(2, |comm| {
///     let comm = Arc::new(comm.clone());
///     let shards = Shards::with_block_rows(n, GLM_BLOCK_ROWS, comm.as_ref())?;
///     let rows = shards.local_rows();
///     let local = GlmData::from_rows(x[2 * rows.start..2 * rows.end].to_vec(), y[rows].to_vec(), 2, &Poisson)?;
///     glm_fit(comm, &shards, &local, &Poisson, &FitOptions::default())
/// })?;
/// assert_eq!(fits[0].model_coefficients, whole.model_coefficients); // bit for bit
/// assert_eq!(fits[1].model_coefficients, whole.model_coefficients);
/// assert_eq!(fits[1].predicted_linear_response.len(), 9000 - 4096);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn glm_fit(comm: Arc<dyn Communicator>, shards: &Shards, local: &GlmData, model: &dyn ExponentialFamily, options: &FitOptions) -> Result<GlmFit> {
    let n = local.shape().0;
    let options_fit = (|| -> Result<()> {
        if !options.fast_unsafe_numerics {
            return Err(Error::invalid_parameter("fast_unsafe_numerics", "the QR solve needs the whole weighted design; a sharded fit solves the gathered normal equations (true)"));
        }
        for (name, v) in [("offset", &options.offset), ("predicted_linear_response_start", &options.predicted_linear_response_start)] {
            if let Some(v) = v {
                if v.len() != n {
                    return Err(Error::ShapeMismatch { context: format!("glm {name} (this rank's rows) vs this rank's response"), lhs: vec![v.len()], rhs: vec![n] });
                }
            }
        }
        Ok(())
    })();
    let data = sharded_data(comm, shards, local, options_fit)?;
    fit_data(&data, model, options)
}

/// TFP's `tfp.glm.fit_sparse` (L1/L2-penalized Fisher scoring by proximal Newton coordinate
/// descent) with the rows sharded over ranks: the Gram sums are gathered as in [`glm_fit`], and
/// the coordinate sweeps run on every rank on the same numbers, so every rank returns the same
/// coefficients — with [`GLM_BLOCK_ROWS`]-row blocks, bit for bit those of `glm::fit_sparse`.
///
/// ```
/// use probrs::distributed::{glm_fit_sparse, Shards, ThreadRanks, GLM_BLOCK_ROWS};
/// use probrs::glm::{fit_sparse_data, Bernoulli, FitSparseOptions, GlmData};
/// use std::sync::Arc;
/// // A lasso logistic regression on 9,000 rows and 4 columns, two ranks.
/// let n = 9000;
/// let x: Vec<f64> = (0..n).flat_map(|i| [1.0, (i as f64 * 0.01).sin(), (i as f64 * 0.003).cos(), ((i % 11) as f64) / 11.0]).collect();
/// let y: Vec<f64> = (0..n).map(|i| f64::from(u8::from((i as f64 * 0.01).sin() + ((i * 7) % 5) as f64 * 0.2 > 0.4))).collect();
/// let o = FitSparseOptions::default();
/// let whole = fit_sparse_data(&GlmData::from_rows(x.clone(), y.clone(), 4, &Bernoulli)?, &Bernoulli, 5.0, &o)?;
/// let fits = ThreadRanks::run(2, |comm| {
///     let comm = Arc::new(comm.clone());
///     let shards = Shards::with_block_rows(n, GLM_BLOCK_ROWS, comm.as_ref())?;
///     let rows = shards.local_rows();
///     let local = GlmData::from_rows(x[4 * rows.start..4 * rows.end].to_vec(), y[rows].to_vec(), 4, &Bernoulli)?;
///     glm_fit_sparse(comm, &shards, &local, &Bernoulli, 5.0, &o)
/// })?;
/// assert!(whole.is_converged && whole.model_coefficients.iter().filter(|b| **b != 0.0).count() >= 2);
/// assert_eq!(fits[0].model_coefficients, whole.model_coefficients); // bit for bit
/// assert_eq!(fits[1].model_coefficients, whole.model_coefficients);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn glm_fit_sparse(comm: Arc<dyn Communicator>, shards: &Shards, local: &GlmData, model: &dyn ExponentialFamily, l1_regularizer: f64, options: &FitSparseOptions) -> Result<GlmSparseFit> {
    let data = sharded_data(comm, shards, local, Ok(()))?;
    fit_sparse_data(&data, model, l1_regularizer, options)
}

/// This rank's rows with the Gram sums gathered over the ranks, once every rank has checked
/// its shard (and `options_fit`, its own checks of the fit's options) — agreed, so that a rank
/// with a bad shard stops every rank before the first exchange.
fn sharded_data(comm: Arc<dyn Communicator>, shards: &Shards, local: &GlmData, options_fit: Result<()>) -> Result<GlmData> {
    let (n, _) = local.shape();
    let checked = options_fit.and_then(|()| {
        let k = shards.rows_per_block().ok_or_else(|| Error::invalid_parameter("shards", "a sharded GLM fit needs blocks of a fixed size (Shards::with_block_rows)"))?;
        let rows = shards.local_rows();
        if n != rows.len() {
            return Err(Error::ShapeMismatch { context: format!("this rank's data vs its shard (rows {}..{})", rows.start, rows.end), lhs: vec![n], rhs: vec![rows.len()] });
        }
        Ok(k)
    });
    let k = agree(comm.as_ref(), checked)?;
    let mut data = local.clone();
    data.block_rows = k;
    let shards = shards.clone();
    data.block_sum = BlockSum(Some(Arc::new(move |partials, width| shards.sum_blocks(comm.as_ref(), partials, width))));
    Ok(data)
}
