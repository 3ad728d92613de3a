//! `cos-ci-validate`: the operation descriptions, typed parameters, and the shared wire models.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::{GeneratedFile, doc, ident, mode, module_doc, nodes, opt_str, render};
use crate::ir::{Kind, Op, Param, Spec, TextEncoding};

pub(super) const DIR: &str = "crates/cos-ci-validate/src/generated";

pub fn files(spec: &Spec) -> Result<Vec<GeneratedFile>, String> {
    let mut files = vec![index(spec)?, service(spec)?];
    for op in &spec.operations {
        files.push(operation(op)?);
    }
    Ok(files)
}

fn index(spec: &Spec) -> Result<GeneratedFile, String> {
    let mods = spec.operations.iter().map(|op| {
        let m = ident(&op.module);
        let d = doc(&format!("`{}`: {}", op.name, op.summary));
        quote! { #d pub mod #m; }
    });
    let specs = spec.operations.iter().map(|op| {
        let m = ident(&op.module);
        quote! { &#m::SPEC }
    });
    let tokens = quote! {
        #![doc = " Everything generated from `spec/`: one module per operation, and the service."]
        pub mod service;
        #(#mods)*
        /// Every operation in the spec, sorted by file name.
        pub const OPERATIONS: &[&crate::OpSpec] = &[#(#specs),*];
    };
    render(format!("{DIR}/mod.rs"), "spec/", tokens)
}

fn service(spec: &Spec) -> Result<GeneratedFile, String> {
    let s = &spec.service;
    let max_rules = Literal::usize_unsuffixed(s.max_rules as usize);
    let header = &s.pic_operations_header;
    let suffixes = &s.host_suffixes;
    let host = |kind: &str| {
        s.hosts
            .iter()
            .find(|(k, _)| k == kind)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (cos_host, pic_host, ci_host) = (host("cos"), host("pic"), host("ci"));
    let limits = limits(&s.limits);
    let param_code = format_ident!("{}", s.param_error_code);
    let variants = s.errors.iter().map(|(code, status, message)| {
        let v = format_ident!("{}", code);
        let d = doc(&format!("{message} (HTTP {status})"));
        quote! { #d #v, }
    });
    let all = s.errors.iter().map(|(code, ..)| format_ident!("{}", code));
    let as_str = s.errors.iter().map(|(code, ..)| {
        let v = format_ident!("{}", code);
        quote! { ErrorCode::#v => #code, }
    });
    let statuses = s.errors.iter().map(|(code, status, _)| {
        let v = format_ident!("{}", code);
        quote! { ErrorCode::#v => #status, }
    });
    let messages = s.errors.iter().map(|(code, _, message)| {
        let v = format_ident!("{}", code);
        quote! { ErrorCode::#v => #message, }
    });
    let parses = s.errors.iter().map(|(code, ..)| {
        let v = format_ident!("{}", code);
        quote! { #code => ErrorCode::#v, }
    });
    let error_xml = nodes::tree(&s.error_xml);
    let upload_result = nodes::tree(&s.upload_result);
    let processors = processor_kind(&s.processors);
    let tokens = quote! {
        #![doc = " What every operation shares: hosts, limits, Pic-Operations, error codes and documents."]
        use crate::spec::Limits;

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
        /// The code a server answers with when a parameter is out of range.
        pub const PARAM_ERROR_CODE: ErrorCode = ErrorCode::#param_code;

        /// Every COS / CI error code with its HTTP status.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode { #(#variants)* }

        impl ErrorCode {
            /// Every code, in spec order.
            pub const ALL: &[ErrorCode] = &[#(ErrorCode::#all),*];

            /// The code as it appears in `<Code>`.
            pub const fn as_str(self) -> &'static str {
                match self { #(#as_str)* }
            }

            /// The HTTP status a server answers with.
            pub const fn status(self) -> u16 {
                match self { #(#statuses)* }
            }

            /// The default `<Message>`.
            pub const fn message(self) -> &'static str {
                match self { #(#messages)* }
            }

            /// The code named `code`, if it is one of the spec's.
            pub fn from_code(code: &str) -> ::core::option::Option<Self> {
                ::core::option::Option::Some(match code {
                    #(#parses)*
                    _ => return ::core::option::Option::None,
                })
            }
        }

        impl ::core::fmt::Display for ErrorCode {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
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
fn processor_kind(processors: &[crate::ir::Processor]) -> TokenStream {
    let variants = processors.iter().map(|p| {
        let v = format_ident!("{}", p.type_name);
        let d = doc(&format!("`{}`: {}", p.name, p.doc));
        quote! { #d #v, }
    });
    let all = processors.iter().map(|p| format_ident!("{}", p.type_name));
    let names = processors.iter().map(|p| {
        let (v, name) = (format_ident!("{}", p.type_name), &p.name);
        quote! { ProcessorKind::#v => #name, }
    });
    let parses = processors.iter().map(|p| {
        let (v, name) = (format_ident!("{}", p.type_name), &p.name);
        quote! { #name => ProcessorKind::#v, }
    });
    quote! {
        /// The mock's stand-ins (`service.yaml` `processors`).
        // Not `#[non_exhaustive]`: the mock matches every stand-in, so a stand-in declared
        // without an implementation fails to compile there.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ProcessorKind { #(#variants)* }

        impl ProcessorKind {
            /// Every stand-in, in spec order.
            pub const ALL: &[ProcessorKind] = &[#(ProcessorKind::#all),*];

            /// The stand-in's name in the spec.
            pub const fn name(self) -> &'static str {
                match self { #(#names)* }
            }

            /// The stand-in called `name` in the spec.
            pub fn from_name(name: &str) -> ::core::option::Option<Self> {
                ::core::option::Option::Some(match name {
                    #(#parses)*
                    _ => return ::core::option::Option::None,
                })
            }
        }

        impl ::core::fmt::Display for ProcessorKind {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.name())
            }
        }
    }
}

fn limits(l: &crate::ir::Limits) -> TokenStream {
    let (b, w, h, p) = (l.max_input_bytes, l.max_width, l.max_height, l.max_pixels);
    quote! {
        Limits { max_input_bytes: #b, max_width: #w, max_height: #h, max_pixels: #p }
    }
}

/// The runtime types an operation module refers to by their imported names.
const IMPORTED: [&str; 13] = [
    "OpSpec",
    "Processor",
    "Mode",
    "HostKind",
    "ParamSpec",
    "ParamKind",
    "Output",
    "Limits",
    "Operation",
    "ParamValues",
    "Value",
    "XmlNode",
    "XmlType",
];

/// How an operation module names the runtime's types: by their imported names, or by full
/// paths when one of the module's own types takes such a name (a parameter `mode` declares
/// `enum Mode`, which would shadow `crate::spec::Mode`).
struct Paths {
    /// `crate::spec::` or nothing.
    spec: TokenStream,
    /// `crate::params::` or nothing.
    params: TokenStream,
    imports: TokenStream,
    /// What the tests module needs besides `use super::*`.
    test_imports: TokenStream,
}

impl Paths {
    fn for_op(op: &Op) -> Paths {
        let mut own: Vec<&str> = vec![op.type_name.as_str()];
        own.extend(
            op.params
                .iter()
                .filter(|p| declares_type(p))
                .map(|p| p.type_name.as_str()),
        );
        if let Some(tree) = &op.response {
            own.push(&tree.type_name);
            let mut stack: Vec<&crate::ir::Node> = tree.nodes.iter().collect();
            while let Some(node) = stack.pop() {
                if node.scalar.is_none() {
                    own.push(&node.type_name);
                }
                stack.extend(node.nodes.iter());
            }
        }
        if own.iter().any(|name| IMPORTED.contains(name)) {
            Paths {
                spec: quote! { crate::spec:: },
                params: quote! { crate::params:: },
                imports: quote! { use crate::params::Operation as _; },
                test_imports: quote! { use crate::params::Operation as _; },
            }
        } else {
            let imports = if op.params.is_empty() {
                quote! { use crate::params::{Operation, ParamValues}; }
            } else {
                quote! { use crate::params::{Operation, ParamValues, Value}; }
            };
            Paths {
                spec: quote! {},
                params: quote! {},
                imports: quote! {
                    #imports
                    use crate::spec::*;
                },
                test_imports: quote! {},
            }
        }
    }
}

/// Whether `p` has a generated enum or struct.
fn declares_type(p: &Param) -> bool {
    match &p.kind {
        Kind::IntegerSet { .. } | Kind::Pair { .. } => true,
        Kind::Text { values, .. } => !values.is_empty(),
        Kind::Integer { .. } | Kind::Number { .. } | Kind::Flag => false,
    }
}

fn operation(op: &Op) -> Result<GeneratedFile, String> {
    let paths = Paths::for_op(op);
    let (sp, pp) = (&paths.spec, &paths.params);
    let spec = spec_const(op, sp);
    let type_name = ident(&op.type_name);
    let param_types = op.params.iter().map(param_type);
    let fields = op.params.iter().map(|p| {
        let f = ident(&p.field);
        let ty = field_type(p);
        let d = doc(&param_doc(p));
        quote! { #d pub #f: #ty, }
    });
    let required: Vec<&Param> = op.params.iter().filter(|p| p.required).collect();
    let new_args = required.iter().map(|p| {
        let f = ident(&p.field);
        let ty = value_type(p);
        quote! { #f: #ty }
    });
    let new_fields = op.params.iter().map(|p| {
        let f = ident(&p.field);
        if p.required {
            quote! { #f, }
        } else {
            quote! { #f: ::core::option::Option::None, }
        }
    });
    let setters = op.params.iter().filter(|p| !p.required).map(|p| {
        let f = ident(&p.field);
        let with = format_ident!("with_{}", p.field.trim_start_matches("r#"));
        let d = doc(&format!("Sets `{}`: {}", p.name, p.doc));
        let (arg, value) = match &p.kind {
            Kind::Text { values, .. } if values.is_empty() => (
                quote! { value: impl ::core::convert::Into<::std::string::String> },
                quote! { value.into() },
            ),
            _ => {
                let ty = value_type(p);
                (quote! { value: #ty }, quote! { value })
            }
        };
        quote! {
            #d
            #[must_use]
            pub fn #with(mut self, #arg) -> Self {
                self.#f = ::core::option::Option::Some(#value);
                self
            }
        }
    });
    let to_values = op.params.iter().map(|p| {
        let f = ident(&p.field);
        let name = &p.name;
        let convert = to_value(p);
        let convert = quote! { #pp #convert };
        if p.required {
            quote! { values.set(#name, { let v = &self.#f; #convert }); }
        } else {
            quote! { values.set_opt(#name, self.#f.as_ref().map(|v| #convert)); }
        }
    });
    let from_values = op.params.iter().map(|p| {
        let f = ident(&p.field);
        let read = from_value(p);
        if p.required {
            let fallback = required_fallback(p);
            quote! { #f: #read.#fallback, }
        } else {
            quote! { #f: #read, }
        }
    });
    let derive = if op
        .params
        .iter()
        .any(|p| matches!(p.kind, Kind::Number { .. }))
    {
        quote! { #[derive(Clone, Debug, PartialEq)] }
    } else {
        quote! { #[derive(Clone, Debug, PartialEq, Eq)] }
    };
    let default_impl = if required.is_empty() {
        quote! {
            impl ::core::default::Default for #type_name {
                fn default() -> Self { Self::new() }
            }
        }
    } else {
        quote! {}
    };
    let struct_doc = doc(&format!(
        "Parameters of `{}`: {}\n\nRequired values are arguments of `new`, optional ones `with_*` setters; \
         unset values are left to the server's defaults.",
        op.name, op.summary
    ));
    let response = op.response.as_ref().map(nodes::tree);
    let tests = tests(op, &paths.test_imports);
    let mdoc = module_doc(&module_text(op));
    let imports = &paths.imports;
    let tokens = quote! {
        #mdoc
        #imports

        #spec

        #(#param_types)*

        #struct_doc
        #derive
        #[non_exhaustive]
        pub struct #type_name { #(#fields)* }

        impl #type_name {
            /// A parameter set with the required values given and every optional one unset.
            #[must_use]
            pub fn new(#(#new_args),*) -> Self {
                Self { #(#new_fields)* }
            }
            #(#setters)*
        }

        #default_impl

        impl #pp Operation for #type_name {
            const SPEC: &'static #sp OpSpec = &SPEC;

            fn to_values(&self) -> #pp ParamValues {
                #[allow(unused_mut)]
                let mut values = #pp ParamValues::new();
                #(#to_values)*
                values
            }

            fn from_values(values: &#pp ParamValues) -> Self {
                let _ = values;
                Self { #(#from_values)* }
            }
        }

        #response
        #tests
    };
    render(format!("{DIR}/{}.rs", op.module), &op.source, tokens)
}

fn module_text(op: &Op) -> String {
    let mut text = format!("`{}`: {}\n", op.name, op.summary);
    if let Some(url) = &op.doc_url {
        text.push_str(&format!("\nReference: <{url}>\n"));
    }
    text.push_str(&format!("\nModes: {}.", op.modes.join(", ")));
    text
}

fn spec_const(op: &Op, sp: &TokenStream) -> TokenStream {
    let (name, file, module, summary) = (&op.name, &op.file, &op.module, &op.summary);
    let source = &op.source;
    let doc_url = opt_str(op.doc_url.as_deref());
    let modes = op.modes.iter().map(|m| {
        let m = mode(m);
        quote! { #sp #m }
    });
    let detect = match op.detect_url.as_deref() {
        Some("pic") => quote! { ::core::option::Option::Some(#sp HostKind::Pic) },
        Some("ci") => quote! { ::core::option::Option::Some(#sp HostKind::Ci) },
        Some(_) => quote! { ::core::option::Option::Some(#sp HostKind::Cos) },
        None => quote! { ::core::option::Option::None },
    };
    let permissions = op.permissions.iter().map(|(m, actions)| {
        let m = mode(m);
        quote! { (#sp #m, &[#(#actions),*]) }
    });
    let aliases = op.permission_aliases.iter().map(|(action, aliases)| {
        quote! { (#action, &[#(#aliases),*]) }
    });
    let params = op.params.iter().map(|p| {
        let (pname, pdoc) = (&p.name, &p.doc);
        let kind = kind(&p.kind);
        let default = opt_str(p.default.as_deref());
        let (required, ignore) = (p.required, p.ignore_error);
        quote! {
            #sp ParamSpec { name: #pname, doc: #pdoc, kind: #sp #kind, default: #default, required: #required, ignore_error: #ignore }
        }
    });
    let output = match &op.response {
        Some(tree) => {
            let root = &tree.root;
            let nodes = xml_nodes(&tree.nodes, sp);
            quote! { #sp Output::Xml { root: #root, nodes: #nodes } }
        }
        None => {
            let png = op.png;
            quote! { #sp Output::Image { png: #png } }
        }
    };
    let limits = limits(&op.limits);
    let kind = format_ident!("{}", op.processor_type);
    let bindings = op.processor_inputs.iter().map(|b| {
        let (input, param) = (&b.input, &b.param);
        quote! { (#input, #param) }
    });
    let d = doc(&format!(
        "The description of `{}`, from `{}`.",
        op.name, op.source
    ));
    quote! {
        #d
        pub const SPEC: #sp OpSpec = #sp OpSpec {
            name: #name,
            file: #file,
            source: #source,
            module: #module,
            summary: #summary,
            doc_url: #doc_url,
            modes: &[#(#modes),*],
            detect_url: #detect,
            permissions: &[#(#permissions),*],
            permission_aliases: &[#(#aliases),*],
            params: &[#(#params),*],
            output: #output,
            limits: #sp #limits,
            processor: #sp Processor { kind: crate::ProcessorKind::#kind, inputs: &[#(#bindings),*] },
        };
    }
}

/// `&[XmlNode { .. }, ..]`: the answer's node tree as data, so a server can answer an
/// operation it has no generated code for.
fn xml_nodes(nodes: &[crate::ir::Node], sp: &TokenStream) -> TokenStream {
    let items = nodes.iter().map(|n| {
        let name = &n.name;
        let ty = match n.scalar.as_deref() {
            Some("integer") => quote! { #sp XmlType::Integer },
            Some("number") => quote! { #sp XmlType::Number },
            Some("boolean") => quote! { #sp XmlType::Boolean },
            Some(_) => quote! { #sp XmlType::String },
            None => quote! { #sp XmlType::Container },
        };
        let (optional, repeated) = (n.optional, n.repeated);
        let example = opt_str(n.example.as_deref());
        let spelling = match &n.spelling {
            Some([yes, no]) => quote! { ::core::option::Option::Some([#yes, #no]) },
            None => quote! { ::core::option::Option::None },
        };
        let children = xml_nodes(&n.nodes, sp);
        quote! {
            #sp XmlNode {
                name: #name,
                ty: #ty,
                optional: #optional,
                repeated: #repeated,
                example: #example,
                spelling: #spelling,
                children: #children,
            }
        }
    });
    quote! { &[#(#items),*] }
}

fn kind(k: &Kind) -> TokenStream {
    match k {
        Kind::Integer { min, max } => quote! { ParamKind::Integer { min: #min, max: #max } },
        Kind::IntegerSet { values, .. } => quote! { ParamKind::IntegerSet(&[#(#values),*]) },
        Kind::Number { min, max } => quote! { ParamKind::Number { min: #min, max: #max } },
        Kind::Flag => quote! { ParamKind::Flag },
        Kind::Text {
            values,
            max_len,
            encoding,
        } => {
            let encoding = match encoding {
                TextEncoding::Plain => quote! { TextEncoding::Plain },
                TextEncoding::Base64Url => quote! { TextEncoding::Base64Url },
            };
            quote! { ParamKind::Text { values: &[#(#values),*], max_len: #max_len, encoding: #encoding } }
        }
        Kind::Pair {
            separator,
            min,
            max,
            ..
        } => {
            quote! { ParamKind::Pair { separator: #separator, min: #min, max: #max } }
        }
    }
}

fn param_doc(p: &Param) -> String {
    let allowed = match &p.kind {
        Kind::Integer { min, max } => format!("an integer in {min}..={max}"),
        Kind::IntegerSet { values, .. } => {
            let v: Vec<String> = values.iter().map(i64::to_string).collect();
            format!("one of {}", v.join(", "))
        }
        Kind::Number { min, max } => format!("a number in {min}..={max}"),
        Kind::Flag => "`1` or `0`".to_string(),
        Kind::Text {
            values,
            max_len,
            encoding: TextEncoding::Plain,
        } if values.is_empty() => format!("text of at most {max_len} bytes"),
        Kind::Text {
            values,
            max_len,
            encoding: TextEncoding::Base64Url,
        } if values.is_empty() => {
            format!("text of at most {max_len} bytes, sent as URL-safe base64")
        }
        Kind::Text { values, .. } => format!("one of {}", values.join(", ")),
        Kind::Pair {
            separator,
            min,
            max,
            names,
        } => {
            format!(
                "`<{}>{separator}<{}>`, each in {min}..={max}",
                names[0], names[1]
            )
        }
    };
    let mut text = format!("`{}`: {}\n\nAllowed: {allowed}.", p.name, p.doc);
    if let Some(d) = &p.default {
        text.push_str(&format!(" Server default: `{d}`."));
    }
    if p.required {
        text.push_str(" Required.");
    }
    text
}

/// Variant name of an integer-set or text-set value.
fn variant(prefix: &str, value: &str) -> String {
    crate::check::variant_name(prefix, value)
}

/// The enum or newtype a parameter needs, if any.
fn param_type(p: &Param) -> TokenStream {
    let name = ident(&p.type_name);
    let d = doc(&format!("Values of `{}`: {}", p.name, p.doc));
    match &p.kind {
        Kind::IntegerSet { values, prefix } => {
            let variants: Vec<_> = values
                .iter()
                .map(|v| ident(&variant(prefix, &v.to_string())))
                .collect();
            let docs = values.iter().map(|v| doc(&format!("`{v}`")));
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
                    pub const fn from_value(value: i64) -> ::core::option::Option<Self> {
                        match value {
                            #( #values => ::core::option::Option::Some(#name::#variants), )*
                            _ => ::core::option::Option::None,
                        }
                    }
                }
            }
        }
        Kind::Text { values, .. } if !values.is_empty() => {
            let variants: Vec<_> = values.iter().map(|v| ident(&variant("", v))).collect();
            let docs = values.iter().map(|v| doc(&format!("`{v}`")));
            quote! {
                #d
                #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
                pub enum #name { #( #docs #variants, )* }
                impl #name {
                    /// The text on the wire.
                    pub const fn as_str(self) -> &'static str {
                        match self { #( #name::#variants => #values, )* }
                    }
                    /// The variant for `value`, if it is allowed.
                    pub fn from_wire(value: &str) -> ::core::option::Option<Self> {
                        match value {
                            #( #values => ::core::option::Option::Some(#name::#variants), )*
                            _ => ::core::option::Option::None,
                        }
                    }
                }
            }
        }
        Kind::Pair {
            separator, names, ..
        } => {
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
                impl ::core::fmt::Display for #name {
                    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                        write!(f, #fmt, self.#a, self.#b)
                    }
                }
            }
        }
        _ => quote! {},
    }
}

/// The type of a set value (without `Option`).
fn value_type(p: &Param) -> TokenStream {
    let name = ident(&p.type_name);
    match &p.kind {
        Kind::Integer { .. } => quote! { i64 },
        Kind::Number { .. } => quote! { f64 },
        Kind::Flag => quote! { bool },
        Kind::Text { values, .. } if values.is_empty() => quote! { ::std::string::String },
        _ => quote! { #name },
    }
}

fn field_type(p: &Param) -> TokenStream {
    let ty = value_type(p);
    if p.required {
        ty
    } else {
        quote! { ::core::option::Option<#ty> }
    }
}

/// Converts `v: &T` into a `Value`.
fn to_value(p: &Param) -> TokenStream {
    match &p.kind {
        Kind::Integer { .. } => quote! { Value::Int(*v) },
        Kind::IntegerSet { .. } => quote! { Value::Int(v.value()) },
        Kind::Number { .. } => quote! { Value::Number(*v) },
        Kind::Flag => quote! { Value::Flag(*v) },
        Kind::Text { values, .. } if values.is_empty() => quote! { Value::Text(v.clone()) },
        Kind::Text { .. } => quote! { Value::Text(v.as_str().to_string()) },
        Kind::Pair { names, .. } => {
            let (a, b) = (ident(&names[0]), ident(&names[1]));
            quote! { Value::Pair(v.#a, v.#b) }
        }
    }
}

/// How `from_values` fills a required value that is missing (it never is after a check):
/// `unwrap_or_default()`, or, for generated types without a `Default`, the first allowed value.
fn required_fallback(p: &Param) -> TokenStream {
    let ty = ident(&p.type_name);
    match &p.kind {
        Kind::IntegerSet { values, .. } => {
            let first = typed_literal(p, &values.first().copied().unwrap_or_default().to_string());
            quote! { unwrap_or(#first) }
        }
        Kind::Text { values, .. } if !values.is_empty() => {
            let first = typed_literal(p, values.first().map(String::as_str).unwrap_or_default());
            quote! { unwrap_or(#first) }
        }
        Kind::Pair { min, .. } => quote! { unwrap_or(#ty::new(#min, #min)) },
        _ => quote! { unwrap_or_default() },
    }
}

/// Reads the parameter from `values` as `Option<T>`.
fn from_value(p: &Param) -> TokenStream {
    let name = &p.name;
    let ty = ident(&p.type_name);
    match &p.kind {
        Kind::Integer { .. } => quote! { values.int(#name) },
        Kind::IntegerSet { .. } => quote! { values.int(#name).and_then(#ty::from_value) },
        Kind::Number { .. } => quote! { values.number(#name) },
        Kind::Flag => quote! { values.flag(#name) },
        Kind::Text { values: set, .. } if set.is_empty() => {
            quote! { values.text(#name).map(::std::string::ToString::to_string) }
        }
        Kind::Text { .. } => quote! { values.text(#name).and_then(#ty::from_wire) },
        Kind::Pair { .. } => quote! { values.pair(#name).map(|(a, b)| #ty::new(a, b)) },
    }
}

/// An expression building the typed value of `p` from its wire form (examples only).
fn typed_literal(p: &Param, wire: &str) -> TokenStream {
    let ty = ident(&p.type_name);
    match &p.kind {
        Kind::Integer { .. } => {
            let v: i64 = wire.parse().unwrap_or_default();
            quote! { #v }
        }
        Kind::IntegerSet { prefix, values } => {
            // The declared spelling of the value (`+2` and `02` are 2 on the wire too).
            let n = wire
                .parse::<i64>()
                .ok()
                .or_else(|| values.first().copied())
                .unwrap_or_default();
            let v = ident(&variant(prefix, &n.to_string()));
            quote! { #ty::#v }
        }
        Kind::Number { .. } => {
            let v: f64 = wire.parse().unwrap_or_default();
            quote! { #v }
        }
        Kind::Flag => {
            let v = wire == "1";
            quote! { #v }
        }
        Kind::Text { values, .. } if values.is_empty() => quote! { #wire },
        Kind::Text { .. } => {
            let v = ident(&variant("", wire));
            quote! { #ty::#v }
        }
        Kind::Pair { separator, .. } => {
            let (a, b) = wire.split_once(*separator).unwrap_or(("0", "0"));
            let (a, b): (u32, u32) = (a.parse().unwrap_or_default(), b.parse().unwrap_or_default());
            quote! { #ty::new(#a, #b) }
        }
    }
}

/// One test per example: typed values encode to the exact query and rule and decode back;
/// error examples are rejected naming their parameter.
fn tests(op: &Op, imports: &TokenStream) -> TokenStream {
    if op.examples.is_empty() {
        return quote! {};
    }
    let type_name = ident(&op.type_name);
    let cases = op.examples.iter().enumerate().map(|(i, ex)| {
        let name = format_ident!("example_{}", i + 1);
        if let Some(param) = &ex.error {
            let pairs = ex.params.iter().map(|(k, v)| quote! { (#k, #v) });
            return quote! {
                #[test]
                fn #name() {
                    let err = SPEC.decode_pairs([#(#pairs),*], true).unwrap_err();
                    assert!(err.names(#param), "{err}");
                }
            };
        }
        let required: Vec<&Param> = op.params.iter().filter(|p| p.required).collect();
        let wire = |p: &Param| {
            ex.params
                .iter()
                .find(|(k, _)| *k == p.name)
                .map(|(_, v)| v.clone())
        };
        let args = required
            .iter()
            .map(|p| typed_literal(p, &wire(p).unwrap_or_default()));
        let setters = ex.params.iter().filter_map(|(k, v)| {
            let p = op.params.iter().find(|p| &p.name == k && !p.required)?;
            let with = format_ident!("with_{}", p.field.trim_start_matches("r#"));
            let lit = typed_literal(p, v);
            Some(quote! { .#with(#lit) })
        });
        let query = ex.query.as_ref().map(|q| {
            quote! {
                assert_eq!(params.to_query().unwrap(), #q);
                assert_eq!(#type_name::from_query(#q).unwrap(), params);
            }
        });
        let rule = ex.rule.as_ref().map(|r| {
            quote! {
                assert_eq!(params.to_rule().unwrap(), #r);
                assert_eq!(#type_name::from_rule(#r).unwrap(), params);
            }
        });
        quote! {
            #[test]
            fn #name() {
                let params = #type_name::new(#(#args),*) #(#setters)*;
                #query
                #rule
            }
        }
    });
    quote! {
        #[cfg(test)]
        mod tests {
            use super::*;
            #imports
            #(#cases)*
        }
    }
}
