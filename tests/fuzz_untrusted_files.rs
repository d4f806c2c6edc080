//! Fuzzing the readers of files that come from other people: the CSV reader of `probrs fit`,
//! and the loaders of saved distributions and variables (JSON and safetensors).
//!
//! Structured random inputs (CSV tables with odd headers, cells, quotes, byte-order marks and
//! line endings; saved files whose JSON structure or safetensors header is rewritten field by
//! field: families, dtypes, shapes up to 10^12 elements and past 2^64, values, bijector names,
//! header lengths) and corrupted ones (byte flips, insertions, truncations) are fed to the
//! readers. Every case must come back as a value or a typed error naming the source; a panic
//! fails the test, and so does memory growth (the process's peak RSS stays under 1 GiB, so a
//! claimed 10^12-element tensor was refused before anything was allocated for it). A loader
//! that fails leaves the variables it was given unchanged.
//!
//! Deterministic (proptest's ChaCha runner from a fixed seed); about 300,000 cases, well under a
//! minute in release mode. The counts of cases run and rejected are printed.

use probrs::bijectors::Softplus;
use probrs::distributions::*;
use probrs::fit::parse_csv_column;
use probrs::params::{MakeTrainable, TransformedVariable, Variable};
use probrs::save::{distribution_from_bytes, distribution_to_bytes, variables_from_bytes, variables_to_bytes, Format, SAVABLE_FAMILIES};
use probrs::tensor::{DType, Tensor};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{json, Value};
use std::cell::Cell;
use std::sync::Arc;

const SOURCE: &str = "untrusted-input";

fn runner(cases: u32, seed: u8) -> TestRunner {
    let config = Config { cases, failure_persistence: None, max_shrink_iters: 200, ..Config::default() };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]))
}

/// Tallies of one fuzz target.
#[derive(Default)]
struct Tally {
    ok: Cell<usize>,
    rejected: Cell<usize>,
}

impl Tally {
    fn record<T>(&self, r: &probrs::Result<T>) -> Result<(), TestCaseError> {
        match r {
            Ok(_) => self.ok.set(self.ok.get() + 1),
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(msg.contains(SOURCE), "an error that does not name the source: {msg}");
                self.rejected.set(self.rejected.get() + 1);
            }
        }
        Ok(())
    }
    fn report(&self, what: &str) -> usize {
        let (ok, rejected) = (self.ok.get(), self.rejected.get());
        eprintln!("{what}: {} cases, {ok} read, {rejected} rejected with a typed error", ok + rejected);
        ok + rejected
    }
}

// ----- CSV -------------------------------------------------------------------------------

fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => any::<f64>().prop_map(|v| v.to_string()),
        3 => (-1e6f64..1e6).prop_map(|v| format!("{v:.3}")),
        1 => Just(String::new()),
        1 => "[ \"']{0,2}[0-9eE+.-]{1,8}[ \"']{0,2}",
        1 => "\\PC{0,6}",
        1 => Just("NaN".to_string()),
        1 => Just("inf".to_string()),
    ]
}

fn csv_table() -> impl Strategy<Value = (String, Option<String>)> {
    let header = prop::option::of(prop::collection::vec("[a-z_ \"é,]{0,6}", 1..5));
    let rows = prop::collection::vec(prop::collection::vec(cell(), 0..5), 0..12);
    let column = prop_oneof![Just(None), (0usize..6).prop_map(|i| Some(i.to_string())), "[a-z_é]{0,4}".prop_map(Some)];
    (any::<bool>(), header, rows, prop_oneof![Just("\n"), Just("\r\n")], column, any::<bool>()).prop_map(|(bom, header, rows, eol, column, trailing)| {
        let mut text = String::new();
        if bom {
            text.push('\u{feff}');
        }
        if let Some(h) = header {
            text.push_str(&h.join(","));
            text.push_str(eol);
        }
        for r in rows {
            text.push_str(&r.join(","));
            text.push_str(eol);
        }
        if !trailing {
            text.truncate(text.trim_end().len());
        }
        (text, column)
    })
}

#[test]
fn csv_reader_never_panics() {
    let tally = Tally::default();
    runner(100_000, 1)
        .run(&csv_table(), |(text, column)| {
            let r = parse_csv_column(&text, SOURCE, column.as_deref());
            if let Ok(v) = &r {
                prop_assert!(!v.is_empty());
            }
            tally.record(&r)
        })
        .unwrap();
    runner(30_000, 2)
        .run(&("\\PC{0,60}", prop::option::of("\\PC{0,3}")), |(text, column)| tally.record(&parse_csv_column(&text, SOURCE, column.as_deref())))
        .unwrap();
    assert!(tally.report("CSV") >= 130_000);
    assert!(tally.ok.get() > 10_000 && tally.rejected.get() > 10_000, "both outcomes must be exercised");
    // Not UTF-8 at all: the file reader says so, naming the file.
    let path = std::env::temp_dir().join(format!("probrs_fuzz_{}.csv", std::process::id()));
    std::fs::write(&path, [0xff, 0xfe, 0x00, b'1', b'\n', 0xc3]).unwrap();
    let err = probrs::fit::read_csv_column(path.to_str().unwrap(), None).unwrap_err().to_string();
    assert!(err.contains("probrs_fuzz_"), "{err}");
    std::fs::remove_file(path).ok();
}

// ----- saved distributions and variables -------------------------------------------------

/// Valid saved distributions to mutate: plain parameters, variables, transformed variables,
/// batches, matrices.
fn corpus() -> Vec<Arc<dyn Distribution>> {
    let t = |v: &[f64], s: &[usize]| Tensor::from_slice(v, s, DType::F64).unwrap();
    let trained: Gamma = MakeTrainable::new().seed(3).build().unwrap();
    let scale = TransformedVariable::new(&Tensor::vector(&[0.5, 2.0], DType::F32).unwrap(), Softplus::new(), "scale").unwrap();
    vec![
        Arc::new(Normal::new(0.5, 2.0).unwrap()),
        Arc::new(trained),
        Arc::new(Normal::new(Variable::new(&Tensor::vector(&[0.0, 1.0], DType::F32).unwrap(), "loc").unwrap(), scale).unwrap()),
        Arc::new(Categorical::from_logits(t(&[0.1, 0.2, -0.3, 1.0, 0.0, 0.5], &[2, 3])).unwrap()),
        Arc::new(MultivariateNormalTriL::new(t(&[0.0, 1.0], &[2]), t(&[1.0, 0.0, 0.3, 2.0], &[2, 2])).unwrap()),
        Arc::new(Dirichlet::new(t(&[1.0, 2.0, 3.0], &[3])).unwrap()),
        Arc::new(NegativeBinomial::from_logits(3.0, 0.2).unwrap()),
        Arc::new(Uniform::new(t(&[0.0, -1.0], &[2]), 4.0).unwrap()),
    ]
}

fn formats() -> [Format; 2] {
    [Format::Json, Format::Safetensors]
}

/// A random JSON value of the kinds a saved file holds, and some it should not.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |v| v.is_finite()).prop_map(Value::from),
        prop_oneof![Just(1e12), Just(1e19), Just(-1.0), Just(0.0), Just(4294967296.0)].prop_map(|v| json!(v as u64)),
        Just(json!(u64::MAX)),
        "\\PC{0,8}".prop_map(Value::from),
        prop::sample::select(SAVABLE_FAMILIES.to_vec()).prop_map(Value::from),
        prop::sample::select(vec!["float32", "float64", "int8", "softplus", "exp", "sigmoid", "identity", "Scalar", "Tensor", "Variable", "Transformed"]).prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| prop_oneof![prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from), prop::collection::btree_map("[a-z_]{1,8}", inner, 0..3).prop_map(|m| Value::Object(m.into_iter().collect()))])
}

/// Every path (object keys and array indices) into `v`.
fn paths(v: &Value, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(prefix.clone());
    match v {
        Value::Object(m) => m.iter().for_each(|(k, c)| paths(c, [prefix.clone(), vec![k.clone()]].concat(), out)),
        Value::Array(a) => a.iter().enumerate().for_each(|(i, c)| paths(c, [prefix.clone(), vec![i.to_string()]].concat(), out)),
        _ => {}
    }
}

fn at<'a>(v: &'a mut Value, path: &[String]) -> &'a mut Value {
    path.iter().fold(v, |v, k| match v {
        Value::Object(m) => m.get_mut(k).unwrap(),
        Value::Array(a) => &mut a[k.parse::<usize>().unwrap()],
        _ => unreachable!("paths lead through containers"),
    })
}

/// One structured rewrite of a saved file's JSON: replace a field, drop it, or set a shape that
/// claims far more elements than the file holds.
#[derive(Clone, Debug)]
enum Edit {
    Replace(usize, Value),
    Remove(usize),
    HugeShape(usize, Vec<u64>),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        4 => (any::<usize>(), json_value()).prop_map(|(i, v)| Edit::Replace(i, v)),
        1 => any::<usize>().prop_map(Edit::Remove),
        2 => (any::<usize>(), prop::collection::vec(prop_oneof![Just(1_000_000u64), Just(1u64 << 32), Just(0), Just(3), Just(u64::MAX)], 1..4)).prop_map(|(i, s)| Edit::HugeShape(i, s)),
    ];
    prop::collection::vec(edit, 1..4)
}

fn apply(v: &mut Value, edits: &[Edit]) {
    for e in edits {
        let mut all = vec![];
        paths(v, vec![], &mut all);
        match e {
            Edit::Replace(i, new) => *at(v, &all[i % all.len()]) = new.clone(),
            Edit::Remove(i) => {
                let p = &all[i % all.len()];
                if let Some((last, parent)) = p.split_last() {
                    match at(v, parent) {
                        Value::Object(m) => {
                            m.remove(last);
                        }
                        Value::Array(a) => {
                            a.remove(last.parse::<usize>().unwrap());
                        }
                        _ => {}
                    }
                }
            }
            Edit::HugeShape(i, shape) => {
                let shapes: Vec<&Vec<String>> = all.iter().filter(|p| p.last().is_some_and(|k| k == "shape")).collect();
                if !shapes.is_empty() {
                    *at(v, shapes[i % shapes.len()]) = json!(shape);
                }
            }
        }
    }
}

/// Splits a safetensors file into its header JSON and data, and back.
fn split_safetensors(bytes: &[u8]) -> (Value, Vec<u8>) {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    (serde_json::from_slice(&bytes[8..8 + n]).unwrap(), bytes[8 + n..].to_vec())
}

fn join_safetensors(header: &Value, data: &[u8]) -> Vec<u8> {
    let h = serde_json::to_vec(header).unwrap();
    [(h.len() as u64).to_le_bytes().to_vec(), h, data.to_vec()].concat()
}

/// A saved file with random edits to its structure: the JSON itself, or a safetensors file's
/// header (tensor entries and the probrs structure in its metadata).
fn structured_mutant(file: &[u8], format: Format, edits: &[Edit]) -> Vec<u8> {
    match format {
        Format::Json => {
            let mut v: Value = serde_json::from_slice(file).unwrap();
            apply(&mut v, edits);
            serde_json::to_vec(&v).unwrap()
        }
        Format::Safetensors => {
            let (mut header, data) = split_safetensors(file);
            // The structure lives as a JSON string inside the header's metadata: edit either.
            let inner = header["__metadata__"]["probrs"].as_str().map(|s| serde_json::from_str::<Value>(s).unwrap());
            match inner {
                Some(mut structure) if edits.len() % 2 == 0 => {
                    apply(&mut structure, edits);
                    header["__metadata__"]["probrs"] = Value::from(structure.to_string());
                }
                _ => apply(&mut header, edits),
            }
            join_safetensors(&header, &data)
        }
    }
}

/// Byte-level corruption: flips, insertions, deletions, truncation, a rewritten length prefix.
fn corrupt(file: &[u8], ops: &[(u8, usize, u8)]) -> Vec<u8> {
    let mut b = file.to_vec();
    for &(op, pos, byte) in ops {
        if b.is_empty() {
            break;
        }
        let i = pos % b.len();
        match op % 5 {
            0 => b[i] ^= byte | 1,
            1 => b.insert(i, byte),
            2 => {
                b.remove(i);
            }
            3 => b.truncate(i),
            _ => {
                if b.len() >= 8 {
                    let claims = [u64::MAX, 1 << 40, 0, (b.len() as u64).saturating_sub(1), byte as u64];
                    b[..8].copy_from_slice(&claims[pos % claims.len()].to_le_bytes());
                }
            }
        }
    }
    b
}

fn check_distribution(bytes: &[u8], format: Format, tally: &Tally) -> Result<(), TestCaseError> {
    let r = distribution_from_bytes(bytes, format, SOURCE);
    if let Ok(d) = &r {
        // What loads is a working distribution: evaluating it is an answer or an error.
        let spread = |s: Vec<usize>| s.iter().map(|&k| k.max(1) as f64).product::<f64>();
        prop_assert!(spread(d.batch_shape()) * spread(d.event_shape()) <= (1 << 20) as f64, "{} loaded with batch {:?} and event {:?}", d.class_name(), d.batch_shape(), d.event_shape());
        let _ = d.log_prob(&Tensor::zeros(&d.event_shape(), d.dtype()).unwrap());
    }
    tally.record(&r)
}

#[test]
fn distribution_loaders_never_panic() {
    let files: Vec<(Vec<u8>, Format)> = corpus().iter().flat_map(|d| formats().map(|f| (distribution_to_bytes(d.as_ref(), f).unwrap(), f))).collect();
    for (bytes, f) in &files {
        assert!(distribution_from_bytes(bytes, *f, SOURCE).is_ok(), "the corpus loads");
    }
    let tally = Tally::default();
    let k = files.len();
    runner(80_000, 3)
        .run(&(0..k, edits()), |(i, e)| {
            let (file, format) = &files[i];
            check_distribution(&structured_mutant(file, *format, &e), *format, &tally)
        })
        .unwrap();
    runner(60_000, 4)
        .run(&(0..k, prop::collection::vec((any::<u8>(), any::<usize>(), any::<u8>()), 1..6)), |(i, ops)| {
            let (file, format) = &files[i];
            check_distribution(&corrupt(file, &ops), *format, &tally)
        })
        .unwrap();
    assert!(tally.report("saved distributions") >= 140_000);
    assert!(tally.rejected.get() > 50_000);
}

#[test]
fn variable_loaders_never_panic_and_leave_variables_unchanged_on_failure() {
    let a = Variable::new(&Tensor::from_slice(&[1.0, 2.0, 3.0, 4.0], &[2, 2], DType::F32).unwrap(), "a").unwrap();
    let b = Variable::new(&Tensor::scalar(-0.5, DType::F64).unwrap(), "b").unwrap();
    let vars = [a.clone(), b.clone()];
    let files: Vec<(Vec<u8>, Format)> = formats().map(|f| (variables_to_bytes(&vars, f).unwrap(), f)).to_vec();
    let before = (a.numpy().to_vec().unwrap(), b.numpy().to_vec().unwrap());
    let tally = Tally::default();
    let check = |bytes: &[u8], format: Format| -> Result<(), TestCaseError> {
        let r = variables_from_bytes(bytes, format, SOURCE, &vars);
        if r.is_err() {
            prop_assert_eq!(&(a.numpy().to_vec().unwrap(), b.numpy().to_vec().unwrap()), &before, "a failed load changed a variable");
        } else {
            // Shapes and dtypes were checked: the values may differ, so put them back.
            a.assign(&Tensor::from_slice(&before.0, &[2, 2], DType::F32).unwrap()).unwrap();
            b.assign(&Tensor::scalar(before.1[0], DType::F64).unwrap()).unwrap();
        }
        tally.record(&r)
    };
    runner(30_000, 5).run(&(0..2usize, edits()), |(i, e)| check(&structured_mutant(&files[i].0, files[i].1, &e), files[i].1)).unwrap();
    runner(30_000, 6).run(&(0..2usize, prop::collection::vec((any::<u8>(), any::<usize>(), any::<u8>()), 1..6)), |(i, ops)| check(&corrupt(&files[i].0, &ops), files[i].1)).unwrap();
    assert!(tally.report("saved variables") >= 60_000);
}

#[test]
fn a_claim_of_10_to_the_12_elements_is_refused_before_allocating() {
    // JSON: the shape claims 10^12 elements, the file holds one value.
    let json = br#"{"variables": [["w", {"dtype": "float64", "shape": [1000000, 1000000], "values": [1.0]}]]}"#;
    let w = Variable::new(&Tensor::zeros(&[1000000, 1], DType::F64).unwrap(), "w").unwrap();
    let err = variables_from_bytes(json, Format::Json, SOURCE, &[w.clone()]).unwrap_err().to_string();
    assert!(err.contains(SOURCE) && err.contains("1000000000000 elements"), "{err}");
    // A shape whose element count overflows 64 bits.
    let json = br#"{"variables": [["w", {"dtype": "float64", "shape": [4294967296, 4294967296], "values": []}]]}"#;
    let err = variables_from_bytes(json, Format::Json, SOURCE, &[w.clone()]).unwrap_err().to_string();
    assert!(err.contains("more than 2^64"), "{err}");
    // safetensors: a header claiming a [10^6, 10^6] float64 tensor over 8 bytes of data.
    let good = variables_to_bytes(&[Variable::new(&Tensor::scalar(1.0, DType::F64).unwrap(), "w").unwrap()], Format::Safetensors).unwrap();
    let (mut header, data) = split_safetensors(&good);
    header["w"]["shape"] = json!([1000000, 1000000]);
    let err = variables_from_bytes(&join_safetensors(&header, &data), Format::Safetensors, SOURCE, &[w]).unwrap_err().to_string();
    assert!(err.contains(SOURCE), "{err}");
    // And a length prefix claiming a 1 TiB header.
    let mut bytes = good.clone();
    bytes[..8].copy_from_slice(&(1u64 << 40).to_le_bytes());
    assert!(distribution_from_bytes(&bytes, Format::Safetensors, SOURCE).is_err());
    // None of this (nor the fuzzing in this binary) grew the process past 1 GiB.
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes the struct it is given.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    };
    assert!(usage.ru_maxrss < 1 << 20, "peak RSS {} KiB", usage.ru_maxrss);
}
