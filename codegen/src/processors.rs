//! The mock's stand-ins: `service.yaml` `processors`, each with its typed inputs, and every
//! operation's `mock:` section, which names one and feeds each of its inputs from a parameter.
//!
//! The mock keeps no parameter names, defaults or ranges of its own: what a stand-in is given
//! is decided here, from the spec, and checked once.

use heck::ToSnakeCase;

use crate::check::Checker;
use crate::ir;
use crate::model;
use crate::naming;

/// Rust names the generated mock code already uses next to the stand-ins' input structs.
const TAKEN: [&str; 4] = ["StandIn", "ProcessorKind", "Inputs", "ProcessError"];

fn answers(def: &model::ProcessorDef) -> Option<ir::Answers> {
    match def.answers.as_deref() {
        None | Some("image") => Some(ir::Answers::Image),
        Some("xml") => Some(ir::Answers::Xml),
        Some("json") => Some(ir::Answers::Json),
        Some(_) => None,
    }
}

fn input_type(name: &str) -> Option<ir::InputType> {
    match name {
        "integer" => Some(ir::InputType::Integer),
        "flag" => Some(ir::InputType::Flag),
        "pair" => Some(ir::InputType::Pair),
        "text" => Some(ir::InputType::Text),
        _ => None,
    }
}

/// Checks `service.yaml` `processors`.
pub fn service(c: &mut Checker<'_>, s: &model::Service) -> Vec<ir::Processor> {
    let mut out: Vec<ir::Processor> = Vec::new();
    if s.processors.is_empty() {
        c.error("processors", "the mock needs at least one processor");
    }
    for (name, def) in &s.processors {
        let path = format!("processors.{name}");
        let type_name = naming::type_name(name);
        let well_formed = name.starts_with(|ch: char| ch.is_ascii_lowercase())
            && name
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-');
        if !well_formed {
            c.error(
                &path,
                format!("`{name}` is not a processor name: lowercase letters, digits and `-`, starting with a letter"),
            );
        } else if let Some(problem) = naming::type_name_problem(&type_name) {
            c.error(
                &path,
                format!("`{name}` gives no Rust type name: {problem}"),
            );
        } else if TAKEN.contains(&type_name.as_str()) {
            c.error(
                &path,
                format!("`{name}` gives the Rust name `{type_name}`, which the generated mock code already uses"),
            );
        } else if let Some(other) = out.iter().find(|p| p.type_name == type_name) {
            c.error(
                &path,
                format!(
                    "`{name}` and `{}` both give the Rust name `{type_name}`",
                    other.name
                ),
            );
        }
        if def.doc.trim().is_empty() {
            c.error(&format!("{path}.doc"), "the doc is empty");
        }
        let answers = answers(def).unwrap_or_else(|| {
            c.error(
                &format!("{path}.answers"),
                format!(
                    "unknown answer `{}`; expected image, xml or json",
                    def.answers.as_deref().unwrap_or_default()
                ),
            );
            ir::Answers::Image
        });
        if answers != ir::Answers::Image && !def.inputs.is_empty() {
            c.error(
                &format!("{path}.inputs"),
                "a processor that answers xml or json writes the node tree; it takes no inputs",
            );
        }
        let mut inputs: Vec<ir::ProcessorInput> = Vec::new();
        for (input, d) in &def.inputs {
            let here = format!("{path}.inputs.{input}");
            let field = input.to_snake_case();
            if syn::parse_str::<syn::Ident>(&field).is_err() || field != *input {
                c.error(
                    &here,
                    format!("`{input}` is not an input name: lowercase letters, digits and `_`, starting with a letter, not a Rust keyword"),
                );
            }
            if d.doc.trim().is_empty() {
                c.error(&format!("{here}.doc"), "the doc is empty");
            }
            let Some(ty) = input_type(&d.ty) else {
                c.error(
                    &format!("{here}.type"),
                    format!(
                        "unknown input type `{}`; expected integer, flag, pair or text",
                        d.ty
                    ),
                );
                continue;
            };
            inputs.push(ir::ProcessorInput {
                name: input.clone(),
                field,
                doc: d.doc.trim().to_string(),
                ty,
            });
        }
        out.push(ir::Processor {
            name: name.clone(),
            type_name,
            doc: def.doc.trim().to_string(),
            answers,
            inputs,
        });
    }
    out
}

/// What an input of type `ty` is, for messages.
fn describe_input(ty: ir::InputType) -> &'static str {
    match ty {
        ir::InputType::Integer => "a whole number from 0 to 4294967295",
        ir::InputType::Flag => "a flag",
        ir::InputType::Pair => "a pair of numbers",
        ir::InputType::Text => "a text",
    }
}

/// Whether every value of a parameter of `kind` is a value of an input of type `ty`.
fn feeds(ty: ir::InputType, kind: &ir::Kind) -> bool {
    let whole = |v: i64| u32::try_from(v).is_ok();
    match (ty, kind) {
        (ir::InputType::Integer, ir::Kind::Integer { min, max }) => whole(*min) && whole(*max),
        (ir::InputType::Integer, ir::Kind::IntegerSet { values, .. }) => {
            values.iter().all(|v| whole(*v))
        }
        (ir::InputType::Flag, ir::Kind::Flag)
        | (ir::InputType::Pair, ir::Kind::Pair { .. })
        | (ir::InputType::Text, ir::Kind::Text { .. }) => true,
        _ => false,
    }
}

/// What a parameter of `kind` is, for messages.
fn describe_param(kind: &ir::Kind) -> String {
    match kind {
        ir::Kind::Integer { min, max } => format!("an integer in [{min}, {max}]"),
        ir::Kind::IntegerSet { values, .. } => {
            let v: Vec<String> = values.iter().map(i64::to_string).collect();
            format!("an integer from [{}]", v.join(", "))
        }
        ir::Kind::Number { .. } => "a number".to_string(),
        ir::Kind::Flag => "a flag".to_string(),
        ir::Kind::Text { .. } => "text".to_string(),
        ir::Kind::Pair { .. } => "a pair".to_string(),
        ir::Kind::List { .. } => "a list".to_string(),
        ir::Kind::Json { .. } => "a JSON object".to_string(),
    }
}

/// The checked stand-in of an operation.
pub struct StandIn {
    /// The processor's Rust name.
    pub type_name: String,
    /// The parameter feeding each input, in the processor's input order.
    pub inputs: Vec<ir::Binding>,
}

/// Checks an operation's `mock:` section: the processor is one of the service's, it answers
/// what the operation answers, and every input is fed by one parameter of a fitting type that
/// has a value when a request leaves it out (it is required or has a `default:`).
///
/// `broken` are the parameters already reported; without a service (it did not parse) only
/// the names are taken.
pub fn operation(
    c: &mut Checker<'_>,
    op: &model::Operation,
    params: &[ir::Param],
    broken: &[String],
    service: Option<&model::Service>,
) -> StandIn {
    let name = &op.mock.processor;
    let type_name = naming::type_name(name);
    let as_given = || -> Vec<ir::Binding> {
        op.mock
            .inputs
            .iter()
            .map(|(input, param)| ir::Binding {
                input: input.clone(),
                param: param.clone(),
            })
            .collect()
    };
    let Some(service) = service else {
        return StandIn {
            type_name,
            inputs: as_given(),
        };
    };
    let Some(def) = service.processors.get(name) else {
        let known: Vec<&str> = service.processors.keys().map(String::as_str).collect();
        c.error(
            "mock.processor",
            format!(
                "unknown processor `{name}`; expected one of {} (service.yaml `processors`)",
                known.join(", ")
            ),
        );
        return StandIn {
            type_name,
            inputs: as_given(),
        };
    };
    // Without a download mode the stored result is an image (see `check::operation`).
    let wanted = match op.output.download.as_deref().unwrap_or("image") {
        "image" => Some(ir::Answers::Image),
        "xml" => Some(ir::Answers::Xml),
        "json" => Some(ir::Answers::Json),
        // Reported with the output.
        _ => None,
    };
    // A document with a base64 node may name an image stand-in: its picture fills the node.
    let pictured = op
        .output
        .response
        .as_ref()
        .is_some_and(|t| has_base64(t.nodes.values()));
    match (wanted, answers(def)) {
        (Some(ir::Answers::Xml | ir::Answers::Json), Some(ir::Answers::Image)) if pictured => {}
        (Some(want), Some(have)) if want != have => {
            let fitting: Vec<&str> = service
                .processors
                .iter()
                .filter(|(_, d)| answers(d) == Some(want))
                .map(|(n, _)| n.as_str())
                .collect();
            c.error(
                "mock.processor",
                format!(
                    "`{name}` answers {}; this operation's download answer is {} ({})",
                    have.words(),
                    want.words(),
                    if fitting.is_empty() {
                        "service.yaml has no processor for it".to_string()
                    } else {
                        format!("use {}", fitting.join(", "))
                    }
                ),
            );
        }
        _ => {}
    }
    for (input, param) in &op.mock.inputs {
        let path = format!("mock.inputs.{input}");
        let Some(declared) = def.inputs.get(input) else {
            let known: Vec<&str> = def.inputs.keys().map(String::as_str).collect();
            let known = if known.is_empty() {
                "it takes none".to_string()
            } else {
                format!("its inputs are {}", known.join(", "))
            };
            c.error(&path, format!("`{name}` has no input `{input}`; {known}"));
            continue;
        };
        if broken.contains(param) {
            continue;
        }
        let Some(p) = params.iter().find(|p| p.name == *param) else {
            let known: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
            let known = if known.is_empty() {
                "it has none".to_string()
            } else {
                format!("its parameters are {}", known.join(", "))
            };
            c.error(
                &path,
                format!("`{param}` is not a parameter of this operation; {known}"),
            );
            continue;
        };
        if let Some(ty) = input_type(&declared.ty)
            && !feeds(ty, &p.kind)
        {
            c.error(
                &path,
                format!(
                    "the input `{input}` of `{name}` takes {}; `{param}` is {}",
                    describe_input(ty),
                    describe_param(&p.kind)
                ),
            );
            continue;
        }
        if !p.required && p.default.is_none() {
            c.error(
                &path,
                format!(
                    "`{param}` is optional and has no `default:`, so the mock has no value for `{input}` when a request leaves it out; give `{param}` its documented default (or, where the documentation gives none, the value the mock assumes, with a comment saying why)"
                ),
            );
        }
    }
    let missing: Vec<&str> = def
        .inputs
        .keys()
        .filter(|input| !op.mock.inputs.contains_key(*input))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        c.error(
            "mock.processor",
            format!(
                "`{name}` needs a parameter for each of its inputs; add {} under `mock.inputs`",
                missing
                    .iter()
                    .map(|i| format!("`{i}: <param>`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
    // In the processor's input order, so the generated table reads like its declaration.
    let inputs = def
        .inputs
        .keys()
        .filter_map(|input| {
            let param = op.mock.inputs.get(input)?;
            Some(ir::Binding {
                input: input.clone(),
                param: param.clone(),
            })
        })
        .collect();
    StandIn { type_name, inputs }
}

/// Whether any of `nodes` (or their children) is a `base64` node.
fn has_base64<'a>(nodes: impl Iterator<Item = &'a model::Node>) -> bool {
    let mut stack: Vec<&model::Node> = nodes.collect();
    while let Some(n) = stack.pop() {
        if n.ty.as_deref() == Some("base64") {
            return true;
        }
        stack.extend(n.nodes.iter().flat_map(|c| c.values()));
    }
    false
}
