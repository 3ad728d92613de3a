//! What the CLI prints: UploadResult as JSON (errors: [`crate::exit::Failure`]).

use cos_ci_client::UploadResult;
use serde_json::{Value, json};

/// UploadResult as JSON, node names as in the XML.
pub fn upload_result_json(result: &UploadResult) -> Value {
    let original = result.original_info.as_ref().map(|o| {
        json!({
            "Key": o.key,
            "Location": o.location,
            "ETag": o.etag,
            "ImageInfo": o.image_info.as_ref().map(|i| json!({
                "Format": i.format,
                "Width": i.width,
                "Height": i.height,
                "Quality": i.quality,
                "Ave": i.ave,
                "Orientation": i.orientation,
            })),
        })
    });
    let objects: Vec<Value> = result
        .process_results
        .as_ref()
        .map(|r| r.object.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|o| {
            json!({
                "Key": o.key,
                "Location": o.location,
                "Format": o.format,
                "Width": o.width,
                "Height": o.height,
                "Size": o.size,
                "Quality": o.quality,
                "ETag": o.etag,
            })
        })
        .collect();
    json!({ "OriginalInfo": original, "ProcessResults": { "Object": objects } })
}
