//! `cos-ci-mock`: the stand-ins' typed inputs (from `service.yaml` `processors`), and for the
//! tests the answer of every XML operation written through its typed document, which the
//! answer built from the node tree at run time must equal.
//!
//! The mock's route table is not generated: it is `cos_ci_validate::OPERATIONS`, served by
//! the same code as operations loaded at run time.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{GeneratedFile, doc, ident, module_doc, render};
use crate::ir::{InputType, Node, Op, Output, Processor, Scalar, Spec, Tree};

const DIR: &str = "crates/cos-ci-mock/src/generated";

pub fn files(spec: &Spec) -> Result<Vec<GeneratedFile>, String> {
    let xml: Vec<&Op> = spec
        .operations
        .iter()
        .filter(|op| op.document().is_some())
        .collect();
    let mods = xml.iter().map(|op| {
        let m = ident(&op.module);
        quote! { #[cfg(test)] pub mod #m; }
    });
    let answers = xml.iter().map(|op| {
        let (m, name) = (ident(&op.module), &op.name);
        quote! { (#name, #m::matches) }
    });
    let index = quote! {
        #![doc = " Generated from `spec/`: the stand-ins' inputs, and the typed XML answers the tests compare with."]
        pub mod processors;
        #(#mods)*
        /// Whether an XML or JSON answer for an input image and the request's values decodes to the typed document the node tree describes.
        #[cfg(test)]
        pub type TypedAnswer = fn(&str, &crate::processors::ImageInfo, &cos_ci_validate::ParamValues) -> bool;
        /// `(operation, matches)` of every XML and JSON operation.
        #[cfg(test)]
        pub const TYPED_ANSWERS: &[(&str, TypedAnswer)] = &[#(#answers),*];
    };
    let mut files = vec![
        render(format!("{DIR}/mod.rs"), "spec/", index)?,
        render(
            format!("{DIR}/processors.rs"),
            "spec/service.yaml",
            processors(&spec.service.processors),
        )?,
    ];
    for op in xml {
        files.push(operation(op)?);
    }
    Ok(files)
}

/// One struct per stand-in with inputs, and `StandIn`: a stand-in with its inputs, read by
/// name through `crate::processors::Inputs` (which finds each input's parameter in the
/// operation's spec), so no operation needs code of its own.
fn processors(processors: &[Processor]) -> TokenStream {
    let structs = processors.iter().filter(|p| !p.inputs.is_empty()).map(|p| {
        let ty = ident(&p.type_name);
        let d = doc(&format!("The inputs of `{}`: {}", p.name, p.doc));
        let fields = p.inputs.iter().map(|i| {
            let (f, d) = (ident(&i.field), doc(&i.doc));
            let t = match i.ty {
                InputType::Integer => quote! { u32 },
                InputType::Flag => quote! { bool },
                InputType::Pair => quote! { (u32, u32) },
                InputType::Text => quote! { u64 },
            };
            quote! { #d pub #f: #t, }
        });
        quote! {
            #d
            #[derive(Clone, Copy, Debug, PartialEq, Eq)]
            pub struct #ty { #(#fields)* }
        }
    });
    let variants = processors.iter().map(|p| {
        let ty = ident(&p.type_name);
        let d = doc(&format!("`{}`: {}", p.name, p.doc));
        if p.inputs.is_empty() {
            quote! { #d #ty, }
        } else {
            quote! { #d #ty(#ty), }
        }
    });
    let reads = processors.iter().map(|p| {
        let ty = ident(&p.type_name);
        if p.inputs.is_empty() {
            return quote! { ProcessorKind::#ty => StandIn::#ty, };
        }
        let fields = p.inputs.iter().map(|i| {
            let (f, name) = (ident(&i.field), &i.name);
            let read = match i.ty {
                InputType::Integer => format_ident!("integer"),
                InputType::Flag => format_ident!("flag"),
                InputType::Pair => format_ident!("pair"),
                InputType::Text => format_ident!("text_digest"),
            };
            quote! { #f: inputs.#read(#name)?, }
        });
        quote! { ProcessorKind::#ty => StandIn::#ty(#ty { #(#fields)* }), }
    });
    let kinds = processors.iter().map(|p| {
        let ty = ident(&p.type_name);
        if p.inputs.is_empty() {
            quote! { StandIn::#ty => ProcessorKind::#ty, }
        } else {
            quote! { StandIn::#ty(_) => ProcessorKind::#ty, }
        }
    });
    quote! {
        #![doc = " The stand-ins' typed inputs, as `spec/service.yaml` `processors` declares them."]
        use cos_ci_validate::ProcessorKind;

        use crate::processors::{Inputs, ProcessError};

        #(#structs)*

        /// A stand-in with its inputs.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum StandIn { #(#variants)* }

        impl StandIn {
            /// The stand-in `kind` with each of its inputs read from `inputs`.
            pub fn read(kind: ProcessorKind, inputs: &dyn Inputs) -> Result<Self, ProcessError> {
                Ok(match kind { #(#reads)* })
            }

            /// Which stand-in it is.
            pub const fn kind(&self) -> ProcessorKind {
                match self { #(#kinds)* }
            }
        }
    }
}

/// The typed answer of an XML operation, for the tests.
fn operation(op: &Op) -> Result<GeneratedFile, String> {
    let extra = match &op.output {
        Output::Xml(tree) => sample(
            &op.module,
            tree,
            quote! { xml::XmlDocument },
            quote! { from_xml },
        ),
        Output::Json(tree) => sample(
            &op.module,
            tree,
            quote! { json::JsonDocument },
            quote! { from_json },
        ),
        Output::Image { .. } => quote! {},
    };
    let mdoc = module_doc(&format!("`{}`: {}", op.name, op.summary));
    let tokens = quote! {
        #mdoc
        #extra
    };
    render(format!("{DIR}/{}.rs", op.module), &op.source, tokens)
}

/// `fn matches(answer, image) -> bool`: the document with every node filled from its sample value
/// (or a typed placeholder), one element for repeated nodes; integer `…Width`/`…Height` nodes
/// without a sample take the image's, and base64 nodes a stand-in PNG of its size, so answers
/// depend on the input; the answer must decode to exactly that.
fn sample(module: &str, tree: &Tree, document: TokenStream, read: TokenStream) -> TokenStream {
    let m = ident(module);
    let root = ident(&tree.type_name);
    let body = fill(module, quote! { doc }, &tree.nodes);
    // The image is read only where a width or height has no sample.
    let image = if reads_image(&tree.nodes) {
        quote! { image }
    } else {
        quote! { _image }
    };
    // The values only where a node is present per list word.
    let values = if asks(&tree.nodes) {
        quote! { values }
    } else {
        quote! { _values }
    };
    quote! {
        /// Whether `answer` decodes to the document the node tree describes for an input image
        /// and the request's values.
        pub fn matches(answer: &str, #image: &crate::processors::ImageInfo, #values: &cos_ci_validate::ParamValues) -> bool {
            use cos_ci_validate::#document;
            let mut doc = cos_ci_validate::#m::#root::default();
            #body
            cos_ci_validate::#m::#root::#read(answer).is_ok_and(|read| read == doc)
        }
    }
}

fn fill(module: &str, target: TokenStream, nodes: &[Node]) -> TokenStream {
    let m = ident(module);
    // An optional scalar without a sample is one the answer may leave out: the mock does;
    // base64 nodes take no sample and always carry their stand-in image. A node a JSON
    // parameter asks for (`asked_by`) is not in the answer to a request that sets nothing.
    let present = nodes.iter().filter(|n| {
        !(n.optional && n.scalar.is_some_and(|s| s != Scalar::Base64) && n.example.is_none())
            && n.asked_by.is_none()
    });
    let sets = present.map(|n| {
        let field = ident(&n.field);
        let value = match n.scalar {
            Some(ty) => scalar(n, ty),
            None => {
                let ty = ident(&n.type_name);
                let inner = fill(module, quote! { node }, &n.nodes);
                if inner.is_empty() {
                    // Every child is left out (asked for, or optional without a sample).
                    quote! { cos_ci_validate::#m::#ty::default() }
                } else {
                    quote! {{
                        let mut node = cos_ci_validate::#m::#ty::default();
                        #inner
                        node
                    }}
                }
            }
        };
        let value = if n.repeated {
            quote! { Vec::from([#value]) }
        } else if n.optional {
            quote! { Some(#value) }
        } else {
            value
        };
        match &n.present_when {
            Some((param, word)) => quote! {
                if cos_ci_validate::#m::SPEC.asks(values, #param, #word) {
                    #target.#field = #value;
                }
            },
            None => quote! { #target.#field = #value; },
        }
    });
    quote! { #(#sets)* }
}

/// Whether a node is present only for some list words (`present_when`).
fn asks(nodes: &[Node]) -> bool {
    nodes
        .iter()
        .any(|n| n.present_when.is_some() || asks(&n.nodes))
}

/// Whether the answer takes a width or height from the image (see [`scalar`]).
fn reads_image(nodes: &[Node]) -> bool {
    nodes.iter().filter(|n| n.asked_by.is_none()).any(|n| {
        (n.scalar == Some(Scalar::Integer)
            && n.example.is_none()
            && (n.name.ends_with("Width") || n.name.ends_with("Height"))
            && !(n.optional && n.example.is_none()))
            || n.scalar == Some(Scalar::Base64)
            || reads_image(&n.nodes)
    })
}

fn scalar(n: &Node, ty: Scalar) -> TokenStream {
    let ex = n.example.as_deref();
    match ty {
        Scalar::Integer if n.name.ends_with("Width") && ex.is_none() => {
            quote! { i64::from(image.width) }
        }
        Scalar::Integer if n.name.ends_with("Height") && ex.is_none() => {
            quote! { i64::from(image.height) }
        }
        Scalar::Integer => {
            let v: i64 = ex.and_then(|e| e.parse().ok()).unwrap_or(0);
            quote! { #v }
        }
        Scalar::Number => {
            let v: f64 = ex.and_then(|e| e.parse().ok()).unwrap_or(0.0);
            quote! { #v }
        }
        Scalar::Boolean => {
            // `example: TRUE` reaches here as `true`; a quoted spelling as itself.
            let v = ex.is_some_and(|e| e.eq_ignore_ascii_case("true") || e == "1");
            quote! { #v }
        }
        Scalar::String => {
            let v = ex.unwrap_or("").to_string();
            quote! { String::from(#v) }
        }
        // A real image the client can decode, sized after the input.
        Scalar::Base64 => quote! { crate::processors::base64_png(image) },
    }
}
