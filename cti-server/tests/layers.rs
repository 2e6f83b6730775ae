//! The library's modules import one way, and the clock is read in one place: read from the
//! source itself, so a change that breaks either fails here.
//!
//! Every `crate::…` path, and every `use` of `super::…`, `self::…` or a child module, is an
//! edge from the file's module to the deepest module the path names; the graph must have no
//! cycle. The binary's files (`main.rs`, `cli.rs`, `bin/`) are another crate and are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");

/// The library's source files, by module path (`crate`, `session`, `session::driver`).
fn modules() -> BTreeMap<String, String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("src is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "bin") {
                    walk(&path, out);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(Path::new(SRC), &mut files);
    let mut modules = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(SRC).expect("under src");
        let text = relative
            .with_extension("")
            .to_string_lossy()
            .replace('\\', "/");
        let name = match text.as_str() {
            "main" | "cli" => continue,
            "lib" => "crate".to_owned(),
            other => other.trim_end_matches("/mod").replace('/', "::"),
        };
        let source = std::fs::read_to_string(&file).expect("a source file is text");
        modules.insert(name, strip_comments(&source));
    }
    modules
}

/// The source without `//` comments (doc comments name paths that are not imports).
fn strip_comments(source: &str) -> String {
    source
        .lines()
        .map(|line| match line.find("//") {
            Some(i) if !line[..i].contains('"') => &line[..i],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `a::{b, c::{d, e}}` expanded to `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<String> {
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    let (Some(open), Some(close)) = (tree.find('{'), tree.rfind('}')) else {
        return vec![tree];
    };
    if close < open {
        return vec![tree];
    }
    let prefix = &tree[..open];
    let inner = &tree[open + 1..close];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .flat_map(expand)
        .map(|p| format!("{prefix}{p}"))
        .collect()
}

/// The paths a module's source names: every `crate::…` path, and the trees of its `use`s.
fn paths(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in source.match_indices("crate::") {
        if source[..i].chars().next_back().is_some_and(is_ident) {
            continue;
        }
        let rest = &source[i..];
        let end = rest
            .find(|c: char| !(is_ident(c) || c == ':'))
            .unwrap_or(rest.len());
        let path = rest[..end].trim_end_matches(':');
        // `crate::{a, b}` is a `use` tree: expanded below.
        if path != "crate" {
            out.push(path.to_owned());
        }
    }
    for (i, _) in source.match_indices("use ") {
        if source[..i].chars().next_back().is_some_and(is_ident) {
            continue;
        }
        let rest = &source[i + 4..];
        let Some(end) = rest.find(';') else { continue };
        out.extend(expand(&rest[..end]));
    }
    out
}

/// The module a path names, seen from module `from`; `None` for other crates and itself.
fn target(
    from: &str,
    path: &str,
    modules: &BTreeMap<String, String>,
    from_is_dir: bool,
) -> Option<String> {
    let segments: Vec<&str> = path.split("::").map(|s| s.trim()).collect();
    let own: Vec<&str> = if from == "crate" {
        Vec::new()
    } else {
        from.split("::").collect()
    };
    // A file `a/b.rs` is module `a::b`; `super` is `a`. Inside `a/mod.rs`, `super` is `a`'s parent.
    let (base, rest): (Vec<&str>, &[&str]) = match segments.first().copied() {
        Some("crate") => (Vec::new(), &segments[1..]),
        Some("self") => (own.clone(), &segments[1..]),
        Some("super") => {
            let mut parent = own.clone();
            parent.pop();
            (parent, &segments[1..])
        }
        Some(first) => {
            let mut child = own.clone();
            child.push(first);
            if from_is_dir && modules.contains_key(&child.join("::")) {
                (own.clone(), &segments[..])
            } else if from == "crate" && modules.contains_key(first) {
                (Vec::new(), &segments[..])
            } else {
                return None;
            }
        }
        None => return None,
    };
    let mut best = if base.is_empty() {
        "crate".to_owned()
    } else {
        base.join("::")
    };
    let mut current = base;
    for segment in rest {
        current.push(segment);
        let name = current.join("::");
        if modules.contains_key(&name) {
            best = name;
        } else {
            break;
        }
    }
    (best != from).then_some(best)
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules();
    let dirs: BTreeSet<String> = std::fs::read_dir(SRC)
        .expect("src is readable")
        .filter_map(|e| {
            let path = e.ok()?.path();
            (path.is_dir() && path.join("mod.rs").is_file())
                .then(|| path.file_name()?.to_str().map(str::to_owned))?
        })
        .collect();
    modules
        .iter()
        .map(|(name, source)| {
            let from_is_dir = name == "crate" || dirs.contains(name);
            // An inline `mod tests` is part of its file: its `super` is the file's module.
            let (code, tests) = source
                .split_once("\nmod tests {")
                .map_or((source.as_str(), String::new()), |(code, tests)| {
                    (code, tests.replace("super::", "self::"))
                });
            let edges = paths(code)
                .into_iter()
                .chain(paths(&tests))
                .filter_map(|p| target(name, &p, &modules, from_is_dir))
                .collect();
            (name.clone(), edges)
        })
        .collect()
}

/// A cycle through `node`, if any, as the modules along it.
fn cycle_from(
    node: &str,
    graph: &BTreeMap<String, BTreeSet<String>>,
    stack: &mut Vec<String>,
    done: &mut BTreeSet<String>,
) -> Option<Vec<String>> {
    if let Some(at) = stack.iter().position(|n| n == node) {
        let mut cycle = stack[at..].to_vec();
        cycle.push(node.to_owned());
        return Some(cycle);
    }
    if done.contains(node) {
        return None;
    }
    stack.push(node.to_owned());
    for next in graph.get(node).into_iter().flatten() {
        if let Some(cycle) = cycle_from(next, graph, stack, done) {
            return Some(cycle);
        }
    }
    stack.pop();
    done.insert(node.to_owned());
    None
}

#[test]
fn no_module_imports_a_module_that_imports_it_back() {
    let graph = graph();
    assert!(graph.len() > 20, "the walk found the modules: {graph:?}");
    assert!(
        graph["ws"].contains("session") && graph["session::driver"].contains("session::hub"),
        "the scan sees imports: {graph:?}"
    );
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(cycle) = cycle_from(node, &graph, &mut Vec::new(), &mut done) {
            panic!("import cycle: {}", cycle.join(" → "));
        }
    }
}

#[test]
fn the_scan_finds_a_cycle_when_there_is_one() {
    let mut graph = graph();
    graph
        .get_mut("config")
        .expect("config is a module")
        .insert("server".to_owned());
    let mut done = BTreeSet::new();
    let found = graph
        .keys()
        .find_map(|n| cycle_from(n, &graph, &mut Vec::new(), &mut done));
    assert!(found.is_some(), "config → server → config must be found");
}

#[test]
fn the_clock_is_read_in_clock_rs_alone() {
    for (name, source) in modules() {
        if name == "clock" {
            continue;
        }
        for call in [
            "Instant::now()",
            "Utc::now()",
            "SystemTime::now()",
            ".elapsed()",
        ] {
            assert!(
                !source.contains(call),
                "{name} reads the clock ({call}): use crate::clock"
            );
        }
    }
}
