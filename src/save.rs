//! Saving and loading: trainable variables, fitted distributions and the weights of layers
//! (Keras's `save_weights` / `load_weights`), in JSON or safetensors.
//!
//! A distribution is saved as its family's class name, dtype, instance name and, for each
//! parameter, what it is — a number, a fixed tensor, a [`Variable`], or a
//! [`TransformedVariable`] (its *unconstrained* stored values and its bijector's name) — so that
//! loading rebuilds the same object: the same parameter kinds, the same stored bits, hence
//! `log_prob` equal bit for bit. A `TransformedVariable`'s bijector is rebuilt from the
//! family's `parameter_properties` (the default constraining bijector, which is what
//! `make_trainable` and `probrs fit` use), and checked against the saved name.
//! [`DeferredTensor`](crate::params::DeferredTensor) parameters hold a Rust closure and cannot
//! be saved (a typed error names the parameter).
//!
//! Formats, by the file's extension: `.json` (values as decimal numbers that read back exactly:
//! float32 values widen to float64 exactly, float64 values print in shortest round-trip form)
//! or `.safetensors` (the tensors as raw little-endian bytes, the structure in its metadata).
//! Files are written to a temporary file and renamed: a failed save leaves no partial file.
//!
//! ```
//! use probrs::distributions::{Distribution, Gamma};
//! use probrs::params::MakeTrainable;
//! use probrs::save::{load_distribution, save_distribution};
//! use probrs::tensor::{DType, Tensor};
//! let model: Gamma = MakeTrainable::new().initial_value("concentration", 2.5).initial_value("rate", 0.7).build()?;
//! let path = std::env::temp_dir().join("probrs_doc_gamma.safetensors");
//! save_distribution(&path, &model)?;
//! let back = load_distribution(&path)?;
//! let x = Tensor::vector(&[0.3, 1.7, 4.2], DType::F32)?;
//! assert_eq!(back.log_prob(&x)?.to_vec()?, model.log_prob(&x)?.to_vec()?);
//! assert_eq!(back.trainable_variables().len(), 2);
//! # Ok::<(), probrs::Error>(())
//! ```

use crate::distributions::*;
use crate::error::{Error, Result};
use crate::params::{MakeTrainable, Param, Parameters, ParameterProperties, Trainable, TransformedVariable, Variable};
use crate::tensor::{DType, Tensor};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// A tensor's dtype, shape and values (row-major), exactly.
///
/// ```
/// use probrs::save::SavedTensor;
/// use probrs::tensor::{DType, Tensor};
/// let t = Tensor::from_slice(&[1.5, -2.0], &[2, 1], DType::F32)?;
/// let s = SavedTensor::of(&t)?;
/// assert_eq!((s.dtype.as_str(), s.shape.clone(), s.values.clone()), ("float32", vec![2, 1], vec![1.5, -2.0]));
/// assert_eq!(s.tensor()?.to_vec()?, t.to_vec()?);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedTensor {
    /// `"float32"` or `"float64"`.
    pub dtype: String,
    /// The shape.
    pub shape: Vec<usize>,
    /// The values, widened to f64 (exact for float32). Empty in a safetensors file's metadata,
    /// where the values are in the tensor section.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<f64>,
}

impl SavedTensor {
    /// The values of `t`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::save::SavedTensor;
    /// let s = SavedTensor::of(&Tensor::scalar(0.1, DType::F32)?)?;
    /// assert_eq!(s.values, vec![0.1f32 as f64]); // float32's value, exactly
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn of(t: &Tensor) -> Result<Self> {
        Ok(SavedTensor { dtype: t.dtype().name().into(), shape: t.shape().to_vec(), values: t.to_vec()? })
    }
    /// The tensor back.
    ///
    /// ```
    /// use probrs::save::SavedTensor;
    /// let s = SavedTensor { dtype: "float64".into(), shape: vec![2], values: vec![1.0, 2.0] };
    /// assert_eq!(s.tensor()?.to_vec()?, vec![1.0, 2.0]);
    /// let bad = SavedTensor { dtype: "float64".into(), shape: vec![3], values: vec![1.0] };
    /// assert!(bad.tensor().is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn tensor(&self) -> Result<Tensor> {
        // The shape comes from a file: its element count may overflow, and is checked against
        // the values actually present before anything is allocated for it.
        let n = self.shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
        if n != Some(self.values.len()) {
            let claimed = n.map_or_else(|| "more than 2^64".to_string(), |n| n.to_string());
            return Err(Error::BadInput { location: "saved tensor".into(), reason: format!("{} values for shape {:?} ({claimed} elements)", self.values.len(), self.shape) });
        }
        // An empty tensor's other dimensions become batch dimensions of whatever is built from
        // it ([2^32, 0] would give a batch of 2^32): bound them as if the zero were a one.
        let spread = self.shape.iter().filter(|&&d| d > 0).try_fold(1usize, |acc, &d| acc.checked_mul(d));
        if spread.is_none_or(|m| m > self.values.len().max(MAX_EMPTY_SPREAD)) {
            return Err(Error::BadInput { location: "saved tensor".into(), reason: format!("shape {:?} spans more than {MAX_EMPTY_SPREAD} entries with no values", self.shape) });
        }
        Tensor::from_slice(&self.values, &self.shape, dtype_of(&self.dtype)?)
    }
}

/// How far an empty saved tensor's non-zero dimensions may reach (their product).
const MAX_EMPTY_SPREAD: usize = 1 << 20;

fn dtype_of(name: &str) -> Result<DType> {
    match name {
        "float32" => Ok(DType::F32),
        "float64" => Ok(DType::F64),
        other => Err(Error::BadInput { location: "dtype".into(), reason: format!("unsupported dtype {other:?} (float32 or float64)") }),
    }
}

/// What a parameter is.
///
/// ```
/// use probrs::distributions::Normal;
/// use probrs::params::Variable;
/// use probrs::save::{SavedDistribution, SavedParam};
/// use probrs::tensor::{DType, Tensor};
/// let loc = Variable::new(&Tensor::scalar(1.0, DType::F64)?, "loc")?;
/// let saved = SavedDistribution::of(&Normal::new(loc, 2.0)?)?;
/// assert!(matches!(&saved.parameters[0].1, SavedParam::Variable { name, .. } if name == "loc"));
/// assert_eq!(saved.parameters[1].1, SavedParam::Scalar { value: 2.0 });
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SavedParam {
    /// A bare number.
    Scalar {
        /// The number.
        value: f64,
    },
    /// A fixed tensor.
    Tensor {
        /// Its values.
        value: SavedTensor,
    },
    /// A trainable variable and its name.
    Variable {
        /// The variable's name.
        name: String,
        /// Its values.
        value: SavedTensor,
    },
    /// A variable read through a bijector: the stored (unconstrained) values.
    Transformed {
        /// The variable's name.
        name: String,
        /// The bijector's name (the family's default constraining bijector).
        bijector: String,
        /// The stored, unconstrained values.
        pretransformed: SavedTensor,
    },
}

/// A distribution as saved: class name, dtype, instance name, parameters in order.
///
/// ```
/// use probrs::distributions::{Distribution, Gamma};
/// use probrs::save::SavedDistribution;
/// use probrs::tensor::Tensor;
/// let d = Gamma::new(2.0, 3.0)?;
/// let saved = SavedDistribution::of(&d)?;
/// assert_eq!(saved.family, "Gamma");
/// let back = saved.build()?;
/// let x = Tensor::scalar(0.7, d.dtype())?;
/// assert_eq!(back.log_prob(&x)?.to_scalar()?, d.log_prob(&x)?.to_scalar()?);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedDistribution {
    /// TFP's class name (`"Normal"`, `"Gamma"`, ...).
    pub family: String,
    /// `"float32"` or `"float64"`.
    pub dtype: String,
    /// The instance name.
    pub name: String,
    /// Each parameter by name, in the family's order.
    pub parameters: Vec<(String, SavedParam)>,
}

/// Builds a family from parameters and gives its parameter properties, by class name.
struct Family {
    build: fn(Parameters) -> Result<Arc<dyn Distribution>>,
    properties: fn(DType) -> Vec<(&'static str, ParameterProperties)>,
    trainable: fn(MakeTrainable) -> Result<Arc<dyn Distribution>>,
}

macro_rules! registry {
    ($($t:ident),+ $(,)?) => {
        fn family(name: &str) -> Option<Family> {
            match name {
                $(<$t as Trainable>::NAME => Some(Family {
                    build: |p| Ok(Arc::new(<$t as Trainable>::from_parameters(p)?) as Arc<dyn Distribution>),
                    properties: <$t as Trainable>::parameter_properties,
                    trainable: |b| Ok(Arc::new(b.build::<$t>()?) as Arc<dyn Distribution>),
                }),)+
                _ => None,
            }
        }
        /// The class names [`load_distribution`] can rebuild.
        ///
        /// ```
        /// use probrs::save::SAVABLE_FAMILIES;
        /// assert!(SAVABLE_FAMILIES.contains(&"Normal") && SAVABLE_FAMILIES.contains(&"MultivariateNormalTriL"));
        /// # Ok::<(), probrs::Error>(())
        /// ```
        pub const SAVABLE_FAMILIES: &[&str] = &[$(stringify!($t)),+];
    };
}

registry!(
    Normal, LogNormal, HalfNormal, HalfCauchy, TruncatedNormal, Exponential, Gamma, InverseGamma, Chi2, Beta, Kumaraswamy, Uniform, StudentT, Cauchy, Laplace,
    Logistic, Gumbel, Weibull, Pareto, VonMises, Deterministic, Bernoulli, Binomial, Poisson, Geometric, Categorical, Dirichlet, MultivariateNormalDiag,
    MultivariateNormalTriL, MultivariateNormalFullCovariance, NegativeBinomial, Multinomial, OneHotCategorical, VectorDeterministic,
);

/// `make_trainable` for a family named at run time (any of [`SAVABLE_FAMILIES`]), configured
/// by `builder`; `None` for a name outside the registry.
///
/// ```
/// use probrs::params::MakeTrainable;
/// use probrs::save::make_trainable_named;
/// use probrs::tensor::DType;
/// let d = make_trainable_named("Normal", MakeTrainable::new().initial_value("scale", 1.0).seed(0))?.expect("Normal is registered");
/// // Stored through Softplus(low = eps): softplus⁻¹(1 − eps) in float32, as TFP.
/// let stored = d.trainable_variables()[1].numpy().to_scalar()?;
/// assert!((stored - 0.5413246).abs() < 1e-6);
/// assert!(make_trainable_named("NoSuchFamily", MakeTrainable::new())?.is_none());
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn make_trainable_named(family_name: &str, builder: MakeTrainable) -> Result<Option<Arc<dyn Distribution>>> {
    family(family_name).map(|f| (f.trainable)(builder)).transpose()
}

impl SavedDistribution {
    /// The snapshot of `d` (its parameters' current values).
    ///
    /// ```
    /// use probrs::distributions::Normal;
    /// use probrs::save::SavedDistribution;
    /// let s = SavedDistribution::of(&Normal::new(0.0, 1.0)?.with_name("prior"))?;
    /// assert_eq!((s.family.as_str(), s.name.as_str(), s.dtype.as_str()), ("Normal", "prior", "float32"));
    /// assert_eq!(s.parameters.len(), 2);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn of(d: &dyn Distribution) -> Result<Self> {
        let family = d.class_name();
        if self::family(family).is_none() {
            return Err(Error::invalid_parameter("distribution", format!("{family} cannot be saved yet (savable: {})", SAVABLE_FAMILIES.join(", "))));
        }
        let parameters = d
            .parameters()
            .into_iter()
            .map(|(name, p)| {
                let saved = match p {
                    Param::Scalar(v) => SavedParam::Scalar { value: *v },
                    Param::Tensor(t) => SavedParam::Tensor { value: SavedTensor::of(t)? },
                    Param::Variable(v) => SavedParam::Variable { name: v.name().into(), value: SavedTensor::of(&v.numpy())? },
                    Param::Transformed(v) => SavedParam::Transformed {
                        name: v.name().into(),
                        bijector: v.bijector().transform_name().into(),
                        pretransformed: SavedTensor::of(&v.pretransformed_input().numpy())?,
                    },
                    Param::Deferred(_) => {
                        return Err(Error::invalid_parameter(name, format!("{family}.{name} is a DeferredTensor (a Rust closure), which cannot be saved")));
                    }
                };
                Ok((name.to_string(), saved))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(SavedDistribution { family: family.into(), dtype: d.dtype().name().into(), name: d.name().into(), parameters })
    }

    /// Rebuilds the distribution: new variables with the saved names and values.
    ///
    /// ```
    /// use probrs::distributions::{Distribution, Gamma};
    /// use probrs::params::MakeTrainable;
    /// use probrs::save::SavedDistribution;
    /// let g: Gamma = MakeTrainable::new().seed(2).build()?;
    /// let copy = SavedDistribution::of(&g)?.build()?;
    /// // A new, independent set of variables with the same values.
    /// assert_eq!(copy.trainable_variables().len(), 2);
    /// assert!(!copy.trainable_variables()[0].same_as(&g.trainable_variables()[0]));
    /// assert_eq!(copy.mean()?.to_scalar()?, g.mean()?.to_scalar()?);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn build(&self) -> Result<Arc<dyn Distribution>> {
        let fam = family(&self.family).ok_or_else(|| Error::BadInput { location: format!("family {}", self.family), reason: format!("not a savable family ({})", SAVABLE_FAMILIES.join(", ")) })?;
        let dtype = dtype_of(&self.dtype)?;
        let props = (fam.properties)(dtype);
        let mut params = Parameters::new();
        params.name = Some(self.name.clone());
        for (pname, p) in &self.parameters {
            let param = match p {
                SavedParam::Scalar { value } => Param::Scalar(*value),
                SavedParam::Tensor { value } => Param::Tensor(value.tensor()?),
                SavedParam::Variable { name, value } => Param::Variable(Variable::new(&value.tensor()?, name.clone())?),
                SavedParam::Transformed { name, bijector, pretransformed } => {
                    let prop = props.iter().find(|(n, _)| n == pname).ok_or_else(|| Error::UnknownParameter { name: pname.clone(), family: self.family.clone() })?;
                    let b = (prop.1.default_constraining_bijector)(dtype);
                    if b.name() != bijector {
                        return Err(Error::BadInput {
                            location: format!("{}.{pname}", self.family),
                            reason: format!("saved with bijector {bijector}, but only the family's default ({}) can be rebuilt", b.name()),
                        });
                    }
                    Param::Transformed(TransformedVariable::from_pretransformed(&pretransformed.tensor()?, b, name.clone())?)
                }
            };
            params.insert(pname, param);
        }
        (fam.build)(params)
    }
}

/// Writes `bytes` whole or not at all (a temporary file beside `path`, renamed over it): readers
/// see the old file or the new one, never a part.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let shown = path.display().to_string();
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().ok_or_else(|| Error::BadInput { location: shown.clone(), reason: "not a file name".into() })?;
    let tmp = dir.join(format!(".{}.tmp{}", name.to_string_lossy(), std::process::id()));
    let io = |e: std::io::Error| Error::Io { path: shown.clone(), reason: e.to_string() };
    std::fs::write(&tmp, bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io(e)
    })
}

/// The two formats of saved files: pretty JSON (exact float round trip; finite values only) or
/// safetensors (the structure as metadata, the values as tensors; any float).
///
/// ```
/// use probrs::save::Format;
/// assert_eq!(Format::of_path("fit.JSON")?, Format::Json);
/// assert_eq!(Format::of_path("fit.safetensors")?, Format::Safetensors);
/// assert!(Format::of_path("fit.txt").is_err());
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `.json`
    Json,
    /// `.safetensors`
    Safetensors,
}

impl Format {
    /// The format a path's extension names (case-insensitive), or an error naming the path.
    ///
    /// ```
    /// use probrs::save::Format;
    /// assert_eq!(Format::of_path(std::path::Path::new("/tmp/a.Safetensors"))?, Format::Safetensors);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn of_path(path: impl AsRef<Path>) -> Result<Format> {
        format_of(path.as_ref())
    }
}

/// The file's extension in lower case (`fit.JSON` → `json`), which picks the format of saved
/// files and plots.
pub(crate) fn extension(path: &Path) -> Option<String> {
    path.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase())
}

fn format_of(path: &Path) -> Result<Format> {
    match extension(path).as_deref() {
        Some("json") => Ok(Format::Json),
        Some("safetensors") => Ok(Format::Safetensors),
        _ => Err(Error::BadInput { location: path.display().to_string(), reason: "a saved file must end in .json or .safetensors".into() }),
    }
}

fn check_finite_for_json(what: &str, t: &SavedTensor) -> Result<()> {
    match t.values.iter().find(|v| !v.is_finite()) {
        Some(v) => Err(Error::invalid_parameter(what, format!("holds {v}, which JSON cannot represent; save as .safetensors"))),
        None => Ok(()),
    }
}

/// Raw little-endian bytes of a tensor's values in its own dtype.
fn tensor_bytes(t: &SavedTensor) -> Result<Vec<u8>> {
    Ok(match dtype_of(&t.dtype)? {
        DType::F32 => t.values.iter().flat_map(|v| (*v as f32).to_le_bytes()).collect(),
        _ => t.values.iter().flat_map(|v| v.to_le_bytes()).collect(),
    })
}

fn safetensors_dtype(t: &SavedTensor) -> Result<safetensors::Dtype> {
    Ok(match dtype_of(&t.dtype)? {
        DType::F32 => safetensors::Dtype::F32,
        _ => safetensors::Dtype::F64,
    })
}

/// One named tensor for the safetensors writer.
struct Raw {
    dtype: safetensors::Dtype,
    shape: Vec<usize>,
    bytes: Vec<u8>,
}

impl safetensors::View for &Raw {
    fn dtype(&self) -> safetensors::Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> std::borrow::Cow<'_, [u8]> {
        std::borrow::Cow::Borrowed(&self.bytes)
    }
    fn data_len(&self) -> usize {
        self.bytes.len()
    }
}

/// Serializes `tensors` with `structure` (JSON) as metadata.
fn to_safetensors(tensors: Vec<(String, &mut SavedTensor)>, structure: String) -> Result<Vec<u8>> {
    let mut raws = Vec::with_capacity(tensors.len());
    for (key, t) in tensors {
        raws.push((key, Raw { dtype: safetensors_dtype(t)?, shape: t.shape.clone(), bytes: tensor_bytes(t)? }));
    }
    let meta: HashMap<String, String> = [("probrs".to_string(), structure)].into_iter().collect();
    safetensors::serialize(raws.iter().map(|(k, r)| (k.clone(), r)), Some(meta)).map_err(|e| Error::BadInput { location: "safetensors".into(), reason: e.to_string() })
}

/// Reads `key`'s values from a safetensors file into `t`.
fn fill_from_safetensors(st: &safetensors::SafeTensors, key: &str, t: &mut SavedTensor, path: &str) -> Result<()> {
    let view = st.tensor(key).map_err(|e| Error::BadInput { location: format!("{path}: tensor {key}"), reason: e.to_string() })?;
    let bad = |reason: String| Error::BadInput { location: format!("{path}: tensor {key}"), reason };
    if view.shape() != t.shape.as_slice() {
        return Err(bad(format!("shape {:?}, structure says {:?}", view.shape(), t.shape)));
    }
    let data = view.data();
    t.values = match view.dtype() {
        safetensors::Dtype::F32 if t.dtype == "float32" => data.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64).collect(),
        safetensors::Dtype::F64 if t.dtype == "float64" => data.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes"))).collect(),
        other => return Err(bad(format!("dtype {other:?}, structure says {}", t.dtype))),
    };
    Ok(())
}

/// A saved structure's tensors, keyed by name (parameter or variable): what goes to the
/// safetensors section, and what JSON must hold finitely.
trait Tensors: Clone + Serialize + for<'de> Deserialize<'de> {
    fn tensors(&mut self) -> Vec<(String, &mut SavedTensor)>;
}

impl Tensors for SavedDistribution {
    fn tensors(&mut self) -> Vec<(String, &mut SavedTensor)> {
        self.parameters
            .iter_mut()
            .filter_map(|(name, p)| match p {
                SavedParam::Scalar { .. } => None,
                SavedParam::Tensor { value } | SavedParam::Variable { value, .. } => Some((name.clone(), value)),
                SavedParam::Transformed { pretransformed, .. } => Some((name.clone(), pretransformed)),
            })
            .collect()
    }
}

impl Tensors for SavedVariables {
    fn tensors(&mut self) -> Vec<(String, &mut SavedTensor)> {
        self.variables.iter_mut().map(|(n, t)| (n.clone(), t)).collect()
    }
}

/// The file's bytes for `saved` in `path`'s format: pretty JSON (every value finite), or
/// safetensors with the structure (values left out) as metadata.
fn encode<S: Tensors>(path: &Path, mut saved: S) -> Result<Vec<u8>> {
    match format_of(path)? {
        Format::Json => {
            for (name, t) in saved.tensors() {
                check_finite_for_json(&name, t)?;
            }
            serde_json::to_vec_pretty(&saved).map_err(|e| json_err(&path.display().to_string(), e))
        }
        Format::Safetensors => {
            let mut structure = saved.clone();
            for (_, t) in structure.tensors() {
                t.values.clear();
            }
            let structure = serde_json::to_string(&structure).map_err(|e| json_err(&path.display().to_string(), e))?;
            to_safetensors(saved.tensors(), structure)
        }
    }
}

/// The structure saved in `path` by [`encode`], values filled in.
fn decode<S: Tensors>(path: &Path) -> Result<S> {
    let format = format_of(path)?;
    decode_bytes(&read(path)?, format, &path.display().to_string())
}

/// The structure in `bytes` (the contents of `source`), values filled in.
fn decode_bytes<S: Tensors>(bytes: &[u8], format: Format, source: &str) -> Result<S> {
    match format {
        Format::Json => serde_json::from_slice(bytes).map_err(|e| json_err(source, e)),
        Format::Safetensors => {
            let (st, mut s): (_, S) = safetensors_structure(bytes, source)?;
            for (key, t) in s.tensors() {
                fill_from_safetensors(&st, &key, t, source)?;
            }
            Ok(s)
        }
    }
}

/// An error from rebuilding what a file holds, located in the file.
fn in_file(source: &str, e: Error) -> Error {
    match e {
        Error::BadInput { location, reason } if location.starts_with(source) => Error::BadInput { location, reason },
        other => Error::BadInput { location: source.to_string(), reason: other.to_string() },
    }
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::Io { path: path.display().to_string(), reason: e.to_string() })
}

fn json_err(source: &str, e: serde_json::Error) -> Error {
    Error::BadInput { location: format!("{source}:{}:{}", e.line(), e.column()), reason: e.to_string() }
}

fn safetensors_structure<'a, T: for<'de> Deserialize<'de>>(bytes: &'a [u8], source: &str) -> Result<(safetensors::SafeTensors<'a>, T)> {
    let bad = |reason: String| Error::BadInput { location: source.to_string(), reason };
    let (_, meta) = safetensors::SafeTensors::read_metadata(bytes).map_err(|e| bad(e.to_string()))?;
    let json = meta.metadata().as_ref().and_then(|m| m.get("probrs")).ok_or_else(|| bad("not a probrs file (no `probrs` metadata)".into()))?.clone();
    let structure = serde_json::from_str(&json).map_err(|e| bad(format!("metadata: {e}")))?;
    let st = safetensors::SafeTensors::deserialize(bytes).map_err(|e| bad(e.to_string()))?;
    Ok((st, structure))
}

/// Checks that `path` ends in `.json` or `.safetensors` and that its directory exists, so a
/// program can refuse a bad path before a long fit.
///
/// ```
/// use probrs::save::check_path;
/// assert!(check_path(std::env::temp_dir().join("fit.json")).is_ok());
/// assert!(check_path(std::env::temp_dir().join("fit.txt")).is_err()); // not .json / .safetensors
/// assert!(check_path("/no/such/directory/fit.json").is_err());
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn check_path(path: impl AsRef<Path>) -> Result<()> {
    format_of(path.as_ref())?;
    check_directory(path.as_ref())
}

/// Checks that the directory `path` would be written in exists (for a path checked before work).
pub(crate) fn check_directory(path: &Path) -> Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(Error::BadInput { location: path.display().to_string(), reason: format!("no directory {}", dir.display()) });
    }
    Ok(())
}

/// Saves `d` to `path` (`.json` or `.safetensors`).
///
/// ```
/// use probrs::distributions::{Distribution, Normal};
/// use probrs::params::MakeTrainable;
/// use probrs::save::{load_distribution, save_distribution};
/// use probrs::tensor::Tensor;
/// let model: Normal = MakeTrainable::new().seed(3).build()?;
/// let path = std::env::temp_dir().join("probrs_doc_normal.safetensors");
/// save_distribution(&path, &model)?;
/// let back = load_distribution(&path)?;
/// let x = Tensor::scalar(0.25, model.dtype())?;
/// assert_eq!(back.log_prob(&x)?.to_scalar()?, model.log_prob(&x)?.to_scalar()?); // bit for bit
/// assert_eq!(back.trainable_variables().len(), 2); // still trainable
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn save_distribution(path: impl AsRef<Path>, d: &dyn Distribution) -> Result<()> {
    let path = path.as_ref();
    format_of(path)?; // a bad extension fails before any other check
    let bytes = encode(path, SavedDistribution::of(d)?)?;
    write_atomically(path, &bytes)
}

/// Loads a distribution saved by [`save_distribution`].
///
/// ```
/// use probrs::distributions::{Distribution, Poisson};
/// use probrs::save::{load_distribution, save_distribution};
/// let path = std::env::temp_dir().join("probrs_doc_poisson.json");
/// save_distribution(&path, &Poisson::from_rate(3.5)?)?;
/// let d = load_distribution(&path)?;
/// assert_eq!(d.class_name(), "Poisson");
/// assert!((d.mean()?.to_scalar()? - 3.5).abs() < 1e-6);
/// // A malformed file is an error naming the file, not a panic.
/// std::fs::write(&path, "{ not json")?;
/// assert!(load_distribution(&path).unwrap_err().to_string().contains("probrs_doc_poisson.json"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load_distribution(path: impl AsRef<Path>) -> Result<Arc<dyn Distribution>> {
    let path = path.as_ref();
    let source = path.display().to_string();
    decode::<SavedDistribution>(path)?.build().map_err(|e| in_file(&source, e))
}

/// Loads a distribution from the bytes of a saved file (read from elsewhere than a path: a
/// network buffer, an archive); `source` names it in errors.
///
/// ```
/// use probrs::distributions::{Distribution, Gamma};
/// use probrs::save::{distribution_from_bytes, distribution_to_bytes, Format};
/// let bytes = distribution_to_bytes(&Gamma::new(2.0, 3.0)?, Format::Safetensors)?;
/// let d = distribution_from_bytes(&bytes, Format::Safetensors, "upload")?;
/// assert_eq!(d.class_name(), "Gamma");
/// // Corrupted bytes: an error naming the source, never a panic.
/// let err = distribution_from_bytes(&bytes[..bytes.len() / 2], Format::Safetensors, "upload").unwrap_err();
/// assert!(err.to_string().contains("upload"));
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn distribution_from_bytes(bytes: &[u8], format: Format, source: &str) -> Result<Arc<dyn Distribution>> {
    decode_bytes::<SavedDistribution>(bytes, format, source)?.build().map_err(|e| in_file(source, e))
}

/// The bytes [`save_distribution`] would write, in `format`.
///
/// ```
/// use probrs::distributions::Normal;
/// use probrs::save::{distribution_to_bytes, Format};
/// let json = distribution_to_bytes(&Normal::new(0.0, 1.0)?, Format::Json)?;
/// assert!(String::from_utf8(json).unwrap().contains("\"family\": \"Normal\""));
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn distribution_to_bytes(d: &dyn Distribution, format: Format) -> Result<Vec<u8>> {
    encode(Path::new(match format {
        Format::Json => "distribution.json",
        Format::Safetensors => "distribution.safetensors",
    }), SavedDistribution::of(d)?)
}

/// Variables as saved: name → values.
///
/// ```
/// use probrs::save::{SavedTensor, SavedVariables};
/// let s = SavedVariables { variables: vec![("w".into(), SavedTensor { dtype: "float64".into(), shape: vec![1], values: vec![0.5] })] };
/// let json = serde_json::to_string(&s).unwrap();
/// assert!(json.contains("\"w\""));
/// assert_eq!(serde_json::from_str::<SavedVariables>(&json).unwrap(), s);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedVariables {
    /// Each variable's name and values.
    pub variables: Vec<(String, SavedTensor)>,
}

/// Saves the current values of `variables` (names must be distinct) to `path` (`.json` or
/// `.safetensors`).
///
/// ```
/// use probrs::params::Variable;
/// use probrs::save::{load_variables, save_variables};
/// use probrs::tensor::{DType, Tensor};
/// let w = Variable::new(&Tensor::vector(&[0.25, -1.5], DType::F64)?, "w")?;
/// let path = std::env::temp_dir().join("probrs_doc_vars.json");
/// save_variables(&path, &[w.clone()])?;
/// w.assign(&Tensor::vector(&[9.0, 9.0], DType::F64)?)?;
/// load_variables(&path, &[w.clone()])?;
/// assert_eq!(w.numpy().to_vec()?, vec![0.25, -1.5]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn save_variables(path: impl AsRef<Path>, variables: &[Variable]) -> Result<()> {
    let path = path.as_ref();
    format_of(path)?; // a bad extension fails before any other check
    let bytes = encode(path, saved_variables(variables)?)?;
    write_atomically(path, &bytes)
}

/// Assigns each of `variables` the values saved under its name. Every variable must be in the
/// file with its shape and dtype; on any mismatch nothing is assigned.
///
/// ```
/// use probrs::params::Variable;
/// use probrs::save::{load_variables, save_variables};
/// use probrs::tensor::{DType, Tensor};
/// let a = Variable::new(&Tensor::vector(&[1.0, 2.0], DType::F32)?, "a")?;
/// let path = std::env::temp_dir().join("probrs_doc_load_vars.safetensors");
/// save_variables(&path, &[a.clone()])?;
/// // A variable of another shape is rejected before anything is assigned.
/// let wrong = Variable::new(&Tensor::vector(&[0.0, 0.0, 0.0], DType::F32)?, "a")?;
/// assert!(load_variables(&path, &[wrong.clone()]).is_err());
/// assert_eq!(wrong.numpy().to_vec()?, vec![0.0, 0.0, 0.0]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn load_variables(path: impl AsRef<Path>, variables: &[Variable]) -> Result<()> {
    let path = path.as_ref();
    assign_saved(decode(path)?, &path.display().to_string(), variables)
}

/// As [`load_variables`], from the bytes of a saved file; `source` names it in errors.
///
/// ```
/// use probrs::params::Variable;
/// use probrs::save::{variables_from_bytes, variables_to_bytes, Format};
/// use probrs::tensor::{DType, Tensor};
/// let w = Variable::new(&Tensor::vector(&[0.5, 1.5], DType::F32)?, "w")?;
/// let bytes = variables_to_bytes(&[w.clone()], Format::Json)?;
/// w.assign(&Tensor::vector(&[0.0, 0.0], DType::F32)?)?;
/// variables_from_bytes(&bytes, Format::Json, "checkpoint", &[w.clone()])?;
/// assert_eq!(w.numpy().to_vec()?, vec![0.5, 1.5]);
/// assert!(variables_from_bytes(b"{}", Format::Json, "checkpoint", &[w]).unwrap_err().to_string().contains("checkpoint"));
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn variables_from_bytes(bytes: &[u8], format: Format, source: &str, variables: &[Variable]) -> Result<()> {
    assign_saved(decode_bytes(bytes, format, source)?, source, variables)
}

/// The bytes [`save_variables`] would write, in `format`.
///
/// ```
/// use probrs::params::Variable;
/// use probrs::save::{variables_to_bytes, Format};
/// use probrs::tensor::{DType, Tensor};
/// let w = Variable::new(&Tensor::scalar(2.0, DType::F64)?, "w")?;
/// assert!(!variables_to_bytes(&[w], Format::Safetensors)?.is_empty());
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn variables_to_bytes(variables: &[Variable], format: Format) -> Result<Vec<u8>> {
    encode(Path::new(match format {
        Format::Json => "variables.json",
        Format::Safetensors => "variables.safetensors",
    }), saved_variables(variables)?)
}

/// Keras's `model.save_weights(path)`: a built layer's (or model's) trainable variables, each
/// keyed by its position and layer-path name (`3/dense_flipout/kernel_posterior_loc`), so two
/// layers of the same default name save apart. `.json` or `.safetensors`.
///
/// ```
/// use probrs::layers::{DenseFlipout, Layer, Sequential};
/// use probrs::save::{load_weights, save_weights};
/// use probrs::tensor::{DType, Tensor};
/// use std::sync::Arc;
/// let make = |seed| Sequential::new(vec![Arc::new(DenseFlipout::new(4).unwrap().with_seed(seed)), Arc::new(DenseFlipout::new(2).unwrap().with_seed(seed + 1))]);
/// let (trained, fresh) = (make(1), make(7));
/// let x = Tensor::ones(&[3, 5], DType::F32)?;
/// trained.call(&x, probrs::random::Seed::new(0))?;
/// fresh.call(&x, probrs::random::Seed::new(0))?; // built, as Keras's load_weights needs
/// let path = std::env::temp_dir().join("probrs_doc_weights.safetensors");
/// save_weights(&path, &trained)?;
/// load_weights(&path, &fresh)?;
/// let (a, b) = (trained.call(&x, probrs::random::Seed::new(3))?, fresh.call(&x, probrs::random::Seed::new(3))?);
/// assert_eq!(a.to_vec()?, b.to_vec()?);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn save_weights(path: impl AsRef<Path>, model: &dyn crate::layers::Layer) -> Result<()> {
    save_variables(path, &keyed_weights(model)?)
}

/// Keras's `model.load_weights(path)`: assigns a built model's trainable variables the values
/// [`save_weights`] wrote (by position and name). Every variable must be in the file with its
/// shape and dtype; on any mismatch nothing is assigned (the model keeps its values).
///
/// ```
/// use probrs::layers::{Dense, Layer};
/// use probrs::save::{load_weights, save_weights};
/// use probrs::tensor::{DType, Tensor};
/// let a = Dense::new(3)?.with_seed(1);
/// a.call(&Tensor::ones(&[1, 2], DType::F32)?, probrs::random::Seed::new(0))?;
/// let path = std::env::temp_dir().join("probrs_doc_weights.json");
/// save_weights(&path, &a)?;
/// // Another width: refused, nothing assigned.
/// let b = Dense::new(4)?;
/// b.call(&Tensor::ones(&[1, 2], DType::F32)?, probrs::random::Seed::new(0))?;
/// let before = b.trainable_variables()[0].numpy().to_vec()?;
/// assert!(load_weights(&path, &b).is_err());
/// assert_eq!(b.trainable_variables()[0].numpy().to_vec()?, before);
/// // Not built yet: a typed error.
/// assert!(load_weights(&path, &Dense::new(3)?).unwrap_err().to_string().contains("build"));
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn load_weights(path: impl AsRef<Path>, model: &dyn crate::layers::Layer) -> Result<()> {
    let keyed = keyed_weights(model)?;
    load_variables(path, &keyed)?;
    for (v, k) in model.trainable_variables().iter().zip(&keyed) {
        v.assign(&k.numpy())?;
    }
    Ok(())
}

/// Copies of a model's variables named `{position}/{name}`.
fn keyed_weights(model: &dyn crate::layers::Layer) -> Result<Vec<Variable>> {
    let vars = model.trainable_variables();
    if vars.is_empty() {
        return Err(Error::invalid_parameter("model", format!("`{}` has no variables: call it once on an input to build it (as Keras)", model.name())));
    }
    vars.iter().enumerate().map(|(i, v)| Variable::new(&v.numpy(), format!("{i}/{}", v.name()))).collect()
}

fn saved_variables(variables: &[Variable]) -> Result<SavedVariables> {
    let mut names = std::collections::HashSet::new();
    let mut saved = SavedVariables { variables: vec![] };
    for v in variables {
        if !names.insert(v.name().to_string()) {
            return Err(Error::invalid_parameter("variables", format!("two variables are named {:?}; names key the saved values", v.name())));
        }
        saved.variables.push((v.name().into(), SavedTensor::of(&v.numpy())?));
    }
    Ok(saved)
}

/// Checks every variable against `saved`, then assigns them all (nothing on any mismatch).
fn assign_saved(saved: SavedVariables, shown: &str, variables: &[Variable]) -> Result<()> {
    let shown = shown.to_string();
    // Check everything first, then assign: a bad file leaves every variable as it was.
    let mut values = Vec::with_capacity(variables.len());
    for v in variables {
        let t = saved.variables.iter().find(|(n, _)| n == v.name()).ok_or_else(|| Error::BadInput { location: shown.clone(), reason: format!("no variable named {:?}", v.name()) })?;
        let value = t.1.tensor().map_err(|e| in_file(&shown, e))?;
        if value.shape() != v.shape() || value.dtype() != v.dtype() {
            return Err(Error::BadInput {
                location: format!("{shown}: variable {}", v.name()),
                reason: format!("saved {:?} {}, the variable is {:?} {}", value.shape(), value.dtype().name(), v.shape(), v.dtype().name()),
            });
        }
        values.push(value);
    }
    for (v, value) in variables.iter().zip(values) {
        v.assign(&value)?;
    }
    Ok(())
}
