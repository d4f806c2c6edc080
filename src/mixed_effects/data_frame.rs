//! A table of named columns read from CSV, as R's `read.csv` gives it to `lmer`: a column whose
//! every entry parses as a number is numeric, any other column is a factor (its levels sorted,
//! numerically when they all are numbers). A numeric column used as a grouping factor (`(1|s)`)
//! or through `factor(x)` becomes a factor on demand.
//!
//! `NA` and empty fields in a numeric column are missing values (NaN); the model frame drops
//! rows with a missing value in a column it uses. Reading uses the `csv` crate (quoting, embedded commas, CRLF); errors name the file, the line
//! and the column.

use crate::error::{Error, Result};

/// One column.
///
/// ```
/// use probrs::mixed_effects::{Column, DataFrame};
/// let df = DataFrame::from_csv_str("x,k\n1.5,a\nNA,b\n", "t")?;
/// assert!(matches!(df.column("x")?, Column::Numeric(v) if v[1].is_nan()));
/// assert!(matches!(df.column("k")?, Column::Factor { levels, .. } if levels.len() == 2));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub enum Column {
    /// Numbers.
    Numeric(Vec<f64>),
    /// Categories: `codes[i]` indexes `levels`.
    Factor {
        /// The distinct values, sorted.
        levels: Vec<String>,
        /// Each row's level.
        codes: Vec<usize>,
    },
}

/// Named columns of equal length.
///
/// ```
/// use probrs::mixed_effects::DataFrame;
/// let df = DataFrame::from_csv_str("y,g,x\n1.5,a,0\n2.5,b,1\n3.0,a,2\n", "inline.csv")?;
/// assert_eq!(df.nrows(), 3);
/// assert_eq!(df.numeric("y")?, vec![1.5, 2.5, 3.0]);
/// let (levels, codes) = df.factor("g")?;
/// assert_eq!((levels, codes), (vec!["a".to_string(), "b".to_string()], vec![0, 1, 0]));
/// // A missing column is named.
/// assert!(df.numeric("z").unwrap_err().to_string().contains("`z`"));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct DataFrame {
    names: Vec<String>,
    columns: Vec<Column>,
    nrows: usize,
    source: String,
}

impl DataFrame {
    /// Reads a CSV file with a header row; a `.gz` file is decompressed (flate2).
    ///
    /// ```
    /// use probrs::mixed_effects::DataFrame;
    /// let path = std::env::temp_dir().join("probrs_doc_frame.csv");
    /// std::fs::write(&path, "y,g\n1,a\n2,b\n")?;
    /// assert_eq!(DataFrame::read_csv(path.to_str().unwrap())?.nrows(), 2);
    /// assert!(DataFrame::read_csv("/no/such/file.csv").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_csv(path: &str) -> Result<Self> {
        let io = |e: std::io::Error| Error::Io { path: path.to_string(), reason: e.to_string() };
        let bytes = std::fs::read(path).map_err(io)?;
        let text = if path.ends_with(".gz") {
            use std::io::Read;
            let mut s = String::new();
            flate2::read::GzDecoder::new(&bytes[..]).read_to_string(&mut s).map_err(io)?;
            s
        } else {
            String::from_utf8(bytes).map_err(|e| Error::BadInput { location: path.to_string(), reason: format!("not UTF-8 text: {e}") })?
        };
        Self::from_csv_str(&text, path)
    }

    /// Parses CSV text; `source` names it in errors.
    ///
    /// ```
    /// use probrs::mixed_effects::DataFrame;
    /// // A ragged row is an error naming its line.
    /// let e = DataFrame::from_csv_str("a,b\n1,2\n3\n", "t.csv").unwrap_err().to_string();
    /// assert!(e.contains("t.csv:3"), "{e}");
    /// ```
    pub fn from_csv_str(text: &str, source: &str) -> Result<Self> {
        let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
        let bad = |line: u64, reason: String| Error::BadInput { location: format!("{source}:{line}"), reason };
        let headers: Vec<String> = reader.headers().map_err(|e| bad(1, e.to_string()))?.iter().map(|s| s.trim().to_string()).collect();
        if headers.is_empty() {
            return Err(bad(1, "no header row".into()));
        }
        let mut cells: Vec<Vec<String>> = vec![vec![]; headers.len()];
        for (k, record) in reader.records().enumerate() {
            let line = k as u64 + 2;
            let record = record.map_err(|e| bad(line, e.to_string()))?;
            if record.len() != headers.len() {
                return Err(bad(line, format!("{} fields where the header has {}", record.len(), headers.len())));
            }
            for (j, field) in record.iter().enumerate() {
                cells[j].push(field.trim().to_string());
            }
        }
        let nrows = cells[0].len();
        if nrows == 0 {
            return Err(bad(2, "no data rows".into()));
        }
        let columns = cells.into_iter().map(|c| {
            // R's missing value, `NA` or an empty field, is NaN in a numeric column.
            let nums: Option<Vec<f64>> = c.iter().map(|s| if s == "NA" || s.is_empty() { Some(f64::NAN) } else { s.parse::<f64>().ok() }).collect();
            match nums {
                Some(v) => Column::Numeric(v),
                None => factor_of(&c),
            }
        }).collect();
        Ok(DataFrame { names: headers, columns, nrows, source: source.to_string() })
    }

    /// Builds a frame from named columns (all the same length).
    ///
    /// ```
    /// use probrs::mixed_effects::{Column, DataFrame};
    /// let df = DataFrame::new(vec![("y".into(), Column::Numeric(vec![1.0, 2.0]))])?;
    /// assert_eq!(df.nrows(), 2);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(columns: Vec<(String, Column)>) -> Result<Self> {
        let len = |c: &Column| match c {
            Column::Numeric(v) => v.len(),
            Column::Factor { codes, .. } => codes.len(),
        };
        let nrows = columns.first().map(|(_, c)| len(c)).unwrap_or(0);
        if let Some((name, c)) = columns.iter().find(|(_, c)| len(c) != nrows) {
            return Err(Error::ShapeMismatch { context: format!("data frame column `{name}` vs the first column"), lhs: vec![len(c)], rhs: vec![nrows] });
        }
        let (names, columns) = columns.into_iter().unzip();
        Ok(DataFrame { names, columns, nrows, source: "data frame".into() })
    }

    /// Rows.
    ///
    /// ```
    /// let df = probrs::mixed_effects::DataFrame::from_csv_str("a\n1\n2\n", "t")?;
    /// assert_eq!(df.nrows(), 2);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn nrows(&self) -> usize {
        self.nrows
    }

    /// The column names, in file order.
    ///
    /// ```
    /// let df = probrs::mixed_effects::DataFrame::from_csv_str("a,b\n1,2\n", "t")?;
    /// assert_eq!(df.names(), ["a", "b"]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Where the data came from (a path), for messages.
    ///
    /// ```
    /// let df = probrs::mixed_effects::DataFrame::from_csv_str("a\n1\n", "mine.csv")?;
    /// assert_eq!(df.source(), "mine.csv");
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn source(&self) -> &str {
        &self.source
    }

    /// A column by name.
    ///
    /// ```
    /// use probrs::mixed_effects::{Column, DataFrame};
    /// let df = DataFrame::from_csv_str("a,g\n1,x\n", "t")?;
    /// assert!(matches!(df.column("g")?, Column::Factor { .. }));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn column(&self, name: &str) -> Result<&Column> {
        self.names.iter().position(|n| n == name).map(|k| &self.columns[k]).ok_or_else(|| Error::BadInput { location: self.source.clone(), reason: format!("no column `{name}` (columns: {})", self.names.join(", ")) })
    }

    /// A numeric column's values; a factor column is an error naming it.
    ///
    /// ```
    /// let df = probrs::mixed_effects::DataFrame::from_csv_str("a,g\n1,x\n", "t")?;
    /// assert!(df.numeric("g").unwrap_err().to_string().contains("not numeric"));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn numeric(&self, name: &str) -> Result<Vec<f64>> {
        match self.column(name)? {
            Column::Numeric(v) => Ok(v.clone()),
            Column::Factor { codes, levels } => {
                let bad = levels.iter().find(|l| l.parse::<f64>().is_err()).cloned().unwrap_or_default();
                let row = codes.iter().position(|c| levels[*c] == bad).unwrap_or(0);
                Err(Error::BadInput { location: format!("{}: column `{name}`, row {}", self.source, row + 1), reason: format!("the column is not numeric (\"{bad}\")") })
            }
        }
    }

    /// A column as a factor: `(levels, codes)`. A numeric column's distinct values become its
    /// levels (sorted numerically, printed without a trailing `.0`).
    ///
    /// ```
    /// let df = probrs::mixed_effects::DataFrame::from_csv_str("s\n10\n2\n10\n", "t")?;
    /// let (levels, codes) = df.factor("s")?;
    /// assert_eq!((levels, codes), (vec!["2".to_string(), "10".to_string()], vec![1, 0, 1]));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn factor(&self, name: &str) -> Result<(Vec<String>, Vec<usize>)> {
        match self.column(name)? {
            Column::Factor { levels, codes } => Ok((levels.clone(), codes.clone())),
            Column::Numeric(v) => {
                let text: Vec<String> = v.iter().map(|x| if x.fract() == 0.0 && x.abs() < 1e15 { format!("{}", *x as i64) } else { format!("{x}") }).collect();
                match factor_of(&text) {
                    Column::Factor { levels, codes } => Ok((levels, codes)),
                    Column::Numeric(_) => unreachable!("factor_of returns a factor"),
                }
            }
        }
    }
}

/// The factor of string cells: levels sorted numerically when all parse as numbers, else
/// lexicographically (R's `factor` default).
fn factor_of(cells: &[String]) -> Column {
    let mut levels: Vec<String> = cells.to_vec();
    levels.sort();
    levels.dedup();
    if levels.iter().all(|l| l.parse::<f64>().is_ok()) {
        levels.sort_by(|a, b| a.parse::<f64>().unwrap_or(0.0).total_cmp(&b.parse::<f64>().unwrap_or(0.0)));
    }
    let index: std::collections::HashMap<&str, usize> = levels.iter().enumerate().map(|(k, l)| (l.as_str(), k)).collect();
    let codes = cells.iter().map(|c| index[c.as_str()]).collect();
    Column::Factor { levels, codes }
}
