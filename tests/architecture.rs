//! The import rules of ARCHITECTURE.md, checked on the library's sources:
//!
//! 1. **Layers.** Every top-level module of the library is listed once in ARCHITECTURE.md's
//!    `layers` block, bottom to top, and a module names only modules listed below it.
//! 2. **No two files import each other.** File A imports file B when A's code names an item
//!    (type, trait, function, constant, macro) that B defines: through a `use` or a path
//!    (`crate::...`, `super::...`). Re-exports (`pub use`) and `mod` declarations are a module's
//!    table of contents, not imports; method calls are not seen (they are resolved by type).
//!
//! Test modules (`#[cfg(test)]`) and the binary (`main.rs`, `cli/`) are outside the rules: the
//! binary is above everything, and a test may use any layer to check its own.
//!
//! Run it alone with `cargo test --test architecture`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// A library source file: its module path (`["tensor", "special", "bessel"]`) and its code with
/// comments, strings and test modules removed.
struct SourceFile {
    rel: String,
    module: Vec<String>,
    code: String,
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).expect("src is readable") {
        let p = e.expect("a directory entry").path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Removes comments (line and block), string and char literals, and `#[cfg(test)]` items.
fn strip(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            let mut depth = 0;
            while i < b.len() {
                if b[i..].starts_with(b"/*") {
                    depth += 1;
                    i += 2;
                } else if b[i..].starts_with(b"*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if b[i] == b'r' && (b[i..].starts_with(b"r\"") || b[i..].starts_with(b"r#\"")) && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')) {
            let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
            let close: Vec<u8> = std::iter::once(b'"').chain(std::iter::repeat_n(b'#', hashes)).collect();
            i += 2 + hashes;
            while i < b.len() && !b[i..].starts_with(&close) {
                i += 1;
            }
            i += close.len();
            out.push_str("\"\"");
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if b[i] == b'\'' && i + 2 < b.len() && (b[i + 2] == b'\'' || (b[i + 1] == b'\\' && b[i + 3..].contains(&b'\''))) {
            // a char literal ('a', '\n', '\''); lifetimes ('a) have no closing quote two on.
            i += if b[i + 1] == b'\\' { 2 + b[i + 2..].iter().position(|&c| c == b'\'').unwrap() + 1 } else { 3 };
            out.push_str("' '");
        } else {
            let ch = src[i..].chars().next().unwrap();
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    remove_test_modules(&out)
}

/// Drops each `#[cfg(test)]` item (the attribute through the end of the braced item after it).
fn remove_test_modules(code: &str) -> String {
    let mut out = String::new();
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        let Some(open) = after.find('{') else { return out };
        let semi = after.find(';').unwrap_or(usize::MAX);
        if semi < open {
            rest = &after[semi + 1..];
            continue;
        }
        let mut depth = 0;
        let mut end = after.len();
        for (k, c) in after[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + k + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

fn load() -> Vec<SourceFile> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = vec![];
    collect(&root, &mut paths);
    paths.sort();
    let mut files = vec![];
    for p in paths {
        let rel = p.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
        if rel == "main.rs" || rel.starts_with("cli/") {
            continue;
        }
        let mut module: Vec<String> = rel.trim_end_matches(".rs").split('/').map(String::from).collect();
        if matches!(module.last().map(String::as_str), Some("mod" | "lib")) {
            module.pop();
        }
        files.push(SourceFile { code: strip(&fs::read_to_string(&p).unwrap()), rel, module });
    }
    files
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Expands a use tree (`crate::a::{b::C, D as E}`) into its paths (`as` renames dropped).
fn expand_use(tree: &str) -> Vec<String> {
    let tree: String = tree.split_whitespace().collect::<Vec<_>>().join(" ").replace(" as ", "@").chars().filter(|c| !c.is_whitespace()).collect();
    fn go(prefix: &str, t: &str, out: &mut Vec<String>) {
        if let Some(open) = t.find('{') {
            let head = &t[..open];
            let inner = &t[open + 1..t.len() - 1];
            let mut depth = 0;
            let mut start = 0;
            for (k, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        go(&format!("{prefix}{head}"), &inner[start..k], out);
                        start = k + 1;
                    }
                    _ => {}
                }
            }
            go(&format!("{prefix}{head}"), &inner[start..], out);
        } else if !t.is_empty() {
            out.push(format!("{prefix}{}", t.split('@').next().unwrap()));
        }
    }
    let mut out = vec![];
    go("", &tree, &mut out);
    out
}

/// Every path the file's code names, made absolute (`crate::...` with `super`/`self` resolved),
/// split into components. `pub use` re-exports are skipped.
fn referenced_paths(f: &SourceFile) -> Vec<Vec<String>> {
    let code = &f.code;
    let mut paths: Vec<String> = vec![];
    // use statements
    let mut k = 0;
    while let Some(at) = code[k..].find("use ") {
        let pos = k + at;
        k = pos + 4;
        let before = code[..pos].trim_end();
        let boundary = pos == 0 || !is_ident(code[..pos].chars().last().unwrap());
        if !boundary {
            continue;
        }
        let is_reexport = before.ends_with("pub") || before.ends_with(')') && before.rfind("pub(").is_some_and(|p| before[p..].find(')') == Some(before.len() - p - 1));
        let Some(end) = code[pos..].find(';') else { break };
        let tree = &code[pos + 4..pos + end];
        if !is_reexport {
            paths.extend(expand_use(tree));
        }
        k = pos + end;
    }
    // inline paths
    let bytes: Vec<char> = code.chars().collect();
    let text: String = bytes.iter().collect();
    for start in ["$crate::", "crate::", "super::", "self::", "probrs::"] {
        let mut from = 0;
        while let Some(at) = text[from..].find(start) {
            let pos = from + at;
            from = pos + start.len();
            let prev = text[..pos].chars().last();
            if prev.is_some_and(|c| is_ident(c) || c == ':' || (c == '$' && start != "$crate::")) {
                continue;
            }
            if start == "crate::" && prev == Some('$') {
                continue;
            }
            let rest = &text[pos..];
            let len = rest.char_indices().find(|&(_, c)| !(is_ident(c) || c == ':' || c == '$')).map_or(rest.len(), |(i, _)| i);
            paths.push(rest[..len].trim_end_matches(':').to_string());
        }
    }
    let mut out: Vec<Vec<String>> = vec![];
    for p in paths {
        let mut comps: Vec<String> = p.split("::").filter(|s| !s.is_empty()).map(|s| s.split(" as ").next().unwrap().to_string()).collect();
        if comps.is_empty() {
            continue;
        }
        let mut abs: Vec<String> = match comps[0].as_str() {
            "crate" | "$crate" | "probrs" => {
                comps.remove(0);
                vec![]
            }
            "super" => {
                let mut m = f.module.clone();
                while comps.first().map(String::as_str) == Some("super") {
                    comps.remove(0);
                    m.pop();
                }
                m
            }
            "self" => {
                comps.remove(0);
                f.module.clone()
            }
            _ => continue,
        };
        abs.extend(comps.into_iter().filter(|c| c != "*" && c != "self"));
        if !abs.is_empty() && !out.contains(&abs) {
            out.push(abs);
        }
    }
    out
}

/// The layers block of ARCHITECTURE.md: module names, bottom first.
fn layers() -> Vec<String> {
    let doc = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("ARCHITECTURE.md")).expect("ARCHITECTURE.md at the repository root");
    let start = doc.find("```layers").expect("ARCHITECTURE.md has a ```layers block");
    let body = &doc[start + "```layers".len()..];
    let body = &body[..body.find("```").expect("the layers block is closed")];
    body.lines().filter_map(|l| l.split_whitespace().next()).filter(|w| !w.is_empty()).map(String::from).collect()
}

#[test]
fn modules_import_only_layers_below_them() {
    let files = load();
    let layers = layers();
    let rank: BTreeMap<&str, usize> = layers.iter().enumerate().map(|(i, m)| (m.as_str(), i)).collect();
    let modules: BTreeSet<String> = files.iter().filter_map(|f| f.module.first().cloned()).collect();
    for m in &modules {
        assert!(rank.contains_key(m.as_str()), "module `{m}` is not in ARCHITECTURE.md's layers block");
    }
    for l in &layers {
        assert!(modules.contains(l), "ARCHITECTURE.md lists `{l}`, which is not a module of src/");
    }
    assert_eq!(rank.len(), layers.len(), "a module is listed twice in the layers block");
    let mut violations = vec![];
    let mut edges = 0;
    for f in &files {
        let Some(me) = f.module.first() else { continue };
        for p in referenced_paths(f) {
            let target = &p[0];
            if target == me || !rank.contains_key(target.as_str()) {
                continue;
            }
            edges += 1;
            if rank[target.as_str()] > rank[me.as_str()] {
                violations.push(format!("{} ({me}) imports {} ({target}, a layer above)", f.rel, p.join("::")));
            }
        }
    }
    violations.sort();
    violations.dedup();
    assert!(edges > 200, "the scan found only {edges} cross-module references: it is broken");
    assert!(violations.is_empty(), "imports going up:\n{}", violations.join("\n"));
}

/// The files that define each name (items at any depth of the file: `struct`, `enum`, `trait`,
/// `fn`, `type`, `const`, `static`, `macro_rules!`, `mod`).
fn definitions(files: &[SourceFile]) -> BTreeMap<String, Vec<usize>> {
    let mut defs: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, f) in files.iter().enumerate() {
        let words: Vec<&str> = f.code.split(|c: char| !(is_ident(c) || c == '!')).filter(|w| !w.is_empty()).collect();
        for w in words.windows(2) {
            if matches!(w[0], "struct" | "enum" | "trait" | "fn" | "type" | "const" | "static" | "macro_rules!") {
                let name = w[1].to_string();
                if !defs.get(&name).is_some_and(|v| v.contains(&i)) {
                    defs.entry(name).or_default().push(i);
                }
            }
        }
    }
    defs
}

#[test]
fn no_two_files_import_each_other() {
    let files = load();
    let defs = definitions(&files);
    let dirs: BTreeSet<Vec<String>> = files.iter().map(|f| f.module.clone()).collect();
    // file index -> files it imports
    let mut imports: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); files.len()];
    for (i, f) in files.iter().enumerate() {
        for p in referenced_paths(f) {
            // the longest prefix that is a module; the next component is the item
            let Some(k) = (0..=p.len()).rev().find(|&k| dirs.contains(&p[..k].to_vec())) else { continue };
            // a path to a module itself (`use crate::random::{self, Seed}`) names no item
            let Some(item) = p.get(k) else { continue };
            let module = &p[..k];
            let Some(cands) = defs.get(item) else { continue };
            let inside: Vec<usize> = cands.iter().copied().filter(|&j| files[j].module.starts_with(module)).collect();
            // where a name is defined in several files of the module, the module's own file wins
            let chosen: Vec<usize> = match inside.iter().copied().find(|&j| files[j].module == module) {
                Some(j) => vec![j],
                None if inside.len() == 1 => inside,
                None => vec![],
            };
            for j in chosen {
                if j != i {
                    imports[i].insert(j);
                }
            }
        }
    }
    let total: usize = imports.iter().map(BTreeSet::len).sum();
    assert!(total > 300, "the scan resolved only {total} file-to-file imports: it is broken");
    let mut cycles = vec![];
    for (a, set) in imports.iter().enumerate() {
        for &b in set {
            if a < b && imports[b].contains(&a) {
                cycles.push(format!("{} <-> {}", files[a].rel, files[b].rel));
            }
        }
    }
    assert!(cycles.is_empty(), "files that import each other:\n{}", cycles.join("\n"));
}

#[test]
fn the_scanner_reads_use_trees_and_paths() {
    assert_eq!(expand_use("crate::a::{b::C, D as X, e::{F, G}}"), vec!["crate::a::b::C", "crate::a::D", "crate::a::e::F", "crate::a::e::G"]);
    let f = SourceFile {
        rel: "x/y.rs".into(),
        module: vec!["x".into(), "y".into()],
        code: strip("use super::z::W; // crate::not::This\nfn f() { let s = \"crate::nor::This\"; crate::a::b(); super::super::q::R::new(); }\n#[cfg(test)]\nmod tests { use crate::hidden::H; }\n"),
    };
    let got: Vec<String> = referenced_paths(&f).iter().map(|p| p.join("::")).collect();
    assert_eq!(got, vec!["x::z::W", "a::b", "q::R::new"]);
}
