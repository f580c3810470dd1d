//! The layer rule of `src/lib.rs`, checked on the source text: a module imports only from
//! the layers below it, and the modules of one folder do not import each other in a cycle.
//!
//! Every path that names one of our modules is read (`crate::…`, `super::…`, `self::…`,
//! and `pressfeed::…` in `main.rs`, in `use` lists and inline, tests included); comments
//! and string literals are skipped. A failure names the file, the line and the rule.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each layer and the layers it may import (itself always allowed).
const RULES: &[(&str, &[&str])] = &[
    ("core", &[]),
    ("config", &["core"]),
    ("http", &["config", "core"]),
    ("extract", &["config", "core"]),
    ("normalize", &["config", "core"]),
    ("store", &["core"]),
    ("render", &["core"]),
    (
        "sources",
        &["http", "extract", "normalize", "config", "core"],
    ),
    (
        "pipeline",
        &[
            "sources",
            "http",
            "extract",
            "normalize",
            "store",
            "render",
            "config",
            "core",
        ],
    ),
    (
        "app",
        &[
            "pipeline",
            "sources",
            "http",
            "extract",
            "normalize",
            "store",
            "render",
            "config",
            "core",
        ],
    ),
];

/// One module path reference found in a file.
#[derive(Debug, Clone)]
struct Import {
    line: usize,
    /// Absolute module path inside the crate (`["http", "robots", "Rules"]`).
    path: Vec<String>,
}

/// A source file and the module path it defines (`src/http/mod.rs` → `["http"]`).
struct File {
    rel: PathBuf,
    module: Vec<String>,
    imports: Vec<Import>,
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

fn module_of(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|c| c.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().expect("file name");
    match last.as_str() {
        "mod.rs" | "lib.rs" | "main.rs" => {}
        name => parts.push(name.trim_end_matches(".rs").to_string()),
    }
    parts
}

/// The text with comments and string/char literals blanked (newlines kept, so line
/// numbers stay right). Raw strings `r#"…"#` and byte strings are handled; lifetimes
/// (`'a`) are told from char literals by what follows them.
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let blank = |s: &str, out: &mut String| {
        out.extend(s.chars().map(|c| if c == '\n' { '\n' } else { ' ' }));
    };
    while i < b.len() {
        let rest = &text[i..];
        if rest.starts_with("//") {
            let end = rest.find('\n').unwrap_or(rest.len());
            blank(&rest[..end], &mut out);
            i += end;
        } else if rest.starts_with("/*") {
            // Block comments nest in Rust.
            let mut depth = 0;
            let mut j = 0;
            while j < rest.len() {
                if rest[j..].starts_with("/*") {
                    depth += 1;
                    j += 2;
                } else if rest[j..].starts_with("*/") {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += rest[j..].chars().next().map_or(1, char::len_utf8);
                }
            }
            blank(&rest[..j], &mut out);
            i += j;
        } else if let Some(len) = raw_string_len(rest) {
            blank(&rest[..len], &mut out);
            i += len;
        } else if rest.starts_with('"') || rest.starts_with("b\"") {
            let start = if rest.starts_with('b') { 2 } else { 1 };
            let mut j = start;
            while j < rest.len() {
                match rest.as_bytes()[j] {
                    b'\\' => j += 2,
                    b'"' => {
                        j += 1;
                        break;
                    }
                    _ => j += 1,
                }
            }
            let j = j.min(rest.len());
            blank(&rest[..j], &mut out);
            i += j;
        } else if let Some(len) = char_literal_len(rest) {
            blank(&rest[..len], &mut out);
            i += len;
        } else {
            let c = rest.chars().next().expect("non-empty");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// Length of a char literal (`'x'`, `'\n'`, `'\u{1F600}'`) at the start of `s`; `None`
/// for a lifetime or label (`'a`), which has no closing quote right after one character.
fn char_literal_len(s: &str) -> Option<usize> {
    let body = s.strip_prefix('\'')?;
    if let Some(escaped) = body.strip_prefix('\\') {
        let close = escaped.char_indices().skip(1).find(|&(_, c)| c == '\'')?.0;
        return Some(2 + close + 1);
    }
    let c = body.chars().next()?;
    body[c.len_utf8()..]
        .starts_with('\'')
        .then(|| 1 + c.len_utf8() + 1)
}

/// Length of a raw (byte) string literal at the start of `s`, if one starts there.
fn raw_string_len(s: &str) -> Option<usize> {
    let after_prefix = s.strip_prefix("br").or_else(|| s.strip_prefix('r'))?;
    let hashes = after_prefix.chars().take_while(|&c| c == '#').count();
    let body = after_prefix[hashes..].strip_prefix('"')?;
    let close = format!("\"{}", "#".repeat(hashes));
    let end = body.find(&close)?;
    Some(s.len() - body.len() + end + close.len())
}

/// Paths in `code` that start with `crate`, `super`, `self` or (in main.rs) `pressfeed`,
/// with `use` groups (`crate::{a, b::{c, d}}`) expanded; resolved against the module they
/// appear in (`module`, or an inline `mod name { … }` inside it, such as `mod tests`).
fn imports(code: &str, module: &[String], is_main: bool) -> Vec<Import> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    // Inline modules open at a brace depth and close when it is reached again.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' => depth += 1,
            b'}' => {
                depth = depth.saturating_sub(1);
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
            }
            _ => {}
        }
        let at_word_start = i == 0
            || !(bytes[i - 1].is_ascii_alphanumeric()
                || bytes[i - 1] == b'_'
                || bytes[i - 1] == b':');
        if at_word_start && let Some(name) = inline_module(&code[i..]) {
            let open = code[i..].find('{').unwrap_or(0);
            inline.push((name, depth));
            depth += 1;
            i += open + 1;
            continue;
        }
        let head = ["crate::", "super::", "self::", "pressfeed::"]
            .into_iter()
            .find(|h| code[i..].starts_with(h) && (is_main || *h != "pressfeed::"));
        if !at_word_start || head.is_none() {
            i += 1;
            continue;
        }
        let here: Vec<String> = module
            .iter()
            .cloned()
            .chain(inline.iter().map(|(n, _)| n.clone()))
            .collect();
        let line = code[..i].matches('\n').count() + 1;
        let (text, len) = path_text(&code[i..]);
        for p in expand(&text) {
            if let Some(path) = resolve(&p, &here) {
                out.push(Import { line, path });
            }
        }
        i += len.max(1);
    }
    out
}

/// The name of an inline module opening at the start of `s` (`mod tests {`).
fn inline_module(s: &str) -> Option<String> {
    let rest = s.strip_prefix("mod ")?.trim_start();
    let name: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    let after = rest[name.len()..].trim_start();
    (!name.is_empty() && after.starts_with('{')).then_some(name)
}

/// The path text at the start of `s` (identifiers, `::`, and balanced `{…}` groups), and
/// how many bytes it spans.
fn path_text(s: &str) -> (String, usize) {
    let mut depth = 0;
    let mut end = 0;
    for (k, c) in s.char_indices() {
        let ok = c.is_alphanumeric() || c == '_' || c == ':' || c == '*';
        if c == '{' {
            depth += 1;
        } else if c == '}' {
            if depth == 0 {
                break;
            }
            depth -= 1;
        } else if !(ok || (depth > 0 && (c == ',' || c.is_whitespace()))) {
            break;
        }
        end = k + c.len_utf8();
        if depth == 0 && c == '}' {
            break;
        }
    }
    // Whitespace only matters around `as` (`self as x`); elsewhere it goes.
    let text = s[..end].split_whitespace().collect::<Vec<_>>().join(" ");
    let text = text.replace(" ::", "::").replace(":: ", "::");
    let text = text
        .replace("{ ", "{")
        .replace(" }", "}")
        .replace(", ", ",");
    (text.trim_end_matches(':').to_string(), end)
}

/// `a::{b, c::{d, e}}` → `a::b`, `a::c::d`, `a::c::e`.
fn expand(text: &str) -> Vec<String> {
    let Some(open) = text.find('{') else {
        return vec![text.split(" as ").next().unwrap_or(text).trim().to_string()];
    };
    let prefix = &text[..open];
    let inner = &text[open + 1..text.rfind('}').unwrap_or(text.len())];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (k, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..k]);
                start = k + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        // `x as y` names x; a nested group keeps its own renames for the recursion.
        .map(|p| {
            if p.contains('{') {
                p
            } else {
                p.split(" as ").next().unwrap_or(p)
            }
            .trim()
        })
        .filter(|p| !p.is_empty())
        .flat_map(|p| {
            if p == "self" {
                vec![prefix.trim_end_matches(':').to_string()]
            } else {
                expand(&format!("{prefix}{p}"))
            }
        })
        .collect()
}

/// The absolute crate path a reference names; `None` for paths outside the crate.
fn resolve(text: &str, module: &[String]) -> Option<Vec<String>> {
    let mut segs = text.split("::").filter(|s| !s.is_empty());
    let mut path: Vec<String> = match segs.next()? {
        "crate" | "pressfeed" => Vec::new(),
        "self" => module.to_vec(),
        "super" => {
            let mut p = module.to_vec();
            p.pop()?;
            p
        }
        _ => return None,
    };
    for s in segs {
        match s {
            "super" => {
                path.pop()?;
            }
            "self" => {}
            _ => path.push(s.to_string()),
        }
    }
    Some(path)
}

fn load() -> Vec<File> {
    let root = src_dir();
    let mut paths = Vec::new();
    rust_files(&root, &mut paths);
    paths
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(&root).expect("under src").to_path_buf();
            let module = module_of(&rel);
            let text = std::fs::read_to_string(&p).expect("read source");
            let is_main = rel == Path::new("main.rs");
            let imports = imports(&code_only(&text), &module, is_main);
            File {
                rel,
                module,
                imports,
            }
        })
        .collect()
}

#[test]
fn every_import_points_down_the_layers() {
    let rules: BTreeMap<&str, &[&str]> = RULES.iter().copied().collect();
    let files = load();
    let mut layers_seen = BTreeSet::new();
    let mut broken = Vec::new();
    for f in &files {
        let rel = f.rel.display();
        let Some(layer) = f.module.first().map(String::as_str) else {
            // lib.rs declares the layers; main.rs may only call into `app`.
            for imp in &f.imports {
                let target = imp.path.first().map(String::as_str).unwrap_or("");
                if rel.to_string() == "main.rs" && target != "app" {
                    broken.push(format!(
                        "{rel}:{}: main.rs imports `{target}`; only `app` may be called from main",
                        imp.line
                    ));
                }
            }
            continue;
        };
        layers_seen.insert(layer.to_string());
        let Some(allowed) = rules.get(layer) else {
            broken.push(format!(
                "{rel}: folder `{layer}` is not a layer of src/lib.rs's table"
            ));
            continue;
        };
        for imp in &f.imports {
            let Some(target) = imp.path.first().map(String::as_str) else {
                continue;
            };
            if target != layer && !allowed.contains(&target) {
                broken.push(format!(
                    "{rel}:{}: `{layer}` imports `{}`; `{layer}` may import only {:?}",
                    imp.line,
                    imp.path.join("::"),
                    allowed
                ));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "layer rule broken:\n{}",
        broken.join("\n")
    );
    let declared: BTreeSet<String> = RULES.iter().map(|(l, _)| l.to_string()).collect();
    assert_eq!(
        layers_seen, declared,
        "every layer of the table has a folder in src/"
    );
}

#[test]
fn no_import_cycle_between_the_modules_of_a_folder() {
    let files = load();
    // Child modules of every folder, from the files on disk.
    let mut children: BTreeMap<Vec<String>, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        if let Some((last, parent)) = f.module.split_last() {
            children
                .entry(parent.to_vec())
                .or_default()
                .insert(last.clone());
        }
    }
    // Edges between sibling modules: `a` uses `b` when a file in `a` names a path in `b`.
    let mut edges: BTreeMap<Vec<String>, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for f in &files {
        for imp in &f.imports {
            let common = f
                .module
                .iter()
                .zip(&imp.path)
                .take_while(|(a, b)| a == b)
                .count();
            let (Some(from), Some(to)) = (f.module.get(common), imp.path.get(common)) else {
                continue;
            };
            let scope = f.module[..common].to_vec();
            if children.get(&scope).is_some_and(|c| c.contains(to)) {
                edges
                    .entry(scope)
                    .or_default()
                    .entry(from.clone())
                    .or_default()
                    .insert(to.clone());
            }
        }
    }
    let mut cycles = Vec::new();
    for (scope, graph) in &edges {
        if let Some(cycle) = find_cycle(graph) {
            let folder = if scope.is_empty() {
                "src".to_string()
            } else {
                format!("src/{}", scope.join("/"))
            };
            cycles.push(format!("{folder}: {}", cycle.join(" → ")));
        }
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

/// A cycle in a small directed graph, as the list of its nodes (first repeated at the end).
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|s| s == n) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(n.to_string());
            return Some(cycle);
        }
        if done.contains(n) {
            return None;
        }
        stack.push(n.to_string());
        for next in graph.get(n).into_iter().flatten() {
            if let Some(c) = visit(next, graph, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(n.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

// ---- the checker itself ----------------------------------------------------------------------

#[test]
fn the_checker_sees_grouped_nested_and_relative_imports() {
    let module: Vec<String> = vec!["pipeline".into(), "api".into()];
    let code = code_only(
        "use crate::{app::cli, store::{self as st, Store, Upsert}};\n\
         // use crate::app::daemon; in a comment\n\
         let s = \"crate::app::serve\";\n\
         use super::super::render;\n\
         fn f<'a>(x: &'a str) -> char { let _ = crate::core::text::f(x); 'x' }\n\
         mod tests { use super::*; use super::super::store::Store; }\n",
    );
    let found: Vec<String> = imports(&code, &module, false)
        .into_iter()
        .map(|i| format!("{}:{}", i.line, i.path.join("::")))
        .collect();
    assert_eq!(
        found,
        [
            "1:app::cli",
            "1:store",
            "1:store::Store",
            "1:store::Upsert",
            "4:render",
            "5:core::text::f",
            "6:pipeline::api::*",
            "6:pipeline::store::Store"
        ]
    );
}

#[test]
fn the_checker_finds_a_cycle_and_accepts_a_chain() {
    let graph = |edges: &[(&str, &str)]| {
        let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (a, b) in edges {
            g.entry(a.to_string()).or_default().insert(b.to_string());
        }
        g
    };
    assert_eq!(
        find_cycle(&graph(&[("cli", "daemon"), ("daemon", "cli")])),
        Some(vec!["cli".into(), "daemon".into(), "cli".into()])
    );
    assert_eq!(
        find_cycle(&graph(&[
            ("cli", "daemon"),
            ("daemon", "serve"),
            ("cli", "serve")
        ])),
        None
    );
}
