//! Reading `spec/`: parse every file, check it, and report every problem in one run.

use std::path::Path;

use crate::check::{self, Checker};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::ir;
use crate::locate::Locator;
use crate::model;

/// The largest spec file read; anything bigger is a mistake, not a spec.
const MAX_FILE_BYTES: u64 = 1 << 20;

/// Loads and checks the spec in `spec_dir` (`service.yaml` and `operations/*.yaml`).
///
/// File names in diagnostics are shown relative to `spec_dir`'s parent (the workspace root).
pub fn load(spec_dir: &Path) -> Result<ir::Spec, Diagnostics> {
    let root = spec_dir.parent().unwrap_or(spec_dir);
    let display = |p: &Path| {
        p.strip_prefix(root)
            .unwrap_or(p)
            .to_string_lossy()
            .replace('\\', "/")
    };
    let mut diagnostics = Vec::new();

    let service_path = spec_dir.join("service.yaml");
    let service_file = display(&service_path);
    let Some((service_model, service)) = read(&service_path, &service_file, &mut diagnostics)
        .and_then(|text| {
            let locator = Locator::new(&text);
            let mut c = Checker::new(&service_file, &locator);
            let parsed = parse::<model::Service>(&text, &mut c)?;
            let service = check::service(&mut c, &parsed);
            diagnostics.append(&mut c.diagnostics);
            Some((parsed, service))
        })
    else {
        return Err(Diagnostics(diagnostics));
    };

    let ops_dir = spec_dir.join("operations");
    let mut files: Vec<_> = match std::fs::read_dir(&ops_dir) {
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
    files.sort();

    let mut operations: Vec<ir::Op> = Vec::new();
    for path in &files {
        let file = display(path);
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if path.extension().is_some_and(|e| e == "yml") {
            diagnostics.push(file_error(&file, "operation files end in .yaml"));
            continue;
        }
        let Some(text) = read(path, &file, &mut diagnostics) else {
            continue;
        };
        let locator = Locator::new(&text);
        let mut c = Checker::new(&file, &locator);
        if let Some(parsed) = parse::<model::Operation>(&text, &mut c) {
            let op = check::operation(
                &mut c,
                &stem,
                &file,
                &parsed,
                &service_model,
                &service.limits,
            );
            if let Some(other) = operations
                .iter()
                .find(|o| o.name == op.name || o.module == op.module)
            {
                c.error(
                    "name",
                    format!("`{}` is also defined in {}", op.name, other.source),
                );
            }
            operations.push(op);
        }
        diagnostics.append(&mut c.diagnostics);
    }
    if files.is_empty() {
        diagnostics.push(file_error(&display(&ops_dir), "no operation files"));
    }

    if diagnostics.is_empty() {
        Ok(ir::Spec {
            service,
            operations,
        })
    } else {
        Err(Diagnostics(diagnostics))
    }
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

/// Parses `text` into `T`, recording serde_yaml's error (with its position) on failure.
fn parse<T: serde::de::DeserializeOwned>(text: &str, c: &mut Checker<'_>) -> Option<T> {
    match serde_yaml::from_str::<T>(text) {
        Ok(value) => Some(value),
        Err(e) => {
            let mut message = e.to_string();
            // serde_yaml appends " at line L column C"; the position goes in front instead.
            if let Some(i) = message.find(" at line ") {
                message.truncate(i);
            }
            c.error_at(e.location().map(|l| (l.line(), l.column())), message);
            None
        }
    }
}

fn file_error(file: &str, message: impl Into<String>) -> Diagnostic {
    Diagnostic {
        file: file.to_string(),
        position: None,
        key_path: String::new(),
        message: message.into(),
    }
}
