//! `probrs bench`: the workloads of `../shared/baselines/`, one JSON line per result with the
//! baselines' field names.

use probrs::tensor::DType;
use serde_json::json;
use std::time::Instant;

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// W1: make_trainable(Normal) from loc 0, scale 1; 200 Adam(0.1) steps on the seed samples.
fn w1() -> probrs::Result<()> {
    const STEPS: usize = 200;
    let t0 = Instant::now();
    let first = probrs::demo::fit_normal(STEPS, Some((0.0, 1.0)), 0, DType::F32)?;
    let first_run_s = t0.elapsed().as_secs_f64();
    let mut runs = vec![];
    let total = Instant::now();
    while runs.len() < 10 || (total.elapsed().as_secs_f64() < 2.0 && runs.len() < 200) {
        let t = Instant::now();
        probrs::demo::fit_normal(STEPS, Some((0.0, 1.0)), 0, DType::F32)?;
        runs.push(t.elapsed().as_secs_f64());
    }
    let min = runs.iter().cloned().fold(f64::INFINITY, f64::min);
    let loss_at: serde_json::Map<String, serde_json::Value> =
        [0usize, 1, 2, 10, 50, 100, 199].iter().map(|&i| (i.to_string(), json!(first.losses[i]))).collect();
    let mut sorted = runs.clone();
    println!(
        "{}",
        json!({
            "workload": "W1",
            "system": "probrs",
            "dtype": "float32",
            "final_mean": first.mean,
            "final_stddev": first.stddev,
            "final_loss": first.losses[STEPS - 1],
            "loss_at": loss_at,
            "num_steps": STEPS,
            "compile_s": 0.0,
            "first_run_s": first_run_s,
            "time_per_step_s": median(&mut sorted) / STEPS as f64,
            "time_per_step_min_s": min / STEPS as f64,
            "total_s": runs.iter().sum::<f64>(),
            "n_timed_runs": runs.len(),
            "threads": std::env::var("CANDLE_NUM_THREADS").unwrap_or_default(),
        })
    );
    Ok(())
}

pub fn run(workloads: &[String]) -> probrs::Result<()> {
    let all = workloads.is_empty();
    let want = |w: &str| all || workloads.iter().any(|x| x.eq_ignore_ascii_case(w));
    let mut ran = false;
    if want("W1") {
        w1()?;
        ran = true;
    }
    if !ran {
        return Err(probrs::Error::invalid_parameter_pub("workloads", format!("unknown workload(s) {workloads:?}; available: W1")));
    }
    Ok(())
}
