//! `cos-ci-client`: one `impl Client` block per operation with a download mode, its method
//! one call into the hand-written runtime. The downstream target prints the same methods as an extension trait
//! (see `downstream.rs`).

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::{GeneratedFile, doc, ident, module_doc, render};
use crate::ir::{Input, Mode, Op, Output, Spec};

const DIR: &str = "crates/cos-ci-client/src/generated";

pub fn files(spec: &Spec) -> Result<Vec<GeneratedFile>, String> {
    let mods = spec.operations.iter().map(|op| {
        // The module's own `//!` doc is its documentation: an outer one would be shown twice.
        let m = ident(&op.module);
        quote! { pub mod #m; }
    });
    let index = quote! {
        #![doc = " Client methods generated from `spec/operations/`: one module per operation."]
        #(#mods)*
    };
    let mut files = vec![render(format!("{DIR}/mod.rs"), "spec/", index)?];
    for op in &spec.operations {
        files.push(operation(op)?);
    }
    Ok(files)
}

/// Where the generated methods live, which decides how they name the client's types.
pub(super) struct Place {
    /// `crate` inside cos-ci-client, `::cos_ci_client` in a downstream crate.
    pub krate: TokenStream,
    /// The same for intra-doc links (`crate` or `cos_ci_client`).
    pub link: &'static str,
}

/// One client method of an operation.
pub(super) struct Method {
    pub doc: TokenStream,
    pub name: Ident,
    /// The arguments after `&self`.
    pub args: TokenStream,
    /// The `Ok` type.
    pub ok: TokenStream,
    /// The runtime call; a future when `is_async`.
    pub call: TokenStream,
    pub is_async: bool,
}

/// The method generated for `op` at `place`: its download, answer decoded. The other modes
/// and forms take the same parameters through the client's generic methods, which the
/// method's doc names.
pub(super) fn methods(op: &Op, place: &Place) -> Vec<Method> {
    let mut methods: Vec<Method> = download(op, place).into_iter().collect();
    methods.extend(upload_query(op, place));
    methods
}

/// The download method, when the operation has the mode.
fn download(op: &Op, place: &Place) -> Option<Method> {
    let Place { krate, link, .. } = place;
    let base = op.method.as_ref()?;
    let ty = ident(&op.type_name);
    let name = &op.name;
    // An operation without an input takes no source: it runs on the bucket.
    let (source, src, target, about_source) = match op.input {
        Input::Object => (
            quote! { source: impl Into<#krate::Source>, },
            quote! { source.into() },
            "/<key>",
            format!(
                "The source is an object key, or [`Source::url`]({link}::Source::url) for a detect-url. "
            ),
        ),
        Input::None => (
            quote! {},
            quote! { #krate::Source::Bucket },
            "/",
            "It processes no object: the answer is made from the parameters alone. ".to_string(),
        ),
    };
    let f = ident(base);
    let (ok, call, what) = match &op.output {
        Output::Xml(tree) => {
            let r = ident(&tree.type_name);
            (
                quote! { #r },
                quote! { self.process_xml(#src, params) },
                format!("the `<{}>` answer", tree.root),
            )
        }
        Output::Json(tree) => {
            let r = ident(&tree.type_name);
            (
                quote! { #r },
                quote! { self.process_json(#src, params) },
                "the JSON answer".to_string(),
            )
        }
        Output::Image { .. } => (
            quote! { #krate::ProcessedImage },
            quote! { self.process(#src, params) },
            "the processed image".to_string(),
        ),
    };
    let mut generic = Vec::new();
    if matches!(op.output, Output::Image { .. }) {
        generic.push(format!(
            "[`process_stream`]({link}::Client::process_stream)"
        ));
    }
    generic.push(format!(
        "[`presign_process`]({link}::Client::presign_process)"
    ));
    if op.modes.contains(&Mode::Upload) {
        generic.push(format!("[`upload_with`]({link}::Client::upload_with)"));
    }
    if op.modes.contains(&Mode::Cloud) {
        generic.push(format!("[`cloud_with`]({link}::Client::cloud_with)"));
    }
    Some(Method {
        doc: doc(&format!(
            "Runs `{name}` during download (`GET {target}?ci-process={name}`) and returns {what}.\n\n\
             {about_source}Parameters are validated before anything is sent; {generic} {take} them too.",
            generic = generic.join(", "),
            take = if generic.len() == 1 { "takes" } else { "take" },
        )),
        name: f,
        args: quote! { #source params: &#ty },
        ok,
        call,
        is_async: true,
    })
}

/// The upload-with-a-query method (`PUT /<key>?ci-process=…`), whose answer is the
/// operation's own document, so it is typed per operation rather than generic.
fn upload_query(op: &Op, place: &Place) -> Option<Method> {
    let Place { krate, .. } = place;
    let (name, tree) = (op.upload_query_method.as_ref()?, op.response()?);
    let (ty, r, op_name) = (ident(&op.type_name), ident(&tree.type_name), &op.name);
    Some(Method {
        doc: doc(&format!(
            "Uploads `body` to `key` and runs `{op_name}` on it (`PUT /<key>?ci-process={op_name}`, no \
             Pic-Operations): COS stores the body and answers the `<{}>` document, as a download \
             would. The body is streamed as given; parameters are validated before anything is sent.",
            tree.root
        )),
        name: ident(name),
        args: quote! { key: &str, body: impl Into<#krate::Body>, params: &#ty },
        ok: quote! { #r },
        call: quote! { self.upload_query_xml(key, body.into(), params) },
        is_async: true,
    })
}

fn operation(op: &Op) -> Result<GeneratedFile, String> {
    let m = ident(&op.module);
    let place = Place {
        krate: quote! { crate },
        link: "crate",
    };
    let methods = methods(op, &place).into_iter().map(|method| {
        let Method {
            doc,
            name,
            args,
            ok,
            call,
            is_async,
        } = method;
        let ret = quote! { Result<#ok, crate::Error> };
        if is_async {
            quote! { #doc pub async fn #name(&self, #args) -> #ret { #call.await } }
        } else {
            quote! { #doc pub fn #name(&self, #args) -> #ret { #call } }
        }
    });
    let mdoc = module_doc(&format!(
        "`{}`: {} The types are `cos_ci_validate::{}`'s.",
        op.name, op.summary, op.module
    ));
    let tokens = quote! {
        #mdoc
        pub use cos_ci_validate::#m::*;

        impl crate::Client {
            #(#methods)*
        }
    };
    render(format!("{DIR}/{}.rs", op.module), &op.source, tokens)
}
