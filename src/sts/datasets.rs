//! Data shipped with `sts` (origin and licence in `data/README.md`): the Mauna Loa CO2 record
//! that TFP's structural time-series tutorial forecasts.

use crate::error::{Error, Result};

/// A monthly series: values (NaN for a month without data) from `start` (year, month).
///
/// ```
/// let co2 = probrs::sts::datasets::co2_monthly()?;
/// assert_eq!(co2.start, (1958, 3));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct MonthlySeries {
    /// One value per month; NaN where the month has no observation.
    pub values: Vec<f64>,
    /// The first month (year, month 1–12).
    pub start: (i32, u32),
}

impl MonthlySeries {
    /// The month of entry `i` (year, month 1–12).
    ///
    /// ```
    /// let co2 = probrs::sts::datasets::co2_monthly()?;
    /// assert_eq!(co2.month(10), (1959, 1));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn month(&self, i: usize) -> (i32, u32) {
        let m = self.start.0 as i64 * 12 + self.start.1 as i64 - 1 + i as i64;
        ((m / 12) as i32, (m % 12) as u32 + 1)
    }

    /// Entry `i` as a decimal year (the month's start), for plots.
    ///
    /// ```
    /// let co2 = probrs::sts::datasets::co2_monthly()?;
    /// assert_eq!(co2.decimal_year(10), 1959.0);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn decimal_year(&self, i: usize) -> f64 {
        let (y, m) = self.month(i);
        y as f64 + (m - 1) as f64 / 12.0
    }
}

/// Monthly means of a weekly `date,value` CSV (dates `YYYYMMDD`, empty values missing), from
/// its first month to its last; `what` names the source in errors (line numbers from 1).
///
/// ```
/// let s = probrs::sts::datasets::monthly_means("date,co2\n20000105,1\n20000120,3\n20000301,\n20000402,5\n", "example")?;
/// assert_eq!(s.start, (2000, 1));
/// assert_eq!(s.values[0], 2.0);
/// assert!(s.values[1].is_nan() && s.values[2].is_nan());
/// assert_eq!(s.values[3], 5.0);
/// assert!(probrs::sts::datasets::monthly_means("date,co2\n2000x105,1\n", "bad").is_err());
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn monthly_means(csv: &str, what: &str) -> Result<MonthlySeries> {
    let bad = |line: usize, reason: String| Error::BadInput { location: format!("{what}, line {line}"), reason };
    let mut months: Vec<(i64, f64, usize)> = Vec::new(); // (month number, sum, count)
    for (i, line) in csv.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let (date, value) = line.split_once(',').ok_or_else(|| bad(i + 1, format!("expected `date,value`, got {line:?}")))?;
        let date = date.trim();
        let ok = date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit());
        let (y, m) = if ok { (date[..4].parse::<i64>().unwrap_or(0), date[4..6].parse::<i64>().unwrap_or(0)) } else { (0, 0) };
        if !ok || !(1..=12).contains(&m) {
            return Err(bad(i + 1, format!("expected a date YYYYMMDD, got {date:?}")));
        }
        let key = y * 12 + m - 1;
        if months.last().is_some_and(|(k, _, _)| *k > key) {
            return Err(bad(i + 1, format!("date {date} is before the previous line's")));
        }
        if months.last().map(|(k, _, _)| *k) != Some(key) {
            months.push((key, 0.0, 0));
        }
        let value = value.trim();
        if !value.is_empty() {
            let v: f64 = value.parse().map_err(|_| bad(i + 1, format!("expected a number, got {value:?}")))?;
            if !v.is_finite() {
                return Err(bad(i + 1, format!("non-finite value {value}")));
            }
            let last = months.last_mut().expect("pushed above");
            last.1 += v;
            last.2 += 1;
        }
    }
    let (Some(first), Some(last)) = (months.first(), months.last()) else {
        return Err(bad(1, "no data rows".into()));
    };
    let (k0, k1) = (first.0, last.0);
    let mut values = vec![f64::NAN; (k1 - k0 + 1) as usize];
    for (k, sum, count) in &months {
        if *count > 0 {
            values[(k - k0) as usize] = sum / *count as f64;
        }
    }
    Ok(MonthlySeries { values, start: ((k0 / 12) as i32, (k0 % 12) as u32 + 1) })
}

/// The Mauna Loa CO2 record as monthly means (ppm), March 1958 to December 2001: 526 months,
/// those without a weekly value missing (NaN), as TFP's tutorial aggregates its data.
///
/// ```
/// let co2 = probrs::sts::datasets::co2_monthly()?;
/// assert_eq!(co2.values.len(), 526);
/// assert!((co2.values[0] - 316.1).abs() < 0.5);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn co2_monthly() -> Result<MonthlySeries> {
    monthly_means(include_str!("data/co2_weekly.csv"), "embedded co2_weekly.csv")
}
