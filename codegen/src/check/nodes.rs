//! XML node trees: element names, Rust names, scalar types, samples and spellings.

use super::*;

/// Checks a node tree: every node has exactly one of `type` and `nodes`, and every Rust
/// name it gives is an identifier not yet in `taken` (the other types of the generated module).
pub(super) fn tree(
    c: &mut Checker<'_>,
    path: &str,
    t: &model::NodeTree,
    taken: &mut Vec<String>,
    shapes: &[ir::Shape],
) -> ir::Tree {
    let root = t.root.clone().unwrap_or_else(|| {
        c.error(path, "an XML document needs its `root` element");
        String::from("Response")
    });
    if !is_xml_name(&root) {
        c.error(
            &format!("{path}.root"),
            format!("`{root}` is not an XML element name"),
        );
    }
    let type_name = t
        .rust_name
        .clone()
        .unwrap_or_else(|| naming::type_name(&root));
    let at = if t.rust_name.is_some() {
        format!("{path}.rust_name")
    } else {
        format!("{path}.root")
    };
    type_name_unused(c, &at, &type_name, t.rust_name.is_some(), taken);
    let nodes = nodes(c, &format!("{path}.nodes"), &t.nodes, taken, shapes, false);
    xml_only(c, &format!("{path}.nodes"), &nodes);
    ir::Tree {
        root,
        type_name,
        nodes,
    }
}

/// Checks a JSON answer's tree: no root element, a `rust_name` for its type, members as
/// nodes.
pub(super) fn json_tree(
    c: &mut Checker<'_>,
    path: &str,
    t: &model::NodeTree,
    taken: &mut Vec<String>,
    shapes: &[ir::Shape],
) -> ir::Tree {
    if t.root.is_some() {
        c.error(
            &format!("{path}.root"),
            "a JSON answer is an object without a root element; drop `root`",
        );
    }
    let type_name = t.rust_name.clone().unwrap_or_else(|| {
        c.error(
            path,
            "a JSON answer needs `rust_name`, the Rust name of its object",
        );
        String::from("Answer")
    });
    type_name_unused(c, &format!("{path}.rust_name"), &type_name, true, taken);
    let nodes = nodes(c, &format!("{path}.nodes"), &t.nodes, taken, shapes, true);
    ir::Tree {
        root: String::new(),
        type_name,
        nodes,
    }
}

/// Reports `number_or_string` anywhere in an XML tree, where every value is text anyway.
pub(super) fn xml_only(c: &mut Checker<'_>, path: &str, nodes: &[ir::Node]) {
    let mut stack: Vec<(String, &ir::Node)> = nodes
        .iter()
        .map(|n| (format!("{path}.{}", n.name), n))
        .collect();
    while let Some((here, n)) = stack.pop() {
        if n.number_or_string {
            c.error(
                &format!("{here}.number_or_string"),
                "`number_or_string` is for JSON answers; XML numbers are text already",
            );
        }
        stack.extend(
            n.nodes
                .iter()
                .map(|child| (format!("{here}.nodes.{}", child.name), child)),
        );
    }
}

/// Reports `type_name` at `path` when it is no Rust type name or `taken` has it; records it.
/// `chosen`: the name is a `rust_name`, not derived from the XML name.
pub(super) fn type_name_unused(
    c: &mut Checker<'_>,
    path: &str,
    type_name: &str,
    chosen: bool,
    taken: &mut Vec<String>,
) {
    let fix = if chosen {
        "pick another `rust_name`"
    } else {
        "set `rust_name`"
    };
    if let Some(problem) = type_name_problem(type_name) {
        c.error(path, format!("{problem}; {fix}"));
    } else if taken.iter().any(|t| t == type_name) {
        c.error(
            path,
            format!("the Rust type `{type_name}` is already used in this generated module; {fix}"),
        );
    }
    taken.push(type_name.to_string());
}

/// Checks the children of a container; a node whose `type` names a node shape of `shapes` is
/// that shape. In a JSON answer (`json`) a shape is refused: the shared types are XML
/// documents (`cos_ci_validate::shapes` implements XML reading and writing only).
pub(super) fn nodes(
    c: &mut Checker<'_>,
    path: &str,
    map: &IndexMap<String, model::Node>,
    taken: &mut Vec<String>,
    shapes: &[ir::Shape],
    json: bool,
) -> Vec<ir::Node> {
    if map.is_empty() {
        c.error(path, "a container needs at least one node");
    }
    let mut fields: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for (name, node) in map {
        let here = format!("{path}.{name}");
        if !is_xml_name(name) {
            c.error(&here, format!("`{name}` is not an XML element name"));
        }
        let field = match &node.field {
            Some(f) => rust_field(f),
            None => naming::field(name),
        };
        if !is_field_name(field.trim_start_matches("r#")) {
            match &node.field {
                Some(f) => c.error(
                    &format!("{here}.field"),
                    format!("`{f}` is not a Rust field name (lowercase letters, digits and `_`)"),
                ),
                None => c.error(
                    &here,
                    format!("`{name}` gives no Rust field name; set `field`"),
                ),
            }
        }
        if fields.contains(&field) {
            c.error(
                &here,
                format!("two nodes map to the Rust field `{field}`; set `field`"),
            );
        }
        fields.push(field.clone());
        let mut type_name = node
            .rust_name
            .clone()
            .unwrap_or_else(|| naming::type_name(name));
        let mut home = ir::Home::Here;
        if node.optional && node.repeated {
            c.error(
                &here,
                "a node is `optional` or `repeated`, not both (a repeated node may be absent)",
            );
        }
        let children = match (&node.ty, &node.nodes) {
            (Some(ty), None)
                if json && Scalar::from_name(ty).is_none() && node_shape(shapes, ty).is_some() =>
            {
                c.error(
                    &format!("{here}.type"),
                    format!(
                        "a JSON answer cannot use the shape `{ty}`: shapes are XML types; write its nodes here with `nodes`"
                    ),
                );
                Vec::new()
            }
            (Some(ty), None)
                if Scalar::from_name(ty).is_none() && node_shape(shapes, ty).is_some() =>
            {
                if node.rust_name.is_some() {
                    c.error(
                        &format!("{here}.rust_name"),
                        format!("the shape `{ty}` names the Rust type; drop `rust_name`"),
                    );
                }
                // Nodes of one shape share one type: the name is taken once.
                let marker = format!("shape {ty}");
                if !taken.contains(&marker) {
                    type_name_unused(c, &format!("{here}.type"), ty, true, taken);
                    taken.push(marker);
                }
                type_name = ty.clone();
                home = ir::Home::Shapes;
                node_shape(shapes, ty)
                    .map(<[ir::Node]>::to_vec)
                    .unwrap_or_default()
            }
            (Some(ty), None) => {
                if Scalar::from_name(ty).is_none() {
                    c.error(
                        &format!("{here}.type"),
                        format!(
                            "unknown node type `{ty}`; expected one of {}",
                            scalar_names()
                        ),
                    );
                }
                if node.rust_name.is_some() {
                    c.error(
                        &format!("{here}.rust_name"),
                        "`rust_name` is for containers (nodes with `nodes`)",
                    );
                }
                Vec::new()
            }
            (None, Some(children)) => {
                let at = if node.rust_name.is_some() {
                    format!("{here}.rust_name")
                } else {
                    here.clone()
                };
                type_name_unused(c, &at, &type_name, node.rust_name.is_some(), taken);
                if node.example.is_some() {
                    c.error(
                        &format!("{here}.example"),
                        "only scalar nodes take an example",
                    );
                }
                let children = nodes(c, &format!("{here}.nodes"), children, taken, shapes, json);
                // A JSON answer cannot name a shape, so it is not asked to.
                let inline_shapes = if json { &[][..] } else { shapes };
                if let Some(shape) = inline_shapes.iter().find(
                    |s| matches!(&s.kind, ir::ShapeKind::Nodes(n) if same_nodes(n, &children)),
                ) {
                    c.error(
                        &here,
                        format!(
                            "`{name}` has the nodes of the shape `{0}`; write `type: {0}` instead of `nodes`",
                            shape.name
                        ),
                    );
                }
                children
            }
            (Some(_), Some(_)) => {
                c.error(
                    &here,
                    format!(
                        "`{name}` has both `type` and `nodes`; a node is a scalar or a container"
                    ),
                );
                Vec::new()
            }
            (None, None) => {
                c.error(
                    &here,
                    format!(
                        "`{name}` needs a `type` ({}) or child `nodes`",
                        scalar_names()
                    ),
                );
                Vec::new()
            }
        };
        for (i, alias) in node.aliases.iter().enumerate() {
            let at = format!("{here}.aliases.{i}");
            if !is_xml_name(alias) {
                c.error(&at, format!("`{alias}` is not an XML element name"));
            } else if alias == name || node.aliases[..i].contains(alias) {
                c.error(&at, format!("`{alias}` is already a spelling of this node"));
            } else if map.contains_key(alias) {
                c.error(
                    &at,
                    format!(
                        "`{alias}` is a node of its own here; an alias must not read another node"
                    ),
                );
            }
        }
        let scalar = node.ty.as_deref().and_then(Scalar::from_name);
        if let Some(words) = &node.spelling {
            if scalar != Some(Scalar::Boolean) {
                c.error(
                    &format!("{here}.spelling"),
                    "`spelling` is for boolean nodes: the words for true and false",
                );
            } else if node.repeated {
                c.error(
                    &format!("{here}.spelling"),
                    "a repeated boolean is written as true/false; `spelling` is for single nodes",
                );
            } else if !(is_true_word(&words[0]) && is_false_word(&words[1])) {
                c.error(
                    &format!("{here}.spelling"),
                    format!(
                        "`[{}, {}]` is not a spelling of true and false (like [TRUE, FALSE] or [1, 0])",
                        words[0], words[1]
                    ),
                );
            }
        }
        if node.number_or_string && !matches!(scalar, Some(Scalar::Integer | Scalar::Number)) {
            c.error(
                &format!("{here}.number_or_string"),
                "`number_or_string` is for integer and number nodes",
            );
        }
        if scalar == Some(Scalar::Base64) && node.example.is_some() {
            // The mock answers a real stand-in image there; a sample would never be seen.
            c.error(
                &format!("{here}.example"),
                "a base64 node takes no `example`: the mock answers a stand-in image",
            );
        }
        let example = node.example.as_ref().and_then(|v| match scalar_text(v) {
            Some(text) => Some(text),
            None => {
                c.error(
                    &format!("{here}.example"),
                    "an example is a single value, not a list or a map",
                );
                None
            }
        });
        if let (Some(ty), Some(ex)) = (scalar, &example) {
            let ok = match ty {
                Scalar::Integer => ex.parse::<i64>().is_ok(),
                Scalar::Number => ex.parse::<f64>().is_ok_and(f64::is_finite),
                Scalar::Boolean => {
                    ex == "true"
                        || ex == "false"
                        || node.spelling.as_ref().is_some_and(|w| w.contains(ex))
                }
                Scalar::String | Scalar::Base64 => true,
            };
            if !ok {
                c.error(
                    &format!("{here}.example"),
                    format!("the example `{ex}` is not {}", article(ty)),
                );
            }
        }
        if node.asked_by.is_some() && !node.optional && !node.repeated {
            c.error(
                &format!("{here}.asked_by"),
                "a node answered only when asked may be absent: make it `optional: true`",
            );
        }
        let asked_by = node.asked_by.as_ref().and_then(|text| {
            let pair = text
                .split_once('.')
                .filter(|(p, m)| !p.is_empty() && !m.is_empty());
            if pair.is_none() {
                c.error(
                    &format!("{here}.asked_by"),
                    format!("`{text}` is not `<parameter>.<member>` (like `Config.CropIdCard`)"),
                );
            }
            pair.map(|(p, m)| (p.to_string(), m.to_string()))
        });
        let crop = node.crop.and_then(|[left, top, width, height]| {
            let at = format!("{here}.crop");
            if scalar != Some(Scalar::Base64) {
                c.error(&at, "`crop` is for base64 nodes: the image the mock answers there");
                None
            } else if width == 0 || height == 0 || left + width > 100 || top + height > 100 {
                c.error(
                    &at,
                    format!(
                        "`[{left}, {top}, {width}, {height}]` is not a crop inside the image: \
                         [left, top, width, height] in percent, each side at least 1, left + width and top + height at most 100"
                    ),
                );
                None
            } else {
                // All four are at most 100 here.
                Some([left, top, width, height].map(|v| u8::try_from(v).unwrap_or(100)))
            }
        });
        out.push(ir::Node {
            asked_by,
            crop,
            name: name.clone(),
            field,
            scalar,
            type_name,
            home,
            // A node present only for some requests is one the answer may leave out.
            optional: node.optional || node.present_when.is_some(),
            repeated: node.repeated,
            doc: node.doc.clone(),
            example,
            aliases: node.aliases.clone(),
            spelling: node.spelling.clone(),
            number_or_string: node.number_or_string,
            present_when: node
                .present_when
                .as_ref()
                .and_then(|m| m.first())
                .map(|(p, w)| (p.clone(), w.clone())),
            nodes: children,
        });
    }
    out
}

/// Whether `word` is a way to write true that the runtime reads: `true` in any case, or `1`.
fn is_true_word(word: &str) -> bool {
    word.eq_ignore_ascii_case("true") || word == "1"
}

/// Whether `word` is a way to write false that the runtime reads: `false` in any case, or `0`.
fn is_false_word(word: &str) -> bool {
    word.eq_ignore_ascii_case("false") || word == "0"
}

/// `an integer`, `a string`, … for a scalar type.
fn article(ty: Scalar) -> &'static str {
    match ty {
        Scalar::Integer => "an integer",
        Scalar::Number => "a finite number",
        Scalar::String => "a string",
        Scalar::Boolean => "a boolean",
        Scalar::Base64 => "base64 text",
    }
}

/// The scalar types' names, for messages.
fn scalar_names() -> String {
    Scalar::ALL.map(Scalar::as_str).join(", ")
}
