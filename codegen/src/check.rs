//! Semantic checks over the typed model, producing the IR the emitters use.
//!
//! Every check records a diagnostic and goes on, so one run reports every problem.

use heck::{ToSnakeCase, ToUpperCamelCase};
use indexmap::IndexMap;
use serde_norway::Value;

use crate::diagnostic::Diagnostic;
use crate::ir;
use crate::locate::Locator;
use crate::model;

const MODES: [(&str, &str); 3] = [("download", "GET"), ("upload", "PUT"), ("cloud", "POST")];
/// The host kinds `cos_ci_validate::HostKind` has.
const HOST_KINDS: [&str; 3] = ["cos", "pic", "ci"];
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

    /// Records a problem at a known position (serde_norway's own errors).
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
        let segments = self.locator.split(path);
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
    // The three modes, in this order; unknown ones are reported on their own.
    let known: Vec<&str> = s
        .modes
        .keys()
        .map(String::as_str)
        .filter(|name| MODES.iter().any(|(m, _)| m == name))
        .collect();
    let expected: Vec<&str> = MODES.iter().map(|(m, _)| *m).collect();
    if known != expected {
        let missing: Vec<&str> = expected
            .iter()
            .copied()
            .filter(|m| !known.contains(m))
            .collect();
        let what = if missing.is_empty() {
            format!("not in this order ({})", known.join(", "))
        } else {
            format!("missing {}", missing.join(", "))
        };
        c.error(
            "modes",
            format!("the modes are download, upload and cloud, in this order; {what}"),
        );
    }
    for (name, def) in &s.modes {
        let Some((_, method)) = MODES.iter().find(|(m, _)| m == name) else {
            c.error(
                &format!("modes.{name}"),
                format!("unknown mode `{name}`; expected download, upload or cloud"),
            );
            continue;
        };
        if def.method != *method {
            c.error(
                &format!("modes.{name}.method"),
                format!("mode `{name}` uses {method}, not {}", def.method),
            );
        }
        let wants_pic = name != "download";
        if def.pic_operations != wants_pic {
            let message = if wants_pic {
                format!("mode `{name}` carries Pic-Operations; set `pic_operations: true`")
            } else {
                format!("mode `{name}` carries no Pic-Operations; drop `pic_operations`")
            };
            c.error(&format!("modes.{name}.pic_operations"), message);
        }
        let cloud = name == "cloud";
        let wanted = if cloud { Some("image_process") } else { None };
        if def.query.as_deref() != wanted {
            if cloud {
                c.error(
                    &format!("modes.{name}"),
                    "mode `cloud` needs `query: image_process`",
                );
            } else {
                c.error(
                    &format!("modes.{name}.query"),
                    format!("mode `{name}` has no query word; drop `query`"),
                );
            }
        }
        if def.doc.trim().is_empty() {
            c.error(&format!("modes.{name}.doc"), "the doc is empty");
        }
    }
    for kind in ["cos", "pic", "ci"] {
        if !s.hosts.contains_key(kind) {
            c.error("hosts", format!("missing host kind `{kind}`"));
        }
    }
    for (kind, template) in &s.hosts {
        if !HOST_KINDS.contains(&kind.as_str()) {
            c.error(
                &format!("hosts.{kind}"),
                format!("unknown host kind `{kind}`; the runtime knows cos, pic and ci"),
            );
        }
        if !template.contains("{bucket}") || !template.contains("{region}") {
            c.error(
                &format!("hosts.{kind}"),
                "a host template needs {bucket} and {region}",
            );
        }
    }
    if s.pic_operations.max_rules == 0 {
        c.error("pic_operations.max_rules", "`max_rules` must be at least 1");
    }
    let limits = limits(c, "limits", &s.limits, None);
    if !s.errors.contains_key(&s.param_error_code) {
        c.error(
            "param_error_code",
            format!(
                "`{}` is not one of the codes under `errors`",
                s.param_error_code
            ),
        );
    }
    for (code, def) in &s.errors {
        if !code.chars().all(|ch| ch.is_ascii_alphanumeric())
            || !code.starts_with(|ch: char| ch.is_ascii_uppercase())
            || code == "Self"
        {
            c.error(
                &format!("errors.{code}"),
                format!("`{code}` is not an error code: letters and digits, starting with an uppercase letter"),
            );
        }
        if !(300..=599).contains(&def.status) {
            c.error(
                &format!("errors.{code}.status"),
                format!("{} is not an error status (300 to 599)", def.status),
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
    // Both documents are emitted into one module, next to these.
    let mut taken = vec!["ErrorCode".to_string(), "Limits".to_string()];
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
        error_xml: tree(c, "error_xml", &s.error_xml, &mut taken),
        upload_result: tree(c, "upload_result", &s.upload_result, &mut taken),
        processors: crate::processors::service(c, s),
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
                c.error(
                    &format!("{path}.{name}"),
                    format!("`{name}` must be greater than 0"),
                );
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

/// Checks a node tree: every node has exactly one of `type` and `nodes`, and every Rust
/// name it gives is an identifier not yet in `taken` (the other types of the generated module).
fn tree(c: &mut Checker<'_>, path: &str, t: &model::NodeTree, taken: &mut Vec<String>) -> ir::Tree {
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
    let at = if t.rust_name.is_some() {
        format!("{path}.rust_name")
    } else {
        format!("{path}.root")
    };
    type_name_unused(c, &at, &type_name, t.rust_name.is_some(), taken);
    let nodes = nodes(c, &format!("{path}.nodes"), &t.nodes, taken);
    ir::Tree {
        root: t.root.clone(),
        type_name,
        nodes,
    }
}

/// Reports `type_name` at `path` when it is no Rust type name or `taken` has it; records it.
/// `chosen`: the name is a `rust_name`, not derived from the XML name.
fn type_name_unused(
    c: &mut Checker<'_>,
    path: &str,
    type_name: &str,
    chosen: bool,
    taken: &mut Vec<String>,
) {
    let fix = if chosen {
        "pick another `rust_name`"
    } else {
        "set `rust_name`"
    };
    if let Some(problem) = type_name_problem(type_name) {
        c.error(path, format!("{problem}; {fix}"));
    } else if taken.iter().any(|t| t == type_name) {
        c.error(
            path,
            format!("the Rust type `{type_name}` is already used in this generated module; {fix}"),
        );
    }
    taken.push(type_name.to_string());
}

fn nodes(
    c: &mut Checker<'_>,
    path: &str,
    map: &IndexMap<String, model::Node>,
    taken: &mut Vec<String>,
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
        let field = rust_field(&node.field.clone().unwrap_or_else(|| name.to_snake_case()));
        if !is_field_name(field.trim_start_matches("r#")) {
            match &node.field {
                Some(f) => c.error(
                    &format!("{here}.field"),
                    format!("`{f}` is not a Rust field name (lowercase letters, digits and `_`)"),
                ),
                None => c.error(
                    &here,
                    format!("`{name}` gives no Rust field name; set `field`"),
                ),
            }
        }
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
        if node.optional && node.repeated {
            c.error(
                &here,
                "a node is `optional` or `repeated`, not both (a repeated node may be absent)",
            );
        }
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
                    c.error(
                        &format!("{here}.rust_name"),
                        "`rust_name` is for containers (nodes with `nodes`)",
                    );
                }
                Vec::new()
            }
            (None, Some(children)) => {
                let at = if node.rust_name.is_some() {
                    format!("{here}.rust_name")
                } else {
                    here.clone()
                };
                type_name_unused(c, &at, &type_name, node.rust_name.is_some(), taken);
                if node.example.is_some() {
                    c.error(
                        &format!("{here}.example"),
                        "only scalar nodes take an example",
                    );
                }
                nodes(c, &format!("{here}.nodes"), children, taken)
            }
            (Some(_), Some(_)) => {
                c.error(
                    &here,
                    format!(
                        "`{name}` has both `type` and `nodes`; a node is a scalar or a container"
                    ),
                );
                Vec::new()
            }
            (None, None) => {
                c.error(
                    &here,
                    format!(
                        "`{name}` needs a `type` ({}) or child `nodes`",
                        SCALARS.join(", ")
                    ),
                );
                Vec::new()
            }
        };
        for (i, alias) in node.aliases.iter().enumerate() {
            let at = format!("{here}.aliases.{i}");
            if !is_xml_name(alias) {
                c.error(&at, format!("`{alias}` is not an XML element name"));
            } else if alias == name || node.aliases[..i].contains(alias) {
                c.error(&at, format!("`{alias}` is already a spelling of this node"));
            } else if map.contains_key(alias) {
                c.error(
                    &at,
                    format!(
                        "`{alias}` is a node of its own here; an alias must not read another node"
                    ),
                );
            }
        }
        if let Some(words) = &node.spelling {
            if node.ty.as_deref() != Some("boolean") {
                c.error(
                    &format!("{here}.spelling"),
                    "`spelling` is for boolean nodes: the words for true and false",
                );
            } else if node.repeated {
                c.error(
                    &format!("{here}.spelling"),
                    "a repeated boolean is written as true/false; `spelling` is for single nodes",
                );
            } else if !(is_true_word(&words[0]) && is_false_word(&words[1])) {
                c.error(
                    &format!("{here}.spelling"),
                    format!(
                        "`[{}, {}]` is not a spelling of true and false (like [TRUE, FALSE] or [1, 0])",
                        words[0], words[1]
                    ),
                );
            }
        }
        let example = node.example.as_ref().and_then(|v| match scalar_text(v) {
            Some(text) => Some(text),
            None => {
                c.error(
                    &format!("{here}.example"),
                    "an example is a single value, not a list or a map",
                );
                None
            }
        });
        if let (Some(ty), Some(ex)) = (&node.ty, &example) {
            let ok = match ty.as_str() {
                "integer" => ex.parse::<i64>().is_ok(),
                "number" => ex.parse::<f64>().is_ok_and(f64::is_finite),
                "boolean" => {
                    ex == "true"
                        || ex == "false"
                        || node.spelling.as_ref().is_some_and(|w| w.contains(ex))
                }
                _ => true,
            };
            if !ok {
                c.error(
                    &format!("{here}.example"),
                    format!("the example `{ex}` is not {}", article(ty)),
                );
            }
        }
        out.push(ir::Node {
            name: name.clone(),
            field,
            scalar: node.ty.clone(),
            type_name,
            optional: node.optional,
            repeated: node.repeated,
            doc: node.doc.clone(),
            example,
            aliases: node.aliases.clone(),
            spelling: node.spelling.clone(),
            nodes: children,
        });
    }
    out
}

/// Whether `word` is a way to write true that the runtime reads: `true` in any case, or `1`.
fn is_true_word(word: &str) -> bool {
    word.eq_ignore_ascii_case("true") || word == "1"
}

/// Whether `word` is a way to write false that the runtime reads: `false` in any case, or `0`.
fn is_false_word(word: &str) -> bool {
    word.eq_ignore_ascii_case("false") || word == "0"
}

/// `an integer`, `a string`, … for a scalar type name.
fn article(ty: &str) -> String {
    match ty {
        "integer" => "an integer".to_string(),
        "number" => "a finite number".to_string(),
        other => format!("a {other}"),
    }
}

/// Checks one operation file whose stem is `stem` (whether the stem matches the name is
/// checked across files, in `load`).
///
/// Without a service (service.yaml did not parse) the checks that need it are skipped.
pub fn operation(
    c: &mut Checker<'_>,
    stem: &str,
    source: &str,
    op: &model::Operation,
    service: Option<(&model::Service, &ir::Limits)>,
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
    let module = op.name.to_snake_case();
    if KEYWORDS.contains(&module.as_str()) || NOT_RAW.contains(&module.as_str()) {
        c.error(
            "name",
            format!(
                "`{}` gives the module name `{module}`, a Rust keyword",
                op.name
            ),
        );
    } else if RESERVED_MODULES.contains(&module.as_str()) {
        c.error(
            "name",
            format!(
                "`{}` gives the module name `{module}`, which the generated code already uses",
                op.name
            ),
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
        let known = MODES.iter().any(|(m, _)| m == mode);
        if known && !op.permissions.contains_key(mode) {
            c.error("permissions", format!("no permissions for mode `{mode}`"));
        }
    }
    for (mode, actions) in &op.permissions {
        if !op.modes.contains(mode) {
            c.error(
                &format!("permissions.{mode}"),
                format!(
                    "`{mode}` is not one of this operation's modes ({})",
                    op.modes.join(", ")
                ),
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
        if !HOST_KINDS.contains(&host.as_str())
            || service.is_some_and(|(s, _)| !s.hosts.contains_key(&host))
        {
            c.error(
                "source.detect_url_host",
                format!(
                    "unknown host kind `{host}`; expected cos, pic or ci (service.yaml `hosts`)"
                ),
            );
        }
        Some(host)
    } else {
        if op.source.detect_url_host.is_some() {
            c.error("source.detect_url_host", "set only with detect_url: true");
        }
        None
    };

    // The types of the operation's generated module: its parameter struct, the enums and
    // structs of its parameters, its answer's nodes.
    let type_name = op.type_name_hint();
    if let Some(problem) = type_name_problem(&type_name) {
        c.error(
            "name",
            format!("`{}` gives no Rust type name: {problem}", op.name),
        );
    }
    let mut taken = vec![type_name.clone()];
    let mut params: Vec<ir::Param> = Vec::new();
    // Parameters declared with a problem of their own; examples do not report them again.
    let mut broken: Vec<String> = Vec::new();
    for (name, p) in &op.params {
        let path = format!("params.{name}");
        let Some(param) = param(c, &path, name, p) else {
            broken.push(name.clone());
            continue;
        };
        if let Some(other) = params.iter().find(|o| o.field == param.field) {
            c.error(
                &path,
                format!(
                    "`{name}` and `{}` both give the Rust field `{}`",
                    other.name, param.field
                ),
            );
        } else if declares_type(&param.kind) {
            if let Some(problem) = type_name_problem(&param.type_name) {
                c.error(
                    &path,
                    format!("`{name}` gives no Rust type name: {problem}"),
                );
            } else if taken.contains(&param.type_name) {
                c.error(
                    &path,
                    format!(
                        "`{name}` gives the Rust type `{}`, which the operation already uses",
                        param.type_name
                    ),
                );
            }
            taken.push(param.type_name.clone());
        }
        if param.ignore_error {
            if let Some(other) = params.iter().find(|o| o.ignore_error) {
                c.error(
                    &format!("{path}.ignore_error"),
                    format!(
                        "`{}` is already the ignore-error flag; an operation has one",
                        other.name
                    ),
                );
            }
        }
        params.push(param);
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
            (None, png)
        }
        "xml" => {
            if op.output.format.is_some() {
                c.error("output.format", "an XML answer has no image format");
            }
            match &op.output.response {
                Some(t) => (Some(tree(c, "output.response", t, &mut taken)), false),
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
    let stand_in = crate::processors::operation(c, op, &params, &broken, service.map(|(s, _)| s));
    let fallback = ir::Limits {
        max_input_bytes: 1,
        max_width: 1,
        max_height: 1,
        max_pixels: 1,
    };
    let defaults = service.map_or(&fallback, |(_, l)| l);
    let limits = limits(c, "limits", &op.limits, Some(defaults));

    let mut examples = Vec::new();
    for (i, ex) in op.examples.iter().enumerate() {
        examples.push(example(c, &format!("examples.{i}"), ex, &params, &broken));
    }

    ir::Op {
        name: op.name.clone(),
        file: stem.to_string(),
        source: source.to_string(),
        module: op.name.to_snake_case(),
        type_name,
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
        processor_type: stand_in.type_name,
        processor_inputs: stand_in.inputs,
        examples,
    }
}

impl model::Operation {
    fn type_name_hint(&self) -> String {
        self.name.to_upper_camel_case()
    }
}

fn param(c: &mut Checker<'_>, path: &str, name: &str, p: &model::Param) -> Option<ir::Param> {
    if name.is_empty()
        || !name.starts_with(|ch: char| ch.is_ascii_alphabetic())
        || !name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
    {
        c.error(
            path,
            format!("`{name}` is not a parameter name: letters, digits, `-` and `_`, starting with a letter"),
        );
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
    only(c, "encoding", p.encoding.is_some() && ty != "text", ty);
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
                        Some(n) if n < 0 => c.error(
                            &format!("{path}.values.{i}"),
                            format!("{n} is negative; set values are 0 or more"),
                        ),
                        Some(n) => ints.push(n),
                        None => c.error(
                            &format!("{path}.values.{i}"),
                            format!("`{}` is not an integer", show(v)),
                        ),
                    }
                }
                if values.is_empty() {
                    c.error(&format!("{path}.values"), "a closed set needs values");
                }
                let prefix = p.variant_prefix.clone().unwrap_or_else(|| "V".to_string());
                if !is_type_ident(&prefix) {
                    let what = if prefix.is_empty() {
                        "an empty prefix".to_string()
                    } else {
                        format!("`{prefix}`")
                    };
                    c.error(
                        &format!("{path}.variant_prefix"),
                        format!("{what} cannot start a Rust variant name: letters, digits and `_`, starting with an uppercase letter (like `X` or `V`)"),
                    );
                }
                ir::Kind::IntegerSet {
                    values: ints,
                    prefix,
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
            let (mut min, mut max) = match (range[0].as_f64(), range[1].as_f64()) {
                (Some(a), Some(b)) if a.is_finite() && b.is_finite() => (a, b),
                _ => {
                    c.error(
                        &format!("{path}.range"),
                        format!(
                            "the bounds [{}, {}] are not two finite numbers",
                            show(&range[0]),
                            show(&range[1])
                        ),
                    );
                    return None;
                }
            };
            if min > max {
                c.error(
                    &format!("{path}.range"),
                    format!("the range is out of order: {min} > {max}; write [{max}, {min}]"),
                );
                // Go on with the range meant, so defaults and examples are not reported too.
                std::mem::swap(&mut min, &mut max);
            }
            ir::Kind::Number { min, max }
        }
        "flag" => ir::Kind::Flag,
        "text" => {
            let mut values: Vec<String> = Vec::new();
            let mut variants: Vec<(String, String)> = Vec::new();
            for (i, v) in p.values.iter().flatten().enumerate() {
                let here = format!("{path}.values.{i}");
                let Some(s) = v.as_str() else {
                    c.error(&here, format!("`{}` is not a string; quote it", show(v)));
                    continue;
                };
                if values.iter().any(|x| x == s) {
                    c.error(&here, format!("`{s}` is listed twice"));
                    continue;
                }
                let variant = variant_name("", s);
                if !is_type_ident(&variant) || variant == "Self" {
                    c.error(
                        &here,
                        format!("`{s}` gives no Rust variant name (it needs a letter or digit)"),
                    );
                } else if let Some((_, other)) = variants.iter().find(|(v, _)| *v == variant) {
                    c.error(
                        &here,
                        format!("`{s}` and `{other}` both give the Rust variant `{variant}`"),
                    );
                }
                variants.push((variant, s.to_string()));
                values.push(s.to_string());
            }
            if p.values.as_ref().is_some_and(Vec::is_empty) {
                c.error(&format!("{path}.values"), "a closed set needs values");
            }
            if p.max_len == Some(0) {
                c.error(&format!("{path}.max_len"), "`max_len` must be at least 1");
            }
            let encoding = match p.encoding.as_deref() {
                None => ir::TextEncoding::Plain,
                Some("base64url") if !values.is_empty() => {
                    c.error(
                        &format!("{path}.encoding"),
                        "a closed set of values is written as it is; drop `encoding` or `values`",
                    );
                    ir::TextEncoding::Plain
                }
                Some("base64url") => ir::TextEncoding::Base64Url,
                Some(other) => {
                    c.error(
                        &format!("{path}.encoding"),
                        format!("unknown encoding `{other}`; expected base64url"),
                    );
                    ir::TextEncoding::Plain
                }
            };
            ir::Kind::Text {
                values,
                max_len: p.max_len.unwrap_or(DEFAULT_MAX_TEXT),
                encoding,
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
            for (i, n) in names.iter().enumerate() {
                if !is_field_name(n) || KEYWORDS.contains(&n.as_str()) {
                    c.error(
                        &format!("{path}.names.{i}"),
                        format!("`{n}` is not a Rust field name: lowercase letters, digits and `_`, not a keyword"),
                    );
                }
            }
            if names[0] == names[1] {
                c.error(
                    &format!("{path}.names.1"),
                    format!("both numbers are named `{}`", names[1]),
                );
            }
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
                if let Err(why) = fits(&kind, &wire) {
                    c.error(
                        &format!("{path}.default"),
                        format!("the default `{wire}` {why}"),
                    );
                }
                Some(wire)
            }
            None => {
                c.error(
                    &format!("{path}.default"),
                    "a default is a single value, not a list or a map",
                );
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

/// Whether the emitters declare a Rust type (an enum or a struct) for a parameter of `kind`.
fn declares_type(kind: &ir::Kind) -> bool {
    match kind {
        ir::Kind::IntegerSet { .. } | ir::Kind::Pair { .. } => true,
        ir::Kind::Text { values, .. } => !values.is_empty(),
        ir::Kind::Integer { .. } | ir::Kind::Number { .. } | ir::Kind::Flag => false,
    }
}

/// The Rust variant of a set value: `prefix` and the value in upper camel case. A text value
/// (empty prefix) that does not start with a letter gets the prefix `V`.
pub(crate) fn variant_name(prefix: &str, value: &str) -> String {
    let camel = value.to_upper_camel_case();
    if prefix.is_empty() && camel.starts_with(|c: char| c.is_ascii_alphabetic()) {
        camel
    } else if prefix.is_empty() {
        format!("V{camel}")
    } else {
        format!("{prefix}{camel}")
    }
}

/// A YAML value as the spec writes it, for messages.
fn show(v: &Value) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Sequence(_) => "a list".to_string(),
        Value::Mapping(_) => "a map".to_string(),
        Value::Tagged(t) => format!("{}", t.tag),
    }
}

fn int_range(c: &mut Checker<'_>, path: &str, range: &[Value; 2]) -> Option<(i64, i64)> {
    match (range[0].as_i64(), range[1].as_i64()) {
        (Some(min), Some(max)) if min > max => {
            c.error(
                &format!("{path}.range"),
                format!("the range is out of order: {min} > {max}; write [{max}, {min}]"),
            );
            // Go on with the range meant, so defaults and examples are not reported too.
            Some((max, min))
        }
        (Some(min), Some(max)) => Some((min, max)),
        _ => {
            c.error(
                &format!("{path}.range"),
                format!(
                    "the bounds [{}, {}] are not two integers",
                    show(&range[0]),
                    show(&range[1])
                ),
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
    broken: &[String],
) -> ir::Example {
    let mut pairs = Vec::new();
    // (parameter, why its value is not allowed)
    let mut violated: Vec<(String, String)> = Vec::new();
    for (name, v) in &ex.params {
        let here = format!("{path}.params.{name}");
        if broken.contains(name) {
            continue;
        }
        let Some(param) = params.iter().find(|p| &p.name == name) else {
            c.error(
                &here,
                format!("`{name}` is not a parameter of this operation"),
            );
            continue;
        };
        let Some(wire) = wire_value(v) else {
            c.error(
                &here,
                "an example value is a single value, not a list or a map",
            );
            continue;
        };
        if let Err(why) = fits(&param.kind, &wire) {
            violated.push((name.clone(), format!("`{name}: {wire}` {why}")));
        }
        pairs.push((name.clone(), wire));
    }
    match &ex.error {
        Some(param) if broken.contains(param) => {}
        Some(param) => {
            if !ex.params.contains_key(param) {
                c.error(
                    &format!("{path}.error"),
                    format!("`{param}` is not among the example's params"),
                );
            } else if !violated.iter().any(|(n, _)| n == param) {
                let value = pairs
                    .iter()
                    .find(|(n, _)| n == param)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default();
                let allowed = params
                    .iter()
                    .find(|p| &p.name == param)
                    .map(|p| describe(&p.kind))
                    .unwrap_or_default();
                c.error(
                    &format!("{path}.error"),
                    format!(
                        "`{param}: {value}` is allowed ({allowed}), so this error example would pass; give `{param}` a value it rejects"
                    ),
                );
            }
            if ex.query.is_some() || ex.rule.is_some() {
                c.error(path, "an error example has no query or rule");
            }
        }
        None => {
            for (name, why) in &violated {
                c.error(
                    &format!("{path}.params.{name}"),
                    format!(
                        "{why}; fix the value, or make this an error example with `error: {name}`"
                    ),
                );
            }
            for p in params.iter().filter(|p| p.required) {
                if !ex.params.contains_key(&p.name) {
                    c.error(
                        &format!("{path}.params"),
                        format!("the example lacks the required parameter `{}`", p.name),
                    );
                }
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

/// Whether `wire` is an allowed value of `kind`; the message says why not (`is …`).
fn fits(kind: &ir::Kind, wire: &str) -> Result<(), String> {
    let fail = Err;
    match kind {
        ir::Kind::Integer { min, max } => match wire.parse::<i64>() {
            Ok(v) if (*min..=*max).contains(&v) => Ok(()),
            Ok(_) => fail(format!("is outside {min}..={max}")),
            Err(_) => fail(format!("is not an integer (allowed: {min}..={max})")),
        },
        ir::Kind::IntegerSet { values, .. } => match wire.parse::<i64>() {
            Ok(v) if values.contains(&v) => Ok(()),
            Ok(_) => fail(format!("is not one of {}", describe(kind))),
            Err(_) => fail(format!("is not an integer (allowed: {})", describe(kind))),
        },
        ir::Kind::Number { min, max } => match wire.parse::<f64>() {
            Ok(v) if (*min..=*max).contains(&v) => Ok(()),
            Ok(_) => fail(format!("is outside {min}..={max}")),
            Err(_) => fail(format!("is not a number (allowed: {min}..={max})")),
        },
        ir::Kind::Flag if wire == "0" || wire == "1" => Ok(()),
        ir::Kind::Flag => fail("is not a flag (true, false, 1 or 0)".to_string()),
        ir::Kind::Text { max_len, .. } if wire.len() > *max_len => {
            fail(format!("is longer than {max_len} bytes"))
        }
        ir::Kind::Text { values, .. } if values.is_empty() || values.iter().any(|v| v == wire) => {
            Ok(())
        }
        ir::Kind::Text { .. } => fail(format!("is not one of {}", describe(kind))),
        ir::Kind::Pair {
            separator,
            min,
            max,
            ..
        } => {
            let number = |s: &str| s.parse::<u32>().ok();
            match wire
                .split_once(*separator)
                .map(|(a, b)| (number(a), number(b)))
            {
                Some((Some(a), Some(b)))
                    if (*min..=*max).contains(&a) && (*min..=*max).contains(&b) =>
                {
                    Ok(())
                }
                Some((Some(_), Some(_))) => fail(format!("is outside {}", describe(kind))),
                _ => fail(format!("is not {}", describe(kind))),
            }
        }
    }
}

/// The allowed values of `kind`, for messages.
fn describe(kind: &ir::Kind) -> String {
    match kind {
        ir::Kind::Integer { min, max } => format!("{min}..={max}"),
        ir::Kind::IntegerSet { values, .. } => {
            let v: Vec<String> = values.iter().map(i64::to_string).collect();
            v.join(", ")
        }
        ir::Kind::Number { min, max } => format!("{min}..={max}"),
        ir::Kind::Flag => "0 or 1".to_string(),
        ir::Kind::Text {
            values,
            max_len,
            encoding: ir::TextEncoding::Plain,
        } if values.is_empty() => format!("text of at most {max_len} bytes"),
        ir::Kind::Text {
            values,
            max_len,
            encoding: ir::TextEncoding::Base64Url,
        } if values.is_empty() => format!("URL-safe base64 of text of at most {max_len} bytes"),
        ir::Kind::Text { values, .. } => values.join(", "),
        ir::Kind::Pair {
            separator,
            min,
            max,
            names,
        } => format!(
            "<{}>{separator}<{}> with each in {min}..={max}",
            names[0], names[1]
        ),
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

/// Rust's keywords, strict and reserved: as field names they become raw identifiers.
const KEYWORDS: [&str; 51] = [
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use",
    "where", "while", "gen", "abstract", "become", "box", "do", "final", "macro", "override",
    "priv", "typeof", "unsized", "virtual", "yield", "try",
];
/// Keywords that cannot be raw identifiers either; as field names they get a trailing `_`.
const NOT_RAW: [&str; 4] = ["self", "Self", "super", "crate"];
/// Module names the generated folders already use.
const RESERVED_MODULES: [&str; 2] = ["service", "processors"];

/// A Rust field name: keywords become raw identifiers (`r#type`), `self`-like ones `self_`.
fn rust_field(name: &str) -> String {
    let name = name.replace('-', "_");
    let name = if name.starts_with(|ch: char| ch.is_ascii_digit()) {
        format!("_{name}")
    } else {
        name
    };
    if NOT_RAW.contains(&name.as_str()) {
        format!("{name}_")
    } else if KEYWORDS.contains(&name.as_str()) {
        format!("r#{name}")
    } else {
        name
    }
}

/// Lowercase ASCII letters, digits and `_`, not starting with a digit, not `_` alone.
fn is_field_name(name: &str) -> bool {
    name != "_"
        && name.starts_with(|ch: char| ch.is_ascii_lowercase() || ch == '_')
        && name
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_')
}

/// ASCII letters, digits and `_`, starting with an uppercase letter.
fn is_type_ident(name: &str) -> bool {
    name.starts_with(|ch: char| ch.is_ascii_uppercase())
        && name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
}

/// Why `name` cannot be a generated Rust type's name, if it cannot.
fn type_name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        Some("the Rust type name would be empty".to_string())
    } else if !is_type_ident(name) {
        Some(format!(
            "`{name}` is not a Rust type name (letters, digits and `_`, starting with an uppercase letter)"
        ))
    } else if name == "Self" {
        Some("`Self` is a Rust keyword".to_string())
    } else {
        None
    }
}
