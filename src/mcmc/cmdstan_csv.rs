//! CmdStan's CSV output: `#` comment lines (configuration, adaptation, timing), one header of
//! column names (`lp__`, `accept_stat__`, ..., then the parameters with indices as `theta.1`),
//! and one row per draw. What `probrs summary` and the diagnostics tests read; ArviZ's
//! `from_cmdstan` and R's `posterior` read the same format.

use crate::error::{Error, Result};
use crate::joint::Structure;

/// One chain read from a CmdStan CSV file.
///
/// ```
/// use probrs::mcmc::CmdStanCsv;
/// let text = "# comment\nlp__,theta.1,theta.2\n-1.5,0.1,0.2\n-1.2,0.3,0.4\n# Elapsed Time\n";
/// let chain = CmdStanCsv::parse(text, "chain1.csv")?;
/// assert_eq!(chain.names, vec!["lp__", "theta.1", "theta.2"]);
/// assert_eq!(chain.column("theta.2"), Some(&[0.2, 0.4][..]));
/// assert_eq!(chain.num_draws(), 2);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct CmdStanCsv {
    /// Column names, in file order.
    pub names: Vec<String>,
    /// Each column's draws (`columns[j][i]`: draw `i` of column `j`).
    pub columns: Vec<Vec<f64>>,
}

impl CmdStanCsv {
    /// Parses the text of a CmdStan CSV file; `source` names it in errors (with the line and
    /// column of a bad cell).
    ///
    /// ```
    /// use probrs::mcmc::CmdStanCsv;
    /// let err = CmdStanCsv::parse("a,b\n1,x\n", "bad.csv").unwrap_err().to_string();
    /// assert!(err.contains("bad.csv:2:2"), "{err}");
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn parse(text: &str, source: &str) -> Result<Self> {
        let bad = |line: usize, reason: String| Error::BadInput { location: format!("{source}:{line}"), reason };
        let mut names: Option<Vec<String>> = None;
        let mut columns: Vec<Vec<f64>> = vec![];
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            match &names {
                None => {
                    let header: Vec<String> = line.split(',').map(|s| s.trim().trim_matches('"').to_string()).collect();
                    columns = vec![vec![]; header.len()];
                    names = Some(header);
                }
                Some(h) => {
                    let cells: Vec<&str> = line.split(',').collect();
                    if cells.len() != h.len() {
                        return Err(bad(i + 1, format!("{} cells, the header has {}", cells.len(), h.len())));
                    }
                    for (j, c) in cells.iter().enumerate() {
                        let v: f64 = c.trim().parse().map_err(|_| Error::BadInput { location: format!("{source}:{}:{}", i + 1, j + 1), reason: format!("not a number: {c:?}") })?;
                        columns[j].push(v);
                    }
                }
            }
        }
        let names = names.ok_or_else(|| Error::BadInput { location: source.into(), reason: "no header line".into() })?;
        Ok(CmdStanCsv { names, columns })
    }
    /// Reads a CmdStan CSV file.
    ///
    /// ```
    /// use probrs::mcmc::CmdStanCsv;
    /// let path = std::env::temp_dir().join("probrs_doc_chain.csv");
    /// std::fs::write(&path, "lp__,mu\n-1,0.5\n-2,0.7\n")?;
    /// assert_eq!(CmdStanCsv::read(&path)?.column("mu"), Some(&[0.5, 0.7][..]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read(path: impl AsRef<std::path::Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::Io { path: path.display().to_string(), reason: e.to_string() })?;
        Self::parse(&text, &path.display().to_string())
    }
    /// The draws of the column `name`.
    ///
    /// ```
    /// use probrs::mcmc::CmdStanCsv;
    /// let c = CmdStanCsv::parse("mu\n1\n2\n", "x.csv")?;
    /// assert!(c.column("sigma").is_none());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn column(&self, name: &str) -> Option<&[f64]> {
        self.names.iter().position(|n| n == name).map(|j| self.columns[j].as_slice())
    }
    /// The number of draws.
    ///
    /// ```
    /// use probrs::mcmc::CmdStanCsv;
    /// assert_eq!(CmdStanCsv::parse("mu\n1\n2\n3\n", "x.csv")?.num_draws(), 3);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn num_draws(&self) -> usize {
        self.columns.first().map_or(0, Vec::len)
    }
    /// CmdStan's CSV text: a comment naming probrs, the header and one row per draw, each
    /// number in its shortest exact form.
    ///
    /// ```
    /// use probrs::mcmc::CmdStanCsv;
    /// let c = CmdStanCsv { names: vec!["lp__".into(), "mu".into()], columns: vec![vec![-1.5, -1.25], vec![0.1, 0.3]] };
    /// let text = c.to_csv_string();
    /// assert!(text.contains("lp__,mu\n-1.5,0.1\n-1.25,0.3\n"));
    /// assert_eq!(CmdStanCsv::parse(&text, "x.csv")?, c);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn to_csv_string(&self) -> String {
        let mut out = String::from("# written by probrs (CmdStan CSV: one file per chain)\n");
        out.push_str(&self.names.join(","));
        out.push('\n');
        for i in 0..self.num_draws() {
            let row: Vec<String> = self.columns.iter().map(|c| format!("{}", c[i])).collect();
            out.push_str(&row.join(","));
            out.push('\n');
        }
        out
    }
    /// Writes the chain to `path` (replacing it atomically).
    ///
    /// ```
    /// use probrs::mcmc::CmdStanCsv;
    /// let c = CmdStanCsv { names: vec!["mu".into()], columns: vec![vec![0.5, 0.7]] };
    /// let path = std::env::temp_dir().join("probrs_doc_written_chain.csv");
    /// c.write(&path)?;
    /// assert_eq!(CmdStanCsv::read(&path)?, c);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn write(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        let path = path.as_ref();
        let io = |e: std::io::Error| Error::Io { path: path.display().to_string(), reason: e.to_string() };
        let tmp = path.with_extension("csv.tmp");
        std::fs::write(&tmp, self.to_csv_string()).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }
    /// One chain per file from `sample_chain`'s stacked states (`[draws, chains, event...]` for
    /// every part; `names` names the parts of a tensor or list state, a named state names
    /// itself). Entries of multi-dimensional parts are named as Stan does, 1-based and
    /// column-major (`theta.1.1, theta.2.1, ...`).
    ///
    /// ```
    /// use probrs::joint::Structure;
    /// use probrs::mcmc::CmdStanCsv;
    /// use probrs::tensor::{DType, Tensor};
    /// // 3 draws of 2 chains of a 2-vector.
    /// let states = Structure::Tensor(Tensor::from_slice(&(0..12).map(f64::from).collect::<Vec<_>>(), &[3, 2, 2], DType::F64)?);
    /// let chains = CmdStanCsv::from_states(&states, &["theta"])?;
    /// assert_eq!(chains.len(), 2);
    /// assert_eq!(chains[1].names, vec!["theta.1", "theta.2"]);
    /// assert_eq!(chains[1].column("theta.2"), Some(&[3.0, 7.0, 11.0][..]));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn from_states(states: &Structure, names: &[&str]) -> Result<Vec<CmdStanCsv>> {
        let parts: Vec<(String, &crate::tensor::Tensor)> = match states {
            Structure::Named(v) => v.iter().map(|(n, t)| (n.clone(), t)).collect(),
            other => {
                let ts = other.tensors();
                if ts.len() != names.len() {
                    return Err(Error::invalid_parameter("names", format!("{} names for {} state parts", names.len(), ts.len())));
                }
                names.iter().map(|n| n.to_string()).zip(ts).collect()
            }
        };
        let first = parts.first().ok_or_else(|| Error::invalid_parameter("states", "no parts"))?.1;
        if first.rank() < 2 {
            return Err(Error::invalid_shape("states", first.shape(), "must be [draws, chains, ...] (stack of sample_chain)"));
        }
        let (n, c) = (first.shape()[0], first.shape()[1]);
        let mut out: Vec<CmdStanCsv> = (0..c).map(|_| CmdStanCsv { names: vec![], columns: vec![] }).collect();
        for (name, t) in &parts {
            if t.rank() < 2 || t.shape()[0] != n || t.shape()[1] != c {
                return Err(Error::ShapeMismatch { context: format!("state part {name} vs [draws, chains]"), lhs: t.shape().to_vec(), rhs: vec![n, c] });
            }
            let event = &t.shape()[2..];
            let k: usize = event.iter().product();
            let v = t.to_vec()?;
            // column-major enumeration of the event's entries, as Stan names them
            let mut index = vec![0usize; event.len()];
            for _ in 0..k {
                let row_major = index.iter().zip(event).fold(0, |acc, (i, d)| acc * d + i);
                let label = if event.is_empty() { name.clone() } else { format!("{name}.{}", index.iter().map(|i| (i + 1).to_string()).collect::<Vec<_>>().join(".")) };
                for (ch, chain) in out.iter_mut().enumerate() {
                    chain.names.push(label.clone());
                    chain.columns.push((0..n).map(|d| v[(d * c + ch) * k + row_major]).collect());
                }
                for (i, dim) in index.iter_mut().zip(event) {
                    *i += 1;
                    if *i < *dim {
                        break;
                    }
                    *i = 0;
                }
            }
        }
        Ok(out)
    }
}
