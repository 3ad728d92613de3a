//! Semantic checks over the typed model, producing the IR the emitters use.
//!
//! Every check records a diagnostic and goes on, so one run reports every problem.

use heck::{ToKebabCase, ToSnakeCase, ToUpperCamelCase};
use indexmap::IndexMap;
use serde_yaml::Value;

use crate::diagnostic::Diagnostic;
use crate::ir;
use crate::locate::Locator;
use crate::model;

const MODES: [(&str, &str); 3] = [("download", "GET"), ("upload", "PUT"), ("cloud", "POST")];
const SCALARS: [&str; 4] = ["string", "integer", "number", "boolean"];
const PARAM_TYPES: [&str; 5] = ["integer", "number", "flag", "text", "pair"];
/// Query names the runtime handles itself.
const RESERVED_PARAMS: [&str; 2] = ["ci-process", "detect-url"];
const DEFAULT_MAX_TEXT: usize = 1024;

/// Collects diagnostics for one file.
pub struct Checker<'a> {
    file: &'a str,
    locator: &'a Locator,
    /// Problems found so far.
    pub diagnostics: Vec<Diagnostic>,
}

impl<'a> Checker<'a> {
    /// A checker for `file` whose keys `locator` knows.
    pub fn new(file: &'a str, locator: &'a Locator) -> Self {
        Checker {
            file,
            locator,
            diagnostics: Vec::new(),
        }
    }

    /// Records a problem at a known position (serde_yaml's own errors).
    pub fn error_at(&mut self, position: Option<(usize, usize)>, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic {
            file: self.file.to_string(),
            position,
            key_path: String::new(),
            message: message.into(),
        });
    }

    /// Records a problem at key path `path` (dot separated).
    pub fn error(&mut self, path: &str, message: impl Into<String>) {
        let segments: Vec<String> = if path.is_empty() {
            Vec::new()
        } else {
            path.split('.').map(str::to_string).collect()
        };
        self.diagnostics.push(Diagnostic {
            file: self.file.to_string(),
            position: self.locator.find(&segments),
            key_path: path.to_string(),
            message: message.into(),
        });
    }
}

/// Checks `service.yaml`.
pub fn service(c: &mut Checker<'_>, s: &model::Service) -> ir::Service {
    for (i, (name, method)) in MODES.iter().enumerate() {
        match s.modes.get_index_of(*name) {
            Some(at) if at == i => {
                if s.modes[*name].method != *method {
                    c.error(
                        &format!("modes.{name}.method"),
                        format!("mode `{name}` uses {method}"),
                    );
                }
            }
            _ => c.error("modes", format!("modes must be download, upload, cloud in this order (missing or misplaced `{name}`)")),
        }
    }
    for (name, def) in &s.modes {
        let wants_pic = name != "download";
        if def.pic_operations != wants_pic {
            c.error(
                &format!("modes.{name}.pic_operations"),
                format!("must be {wants_pic}"),
            );
        }
        let query = if name == "cloud" {
            Some("image_process")
        } else {
            None
        };
        if def.query.as_deref() != query {
            c.error(&format!("modes.{name}.query"), format!("must be {query:?}"));
        }
        if def.doc.trim().is_empty() {
            c.error(&format!("modes.{name}.doc"), "the doc is empty");
        }
    }
    for name in s.modes.keys() {
        if !MODES.iter().any(|(m, _)| m == name) {
            c.error(&format!("modes.{name}"), format!("unknown mode `{name}`"));
        }
    }
    for kind in ["cos", "pic"] {
        if !s.hosts.contains_key(kind) {
            c.error("hosts", format!("missing host kind `{kind}`"));
        }
    }
    for (kind, template) in &s.hosts {
        if !template.contains("{bucket}") || !template.contains("{region}") {
            c.error(
                &format!("hosts.{kind}"),
                "a host template needs {bucket} and {region}",
            );
        }
    }
    if s.pic_operations.max_rules == 0 {
        c.error("pic_operations.max_rules", "must be at least 1");
    }
    let limits = limits(c, "limits", &s.limits, None);
    if !s.errors.contains_key(&s.param_error_code) {
        c.error(
            "param_error_code",
            format!("`{}` is not in errors", s.param_error_code),
        );
    }
    for (code, def) in &s.errors {
        if !code.chars().all(|ch| ch.is_ascii_alphanumeric()) || code.is_empty() {
            c.error(
                &format!("errors.{code}"),
                "an error code is letters and digits",
            );
        }
        if !(300..=599).contains(&def.status) {
            c.error(
                &format!("errors.{code}.status"),
                format!("{} is not an error status", def.status),
            );
        }
    }
    for required in [
        "InvalidArgument",
        "SignatureDoesNotMatch",
        "AccessDenied",
        "NoSuchKey",
        "InternalError",
    ] {
        if !s.errors.contains_key(required) {
            c.error("errors", format!("missing error code `{required}`"));
        }
    }
    ir::Service {
        hosts: s
            .hosts
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        host_suffixes: s.host_suffixes.clone(),
        pic_operations_header: s.pic_operations.header.clone(),
        max_rules: s.pic_operations.max_rules,
        limits,
        param_error_code: s.param_error_code.clone(),
        errors: s
            .errors
            .iter()
            .map(|(k, v)| (k.clone(), v.status, v.message.clone()))
            .collect(),
        error_xml: tree(c, "error_xml", &s.error_xml),
        upload_result: tree(c, "upload_result", &s.upload_result),
    }
}

fn limits(
    c: &mut Checker<'_>,
    path: &str,
    l: &model::LimitsDef,
    base: Option<&ir::Limits>,
) -> ir::Limits {
    let mut pick = |name: &str, v: Option<u64>, b: Option<u64>| -> u64 {
        match (v, b) {
            (Some(0), _) => {
                c.error(&format!("{path}.{name}"), "must be greater than 0");
                1
            }
            (Some(v), _) => v,
            (None, Some(b)) => b,
            (None, None) => {
                c.error(path, format!("missing `{name}`"));
                1
            }
        }
    };
    let max_input_bytes = pick(
        "max_input_bytes",
        l.max_input_bytes,
        base.map(|b| b.max_input_bytes),
    );
    let max_width = pick(
        "max_width",
        l.max_width.map(u64::from),
        base.map(|b| u64::from(b.max_width)),
    );
    let max_height = pick(
        "max_height",
        l.max_height.map(u64::from),
        base.map(|b| u64::from(b.max_height)),
    );
    let max_pixels = pick("max_pixels", l.max_pixels, base.map(|b| b.max_pixels));
    ir::Limits {
        max_input_bytes,
        max_width: u32::try_from(max_width).unwrap_or(u32::MAX),
        max_height: u32::try_from(max_height).unwrap_or(u32::MAX),
        max_pixels,
    }
}

/// Checks a node tree: every node has exactly one of `type` and `nodes`.
fn tree(c: &mut Checker<'_>, path: &str, t: &model::NodeTree) -> ir::Tree {
    if !is_xml_name(&t.root) {
        c.error(
            &format!("{path}.root"),
            format!("`{}` is not an XML element name", t.root),
        );
    }
    let type_name = t
        .rust_name
        .clone()
        .unwrap_or_else(|| t.root.to_upper_camel_case());
    let mut names = vec![type_name.clone()];
    let nodes = nodes(c, &format!("{path}.nodes"), &t.nodes, &mut names);
    ir::Tree {
        root: t.root.clone(),
        type_name,
        nodes,
    }
}

fn nodes(
    c: &mut Checker<'_>,
    path: &str,
    map: &IndexMap<String, model::Node>,
    type_names: &mut Vec<String>,
) -> Vec<ir::Node> {
    if map.is_empty() {
        c.error(path, "a container needs at least one node");
    }
    let mut fields: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for (name, node) in map {
        let here = format!("{path}.{name}");
        if !is_xml_name(name) {
            c.error(&here, format!("`{name}` is not an XML element name"));
        }
        let field = node.field.clone().unwrap_or_else(|| name.to_snake_case());
        if fields.contains(&field) {
            c.error(
                &here,
                format!("two nodes map to the Rust field `{field}`; set `field`"),
            );
        }
        fields.push(field.clone());
        let type_name = node
            .rust_name
            .clone()
            .unwrap_or_else(|| name.to_upper_camel_case());
        let children = match (&node.ty, &node.nodes) {
            (Some(ty), None) => {
                if !SCALARS.contains(&ty.as_str()) {
                    c.error(
                        &format!("{here}.type"),
                        format!(
                            "unknown node type `{ty}`; expected one of {}",
                            SCALARS.join(", ")
                        ),
                    );
                }
                if node.rust_name.is_some() {
                    c.error(&here, "`rust_name` is for containers");
                }
                Vec::new()
            }
            (None, Some(children)) => {
                if type_names.contains(&type_name) {
                    c.error(
                        &here,
                        format!("the Rust type `{type_name}` is already used in this document; set `rust_name`"),
                    );
                }
                type_names.push(type_name.clone());
                if node.example.is_some() {
                    c.error(
                        &format!("{here}.example"),
                        "only scalar nodes take an example",
                    );
                }
                nodes(c, &format!("{here}.nodes"), children, type_names)
            }
            (Some(_), Some(_)) => {
                c.error(&here, "a node has either `type` or `nodes`, not both");
                Vec::new()
            }
            (None, None) => {
                c.error(&here, "a node needs a `type` or child `nodes`");
                Vec::new()
            }
        };
        let example = node.example.as_ref().and_then(|v| match scalar_text(v) {
            Some(text) => Some(text),
            None => {
                c.error(&format!("{here}.example"), "an example is a scalar");
                None
            }
        });
        if let (Some(ty), Some(ex)) = (&node.ty, &example) {
            let ok = match ty.as_str() {
                "integer" => ex.parse::<i64>().is_ok(),
                "number" => ex.parse::<f64>().is_ok(),
                "boolean" => ex == "true" || ex == "false",
                _ => true,
            };
            if !ok {
                c.error(&format!("{here}.example"), format!("`{ex}` is not a {ty}"));
            }
        }
        out.push(ir::Node {
            name: name.clone(),
            field: rust_field(&field),
            scalar: node.ty.clone(),
            type_name,
            optional: node.optional,
            repeated: node.repeated,
            doc: node.doc.clone(),
            example,
            nodes: children,
        });
    }
    out
}

/// Checks one operation file whose stem is `stem`.
pub fn operation(
    c: &mut Checker<'_>,
    stem: &str,
    source: &str,
    op: &model::Operation,
    service: &model::Service,
    defaults: &ir::Limits,
) -> ir::Op {
    if op.name.is_empty()
        || !op.name.starts_with(|ch: char| ch.is_ascii_alphabetic())
        || !op
            .name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
    {
        c.error("name", format!("`{}` is not a ci-process name", op.name));
    }
    let kebab = op.name.to_kebab_case();
    if stem != kebab {
        c.error(
            "name",
            format!("the file for `{}` must be named `{kebab}.yaml`", op.name),
        );
    }
    if op.summary.trim().is_empty() {
        c.error("summary", "the summary is empty");
    }
    if op.modes.is_empty() {
        c.error("modes", "an operation needs at least one mode");
    }
    for (i, mode) in op.modes.iter().enumerate() {
        if !MODES.iter().any(|(m, _)| m == mode) {
            c.error(
                &format!("modes.{i}"),
                format!("unknown mode `{mode}`; expected download, upload or cloud"),
            );
        } else if op.modes[..i].contains(mode) {
            c.error(
                &format!("modes.{i}"),
                format!("mode `{mode}` is listed twice"),
            );
        }
    }
    // Permissions: exactly the declared modes, well-formed actions.
    for mode in &op.modes {
        if !op.permissions.contains_key(mode) {
            c.error("permissions", format!("no permissions for mode `{mode}`"));
        }
    }
    for (mode, actions) in &op.permissions {
        if !op.modes.contains(mode) {
            c.error(
                &format!("permissions.{mode}"),
                format!("`{mode}` is not one of this operation's modes"),
            );
        }
        if actions.is_empty() {
            c.error(
                &format!("permissions.{mode}"),
                "a mode needs at least one action",
            );
        }
        for (i, action) in actions.iter().enumerate() {
            if !is_action(action) {
                c.error(
                    &format!("permissions.{mode}.{i}"),
                    format!("`{action}` is not a CAM action like cos:GetObject or ci:CreateXJob"),
                );
            }
        }
    }
    for (action, aliases) in &op.permission_aliases {
        if !op.permissions.values().any(|a| a.contains(action)) {
            c.error(
                &format!("permission_aliases.{action}"),
                format!("`{action}` is not an action of this operation"),
            );
        }
        for (i, alias) in aliases.iter().enumerate() {
            if !is_action(alias) {
                c.error(
                    &format!("permission_aliases.{action}.{i}"),
                    format!("`{alias}` is not a CAM action"),
                );
            }
        }
    }
    let detect_url = if op.source.detect_url {
        let host = op
            .source
            .detect_url_host
            .clone()
            .unwrap_or_else(|| "cos".to_string());
        if !service.hosts.contains_key(&host) {
            c.error(
                "source.detect_url_host",
                format!("unknown host kind `{host}`"),
            );
        }
        Some(host)
    } else {
        if op.source.detect_url_host.is_some() {
            c.error("source.detect_url_host", "set only with detect_url: true");
        }
        None
    };

    let mut params = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    for (name, p) in &op.params {
        let path = format!("params.{name}");
        if let Some(param) = param(c, &path, &op.type_name_hint(), name, p) {
            if fields.contains(&param.field) {
                c.error(
                    &path,
                    format!("two parameters map to the Rust field `{}`", param.field),
                );
            }
            fields.push(param.field.clone());
            params.push(param);
        }
    }
    if params.iter().filter(|p| p.ignore_error).count() > 1 {
        c.error("params", "at most one parameter is the ignore-error flag");
    }

    let (response, png) = match op.output.download.as_str() {
        "image" => {
            if op.output.response.is_some() {
                c.error("output.response", "an image answer has no node tree");
            }
            let png = match op.output.format.as_deref() {
                None => false,
                Some("png") => true,
                Some(other) => {
                    c.error(
                        "output.format",
                        format!("unknown format `{other}`; only png can be forced"),
                    );
                    false
                }
            };
            if op.mock.processor == "xml" {
                c.error(
                    "mock.processor",
                    "`xml` is for operations whose download answer is xml",
                );
            }
            (None, png)
        }
        "xml" => {
            if op.output.format.is_some() {
                c.error("output.format", "an XML answer has no image format");
            }
            if op.mock.processor != "xml" {
                c.error("mock.processor", "an XML answer needs the `xml` processor");
            }
            match &op.output.response {
                Some(t) => (Some(tree(c, "output.response", t)), false),
                None => {
                    c.error("output", "`download: xml` needs a `response` node tree");
                    (None, false)
                }
            }
        }
        other => {
            c.error(
                "output.download",
                format!("unknown output `{other}`; expected image or xml"),
            );
            (None, false)
        }
    };
    if !service.mock_processors.contains(&op.mock.processor) {
        c.error(
            "mock.processor",
            format!(
                "unknown processor `{}`; the mock has {}",
                op.mock.processor,
                service.mock_processors.join(", ")
            ),
        );
    }
    let limits = limits(c, "limits", &op.limits, Some(defaults));

    let mut examples = Vec::new();
    for (i, ex) in op.examples.iter().enumerate() {
        examples.push(example(c, &format!("examples.{i}"), ex, &params));
    }

    ir::Op {
        name: op.name.clone(),
        file: stem.to_string(),
        source: source.to_string(),
        module: op.name.to_snake_case(),
        type_name: op.type_name_hint(),
        summary: op.summary.trim().to_string(),
        doc_url: op.doc_url.clone(),
        modes: op.modes.clone(),
        detect_url,
        permissions: op
            .permissions
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        permission_aliases: op
            .permission_aliases
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        params,
        response,
        png,
        limits,
        processor: op.mock.processor.clone(),
        examples,
    }
}

impl model::Operation {
    fn type_name_hint(&self) -> String {
        self.name.to_upper_camel_case()
    }
}

fn param(
    c: &mut Checker<'_>,
    path: &str,
    op_type: &str,
    name: &str,
    p: &model::Param,
) -> Option<ir::Param> {
    if name.is_empty()
        || !name.starts_with(|ch: char| ch.is_ascii_alphabetic())
        || !name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
    {
        c.error(path, format!("`{name}` is not a parameter name"));
    }
    if RESERVED_PARAMS.contains(&name) {
        c.error(
            path,
            format!("`{name}` is handled by the runtime; declare it under `source`"),
        );
    }
    if !PARAM_TYPES.contains(&p.ty.as_str()) {
        c.error(
            &format!("{path}.type"),
            format!(
                "unknown type `{}`; expected one of {}",
                p.ty,
                PARAM_TYPES.join(", ")
            ),
        );
        return None;
    }
    if p.doc.trim().is_empty() {
        c.error(&format!("{path}.doc"), "the doc is empty");
    }
    let only = |c: &mut Checker<'_>, key: &str, set: bool, ty: &str| {
        if set {
            c.error(
                &format!("{path}.{key}"),
                format!("`{key}` does not apply to type {ty}"),
            );
        }
    };
    let ty = p.ty.as_str();
    only(c, "separator", p.separator.is_some() && ty != "pair", ty);
    only(c, "names", p.names.is_some() && ty != "pair", ty);
    only(c, "max_len", p.max_len.is_some() && ty != "text", ty);
    only(
        c,
        "variant_prefix",
        p.variant_prefix.is_some() && !(ty == "integer" && p.values.is_some()),
        ty,
    );
    only(
        c,
        "range",
        p.range.is_some() && (ty == "flag" || ty == "text"),
        ty,
    );
    only(
        c,
        "values",
        p.values.is_some() && !(ty == "integer" || ty == "text"),
        ty,
    );
    if p.ignore_error && ty != "flag" {
        c.error(
            &format!("{path}.ignore_error"),
            "the ignore-error parameter must be a flag",
        );
    }
    let kind = match ty {
        "integer" => match (&p.range, &p.values) {
            (Some(range), None) => {
                let (min, max) = int_range(c, path, range)?;
                ir::Kind::Integer { min, max }
            }
            (None, Some(values)) => {
                let mut ints = Vec::new();
                for (i, v) in values.iter().enumerate() {
                    match v.as_i64() {
                        Some(n) if ints.contains(&n) => c.error(
                            &format!("{path}.values.{i}"),
                            format!("{n} is listed twice"),
                        ),
                        Some(n) if n < 0 => {
                            c.error(&format!("{path}.values.{i}"), "set values are not negative")
                        }
                        Some(n) => ints.push(n),
                        None => c.error(&format!("{path}.values.{i}"), "not an integer"),
                    }
                }
                if ints.is_empty() {
                    c.error(&format!("{path}.values"), "a closed set needs values");
                }
                ir::Kind::IntegerSet {
                    values: ints,
                    prefix: p.variant_prefix.clone().unwrap_or_else(|| "V".to_string()),
                }
            }
            (Some(_), Some(_)) => {
                c.error(path, "an integer has `range` or `values`, not both");
                return None;
            }
            (None, None) => {
                c.error(
                    path,
                    "an integer needs `range: [min, max]` or `values: [...]`",
                );
                return None;
            }
        },
        "number" => {
            let Some(range) = &p.range else {
                c.error(path, "a number needs `range: [min, max]`");
                return None;
            };
            let (min, max) = match (range[0].as_f64(), range[1].as_f64()) {
                (Some(a), Some(b)) => (a, b),
                _ => {
                    c.error(&format!("{path}.range"), "the range bounds are not numbers");
                    return None;
                }
            };
            if min > max {
                c.error(
                    &format!("{path}.range"),
                    format!("the range is out of order: {min} > {max}"),
                );
            }
            ir::Kind::Number { min, max }
        }
        "flag" => ir::Kind::Flag,
        "text" => {
            let mut values = Vec::new();
            for (i, v) in p.values.iter().flatten().enumerate() {
                match v.as_str() {
                    Some(s) if values.iter().any(|x: &String| x == s) => c.error(
                        &format!("{path}.values.{i}"),
                        format!("`{s}` is listed twice"),
                    ),
                    Some(s) => values.push(s.to_string()),
                    None => c.error(&format!("{path}.values.{i}"), "not a string"),
                }
            }
            ir::Kind::Text {
                values,
                max_len: p.max_len.unwrap_or(DEFAULT_MAX_TEXT),
            }
        }
        _ => {
            let Some(range) = &p.range else {
                c.error(path, "a pair needs `range: [min, max]`");
                return None;
            };
            let (min, max) = int_range(c, path, range)?;
            let (Ok(min), Ok(max)) = (u32::try_from(min), u32::try_from(max)) else {
                c.error(
                    &format!("{path}.range"),
                    "a pair's bounds are 0..=4294967295",
                );
                return None;
            };
            let separator = match p.separator.as_deref() {
                Some(s) if s.chars().count() == 1 && !s.chars().any(|ch| ch.is_ascii_digit()) => {
                    s.chars().next().unwrap_or('x')
                }
                Some(s) => {
                    c.error(
                        &format!("{path}.separator"),
                        format!("`{s}` is not a single non-digit character"),
                    );
                    'x'
                }
                None => {
                    c.error(path, "a pair needs a `separator`");
                    'x'
                }
            };
            let names = p
                .names
                .clone()
                .unwrap_or_else(|| ["first".to_string(), "second".to_string()]);
            ir::Kind::Pair {
                separator,
                min,
                max,
                names,
            }
        }
    };
    let default = match &p.default {
        None => None,
        Some(v) => match wire_value(v) {
            Some(wire) => {
                if let Err(msg) = fits(&kind, &wire) {
                    c.error(&format!("{path}.default"), format!("default {msg}"));
                }
                Some(wire)
            }
            None => {
                c.error(&format!("{path}.default"), "a default is a scalar");
                None
            }
        },
    };
    if p.required && default.is_some() {
        c.error(
            &format!("{path}.default"),
            "a required parameter has no default",
        );
    }
    let _ = op_type;
    Some(ir::Param {
        name: name.to_string(),
        field: rust_field(&name.to_snake_case()),
        doc: p.doc.trim().to_string(),
        kind,
        default,
        required: p.required,
        ignore_error: p.ignore_error,
        type_name: name.to_upper_camel_case(),
    })
}

fn int_range(c: &mut Checker<'_>, path: &str, range: &[Value; 2]) -> Option<(i64, i64)> {
    match (range[0].as_i64(), range[1].as_i64()) {
        (Some(min), Some(max)) => {
            if min > max {
                c.error(
                    &format!("{path}.range"),
                    format!("the range is out of order: {min} > {max}"),
                );
            }
            Some((min, max))
        }
        _ => {
            c.error(
                &format!("{path}.range"),
                "the range bounds are not integers",
            );
            None
        }
    }
}

fn example(
    c: &mut Checker<'_>,
    path: &str,
    ex: &model::Example,
    params: &[ir::Param],
) -> ir::Example {
    let mut pairs = Vec::new();
    let mut violated = Vec::new();
    for (name, v) in &ex.params {
        let here = format!("{path}.params.{name}");
        let Some(param) = params.iter().find(|p| &p.name == name) else {
            c.error(
                &here,
                format!("`{name}` is not a parameter of this operation"),
            );
            continue;
        };
        let Some(wire) = wire_value(v) else {
            c.error(&here, "an example value is a scalar");
            continue;
        };
        if fits(&param.kind, &wire).is_err() {
            violated.push(name.clone());
        }
        pairs.push((name.clone(), wire));
    }
    match &ex.error {
        Some(param) => {
            if !ex.params.contains_key(param) {
                c.error(
                    &format!("{path}.error"),
                    format!("`{param}` is not among the example's params"),
                );
            } else if !violated.contains(param) {
                c.error(
                    &format!("{path}.error"),
                    format!("the value of `{param}` is inside its range"),
                );
            }
            if ex.query.is_some() || ex.rule.is_some() {
                c.error(path, "an error example has no query or rule");
            }
        }
        None => {
            for name in &violated {
                c.error(
                    &format!("{path}.params.{name}"),
                    format!("the example's `{name}` is outside its range"),
                );
            }
            if ex.query.is_none() && ex.rule.is_none() {
                c.error(path, "an example needs a `query`, a `rule` or an `error`");
            }
        }
    }
    ir::Example {
        params: pairs,
        query: ex.query.clone(),
        rule: ex.rule.clone(),
        error: ex.error.clone(),
    }
}

/// A scalar YAML value in wire form: booleans become 1/0.
fn wire_value(v: &Value) -> Option<String> {
    match v {
        Value::Bool(b) => Some(if *b { "1" } else { "0" }.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// Whether `wire` is an allowed value of `kind`; the message says why not.
fn fits(kind: &ir::Kind, wire: &str) -> Result<(), String> {
    let ok = match kind {
        ir::Kind::Integer { min, max } => wire
            .parse::<i64>()
            .is_ok_and(|v| (*min..=*max).contains(&v)),
        ir::Kind::IntegerSet { values, .. } => {
            wire.parse::<i64>().is_ok_and(|v| values.contains(&v))
        }
        ir::Kind::Number { min, max } => wire
            .parse::<f64>()
            .is_ok_and(|v| (*min..=*max).contains(&v)),
        ir::Kind::Flag => wire == "0" || wire == "1",
        ir::Kind::Text { values, max_len } => {
            wire.len() <= *max_len && (values.is_empty() || values.iter().any(|v| v == wire))
        }
        ir::Kind::Pair {
            separator,
            min,
            max,
            ..
        } => wire.split_once(*separator).is_some_and(|(a, b)| {
            let inside = |s: &str| s.parse::<u32>().is_ok_and(|v| (*min..=*max).contains(&v));
            inside(a) && inside(b)
        }),
    };
    if ok {
        Ok(())
    } else {
        Err(format!("`{wire}` is outside {}", describe(kind)))
    }
}

fn describe(kind: &ir::Kind) -> String {
    match kind {
        ir::Kind::Integer { min, max } => format!("{min}..={max}"),
        ir::Kind::IntegerSet { values, .. } => format!("{values:?}"),
        ir::Kind::Number { min, max } => format!("{min}..={max}"),
        ir::Kind::Flag => "0 or 1".to_string(),
        ir::Kind::Text { values, max_len } if values.is_empty() => {
            format!("text of at most {max_len} bytes")
        }
        ir::Kind::Text { values, .. } => format!("{values:?}"),
        ir::Kind::Pair {
            separator,
            min,
            max,
            ..
        } => format!("<a>{separator}<b> with each in {min}..={max}"),
    }
}

fn is_action(action: &str) -> bool {
    match action.split_once(':') {
        Some((service, name)) => {
            (service == "cos" || service == "ci")
                && !name.is_empty()
                && name.starts_with(|ch: char| ch.is_ascii_uppercase())
                && name.chars().all(|ch| ch.is_ascii_alphanumeric())
        }
        None => false,
    }
}

fn is_xml_name(name: &str) -> bool {
    name.starts_with(|ch: char| ch.is_ascii_alphabetic() || ch == '_')
        && name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-' || ch == '.')
}

/// A Rust field name; keywords become raw identifiers.
fn rust_field(name: &str) -> String {
    const KEYWORDS: [&str; 38] = [
        "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum",
        "extern", "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move",
        "mut", "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true",
        "type", "unsafe", "use", "where", "while", "gen",
    ];
    let name = name.replace('-', "_");
    let name = if name.starts_with(|ch: char| ch.is_ascii_digit()) {
        format!("_{name}")
    } else {
        name
    };
    if KEYWORDS.contains(&name.as_str()) {
        format!("r#{name}")
    } else {
        name
    }
}
