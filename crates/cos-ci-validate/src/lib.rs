//! Typed parameters, validation and wire models of Tencent Cloud COS "Cloud Infinite"
//! `ci-process` operations, generated from the YAML spec in `spec/`.
//!
//! Both sides of the wire use this crate: `cos-ci-client` validates and encodes with it
//! before sending, `cos-ci-mock` decodes and validates what it receives. It does no I/O.
//!
//! ```
//! use cos_ci_validate::{Operation, ai_enhance_image::AiEnhanceImage};
//!
//! let params = AiEnhanceImage::new().with_denoise(1).with_sharpen(5);
//! assert_eq!(params.to_query().unwrap(), "ci-process=AIEnhanceImage&denoise=1&sharpen=5");
//!
//! // Out-of-range values are refused with the parameter, the allowed range and the COS code.
//! let err = AiEnhanceImage::new().with_sharpen(9).validate().unwrap_err();
//! assert_eq!(err.violations[0].param, "sharpen");
//! assert_eq!(err.violations[0].allowed, "an integer in 0..=5");
//! assert_eq!(err.code().as_str(), "InvalidArgument");
//!
//! // Decoding accepts what real clients send: any order, defaults omitted, empty values.
//! let decoded = AiEnhanceImage::from_query("sharpen=5&ci-process=AIEnhanceImage&denoise=1&ignore-error=").unwrap();
//! assert_eq!(decoded, params);
//! ```

// Generated code may name this crate by its absolute path (`::cos_ci_validate::…`), as the
// downstream target of cos-ci-codegen does, and still compile inside it.
extern crate self as cos_ci_validate;

mod base64_data;
#[rustfmt::skip]
mod generated;
pub mod json;
mod params;
mod pic_operations;
#[cfg(feature = "runtime-spec")]
pub mod runtime;
mod spec;
pub mod testing;
mod violation;
pub mod xml;

pub use base64_data::{Base64Data, Base64Error};
pub use cos_ci_core::Rejection;
pub use generated::service::{
    CI_HOST, COS_HOST, DEFAULT_LIMITS, EMPTY_VALUES, ErrorCode, ErrorDocument, HOST_SUFFIXES,
    IMPLIED_ACTIONS, ImageInfo, MAX_RULES, OP_DEFAULTS, OriginalInfo, PARAM_ERROR_CODE, PIC_HOST,
    PIC_OPERATIONS_HEADER, ProcessResults, ProcessedObject, ProcessorKind, UploadResult,
};
pub use generated::*;
pub use params::{
    CI_PROCESS, CloudMode, DownloadMode, Operation, ParamValues, UploadMode, Value, modes,
};
pub use pic_operations::{
    MAX_KEY_BYTES, PicOperations, PicOperationsError, PicRule, check_fileid, resolve_fileid,
    rule_operation,
};
pub use spec::{
    EmptyValues, HostKind, Input, JsonField, JsonType, JsonValue, Limits, Mode, OpError, OpSpec,
    Output, ParamKind, ParamSpec, Processor, Relation, RuleForm, TextEncoding, UploadAdditions,
    XmlNode, XmlType,
};
pub use violation::{ValidationError, Violation};
pub use xml::{XmlDocument, XmlError};

/// The operation called `name`: its `ci-process` value or its spec file name (kebab case).
///
/// ```
/// let spec = cos_ci_validate::find_operation("ai-super-resolution").unwrap();
/// assert_eq!(spec.name, "AISuperResolution");
/// ```
pub fn find_operation(name: &str) -> Option<&'static OpSpec> {
    OPERATIONS
        .iter()
        .copied()
        .find(|s| s.name == name || s.file == name)
}

/// Whether `name` is a bucket name as COS writes it: `<name>-<APPID>`, the name of lower-case
/// letters, digits and dashes, the APPID of digits.
///
/// ```
/// assert!(cos_ci_validate::is_bucket_name("examplebucket-1250000000"));
/// assert!(!cos_ci_validate::is_bucket_name("ExampleBucket-1250000000"));
/// assert!(!cos_ci_validate::is_bucket_name("examplebucket"));
/// ```
pub fn is_bucket_name(name: &str) -> bool {
    match name.rsplit_once('-') {
        Some((base, appid)) => {
            !base.is_empty()
                && bucket_appid(name) == Some(appid)
                && base
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        }
        None => false,
    }
}

/// The APPID of a bucket name: the digits after its last `-`.
///
/// ```
/// assert_eq!(cos_ci_validate::bucket_appid("examplebucket-1250000000"), Some("1250000000"));
/// ```
pub fn bucket_appid(name: &str) -> Option<&str> {
    let (_, appid) = name.rsplit_once('-')?;
    (!appid.is_empty() && appid.bytes().all(|b| b.is_ascii_digit())).then_some(appid)
}

/// The host of `bucket` in `region` for requests of `kind`.
///
/// ```
/// use cos_ci_validate::{HostKind, bucket_host};
/// assert_eq!(
///     bucket_host(HostKind::Pic, "examplebucket-1250000000", "ap-guangzhou"),
///     "examplebucket-1250000000.pic.ap-guangzhou.myqcloud.com"
/// );
/// ```
pub fn bucket_host(kind: HostKind, bucket: &str, region: &str) -> String {
    let template = match kind {
        HostKind::Cos => COS_HOST,
        HostKind::Pic => PIC_HOST,
        HostKind::Ci => CI_HOST,
    };
    template
        .replace("{bucket}", bucket)
        .replace("{region}", region)
}
