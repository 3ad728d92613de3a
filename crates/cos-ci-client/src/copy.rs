//! PUT Object copy: a server-side copy from this bucket or another (`x-cos-copy-source`).

use cos_ci_validate::{HostKind, bucket_host};

use crate::answer::text;
use crate::client::{Client, required_key};
use crate::error::Error;
use crate::request::RequestParts;

/// The object a copy reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopySource {
    /// Its bucket, `<name>-<APPID>`; the client's bucket when `None`.
    pub bucket: Option<String>,
    /// Its region; the client's region when `None`.
    pub region: Option<String>,
    /// Its key.
    pub key: String,
}

impl CopySource {
    /// `key` in the client's own bucket.
    pub fn key(key: impl Into<String>) -> Self {
        CopySource {
            bucket: None,
            region: None,
            key: key.into(),
        }
    }

    /// `key` in `bucket` (same region as the client unless [`CopySource::in_region`]).
    pub fn in_bucket(bucket: impl Into<String>, key: impl Into<String>) -> Self {
        CopySource {
            bucket: Some(bucket.into()),
            region: None,
            key: key.into(),
        }
    }

    /// The source's bucket is in `region`.
    #[must_use]
    pub fn in_region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }
}

/// Whether a copy keeps the source's metadata or takes the request's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MetadataDirective {
    /// Keep the source's metadata (COS's default).
    #[default]
    Copy,
    /// Replace it with [`CopyOptions`]'s Content-Type and `x-cos-meta-*`.
    Replaced,
}

impl MetadataDirective {
    /// The `x-cos-metadata-directive` value.
    pub fn as_str(self) -> &'static str {
        match self {
            MetadataDirective::Copy => "Copy",
            MetadataDirective::Replaced => "Replaced",
        }
    }
}

/// Options of a copy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CopyOptions {
    /// Keep or replace the metadata.
    pub directive: MetadataDirective,
    /// The new Content-Type (with [`MetadataDirective::Replaced`]).
    pub content_type: Option<String>,
    /// New user metadata as (name without `x-cos-meta-`, value) pairs (with `Replaced`).
    pub metadata: Vec<(String, String)>,
}

/// The answer to a copy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyObjectOutput {
    /// The new object's ETag.
    pub etag: Option<String>,
    /// Its Last-Modified.
    pub last_modified: Option<String>,
    /// The request id.
    pub request_id: Option<String>,
}

impl Client {
    /// Copies `source` to `key` in this bucket on the server side (objects up to 5 GB, as
    /// PUT Object copy allows).
    pub async fn copy_object(
        &self,
        source: &CopySource,
        key: &str,
        options: &CopyOptions,
    ) -> Result<CopyObjectOutput, Error> {
        let mut headers = vec![
            ("x-cos-copy-source".to_string(), self.copy_source(source)?),
            (
                "x-cos-metadata-directive".to_string(),
                options.directive.as_str().to_string(),
            ),
        ];
        if options.directive == MetadataDirective::Replaced {
            if let Some(ct) = &options.content_type {
                headers.push(("Content-Type".to_string(), ct.clone()));
            }
            for (name, value) in &options.metadata {
                headers.push((format!("x-cos-meta-{name}"), value.clone()));
            }
        }
        let parts = RequestParts {
            method: "PUT",
            operation: "PutObjectCopy",
            mode: None,
            host: HostKind::Cos,
            key: required_key(key)?,
            query: Vec::new(),
            headers,
            content_length: Some(0),
        };
        let (doc, request_id) = self.call_xml(parts, None, "CopyObjectResult").await?;
        Ok(CopyObjectOutput {
            etag: text(&doc, "ETag"),
            last_modified: text(&doc, "LastModified"),
            request_id,
        })
    }

    /// The `x-cos-copy-source` value: `<bucket>.cos.<region>.myqcloud.com/<encoded key>`.
    pub(crate) fn copy_source(&self, source: &CopySource) -> Result<String, Error> {
        let key = required_key(&source.key)?;
        let config = self.config();
        let bucket = source.bucket.as_deref().unwrap_or(&config.bucket);
        if !cos_ci_validate::is_bucket_name(bucket) {
            return Err(Error::InvalidArgument {
                argument: "source",
                reason: format!("copy source bucket {bucket:?} is not <name>-<APPID>"),
            });
        }
        let region = source.region.as_deref().unwrap_or(&config.region);
        Ok(format!(
            "{}{}",
            bucket_host(HostKind::Cos, bucket, region),
            cos_ci_sign::encode_key_path(&key)
        ))
    }
}
