//! Seed page 002, "Learnable Distributions Zoo": six trainable distributions, printed with their
//! trainable variables as TFP prints them, then each fitted by maximum likelihood to data from a
//! known mixture. The `PadEye` user bijector is in `examples/zoo/pad_eye.rs`.
//!
//! Run: `cargo run --release --example learnable_zoo`

use probrs::demo::{fit_by_mle, learnable_zoo, zoo_data};
use probrs::params::format_variables;

fn main() -> probrs::Result<()> {
    let data = zoo_data(2000, 7)?;
    for (name, d) in learnable_zoo(0)? {
        println!("## {name}");
        println!("{d:?}");
        println!("{}", format_variables(&d.trainable_variables()));
        let (before, after) = fit_by_mle(d.as_ref(), &data, 300, 0.1)?;
        println!("mean NLL {before:.4} -> {after:.4} after 300 Adam(0.1) steps\n");
    }
    Ok(())
}
