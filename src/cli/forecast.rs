//! `probrs forecast data.csv --column C [--seasonal N] [--horizon H] [--plot f.svg]
//! [--components f.svg] [--json]`: a local linear trend (plus a seasonal effect of `N`
//! seasons) fitted to one column of a CSV file by variational inference, then its forecast
//! `H` steps ahead from 50 posterior draws: mean, standard deviation and the 80% and 95%
//! intervals per step, as a table or one JSON object; optionally the forecast and the
//! components drawn.
//!
//! Empty cells, `NA` and `NaN` are missing values (kept as gaps in the series, not dropped);
//! any other non-numeric cell is an error naming its line and column.

use std::sync::Arc;

use probrs::sts::{decompose_by_component, fit_with_vi, forecast, LocalLinearTrend, ObservedTimeSeries, Seasonal, SeasonalOptions, StructuralTimeSeries, Sum};
use probrs::tensor::{DType, Tensor};
use probrs::{Error, Result};

/// The command's settings.
pub(crate) struct ForecastArgs {
    pub data: String,
    pub column: Option<String>,
    pub seasonal: Option<usize>,
    pub horizon: usize,
    pub steps: usize,
    pub draws: usize,
    pub seed: u64,
    pub plot: Option<String>,
    pub components: Option<String>,
    pub json: bool,
}

/// One column of a CSV file as a series (NaN where missing) and the column's name.
fn read_column(path: &str, column: Option<&str>) -> Result<(Vec<f64>, String)> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Io { path: path.into(), reason: e.to_string() })?;
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
    let bad = |line: u64, reason: String| Error::BadInput { location: format!("{path}:{line}"), reason };
    let headers: Vec<String> = reader.headers().map_err(|e| bad(1, e.to_string()))?.iter().map(|s| s.trim().to_string()).collect();
    let index = match column {
        Some(c) => headers.iter().position(|h| h == c).ok_or_else(|| bad(1, format!("no column `{c}` (the header has {})", headers.join(", "))))?,
        None if headers.len() == 1 => 0,
        None => return Err(bad(1, format!("the file has {} columns ({}): name one with --column", headers.len(), headers.join(", ")))),
    };
    let mut values = Vec::new();
    for (k, record) in reader.records().enumerate() {
        let line = k as u64 + 2;
        let record = record.map_err(|e| bad(line, e.to_string()))?;
        let cell = record.get(index).ok_or_else(|| bad(line, format!("{} fields where the header has {}", record.len(), headers.len())))?.trim();
        let v = match cell {
            "" | "NA" | "NaN" | "nan" => f64::NAN,
            s => s.parse::<f64>().map_err(|_| bad(line, format!("column `{}`: {s:?} is not a number", headers[index])))?,
        };
        if v.is_infinite() {
            return Err(bad(line, format!("column `{}`: an infinite value", headers[index])));
        }
        values.push(v);
    }
    Ok((values, headers[index].clone()))
}

/// Fits, forecasts and prints.
pub(crate) fn run(a: &ForecastArgs) -> Result<()> {
    if a.horizon == 0 {
        return Err(Error::invalid_parameter("--horizon", "the forecast horizon must be at least one step"));
    }
    for p in [&a.plot, &a.components].into_iter().flatten() {
        probrs::plot::check_path(p)?;
    }
    let (values, name) = read_column(&a.data, a.column.as_deref())?;
    let y = Tensor::vector(&values, DType::F64)?;
    let observed = ObservedTimeSeries::new(&y).map_err(|e| Error::BadInput { location: format!("{}: column `{name}`", a.data), reason: e.to_string() })?;
    let mut components: Vec<Arc<dyn StructuralTimeSeries>> = vec![Arc::new(LocalLinearTrend::new(Some(&y), DType::F64)?)];
    if let Some(n) = a.seasonal {
        components.push(Arc::new(Seasonal::with_options(n, SeasonalOptions { name: Some("seasonal".into()), ..Default::default() }, Some(&y), DType::F64)?));
    }
    let model = Sum::new(components, Some(&y), DType::F64)?;
    let t0 = std::time::Instant::now();
    let fit = fit_with_vi(&model, &observed, a.steps, a.seed)?;
    let draws = fit.parameter_samples(&model, a.draws, a.seed.wrapping_add(2))?;
    let f = forecast(&model, &observed, &draws, a.horizon)?;
    let (mean, sd) = (f.mean()?.to_vec()?, f.stddev()?.to_vec()?);
    let q: Vec<Vec<f64>> = [0.025, 0.1, 0.9, 0.975].iter().map(|&p| f.quantile(p)?.to_vec()).collect::<Result<_>>()?;
    let seconds = t0.elapsed().as_secs_f64();
    let params: Vec<(String, f64)> = model.parameters().into_iter().zip(&draws).map(|(p, d)| Ok((p.name, d.mean_all()?.to_scalar()?))).collect::<Result<_>>()?;
    let n = values.len();
    if a.json {
        let rows: Vec<serde_json::Value> = (0..a.horizon)
            .map(|h| serde_json::json!({"step": n + h, "mean": mean[h], "stddev": sd[h], "q025": q[0][h], "q10": q[1][h], "q90": q[2][h], "q975": q[3][h]}))
            .collect();
        println!(
            "{}",
            serde_json::json!({
                "data": a.data, "column": name, "num_timesteps": n, "missing": observed.mask().iter().filter(|m| **m).count(),
                "model": model.components().iter().map(|c| c.name().to_string()).collect::<Vec<_>>(), "seasonal": a.seasonal,
                "variational_steps": a.steps, "final_loss": fit.losses.last(), "num_draws": a.draws,
                "parameter_means": params.iter().map(|(k, v)| (k.clone(), serde_json::json!(v))).collect::<serde_json::Map<_, _>>(),
                "forecast": rows, "seconds": seconds,
            })
        );
    } else {
        println!("{name}: {n} steps ({} missing); local linear trend{}; {} VI steps, {} posterior draws, {seconds:.2} s", observed.mask().iter().filter(|m| **m).count(), a.seasonal.map(|s| format!(" + {s} seasons")).unwrap_or_default(), a.steps, a.draws);
        println!("posterior means: {}", params.iter().map(|(k, v)| format!("{k} {v:.4}")).collect::<Vec<_>>().join(", "));
        println!("{:>6} {:>12} {:>10} {:>12} {:>12} {:>12} {:>12}", "step", "mean", "stddev", "2.5%", "10%", "90%", "97.5%");
        for h in 0..a.horizon {
            println!("{:>6} {:>12.4} {:>10.4} {:>12.4} {:>12.4} {:>12.4} {:>12.4}", n + h, mean[h], sd[h], q[0][h], q[1][h], q[2][h], q[3][h]);
        }
    }
    let times: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let ahead: Vec<f64> = (n..n + a.horizon).map(|i| i as f64).collect();
    if let Some(path) = &a.plot {
        let picture = probrs::plot::ForecastPicture { times: &times, observed: &values, forecast_times: &ahead, mean: &mean, lower: &q[1], upper: &q[2], actual: None, interval_label: "80% interval", y_label: &name };
        probrs::plot::forecast(path, &picture, &probrs::plot::PlotOptions { title: Some(format!("{name}: forecast")), ..Default::default() })?;
    }
    if let Some(path) = &a.components {
        let parts = decompose_by_component(&model, &observed, &draws)?;
        let stats: Vec<(Vec<f64>, Vec<f64>, Vec<f64>)> = parts.iter().map(|p| {
            let (m, s) = (p.mean(), p.stddev());
            let lo = m.iter().zip(&s).map(|(m, s)| m - 2.0 * s).collect();
            let hi = m.iter().zip(&s).map(|(m, s)| m + 2.0 * s).collect();
            (m, lo, hi)
        }).collect();
        let bands: Vec<probrs::plot::ComponentBand> = parts.iter().zip(&stats).map(|(p, (m, lo, hi))| probrs::plot::ComponentBand { name: &p.name, mean: m, lower: lo, upper: hi }).collect();
        probrs::plot::components(path, &times, &bands, &probrs::plot::PlotOptions { title: Some(format!("{name}: components (mean ± 2 sd)")), ..Default::default() })?;
    }
    Ok(())
}
