//! Every public type, trait, function and constant of the library carries a runnable example
//! (a Rust code block in its doc comment, which `cargo test` runs as a doctest).
//!
//! `missing_docs` (denied in `src/lib.rs`) makes sure every public item has a doc comment; this
//! test adds the example on top. It reads the sources: items at the top level of a module
//! (`pub struct|enum|trait|fn|type|const|static`) and the scalar families declared through the
//! `family!` macro. Methods are covered by their type's example; the binary's own files
//! (`src/main.rs`, `src/bench.rs`) are not library API.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable source directory") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The public item declared on this line, if any: its name.
fn public_item(line: &str) -> Option<&str> {
    const KINDS: [&str; 8] = ["struct ", "enum ", "trait ", "fn ", "unsafe fn ", "type ", "const ", "static "];
    if let Some(rest) = line.strip_prefix("pub ") {
        let rest = KINDS.iter().find_map(|k| rest.strip_prefix(k))?;
        return rest.split(|c: char| !(c.is_alphanumeric() || c == '_')).next().filter(|n| !n.is_empty());
    }
    // `family! { /// docs  Name, "Name", Reparameterization, { ... } }`
    let t = line.trim_start();
    if line.starts_with("    ") && t.contains(", \"") && t.ends_with('}') && t.contains("Reparameterized") {
        return t.split(',').next();
    }
    None
}

/// Whether the doc comment above line `i` (past attributes) opens a Rust code block.
fn has_example(lines: &[&str], i: usize) -> bool {
    let mut top = i;
    while top > 0 && { let t = lines[top - 1].trim_start(); t.starts_with("///") || t.starts_with("#[") } {
        top -= 1;
    }
    let mut in_block = false;
    for line in &lines[top..i] {
        let Some(doc) = line.trim_start().strip_prefix("///") else { continue };
        let Some(lang) = doc.trim().strip_prefix("```") else { continue };
        if in_block {
            in_block = false; // a closing fence
        } else if matches!(lang, "" | "rust" | "no_run") {
            return true;
        } else {
            in_block = true; // ```text, ```python, ...
        }
    }
    false
}

#[test]
fn every_public_item_has_a_runnable_example() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("examples/zoo/pad_eye.rs")];
    rust_files(&root.join("src"), &mut files);
    files.retain(|f| !f.ends_with("src/main.rs") && !f.ends_with("src/bench.rs"));
    let (mut checked, mut missing) = (0, vec![]);
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable source file");
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if line.trim_start().starts_with("#[cfg(test)]") {
                break; // unit tests follow
            }
            if let Some(name) = public_item(line) {
                checked += 1;
                if !has_example(&lines, i) {
                    missing.push(format!("{}:{}: {name}", file.strip_prefix(root).unwrap_or(file).display(), i + 1));
                }
            }
        }
    }
    // The scan must see the library (a broken scan would pass vacuously).
    assert!(checked > 250, "only {checked} public items found");
    assert!(missing.is_empty(), "{} public items without a runnable example:\n{}", missing.len(), missing.join("\n"));
}

#[test]
fn the_scan_recognises_items_and_examples() {
    assert_eq!(public_item("pub fn kl_gamma(p: &Gamma) -> Result<Tensor> {"), Some("kl_gamma"));
    assert_eq!(public_item("pub struct Normal {"), Some("Normal"));
    assert_eq!(public_item("    pub fn new() -> Self {"), None);
    assert_eq!(public_item("pub(crate) fn helper() {}"), None);
    assert_eq!(public_item("    Gamma, \"Gamma\", FullyReparameterized, { concentration: Positive, rate: Positive }"), Some("Gamma"));
    let with = ["/// Docs.", "///", "/// ```", "/// assert!(true);", "/// ```", "#[derive(Clone)]", "pub struct A;"];
    assert!(has_example(&with, 6));
    let text_only = ["/// ```text", "/// y = f(x)", "/// ```", "pub fn f() {}"];
    assert!(!has_example(&text_only, 3));
    let none = ["/// Docs.", "pub fn g() {}"];
    assert!(!has_example(&none, 1));
}
