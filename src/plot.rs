//! Pictures of fits (feature `plot`, on by default), drawn with plotters: the loss trace of any
//! [`minimize`](crate::optim::minimize) or
//! [`fit_surrogate_posterior`](crate::vi::fit_surrogate_posterior) run, a fitted density or
//! mass function over a histogram of the data, and for variational inference the surrogate's
//! marginal against the target's density on a grid (1-D) and pairwise contours (2-D); for MCMC,
//! each quantity's trace, rank histogram and density per chain; for a classifier, its
//! reliability diagram; images in a grid (a VAE's reconstructions and samples).
//!
//! The format follows the file's extension: `.svg` or `.png` (text in DejaVu Sans, embedded, so
//! no system fonts are needed). Files are written whole or not at all: the picture is rendered
//! in memory, written to a temporary file beside the target and renamed over it.
//!
//! ```
//! use probrs::plot::{loss_trace, PlotOptions};
//! let losses: Vec<f64> = (0..100).map(|i| 10.0 / (1.0 + i as f64)).collect();
//! let path = std::env::temp_dir().join("probrs_doc_loss.svg");
//! loss_trace(&path, &losses, &PlotOptions::default())?;
//! assert!(std::fs::read_to_string(&path).unwrap().contains("<svg"));
//! # Ok::<(), probrs::Error>(())
//! ```

use crate::distributions::Distribution;
use crate::error::{Error, Result};
use crate::tensor::{DType, Tensor};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// Size and title of a picture.
///
/// ```
/// use probrs::plot::{loss_trace, PlotOptions};
/// let opts = PlotOptions { width: 400, title: Some("Adam, lr 0.1".into()), ..PlotOptions::default() };
/// let path = std::env::temp_dir().join("probrs_doc_small.svg");
/// loss_trace(&path, &[3.0, 2.0, 1.5, 1.4], &opts)?;
/// assert!(std::fs::read_to_string(&path)?.contains("width=\"400\""));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct PlotOptions {
    /// Width in pixels (default 800).
    pub width: u32,
    /// Height in pixels (default 500).
    pub height: u32,
    /// The caption; each plot has its own default.
    pub title: Option<String>,
}

impl Default for PlotOptions {
    fn default() -> Self {
        PlotOptions { width: 800, height: 500, title: None }
    }
}

/// A picture drawn on any plotters backend.
trait Figure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> std::result::Result<(), String>;
}

fn perr<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

/// DejaVu Sans for plotters' text, registered once (plotters measures text for SVG too).
fn ensure_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // The embedded font is a valid TrueType file; failing to parse it would only lose text.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular());
    });
}

/// Checks that `path` names a picture this module writes (`.svg` or `.png`) in an existing
/// directory, so a program can refuse a bad path before a long fit.
///
/// ```
/// assert!(probrs::plot::check_path("fit.svg").is_ok());
/// assert!(probrs::plot::check_path("fit.jpg").is_err());
/// assert!(probrs::plot::check_path("/no/such/dir/fit.png").is_err());
/// ```
pub fn check_path(path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    format_of(path)?;
    crate::save::check_directory(path)
}

/// A picture format, chosen by the file's extension.
enum Format {
    Svg,
    Png,
}

fn format_of(path: &Path) -> Result<Format> {
    match crate::save::extension(path).as_deref() {
        Some("svg") => Ok(Format::Svg),
        Some("png") => Ok(Format::Png),
        _ => Err(Error::BadInput { location: path.display().to_string(), reason: "a plot file must end in .svg or .png".into() }),
    }
}

/// Fills the background, draws `fig` and finishes the picture, on any backend.
fn render<DB: DrawingBackend, F: Figure>(root: DrawingArea<DB, Shift>, fig: &F) -> std::result::Result<(), String> {
    root.fill(&WHITE).map_err(perr)?;
    fig.draw(&root)?;
    root.present().map_err(perr)
}

/// Renders `fig` to `path` (SVG or PNG by extension), atomically.
fn save<F: Figure>(path: &Path, options: &PlotOptions, fig: &F) -> Result<()> {
    let format = format_of(path)?;
    ensure_font();
    let (w, h) = (options.width.max(100), options.height.max(100));
    let fail = |reason: String| Error::Io { path: path.display().to_string(), reason };
    let bytes = match format {
        Format::Svg => {
            let mut s = String::new();
            render(SVGBackend::with_string(&mut s, (w, h)).into_drawing_area(), fig).map_err(fail)?;
            s.into_bytes()
        }
        Format::Png => {
            let mut rgb = vec![0u8; (w * h * 3) as usize];
            render(BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area(), fig).map_err(fail)?;
            let mut out = Vec::new();
            use image::ImageEncoder;
            image::codecs::png::PngEncoder::new(&mut out).write_image(&rgb, w, h, image::ColorType::Rgb8).map_err(|e| fail(e.to_string()))?;
            out
        }
    };
    crate::save::write_atomically(path, &bytes)
}

/// `(lo, hi)` of the finite values, widened by 5% (and to a unit span when flat).
fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.filter(|v| v.is_finite()).fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let span = if hi > lo { hi - lo } else { lo.abs().max(1.0) };
    (lo - 0.05 * span, hi + 0.05 * span)
}

/// A chart with the common layout: caption, margins, axis areas, `x × y` in f64.
fn chart<'a, DB: DrawingBackend>(root: &'a DrawingArea<DB, Shift>, title: &str, x: (f64, f64), y: (f64, f64)) -> std::result::Result<ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>, String> {
    ChartBuilder::on(root).caption(title, ("sans-serif", 22)).margin(12).x_label_area_size(40).y_label_area_size(70).build_cartesian_2d(x.0..x.1, y.0..y.1).map_err(perr)
}

struct LossTrace<'a> {
    losses: &'a [f64],
    title: String,
}

impl Figure for LossTrace<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> std::result::Result<(), String> {
        let (lo, hi) = range(self.losses.iter().copied());
        let mut chart = chart(root, &self.title, (0.0, (self.losses.len().max(2) - 1) as f64), (lo, hi))?;
        chart.configure_mesh().x_desc("step").y_desc("loss").draw().map_err(perr)?;
        chart
            .draw_series(LineSeries::new(self.losses.iter().enumerate().filter(|(_, l)| l.is_finite()).map(|(i, l)| (i as f64, *l)), &BLUE))
            .map_err(perr)?;
        Ok(())
    }
}

/// The loss at every step of a run (e.g. `minimize`'s trace with `trace_loss`).
///
/// ```
/// use probrs::distributions::{Distribution, Normal};
/// use probrs::optim::{minimize, trace_loss, Adam, MinimizeOptions};
/// use probrs::params::MakeTrainable;
/// use probrs::plot::{loss_trace, PlotOptions};
/// use probrs::tensor::{DType, Tensor};
/// let x = Tensor::vector(&[1.0, 2.0, 3.0], DType::F32)?;
/// let model: Normal = MakeTrainable::new().seed(1).build()?;
/// let run = minimize(|| model.log_prob(&x)?.sum_all()?.neg(), 100, &mut Adam::new(0.1), MinimizeOptions::default(), trace_loss)?;
/// let path = std::env::temp_dir().join("probrs_doc_loss.png");
/// loss_trace(&path, &run.trace, &PlotOptions::default())?;
/// assert!(std::fs::metadata(&path)?.len() > 1000);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn loss_trace(path: impl AsRef<Path>, losses: &[f64], options: &PlotOptions) -> Result<()> {
    if losses.is_empty() {
        return Err(Error::invalid_parameter("losses", "an empty trace"));
    }
    save(path.as_ref(), options, &LossTrace { losses, title: options.title.clone().unwrap_or_else(|| "loss".into()) })
}

/// A labelled point set and its colour.
type PointSet = (String, Vec<(f64, f64)>, RGBColor);

struct Scatter {
    sets: Vec<PointSet>,
    names: [String; 2],
    title: String,
}

impl Figure for Scatter {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> std::result::Result<(), String> {
        let pts = || self.sets.iter().flat_map(|s| s.1.iter());
        let (x, y) = (range(pts().map(|p| p.0)), range(pts().map(|p| p.1)));
        let mut chart = chart(root, &self.title, x, y)?;
        chart.configure_mesh().x_desc(self.names[0].as_str()).y_desc(self.names[1].as_str()).draw().map_err(perr)?;
        for (label, points, color) in &self.sets {
            let style = color.mix(0.45).filled();
            chart.draw_series(points.iter().map(|&p| Circle::new(p, 2, style))).map_err(perr)?.label(label.as_str()).legend(move |(x, y)| Circle::new((x + 7, y), 4, style));
        }
        chart.configure_series_labels().border_style(BLACK).background_style(WHITE.mix(0.8)).draw().map_err(perr)?;
        Ok(())
    }
}

/// Two-dimensional point sets `[N, 2]` overlaid, each with its label (e.g. the data and draws
/// from a fitted model; colours blue, red, then the chain colours). Non-finite points are
/// skipped.
///
/// ```
/// use probrs::plot::{scatter, PlotOptions};
/// use probrs::tensor::{DType, Tensor};
/// let a = Tensor::from_slice(&[0.0, 1.0, 1.0, 2.0, 2.0, 0.5], &[3, 2], DType::F64)?;
/// let b = Tensor::from_slice(&[0.5, 1.5, 1.5, 0.0], &[2, 2], DType::F64)?;
/// let path = std::env::temp_dir().join("probrs_doc_scatter.png");
/// scatter(&path, ["x1", "x2"], &[("data", &a), ("model", &b)], &PlotOptions::default())?;
/// assert!(std::fs::metadata(&path).unwrap().len() > 1000);
/// assert!(scatter(&path, ["x1", "x2"], &[("bad", &Tensor::zeros(&[3], DType::F64)?)], &PlotOptions::default()).is_err());
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn scatter(path: impl AsRef<Path>, names: [&str; 2], sets: &[(&str, &Tensor)], options: &PlotOptions) -> Result<()> {
    let mut out = Vec::with_capacity(sets.len());
    for (i, (label, t)) in sets.iter().enumerate() {
        if t.rank() != 2 || t.shape()[1] != 2 {
            return Err(Error::invalid_shape("scatter", t.shape(), format!("set `{label}` must be points [N, 2]")));
        }
        let v = t.to_vec()?;
        let pts: Vec<(f64, f64)> = v.chunks(2).map(|p| (p[0], p[1])).filter(|p| p.0.is_finite() && p.1.is_finite()).collect();
        let color = [BLUE, RED].get(i).copied().unwrap_or(CHAIN_COLORS[i % CHAIN_COLORS.len()]);
        out.push((label.to_string(), pts, color));
    }
    if out.iter().all(|s| s.1.is_empty()) {
        return Err(Error::invalid_parameter("sets", "no finite points to plot"));
    }
    save(path.as_ref(), options, &Scatter { sets: out, names: [names[0].to_string(), names[1].to_string()], title: options.title.clone().unwrap_or_else(|| "samples".into()) })
}

/// `(x, exp log_prob(x))` of a scalar distribution on `xs` (non-finite values skipped).
fn density_curve(model: &dyn Distribution, xs: &[f64]) -> Result<Vec<(f64, f64)>> {
    let lp = model.log_prob(&Tensor::vector(xs, model.dtype())?)?.to_vec()?;
    if lp.len() != xs.len() {
        return Err(Error::invalid_parameter("model", format!("a scalar distribution with one batch member (log_prob gave {} values for {} points)", lp.len(), xs.len())));
    }
    Ok(xs.iter().zip(lp).filter(|(_, l)| !l.is_nan()).map(|(x, l)| (*x, l.exp())).filter(|(_, p)| p.is_finite()).collect())
}

struct Histogram {
    /// `(left edge, right edge, height)` of each bar.
    bars: Vec<(f64, f64, f64)>,
    /// The model's density (a line) or mass (points).
    curve: Vec<(f64, f64)>,
    discrete: bool,
    title: String,
    x_desc: String,
}

impl Figure for Histogram {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> std::result::Result<(), String> {
        let (x0, x1) = range(self.bars.iter().flat_map(|b| [b.0, b.1]).chain(self.curve.iter().map(|c| c.0)));
        let top = self.bars.iter().map(|b| b.2).chain(self.curve.iter().map(|c| c.1)).filter(|v| v.is_finite()).fold(0.0, f64::max);
        let mut chart = chart(root, &self.title, (x0, x1), (0.0, (top * 1.08).max(1e-12)))?;
        chart.configure_mesh().x_desc(self.x_desc.as_str()).y_desc(if self.discrete { "probability" } else { "density" }).draw().map_err(perr)?;
        let fill = RGBColor(150, 180, 220).filled();
        chart.draw_series(self.bars.iter().map(|&(l, r, h)| Rectangle::new([(l, 0.0), (r, h)], fill))).map_err(perr)?.label("data").legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], fill));
        if self.discrete {
            chart.draw_series(self.curve.iter().map(|&(x, p)| Circle::new((x, p), 4, RED.filled()))).map_err(perr)?.label("fitted").legend(|(x, y)| Circle::new((x + 7, y), 4, RED.filled()));
        } else {
            chart.draw_series(LineSeries::new(self.curve.iter().copied(), RED.stroke_width(2))).map_err(perr)?.label("fitted").legend(|(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], RED.stroke_width(2)));
        }
        chart.configure_series_labels().border_style(BLACK).background_style(WHITE.mix(0.8)).draw().map_err(perr)?;
        Ok(())
    }
}

/// A fitted scalar distribution over a histogram of `data`: for a continuous model the density
/// on a grid over a density-scaled histogram (Freedman–Diaconis bins); for a discrete one
/// (`discrete`), the mass at each integer in the data's range over the data's frequencies.
///
/// ```
/// use probrs::distributions::Normal;
/// use probrs::plot::{density_over_histogram, PlotOptions};
/// let data: Vec<f64> = (0..500).map(|i| ((i * 7919) % 500) as f64 / 100.0).collect();
/// let path = std::env::temp_dir().join("probrs_doc_hist.png");
/// density_over_histogram(&path, &data, &Normal::new(2.5, 1.44)?, false, &Default::default())?;
/// assert!(std::fs::metadata(&path).unwrap().len() > 1000);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn density_over_histogram(path: impl AsRef<Path>, data: &[f64], model: &dyn Distribution, discrete: bool, options: &PlotOptions) -> Result<()> {
    let finite: Vec<f64> = data.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.is_empty() {
        return Err(Error::invalid_parameter("data", "no finite values to plot"));
    }
    let n = finite.len() as f64;
    let (lo, hi) = finite.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(*v), b.max(*v)));
    let title = options.title.clone().unwrap_or_else(|| format!("{} fitted to {} points", model.class_name(), finite.len()));
    let fig = if discrete {
        let (a, b) = (lo.floor() as i64, hi.ceil() as i64);
        let ks: Vec<f64> = (a..=b).map(|k| k as f64).collect();
        let bars = ks.iter().map(|&k| (k - 0.4, k + 0.4, finite.iter().filter(|v| (**v - k).abs() < 0.5).count() as f64 / n)).collect();
        Histogram { bars, curve: density_curve(model, &ks)?, discrete, title, x_desc: "value".into() }
    } else {
        let mut sorted = finite.clone();
        sorted.sort_by(|a, b| a.total_cmp(b));
        let q = |p: f64| sorted[((p * (n - 1.0)).round() as usize).min(sorted.len() - 1)];
        let iqr = q(0.75) - q(0.25);
        let span = (hi - lo).max(1e-12);
        let width = if iqr > 0.0 { 2.0 * iqr / n.cbrt() } else { span / 10.0 };
        let bins = ((span / width).ceil() as usize).clamp(5, 100);
        let w = span / bins as f64;
        let mut counts = vec![0usize; bins];
        for v in &finite {
            counts[(((v - lo) / w) as usize).min(bins - 1)] += 1;
        }
        let bars = counts.iter().enumerate().map(|(i, c)| (lo + i as f64 * w, lo + (i + 1) as f64 * w, *c as f64 / (n * w))).collect();
        let (g0, g1) = (lo - 0.1 * span, hi + 0.1 * span);
        let xs: Vec<f64> = (0..400).map(|i| g0 + (g1 - g0) * i as f64 / 399.0).collect();
        Histogram { bars, curve: density_curve(model, &xs)?, discrete, title, x_desc: "value".into() }
    };
    save(path.as_ref(), options, &fig)
}

struct Curves {
    curves: Vec<(String, Vec<(f64, f64)>, RGBColor)>,
    title: String,
    x_desc: String,
}

impl Figure for Curves {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> std::result::Result<(), String> {
        let (x0, x1) = range(self.curves.iter().flat_map(|c| c.1.iter().map(|p| p.0)));
        let top = self.curves.iter().flat_map(|c| c.1.iter().map(|p| p.1)).filter(|v| v.is_finite()).fold(0.0, f64::max);
        let mut chart = chart(root, &self.title, (x0, x1), (0.0, (top * 1.08).max(1e-12)))?;
        chart.configure_mesh().x_desc(self.x_desc.as_str()).y_desc("density").draw().map_err(perr)?;
        for (label, pts, color) in &self.curves {
            let c = *color;
            chart.draw_series(LineSeries::new(pts.iter().copied(), c.stroke_width(2))).map_err(perr)?.label(label.as_str()).legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], c.stroke_width(2)));
        }
        chart.configure_series_labels().border_style(BLACK).background_style(WHITE.mix(0.8)).draw().map_err(perr)?;
        Ok(())
    }
}

/// Evaluates a batched log-density on points `[N]` (or `[N, D]`), returning `N` finite-or-not values.
fn eval(f: &dyn Fn(&Tensor) -> Result<Tensor>, pts: &Tensor, n: usize, what: &str) -> Result<Vec<f64>> {
    let v = f(pts)?.to_vec()?;
    if v.len() != n {
        return Err(Error::invalid_parameter(what, format!("expected one log-density per grid point ({n}), got {}", v.len())));
    }
    Ok(v)
}

/// Normalizes `exp(log p)` on an evenly spaced grid by the trapezoid rule (max-subtracted).
fn normalized(grid: &[f64], logp: &[f64]) -> Vec<(f64, f64)> {
    let m = logp.iter().copied().filter(|v| v.is_finite()).fold(f64::NEG_INFINITY, f64::max);
    let p: Vec<f64> = logp.iter().map(|l| if l.is_finite() { (l - m).exp() } else { 0.0 }).collect();
    let z: f64 = grid.windows(2).zip(p.windows(2)).map(|(x, y)| 0.5 * (x[1] - x[0]) * (y[0] + y[1])).sum();
    grid.iter().zip(p).map(|(x, v)| (*x, if z > 0.0 { v / z } else { 0.0 })).collect()
}

/// The VI picture in one dimension: the target's unnormalized log-density (normalized on the
/// grid) and the surrogate's density, both on `grid` (evenly spaced), each given as a batched
/// log-density of points `[N]` (float64).
///
/// ```
/// use probrs::distributions::{Distribution, Normal};
/// use probrs::plot::{surrogate_marginal, PlotOptions};
/// use probrs::tensor::{DType, Tensor};
/// let q = Normal::new(Tensor::scalar(2.5, DType::F64)?, Tensor::scalar(0.7, DType::F64)?)?;
/// // Unnormalized: log N(z; 0, 1) + log N(5; z, 1) up to a constant.
/// let target = |z: &probrs::tensor::Tensor| z.square()?.add(&z.neg()?.add_scalar(5.0)?.square()?)?.mul_scalar(-0.5);
/// let grid: Vec<f64> = (0..200).map(|i| -1.0 + 7.0 * i as f64 / 199.0).collect();
/// let path = std::env::temp_dir().join("probrs_doc_marginal.svg");
/// surrogate_marginal(&path, &grid, &target, &|z| q.log_prob(z), "z", &PlotOptions::default())?;
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn surrogate_marginal(path: impl AsRef<Path>, grid: &[f64], target_log_prob: &dyn Fn(&Tensor) -> Result<Tensor>, surrogate_log_prob: &dyn Fn(&Tensor) -> Result<Tensor>, name: &str, options: &PlotOptions) -> Result<()> {
    if grid.len() < 2 {
        return Err(Error::invalid_parameter("grid", "at least two points"));
    }
    let pts = Tensor::vector(grid, DType::F64)?;
    let t = eval(target_log_prob, &pts, grid.len(), "target_log_prob")?;
    let q = eval(surrogate_log_prob, &pts, grid.len(), "surrogate_log_prob")?;
    let curves = vec![
        ("target (normalized on the grid)".to_string(), normalized(grid, &t), RGBColor(40, 40, 40)),
        ("surrogate".to_string(), grid.iter().zip(q).map(|(x, l)| (*x, l.exp())).filter(|p| p.1.is_finite()).collect(), RED),
    ];
    save(path.as_ref(), options, &Curves { curves, title: options.title.clone().unwrap_or_else(|| format!("posterior of {name}: target vs surrogate")), x_desc: name.into() })
}

/// Contour segments of the field `f` (row-major `[ny, nx]` on `xs × ys`) at `level`, by
/// marching squares (linear interpolation along cell edges).
fn contour_segments(xs: &[f64], ys: &[f64], f: &[f64], level: f64) -> Vec<[(f64, f64); 2]> {
    let nx = xs.len();
    let mut out = vec![];
    let lerp = |a: (f64, f64, f64), b: (f64, f64, f64)| {
        let t = if (b.2 - a.2).abs() > 0.0 { (level - a.2) / (b.2 - a.2) } else { 0.5 };
        (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1))
    };
    for j in 0..ys.len().saturating_sub(1) {
        for i in 0..nx.saturating_sub(1) {
            // Corners counter-clockwise from bottom-left.
            let c = [(xs[i], ys[j], f[j * nx + i]), (xs[i + 1], ys[j], f[j * nx + i + 1]), (xs[i + 1], ys[j + 1], f[(j + 1) * nx + i + 1]), (xs[i], ys[j + 1], f[(j + 1) * nx + i])];
            let crossings: Vec<(f64, f64)> = (0..4).filter(|&e| (c[e].2 >= level) != (c[(e + 1) % 4].2 >= level)).map(|e| lerp(c[e], c[(e + 1) % 4])).collect();
            // Two crossings: one segment; four (a saddle): pair them in edge order.
            for pair in crossings.chunks_exact(2) {
                out.push([pair[0], pair[1]]);
            }
        }
    }
    out
}

struct Contours {
    /// One panel per pair: (x name, y name, xs, ys, [(label, field, colour)]).
    panels: Vec<(String, String, Vec<f64>, Vec<f64>, Vec<(String, Vec<f64>, RGBColor)>)>,
    title: String,
}

impl Figure for Contours {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> std::result::Result<(), String> {
        let root = root.titled(&self.title, ("sans-serif", 22)).map_err(perr)?;
        let k = self.panels.len();
        let cols = (k as f64).sqrt().ceil() as usize;
        let rows = k.div_ceil(cols.max(1));
        let areas = root.split_evenly((rows.max(1), cols.max(1)));
        for ((xn, yn, xs, ys, fields), area) in self.panels.iter().zip(areas) {
            let mut chart = ChartBuilder::on(&area)
                .margin(10)
                .x_label_area_size(35)
                .y_label_area_size(55)
                .build_cartesian_2d(xs[0]..xs[xs.len() - 1], ys[0]..ys[ys.len() - 1])
                .map_err(perr)?;
            chart.configure_mesh().x_desc(xn.as_str()).y_desc(yn.as_str()).draw().map_err(perr)?;
            for (label, field, color) in fields {
                let top = field.iter().copied().filter(|v| v.is_finite()).fold(f64::NEG_INFINITY, f64::max);
                let c = *color;
                let mut first = true;
                // Density levels at 10%, 30%, 50%, 70% and 90% of the peak.
                for frac in [0.1, 0.3, 0.5, 0.7, 0.9] {
                    let segs = contour_segments(xs, ys, field, top + f64::ln(frac));
                    let s = chart.draw_series(segs.into_iter().map(|s| PathElement::new(s.to_vec(), c.stroke_width(2)))).map_err(perr)?;
                    if first {
                        s.label(label.as_str()).legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], c.stroke_width(2)));
                        first = false;
                    }
                }
            }
            chart.configure_series_labels().border_style(BLACK).background_style(WHITE.mix(0.8)).draw().map_err(perr)?;
        }
        Ok(())
    }
}

/// The VI picture in two dimensions: for each pair of the `names.len()` coordinates, contours
/// (at 10–90% of each peak) of the target's unnormalized log-density and the surrogate's, on a
/// 60 × 60 grid over `ranges`, through `center` (the other coordinates held there, e.g. at the
/// surrogate's mean). Both log-densities take points `[N, D]`.
///
/// ```
/// use probrs::distributions::{Distribution, MultivariateNormalDiag};
/// use probrs::plot::{pairwise_contours, PlotOptions};
/// use probrs::tensor::{DType, Tensor};
/// let q = MultivariateNormalDiag::new(Tensor::vector(&[0.0, 1.0], DType::F64)?, Tensor::vector(&[1.0, 0.5], DType::F64)?)?;
/// let target = |x: &Tensor| x.square()?.sum_last(1)?.mul_scalar(-0.5);
/// let path = std::env::temp_dir().join("probrs_doc_contours.svg");
/// pairwise_contours(&path, &["a", "b"], &[(-3.0, 3.0), (-2.0, 3.0)], &[0.0, 1.0], &target, &|x| q.log_prob(x), &PlotOptions::default())?;
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn pairwise_contours(
    path: impl AsRef<Path>,
    names: &[&str],
    ranges: &[(f64, f64)],
    center: &[f64],
    target_log_prob: &dyn Fn(&Tensor) -> Result<Tensor>,
    surrogate_log_prob: &dyn Fn(&Tensor) -> Result<Tensor>,
    options: &PlotOptions,
) -> Result<()> {
    let d = names.len();
    if d < 2 || ranges.len() != d || center.len() != d {
        return Err(Error::invalid_parameter("names, ranges, center", format!("one of each per coordinate, at least two coordinates (got {}, {}, {})", d, ranges.len(), center.len())));
    }
    if let Some((i, r)) = ranges.iter().enumerate().find(|(_, r)| !(r.0 < r.1 && r.0.is_finite() && r.1.is_finite())) {
        return Err(Error::invalid_parameter("ranges", format!("range {i} ({}, {}) must be finite with low < high", r.0, r.1)));
    }
    const G: usize = 60;
    let grid = |(lo, hi): (f64, f64)| (0..G).map(|k| lo + (hi - lo) * k as f64 / (G - 1) as f64).collect::<Vec<f64>>();
    let mut panels = vec![];
    for a in 0..d {
        for b in a + 1..d {
            let (xs, ys) = (grid(ranges[a]), grid(ranges[b]));
            let mut pts = Vec::with_capacity(G * G * d);
            for y in &ys {
                for x in &xs {
                    let mut p = center.to_vec();
                    p[a] = *x;
                    p[b] = *y;
                    pts.extend(p);
                }
            }
            let t = Tensor::from_slice(&pts, &[G * G, d], DType::F64)?;
            let ft = eval(target_log_prob, &t, G * G, "target_log_prob")?;
            let fq = eval(surrogate_log_prob, &t, G * G, "surrogate_log_prob")?;
            panels.push((names[a].to_string(), names[b].to_string(), xs, ys, vec![("target".to_string(), ft, RGBColor(40, 40, 40)), ("surrogate".to_string(), fq, RED)]));
        }
    }
    save(path.as_ref(), options, &Contours { panels, title: options.title.clone().unwrap_or_else(|| "target vs surrogate, pairwise".into()) })
}

/// Chain colours (matplotlib's first ten).
const CHAIN_COLORS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// One quantity's three panels: per chain its trace, its rank histogram (ranks over all
/// chains, `RANK_BINS` bins, as fractions of the chain) and its kernel density estimate.
struct McmcRow {
    name: String,
    traces: Vec<Vec<f64>>,
    ranks: Vec<Vec<f64>>,
    densities: Vec<Vec<(f64, f64)>>,
}

struct McmcPanels {
    rows: Vec<McmcRow>,
    title: String,
}

const RANK_BINS: usize = 20;

impl Figure for McmcPanels {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> std::result::Result<(), String> {
        let root = root.titled(&self.title, ("sans-serif", 22)).map_err(perr)?;
        let cells = root.split_evenly((self.rows.len(), 3));
        for (r, row) in self.rows.iter().enumerate() {
            let small = |area: &DrawingArea<DB, Shift>, title: String, x: (f64, f64), y: (f64, f64)| {
                ChartBuilder::on(area).caption(title, ("sans-serif", 14)).margin(6).x_label_area_size(22).y_label_area_size(48).build_cartesian_2d(x.0..x.1, y.0..y.1).map_err(perr)
            };
            let n = row.traces.iter().map(Vec::len).max().unwrap_or(1).max(2);
            let (lo, hi) = range(row.traces.iter().flatten().copied());
            let mut trace = small(&cells[3 * r], format!("{}: trace", row.name), (0.0, (n - 1) as f64), (lo, hi))?;
            trace.configure_mesh().max_light_lines(0).x_labels(5).label_style(("sans-serif", 11)).draw().map_err(perr)?;
            for (c, t) in row.traces.iter().enumerate() {
                let color = CHAIN_COLORS[c % CHAIN_COLORS.len()].mix(0.7);
                trace.draw_series(LineSeries::new(t.iter().enumerate().filter(|(_, v)| v.is_finite()).map(|(i, v)| (i as f64, *v)), color)).map_err(perr)?;
            }
            let top = row.ranks.iter().flatten().copied().fold(0.0, f64::max) * 1.15;
            let mut rank = small(&cells[3 * r + 1], format!("{}: rank", row.name), (0.0, RANK_BINS as f64), (0.0, top.max(1e-9)))?;
            rank.configure_mesh().max_light_lines(0).x_labels(5).label_style(("sans-serif", 11)).draw().map_err(perr)?;
            for (c, h) in row.ranks.iter().enumerate() {
                let color = CHAIN_COLORS[c % CHAIN_COLORS.len()];
                let steps: Vec<(f64, f64)> = h.iter().enumerate().flat_map(|(b, v)| [(b as f64, *v), ((b + 1) as f64, *v)]).collect();
                rank.draw_series(LineSeries::new(steps, color.stroke_width(2))).map_err(perr)?;
            }
            // the uniform level every chain should scatter around
            rank.draw_series(LineSeries::new(vec![(0.0, 1.0 / RANK_BINS as f64), (RANK_BINS as f64, 1.0 / RANK_BINS as f64)], BLACK.mix(0.5))).map_err(perr)?;
            let (x0, x1) = range(row.densities.iter().flatten().map(|p| p.0));
            let dtop = row.densities.iter().flatten().map(|p| p.1).filter(|v| v.is_finite()).fold(0.0, f64::max) * 1.08;
            let mut dens = small(&cells[3 * r + 2], format!("{}: density", row.name), (x0, x1), (0.0, dtop.max(1e-12)))?;
            dens.configure_mesh().max_light_lines(0).x_labels(5).label_style(("sans-serif", 11)).draw().map_err(perr)?;
            for (c, d) in row.densities.iter().enumerate() {
                dens.draw_series(LineSeries::new(d.iter().copied(), CHAIN_COLORS[c % CHAIN_COLORS.len()].stroke_width(2))).map_err(perr)?;
            }
        }
        Ok(())
    }
}

/// A Gaussian kernel density estimate (Silverman's bandwidth) on 200 points over `[lo, hi]`.
fn kde(x: &[f64], lo: f64, hi: f64) -> Vec<(f64, f64)> {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let sd = (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0)).sqrt();
    let mut sorted = x.to_vec();
    sorted.sort_by(f64::total_cmp);
    let q = |p: f64| sorted[((p * (n - 1.0)).round() as usize).min(sorted.len() - 1)];
    let spread = sd.min((q(0.75) - q(0.25)) / 1.34);
    let h = 0.9 * if spread > 0.0 { spread } else { sd.max(1e-12) } * n.powf(-0.2);
    let norm = 1.0 / (n * h * (2.0 * std::f64::consts::PI).sqrt());
    (0..200)
        .map(|i| {
            let g = lo + (hi - lo) * i as f64 / 199.0;
            (g, norm * x.iter().map(|v| (-0.5 * ((g - v) / h).powi(2)).exp()).sum::<f64>())
        })
        .collect()
}

/// MCMC diagnostics, one row per quantity: each chain's trace, rank histogram (the ranks of
/// the draws among all chains' draws: flat when the chains agree, as ArviZ's `plot_rank`) and
/// kernel density estimate. `chains[c][j]` holds chain `c`'s draws of quantity `names[j]`; at
/// most the first `max_rows` quantities are drawn.
///
/// ```
/// use probrs::plot::{trace_rank_density, PlotOptions};
/// // Two chains of two quantities.
/// let a: Vec<f64> = (0..300).map(|i| ((i * 7919) % 300) as f64 / 300.0).collect();
/// let b: Vec<f64> = (0..300).map(|i| ((i * 104729) % 300) as f64 / 100.0).collect();
/// let chains = vec![vec![a.clone(), b.clone()], vec![b, a]];
/// let path = std::env::temp_dir().join("probrs_doc_mcmc.svg");
/// trace_rank_density(&path, &["mu", "tau"], &chains, 8, &PlotOptions::default())?;
/// assert!(std::fs::read_to_string(&path).unwrap().contains("tau: rank"));
/// assert!(trace_rank_density(&path, &["mu"], &chains, 8, &PlotOptions::default()).is_err()); // 2 quantities, 1 name
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn trace_rank_density(path: impl AsRef<Path>, names: &[&str], chains: &[Vec<Vec<f64>>], max_rows: usize, options: &PlotOptions) -> Result<()> {
    if chains.is_empty() || names.is_empty() {
        return Err(Error::invalid_parameter("chains", "nothing to plot"));
    }
    if let Some((c, ch)) = chains.iter().enumerate().find(|(_, ch)| ch.len() != names.len()) {
        return Err(Error::invalid_parameter("chains", format!("chain {c} has {} quantities, {} are named", ch.len(), names.len())));
    }
    let mut rows = vec![];
    for (j, name) in names.iter().enumerate().take(max_rows.max(1)) {
        let traces: Vec<Vec<f64>> = chains.iter().map(|ch| ch[j].clone()).collect();
        let mut pooled: Vec<(f64, usize)> = traces.iter().enumerate().flat_map(|(c, t)| t.iter().map(move |v| (*v, c))).filter(|(v, _)| v.is_finite()).collect();
        if pooled.len() < 2 {
            return Err(Error::invalid_parameter("chains", format!("{name} has fewer than 2 finite draws")));
        }
        pooled.sort_by(|a, b| a.0.total_cmp(&b.0));
        let total = pooled.len();
        let mut ranks = vec![vec![0.0; RANK_BINS]; chains.len()];
        for (r, (_, c)) in pooled.iter().enumerate() {
            ranks[*c][(r * RANK_BINS / total).min(RANK_BINS - 1)] += 1.0;
        }
        for (c, h) in ranks.iter_mut().enumerate() {
            let n = traces[c].iter().filter(|v| v.is_finite()).count().max(1) as f64;
            h.iter_mut().for_each(|v| *v /= n);
        }
        let (lo, hi) = range(pooled.iter().map(|p| p.0));
        let densities = traces.iter().map(|t| t.iter().copied().filter(|v| v.is_finite()).collect::<Vec<_>>()).map(|t| if t.len() > 1 { kde(&t, lo, hi) } else { vec![] }).collect();
        rows.push(McmcRow { name: name.to_string(), traces, ranks, densities });
    }
    let mut opts = options.clone();
    if opts.height == PlotOptions::default().height {
        opts.height = (60 + 220 * rows.len() as u32).min(4000);
    }
    let title = options.title.clone().unwrap_or_else(|| format!("{} chains: trace, rank, density", chains.len()));
    save(path.as_ref(), &opts, &McmcPanels { rows, title })
}

struct ReliabilityDiagram<'a> {
    r: &'a crate::layers::Reliability,
    title: String,
}

impl Figure for ReliabilityDiagram<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> std::result::Result<(), String> {
        let mut chart = chart(root, &self.title, (0.0, 1.0), (0.0, 1.0))?;
        chart.configure_mesh().x_desc("confidence").y_desc("accuracy").draw().map_err(perr)?;
        chart.draw_series(LineSeries::new([(0.0, 0.0), (1.0, 1.0)], BLACK.mix(0.6))).map_err(perr)?.label("calibrated").legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], BLACK));
        let filled = self.r.bins.iter().filter(|b| b.count > 0);
        chart
            .draw_series(filled.clone().map(|b| Rectangle::new([(b.lo, 0.0), (b.hi, b.accuracy)], BLUE.mix(0.5).filled())))
            .map_err(perr)?
            .label("accuracy per bin")
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], BLUE.mix(0.5).filled()));
        // The gap to the bin's mean confidence, in red.
        chart
            .draw_series(filled.map(|b| Rectangle::new([(b.lo, b.accuracy.min(b.confidence)), (b.hi, b.accuracy.max(b.confidence))], RED.mix(0.35).filled())))
            .map_err(perr)?
            .label("gap to confidence")
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], RED.mix(0.35).filled()));
        chart.configure_series_labels().position(SeriesLabelPosition::UpperLeft).background_style(WHITE.mix(0.8)).border_style(BLACK).draw().map_err(perr)?;
        Ok(())
    }
}

/// A reliability diagram: each confidence bin's accuracy as a bar against the diagonal of a
/// calibrated model, the gap to the bin's mean confidence in red, the ECE in the caption.
///
/// ```
/// use probrs::layers::reliability;
/// use probrs::plot::{reliability_diagram, PlotOptions};
/// use probrs::tensor::{DType, Tensor};
/// let probs = Tensor::from_slice(&[0.9, 0.1, 0.3, 0.7, 0.6, 0.4], &[3, 2], DType::F64)?;
/// let r = reliability(10, &probs, &[0, 1, 1])?;
/// let path = std::env::temp_dir().join("probrs_doc_reliability.svg");
/// reliability_diagram(&path, &r, &PlotOptions::default())?;
/// assert!(std::fs::read_to_string(&path).unwrap().contains("ECE"));
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn reliability_diagram(path: impl AsRef<Path>, reliability: &crate::layers::Reliability, options: &PlotOptions) -> Result<()> {
    let title = options.title.clone().unwrap_or_else(|| format!("reliability: accuracy {:.3}, ECE {:.4}", reliability.accuracy, reliability.ece));
    save(path.as_ref(), options, &ReliabilityDiagram { r: reliability, title })
}

struct ImageGrid {
    pixels: Vec<f64>,
    shape: [usize; 2],
    count: usize,
    columns: usize,
    title: String,
}

impl Figure for ImageGrid {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> std::result::Result<(), String> {
        let root = root.titled(&self.title, ("sans-serif", 20)).map_err(perr)?;
        let (h, w) = (self.shape[0], self.shape[1]);
        let rows = self.count.div_ceil(self.columns);
        let (pw, ph) = root.dim_in_pixel();
        // One cell per image with a pixel's gap around it; square pixels.
        let cell = ((pw as usize / self.columns).min(ph as usize / rows.max(1))).max(w + 2);
        let px = ((cell - 2) / w.max(h)).max(1) as i32;
        for k in 0..self.count {
            let (r, c) = (k / self.columns, k % self.columns);
            let (x0, y0) = ((c * cell + 1) as i32, (r * cell + 1) as i32);
            for i in 0..h {
                for j in 0..w {
                    let v = self.pixels[k * h * w + i * w + j].clamp(0.0, 1.0);
                    let g = (255.0 * (1.0 - v)).round() as u8;
                    let (x, y) = (x0 + j as i32 * px, y0 + i as i32 * px);
                    root.draw(&Rectangle::new([(x, y), (x + px, y + px)], RGBColor(g, g, g).filled())).map_err(perr)?;
                }
            }
        }
        Ok(())
    }
}

/// Images in a grid, dark where the value is 1 (e.g. digits and their reconstructions by a
/// VAE): `images [count, h·w]` (or `[count, h, w]`) with values in `[0, 1]`, `columns` per
/// row.
///
/// ```
/// use probrs::plot::{image_grid, PlotOptions};
/// use probrs::tensor::{DType, Tensor};
/// let images = Tensor::from_slice(&(0..128).map(|i| (i % 7) as f64 / 6.0).collect::<Vec<_>>(), &[2, 64], DType::F64)?;
/// let path = std::env::temp_dir().join("probrs_doc_grid.svg");
/// image_grid(&path, &images, [8, 8], 2, &PlotOptions::default())?;
/// assert!(std::fs::read_to_string(&path).unwrap().contains("<rect"));
/// assert!(image_grid(&path, &images, [8, 7], 2, &PlotOptions::default()).is_err()); // 56 ≠ 64 pixels
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn image_grid(path: impl AsRef<Path>, images: &Tensor, shape: [usize; 2], columns: usize, options: &PlotOptions) -> Result<()> {
    let count = images.shape().first().copied().unwrap_or(0);
    let size: usize = images.shape().iter().skip(1).product();
    if count == 0 || size != shape[0] * shape[1] || columns == 0 {
        return Err(Error::ShapeMismatch { context: format!("image_grid: images vs {} × {} pixels each (and at least one image and column)", shape[0], shape[1]), lhs: images.shape().to_vec(), rhs: vec![count, shape[0] * shape[1]] });
    }
    let title = options.title.clone().unwrap_or_else(|| format!("{count} images"));
    let mut opts = options.clone();
    if opts.height == PlotOptions::default().height {
        // Square cells under the title.
        let cell = opts.width as usize / columns.min(count);
        opts.height = (40 + count.div_ceil(columns.min(count)) * cell * shape[0] / shape[1]).min(4000) as u32;
    }
    save(path.as_ref(), &opts, &ImageGrid { pixels: images.to_vec()?, shape, count, columns: columns.min(count), title })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marching_squares_finds_a_circle() {
        // f = −(x² + y²) on [−2, 2]²: the level −1 is the unit circle.
        let g: Vec<f64> = (0..41).map(|i| -2.0 + 0.1 * i as f64).collect();
        let f: Vec<f64> = g.iter().flat_map(|y| g.iter().map(move |x| -(x * x + y * y))).collect();
        let segs = contour_segments(&g, &g, &f, -1.0);
        assert!(segs.len() > 30);
        for s in segs {
            for (x, y) in s {
                assert!(((x * x + y * y).sqrt() - 1.0).abs() < 0.01, "({x}, {y})");
            }
        }
    }

    #[test]
    fn unknown_extension_is_refused_and_nothing_written() {
        let path = std::env::temp_dir().join("probrs_plot_test.jpg");
        let _ = std::fs::remove_file(&path);
        assert!(matches!(loss_trace(&path, &[1.0, 0.5], &PlotOptions::default()), Err(Error::BadInput { .. })));
        assert!(!path.exists());
    }
}

/// A forecast to draw with [`forecast`]: the observed series, the forecast's mean and an
/// interval over the following steps, and optionally the values that came true there.
///
/// ```
/// use probrs::plot::ForecastPicture;
/// let p = ForecastPicture { times: &[0.0, 1.0], observed: &[1.0, f64::NAN], forecast_times: &[2.0], mean: &[1.5], lower: &[1.0], upper: &[2.0], actual: None, interval_label: "80% interval", y_label: "value" };
/// assert_eq!(p.forecast_times.len(), p.mean.len());
/// ```
#[derive(Clone, Copy, Debug)]
pub struct ForecastPicture<'a> {
    /// The observed steps' positions on the x axis (e.g. decimal years).
    pub times: &'a [f64],
    /// The observed values (NaN: missing, a gap in the line).
    pub observed: &'a [f64],
    /// The forecast steps' positions.
    pub forecast_times: &'a [f64],
    /// The forecast mean per step.
    pub mean: &'a [f64],
    /// The interval's lower end per step.
    pub lower: &'a [f64],
    /// Its upper end.
    pub upper: &'a [f64],
    /// What was later observed over the forecast steps, if known.
    pub actual: Option<&'a [f64]>,
    /// The interval's legend (e.g. "80% interval").
    pub interval_label: &'a str,
    /// The y axis's label.
    pub y_label: &'a str,
}

/// A forecast picture with its caption.
struct ForecastFigure<'a>(&'a ForecastPicture<'a>, String);

impl Figure for ForecastFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> std::result::Result<(), String> {
        let (p, title) = (self.0, self.1.as_str());
        p.draw_on(root, title)
    }
}

impl ForecastPicture<'_> {
    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, title: &str) -> std::result::Result<(), String> {
        let xs = self.times.iter().chain(self.forecast_times).copied();
        let actual = self.actual.unwrap_or(&[]);
        let ys = self.observed.iter().chain(self.lower).chain(self.upper).chain(actual).copied();
        let mut chart = chart(root, title, range(xs), range(ys))?;
        chart.configure_mesh().x_desc("time").y_desc(self.y_label).draw().map_err(perr)?;
        // Lines broken at missing values.
        let runs = |t: &'_ [f64], v: &'_ [f64]| -> Vec<Vec<(f64, f64)>> {
            let mut out: Vec<Vec<(f64, f64)>> = vec![vec![]];
            for (x, y) in t.iter().zip(v) {
                if y.is_finite() {
                    out.last_mut().expect("one run").push((*x, *y));
                } else if !out.last().expect("one run").is_empty() {
                    out.push(vec![]);
                }
            }
            out
        };
        let band: Vec<(f64, f64)> = self.forecast_times.iter().zip(self.upper).map(|(x, y)| (*x, *y)).chain(self.forecast_times.iter().zip(self.lower).rev().map(|(x, y)| (*x, *y))).collect();
        let interval = RGBColor(230, 120, 40);
        chart.draw_series(std::iter::once(Polygon::new(band, interval.mix(0.25).filled()))).map_err(perr)?.label(self.interval_label).legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], interval.mix(0.25).filled()));
        for (i, run) in runs(self.times, self.observed).into_iter().enumerate() {
            let s = chart.draw_series(LineSeries::new(run, &BLUE)).map_err(perr)?;
            if i == 0 {
                s.label("observed").legend(|(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], BLUE));
            }
        }
        if let Some(actual) = self.actual {
            for (i, run) in runs(self.forecast_times, actual).into_iter().enumerate() {
                let s = chart.draw_series(LineSeries::new(run, BLACK.mix(0.6))).map_err(perr)?;
                if i == 0 {
                    s.label("actual").legend(|(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], BLACK.mix(0.6)));
                }
            }
        }
        let mean: Vec<(f64, f64)> = self.forecast_times.iter().zip(self.mean).map(|(x, y)| (*x, *y)).collect();
        chart.draw_series(LineSeries::new(mean, interval.stroke_width(2))).map_err(perr)?.label("forecast mean").legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], interval.stroke_width(2)));
        chart.configure_series_labels().position(SeriesLabelPosition::UpperLeft).border_style(BLACK).background_style(WHITE.mix(0.8)).draw().map_err(perr)?;
        Ok(())
    }
}

/// A forecast over its observed series (TFP's tutorial's `plot_forecast`): the series, the
/// forecast mean and its interval shaded, and what was later observed when given. The
/// forecast's arrays must have equal lengths, as must the observed times and values.
///
/// ```
/// use probrs::plot::{forecast, ForecastPicture, PlotOptions};
/// let t: Vec<f64> = (0..20).map(|i| i as f64).collect();
/// let y: Vec<f64> = t.iter().map(|x| x.sin()).collect();
/// let ft = [20.0, 21.0, 22.0];
/// let p = ForecastPicture { times: &t, observed: &y, forecast_times: &ft, mean: &[0.9, 0.8, 0.0], lower: &[0.5, 0.2, -0.7], upper: &[1.3, 1.4, 0.7], actual: None, interval_label: "80% interval", y_label: "y" };
/// let path = std::env::temp_dir().join("probrs_doc_forecast.svg");
/// forecast(&path, &p, &PlotOptions::default())?;
/// assert!(std::fs::read_to_string(&path).unwrap().contains("forecast mean"));
/// assert!(forecast(&path, &ForecastPicture { mean: &[1.0], ..p }, &PlotOptions::default()).is_err());
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn forecast(path: impl AsRef<Path>, picture: &ForecastPicture, options: &PlotOptions) -> Result<()> {
    let h = picture.forecast_times.len();
    if picture.times.len() != picture.observed.len() || [picture.mean.len(), picture.lower.len(), picture.upper.len()].iter().any(|&n| n != h) || picture.actual.is_some_and(|a| a.len() != h) {
        return Err(Error::invalid_parameter("picture", "the observed times and values, and the forecast's times, mean, bounds and actual values, must have matching lengths"));
    }
    save(path.as_ref(), options, &ForecastFigure(picture, options.title.clone().unwrap_or_else(|| "forecast".into())))
}

/// One panel of [`components`]: a named series with an uncertainty band.
///
/// ```
/// let band = probrs::plot::ComponentBand { name: "trend", mean: &[1.0, 2.0], lower: &[0.5, 1.5], upper: &[1.5, 2.5] };
/// assert_eq!(band.mean.len(), 2);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct ComponentBand<'a> {
    /// The panel's title.
    pub name: &'a str,
    /// The mean per step.
    pub mean: &'a [f64],
    /// The band's lower end per step.
    pub lower: &'a [f64],
    /// Its upper end.
    pub upper: &'a [f64],
}

struct Components<'a> {
    times: &'a [f64],
    bands: &'a [ComponentBand<'a>],
    title: String,
}

impl Figure for Components<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> std::result::Result<(), String> {
        let root = root.titled(&self.title, ("sans-serif", 22)).map_err(perr)?;
        let panels = root.split_evenly((self.bands.len(), 1));
        for (band, area) in self.bands.iter().zip(&panels) {
            let (x, y) = (range(self.times.iter().copied()), range(band.lower.iter().chain(band.upper).chain(band.mean).copied()));
            let mut chart = ChartBuilder::on(area).caption(band.name, ("sans-serif", 16)).margin(8).x_label_area_size(28).y_label_area_size(70).build_cartesian_2d(x.0..x.1, y.0..y.1).map_err(perr)?;
            chart.configure_mesh().max_light_lines(0).draw().map_err(perr)?;
            let poly: Vec<(f64, f64)> = self.times.iter().zip(band.upper).map(|(x, y)| (*x, *y)).chain(self.times.iter().zip(band.lower).rev().map(|(x, y)| (*x, *y))).collect();
            chart.draw_series(std::iter::once(Polygon::new(poly, BLUE.mix(0.2).filled()))).map_err(perr)?;
            chart.draw_series(LineSeries::new(self.times.iter().zip(band.mean).map(|(x, y)| (*x, *y)), &BLUE)).map_err(perr)?;
        }
        Ok(())
    }
}

/// A structural model's components one above the other (TFP's tutorial's `plot_components`):
/// each component's mean over `times` with its band (e.g. ±2 standard deviations from
/// `sts::decompose_by_component`). Every band needs one value per time.
///
/// ```
/// use probrs::plot::{components, ComponentBand, PlotOptions};
/// let t: Vec<f64> = (0..24).map(|i| i as f64).collect();
/// let trend: Vec<f64> = t.iter().map(|x| 0.1 * x).collect();
/// let season: Vec<f64> = t.iter().map(|x| (x * 0.5).sin()).collect();
/// let (tl, tu): (Vec<f64>, Vec<f64>) = trend.iter().map(|m| (m - 0.2, m + 0.2)).unzip();
/// let (sl, su): (Vec<f64>, Vec<f64>) = season.iter().map(|m| (m - 0.1, m + 0.1)).unzip();
/// let bands = [ComponentBand { name: "trend", mean: &trend, lower: &tl, upper: &tu }, ComponentBand { name: "seasonal", mean: &season, lower: &sl, upper: &su }];
/// let path = std::env::temp_dir().join("probrs_doc_components.svg");
/// components(&path, &t, &bands, &PlotOptions::default())?;
/// assert!(std::fs::read_to_string(&path).unwrap().contains("seasonal"));
/// assert!(components(&path, &t[..3], &bands, &PlotOptions::default()).is_err());
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn components(path: impl AsRef<Path>, times: &[f64], bands: &[ComponentBand], options: &PlotOptions) -> Result<()> {
    if bands.is_empty() || bands.iter().any(|b| [b.mean.len(), b.lower.len(), b.upper.len()].iter().any(|&n| n != times.len())) {
        return Err(Error::invalid_parameter("bands", "at least one band, each with a mean, lower and upper value per time"));
    }
    let height = options.height.max(180 * bands.len() as u32);
    save(path.as_ref(), &PlotOptions { height, ..options.clone() }, &Components { times, bands, title: options.title.clone().unwrap_or_else(|| "components".into()) })
}
