//! The XML answer of an operation built from its node tree at run time, by the rules the
//! generated answers follow, so an operation loaded from YAML answers like a built-in one:
//! every node filled from its sample value (or a typed placeholder), one element for a
//! repeated node, an optional scalar without a sample left out, and an integer `…Width` /
//! `…Height` without a sample taken from the input image, a base64 node holding a stand-in PNG
//! of the input's size. What a request adds: a node a JSON parameter's member asks for
//! (`asked_by`) only when it does, and a base64 node with a `crop` holding that crop of the
//! input's pixels, and a node present only for a word of a list parameter (`present_when`)
//! only when the request names it. An operation whose stand-in draws an image (`code`) has
//! that picture in its other base64 nodes.

use cos_ci_validate::xml::{Spelled, ToElement, XmlWriter};
use cos_ci_validate::{
    Base64Data, ParamValues, ProcessedObject, UploadAdditions, UploadResult, XmlDocument, XmlNode,
    XmlType,
};

use crate::processors::{ImageInfo, ImageLimits};

/// What a request gives its answer beyond the input's header.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// The request's checked parameters.
    pub values: &'a ParamValues,
    /// The input image's bytes.
    pub input: &'a [u8],
    /// The operation's limits, which decoding the input for a crop stays within.
    pub limits: &'a ImageLimits,
}

/// The answer's view of the input: its header, and the request when there is one (without
/// it, as the typed answers the tests compare with are written, nothing is asked for and a
/// crop is the stand-in image).
#[derive(Clone, Copy)]
pub struct Fill<'a> {
    /// The input's format and size.
    pub image: &'a ImageInfo,
    /// The request.
    pub request: Option<Request<'a>>,
    /// Which words of its list parameters the request asks for (`present_when`).
    pub words: Asked<'a>,
    /// An image stand-in's output (base64) for the base64 nodes without a crop, when the
    /// operation draws one (`code`); else they hold a stand-in of the input's size.
    pub picture: Option<&'a str>,
}

impl Fill<'_> {
    /// Whether the request asks for `n`.
    fn asked(&self, n: &XmlNode) -> bool {
        match self.request {
            Some(r) => n.asked(r.values),
            None => n.asked_by.is_none(),
        }
    }

    /// The image a base64 node carries: its crop of the input when it has one and the input
    /// decodes, else the drawn picture, else the stand-in of the input's size.
    fn base64(&self, n: &XmlNode) -> Base64Data {
        match (n.crop, self.request, self.picture) {
            (Some(crop), Some(r), _) => crate::processors::base64_crop(r.input, r.limits, crop)
                .unwrap_or_else(|_| crate::processors::base64_png(self.image)),
            (_, _, Some(picture)) => Base64Data::new(picture),
            _ => crate::processors::base64_png(self.image),
        }
    }

    /// Whether `n` is written: asked for, and not an optional scalar without a sample (one
    /// the answer may leave out; base64 nodes take no sample and always carry an image).
    fn writes(&self, n: &XmlNode) -> bool {
        wanted(n, self.words)
            && self.asked(n)
            && !(n.optional
                && !matches!(n.ty, XmlType::Container | XmlType::Base64)
                && n.example.is_none())
    }
}

/// Whether the request asks for `word` of list parameter `param` (`OpSpec::asks`).
pub type Asked<'a> = &'a dyn Fn(&str, &str) -> bool;

/// Whether `n` is written for this request: not a node present only for a word the request
/// does not ask for.
fn wanted(n: &XmlNode, asked: Asked<'_>) -> bool {
    n.present_when
        .is_none_or(|(param, word)| asked(param, word))
}

/// The document `<root>` with `nodes` filled for `image`, with an XML declaration.
#[cfg(test)]
pub fn answer(
    root: &str,
    nodes: &'static [XmlNode],
    image: &ImageInfo,
    words: Asked<'_>,
) -> String {
    answer_to(
        root,
        nodes,
        &Fill {
            image,
            request: None,
            words,
            picture: None,
        },
    )
}

/// The document `<root>` with `nodes` filled for a request, with an XML declaration.
pub fn answer_to(root: &str, nodes: &'static [XmlNode], fill: &Fill<'_>) -> String {
    let mut w = XmlWriter::default();
    w.node(root, &Children { nodes, fill });
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&w.into_string());
    out
}

struct Children<'a> {
    nodes: &'static [XmlNode],
    fill: &'a Fill<'a>,
}

impl ToElement for Children<'_> {
    fn write_children(&self, w: &mut XmlWriter) {
        for n in self.nodes.iter().filter(|n| self.fill.writes(n)) {
            // A repeated node is written once: one element shows the shape.
            write(w, n, self.fill);
        }
    }
}

fn write(w: &mut XmlWriter, n: &'static XmlNode, fill: &Fill<'_>) {
    let ex = n.example;
    let image = fill.image;
    match n.ty {
        XmlType::Container => w.node(
            n.name,
            &Children {
                nodes: n.children,
                fill,
            },
        ),
        XmlType::Integer if ex.is_none() && n.name.ends_with("Width") => {
            w.field(n.name, &i64::from(image.width));
        }
        XmlType::Integer if ex.is_none() && n.name.ends_with("Height") => {
            w.field(n.name, &i64::from(image.height));
        }
        XmlType::Integer => {
            let v: i64 = ex.and_then(|e| e.parse().ok()).unwrap_or(0);
            w.field(n.name, &v);
        }
        XmlType::Number => {
            let v: f64 = ex.and_then(|e| e.parse().ok()).unwrap_or(0.0);
            w.field(n.name, &v);
        }
        XmlType::Boolean => {
            let v = ex.is_some_and(|e| e.eq_ignore_ascii_case("true") || e == "1");
            match n.spelling {
                Some(words) => w.field(n.name, &Spelled(v, words)),
                None => w.field(n.name, &v),
            }
        }
        XmlType::String => w.field(n.name, &ex.unwrap_or("").to_string()),
        XmlType::Base64 => w.field(n.name, &fill.base64(n)),
    }
}

/// The JSON object with `nodes` as members, filled for `image` by the rules of [`answer`],
/// written as serde_json writes the typed document (members in spec order, compact).
#[cfg(test)]
pub fn answer_json(nodes: &'static [XmlNode], image: &ImageInfo, words: Asked<'_>) -> String {
    answer_json_to(
        nodes,
        &Fill {
            image,
            request: None,
            words,
            picture: None,
        },
    )
}

/// [`answer_json`] for a request.
pub fn answer_json_to(nodes: &'static [XmlNode], fill: &Fill<'_>) -> String {
    let mut out = String::new();
    json_object(&mut out, nodes, fill);
    out
}

fn json_object(out: &mut String, nodes: &'static [XmlNode], fill: &Fill<'_>) {
    out.push('{');
    let mut first = true;
    for n in nodes.iter().filter(|n| fill.writes(n)) {
        if !first {
            out.push(',');
        }
        first = false;
        out.push_str(&json_text(n.name));
        out.push(':');
        if n.repeated {
            out.push('[');
            json_value(out, n, fill);
            out.push(']');
        } else {
            json_value(out, n, fill);
        }
    }
    out.push('}');
}

fn json_value(out: &mut String, n: &'static XmlNode, fill: &Fill<'_>) {
    let ex = n.example;
    let image = fill.image;
    match n.ty {
        XmlType::Container => json_object(out, n.children, fill),
        XmlType::Integer if ex.is_none() && n.name.ends_with("Width") => {
            out.push_str(&image.width.to_string());
        }
        XmlType::Integer if ex.is_none() && n.name.ends_with("Height") => {
            out.push_str(&image.height.to_string());
        }
        XmlType::Integer => {
            let v: i64 = ex.and_then(|e| e.parse().ok()).unwrap_or(0);
            out.push_str(&v.to_string());
        }
        XmlType::Number => {
            let v: f64 = ex.and_then(|e| e.parse().ok()).unwrap_or(0.0);
            out.push_str(&serde_json::to_string(&v).unwrap_or_else(|_| "null".into()));
        }
        XmlType::Boolean => {
            let v = ex.is_some_and(|e| e.eq_ignore_ascii_case("true") || e == "1");
            out.push_str(if v { "true" } else { "false" });
        }
        XmlType::String => out.push_str(&json_text(ex.unwrap_or(""))),
        XmlType::Base64 => {
            out.push_str(&json_text(fill.base64(n).as_str()));
        }
    }
}

/// `text` as a JSON string literal.
fn json_text(text: &str) -> String {
    // Serializing a string cannot fail.
    serde_json::to_string(text).unwrap_or_default()
}

/// What one rule's operation adds to `UploadResult` (`output.upload_result`), and what fills
/// it.
pub struct Added<'a> {
    /// The operation's additions.
    pub nodes: UploadAdditions,
    /// The request of the rule.
    pub fill: Fill<'a>,
}

/// `UploadResult` with each rule's additions: the operation's `object` nodes inside its
/// rule's `<Object>`, its `root` nodes after the service's own. `added` runs parallel to
/// `result`'s objects (one per rule). The element names are those of the service's writer
/// (service.yaml `upload_result`), which this follows node for node.
pub fn upload_result(result: &UploadResult, added: &[Option<Added<'_>>]) -> String {
    let mut w = XmlWriter::default();
    w.node(UploadResult::ROOT, &WithAdded { result, added });
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&w.into_string());
    out
}

struct WithAdded<'a> {
    result: &'a UploadResult,
    added: &'a [Option<Added<'a>>],
}

impl ToElement for WithAdded<'_> {
    fn write_children(&self, w: &mut XmlWriter) {
        w.opt_node("OriginalInfo", &self.result.original_info);
        if let Some(results) = &self.result.process_results {
            w.node(
                "ProcessResults",
                &Objects {
                    objects: &results.object,
                    added: self.added,
                },
            );
        }
        for a in self.added.iter().flatten() {
            Children {
                nodes: a.nodes.root,
                fill: &a.fill,
            }
            .write_children(w);
        }
    }
}

struct Objects<'a> {
    objects: &'a [ProcessedObject],
    added: &'a [Option<Added<'a>>],
}

impl ToElement for Objects<'_> {
    fn write_children(&self, w: &mut XmlWriter) {
        for (i, object) in self.objects.iter().enumerate() {
            let added = self.added.get(i).and_then(Option::as_ref);
            w.node("Object", &Object { object, added });
        }
    }
}

struct Object<'a> {
    object: &'a ProcessedObject,
    added: Option<&'a Added<'a>>,
}

impl ToElement for Object<'_> {
    fn write_children(&self, w: &mut XmlWriter) {
        self.object.write_children(w);
        if let Some(a) = self.added {
            Children {
                nodes: a.nodes.object,
                fill: &a.fill,
            }
            .write_children(w);
        }
    }
}

#[cfg(test)]
mod tests {
    use cos_ci_validate::{Output, ParamKind, ParamValues, Value, find_operation};

    use crate::generated::TYPED_ANSWERS;
    use crate::processors::{Format, ImageInfo};

    /// The generic builder serves every XML operation, built in or loaded at run time; it is
    /// trustworthy only if the typed client reads back exactly the document its node tree
    /// describes.
    #[test]
    fn the_generic_answer_is_the_typed_answer_of_every_xml_operation() {
        let xml = cos_ci_validate::OPERATIONS
            .iter()
            .filter(|s| matches!(s.output, Output::Xml { .. } | Output::Json { .. }))
            .count();
        assert_eq!(TYPED_ANSWERS.len(), xml);
        let mut checked = 0;
        for (width, height) in [(1, 1), (640, 480), (33, 7001)] {
            let image = ImageInfo {
                format: Format::Png,
                width,
                height,
            };
            for (name, typed) in TYPED_ANSWERS {
                let spec = find_operation(name).expect("generated from the spec");
                // No list given (defaults), and every list's last word alone: the answer
                // parts present per word differ between the two.
                let mut last_words = ParamValues::new();
                for p in spec.params {
                    if let ParamKind::List { values, .. } = p.kind {
                        last_words.set(p.name, Value::list(values.last().copied()));
                    }
                }
                for values in [ParamValues::new(), last_words] {
                    let asked = |p: &str, w: &str| spec.asks(&values, p, w);
                    let generic = match spec.output {
                        Output::Xml { root, nodes } => super::answer(root, nodes, &image, &asked),
                        Output::Json { nodes } => super::answer_json(nodes, &image, &asked),
                        Output::Image { .. } => {
                            panic!("{name} has a typed answer but answers an image")
                        }
                    };
                    assert!(
                        typed(&generic, &image, &values),
                        "{name} at {width}x{height} with {values:?} does not decode to its typed \
                         document:\n{generic}"
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked >= 3 * 7, "only {checked} XML answers compared");
    }
}
