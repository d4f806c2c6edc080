//! CmdStan's CSV output: `#` comment lines (configuration, adaptation, timing), one header of
//! column names (`lp__`, `accept_stat__`, ..., then the parameters with indices as `theta.1`),
//! and one row per draw. What `probrs summary` and the diagnostics tests read; ArviZ's
//! `from_cmdstan` and R's `posterior` read the same format.

use crate::error::{Error, Result};

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
}
