//! `POST /?delete`: delete multiple objects, each checked on its own (`cos:DeleteObject`),
//! answered as `DeleteResult` with per-key errors; quiet mode answers only the errors.

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use cos_ci_validate::xml::Element;
use cos_ci_validate::{ErrorCode, MAX_KEY_BYTES};
use md5::{Digest, Md5};

use crate::auth::{On, authorize};
use crate::config::Account;
use crate::digest::content_md5;
use crate::error::ApiError;
use crate::http::{Ctx, ok, read_body};
use crate::state::MockState;
use crate::xml::XmlOut;

/// Most keys one request may name, as COS.
pub const MAX_KEYS: usize = 1000;

/// What a `<Delete>` document asks for.
#[derive(Debug, PartialEq, Eq)]
pub struct Request {
    /// Whether only errors are answered.
    pub quiet: bool,
    /// The keys, in order.
    pub keys: Vec<String>,
}

/// Parses a `<Delete>` document.
pub fn parse(xml: &str) -> Result<Request, ApiError> {
    let malformed = |why: String| ApiError::new(ErrorCode::MalformedXML, why);
    let root = Element::parse_root(xml, "Delete").map_err(|e| malformed(e.to_string()))?;
    let quiet = match root.child("Quiet").map(|q| q.text.trim()) {
        None => false,
        Some(q) if q.eq_ignore_ascii_case("true") => true,
        Some(q) if q.eq_ignore_ascii_case("false") => false,
        Some(other) => return Err(malformed(format!("<Quiet> {other:?} is not true or false"))),
    };
    let mut keys = Vec::new();
    for object in root.children.iter().filter(|c| c.name == "Object") {
        let key = object
            .child("Key")
            .ok_or_else(|| malformed("an <Object> has no <Key>".into()))?;
        keys.push(key.text.clone());
    }
    if keys.is_empty() {
        return Err(malformed("<Delete> names no <Object>".into()));
    }
    if keys.len() > MAX_KEYS {
        return Err(malformed(format!(
            "<Delete> names {} objects; at most {MAX_KEYS} are allowed",
            keys.len()
        )));
    }
    Ok(Request { quiet, keys })
}

/// Deletes each key the account may delete and reports the rest.
pub async fn handle(
    state: &Arc<MockState>,
    ctx: &Ctx,
    account: &Account,
    body: Body,
) -> Result<Response, ApiError> {
    let expected = content_md5(ctx)?;
    let body = read_body(body, state.config.max_xml_body_bytes).await?;
    if let Some(want) = expected {
        if Md5::digest(&body).as_slice() != want {
            return Err(ApiError::new(
                ErrorCode::BadDigest,
                "the Content-MD5 you specified did not match what was received",
            ));
        }
    }
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::new(ErrorCode::MalformedXML, "the body is not UTF-8"))?;
    let request = parse(text)?;
    let bucket = &ctx.target.bucket;
    let mut x = XmlOut::new("DeleteResult");
    for key in &request.keys {
        let outcome = if key.is_empty() {
            Err(ApiError::new(
                ErrorCode::InvalidArgument,
                "the key is empty",
            ))
        } else if key.len() > MAX_KEY_BYTES {
            Err(ApiError::code(ErrorCode::KeyTooLong))
        } else {
            match authorize(
                state,
                account,
                &["cos:DeleteObject"],
                On::Object { bucket, key },
            ) {
                Ok(()) => state
                    .storage
                    .delete(bucket, key)
                    .await
                    .map_err(ApiError::from),
                Err(e) => Err(e),
            }
        };
        match outcome {
            Ok(()) if request.quiet => {}
            Ok(()) => {
                x.open("Deleted").field("Key", key).close("Deleted");
            }
            Err(e) => {
                x.open("Error")
                    .field("Key", key)
                    .field("Code", &e.code)
                    .field("Message", &e.message)
                    .close("Error");
            }
        }
    }
    Ok(ok(
        "application/xml",
        x.finish("DeleteResult"),
        "tencent-cos",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_parse() {
        let r = parse("<Delete><Quiet>true</Quiet><Object><Key>a b</Key></Object><Object><Key> c</Key></Object></Delete>").unwrap();
        assert_eq!(
            r,
            Request {
                quiet: true,
                keys: vec!["a b".into(), " c".into()]
            }
        );
        assert!(
            !parse("<Delete><Object><Key>k</Key></Object></Delete>")
                .unwrap()
                .quiet
        );
    }

    #[test]
    fn bad_documents_are_malformed_xml() {
        let too_many = format!(
            "<Delete>{}</Delete>",
            "<Object><Key>k</Key></Object>".repeat(MAX_KEYS + 1)
        );
        for xml in [
            "",
            "<Delete>",
            "<Other/>",
            "<Delete/>",
            "<Delete><Object/></Delete>",
            "<Delete><Quiet>yes</Quiet><Object><Key>k</Key></Object></Delete>",
            too_many.as_str(),
        ] {
            assert_eq!(parse(xml).unwrap_err().code, "MalformedXML", "{xml:.60}");
        }
    }
}
