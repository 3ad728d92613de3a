//! Multipart upload, call by call: initiate, upload part, complete, abort, list parts and
//! list uploads. [`Client::upload_file`](crate::Client::upload_file) drives them.

use cos_ci_validate::HostKind;

use crate::answer::{children, element, flag, number, required, text};
use crate::body::Body;
use crate::client::{Client, header, request_id, required_key};
use crate::error::Error;
use crate::request::RequestParts;

/// Most parts an upload may have.
pub const MAX_PARTS: u32 = 10_000;
/// The smallest part COS accepts, the last excepted.
pub const MIN_PART_SIZE: u64 = 1024 * 1024;
/// The largest part COS accepts.
pub const MAX_PART_SIZE: u64 = 5 * 1024 * 1024 * 1024;

/// A part as ListParts reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartInfo {
    /// 1 to [`MAX_PARTS`].
    pub number: u32,
    /// ETag, quoted as COS sends it.
    pub etag: String,
    /// Size in bytes.
    pub size: u64,
}

/// A part named in CompleteMultipartUpload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompletedPart {
    /// Its number.
    pub number: u32,
    /// The ETag UploadPart answered.
    pub etag: String,
}

/// The answer to CompleteMultipartUpload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompleteOutput {
    /// The object's ETag, `"<md5 of the parts' md5s>-<parts>"`.
    pub etag: Option<String>,
    /// Its URL.
    pub location: Option<String>,
    /// The request id.
    pub request_id: Option<String>,
}

/// An upload in progress, as ListMultipartUploads reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadSummary {
    /// The key.
    pub key: String,
    /// The upload id.
    pub upload_id: String,
    /// When it started, as sent.
    pub initiated: Option<String>,
}

/// One page of ListMultipartUploads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UploadsPage {
    /// Uploads in key order (then by start).
    pub uploads: Vec<UploadSummary>,
    /// Whether more follow.
    pub is_truncated: bool,
    /// `key-marker` of the next page.
    pub next_key_marker: Option<String>,
    /// `upload-id-marker` of the next page.
    pub next_upload_id_marker: Option<String>,
}

impl Client {
    /// Initiates a multipart upload to `key`; returns its upload id.
    pub async fn create_multipart_upload(
        &self,
        key: &str,
        content_type: Option<&str>,
    ) -> Result<String, Error> {
        let mut parts = key_parts(
            "POST",
            "InitiateMultipartUpload",
            key,
            vec![("uploads".into(), String::new())],
        )?;
        if let Some(ct) = content_type {
            parts.headers.push(("Content-Type".into(), ct.to_string()));
        }
        parts.content_length = Some(0);
        let (doc, id) = self
            .call_xml(parts, None, "InitiateMultipartUploadResult")
            .await?;
        required(&doc, "UploadId", &id)
    }

    /// Uploads part `number` of `upload_id`; returns its ETag. A body in memory is retried
    /// like any request; a streamed one is sent once.
    pub async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        number: u32,
        body: impl Into<Body>,
    ) -> Result<String, Error> {
        let body = body.into();
        let parts = self.part_parts(key, upload_id, number, body.len())?;
        self.call(parts, Some(body), true, |response, _| async move {
            header(&response, "etag").ok_or_else(|| Error::Decode {
                detail: format!("UploadPart {number} answered without an ETag"),
                request_id: request_id(&response),
            })
        })
        .await
    }

    /// The request parts of UploadPart (shared with the retrying transfer).
    pub(crate) fn part_parts(
        &self,
        key: &str,
        upload_id: &str,
        number: u32,
        len: u64,
    ) -> Result<RequestParts, Error> {
        if number == 0 || number > MAX_PARTS {
            return Err(Error::InvalidArgument {
                argument: "number",
                reason: format!("part number {number} is outside 1..={MAX_PARTS}"),
            });
        }
        let mut parts = key_parts(
            "PUT",
            "UploadPart",
            key,
            vec![
                ("partNumber".into(), number.to_string()),
                ("uploadId".into(), upload_id.to_string()),
            ],
        )?;
        parts.content_length = Some(len);
        Ok(parts)
    }

    /// Completes `upload_id` from `parts` (in ascending number order, as COS requires).
    pub async fn complete_multipart_upload(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[CompletedPart],
    ) -> Result<CompleteOutput, Error> {
        let mut body = String::from("<CompleteMultipartUpload>");
        for p in parts {
            body.push_str("<Part>");
            body.push_str(&element("PartNumber", &p.number.to_string()));
            body.push_str(&element("ETag", &p.etag));
            body.push_str("</Part>");
        }
        body.push_str("</CompleteMultipartUpload>");
        let mut request = key_parts(
            "POST",
            "CompleteMultipartUpload",
            key,
            vec![("uploadId".into(), upload_id.into())],
        )?;
        request
            .headers
            .push(("Content-Type".into(), "application/xml".into()));
        request.content_length = Some(body.len() as u64);
        let (doc, request_id) = self
            .call_xml(request, Some(body.into()), "CompleteMultipartUploadResult")
            .await?;
        Ok(CompleteOutput {
            etag: text(&doc, "ETag"),
            location: text(&doc, "Location"),
            request_id,
        })
    }

    /// Aborts `upload_id`, discarding its parts.
    pub async fn abort_multipart_upload(&self, key: &str, upload_id: &str) -> Result<(), Error> {
        let parts = key_parts(
            "DELETE",
            "AbortMultipartUpload",
            key,
            vec![("uploadId".into(), upload_id.into())],
        )?;
        self.call(parts, None, false, |_, _| async { Ok(()) }).await
    }

    /// Every part uploaded so far to `upload_id`, in number order (page after page; at most
    /// [`MAX_PARTS`], so the loop is bounded).
    pub async fn list_parts(&self, key: &str, upload_id: &str) -> Result<Vec<PartInfo>, Error> {
        let mut out: Vec<PartInfo> = Vec::new();
        let mut marker = 0u32;
        loop {
            let parts = key_parts(
                "GET",
                "ListParts",
                key,
                vec![
                    ("uploadId".into(), upload_id.into()),
                    ("max-parts".into(), "1000".into()),
                    ("part-number-marker".into(), marker.to_string()),
                ],
            )?;
            let (doc, id) = self.call_xml(parts, None, "ListPartsResult").await?;
            for p in children(&doc, "Part") {
                out.push(PartInfo {
                    number: number(p, "PartNumber", &id)?,
                    etag: required(p, "ETag", &id)?,
                    size: number(p, "Size", &id)?,
                });
            }
            if !flag(&doc, "IsTruncated") {
                return Ok(out);
            }
            let next: u32 = number(&doc, "NextPartNumberMarker", &id)?;
            // A marker that does not advance, or more parts than an upload can hold, would
            // loop forever.
            if next <= marker || out.len() > MAX_PARTS as usize {
                return Err(Error::Decode {
                    detail: format!("ListParts does not advance past part {marker}"),
                    request_id: id,
                });
            }
            marker = next;
        }
    }

    /// One page of the uploads in progress under `prefix`, from the given markers.
    pub async fn list_multipart_uploads(
        &self,
        prefix: &str,
        key_marker: Option<&str>,
        upload_id_marker: Option<&str>,
    ) -> Result<UploadsPage, Error> {
        let mut query = vec![
            ("uploads".to_string(), String::new()),
            ("prefix".to_string(), prefix.to_string()),
        ];
        if let Some(m) = key_marker {
            query.push(("key-marker".into(), m.into()));
        }
        if let Some(m) = upload_id_marker {
            query.push(("upload-id-marker".into(), m.into()));
        }
        let parts = RequestParts {
            method: "GET",
            operation: "ListMultipartUploads",
            mode: None,
            host: HostKind::Cos,
            key: String::new(),
            query,
            headers: Vec::new(),
            content_length: None,
        };
        let (doc, id) = self
            .call_xml(parts, None, "ListMultipartUploadsResult")
            .await?;
        let mut uploads = Vec::new();
        for u in children(&doc, "Upload") {
            uploads.push(UploadSummary {
                key: required(u, "Key", &id)?,
                upload_id: required(u, "UploadId", &id)?,
                initiated: text(u, "Initiated"),
            });
        }
        Ok(UploadsPage {
            uploads,
            is_truncated: flag(&doc, "IsTruncated"),
            next_key_marker: text(&doc, "NextKeyMarker").filter(|s| !s.is_empty()),
            next_upload_id_marker: text(&doc, "NextUploadIdMarker").filter(|s| !s.is_empty()),
        })
    }

    /// The newest upload in progress to exactly `key`, to resume with
    /// [`Client::resume_upload_file`](crate::Client::resume_upload_file). Looks at the first
    /// page of uploads under `key` (1000 uploads).
    pub async fn find_upload(&self, key: &str) -> Result<Option<String>, Error> {
        let page = self.list_multipart_uploads(key, None, None).await?;
        Ok(page
            .uploads
            .into_iter()
            .filter(|u| u.key == key)
            .max_by(|a, b| a.initiated.cmp(&b.initiated))
            .map(|u| u.upload_id))
    }
}

fn key_parts(
    method: &'static str,
    operation: &'static str,
    key: &str,
    query: Vec<(String, String)>,
) -> Result<RequestParts, Error> {
    Ok(RequestParts {
        method,
        operation,
        mode: None,
        host: HostKind::Cos,
        key: required_key(key)?,
        query,
        headers: Vec::new(),
        content_length: None,
    })
}
