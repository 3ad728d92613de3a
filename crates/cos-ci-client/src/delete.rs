//! POST `?delete`: deleting many objects in one request, with each key's outcome.

use cos_ci_validate::HostKind;

use crate::answer::{children, content_md5, element, text};
use crate::client::Client;
use crate::error::Error;
use crate::request::RequestParts;

/// Most keys one POST `?delete` takes; longer lists are sent in several requests.
pub const MAX_DELETE_KEYS: usize = 1000;

/// A key COS could not delete.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeleteError {
    /// The key.
    pub key: String,
    /// The COS error code, e.g. `AccessDenied`.
    pub code: String,
    /// The message.
    pub message: String,
}

/// What a batch delete did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeleteObjectsOutput {
    /// Keys deleted (empty in quiet mode: COS then reports failures only).
    pub deleted: Vec<String>,
    /// Keys not deleted, with why.
    pub errors: Vec<DeleteError>,
}

impl Client {
    /// Deletes `keys` ([`MAX_DELETE_KEYS`] per request). With `quiet`, COS answers with
    /// the failures only. A key that does not exist counts as deleted, as in COS. Per-key
    /// failures are in the output, not an `Err`: the other keys are gone.
    pub async fn delete_objects(
        &self,
        keys: &[String],
        quiet: bool,
    ) -> Result<DeleteObjectsOutput, Error> {
        let mut out = DeleteObjectsOutput::default();
        for batch in keys.chunks(MAX_DELETE_KEYS) {
            let body = delete_body(batch, quiet);
            let parts = RequestParts {
                method: "POST",
                operation: "DeleteMultipleObjects",
                mode: None,
                host: HostKind::Cos,
                key: String::new(),
                query: vec![("delete".to_string(), String::new())],
                headers: vec![
                    ("Content-Type".to_string(), "application/xml".to_string()),
                    ("Content-MD5".to_string(), content_md5(body.as_bytes())),
                ],
                content_length: Some(body.len() as u64),
            };
            let (doc, _) = self
                .call_xml(parts, Some(body.into()), "DeleteResult")
                .await?;
            for d in children(&doc, "Deleted") {
                out.deleted.extend(text(d, "Key"));
            }
            for e in children(&doc, "Error") {
                out.errors.push(DeleteError {
                    key: text(e, "Key").unwrap_or_default(),
                    code: text(e, "Code").unwrap_or_default(),
                    message: text(e, "Message").unwrap_or_default(),
                });
            }
        }
        Ok(out)
    }
}

/// `<Delete><Quiet>…</Quiet><Object><Key>…</Key></Object>…</Delete>`.
fn delete_body(keys: &[String], quiet: bool) -> String {
    let mut body = String::from("<Delete>");
    body.push_str(&element("Quiet", if quiet { "true" } else { "false" }));
    for key in keys {
        body.push_str("<Object>");
        body.push_str(&element("Key", key));
        body.push_str("</Object>");
    }
    body.push_str("</Delete>");
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_escaped_in_the_body() {
        let body = delete_body(&["a<&>\"b".to_string(), "c\rd".to_string()], true);
        assert_eq!(
            body,
            "<Delete><Quiet>true</Quiet><Object><Key>a&lt;&amp;&gt;&quot;b</Key></Object>\
             <Object><Key>c&#13;d</Key></Object></Delete>"
        );
        let parsed = cos_ci_validate::xml::Element::parse(&body).unwrap();
        let keys: Vec<String> = children(&parsed, "Object")
            .filter_map(|o| text(o, "Key"))
            .collect();
        assert_eq!(keys, ["a<&>\"b", "c\rd"]);
    }
}
