//! The seed page's masked autoregressive flow on two moons (`probrs::demo::maf_two_moons`):
//! five MAF layers, each MADE with two relu hidden layers of `HIDDEN` units (the page's
//! template: 512; the demo's default 64), batch 512, Adam(1e-3):
//! `HIDDEN=512 STEPS=200 cargo run --release --example maf_two_moons`. Prints one JSON line
//! (the probrs side of bench W8; `SEED=k`; `DUMP=dir` first writes the training and held-out
//! points to `dir/train.csv` and `dir/test.csv` for the peers in `benches/peers/maf_two_moons_*.py`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use probrs::demo::{flow_data, maf_two_moons, FlowOptions};

fn main() -> probrs::Result<()> {
    probrs::allocator::retain_freed_memory();
    let env = |k: &str| std::env::var(k).ok().and_then(|s| s.parse::<usize>().ok());
    let hidden = env("HIDDEN").unwrap_or(64);
    let o = FlowOptions { hidden_units: vec![hidden, hidden], num_steps: env("STEPS").unwrap_or(1000), seed: env("SEED").unwrap_or(0) as u64, ..Default::default() };
    if let Ok(dir) = std::env::var("DUMP") {
        let io = |e: std::io::Error| probrs::Error::Io { path: dir.clone(), reason: e.to_string() };
        std::fs::create_dir_all(&dir).map_err(io)?;
        let (train, test) = flow_data(&o)?;
        for (name, t) in [("train", train), ("test", test)] {
            let rows: Vec<String> = t.to_vec()?.chunks(2).map(|p| format!("{},{}", p[0] as f32, p[1] as f32)).collect();
            std::fs::write(format!("{dir}/{name}.csv"), rows.join("\n") + "\n").map_err(io)?;
        }
    }
    let r = maf_two_moons(&o)?;
    println!(
        "{{\"workload\": \"W8-maf-two-moons\", \"system\": \"probrs\", \"hidden\": {hidden}, \"flow_steps\": {}, \"batch\": {}, \"steps\": {}, \"time_per_step_s\": {:.6}, \"test_nll\": {:.4}, \"gaussian_test_nll\": {:.4}, \"final_batch_loss\": {:.4}}}",
        o.flow_steps,
        o.batch_size,
        o.num_steps,
        r.seconds_per_step,
        r.test_nll,
        r.gaussian_test_nll,
        r.losses.last().copied().unwrap_or(f64::NAN)
    );
    Ok(())
}
