//! XML node trees → Rust structs with one runtime call per field (`crate::xml`).

use proc_macro2::TokenStream;
use quote::quote;

use super::{doc, ident};
use crate::ir::{Node, Tree};

/// The struct of the tree's root, every container below it, and their XML impls.
pub fn tree(tree: &Tree) -> TokenStream {
    let root_doc = format!("The `<{}>` document.", tree.root);
    let root = container(&tree.type_name, &root_doc, &tree.nodes);
    let name = ident(&tree.type_name);
    let root_name = &tree.root;
    let mut out = quote! {
        #root
        impl crate::xml::XmlDocument for #name {
            const ROOT: &'static str = #root_name;
        }
    };
    let mut stack: Vec<&Node> = tree.nodes.iter().collect();
    while let Some(node) = stack.pop() {
        if node.scalar.is_none() {
            let text = node
                .doc
                .clone()
                .unwrap_or_else(|| format!("The `<{}>` node.", node.name));
            out.extend(container(&node.type_name, &text, &node.nodes));
        }
        stack.extend(node.nodes.iter().rev());
    }
    out
}

fn container(type_name: &str, text: &str, nodes: &[Node]) -> TokenStream {
    let name = ident(type_name);
    let doc = doc(text);
    let fields = nodes.iter().map(|n| {
        let field = ident(&n.field);
        let ty = field_type(n);
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
                w.field(#tag, &crate::xml::Spelled(self.#field, [#yes, #no]));
            },
            (Some([yes, no]), true) => quote! {
                w.opt_field(#tag, &self.#field.map(|b| crate::xml::Spelled(b, [#yes, #no])));
            },
            (None, _) => quote! { w.#call(#tag, &self.#field); },
        }
    });
    let derive = if nodes.iter().any(has_number) {
        quote! { #[derive(Clone, Debug, Default, PartialEq)] }
    } else {
        quote! { #[derive(Clone, Debug, Default, PartialEq, Eq)] }
    };
    quote! {
        #doc
        #derive
        #[non_exhaustive]
        pub struct #name { #(#fields)* }
        impl crate::xml::FromElement for #name {
            fn from_element(element: &crate::xml::Element) -> ::core::result::Result<Self, crate::xml::XmlError> {
                ::core::result::Result::Ok(Self { #(#reads)* })
            }
        }
        impl crate::xml::ToElement for #name {
            fn write_children(&self, w: &mut crate::xml::XmlWriter) {
                #(#writes)*
            }
        }
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

/// Whether `n` holds an `f64` anywhere below it (then neither it nor its container is `Eq`).
fn has_number(n: &Node) -> bool {
    n.scalar.as_deref() == Some("number") || n.nodes.iter().any(has_number)
}

/// The Rust type of a node's field.
fn field_type(n: &Node) -> TokenStream {
    let base = match n.scalar.as_deref() {
        Some("integer") => quote! { i64 },
        Some("number") => quote! { f64 },
        Some("boolean") => quote! { bool },
        Some(_) => quote! { ::std::string::String },
        None => {
            let name = ident(&n.type_name);
            quote! { #name }
        }
    };
    if n.repeated {
        quote! { ::std::vec::Vec<#base> }
    } else if n.optional {
        quote! { ::core::option::Option<#base> }
    } else {
        base
    }
}
