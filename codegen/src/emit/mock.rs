//! `cos-ci-mock`: one route per operation: the operation's description and how the mock
//! answers it (an image stand-in, or an XML document built from the node tree's samples).

use proc_macro2::TokenStream;
use quote::quote;

use super::{GeneratedFile, doc, ident, module_doc, render};
use crate::ir::{Node, Op, Scalar, Spec, Tree};

const DIR: &str = "crates/cos-ci-mock/src/generated";

pub fn files(spec: &Spec) -> Result<Vec<GeneratedFile>, String> {
    let mods = spec.operations.iter().map(|op| {
        let m = ident(&op.module);
        let d = doc(&format!("`{}`: {}", op.name, op.summary));
        quote! { #d pub mod #m; }
    });
    let routes = spec.operations.iter().map(|op| {
        let m = ident(&op.module);
        quote! { #m::ROUTE }
    });
    let index = quote! {
        #![doc = " Routes generated from `spec/operations/`: one module per operation."]
        #(#mods)*
        /// Every operation the mock serves, sorted by file name.
        pub const ROUTES: &[crate::route::Route] = &[#(#routes),*];
    };
    let mut files = vec![render(format!("{DIR}/mod.rs"), "spec/", index)?];
    for op in &spec.operations {
        files.push(operation(op)?);
    }
    Ok(files)
}

fn operation(op: &Op) -> Result<GeneratedFile, String> {
    let m = ident(&op.module);
    let (answer, extra) = match op.response() {
        Some(tree) => (
            quote! { crate::route::Answer::Xml(answer) },
            sample(&op.module, tree),
        ),
        None => (quote! { crate::route::Answer::Image }, quote! {}),
    };
    let mdoc = module_doc(&format!("`{}`: {}", op.name, op.summary));
    let d = doc(&format!("How the mock serves `{}`.", op.name));
    let tokens = quote! {
        #mdoc
        #d
        pub const ROUTE: crate::route::Route = crate::route::Route {
            spec: &cos_ci_validate::#m::SPEC,
            answer: #answer,
        };
        #extra
    };
    render(format!("{DIR}/{}.rs", op.module), &op.source, tokens)
}

/// `fn answer(image) -> String`: the document with every node filled from its sample value
/// (or a typed placeholder), one element for repeated nodes; integer `…Width`/`…Height` nodes
/// without a sample take the image's, so answers depend on the input.
fn sample(module: &str, tree: &Tree) -> TokenStream {
    let m = ident(module);
    let root = ident(&tree.type_name);
    let body = fill(module, quote! { doc }, &tree.nodes);
    // The image is read only where a width or height has no sample.
    let image = if reads_image(&tree.nodes) {
        quote! { image }
    } else {
        quote! { _image }
    };
    quote! {
        /// The deterministic answer for an input image.
        fn answer(#image: &crate::processors::ImageInfo) -> String {
            use cos_ci_validate::xml::XmlDocument;
            let mut doc = cos_ci_validate::#m::#root::default();
            #body
            doc.to_xml()
        }
    }
}

fn fill(module: &str, target: TokenStream, nodes: &[Node]) -> TokenStream {
    let m = ident(module);
    // An optional scalar without a sample is one the answer may leave out: the mock does.
    let present = nodes
        .iter()
        .filter(|n| !(n.optional && n.scalar.is_some() && n.example.is_none()));
    let sets = present.map(|n| {
        let field = ident(&n.field);
        let value = match n.scalar {
            Some(ty) => scalar(n, ty),
            None => {
                let ty = ident(&n.type_name);
                let inner = fill(module, quote! { node }, &n.nodes);
                quote! {{
                    let mut node = cos_ci_validate::#m::#ty::default();
                    #inner
                    node
                }}
            }
        };
        let value = if n.repeated {
            quote! { Vec::from([#value]) }
        } else if n.optional {
            quote! { Some(#value) }
        } else {
            value
        };
        quote! { #target.#field = #value; }
    });
    quote! { #(#sets)* }
}

/// Whether the answer takes a width or height from the image (see [`scalar`]).
fn reads_image(nodes: &[Node]) -> bool {
    nodes.iter().any(|n| {
        (n.scalar == Some(Scalar::Integer)
            && n.example.is_none()
            && (n.name.ends_with("Width") || n.name.ends_with("Height"))
            && !(n.optional && n.example.is_none()))
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
    }
}
