//! XML node trees → Rust structs with one runtime call per field (`crate::xml`).

use proc_macro2::TokenStream;
use quote::quote;

use super::{doc, ident};
use crate::ir::{Home, Node, Scalar, Tree};

/// What a document's types are for: operation answers are only read (the mock writes them from
/// the node tree), the service's own documents are also written by the mock.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Use {
    Read,
    ReadWrite,
}

/// The struct of the tree's root, every container below it, and their XML impls.
///
/// `rt` is the path of cos-ci-validate's items (`cos_ci_validate::`), or nothing where the
/// module imports them (`xml`).
pub fn tree(tree: &Tree, rt: &TokenStream, to: Use) -> TokenStream {
    let root_doc = format!("The `<{}>` document.", tree.root);
    let root = container(&tree.type_name, &root_doc, &tree.nodes, rt, to);
    let name = ident(&tree.type_name);
    let root_name = &tree.root;
    let mut out = quote! {
        #root
        impl #rt xml::XmlDocument for #name {
            const ROOT: &'static str = #root_name;
        }
    };
    out.extend(descendants(&tree.nodes, rt, to));
    out
}

/// A shared container (`shapes:`) and the containers below it; shapes are answer parts, read only.
pub fn shape(name: &str, doc: &str, nodes: &[Node], rt: &TokenStream) -> TokenStream {
    let mut out = container(name, doc, nodes, rt, Use::Read);
    out.extend(descendants(nodes, rt, Use::Read));
    out
}

/// The structs of the containers below `nodes`, depth first; those at home elsewhere (shapes,
/// the service's documents, another tree of the module) are declared there.
fn descendants(nodes: &[Node], rt: &TokenStream, to: Use) -> TokenStream {
    let mut out = TokenStream::new();
    let mut stack: Vec<&Node> = nodes.iter().rev().collect();
    while let Some(node) = stack.pop() {
        if node.scalar.is_some() || node.home != Home::Here {
            continue;
        }
        let text = node
            .doc
            .clone()
            .unwrap_or_else(|| format!("The `<{}>` node.", node.name));
        out.extend(container(&node.type_name, &text, &node.nodes, rt, to));
        stack.extend(node.nodes.iter().rev());
    }
    out
}

/// The containers at `home` that `nodes` use, anywhere below them, each once.
pub fn used(nodes: &[Node], home: Home, out: &mut Vec<String>) {
    for node in nodes.iter().filter(|n| n.scalar.is_none()) {
        if node.home == home {
            if !out.contains(&node.type_name) {
                out.push(node.type_name.clone());
            }
        } else if node.home == Home::Here {
            used(&node.nodes, home, out);
        }
    }
}

fn container(
    type_name: &str,
    text: &str,
    nodes: &[Node],
    rt: &TokenStream,
    to: Use,
) -> TokenStream {
    let name = ident(type_name);
    let doc = doc(text);
    let fields = nodes.iter().map(|n| {
        let field = ident(&n.field);
        let ty = field_type(n, rt);
        let text = n.doc.clone().unwrap_or_else(|| format!("`<{}>`", n.name));
        let doc = super::doc(&text);
        quote! { #doc pub #field: #ty, }
    });
    let reads = nodes.iter().map(|n| {
        let field = ident(&n.field);
        let call = call(n);
        let tag = &n.name;
        // A node with other documented spellings reads every one of them.
        let names = if n.aliases.is_empty() {
            quote! { #tag }
        } else {
            let aliases = &n.aliases;
            quote! { &[#tag, #(#aliases),*] }
        };
        quote! { #field: element.#call(#names)?, }
    });
    let writes = nodes.iter().map(|n| {
        let field = ident(&n.field);
        let tag = &n.name;
        let call = call(n);
        match (&n.spelling, n.optional) {
            (Some([yes, no]), false) => quote! {
                w.field(#tag, &#rt xml::Spelled(self.#field, [#yes, #no]));
            },
            (Some([yes, no]), true) => quote! {
                w.opt_field(#tag, &self.#field.map(|b| #rt xml::Spelled(b, [#yes, #no])));
            },
            (None, _) => quote! { w.#call(#tag, &self.#field); },
        }
    });
    let derive = if nodes.iter().any(has_number) {
        quote! { #[derive(Clone, Debug, Default, PartialEq)] }
    } else {
        quote! { #[derive(Clone, Debug, Default, PartialEq, Eq)] }
    };
    let write = (to == Use::ReadWrite).then(|| {
        quote! {
            impl #rt xml::ToElement for #name {
                fn write_children(&self, w: &mut #rt xml::XmlWriter) {
                    #(#writes)*
                }
            }
        }
    });
    quote! {
        #doc
        #derive
        #[non_exhaustive]
        pub struct #name { #(#fields)* }
        impl #rt xml::FromElement for #name {
            fn from_element(element: &#rt xml::Element) -> Result<Self, #rt xml::XmlError> {
                Ok(Self { #(#reads)* })
            }
        }
        #write
    }
}

/// The `Element` / `XmlWriter` method for a node of this shape.
fn call(n: &Node) -> TokenStream {
    match (n.scalar.is_some(), n.repeated, n.optional) {
        (true, true, _) => quote! { fields },
        (true, false, true) => quote! { opt_field },
        (true, false, false) => quote! { field },
        (false, true, _) => quote! { nodes },
        (false, false, true) => quote! { opt_node },
        (false, false, false) => quote! { node },
    }
}

/// Whether a `base64` node is anywhere in `nodes` outside shared shapes (whose own module
/// declares them): the module then imports `Base64Data`.
pub fn any_base64(nodes: &[Node]) -> bool {
    nodes
        .iter()
        .any(|n| n.scalar == Some(Scalar::Base64) || (n.home == Home::Here && any_base64(&n.nodes)))
}

/// Whether `n` holds an `f64` anywhere below it (then neither it nor its container is `Eq`).
fn has_number(n: &Node) -> bool {
    n.scalar == Some(Scalar::Number) || n.nodes.iter().any(has_number)
}

/// The Rust type of a node's field.
fn field_type(n: &Node, rt: &TokenStream) -> TokenStream {
    let base = match n.scalar {
        Some(Scalar::Integer) => quote! { i64 },
        Some(Scalar::Number) => quote! { f64 },
        Some(Scalar::Boolean) => quote! { bool },
        Some(Scalar::String) => quote! { String },
        Some(Scalar::Base64) => quote! { #rt Base64Data },
        None => {
            let name = ident(&n.type_name);
            quote! { #name }
        }
    };
    if n.repeated {
        quote! { Vec<#base> }
    } else if n.optional {
        quote! { Option<#base> }
    } else {
        base
    }
}

/// The struct of a JSON answer and every container below it: serde derives with the spec's
/// member names; numbers marked `number_or_string` read numeric strings too.
pub fn json_tree(tree: &Tree, rt: &TokenStream) -> TokenStream {
    let name = ident(&tree.type_name);
    let mut out = json_container(&tree.type_name, "The JSON answer.", &tree.nodes, rt);
    out.extend(quote! { impl #rt json::JsonDocument for #name {} });
    let mut stack: Vec<&Node> = tree.nodes.iter().rev().collect();
    while let Some(node) = stack.pop() {
        if node.scalar.is_some() || node.home != Home::Here {
            continue;
        }
        let text = node
            .doc
            .clone()
            .unwrap_or_else(|| format!("The `{}` member.", node.name));
        out.extend(json_container(&node.type_name, &text, &node.nodes, rt));
        stack.extend(node.nodes.iter().rev());
    }
    out
}

fn json_container(type_name: &str, text: &str, nodes: &[Node], rt: &TokenStream) -> TokenStream {
    let name = ident(type_name);
    let doc = doc(text);
    let fields = nodes.iter().map(|n| {
        let field = ident(&n.field);
        let ty = field_type(n, rt);
        let text = n.doc.clone().unwrap_or_else(|| format!("`{}`", n.name));
        let doc = super::doc(&text);
        let wire = &n.name;
        // The member's name where the field's differs (`picSize` for `pic_size`).
        let mut attrs = if n.field == n.name {
            Vec::new()
        } else {
            vec![quote! { rename = #wire }]
        };
        attrs.extend(n.aliases.iter().map(|a| quote! { alias = #a }));
        if n.optional {
            attrs.push(quote! { default, skip_serializing_if = "Option::is_none" });
        } else if n.repeated {
            attrs.push(quote! { default });
        }
        if n.number_or_string {
            // A path string: serde resolves it where the struct is compiled.
            let reader = if n.optional {
                "cos_ci_validate::json::opt_number_or_string"
            } else {
                "cos_ci_validate::json::number_or_string"
            };
            attrs.push(quote! { deserialize_with = #reader });
        }
        let attrs = if attrs.is_empty() {
            quote! {}
        } else {
            quote! { #[serde(#(#attrs),*)] }
        };
        quote! { #doc #attrs pub #field: #ty, }
    });
    let eq = if nodes.iter().any(has_number) {
        quote! {}
    } else {
        quote! { Eq, }
    };
    quote! {
        #doc
        #[derive(Clone, Debug, Default, PartialEq, #eq ::serde::Serialize, ::serde::Deserialize)]
        #[non_exhaustive]
        pub struct #name { #(#fields)* }
    }
}
