//! Reading `spec/`: parse every file, check it, and report every problem in one run.

use std::path::Path;

use heck::ToKebabCase;

use crate::check::{self, Checker};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::ir;
use crate::locate::Locator;
use crate::model;

/// The largest spec file read; anything bigger is a mistake, not a spec.
const MAX_FILE_BYTES: u64 = 1 << 20;

/// How diagnostics name the built-in `service.yaml` of [`load_with`].
pub const BUILTIN_SERVICE_FILE: &str = "service.yaml (built into cos-ci-codegen)";

/// One operation file after checking.
struct OpFile {
    file: String,
    stem: String,
    /// Where `name:` is, for problems found across files.
    name_position: Option<(usize, usize)>,
    /// Where `rust_name:` is, when the file has one: a clash of Rust names is reported there.
    rust_name_position: Option<(usize, usize)>,
    diagnostics: Vec<Diagnostic>,
    op: Option<ir::Op>,
}

/// Loads and checks the spec in `spec_dir` (`service.yaml` and `operations/*.yaml`).
///
/// File names in diagnostics are shown relative to `spec_dir`'s parent (the workspace root).
/// Every file is read even when an earlier one has problems, so one run reports them all;
/// within a file, problems are listed top to bottom.
pub fn load(spec_dir: &Path) -> Result<ir::Spec, Diagnostics> {
    load_with(spec_dir, None)
}

/// Like [`load`], but a spec folder without `service.yaml` takes `builtin_service` (the text
/// of a `service.yaml`) instead: a downstream crate describes its operations, not the service.
pub fn load_with(spec_dir: &Path, builtin_service: Option<&str>) -> Result<ir::Spec, Diagnostics> {
    let root = spec_dir.parent().unwrap_or(spec_dir);
    let display = |p: &Path| {
        p.strip_prefix(root)
            .unwrap_or(p)
            .to_string_lossy()
            .replace('\\', "/")
    };
    let mut diagnostics = Vec::new();

    let service_path = spec_dir.join("service.yaml");
    let mut service_file = display(&service_path);
    let mut service: Option<(model::Service, ir::Service)> = None;
    let service_text = match builtin_service {
        Some(text) if !service_path.exists() => {
            service_file = BUILTIN_SERVICE_FILE.to_string();
            Some(text.to_string())
        }
        _ => read(&service_path, &service_file, &mut diagnostics),
    };
    if let Some(text) = service_text {
        let locator = Locator::new(&text);
        let mut c = Checker::new(&service_file, &locator);
        if let Some(parsed) = parse::<model::Service>(&text, &locator, &mut c) {
            let checked = check::service(&mut c, &parsed);
            service = Some((parsed, checked));
        }
        diagnostics.extend(sorted(c.diagnostics));
    }

    let ops_dir = spec_dir.join("operations");
    let mut paths: Vec<_> = match std::fs::read_dir(&ops_dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
            .collect(),
        Err(e) => {
            diagnostics.push(file_error(
                &display(&ops_dir),
                format!("cannot read the folder: {e}"),
            ));
            Vec::new()
        }
    };
    paths.sort();
    if paths.is_empty() {
        diagnostics.push(file_error(
            &display(&ops_dir),
            "no operation files; each operation is one `<kebab-name>.yaml` here",
        ));
    }

    let files_service = service.as_ref().map(|(model, checked)| (model, checked));
    let mut files: Vec<OpFile> = paths
        .iter()
        .map(|path| op_file(path, display(path), files_service))
        .collect();
    across_files(&mut files);

    let mut operations = Vec::new();
    for f in files {
        diagnostics.extend(sorted(f.diagnostics));
        operations.extend(f.op);
    }
    match service {
        Some((_, service)) if diagnostics.is_empty() => Ok(ir::Spec {
            service,
            operations,
        }),
        _ => Err(Diagnostics(diagnostics)),
    }
}

/// Loads and checks the operation files (`*.yaml`) in each of `dirs` against the service
/// described by `service_yaml` (the text of a `service.yaml`, e.g. the one the built-in
/// operations were generated from), for a program that serves or calls operations it has no
/// generated code for.
///
/// Files are named in diagnostics by their path as given (`dir/file.yaml:line:col`); two
/// files of one operation name are refused naming both. Every file is read even when an
/// earlier one has problems.
pub fn load_operations(service_yaml: &str, dirs: &[&Path]) -> Result<Vec<ir::Op>, Diagnostics> {
    let mut diagnostics = Vec::new();
    let service_file = "service.yaml (built in)";
    let locator = Locator::new(service_yaml);
    let mut c = Checker::new(service_file, &locator);
    let service = parse::<model::Service>(service_yaml, &locator, &mut c).map(|parsed| {
        let checked = check::service(&mut c, &parsed);
        (parsed, checked)
    });
    diagnostics.extend(sorted(c.diagnostics));
    let Some((model, checked)) = service.filter(|_| diagnostics.is_empty()) else {
        return Err(Diagnostics(diagnostics));
    };

    let mut paths = Vec::new();
    for dir in dirs {
        match std::fs::read_dir(dir) {
            Ok(entries) => {
                let mut found: Vec<_> = entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
                    // A spec folder's own service.yaml is not an operation.
                    .filter(|p| p.file_name().is_none_or(|n| n != "service.yaml"))
                    .collect();
                found.sort();
                if found.is_empty() {
                    diagnostics.push(file_error(
                        &dir.to_string_lossy(),
                        "no operation files (`<kebab-name>.yaml`) in this folder",
                    ));
                }
                paths.extend(found);
            }
            Err(e) => diagnostics.push(file_error(
                &dir.to_string_lossy(),
                format!("cannot read the folder: {e}"),
            )),
        }
    }
    let mut files: Vec<OpFile> = paths
        .iter()
        .map(|path| {
            let file = path.to_string_lossy().replace('\\', "/");
            op_file(path, file, Some((&model, &checked)))
        })
        .collect();
    across_files(&mut files);
    let mut operations = Vec::new();
    for f in files {
        diagnostics.extend(sorted(f.diagnostics));
        operations.extend(f.op);
    }
    if diagnostics.is_empty() {
        Ok(operations)
    } else {
        Err(Diagnostics(diagnostics))
    }
}

/// Reads and checks one operation file, shown in diagnostics as `file`.
fn op_file(path: &Path, file: String, service: Option<(&model::Service, &ir::Service)>) -> OpFile {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut loaded = OpFile {
        file: file.clone(),
        stem,
        name_position: None,
        rust_name_position: None,
        diagnostics: Vec::new(),
        op: None,
    };
    if path.extension().is_some_and(|e| e == "yml") {
        loaded.diagnostics.push(file_error(
            &file,
            format!(
                "operation files end in .yaml; rename it to {}.yaml",
                loaded.stem
            ),
        ));
    } else if let Some(text) = read(path, &file, &mut loaded.diagnostics) {
        let locator = Locator::new(&text);
        loaded.name_position = locator.find(&["name".to_string()]);
        loaded.rust_name_position = locator.find(&["rust_name".to_string()]);
        let mut c = Checker::new(&file, &locator);
        if let Some(parsed) = parse::<model::Operation>(&text, &locator, &mut c) {
            loaded.op = Some(check::operation(
                &mut c,
                &loaded.stem,
                &file,
                &parsed,
                service,
            ));
        }
        loaded.diagnostics.append(&mut c.diagnostics);
    }
    loaded
}

/// Checks that need every operation: unique names and modules, file names.
fn across_files(files: &mut [OpFile]) {
    // (file index, name, module) of every operation that parsed; an operation's client method
    // is named after its module, so unique modules keep the methods apart too.
    let ops: Vec<(usize, String, String)> = files
        .iter()
        .enumerate()
        .filter_map(|(i, f)| {
            let op = f.op.as_ref()?;
            Some((i, op.name.clone(), op.module.clone()))
        })
        .collect();
    for (i, name, module) in &ops {
        let same: Vec<usize> = ops
            .iter()
            .filter(|(_, n, m)| n == name || m == module)
            .map(|(j, ..)| *j)
            .collect();
        // Of several files with one name, the one named after it owns the name (the others
        // are copies whose name was not changed); else the first.
        let owner = same
            .iter()
            .copied()
            .find(|&j| files.get(j).is_some_and(|f| owns(&f.stem, name)))
            .or_else(|| same.first().copied());
        let kebab = name.to_kebab_case();
        let (file, stem) = match files.get(*i) {
            Some(f) => (f.file.clone(), f.stem.clone()),
            None => continue,
        };
        // A clash of Rust names (not of ci-process names) is the `rust_name`'s, where there is one.
        let mut rust_clash = false;
        // Two names may give one Rust name (through `rust_name`): the earlier file keeps it.
        let module_clash = ops
            .iter()
            .find(|(j, n, m)| j < i && m == module && n != name)
            .and_then(|(j, ..)| files.get(*j))
            .map(|f| f.file.clone());
        let message = match owner {
            Some(o) if o != *i => {
                let other = files.get(o).map(|f| f.file.clone()).unwrap_or_default();
                let same_name = ops.iter().any(|(j, n, ..)| *j == o && n == name);
                let what = if same_name {
                    format!("the operation `{name}`")
                } else {
                    format!("the module `{module}`")
                };
                rust_clash = !same_name;
                Some(format!(
                    "{what} is also defined in {other}; every operation needs its own name"
                ))
            }
            _ if module_clash.is_some() => {
                rust_clash = true;
                Some(format!(
                    "the module `{module}` is also defined in {}; every operation needs its own name",
                    module_clash.unwrap_or_default()
                ))
            }
            // An operation with a `rust_name` may also be filed under it (`qrcode.yaml`).
            _ if stem != kebab && *stem != module.replace('_', "-") => Some(format!(
                "the file for `{name}` must be named `{kebab}.yaml` (or the name must match `{stem}.yaml`)"
            )),
            _ => None,
        };
        if let (Some(message), Some(f)) = (message, files.get_mut(*i)) {
            let (position, key_path) = match f.rust_name_position {
                Some(at) if rust_clash => (Some(at), "rust_name"),
                _ => (f.name_position, "name"),
            };
            f.diagnostics.push(Diagnostic {
                file,
                position,
                key_path: key_path.to_string(),
                message,
            });
        }
    }
}

fn owns(stem: &str, name: &str) -> bool {
    stem == name.to_kebab_case()
}

/// A file's problems top to bottom; those without a position last.
fn sorted(mut diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    diagnostics.sort_by_key(|d| (d.position.is_none(), d.position));
    diagnostics
}

fn read(path: &Path, file: &str, diagnostics: &mut Vec<Diagnostic>) -> Option<String> {
    match std::fs::metadata(path) {
        Ok(m) if m.len() > MAX_FILE_BYTES => {
            diagnostics.push(file_error(
                file,
                format!("larger than {MAX_FILE_BYTES} bytes"),
            ));
            return None;
        }
        Err(e) => {
            diagnostics.push(file_error(file, format!("cannot read: {e}")));
            return None;
        }
        Ok(_) => {}
    }
    match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(e) => {
            diagnostics.push(file_error(file, format!("cannot read: {e}")));
            None
        }
    }
}

/// Parses `text` into `T`, recording serde_norway's error (with its position) on failure.
///
/// A key that occurs twice in one mapping is reported instead of parsing: YAML keeps one of
/// the two silently, so whatever the checks said next would be about the wrong value.
fn parse<T: serde::de::DeserializeOwned>(
    text: &str,
    locator: &Locator,
    c: &mut Checker<'_>,
) -> Option<T> {
    if let Some(at) = locator.too_deep() {
        c.error_at(
            Some(at),
            format!(
                "nested more than {} levels deep; a spec file is not that deep",
                crate::locate::MAX_DEPTH
            ),
        );
        return None;
    }
    if !locator.duplicates().is_empty() {
        for d in locator.duplicates() {
            let (key, parent) = match d.path.split_last() {
                Some((key, parent)) if !parent.is_empty() => {
                    (key.clone(), format!("`{}`", parent.join(".")))
                }
                Some((key, _)) => (key.clone(), "the top level".to_string()),
                None => (String::new(), "the top level".to_string()),
            };
            c.error_at(
                Some(d.again),
                format!(
                    "`{key}` appears twice in {parent} (first at line {}); YAML would keep only one of them",
                    d.first.0
                ),
            );
        }
        return None;
    }
    if text
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        c.error_at(Some((1, 1)), "the file is empty");
        return None;
    }
    match serde_norway::from_str::<T>(text) {
        Ok(value) => Some(value),
        Err(e) => {
            let mut position = e.location().map(|l| (l.line(), l.column()));
            let mut message = serde_message(&e);
            if message.contains("repetition limit exceeded") {
                position = position.or(locator.first_alias());
                message = "the aliases expand to too much data (serde_norway's repetition limit)"
                    .to_string();
            }
            if position.is_none() && message.contains("more than one document") {
                position = locator.second_document();
                message =
                    "a spec file holds one YAML document; a second one starts here".to_string();
            }
            // serde_norway places a missing key at the first key of its mapping; the mapping's
            // own key says better where it belongs.
            if let Some(i) = message.find(": missing key `") {
                let path = message
                    .get(..i)
                    .unwrap_or_default()
                    .replace(['[', ']'], ".");
                let path = path.replace("..", ".");
                let path = path.trim_end_matches('.');
                if let Some(p) = locator.find(&locator.split(path)) {
                    position = Some(p);
                }
            }
            let at = position.and_then(|(line, col)| {
                let line = text.lines().nth(line.checked_sub(1)?)?;
                line.chars().nth(col.checked_sub(1)?)
            });
            if at == Some('\t') {
                message = "a tab cannot indent YAML; use spaces".to_string();
            }
            c.error_at(position, message);
            None
        }
    }
}

/// serde_norway's message without its position (that goes in front), in the spec's words.
fn serde_message(e: &serde_norway::Error) -> String {
    let mut message = e.to_string();
    if let Some(l) = e.location() {
        let at = format!(" at line {} column {}", l.line(), l.column());
        if let Some(i) = message.find(&at) {
            message.replace_range(i..i + at.len(), "");
        }
    }
    const WORDS: [(&str, &str); 10] = [
        ("missing field", "missing key"),
        ("unknown field", "unknown key"),
        ("duplicate field", "duplicate key"),
        ("expected usize", "expected a whole number 0 or more"),
        ("expected u64", "expected a whole number 0 or more"),
        (
            "expected u32",
            "expected a whole number from 0 to 4294967295",
        ),
        ("expected u16", "expected a whole number from 0 to 65535"),
        ("unit value", "null"),
        (
            "expected an array of length 2",
            "expected a list of two items",
        ),
        ("invalid length", "wrong number of items:"),
    ];
    for (from, to) in WORDS {
        message = message.replace(from, to);
    }
    message
}

fn file_error(file: &str, message: impl Into<String>) -> Diagnostic {
    Diagnostic {
        file: file.to_string(),
        position: None,
        key_path: String::new(),
        message: message.into(),
    }
}
