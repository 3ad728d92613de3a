//! What the CLI prints: UploadResult as JSON, with what an operation adds to it (errors:
//! [`crate::exit::Failure`]).

use cos_ci_client::{OpSpec, UploadResult};
use cos_ci_validate::xml::{Element, FromElement, XmlError};
use cos_ci_validate::{XmlDocument, XmlNode, XmlType};
use serde_json::{Map, Value, json};

/// The upload and cloud answer as read: the whole tree, for the standard nodes and for what
/// an operation adds to them (`OpSpec::upload_result`).
pub struct UploadAnswer(Element);

impl FromElement for UploadAnswer {
    fn from_element(element: &Element) -> Result<Self, XmlError> {
        Ok(Self(element.clone()))
    }
}

impl XmlDocument for UploadAnswer {
    const ROOT: &'static str = UploadResult::ROOT;
}

/// [`upload_result_json`] with what `spec` adds: its `object` nodes in each object, its `root`
/// nodes beside `ProcessResults`.
pub fn upload_answer_json(answer: &UploadAnswer, spec: &OpSpec) -> Result<Value, XmlError> {
    let mut value = upload_result_json(&UploadResult::from_element(&answer.0)?);
    let Some(added) = spec.upload_result else {
        return Ok(value);
    };
    let elements: Vec<&Element> = answer
        .0
        .child("ProcessResults")
        .map(|p| p.children.iter().filter(|c| c.name == "Object").collect())
        .unwrap_or_default();
    if let Some(objects) = value
        .pointer_mut("/ProcessResults/Object")
        .and_then(Value::as_array_mut)
    {
        for (object, element) in objects.iter_mut().zip(elements) {
            if let Value::Object(map) = object {
                map.extend(nodes_json(element, added.object));
            }
        }
    }
    if let Value::Object(map) = &mut value {
        map.extend(nodes_json(&answer.0, added.root));
    }
    Ok(value)
}

/// The children of `element` that `nodes` name, as JSON: arrays for repeated nodes, objects for
/// containers, numbers for integer and number nodes that read as one, text otherwise.
fn nodes_json(element: &Element, nodes: &[XmlNode]) -> Map<String, Value> {
    let mut out = Map::new();
    for n in nodes {
        let mut found = element
            .children
            .iter()
            .filter(|c| c.name == n.name)
            .map(|c| node_json(c, n));
        let value = if n.repeated {
            Value::Array(found.collect())
        } else {
            match found.next() {
                Some(v) => v,
                None => continue,
            }
        };
        out.insert(n.name.to_string(), value);
    }
    out
}

fn node_json(element: &Element, n: &XmlNode) -> Value {
    match n.ty {
        XmlType::Container => Value::Object(nodes_json(element, n.children)),
        XmlType::Integer | XmlType::Number => element
            .text
            .trim()
            .parse::<serde_json::Number>()
            .map_or_else(|_| Value::String(element.text.clone()), Value::Number),
        XmlType::Boolean | XmlType::String | XmlType::Base64 => Value::String(element.text.clone()),
    }
}

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
