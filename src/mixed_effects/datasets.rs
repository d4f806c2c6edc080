//! lme4's example data sets, embedded (see `data/README.md` for their origin and licence).

use crate::error::{Error, Result};

use super::data_frame::DataFrame;

/// lme4's `sleepstudy`: `Reaction` (ms) by `Days` of sleep deprivation for 18 `Subject`s.
///
/// ```
/// let df = probrs::mixed_effects::sleepstudy()?;
/// assert_eq!(df.nrows(), 180);
/// assert_eq!(df.factor("Subject")?.0.len(), 18);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn sleepstudy() -> Result<DataFrame> {
    DataFrame::from_csv_str(include_str!("data/sleepstudy.csv"), "sleepstudy")
}

/// lme4's `InstEval`: 73,421 lecture ratings `y` (1–5) by student `s`, instructor `d`,
/// department `dept`, with `service`, `studage` and `lectage`.
///
/// ```
/// let df = probrs::mixed_effects::inst_eval()?;
/// assert_eq!(df.nrows(), 73421);
/// assert_eq!(df.factor("d")?.0.len(), 1128);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn inst_eval() -> Result<DataFrame> {
    use std::io::Read;
    let mut text = String::new();
    flate2::read::GzDecoder::new(&include_bytes!("data/InstEval.csv.gz")[..]).read_to_string(&mut text).map_err(|e| Error::BadInput { location: "embedded InstEval.csv.gz".into(), reason: e.to_string() })?;
    DataFrame::from_csv_str(&text, "InstEval")
}
