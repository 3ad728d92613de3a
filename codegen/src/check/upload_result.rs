//! `output.upload_result`: the nodes an operation adds to the upload and cloud answer, and the
//! operation's own `UploadResult` type built from the service's tree with them.

use super::nodes::{nodes, type_name_unused, xml_only};
use super::*;

/// Checks the additions and builds `<Op>UploadResult`: the service's tree with the `object`
/// nodes in its repeated container (`ProcessResults/Object`, one per rule) and the `root`
/// nodes after its own. Containers the additions leave alone stay the service's types; a
/// container named like one of the download answer's is that type when its nodes are the same.
pub(super) fn upload_result(
    c: &mut Checker<'_>,
    def: &model::UploadResultDef,
    op: (&str, &[Mode]),
    answer: Option<&ir::Tree>,
    service: Option<&ir::Tree>,
    taken: &mut Vec<String>,
    shapes: &[ir::Shape],
) -> Option<ir::UploadAnswer> {
    let (type_name, modes) = op;
    const PATH: &str = "output.upload_result";
    if !modes
        .iter()
        .any(|m| matches!(m, Mode::Upload | Mode::Cloud))
    {
        c.error(
            PATH,
            "`UploadResult` is the upload and cloud answer; this operation has neither mode",
        );
        return None;
    }
    if def.object.is_empty() && def.root.is_empty() {
        c.error(
            PATH,
            "name the added nodes under `object` or `root`, or drop upload_result",
        );
        return None;
    }
    // The download answer's containers may be named again: checked against them below.
    let answer_types = answer.map(containers).unwrap_or_default();
    let mut scratch: Vec<String> = taken
        .iter()
        .filter(|t| !answer_types.iter().any(|n| n.type_name == **t))
        .cloned()
        .collect();
    let mut added = |c: &mut Checker<'_>, key: &str, map: &IndexMap<String, model::Node>| {
        if map.is_empty() {
            return Vec::new();
        }
        let path = format!("{PATH}.{key}");
        let mut list = nodes(c, &path, map, &mut scratch, shapes, false);
        xml_only(c, &path, &list);
        for n in &mut list {
            adopt(c, &path, n, &answer_types);
        }
        list
    };
    let object = added(c, "object", &def.object);
    let root = added(c, "root", &def.root);
    // What the additions declared is taken now, beside the answer's types.
    for t in scratch {
        if !taken.contains(&t) {
            taken.push(t);
        }
    }
    let service = service?;
    let answer_type = format!("{type_name}UploadResult");
    let mut own = vec![answer_type.clone()];
    let mut tree = ir::Tree {
        root: service.root.clone(),
        type_name: answer_type,
        nodes: service.nodes.iter().cloned().map(of_service).collect(),
    };
    clash(c, &format!("{PATH}.root"), &tree.nodes, &root);
    if !object.is_empty() {
        match per_rule(&tree.nodes) {
            Some(path) => {
                // Every container down to the per-rule object changes: the operation's own.
                let mut level = &mut tree.nodes;
                for (depth, &i) in path.iter().enumerate() {
                    let Some(node) = level.get_mut(i) else { break };
                    node.home = ir::Home::Here;
                    node.type_name = format!("{type_name}{}", node.type_name);
                    own.push(node.type_name.clone());
                    if depth + 1 == path.len() {
                        clash(c, &format!("{PATH}.object"), &node.nodes, &object);
                        node.nodes.extend(object.iter().cloned());
                    }
                    level = &mut node.nodes;
                }
            }
            None => c.error(
                &format!("{PATH}.object"),
                "service.yaml's `upload_result` has no repeated container to add to",
            ),
        }
    }
    tree.nodes.extend(root.iter().cloned());
    for name in &own {
        type_name_unused(c, PATH, name, false, taken);
    }
    Some(ir::UploadAnswer { object, root, tree })
}

/// A container of the service's tree and every container below it, declared with the
/// service's documents.
fn of_service(mut n: ir::Node) -> ir::Node {
    if n.scalar.is_none() {
        n.home = ir::Home::Service;
        n.nodes = n.nodes.into_iter().map(of_service).collect();
    }
    n
}

/// The indices from the root's children down to the first repeated container: the
/// per-rule `ProcessResults/Object`.
fn per_rule(nodes: &[ir::Node]) -> Option<Vec<usize>> {
    for (i, n) in nodes.iter().enumerate() {
        if n.scalar.is_some() {
            continue;
        }
        if n.repeated {
            return Some(vec![i]);
        }
        if let Some(mut below) = per_rule(&n.nodes) {
            below.insert(0, i);
            return Some(below);
        }
    }
    None
}

/// The containers below a tree, each once.
fn containers(tree: &ir::Tree) -> Vec<ir::Node> {
    let mut out: Vec<ir::Node> = Vec::new();
    let mut stack: Vec<&ir::Node> = tree.nodes.iter().collect();
    while let Some(n) = stack.pop() {
        if n.scalar.is_none() && !out.iter().any(|o| o.type_name == n.type_name) {
            out.push(n.clone());
            stack.extend(n.nodes.iter());
        }
    }
    out
}

/// Marks an added container named like one of the download answer's as that type when its
/// nodes are the same; other names are checked as usual.
fn adopt(c: &mut Checker<'_>, path: &str, n: &mut ir::Node, answer: &[ir::Node]) {
    if n.scalar.is_some() || n.home != ir::Home::Here {
        return;
    }
    let here = format!("{path}.{}", n.name);
    match answer.iter().find(|a| a.type_name == n.type_name) {
        Some(a) if super::shapes::same_nodes(&a.nodes, &n.nodes) => n.home = ir::Home::Module,
        Some(_) => c.error(
            &here,
            format!(
                "the Rust type `{}` is the download answer's, with other nodes; write the same nodes (a YAML anchor does) or set `rust_name`",
                n.type_name
            ),
        ),
        None => {
            for child in &mut n.nodes {
                adopt(c, &here, child, answer);
            }
        }
    }
}

/// Reports an added node whose element or field name the container already has.
fn clash(c: &mut Checker<'_>, path: &str, existing: &[ir::Node], added: &[ir::Node]) {
    for n in added {
        if let Some(e) = existing
            .iter()
            .find(|e| e.name == n.name || e.field == n.field)
        {
            c.error(
                &format!("{path}.{}", n.name),
                format!(
                    "`UploadResult` already has `{}` here; an operation adds nodes, it does not replace them",
                    e.name
                ),
            );
        }
    }
}
