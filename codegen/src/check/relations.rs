//! Rules between an operation's inputs: exactly one of object key and detect-url
//! (`source.exactly_one`), at least one of some parameters (`at_least_one`), and parameters
//! required or applying only for some values of another (`required_when`, `applies_when`).

use super::*;

/// Checks the relations of `op`, whose checked parameters are `params`.
pub fn relations(
    c: &mut Checker<'_>,
    op: &model::Operation,
    params: &[ir::Param],
) -> Vec<ir::Relation> {
    let mut out = Vec::new();
    if op.source.exactly_one {
        if op.source.detect_url {
            out.push(ir::Relation::KeyOrDetectUrl);
        } else {
            c.error(
                "source.exactly_one",
                "`exactly_one` needs `detect_url: true`: without it the object key is the only source",
            );
        }
    }
    for (i, set) in op.at_least_one.iter().enumerate() {
        let path = format!("at_least_one.{i}");
        if set.params.len() < 2 {
            c.error(
                &format!("{path}.params"),
                "`at_least_one` needs two or more parameters",
            );
            continue;
        }
        let mut ok = true;
        for (j, name) in set.params.iter().enumerate() {
            match params.iter().find(|p| &p.name == name) {
                None => {
                    c.error(
                        &format!("{path}.params.{j}"),
                        format!("`{name}` is not a parameter of this operation"),
                    );
                    ok = false;
                }
                Some(p) if p.required => {
                    c.error(
                        &format!("{path}.params.{j}"),
                        format!("`{name}` is required, so the set is always satisfied"),
                    );
                    ok = false;
                }
                Some(_) => {}
            }
        }
        if let Some(w) = &set.wins {
            if !set.params.contains(w) {
                c.error(
                    &format!("{path}.wins"),
                    format!("`{w}` is not one of the set's parameters"),
                );
                ok = false;
            }
        }
        if ok {
            out.push(ir::Relation::AtLeastOne {
                params: set.params.clone(),
                wins: set.wins.clone(),
            });
        }
    }
    for (name, p) in &op.params {
        for (key, when) in [
            ("required_when", &p.required_when),
            ("applies_when", &p.applies_when),
        ] {
            let Some(when) = when else { continue };
            let path = format!("params.{name}.{key}");
            if key == "required_when" && p.required {
                c.error(
                    &path,
                    format!("`{name}` is always required; drop `required` or `required_when`"),
                );
                continue;
            }
            let Some((other, values)) = when.iter().next().filter(|_| when.len() == 1) else {
                c.error(
                    &path,
                    format!(
                        "`{key}` names one other parameter and its values: `{{ type: [a, b] }}`"
                    ),
                );
                continue;
            };
            let Some(other_param) = params.iter().find(|q| &q.name == other && q.name != *name)
            else {
                c.error(
                    &format!("{path}.{other}"),
                    format!("`{other}` is not another parameter of this operation"),
                );
                continue;
            };
            if values.is_empty() {
                c.error(&format!("{path}.{other}"), "name at least one value");
                continue;
            }
            let mut wire = Vec::new();
            for (j, v) in values.iter().enumerate() {
                let text = match v {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => String::new(),
                };
                if other_param.kind.with_core(|k| k.parse(&text)).is_err() {
                    c.error(
                        &format!("{path}.{other}.{j}"),
                        format!(
                            "`{text}` is not a value of `{other}`, which is {}",
                            other_param.allowed
                        ),
                    );
                    continue;
                }
                wire.push(text);
            }
            if wire.len() != values.len() {
                continue;
            }
            let (param, other) = (name.clone(), other.clone());
            out.push(if key == "required_when" {
                ir::Relation::RequiredWhen {
                    param,
                    other,
                    values: wire,
                }
            } else {
                ir::Relation::AppliesWhen {
                    param,
                    other,
                    values: wire,
                }
            });
        }
    }
    out
}
