//! `cos-ci-client`: one `impl Client` block per operation, each method one call into the
//! hand-written runtime. The downstream target prints the same methods as an extension trait
//! (see `downstream.rs`).

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::{GeneratedFile, doc, ident, module_doc, render};
use crate::ir::{Input, Op, Output, Spec};

const DIR: &str = "crates/cos-ci-client/src/generated";

pub fn files(spec: &Spec) -> Result<Vec<GeneratedFile>, String> {
    let mods = spec.operations.iter().map(|op| {
        let m = ident(&op.module);
        let d = doc(&format!("`{}`: {}", op.name, op.summary));
        quote! { #d pub mod #m; }
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
    /// The type whose methods these are, for intra-doc links (`crate::Client` or `Self`).
    pub methods_of: &'static str,
    /// Whether docs carry a usage example (only inside cos-ci-client, whose paths it knows).
    pub examples: bool,
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

/// The methods generated for `op` at `place`.
pub(super) fn methods(op: &Op, place: &Place) -> Vec<Method> {
    let Place {
        krate,
        link,
        methods_of,
        ..
    } = place;
    let ty = ident(&op.type_name);
    let name = &op.name;
    let names = &op.methods;
    let mut methods = Vec::new();
    let example_params = format!("{}::new()", op.type_name);
    let required = op.params.iter().any(|p| p.required);
    // An operation without an input takes no source: it runs on the bucket.
    let (source, src, about_source, key_arg) = match op.input {
        Input::Object => (
            quote! { source: impl Into<#krate::Source>, },
            quote! { source.into() },
            format!(
                "The source is an object key, or [`Source::url`]({link}::Source::url) for a detect-url. "
            ),
            "\"photos/in.png\", ",
        ),
        Input::None => (
            quote! {},
            quote! { #krate::Source::Bucket },
            "It processes no object: the answer is made from the parameters alone. ".to_string(),
            "",
        ),
    };
    let target = match op.input {
        Input::Object => "/<key>",
        Input::None => "/",
    };
    if let (Some(base), Some(url)) = (&names.download, &names.url) {
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
        let example = if required || !place.examples {
            String::new()
        } else {
            format!(
                "\n\n```no_run\n# async fn run(client: cos_ci_client::Client) -> Result<(), cos_ci_client::Error> {{\n\
                 use cos_ci_client::{m}::{t};\n\
                 let answer = client.{f}({key_arg}&{p}).await?;\n# Ok(()) }}\n```",
                m = op.module,
                t = op.type_name,
                f = base,
                p = example_params,
            )
        };
        methods.push(Method {
            doc: doc(&format!(
                "Runs `{name}` during download (`GET {target}?ci-process={name}`) and returns {what}.\n\n\
                 {about_source}Parameters are validated before anything is sent.{example}"
            )),
            name: f,
            args: quote! { #source params: &#ty },
            ok,
            call,
            is_async: true,
        });
        if let Some(stream) = &names.stream {
            methods.push(Method {
                doc: doc(&format!(
                    "Like [`Client::{base}`]({methods_of}::{base}), but streams the image instead of buffering it."
                )),
                name: ident(stream),
                args: quote! { #source params: &#ty },
                ok: quote! { #krate::ImageStream },
                call: quote! { self.process_stream(#src, params) },
                is_async: true,
            });
        }
        methods.push(Method {
            doc: doc(&format!(
                "A pre-signed URL that runs `{name}` during download when fetched, valid for `expires`."
            )),
            name: ident(url),
            args: quote! { #source params: &#ty, expires: std::time::Duration },
            ok: quote! { String },
            call: quote! { self.presign_process(#src, params, expires) },
            is_async: false,
        });
    }
    if let Some(upload) = &names.upload {
        methods.push(Method {
            doc: doc(&format!(
                "Uploads `body` to `key` and stores the result of `{name}` at `fileid` (absolute with a \
                 leading `/`, else relative to `key`'s folder). Use [`Client::put_object_with`]({link}::Client::put_object_with) \
                 for several rules or another bucket."
            )),
            name: ident(upload),
            args: quote! { key: &str, body: impl Into<#krate::Body>, fileid: &str, params: &#ty },
            ok: quote! { #krate::UploadResult },
            call: quote! { self.upload_with(key, body.into(), fileid, params) },
            is_async: true,
        });
    }
    if let Some(cloud) = &names.cloud {
        methods.push(Method {
            doc: doc(&format!(
                "Runs `{name}` on the stored object `key` (`POST ?image_process`) and stores the result at `fileid`. \
                 Use [`Client::image_process`]({link}::Client::image_process) for several rules."
            )),
            name: ident(cloud),
            args: quote! { key: &str, fileid: &str, params: &#ty },
            ok: quote! { #krate::UploadResult },
            call: quote! { self.cloud_with(key, fileid, params) },
            is_async: true,
        });
    }
    methods
}

fn operation(op: &Op) -> Result<GeneratedFile, String> {
    let m = ident(&op.module);
    let place = Place {
        krate: quote! { crate },
        link: "crate",
        methods_of: "crate::Client",
        examples: true,
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
        "`{}`: {}\n\nThe parameter types are re-exported from `cos_ci_validate::{}`.",
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
