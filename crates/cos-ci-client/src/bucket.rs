//! Bucket-level calls: HEAD Bucket, and GET Bucket (list objects, v1) as one page or as a
//! stream that follows the markers.

use std::collections::VecDeque;

use cos_ci_validate::HostKind;
use cos_ci_validate::xml::Element;
use futures_util::stream::BoxStream;

use crate::answer::{children, flag, number, required, text};
use crate::client::{Client, header, request_id};
use crate::error::Error;
use crate::request::RequestParts;

/// Most keys COS returns in one listing page.
pub const MAX_KEYS: u32 = 1000;

/// What HEAD Bucket tells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BucketInfo {
    /// The bucket's region (`x-cos-bucket-region`), when sent.
    pub region: Option<String>,
    /// The request id.
    pub request_id: Option<String>,
}

/// A GET Bucket request: which keys, and how many per page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListObjects {
    /// Only keys starting with this.
    pub prefix: String,
    /// Keys with this after the prefix are rolled up into common prefixes (`/` for folders).
    pub delimiter: Option<String>,
    /// Start after this key.
    pub marker: Option<String>,
    /// Keys per page, 1 to [`MAX_KEYS`].
    pub max_keys: u32,
}

impl Default for ListObjects {
    fn default() -> Self {
        ListObjects {
            prefix: String::new(),
            delimiter: None,
            marker: None,
            max_keys: MAX_KEYS,
        }
    }
}

impl ListObjects {
    /// Every key in the bucket, 1000 per page.
    pub fn new() -> Self {
        ListObjects::default()
    }

    /// Only keys starting with `prefix`.
    #[must_use]
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Rolls keys up at `delimiter` into common prefixes.
    #[must_use]
    pub fn with_delimiter(mut self, delimiter: impl Into<String>) -> Self {
        self.delimiter = Some(delimiter.into());
        self
    }

    /// Starts after `marker`.
    #[must_use]
    pub fn with_marker(mut self, marker: impl Into<String>) -> Self {
        self.marker = Some(marker.into());
        self
    }

    /// At most `max_keys` keys per page (1 to [`MAX_KEYS`]).
    #[must_use]
    pub fn with_max_keys(mut self, max_keys: u32) -> Self {
        self.max_keys = max_keys;
        self
    }
}

/// One object in a listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectSummary {
    /// The key.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// ETag, quoted as COS sends it.
    pub etag: String,
    /// Last-Modified, ISO 8601 as sent.
    pub last_modified: String,
    /// Storage class, e.g. `STANDARD`.
    pub storage_class: Option<String>,
}

/// One page of a listing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListPage {
    /// Objects, in key order.
    pub objects: Vec<ObjectSummary>,
    /// Common prefixes (with a delimiter), in order.
    pub common_prefixes: Vec<String>,
    /// Whether more pages follow.
    pub is_truncated: bool,
    /// Where the next page starts (`NextMarker`, else the last key or prefix of this page).
    pub next_marker: Option<String>,
    /// The request id.
    pub request_id: Option<String>,
}

/// An item of a listing stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListEntry {
    /// An object.
    Object(ObjectSummary),
    /// A common prefix (a "folder" when the delimiter is `/`).
    Prefix(String),
}

impl Client {
    /// HEAD Bucket: whether the bucket exists and may be read (an error otherwise, e.g.
    /// `NoSuchBucket` or `AccessDenied`).
    pub async fn head_bucket(&self) -> Result<BucketInfo, Error> {
        let parts = bucket_parts("HEAD", "HeadBucket", Vec::new());
        self.call(parts, None, false, |response, _| async move {
            Ok(BucketInfo {
                region: header(&response, "x-cos-bucket-region"),
                request_id: request_id(&response),
            })
        })
        .await
    }

    /// GET Bucket: one page of the listing `request` asks for. Keys are asked for with
    /// `encoding-type=url` (so any key survives XML) and come back decoded.
    pub async fn list_objects_page(&self, request: &ListObjects) -> Result<ListPage, Error> {
        if request.max_keys == 0 || request.max_keys > MAX_KEYS {
            return Err(Error::InvalidArgument {
                argument: "max_keys",
                reason: format!(
                    "max_keys is {}; COS lists 1 to {MAX_KEYS} keys per page",
                    request.max_keys
                ),
            });
        }
        let mut query = vec![("prefix".to_string(), request.prefix.clone())];
        if let Some(d) = &request.delimiter {
            query.push(("delimiter".to_string(), d.clone()));
        }
        if let Some(m) = &request.marker {
            query.push(("marker".to_string(), m.clone()));
        }
        query.push(("max-keys".to_string(), request.max_keys.to_string()));
        query.push(("encoding-type".to_string(), "url".to_string()));
        let (doc, id) = self
            .call_xml(
                bucket_parts("GET", "GetBucket", query),
                None,
                "ListBucketResult",
            )
            .await?;
        parse_page(&doc, id)
    }

    /// Every entry of a listing, page after page from `request.marker`: objects, and common
    /// prefixes when a delimiter is given. The stream ends with the listing, or with the
    /// first error.
    ///
    /// ```no_run
    /// use futures_util::TryStreamExt;
    /// use cos_ci_client::{Client, ListEntry, ListObjects};
    /// # async fn run(client: Client) -> Result<(), cos_ci_client::Error> {
    /// let mut entries = client.list_objects(ListObjects::new().with_prefix("photos/").with_delimiter("/"));
    /// while let Some(entry) = entries.try_next().await? {
    ///     match entry {
    ///         ListEntry::Object(o) => println!("{} {}", o.size, o.key),
    ///         ListEntry::Prefix(p) => println!("PRE {p}"),
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list_objects(
        &self,
        request: ListObjects,
    ) -> BoxStream<'static, Result<ListEntry, Error>> {
        struct State {
            client: Client,
            request: ListObjects,
            buffered: VecDeque<ListEntry>,
            done: bool,
        }
        let state = State {
            client: self.clone(),
            request,
            buffered: VecDeque::new(),
            done: false,
        };
        Box::pin(futures_util::stream::unfold(state, |mut s| async move {
            loop {
                if let Some(entry) = s.buffered.pop_front() {
                    return Some((Ok(entry), s));
                }
                if s.done {
                    return None;
                }
                let page = match s.client.list_objects_page(&s.request).await {
                    Ok(page) => page,
                    Err(e) => {
                        s.done = true;
                        return Some((Err(e), s));
                    }
                };
                s.done = !page.is_truncated;
                if page.is_truncated {
                    // A marker that does not move forward would list the same page forever.
                    match page.next_marker.clone() {
                        Some(next) if s.request.marker.as_ref().is_none_or(|m| next > *m) => {
                            s.request.marker = Some(next);
                        }
                        _ => {
                            s.done = true;
                            return Some((
                                Err(Error::Decode {
                                    detail:
                                        "the listing is truncated but its marker does not advance"
                                            .to_string(),
                                    request_id: page.request_id,
                                }),
                                s,
                            ));
                        }
                    }
                }
                merge_page(&mut s.buffered, page);
            }
        }))
    }
}

/// Objects and prefixes of one page in key order, as a stream hands them out.
fn merge_page(out: &mut VecDeque<ListEntry>, page: ListPage) {
    let mut objects = page.objects.into_iter().peekable();
    let mut prefixes = page.common_prefixes.into_iter().peekable();
    loop {
        let take_object = match (objects.peek(), prefixes.peek()) {
            (Some(o), Some(p)) => o.key < *p,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => return,
        };
        if take_object {
            out.extend(objects.next().map(ListEntry::Object));
        } else {
            out.extend(prefixes.next().map(ListEntry::Prefix));
        }
    }
}

fn bucket_parts(
    method: &'static str,
    operation: &'static str,
    query: Vec<(String, String)>,
) -> RequestParts {
    RequestParts {
        method,
        operation,
        mode: None,
        host: HostKind::Cos,
        key: String::new(),
        query,
        headers: Vec::new(),
        content_length: None,
    }
}

/// Reads a `<ListBucketResult>`; with `<EncodingType>url` its keys, prefixes and markers are
/// percent-decoded.
pub(crate) fn parse_page(doc: &Element, request_id: Option<String>) -> Result<ListPage, Error> {
    let url = text(doc, "EncodingType").is_some_and(|e| e.eq_ignore_ascii_case("url"));
    let decode = |s: String| -> Result<String, Error> {
        if !url {
            return Ok(s);
        }
        percent_encoding::percent_decode_str(&s)
            .decode_utf8()
            .map(|d| d.into_owned())
            .map_err(|e| Error::Decode {
                detail: format!("the url-encoded key {s:?} is not UTF-8: {e}"),
                request_id: request_id.clone(),
            })
    };
    let mut objects = Vec::new();
    for c in children(doc, "Contents") {
        objects.push(ObjectSummary {
            key: decode(required(c, "Key", &request_id)?)?,
            size: number(c, "Size", &request_id)?,
            etag: text(c, "ETag").unwrap_or_default(),
            last_modified: text(c, "LastModified").unwrap_or_default(),
            storage_class: text(c, "StorageClass"),
        });
    }
    let mut common_prefixes = Vec::new();
    for c in children(doc, "CommonPrefixes") {
        common_prefixes.push(decode(required(c, "Prefix", &request_id)?)?);
    }
    let is_truncated = flag(doc, "IsTruncated");
    let next_marker = match text(doc, "NextMarker").filter(|m| !m.is_empty()) {
        Some(m) => Some(decode(m)?),
        // Without NextMarker the next page starts after the last key or prefix of this one.
        None if is_truncated => {
            let last_key = objects.last().map(|o| o.key.clone());
            let last_prefix = common_prefixes.last().cloned();
            last_key.max(last_prefix)
        }
        None => None,
    };
    Ok(ListPage {
        objects,
        common_prefixes,
        is_truncated,
        next_marker,
        request_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(xml: &str) -> ListPage {
        let doc = Element::parse(xml).unwrap();
        parse_page(&doc, None).unwrap()
    }

    #[test]
    fn url_encoded_keys_prefixes_and_markers_are_decoded() {
        let p = page(
            "<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>\
             <NextMarker>a%2Fz%20z</NextMarker>\
             <Contents><Key>a%2F%E8%85%BE%26.png</Key><Size>3</Size><ETag>\"x\"</ETag></Contents>\
             <CommonPrefixes><Prefix>a%2Fb%2F</Prefix></CommonPrefixes></ListBucketResult>",
        );
        assert_eq!(p.objects[0].key, "a/腾&.png");
        assert_eq!(p.objects[0].size, 3);
        assert_eq!(p.common_prefixes, vec!["a/b/".to_string()]);
        assert_eq!(p.next_marker.as_deref(), Some("a/z z"));
        assert!(p.is_truncated);
    }

    #[test]
    fn without_next_marker_a_truncated_page_continues_after_its_last_entry() {
        let p = page(
            "<ListBucketResult><IsTruncated>true</IsTruncated>\
             <Contents><Key>a</Key><Size>1</Size></Contents>\
             <CommonPrefixes><Prefix>b/</Prefix></CommonPrefixes></ListBucketResult>",
        );
        assert_eq!(p.next_marker.as_deref(), Some("b/"));
        let last = page("<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>");
        assert_eq!(last.next_marker, None);
    }

    #[test]
    fn a_page_without_sizes_is_a_decode_error() {
        let doc = Element::parse(
            "<ListBucketResult><Contents><Key>a</Key><Size>big</Size></Contents></ListBucketResult>",
        )
        .unwrap();
        assert!(matches!(parse_page(&doc, None), Err(Error::Decode { .. })));
    }

    #[test]
    fn objects_and_prefixes_merge_in_key_order() {
        let mut out = VecDeque::new();
        let obj = |k: &str| ObjectSummary {
            key: k.to_string(),
            size: 0,
            etag: String::new(),
            last_modified: String::new(),
            storage_class: None,
        };
        merge_page(
            &mut out,
            ListPage {
                objects: vec![obj("a"), obj("c")],
                common_prefixes: vec!["b/".to_string(), "d/".to_string()],
                ..ListPage::default()
            },
        );
        let keys: Vec<String> = out
            .into_iter()
            .map(|e| match e {
                ListEntry::Object(o) => o.key,
                ListEntry::Prefix(p) => p,
            })
            .collect();
        assert_eq!(keys, ["a", "b/", "c", "d/"]);
    }
}
