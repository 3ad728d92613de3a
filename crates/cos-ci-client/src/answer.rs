//! Reading the XML answers of bucket, copy, delete and multipart calls, and writing the XML
//! bodies some of them send.

use bytes::Bytes;
use cos_ci_validate::xml::Element;

use crate::client::{Limits, read_limited, request_id};
use crate::error::{Error, ServiceCode, ServiceError};

/// Reads an XML answer of at most `max` bytes whose root must be `root`. COS answers some
/// calls (copy, complete) with `200 OK` and an `<Error>` document: that is a service error.
pub(crate) async fn read_xml(
    response: reqwest::Response,
    root: &str,
    max: u64,
    limits: Limits,
) -> Result<(Element, Option<String>), Error> {
    let status = response.status().as_u16();
    let id = request_id(&response);
    let bytes = read_limited(response, max, &id, limits).await?;
    Ok((parse_xml(&bytes, root, status, id.clone())?, id))
}

/// Parses `bytes` as a document with root `root` (see [`read_xml`]).
pub(crate) fn parse_xml(
    bytes: &Bytes,
    root: &str,
    status: u16,
    request_id: Option<String>,
) -> Result<Element, Error> {
    let decode = |detail: String| Error::Decode {
        detail,
        request_id: request_id.clone(),
    };
    let text = std::str::from_utf8(bytes).map_err(|e| decode(format!("not UTF-8: {e}")))?;
    let element = Element::parse(text).map_err(|e| decode(e.to_string()))?;
    if element.name == "Error" {
        let text_of = |name: &str| element.child(name).map(|c| c.text.clone());
        return Err(Error::Service(Box::new(ServiceError {
            status,
            code: ServiceCode::parse(
                &text_of("Code").unwrap_or_else(|| "UnknownError".to_string()),
            ),
            message: text_of("Message").unwrap_or_default(),
            request_id: text_of("RequestId")
                .filter(|s| !s.is_empty())
                .or(request_id.clone()),
            trace_id: text_of("TraceId").filter(|s| !s.is_empty()),
            resource: text_of("Resource").filter(|s| !s.is_empty()),
        })));
    }
    if element.name != root {
        return Err(decode(format!(
            "expected root <{root}>, found <{}>",
            element.name
        )));
    }
    Ok(element)
}

/// The text of child `name`, if present.
pub(crate) fn text(element: &Element, name: &str) -> Option<String> {
    element.child(name).map(|c| c.text.clone())
}

/// The text of child `name`, which must be present.
pub(crate) fn required(
    element: &Element,
    name: &str,
    request_id: &Option<String>,
) -> Result<String, Error> {
    text(element, name).ok_or_else(|| Error::Decode {
        detail: format!("missing <{name}> in <{}>", element.name),
        request_id: request_id.clone(),
    })
}

/// Child `name` parsed as a number, which must be present.
pub(crate) fn number<T: std::str::FromStr>(
    element: &Element,
    name: &str,
    request_id: &Option<String>,
) -> Result<T, Error> {
    let value = required(element, name, request_id)?;
    value.trim().parse().map_err(|_| Error::Decode {
        detail: format!("<{name}> holds {value:?}, expected a number"),
        request_id: request_id.clone(),
    })
}

/// Whether child `name` says `true`.
pub(crate) fn flag(element: &Element, name: &str) -> bool {
    text(element, name).is_some_and(|t| t.trim() == "true")
}

/// Every child element named `name`.
pub(crate) fn children<'a>(
    element: &'a Element,
    name: &'a str,
) -> impl Iterator<Item = &'a Element> {
    element.children.iter().filter(move |c| c.name == name)
}

/// `<name>escaped text</name>`. A CR is written as a character reference: a literal one
/// reaches the reader as LF (XML end-of-line handling), which would change a key.
pub(crate) fn element(name: &str, value: &str) -> String {
    let escaped = quick_xml::escape::escape(value).replace('\r', "&#13;");
    format!("<{name}>{escaped}</{name}>")
}

/// The base64 MD5 of `body`, for `Content-MD5` (COS requires it on POST `?delete`).
pub(crate) fn content_md5(body: &[u8]) -> String {
    use base64::Engine;
    use md5::Digest;
    base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(body))
}

/// The hex MD5 of `body`: the ETag COS gives an object or part stored in one PUT.
pub(crate) fn md5_hex(body: &[u8]) -> String {
    use md5::Digest;
    hex::encode(md5::Md5::digest(body))
}

/// An ETag without its quotes, lower-cased, for comparing.
pub(crate) fn bare_etag(etag: &str) -> String {
    etag.trim().trim_matches('"').to_ascii_lowercase()
}
