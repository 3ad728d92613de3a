//! `cos-ci-client`: one `impl Client` block per operation, each method one call into the
//! hand-written runtime.

use quote::{format_ident, quote};

use super::{GeneratedFile, doc, ident, module_doc, render};
use crate::ir::{Op, Spec};

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

fn operation(op: &Op) -> Result<GeneratedFile, String> {
    let m = ident(&op.module);
    let ty = ident(&op.type_name);
    let name = &op.name;
    let base = op.module.clone();
    let mut methods = Vec::new();
    let example_params = format!("{}::new()", op.type_name);
    let required = op.params.iter().any(|p| p.required);
    if op.modes.iter().any(|m| m == "download") {
        let f = ident(&base);
        let stream = format_ident!("{}_stream", base);
        let url = format_ident!("{}_url", base);
        let (ret, call, what) = match &op.response {
            Some(tree) => {
                let r = ident(&tree.type_name);
                (
                    quote! { cos_ci_validate::#m::#r },
                    quote! { self.process_xml(source.into(), params).await },
                    format!("the `<{}>` answer", tree.root),
                )
            }
            None => (
                quote! { crate::ProcessedImage },
                quote! { self.process(source.into(), params).await },
                "the processed image".to_string(),
            ),
        };
        let example = if required {
            String::new()
        } else {
            format!(
                "\n\n```no_run\n# async fn run(client: cos_ci_client::Client) -> Result<(), cos_ci_client::Error> {{\n\
                 use cos_ci_client::{m}::{t};\n\
                 let answer = client.{f}(\"photos/in.png\", &{p}).await?;\n# Ok(()) }}\n```",
                m = op.module,
                t = op.type_name,
                f = base,
                p = example_params,
            )
        };
        let d = doc(&format!(
            "Runs `{name}` during download (`GET /<key>?ci-process={name}`) and returns {what}.\n\n\
             The source is an object key, or [`Source::url`](crate::Source::url) for a detect-url. \
             Parameters are validated before anything is sent.{example}"
        ));
        methods.push(quote! {
            #d
            pub async fn #f(&self, source: impl ::core::convert::Into<crate::Source>, params: &#ty) -> ::core::result::Result<#ret, crate::Error> {
                #call
            }
        });
        if op.response.is_none() {
            let d = doc(&format!(
                "Like [`Client::{base}`](crate::Client::{base}), but streams the image instead of buffering it."
            ));
            methods.push(quote! {
                #d
                pub async fn #stream(&self, source: impl ::core::convert::Into<crate::Source>, params: &#ty) -> ::core::result::Result<crate::ImageStream, crate::Error> {
                    self.process_stream(source.into(), params).await
                }
            });
        }
        let d = doc(&format!(
            "A pre-signed URL that runs `{name}` during download when fetched, valid for `expires`."
        ));
        methods.push(quote! {
            #d
            pub fn #url(&self, source: impl ::core::convert::Into<crate::Source>, params: &#ty, expires: ::std::time::Duration) -> ::core::result::Result<::std::string::String, crate::Error> {
                self.presign_process(source.into(), params, expires)
            }
        });
    }
    if op.modes.iter().any(|m| m == "upload") {
        let f = format_ident!("{}_upload", base);
        let d = doc(&format!(
            "Uploads `body` to `key` and stores the result of `{name}` at `fileid` (absolute with a \
             leading `/`, else relative to `key`'s folder). Use [`Client::put_object_with`](crate::Client::put_object_with) \
             for several rules or another bucket."
        ));
        methods.push(quote! {
            #d
            pub async fn #f(&self, key: &str, body: impl ::core::convert::Into<crate::Body>, fileid: &str, params: &#ty) -> ::core::result::Result<crate::UploadResult, crate::Error> {
                self.upload_with(key, body.into(), fileid, params).await
            }
        });
    }
    if op.modes.iter().any(|m| m == "cloud") {
        let f = format_ident!("{}_cloud", base);
        let d = doc(&format!(
            "Runs `{name}` on the stored object `key` (`POST ?image_process`) and stores the result at `fileid`. \
             Use [`Client::image_process`](crate::Client::image_process) for several rules."
        ));
        methods.push(quote! {
            #d
            pub async fn #f(&self, key: &str, fileid: &str, params: &#ty) -> ::core::result::Result<crate::UploadResult, crate::Error> {
                self.cloud_with(key, fileid, params).await
            }
        });
    }
    let mdoc = module_doc(&format!(
        "`{name}`: {}\n\nThe parameter types are re-exported from `cos_ci_validate::{}`.",
        op.summary, op.module
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
