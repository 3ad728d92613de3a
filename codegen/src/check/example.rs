//! Examples: parameter values with their exact wire forms, or the parameter they violate.

use super::*;

pub(super) fn example(
    c: &mut Checker<'_>,
    path: &str,
    ex: &model::Example,
    params: &[ir::Param],
    broken: &[String],
) -> ir::Example {
    let mut pairs = Vec::new();
    // (parameter, why its value is not allowed)
    let mut violated: Vec<(String, String)> = Vec::new();
    for (name, v) in &ex.params {
        let here = format!("{path}.params.{name}");
        if broken.contains(name) {
            continue;
        }
        let Some(param) = params.iter().find(|p| &p.name == name) else {
            c.error(
                &here,
                format!("`{name}` is not a parameter of this operation"),
            );
            continue;
        };
        let Some(wire) = param_wire(&param.kind, v) else {
            c.error(
                &here,
                match param.kind {
                    ir::Kind::List { .. } => {
                        "a list's example value is its words, as a list or as one text"
                    }
                    _ => "an example value is a single value, not a list or a map",
                },
            );
            continue;
        };
        if let Err(why) = fits(&param.kind, &wire) {
            violated.push((name.clone(), format!("`{name}: {wire}` {why}")));
        }
        pairs.push((name.clone(), wire));
    }
    match &ex.error {
        Some(param) if broken.contains(param) => {}
        Some(param) => {
            if !ex.params.contains_key(param) {
                c.error(
                    &format!("{path}.error"),
                    format!("`{param}` is not among the example's params"),
                );
            } else if !violated.iter().any(|(n, _)| n == param) {
                let value = pairs
                    .iter()
                    .find(|(n, _)| n == param)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default();
                let allowed = params
                    .iter()
                    .find(|p| &p.name == param)
                    .map(|p| describe(&p.kind))
                    .unwrap_or_default();
                c.error(
                    &format!("{path}.error"),
                    format!(
                        "`{param}: {value}` is allowed ({allowed}), so this error example would pass; give `{param}` a value it rejects"
                    ),
                );
            }
            if ex.query.is_some() || ex.rule.is_some() {
                c.error(path, "an error example has no query or rule");
            }
        }
        None => {
            for (name, why) in &violated {
                c.error(
                    &format!("{path}.params.{name}"),
                    format!(
                        "{why}; fix the value, or make this an error example with `error: {name}`"
                    ),
                );
            }
            for p in params.iter().filter(|p| p.required) {
                if !ex.params.contains_key(&p.name) {
                    c.error(
                        &format!("{path}.params"),
                        format!("the example lacks the required parameter `{}`", p.name),
                    );
                }
            }
            if ex.query.is_none() && ex.rule.is_none() {
                c.error(path, "an example needs a `query`, a `rule` or an `error`");
            }
        }
    }
    ir::Example {
        params: pairs,
        query: ex.query.clone(),
        rule: ex.rule.clone(),
        error: ex.error.clone(),
    }
}
