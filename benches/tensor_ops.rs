//! Criterion benches of the facade's per-op overhead (forward + backward of tiny ops) and the
//! W1 step. Run: `cargo bench --bench tensor_ops`.

use criterion::{criterion_group, criterion_main, Criterion};
use probrs::distributions::{Distribution, Normal};
use probrs::params::{MakeTrainable, Variable};
use probrs::tensor::{DType, Tensor};
use std::hint::black_box;

fn tiny_ops(c: &mut Criterion) {
    let v = Variable::new(&Tensor::scalar(0.3, DType::F32).unwrap(), "x").unwrap();
    c.bench_function("tiny_op_exp_fwd_bwd", |b| {
        b.iter(|| {
            let y = v.value().exp().unwrap();
            black_box(y.grad(&[&v.value()]).unwrap());
        })
    });
    c.bench_function("tiny_op_softplus_fwd_bwd", |b| {
        b.iter(|| {
            let y = v.value().softplus().unwrap();
            black_box(y.grad(&[&v.value()]).unwrap());
        })
    });
    // The same computation in raw candle: the facade's overhead is the difference.
    let raw = candle_core::Var::new(0.3f32, &candle_core::Device::Cpu).unwrap();
    c.bench_function("raw_candle_exp_fwd_bwd", |b| {
        b.iter(|| {
            let y = raw.as_tensor().exp().unwrap();
            black_box(y.backward().unwrap().get(raw.as_tensor()).cloned());
        })
    });
    let a = Tensor::vector(&[1.0; 10], DType::F32).unwrap();
    c.bench_function("broadcast_add_10x1", |b| b.iter(|| black_box(a.add(&v.value()).unwrap())));
}

fn w1_loss_and_grad(c: &mut Criterion) {
    let x = Tensor::vector(&probrs::demo::SEED_SAMPLES, DType::F32).unwrap();
    let model: Normal = MakeTrainable::new().initial_value("loc", 0.0).initial_value("scale", 1.0).build().unwrap();
    let vars = model.trainable_variables();
    c.bench_function("w1_loss_and_grad", |b| {
        b.iter(|| {
            let loss = model.log_prob(&x).unwrap().sum_all().unwrap().neg().unwrap();
            black_box(loss.grad(&[&vars[0].value(), &vars[1].value()]).unwrap());
        })
    });
}

criterion_group!(benches, tiny_ops, w1_loss_and_grad);
criterion_main!(benches);
