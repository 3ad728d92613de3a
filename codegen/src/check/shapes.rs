//! `shapes:` in `service.yaml`: parameter types and answer containers several operations
//! share, generated once in `cos_ci_validate::shapes`; an operation names one as a
//! parameter's or a node's `type`.

use super::*;

/// Checks every shape: its name is a Rust type name, its parameter or its nodes check as an
/// operation's would.
pub(super) fn check(
    c: &mut Checker<'_>,
    defs: &IndexMap<String, model::ShapeDef>,
) -> Vec<ir::Shape> {
    // The types of the generated `shapes` module.
    let mut taken: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for (name, def) in defs {
        let path = format!("shapes.{name}");
        if let Some(problem) = type_name_problem(name) {
            c.error(
                &path,
                format!("{problem}; a shape is named as its Rust type"),
            );
        }
        taken.push(name.clone());
        if def.doc.trim().is_empty() {
            c.error(&format!("{path}.doc"), "the doc is empty");
        }
        let kind = match (&def.param, &def.nodes) {
            (Some(p), None) => {
                let as_param = model::Param {
                    ty: p.ty.clone(),
                    range: p.range.clone(),
                    values: p.values.clone(),
                    variant_prefix: p.variant_prefix.clone(),
                    separator: p.separator.clone(),
                    names: p.names.clone(),
                    max_len: p.max_len,
                    encoding: p.encoding.clone(),
                    fields: None,
                    default: None,
                    required: false,
                    ignore_error: false,
                    required_when: None,
                    applies_when: None,
                    doc: def.doc.clone(),
                };
                let Some(mut param) = param(c, &format!("{path}.param"), name, &as_param) else {
                    continue;
                };
                if !param.value.declares_type() {
                    c.error(
                        &format!("{path}.param"),
                        "only a pair or a closed set of values has a type to share",
                    );
                }
                param.type_name = name.clone();
                param.shared = true;
                ir::ShapeKind::Param(Box::new(param))
            }
            (None, Some(nodes)) => ir::ShapeKind::Nodes(nodes::nodes(
                c,
                &format!("{path}.nodes"),
                nodes,
                &mut taken,
                &[],
                false,
            )),
            _ => {
                c.error(&path, "a shape has either `param` or `nodes`");
                continue;
            }
        };
        out.push(ir::Shape {
            name: name.clone(),
            doc: def.doc.trim().to_string(),
            kind,
        });
    }
    out
}

/// The parameter shape called `name`, if there is one.
pub(super) fn param_shape<'a>(shapes: &'a [ir::Shape], name: &str) -> Option<&'a ir::Param> {
    shapes.iter().find_map(|s| match &s.kind {
        ir::ShapeKind::Param(p) if s.name == name => Some(&**p),
        _ => None,
    })
}

/// The node shape called `name`, if there is one.
pub(super) fn node_shape<'a>(shapes: &'a [ir::Shape], name: &str) -> Option<&'a [ir::Node]> {
    shapes.iter().find_map(|s| match &s.kind {
        ir::ShapeKind::Nodes(n) if s.name == name => Some(n.as_slice()),
        _ => None,
    })
}

/// Whether two node lists describe the same XML and the same Rust fields (docs and samples
/// aside): an inline container like that should name the shape.
pub(super) fn same_nodes(a: &[ir::Node], b: &[ir::Node]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x.name == y.name
                && x.field == y.field
                && x.scalar == y.scalar
                && x.optional == y.optional
                && x.repeated == y.repeated
                && x.aliases == y.aliases
                && x.spelling == y.spelling
                && x.number_or_string == y.number_or_string
                && x.asked_by == y.asked_by
                && x.crop == y.crop
                && (x.scalar.is_some() || x.type_name == y.type_name)
                && same_nodes(&x.nodes, &y.nodes)
        })
}
