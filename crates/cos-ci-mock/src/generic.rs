//! The XML answer of an operation built from its node tree at run time, by the rules the
//! generated answers follow, so an operation loaded from YAML answers like a built-in one:
//! every node filled from its sample value (or a typed placeholder), one element for a
//! repeated node, an optional scalar without a sample left out, and an integer `…Width` /
//! `…Height` without a sample taken from the input image, a base64 node holding a stand-in PNG
//! of the input's size.

use cos_ci_validate::xml::{Spelled, ToElement, XmlWriter};
use cos_ci_validate::{XmlNode, XmlType};

use crate::processors::ImageInfo;

/// The document `<root>` with `nodes` filled for `image`, with an XML declaration.
#[cfg(test)]
pub fn answer(root: &str, nodes: &'static [XmlNode], image: &ImageInfo) -> String {
    answer_with(root, nodes, image, None)
}

/// [`answer`], its base64 nodes holding `picture` (an image stand-in's output, base64) when
/// given, else the stand-in PNG of `image`'s size.
pub fn answer_with(
    root: &str,
    nodes: &'static [XmlNode],
    image: &ImageInfo,
    picture: Option<&str>,
) -> String {
    let mut w = XmlWriter::default();
    w.node(
        root,
        &Children {
            nodes,
            image,
            picture,
        },
    );
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&w.into_string());
    out
}

struct Children<'a> {
    nodes: &'static [XmlNode],
    image: &'a ImageInfo,
    picture: Option<&'a str>,
}

impl ToElement for Children<'_> {
    fn write_children(&self, w: &mut XmlWriter) {
        for n in self.nodes {
            // An optional scalar without a sample is one the answer may leave out; base64
            // nodes take no sample and always carry their stand-in image.
            if n.optional
                && !matches!(n.ty, XmlType::Container | XmlType::Base64)
                && n.example.is_none()
            {
                continue;
            }
            // A repeated node is written once: one element shows the shape.
            write(w, n, self.image, self.picture);
        }
    }
}

fn write(w: &mut XmlWriter, n: &'static XmlNode, image: &ImageInfo, picture: Option<&str>) {
    let ex = n.example;
    match n.ty {
        XmlType::Container => w.node(
            n.name,
            &Children {
                nodes: n.children,
                image,
                picture,
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
        XmlType::Base64 => match picture {
            Some(p) => w.field(n.name, &p.to_string()),
            None => w.field(n.name, &crate::processors::base64_png(image)),
        },
    }
}

/// The JSON object with `nodes` as members, filled for `image` by the rules of [`answer`],
/// written as serde_json writes the typed document (members in spec order, compact).
#[cfg(test)]
pub fn answer_json(nodes: &'static [XmlNode], image: &ImageInfo) -> String {
    answer_json_with(nodes, image, None)
}

/// [`answer_json`] with `picture` in its base64 members, as [`answer_with`].
pub fn answer_json_with(
    nodes: &'static [XmlNode],
    image: &ImageInfo,
    picture: Option<&str>,
) -> String {
    let mut out = String::new();
    json_object(&mut out, nodes, image, picture);
    out
}

fn json_object(
    out: &mut String,
    nodes: &'static [XmlNode],
    image: &ImageInfo,
    picture: Option<&str>,
) {
    out.push('{');
    let mut first = true;
    for n in nodes {
        if n.optional
            && !matches!(n.ty, XmlType::Container | XmlType::Base64)
            && n.example.is_none()
        {
            continue;
        }
        if !first {
            out.push(',');
        }
        first = false;
        out.push_str(&json_text(n.name));
        out.push(':');
        if n.repeated {
            out.push('[');
            json_value(out, n, image, picture);
            out.push(']');
        } else {
            json_value(out, n, image, picture);
        }
    }
    out.push('}');
}

fn json_value(out: &mut String, n: &'static XmlNode, image: &ImageInfo, picture: Option<&str>) {
    let ex = n.example;
    match n.ty {
        XmlType::Container => json_object(out, n.children, image, picture),
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
        XmlType::Base64 => match picture {
            Some(p) => out.push_str(&json_text(p)),
            None => out.push_str(&json_text(crate::processors::base64_png(image).as_str())),
        },
    }
}

/// `text` as a JSON string literal.
fn json_text(text: &str) -> String {
    // Serializing a string cannot fail.
    serde_json::to_string(text).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use cos_ci_validate::{Output, find_operation};

    use crate::generated::TYPED_ANSWERS;
    use crate::processors::{Format, ImageInfo};

    /// The generic builder serves every XML operation, built in or loaded at run time; it is
    /// trustworthy only if it writes exactly what each operation's typed document writes.
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
                let generic = match spec.output {
                    Output::Xml { root, nodes } => super::answer(root, nodes, &image),
                    Output::Json { nodes } => super::answer_json(nodes, &image),
                    Output::Image { .. } => {
                        panic!("{name} has a typed answer but answers an image")
                    }
                };
                assert_eq!(generic, typed(&image), "{name} at {width}x{height}");
                checked += 1;
            }
        }
        assert!(checked >= 3 * 7, "only {checked} XML answers compared");
    }
}
