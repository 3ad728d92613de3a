//! `cos-ci-validate`: the operation descriptions, typed parameters, and the shared wire models.

use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};

use super::{GeneratedFile, doc, host_kind, ident, mode, module_doc, nodes, opt_str, render};
use crate::ir::{
    EmptyValues, Home, HostKind, Input, JsonField, JsonType, Kind, Limits, Mode, Node, Op, Output,
    Param, Processor, Relation, RuleForm, Scalar, Service, Shape, ShapeKind, Spec, TextEncoding,
    ValueType,
};

pub(super) const DIR: &str = "crates/cos-ci-validate/src/generated";

pub fn files(spec: &Spec) -> Result<Vec<GeneratedFile>, String> {
    let mut files = vec![index(spec)?, service(spec)?];
    if !spec.service.shapes.is_empty() {
        files.push(shapes(spec)?);
    }
    for op in &spec.operations {
        files.push(operation(op, &spec.service)?);
    }
    Ok(files)
}

fn index(spec: &Spec) -> Result<GeneratedFile, String> {
    let mods = spec.operations.iter().map(|op| {
        // The module's own `//!` doc is its documentation: an outer one would be shown twice.
        let m = ident(&op.module);
        quote! { pub mod #m; }
    });
    let specs = spec.operations.iter().map(|op| {
        let m = ident(&op.module);
        quote! { &#m::SPEC }
    });
    let shapes = if spec.service.shapes.is_empty() {
        quote! {}
    } else {
        quote! { pub mod shapes; }
    };
    let tokens = quote! {
        #![doc = " Everything generated from `spec/`: one module per operation, and the service."]
        pub mod service;
        #shapes
        #(#mods)*
        /// Every operation in the spec, sorted by file name.
        pub const OPERATIONS: &[&cos_ci_validate::OpSpec] = &[#(#specs),*];
    };
    render(format!("{DIR}/mod.rs"), "spec/", tokens)
}

fn service(spec: &Spec) -> Result<GeneratedFile, String> {
    let s = &spec.service;
    let max_rules = Literal::usize_unsuffixed(s.max_rules as usize);
    let header = &s.pic_operations_header;
    let suffixes = &s.host_suffixes;
    let host = |kind: HostKind| {
        s.hosts
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (cos_host, pic_host, ci_host) =
        (host(HostKind::Cos), host(HostKind::Pic), host(HostKind::Ci));
    let limits = limits(&s.limits);
    let param_code = format_ident!("{}", s.param_error_code);
    let empty = match s.empty_values {
        EmptyValues::Absent => quote! { Absent },
        EmptyValues::Refused => quote! { Refused },
    };
    let variants = s.errors.iter().map(|(code, status, message)| {
        let v = format_ident!("{}", code);
        let d = doc(&format!("{message} (HTTP {status})"));
        quote! { #d #v, }
    });
    let all = s.errors.iter().map(|(code, ..)| format_ident!("{}", code));
    let table = s.errors.iter().map(|(code, status, message)| {
        let status = Literal::u16_unsuffixed(*status);
        quote! { (#code, #status, #message) }
    });
    let error_xml = nodes::tree(&s.error_xml, &quote! {}, nodes::Use::ReadWrite);
    let upload_result = nodes::tree(&s.upload_result, &quote! {}, nodes::Use::ReadWrite);
    let processors = processor_kind(&s.processors);
    let implies = s.implies.iter().map(|(m, actions)| {
        let m = mode(*m);
        quote! { (#m, &[#(#actions),*]) }
    });
    // Every operation names its own stand-in; the defaults need one to be a value.
    let first_processor = format_ident!(
        "{}",
        s.processors
            .first()
            .map_or("Passthrough", |p| p.type_name.as_str())
    );
    let tokens = quote! {
        #![doc = " What every operation shares: hosts, limits, Pic-Operations, error codes and documents."]
        use cos_ci_validate::{
            EmptyValues, HostKind, Input, Limits, Mode, OpSpec, Output, Processor, RuleForm, xml,
        };

        /// The header that carries processing rules in upload and cloud modes.
        pub const PIC_OPERATIONS_HEADER: &str = #header;
        /// Most rules one Pic-Operations header may carry.
        pub const MAX_RULES: usize = #max_rules;
        /// Host template of the COS endpoint (`{bucket}`, `{region}`).
        pub const COS_HOST: &str = #cos_host;
        /// Host template of the persistence (pic) endpoint.
        pub const PIC_HOST: &str = #pic_host;
        /// Host template of the Cloud Infinite (ci) endpoint.
        pub const CI_HOST: &str = #ci_host;
        /// Domain suffixes of virtual-hosted bucket names.
        pub const HOST_SUFFIXES: &[&str] = &[#(#suffixes),*];
        /// Limits every operation inherits unless it narrows them.
        pub const DEFAULT_LIMITS: Limits = #limits;
        /// The CAM actions every operation needs in a mode besides its own
        /// (`modes.<m>.implies`); `OpSpec::actions` adds them.
        pub const IMPLIED_ACTIONS: &[(Mode, &[&str])] = &[#(#implies),*];
        /// The code a server answers with when a parameter is out of range.
        pub const PARAM_ERROR_CODE: ErrorCode = ErrorCode::#param_code;
        /// How a server reads a parameter sent with an empty value (`name=`).
        pub const EMPTY_VALUES: EmptyValues = EmptyValues::#empty;

        /// What an operation's description holds where its file says nothing: no detect-url,
        /// aliases, parameters or errors of its own, the service's limits and most rules. An
        /// operation's `SPEC` sets every other field itself.
        pub const OP_DEFAULTS: OpSpec = OpSpec {
            name: "",
            file: "",
            source_path: None,
            module: "",
            summary: "",
            doc_url: None,
            modes: &[],
            input: Input::Object,
            detect_url: None,
            hosts: &[HostKind::Cos],
            permissions: &[],
            permission_aliases: &[],
            alias_query: None,
            params: &[],
            output: Output::Image { png: false },
            limits: DEFAULT_LIMITS,
            processor: Processor::new(ProcessorKind::#first_processor),
            errors: &[],
            max_rules: MAX_RULES,
            rule_form: RuleForm::Query,
            upload_result: None,
            relations: &[],
        };

        /// Every COS / CI error code with its HTTP status.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode { #(#variants)* }

        impl ErrorCode {
            /// Every code, in spec order.
            pub const ALL: &[ErrorCode] = &[#(ErrorCode::#all),*];

            /// The code as it appears in `<Code>`.
            pub const fn as_str(self) -> &'static str {
                CODES[self as usize].0
            }

            /// The HTTP status a server answers with.
            pub const fn status(self) -> u16 {
                CODES[self as usize].1
            }

            /// The default `<Message>`.
            pub const fn message(self) -> &'static str {
                CODES[self as usize].2
            }

            /// The code named `code`, if it is one of the spec's.
            pub fn from_code(code: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|c| c.as_str() == code)
            }
        }

        /// Each code's `<Code>`, HTTP status and default `<Message>`, in the variants' order.
        const CODES: &[(&str, u16, &str)] = &[#(#table),*];

        impl std::fmt::Display for ErrorCode {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        #processors
        #error_xml
        #upload_result
    };
    render(format!("{DIR}/service.rs"), "spec/service.yaml", tokens)
}

/// `ProcessorKind`: the mock's stand-ins as `service.yaml` declares them, so an operation's
/// description names its stand-in by a variant, not a string.
fn processor_kind(processors: &[Processor]) -> TokenStream {
    let variants = processors.iter().map(|p| {
        let v = format_ident!("{}", p.type_name);
        let d = doc(&format!("`{}`: {}", p.name, p.doc));
        quote! { #d #v, }
    });
    let table = processors.iter().map(|p| {
        let (v, name) = (format_ident!("{}", p.type_name), &p.name);
        quote! { (ProcessorKind::#v, #name) }
    });
    quote! {
        /// The mock's stand-ins (`service.yaml` `processors`).
        // Not `#[non_exhaustive]`: the mock matches every stand-in, so a stand-in declared
        // without an implementation fails to compile there.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ProcessorKind { #(#variants)* }

        impl ProcessorKind {
            /// Every stand-in, in spec order.
            pub fn all() -> impl Iterator<Item = ProcessorKind> {
                PROCESSORS.iter().map(|p| p.0)
            }

            /// The stand-in's name in the spec.
            pub const fn name(self) -> &'static str {
                PROCESSORS[self as usize].1
            }

            /// The stand-in called `name` in the spec.
            pub fn from_name(name: &str) -> Option<Self> {
                Self::all().find(|p| p.name() == name)
            }
        }

        /// Each stand-in with its name, in the variants' order.
        const PROCESSORS: &[(ProcessorKind, &str)] = &[#(#table),*];

        impl std::fmt::Display for ProcessorKind {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }
    }
}

/// `shapes.rs`: the types of `service.yaml`'s `shapes`, which operation modules re-export.
fn shapes(spec: &Spec) -> Result<GeneratedFile, String> {
    let mut params = false;
    let mut nodes = false;
    let used = used_shapes(spec);
    let shapes: Vec<&Shape> = spec
        .service
        .shapes
        .iter()
        .filter(|s| used.contains(&s.name))
        .collect();
    let items: Vec<TokenStream> = shapes
        .iter()
        .map(|shape| match &shape.kind {
            ShapeKind::Param(p) => {
                params = true;
                param_type(p, &quote! {})
            }
            ShapeKind::Nodes(n) => {
                nodes = true;
                nodes::shape(&shape.name, &shape.doc, n, &quote! {})
            }
        })
        .collect();
    let base64 = shapes
        .iter()
        .any(|s| matches!(&s.kind, ShapeKind::Nodes(n) if nodes::any_base64(n)));
    let imports = match (params, nodes, base64) {
        (false, false, _) => quote! {},
        (true, true, true) => quote! { use cos_ci_validate::{Base64Data, Value, xml}; },
        (true, true, false) => quote! { use cos_ci_validate::{Value, xml}; },
        (true, false, _) => quote! { use cos_ci_validate::Value; },
        (false, _, true) => quote! { use cos_ci_validate::{Base64Data, xml}; },
        (false, _, false) => quote! { use cos_ci_validate::xml; },
    };
    let tokens = quote! {
        #![doc = " Parameter types and answer containers several operations share (`shapes` in"]
        #![doc = " `spec/service.yaml`): each operation module that uses one re-exports it."]
        #imports
        #(#items)*
    };
    render(format!("{DIR}/shapes.rs"), "spec/service.yaml", tokens)
}

/// The shapes an operation uses, directly or inside another shape: an unused one would be
/// dead code in every build of the crate.
fn used_shapes(spec: &Spec) -> Vec<String> {
    let mut used = Vec::new();
    for op in &spec.operations {
        shapes_of(op, &mut used);
    }
    let mut i = 0;
    while let Some(name) = used.get(i).cloned() {
        let inner = spec.service.shapes.iter().find(|s| s.name == name);
        if let Some(ShapeKind::Nodes(n)) = inner.map(|s| &s.kind) {
            nodes::used(n, Home::Shapes, &mut used);
        }
        i += 1;
    }
    used
}

/// The shapes `op` names, as a parameter type or an answer container, each once.
fn shapes_of(op: &Op, out: &mut Vec<String>) {
    for p in op.params.iter().filter(|p| p.shared) {
        if !out.contains(&p.type_name) {
            out.push(p.type_name.clone());
        }
    }
    for tree in op.trees() {
        nodes::used(&tree.nodes, Home::Shapes, out);
    }
}

/// A `Limits` literal.
fn limits(l: &Limits) -> TokenStream {
    let b = Literal::u64_unsuffixed(l.max_input_bytes);
    let w = Literal::u32_unsuffixed(l.max_width);
    let h = Literal::u32_unsuffixed(l.max_height);
    let p = Literal::u64_unsuffixed(l.max_pixels);
    quote! {
        Limits { max_input_bytes: #b, max_width: #w, max_height: #h, max_pixels: #p }
    }
}

/// An operation's limits: the service's `DEFAULT_LIMITS` with the fields the operation
/// narrows, and which of `Limits` and `DEFAULT_LIMITS` that names.
fn op_limits(l: &Limits, defaults: &Limits, rt: &TokenStream) -> (TokenStream, [bool; 2]) {
    let mut fields = Vec::new();
    if l.max_input_bytes != defaults.max_input_bytes {
        let v = Literal::u64_unsuffixed(l.max_input_bytes);
        fields.push(quote! { max_input_bytes: #v });
    }
    if l.max_width != defaults.max_width {
        let v = Literal::u32_unsuffixed(l.max_width);
        fields.push(quote! { max_width: #v });
    }
    if l.max_height != defaults.max_height {
        let v = Literal::u32_unsuffixed(l.max_height);
        fields.push(quote! { max_height: #v });
    }
    if l.max_pixels != defaults.max_pixels {
        let v = Literal::u64_unsuffixed(l.max_pixels);
        fields.push(quote! { max_pixels: #v });
    }
    match fields.len() {
        // Left to `OP_DEFAULTS`: the module names neither.
        0 => (quote! { #rt DEFAULT_LIMITS }, [false, false]),
        4 => (quote! { #rt Limits { #(#fields,)* } }, [true, false]),
        _ => (
            quote! { #rt Limits { #(#fields,)* ..#rt DEFAULT_LIMITS } },
            [true, true],
        ),
    }
}

/// The names of this crate's root an operation module uses, in the order it imports them.
struct Imports {
    names: Vec<&'static str>,
}

impl Imports {
    /// What `op`'s module names; `limits`: whether its limits name `Limits` and
    /// `DEFAULT_LIMITS`.
    fn of(op: &Op, [limits, default_limits]: [bool; 2]) -> Imports {
        let mut names = Vec::new();
        if op.trees().any(|t| nodes::any_base64(&t.nodes)) {
            names.push("Base64Data");
        }
        if default_limits {
            names.push("DEFAULT_LIMITS");
        }
        if op.detect_url.is_some() || op.hosts != [HostKind::Cos] {
            names.push("HostKind");
        }
        let json = op
            .params
            .iter()
            .any(|p| matches!(p.kind, Kind::Json { .. }));
        if json {
            names.extend(["JsonField", "JsonType", "JsonValue"]);
        }
        if op.input != Input::Object {
            names.push("Input");
        }
        if limits {
            names.push("Limits");
        }
        names.extend(["Mode", "OP_DEFAULTS"]);
        if !op.errors.is_empty() {
            names.push("OpError");
        }
        names.extend(["OpSpec", "Operation", "Output"]);
        if op.params.iter().any(|p| !p.ignore_error) {
            names.push("ParamKind");
        }
        if !op.params.is_empty() {
            names.push("ParamSpec");
        }
        names.extend(["ParamValues", "Processor", "ProcessorKind"]);
        if !op.relations.is_empty() {
            names.push("Relation");
        }
        if op.rule_form != RuleForm::Query {
            names.push("RuleForm");
        }
        if op.params.iter().any(|p| {
            matches!(&p.kind, Kind::Text { values, max_len, .. }
                if !values.is_empty() && *max_len != cos_ci_core::ParamKind::DEFAULT_MAX_LEN)
        }) {
            // Only a closed set with its own `max_len` spells the struct out (see `kind`).
            names.push("TextEncoding");
        }
        if op.upload_result.is_some() {
            names.push("UploadAdditions");
        }
        if op
            .params
            .iter()
            .any(|p| (p.value.declares_type() && !p.shared) || p.value == ValueType::TextBool)
        {
            names.push("Value");
        }
        if op.response().is_some() || op.upload_result.is_some() {
            names.extend(["XmlNode", "xml"]);
        }
        if op.json().is_some() {
            if !names.contains(&"XmlNode") {
                names.push("XmlNode");
            }
            names.push("json");
        }
        Imports { names }
    }

    /// The `use` line, and the paths to name them by: `cos_ci_validate::` for every name
    /// when one of the module's own types takes one of them (a parameter `mode` declares
    /// `enum Mode`), nothing otherwise.
    fn paths(&self, op: &Op) -> (TokenStream, TokenStream) {
        let own = own_types(op);
        if self.names.iter().any(|n| own.contains(n)) {
            (quote! {}, quote! { cos_ci_validate:: })
        } else {
            let names = self.names.iter().map(|n| ident(n));
            (quote! { use cos_ci_validate::{#(#names),*}; }, quote! {})
        }
    }
}

/// The types `op`'s module declares.
fn own_types(op: &Op) -> Vec<&str> {
    let mut own: Vec<&str> = vec![op.type_name.as_str()];
    own.extend(
        op.params
            .iter()
            .filter(|p| p.value.declares_type())
            .map(|p| p.type_name.as_str()),
    );
    for tree in op.trees() {
        own.push(&tree.type_name);
        let mut stack: Vec<&Node> = tree.nodes.iter().collect();
        while let Some(node) = stack.pop() {
            if node.scalar.is_none() && node.home == Home::Here {
                own.push(&node.type_name);
            }
            stack.extend(node.nodes.iter());
        }
    }
    own
}

fn operation(op: &Op, service: &Service) -> Result<GeneratedFile, String> {
    let defaults = &service.limits;
    // Which names the limits use does not depend on the paths: ask with none first.
    let (_, limits_names) = op_limits(&op.limits, defaults, &quote! {});
    let (imports, rt) = Imports::of(op, limits_names).paths(op);
    let type_name = ident(&op.type_name);
    // The set of modes the client's generic methods of each mode ask for.
    let has = |mode| op.modes.contains(&mode);
    let modes = match (has(Mode::Download), has(Mode::Upload), has(Mode::Cloud)) {
        (true, false, false) => quote! { DownloadOnly },
        (false, true, false) => quote! { UploadOnly },
        (false, false, true) => quote! { CloudOnly },
        (true, true, false) => quote! { DownloadUpload },
        (true, false, true) => quote! { DownloadCloud },
        (false, true, true) => quote! { UploadCloud },
        // The checker refuses an operation without modes.
        (true, true, true) | (false, false, false) => quote! { AllModes },
    };
    // An operation adding to `UploadResult` answers its own type in upload and cloud modes.
    let answer = match &op.upload_result {
        Some(u) => {
            let t = ident(&u.tree.type_name);
            quote! { <#t> }
        }
        None => quote! {},
    };
    let (limits, _) = op_limits(&op.limits, defaults, &rt);
    let spec = spec_const(op, &rt, &limits, service.max_rules);
    let param_types = op
        .params
        .iter()
        .filter(|p| !p.shared)
        .map(|p| param_type(p, &rt));
    let mut shared: Vec<String> = Vec::new();
    shapes_of(op, &mut shared);
    let mut of_service: Vec<String> = Vec::new();
    for tree in op.trees() {
        nodes::used(&tree.nodes, Home::Service, &mut of_service);
    }
    let shared = if shared.is_empty() {
        quote! {}
    } else {
        let names = shared.iter().map(|n| ident(n));
        quote! { pub use cos_ci_validate::shapes::{#(#names),*}; }
    };
    let shared = if of_service.is_empty() {
        shared
    } else {
        let names = of_service.iter().map(|n| ident(n));
        quote! { #shared pub use cos_ci_validate::{#(#names),*}; }
    };
    let fields = op.params.iter().map(|p| {
        let f = ident(&p.field);
        let ty = value_type(p);
        let ty = if p.required {
            ty
        } else {
            quote! { Option<#ty> }
        };
        let d = doc(&param_doc(p));
        quote! { #d pub #f: #ty, }
    });
    let required: Vec<&Param> = op.params.iter().filter(|p| p.required).collect();
    let new = if required.is_empty() {
        quote! {
            /// A parameter set with every value unset: the server's defaults.
            pub fn new() -> Self {
                Self::default()
            }
        }
    } else {
        // A required text takes anything that becomes a `String`, as its setter would.
        let args = required.iter().map(|p| {
            let f = ident(&p.field);
            let ty = value_type(p);
            if p.value == ValueType::Text {
                quote! { #f: impl Into<String> }
            } else {
                quote! { #f: #ty }
            }
        });
        let fields = op.params.iter().map(|p| {
            let f = ident(&p.field);
            if p.required && p.value == ValueType::Text {
                quote! { #f: #f.into(), }
            } else if p.required {
                quote! { #f, }
            } else {
                quote! { #f: None, }
            }
        });
        quote! {
            /// A parameter set with the required values given and every optional one unset.
            pub fn new(#(#args),*) -> Self {
                Self { #(#fields)* }
            }
        }
    };
    let setters = op.params.iter().filter(|p| !p.required).map(|p| {
        let f = ident(&p.field);
        let with = ident(&p.setter);
        let d = doc(&format!("Sets `{}`: {}", p.name, p.doc));
        let (arg, value) = match p.value {
            ValueType::Text => (quote! { value: impl Into<String> }, quote! { value.into() }),
            ValueType::List => {
                let word = ident(&p.type_name);
                (
                    quote! { value: impl IntoIterator<Item = #word> },
                    quote! { value.into_iter().collect() },
                )
            }
            _ => {
                let ty = value_type(p);
                (quote! { value: #ty }, quote! { value })
            }
        };
        quote! {
            #d
            pub fn #with(mut self, #arg) -> Self {
                self.#f = Some(#value);
                self
            }
        }
    });
    let to_values = op.params.iter().map(|p| to_value(p, &rt));
    let from_values: Vec<TokenStream> = op
        .params
        .iter()
        .map(|p| {
            let f = ident(&p.field);
            let read = from_value(p);
            if p.required {
                let fallback = required_fallback(p);
                quote! { #f: #read.#fallback, }
            } else {
                quote! { #f: #read, }
            }
        })
        .collect();
    let from_values = if from_values.is_empty() {
        quote! {
            fn from_values(_: &#rt ParamValues) -> Self {
                Self::new()
            }
        }
    } else {
        quote! {
            fn from_values(values: &#rt ParamValues) -> Self {
                Self { #(#from_values)* }
            }
        }
    };
    let numbers = op.params.iter().any(|p| p.value == ValueType::Number);
    let derive = match (numbers, required.is_empty()) {
        (false, true) => quote! { #[derive(Clone, Debug, Default, PartialEq, Eq)] },
        (false, false) => quote! { #[derive(Clone, Debug, PartialEq, Eq)] },
        (true, true) => quote! { #[derive(Clone, Debug, Default, PartialEq)] },
        (true, false) => quote! { #[derive(Clone, Debug, PartialEq)] },
    };
    let struct_doc = doc(&format!("Parameters of `{}`: {}", op.name, op.summary));
    let response = match &op.output {
        Output::Xml(tree) => Some(nodes::tree(tree, &rt, nodes::Use::Read)),
        Output::Json(tree) => Some(nodes::json_tree(tree, &rt)),
        Output::Image { .. } => None,
    };
    let upload_result = op
        .upload_result
        .as_ref()
        .map(|u| nodes::tree(&u.tree, &rt, nodes::Use::Read));
    let tests = tests(op);
    let op_errors = op_error_enum(op, &rt);
    let mdoc = module_doc(&module_text(op));
    let tokens = quote! {
        #mdoc
        #imports
        #shared

        #spec
        #op_errors

        #(#param_types)*

        #struct_doc
        #derive
        #[must_use]
        #[non_exhaustive]
        pub struct #type_name { #(#fields)* }

        impl #type_name {
            #new
            #(#setters)*
        }

        impl #rt Operation for #type_name {
            const SPEC: &'static #rt OpSpec = &SPEC;
            type Modes = cos_ci_validate::modes::#modes #answer;

            fn to_values(&self) -> #rt ParamValues {
                #rt ParamValues::new() #(#to_values)*
            }

            #from_values
        }

        #response
        #upload_result
        #tests
    };
    render(format!("{DIR}/{}.rs", op.module), &op.source, tokens)
}

fn module_text(op: &Op) -> String {
    let mut text = format!("`{}`: {}\n\n", op.name, op.summary);
    if let Some(url) = &op.doc_url {
        text.push_str(&format!("Reference: <{url}>. "));
    }
    let modes: Vec<&str> = op.modes.iter().map(|m| m.as_str()).collect();
    text.push_str(&format!("Modes: {}.", modes.join(", ")));
    text
}

/// `SPEC`: every field the operation's file decides; the rest comes from `OP_DEFAULTS`.
fn spec_const(op: &Op, rt: &TokenStream, limits: &TokenStream, max_rules: u32) -> TokenStream {
    let (name, file, module, summary) = (&op.name, &op.file, &op.module, &op.summary);
    let source = &op.source;
    let doc_url = opt_str(op.doc_url.as_deref());
    let modes = op.modes.iter().map(|m| {
        let m = mode(*m);
        quote! { #rt #m }
    });
    let detect = match op.detect_url {
        Some(kind) => {
            let kind = host_kind(kind);
            quote! { Some(#rt #kind) }
        }
        None => quote! { None },
    };
    let hosts = op.hosts.iter().map(|k| {
        let k = host_kind(*k);
        quote! { #rt #k }
    });
    let input = match op.input {
        Input::Object => quote! { #rt Input::Object },
        Input::None => quote! { #rt Input::None },
    };
    let permissions = op.permissions.iter().map(|(m, actions)| {
        let m = mode(*m);
        quote! { (#rt #m, &[#(#actions),*]) }
    });
    let aliases = op.permission_aliases.iter().map(|(action, aliases)| {
        quote! { (#action, &[#(#aliases),*]) }
    });
    let params = op.params.iter().map(|p| {
        let (pname, pdoc) = (&p.name, &p.doc);
        let kind = kind(&p.kind, rt);
        let spec = if p.ignore_error {
            quote! { #rt ParamSpec::ignore_error_flag(#pname) }
        } else if p.required {
            quote! { #rt ParamSpec::required(#pname, #kind) }
        } else {
            quote! { #rt ParamSpec::optional(#pname, #kind) }
        };
        match &p.default {
            Some(d) => quote! { #spec.with_default(#d).doc(#pdoc) },
            None => quote! { #spec.doc(#pdoc) },
        }
    });
    let output = match &op.output {
        Output::Xml(tree) => {
            let root = &tree.root;
            let nodes = xml_nodes(&tree.nodes, rt);
            quote! { #rt Output::Xml { root: #root, nodes: #nodes } }
        }
        Output::Json(tree) => {
            let nodes = xml_nodes(&tree.nodes, rt);
            quote! { #rt Output::Json { nodes: #nodes } }
        }
        Output::Image { png } => quote! { #rt Output::Image { png: #png } },
    };
    let alias_query = match &op.alias_query {
        Some(word) => quote! { Some(#word) },
        None => quote! { None },
    };
    let kind = format_ident!("{}", op.processor_type);
    let bindings = op.processor_inputs.iter().map(|b| {
        let (input, param) = (&b.input, &b.param);
        quote! { (#input, #param) }
    });
    let processor = if op.processor_inputs.is_empty() && op.flat_image_error.is_none() {
        quote! { #rt Processor::new(#rt ProcessorKind::#kind) }
    } else {
        let flat = opt_str(op.flat_image_error.as_deref());
        quote! { #rt Processor { kind: #rt ProcessorKind::#kind, inputs: &[#(#bindings),*], flat_image_error: #flat } }
    };
    let errors = op.errors.iter().map(|e| {
        let (code, status, message) = (&e.code, Literal::u16_unsuffixed(e.status), &e.message);
        quote! { #rt OpError { code: #code, status: #status, message: #message } }
    });
    let rule_form = match op.rule_form {
        RuleForm::Query => quote! { #rt RuleForm::Query },
        RuleForm::Path => quote! { #rt RuleForm::Path },
    };
    let relations = op.relations.iter().map(|r| match r {
        Relation::KeyOrDetectUrl => quote! { #rt Relation::KeyOrDetectUrl },
        Relation::AtLeastOne { params, wins } => {
            let wins = opt_str(wins.as_deref());
            quote! { #rt Relation::AtLeastOne { params: &[#(#params),*], wins: #wins } }
        }
        Relation::RequiredWhen { param, other, values } => {
            quote! { #rt Relation::RequiredWhen { param: #param, other: #other, values: &[#(#values),*] } }
        }
        Relation::AppliesWhen { param, other, values } => {
            quote! { #rt Relation::AppliesWhen { param: #param, other: #other, values: &[#(#values),*] } }
        }
    });
    // Fields equal to `OP_DEFAULTS` are left to it, as a hand-written description would.
    let mut optional = Vec::new();
    if *source != format!("spec/operations/{}.yaml", op.file) {
        optional.push(quote! { source_path: Some(#source) });
    }
    if op.input != Input::Object {
        optional.push(quote! { input: #input });
    }
    if op.detect_url.is_some() {
        optional.push(quote! { detect_url: #detect });
    }
    if op.hosts != [HostKind::Cos] {
        optional.push(quote! { hosts: &[#(#hosts),*] });
    }
    if !op.permission_aliases.is_empty() {
        optional.push(quote! { permission_aliases: &[#(#aliases),*] });
    }
    if op.alias_query.is_some() {
        optional.push(quote! { alias_query: #alias_query });
    }
    if !op.params.is_empty() {
        optional.push(quote! { params: &[#(#params),*] });
    }
    optional.push(quote! { output: #output });
    if limits.to_string() != quote! { #rt DEFAULT_LIMITS }.to_string() {
        optional.push(quote! { limits: #limits });
    }
    optional.push(quote! { processor: #processor });
    if !op.errors.is_empty() {
        optional.push(quote! { errors: &[#(#errors),*] });
    }
    if op.max_rules != max_rules {
        let n = Literal::usize_unsuffixed(op.max_rules as usize);
        optional.push(quote! { max_rules: #n });
    }
    if op.rule_form != RuleForm::Query {
        optional.push(quote! { rule_form: #rule_form });
    }
    if let Some(u) = &op.upload_result {
        let (object, root) = (xml_nodes(&u.object, rt), xml_nodes(&u.root, rt));
        optional.push(
            quote! { upload_result: Some(#rt UploadAdditions { object: #object, root: #root }) },
        );
    }
    if !op.relations.is_empty() {
        optional.push(quote! { relations: &[#(#relations),*] });
    }
    let d = doc(&format!(
        "The description of `{}`, from `{}`.",
        op.name, op.source
    ));
    quote! {
        #d
        pub const SPEC: #rt OpSpec = #rt OpSpec {
            name: #name,
            file: #file,
            module: #module,
            summary: #summary,
            doc_url: #doc_url,
            modes: &[#(#modes),*],
            permissions: &[#(#permissions),*],
            #(#optional,)*
            ..#rt OP_DEFAULTS
        };
    }
}

/// `<Op>Error`: the operation's own error codes as an enum a caller can match, when its file
/// declares any.
fn op_error_enum(op: &Op, rt: &TokenStream) -> TokenStream {
    if op.errors.is_empty() {
        return quote! {};
    }
    let name = format_ident!("{}Error", op.type_name);
    let variants = op.errors.iter().map(|e| {
        let v = format_ident!("{}", e.variant);
        let d = doc(&format!("`{}`: {} (HTTP {})", e.code, e.message, e.status));
        quote! { #d #v, }
    });
    let all = op.errors.iter().map(|e| format_ident!("{}", e.variant));
    let d = doc(&format!(
        "The error codes of `{}` alone, besides the service's `ErrorCode`s.",
        op.name
    ));
    quote! {
        #d
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum #name { #(#variants)* }

        impl #name {
            /// Every code, in spec order (the order of `SPEC.errors`).
            pub const ALL: &[#name] = &[#(#name::#all),*];

            /// The code's `<Code>`, status and default message.
            pub const fn def(self) -> &'static #rt OpError {
                &SPEC.errors[self as usize]
            }

            /// The code as it appears in `<Code>`.
            pub const fn as_str(self) -> &'static str {
                self.def().code
            }

            /// The code whose `<Code>` is `code`, if it is one of this operation's.
            pub fn from_code(code: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|c| c.as_str() == code)
            }
        }

        impl std::fmt::Display for #name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    }
}

/// `&[XmlNode::scalar(..), ..]`: the answer's node tree as data, so a server can answer an
/// operation it has no generated code for.
fn xml_nodes(nodes: &[Node], rt: &TokenStream) -> TokenStream {
    let items = nodes.iter().map(|n| {
        let name = &n.name;
        let mut node = match n.scalar {
            Some(scalar) => {
                let ty = match scalar {
                    Scalar::Integer => quote! { integer },
                    Scalar::Number => quote! { number },
                    Scalar::Boolean => quote! { boolean },
                    Scalar::String => quote! { string },
                    Scalar::Base64 => quote! { base64 },
                };
                quote! { #rt XmlNode::#ty(#name) }
            }
            None => {
                let children = xml_nodes(&n.nodes, rt);
                quote! { #rt XmlNode::container(#name, #children) }
            }
        };
        // `when_asked` makes the node optional itself.
        if n.optional && n.present_when.is_none() {
            node = quote! { #node.or_absent() };
        }
        if n.repeated {
            node = quote! { #node.any_number() };
        }
        if let Some(example) = &n.example {
            node = quote! { #node.sample(#example) };
        }
        if let Some([yes, no]) = &n.spelling {
            node = quote! { #node.spelled([#yes, #no]) };
        }
        if n.number_or_string {
            node = quote! { #node.or_string() };
        }
        if let Some((param, member)) = &n.asked_by {
            node = quote! { #node.asked_by(#param, #member) };
        }
        if let Some(crop) = n.crop {
            let crop = crop.map(Literal::u8_unsuffixed);
            node = quote! { #node.cropped([#(#crop),*]) };
        }
        if let Some((param, word)) = &n.present_when {
            node = quote! { #node.when_asked(#param, #word) };
        }
        node
    });
    quote! { &[#(#items),*] }
}

fn kind(k: &Kind, rt: &TokenStream) -> TokenStream {
    match k {
        Kind::Integer { min, max } => {
            let (min, max) = (Literal::i64_unsuffixed(*min), Literal::i64_unsuffixed(*max));
            quote! { #rt ParamKind::Integer { min: #min, max: #max } }
        }
        Kind::IntegerSet { values, .. } => {
            let values = values.iter().map(|v| Literal::i64_unsuffixed(*v));
            quote! { #rt ParamKind::IntegerSet(&[#(#values),*]) }
        }
        Kind::Number { min, max } => {
            let (min, max) = (Literal::f64_unsuffixed(*min), Literal::f64_unsuffixed(*max));
            quote! { #rt ParamKind::Number { min: #min, max: #max } }
        }
        Kind::Flag => quote! { #rt ParamKind::Flag },
        Kind::Text {
            values,
            max_len,
            encoding: TextEncoding::Plain,
        } if values.is_empty() => {
            let max_len = Literal::usize_unsuffixed(*max_len);
            quote! { #rt ParamKind::text(#max_len) }
        }
        Kind::Text {
            values,
            max_len,
            encoding: TextEncoding::Base64Url,
        } if values.is_empty() => {
            let max_len = Literal::usize_unsuffixed(*max_len);
            quote! { #rt ParamKind::base64url(#max_len) }
        }
        Kind::Text {
            values,
            max_len,
            encoding: TextEncoding::Plain,
        } if *max_len == cos_ci_core::ParamKind::DEFAULT_MAX_LEN => {
            quote! { #rt ParamKind::one_of(&[#(#values),*]) }
        }
        Kind::Text {
            values,
            max_len,
            encoding,
        } => {
            let encoding = match encoding {
                TextEncoding::Plain => quote! { Plain },
                TextEncoding::Base64Url => quote! { Base64Url },
            };
            let max_len = Literal::usize_unsuffixed(*max_len);
            quote! {
                #rt ParamKind::Text {
                    values: &[#(#values),*],
                    max_len: #max_len,
                    encoding: #rt TextEncoding::#encoding,
                }
            }
        }
        Kind::Json { fields, max_len } => {
            let max_len = Literal::usize_unsuffixed(*max_len);
            let fields = fields.iter().map(|f| {
                let name = &f.name;
                let ty = json_type(f.ty);
                quote! { #rt JsonField { name: #name, ty: #rt JsonType::#ty } }
            });
            quote! { #rt ParamKind::Json { fields: &[#(#fields),*], max_len: #max_len } }
        }
        Kind::Pair {
            separator,
            min,
            max,
            names: [a, b],
        } => {
            let (min, max) = (Literal::u32_unsuffixed(*min), Literal::u32_unsuffixed(*max));
            quote! { #rt ParamKind::pair(#separator, #min, #max, [#a, #b]) }
        }
        Kind::List { values, separator } => {
            quote! { #rt ParamKind::list(&[#(#values),*], #separator) }
        }
    }
}

fn param_doc(p: &Param) -> String {
    let mut text = format!("`{}`: {} Allowed: {}.", p.name, p.doc, p.allowed);
    if let Some(d) = &p.default {
        text.push_str(&format!(" Server default: `{d}`."));
    }
    if p.required {
        text.push_str(" Required.");
    }
    text
}

/// An enum of a closed set of texts with its wire form both ways: a text parameter's values
/// (`noun` "text") or a list's words ("word"); `arg` names `from_wire`'s argument.
fn wire_enum(
    d: &TokenStream,
    name: &proc_macro2::Ident,
    variants: &[proc_macro2::Ident],
    values: &[String],
    noun: &str,
    arg: &str,
) -> TokenStream {
    let docs = values.iter().map(|v| doc(&format!("`{v}`")));
    let as_str = doc(&format!("The {noun} on the wire."));
    let from = doc(&format!("The variant for `{arg}`, if it is allowed."));
    let arg = format_ident!("{arg}");
    quote! {
        #d
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum #name { #( #docs #variants, )* }
        impl #name {
            #as_str
            pub const fn as_str(self) -> &'static str {
                match self { #( #name::#variants => #values, )* }
            }
            #from
            pub fn from_wire(#arg: &str) -> Option<Self> {
                match #arg {
                    #( #values => Some(#name::#variants), )*
                    _ => None,
                }
            }
        }
    }
}

/// The enum or struct a parameter's value needs, if any, with its conversion to a `Value`.
fn param_type(p: &Param, rt: &TokenStream) -> TokenStream {
    let name = ident(&p.type_name);
    let d = doc(&format!("Values of `{}`: {}", p.name, p.doc));
    let variants: Vec<_> = p.variants.iter().map(|v| ident(v)).collect();
    match (&p.kind, p.value) {
        (Kind::IntegerSet { values, .. }, ValueType::Enum) => {
            let docs = values.iter().map(|v| doc(&format!("`{v}`")));
            let values: Vec<_> = values.iter().map(|v| Literal::i64_unsuffixed(*v)).collect();
            quote! {
                #d
                #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
                pub enum #name { #( #docs #variants, )* }
                impl #name {
                    /// The integer on the wire.
                    pub const fn value(self) -> i64 {
                        match self { #( #name::#variants => #values, )* }
                    }
                    /// The variant for `value`, if it is allowed.
                    pub const fn from_value(value: i64) -> Option<Self> {
                        match value {
                            #( #values => Some(#name::#variants), )*
                            _ => None,
                        }
                    }
                }
                impl From<#name> for #rt Value {
                    fn from(v: #name) -> Self {
                        #rt Value::Int(v.value())
                    }
                }
            }
        }
        (Kind::Text { values, .. }, ValueType::Enum) => {
            let words = wire_enum(&d, &name, &variants, values, "text", "value");
            quote! {
                #words
                impl From<#name> for #rt Value {
                    fn from(v: #name) -> Self {
                        #rt Value::Text(v.as_str().to_string())
                    }
                }
            }
        }
        // A list's words: the enum alone, as a word is no value by itself.
        (Kind::List { values, .. }, ValueType::List) => {
            wire_enum(&d, &name, &variants, values, "word", "word")
        }
        (
            Kind::Pair {
                separator, names, ..
            },
            _,
        ) => {
            let (a, b) = (ident(&names[0]), ident(&names[1]));
            let fmt = format!("{{}}{separator}{{}}");
            let (da, db) = (
                doc(&format!("`{}`", names[0])),
                doc(&format!("`{}`", names[1])),
            );
            quote! {
                #d
                #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
                pub struct #name {
                    #da pub #a: u32,
                    #db pub #b: u32,
                }
                impl #name {
                    /// Both values.
                    pub const fn new(#a: u32, #b: u32) -> Self { Self { #a, #b } }
                }
                impl std::fmt::Display for #name {
                    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(f, #fmt, self.#a, self.#b)
                    }
                }
                impl From<#name> for #rt Value {
                    fn from(v: #name) -> Self {
                        #rt Value::Pair(v.#a, v.#b)
                    }
                }
            }
        }
        (Kind::Json { fields, .. }, _) => json_struct(p, fields, rt),
        _ => quote! {},
    }
}

/// The runtime's `JsonType` variant of `ty`.
fn json_type(ty: JsonType) -> Ident {
    match ty {
        JsonType::Boolean => ident("Boolean"),
    }
}

/// The struct of a JSON-object parameter: one `bool` per member, `with_*` setters, and its
/// conversions to and from a `Value` (false members are written nowhere).
fn json_struct(p: &Param, fields: &[JsonField], rt: &TokenStream) -> TokenStream {
    let name = ident(&p.type_name);
    let d = doc(&format!(
        "Members of `{}`: {}\n\nSent as the JSON text of the members set to `true`.",
        p.name, p.doc
    ));
    let members = fields.iter().map(|f| {
        let field = ident(&f.field);
        let d = doc(&format!("`{}`: {}", f.name, f.doc));
        match f.ty {
            JsonType::Boolean => quote! { #d pub #field: bool, },
        }
    });
    let setters = fields.iter().map(|f| {
        let field = ident(&f.field);
        let with = ident(&f.setter);
        let d = doc(&format!("Sets `{}`: {}", f.name, f.doc));
        quote! {
            #d
            #[must_use]
            pub fn #with(mut self, value: bool) -> Self {
                self.#field = value;
                self
            }
        }
    });
    let to = fields.iter().map(|f| {
        let field = ident(&f.field);
        let n = &f.name;
        quote! { (#n, v.#field) }
    });
    let from = fields.iter().map(|f| {
        let field = ident(&f.field);
        let n = &f.name;
        quote! { #field: value.json_flag(#n), }
    });
    quote! {
        #d
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub struct #name { #(#members)* }
        impl #name {
            /// Every member false (none is sent).
            #[must_use]
            pub fn new() -> Self {
                Self::default()
            }
            #(#setters)*
            /// The members of a checked value of this parameter (absent members are false).
            pub fn from_value(value: &#rt Value) -> Self {
                Self { #(#from)* }
            }
        }
        impl From<#name> for #rt Value {
            fn from(v: #name) -> Self {
                // Only the true members, as a request reads back (false is absence).
                #rt Value::Json(
                    [#(#to),*]
                        .into_iter()
                        .filter(|(_, b)| *b)
                        .map(|(n, _)| (n.to_string(), #rt JsonValue::Bool(true)))
                        .collect(),
                )
            }
        }
    }
}

/// The type of a set value (without `Option`).
fn value_type(p: &Param) -> TokenStream {
    match p.value {
        ValueType::Integer => quote! { i64 },
        ValueType::Number => quote! { f64 },
        ValueType::Flag | ValueType::TextBool => quote! { bool },
        ValueType::Text => quote! { String },
        ValueType::Enum | ValueType::Pair | ValueType::Json => {
            let name = ident(&p.type_name);
            quote! { #name }
        }
        ValueType::List => {
            let name = ident(&p.type_name);
            quote! { Vec<#name> }
        }
    }
}

/// `.with(name, value)` (required) or `.with_opt(name, value)` in `to_values`' chain.
fn to_value(p: &Param, rt: &TokenStream) -> TokenStream {
    let f = ident(&p.field);
    let name = &p.name;
    let (with, field) = if p.required {
        (quote! { with }, quote! { self.#f })
    } else {
        (quote! { with_opt }, quote! { self.#f })
    };
    let value = match (p.value, p.required) {
        (ValueType::Text, _) => quote! { #field.clone() },
        (ValueType::TextBool, true) => quote! { #rt Value::Text(#field.to_string()) },
        (ValueType::TextBool, false) => {
            quote! { #field.map(|v| #rt Value::Text(v.to_string())) }
        }
        (ValueType::List, true) => quote! { #rt Value::list(#field.iter().map(|w| w.as_str())) },
        (ValueType::List, false) => {
            quote! { #field.as_ref().map(|v| #rt Value::list(v.iter().map(|w| w.as_str()))) }
        }
        _ => field,
    };
    quote! { .#with(#name, #value) }
}

/// How `from_values` fills a required value that is missing (it never is after a check):
/// `unwrap_or_default()`, or, for generated types without a `Default`, the first allowed value.
fn required_fallback(p: &Param) -> TokenStream {
    let ty = ident(&p.type_name);
    match (&p.kind, p.value) {
        (Kind::IntegerSet { values, .. }, ValueType::Enum) => {
            let first = typed_literal(p, &values.first().copied().unwrap_or_default().to_string());
            quote! { unwrap_or(#first) }
        }
        (Kind::Text { values, .. }, ValueType::Enum) => {
            let first = typed_literal(p, values.first().map(String::as_str).unwrap_or_default());
            quote! { unwrap_or(#first) }
        }
        (Kind::Pair { min, .. }, _) => {
            let min = Literal::u32_unsuffixed(*min);
            quote! { unwrap_or(#ty::new(#min, #min)) }
        }
        _ => quote! { unwrap_or_default() },
    }
}

/// Reads the parameter from `values` as `Option<T>`.
fn from_value(p: &Param) -> TokenStream {
    let name = &p.name;
    let ty = ident(&p.type_name);
    match (&p.kind, p.value) {
        (_, ValueType::Integer) => quote! { values.int(#name) },
        (_, ValueType::Number) => quote! { values.number(#name) },
        (_, ValueType::Flag) => quote! { values.flag(#name) },
        (_, ValueType::Text) => quote! { values.text(#name).map(String::from) },
        (_, ValueType::TextBool) => quote! { values.text(#name).map(|v| v == "true") },
        (Kind::IntegerSet { .. }, _) => quote! { values.int(#name).and_then(#ty::from_value) },
        (_, ValueType::Enum) => quote! { values.text(#name).and_then(#ty::from_wire) },
        (_, ValueType::Pair) => quote! { values.pair(#name).map(|(a, b)| #ty::new(a, b)) },
        // Checked words all have a variant; an unchecked one is dropped, never guessed.
        (_, ValueType::List) => quote! {
            values.list(#name).map(|words| words.iter().filter_map(|w| #ty::from_wire(w)).collect())
        },
        (_, ValueType::Json) => quote! { values.get(#name).map(#ty::from_value) },
    }
}

/// An expression building the typed value of `p` from its wire form (examples only).
fn typed_literal(p: &Param, wire: &str) -> TokenStream {
    let ty = ident(&p.type_name);
    match (&p.kind, p.value) {
        (_, ValueType::Integer) => {
            let v = Literal::i64_unsuffixed(wire.trim().parse().unwrap_or_default());
            quote! { #v }
        }
        (_, ValueType::Number) => {
            let v = Literal::f64_unsuffixed(wire.trim().parse().unwrap_or_default());
            quote! { #v }
        }
        (_, ValueType::Flag) => {
            let v = wire.trim() == "1";
            quote! { #v }
        }
        (_, ValueType::TextBool) => {
            let v = wire == "true";
            quote! { #v }
        }
        (_, ValueType::Text) => quote! { #wire },
        (Kind::IntegerSet { values, .. }, _) => {
            // The declared spelling of the value (`+2` and `02` are 2 on the wire too).
            let n = wire.trim().parse::<i64>().ok();
            let i = values.iter().position(|v| Some(*v) == n).unwrap_or(0);
            let v = ident(p.variants.get(i).map_or("V", String::as_str));
            quote! { #ty::#v }
        }
        (Kind::Text { values, .. }, _) => {
            let i = values.iter().position(|v| v == wire).unwrap_or(0);
            let v = ident(p.variants.get(i).map_or("V", String::as_str));
            quote! { #ty::#v }
        }
        (Kind::List { values, separator }, _) => {
            let words = wire.split(*separator).map(|w| {
                let i = values.iter().position(|v| v == w).unwrap_or(0);
                let v = ident(p.variants.get(i).map_or("V", String::as_str));
                quote! { #ty::#v }
            });
            quote! { vec![#(#words),*] }
        }
        (Kind::Pair { separator, .. }, _) => {
            let (a, b) = wire.split_once(*separator).unwrap_or(("0", "0"));
            let a = Literal::u32_unsuffixed(a.trim().parse().unwrap_or_default());
            let b = Literal::u32_unsuffixed(b.trim().parse().unwrap_or_default());
            quote! { #ty::new(#a, #b) }
        }
        (Kind::Json { fields, .. }, _) => {
            // The members the example sets, as setters in the struct's member order.
            let value = p.kind.with_core(|k| k.parse(wire)).ok();
            let setters = fields
                .iter()
                .filter(|f| value.as_ref().is_some_and(|v| v.json_flag(&f.name)))
                .map(|f| {
                    let with = ident(&f.setter);
                    quote! { .#with(true) }
                });
            quote! { #ty::new() #(#setters)* }
        }
        _ => quote! { Default::default() },
    }
}

/// One test of every example: typed values encode to the exact query and rule and decode
/// back; error examples are rejected naming their parameter.
fn tests(op: &Op) -> TokenStream {
    if op.examples.is_empty() {
        return quote! {};
    }
    let type_name = ident(&op.type_name);
    let mut uses = Vec::new();
    let cases: Vec<TokenStream> = op
        .examples
        .iter()
        .map(|ex| {
            if let Some(param) = &ex.error {
                uses.push("assert_rejected");
                let pairs = ex.params.iter().map(|(k, v)| quote! { (#k, #v) });
                return quote! { assert_rejected(&SPEC, &[#(#pairs),*], #param); };
            }
            let wire = |p: &Param| {
                ex.params
                    .iter()
                    .find(|(k, _)| *k == p.name)
                    .map(|(_, v)| v.clone())
            };
            let args = op
                .params
                .iter()
                .filter(|p| p.required)
                .map(|p| typed_literal(p, &wire(p).unwrap_or_default()));
            let setters = ex.params.iter().filter_map(|(k, v)| {
                let p = op.params.iter().find(|p| &p.name == k && !p.required)?;
                let with = ident(&p.setter);
                let lit = typed_literal(p, v);
                Some(quote! { .#with(#lit) })
            });
            let params = quote! { &#type_name::new(#(#args),*) #(#setters)* };
            match (&ex.query, &ex.rule) {
                (Some(q), Some(r)) if q == r => {
                    uses.push("assert_example");
                    quote! { assert_example(#params, #q); }
                }
                (q, r) => {
                    let q = q.as_ref().map(|q| {
                        uses.push("assert_query");
                        quote! { assert_query(#params, #q); }
                    });
                    let r = r.as_ref().map(|r| {
                        uses.push("assert_rule");
                        quote! { assert_rule(#params, #r); }
                    });
                    quote! { #q #r }
                }
            }
        })
        .collect();
    uses.sort_unstable();
    uses.dedup();
    let uses = uses.iter().map(|u| ident(u));
    quote! {
        #[cfg(test)]
        mod tests {
            use super::*;
            use cos_ci_validate::testing::{#(#uses),*};

            #[test]
            fn examples() {
                #(#cases)*
            }
        }
    }
}
