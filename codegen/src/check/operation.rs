//! One operation file: name, modes, permissions, sources, outputs; its parameters and examples through `param` and `example`.

use super::*;

/// Checks one operation file whose stem is `stem` (whether the stem matches the name is
/// checked across files, in `load`).
///
/// Without a service (service.yaml did not parse) the checks that need it are skipped.
pub fn operation(
    c: &mut Checker<'_>,
    stem: &str,
    source: &str,
    op: &model::Operation,
    service: Option<(&model::Service, &ir::Service)>,
) -> ir::Op {
    if op.name.is_empty()
        || !op.name.starts_with(|ch: char| ch.is_ascii_alphabetic())
        || !op
            .name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
    {
        c.error("name", format!("`{}` is not a ci-process name", op.name));
    }
    let module = match &op.rust_name {
        Some(rust) => {
            if !is_field_name(rust) || rust.starts_with('_') || rust.contains("__") {
                c.error(
                    "rust_name",
                    format!(
                        "`{rust}` is not a snake-case Rust name (lowercase letters, digits and single `_`, starting with a letter)"
                    ),
                );
            } else if *rust == naming::module(&op.name) {
                c.error(
                    "rust_name",
                    format!(
                        "`{rust}` is what `{}` gives anyway; remove rust_name",
                        op.name
                    ),
                );
            }
            rust.clone()
        }
        None => naming::module(&op.name),
    };
    if KEYWORDS.contains(&module.as_str()) || NOT_RAW.contains(&module.as_str()) {
        c.error(
            "name",
            format!(
                "`{}` gives the module name `{module}`, a Rust keyword",
                op.name
            ),
        );
    } else if RESERVED_MODULES.contains(&module.as_str()) {
        c.error(
            "name",
            format!(
                "`{}` gives the module name `{module}`, which the generated code already uses",
                op.name
            ),
        );
    }
    if op.summary.trim().is_empty() {
        c.error("summary", "the summary is empty");
    }
    if op.modes.is_empty() {
        c.error("modes", "an operation needs at least one mode");
    }
    for (i, mode) in op.modes.iter().enumerate() {
        if Mode::from_name(mode).is_none() {
            c.error(
                &format!("modes.{i}"),
                format!(
                    "unknown mode `{mode}`; expected one of {}",
                    Mode::ALL.map(Mode::as_str).join(", ")
                ),
            );
        } else if op.modes[..i].contains(mode) {
            c.error(
                &format!("modes.{i}"),
                format!("mode `{mode}` is listed twice"),
            );
        } else if service.is_some_and(|(s, _)| !s.modes.contains_key(mode)) {
            c.error(
                &format!("modes.{i}"),
                format!("service.yaml declares no mode `{mode}` (under `modes`)"),
            );
        }
    }
    // Permissions: what each mode implies (service.yaml `modes.<m>.implies`) plus the
    // operation's own actions, listed only for declared modes and never repeating an implied one.
    // Without an input object nothing is read, so the object actions a mode implies do not
    // apply (qrcode-generate's page names only its ci:* action).
    let implied = |mode: &str| -> &[String] {
        if op.source.none {
            return &[];
        }
        service
            .and_then(|(s, _)| s.modes.get(mode))
            .map_or(&[], |def| def.implies.as_slice())
    };
    for mode in &op.modes {
        let known = Mode::from_name(mode).is_some();
        // An undeclared mode was reported above; its permissions are not asked for too.
        if known
            && service.is_some_and(|(s, _)| s.modes.contains_key(mode))
            && implied(mode).is_empty()
            && !op.permissions.contains_key(mode)
        {
            c.error("permissions", format!("no permissions for mode `{mode}`"));
        }
    }
    for (mode, actions) in &op.permissions {
        if !op.modes.contains(mode) {
            c.error(
                &format!("permissions.{mode}"),
                format!(
                    "`{mode}` is not one of this operation's modes ({})",
                    op.modes.join(", ")
                ),
            );
        }
        if actions.is_empty() {
            c.error(
                &format!("permissions.{mode}"),
                "an empty list; leave the mode out when it needs only what it implies",
            );
        }
        for (i, action) in actions.iter().enumerate() {
            if !is_action(action) {
                c.error(
                    &format!("permissions.{mode}.{i}"),
                    format!("`{action}` is not a CAM action like cos:GetObject or ci:CreateXJob"),
                );
            } else if implied(mode).contains(action) {
                c.error(
                    &format!("permissions.{mode}.{i}"),
                    format!(
                        "`{action}` is implied by mode `{mode}` (service.yaml modes.{mode}.implies); remove it"
                    ),
                );
            } else if actions[..i].contains(action) {
                c.error(
                    &format!("permissions.{mode}.{i}"),
                    format!("`{action}` is listed twice"),
                );
            }
        }
    }
    for (action, aliases) in &op.permission_aliases {
        if !op.permissions.values().any(|a| a.contains(action)) {
            c.error(
                &format!("permission_aliases.{action}"),
                format!("`{action}` is not an action of this operation"),
            );
        }
        for (i, alias) in aliases.iter().enumerate() {
            if !is_action(alias) {
                c.error(
                    &format!("permission_aliases.{action}.{i}"),
                    format!("`{alias}` is not a CAM action"),
                );
            }
        }
    }
    let input = if op.source.none {
        if op.source.detect_url || op.source.exactly_one || op.source.detect_url_host.is_some() {
            c.error(
                "source.none",
                "an operation without an input takes no detect-url; drop detect_url, detect_url_host and exactly_one",
            );
        }
        if let Some(i) = op.modes.iter().position(|m| m != "download") {
            c.error(
                &format!("modes.{i}"),
                format!(
                    "`{}` processes an object, and this operation has none (`source: {{ none: true }}`); only download is possible",
                    op.modes[i]
                ),
            );
        }
        ir::Input::None
    } else {
        ir::Input::Object
    };
    let detect_url = if op.source.detect_url && !op.source.none {
        let host = op.source.detect_url_host.as_deref().unwrap_or("cos");
        let kind = HostKind::from_name(host);
        if kind.is_none() || service.is_some_and(|(s, _)| !s.hosts.contains_key(host)) {
            c.error(
                "source.detect_url_host",
                format!(
                    "unknown host kind `{host}`; expected cos, pic or ci (service.yaml `hosts`)"
                ),
            );
        }
        kind
    } else {
        if op.source.detect_url_host.is_some() {
            c.error("source.detect_url_host", "set only with detect_url: true");
        }
        None
    };

    let mut hosts = Vec::new();
    for (i, host) in op.hosts.iter().flatten().enumerate() {
        let here = format!("hosts.{i}");
        match HostKind::from_name(host) {
            Some(kind) if service.is_some_and(|(s, _)| !s.hosts.contains_key(host)) => {
                c.error(
                    &here,
                    format!(
                        "`{}` has no template in service.yaml `hosts`",
                        kind.as_str()
                    ),
                );
            }
            Some(kind) if hosts.contains(&kind) => {
                c.error(&here, format!("`{host}` is listed twice"));
            }
            Some(kind) => hosts.push(kind),
            None => c.error(
                &here,
                format!(
                    "unknown host kind `{host}`; expected cos, pic or ci (service.yaml `hosts`)"
                ),
            ),
        }
    }
    if op.hosts.as_ref().is_some_and(Vec::is_empty) {
        c.error("hosts", "an operation is served on at least one host kind");
    }
    if hosts.is_empty() {
        hosts.push(HostKind::Cos);
    }

    // The types of the operation's generated module: its parameter struct, the enums and
    // structs of its parameters, its answer's nodes.
    let type_name = naming::type_name(op.rust_name.as_deref().unwrap_or(&op.name));
    if let Some(problem) = type_name_problem(&type_name) {
        c.error(
            "name",
            format!("`{}` gives no Rust type name: {problem}", op.name),
        );
    }
    let mut taken = vec![type_name.clone()];
    let mut params: Vec<ir::Param> = Vec::new();
    // Parameters declared with a problem of their own; examples do not report them again.
    let mut broken: Vec<String> = Vec::new();
    let shapes: &[ir::Shape] = match service {
        Some((_, s)) => &s.shapes,
        None => &[],
    };
    for (name, p) in &op.params {
        let path = format!("params.{name}");
        // A parameter whose `type` is a shape takes the shape's type keys.
        let shape = service
            .and_then(|(s, _)| s.shapes.get(&p.ty))
            .and_then(|d| d.param.as_ref());
        let merged = shape.map(|sh| p.with_shape(sh));
        if merged.is_some() && p.has_type_keys() {
            c.error(
                &path,
                format!(
                    "`type: {}` is a shape, which fixes the type; drop range, values, separator, names, max_len, encoding and variant_prefix",
                    p.ty
                ),
            );
        }
        let Some(mut param) = param(c, &path, name, merged.as_ref().unwrap_or(p)) else {
            broken.push(name.clone());
            continue;
        };
        if merged.is_some() {
            param.type_name = p.ty.clone();
            param.shared = true;
        } else if let Some(shape) = shapes.iter().find(|s| {
            param.value.declares_type()
                && param_shape(shapes, &s.name).is_some_and(|sp| sp.kind == param.kind)
        }) {
            c.error(
                &path,
                format!(
                    "`{name}` has the type of the shape `{0}`; write `type: {0}` instead of its type keys",
                    shape.name
                ),
            );
        }
        if let Some(other) = params.iter().find(|o| o.field == param.field) {
            c.error(
                &path,
                format!(
                    "`{name}` and `{}` both give the Rust field `{}`",
                    other.name, param.field
                ),
            );
        } else if param.value.declares_type() && !(param.shared && taken.contains(&param.type_name))
        {
            if let Some(problem) = type_name_problem(&param.type_name) {
                c.error(
                    &path,
                    format!("`{name}` gives no Rust type name: {problem}"),
                );
            } else if taken.contains(&param.type_name) {
                c.error(
                    &path,
                    format!(
                        "`{name}` gives the Rust type `{}`, which the operation already uses",
                        param.type_name
                    ),
                );
            }
            taken.push(param.type_name.clone());
        }
        if param.ignore_error {
            if let Some(other) = params.iter().find(|o| o.ignore_error) {
                c.error(
                    &format!("{path}.ignore_error"),
                    format!(
                        "`{}` is already the ignore-error flag; an operation has one",
                        other.name
                    ),
                );
            }
        }
        params.push(param);
    }

    let modes: Vec<Mode> = op.modes.iter().filter_map(|m| Mode::from_name(m)).collect();
    // Without a download mode the stored result is an image, and `download` may be left out.
    let download = match op.output.download.as_deref() {
        Some(d) => d,
        None if !modes.contains(&Mode::Download) => "image",
        None => {
            c.error(
                "output",
                "`download` says what download mode answers: image, xml or json",
            );
            "image"
        }
    };
    let output = match download {
        "image" => {
            if op.output.response.is_some() {
                c.error("output.response", "an image answer has no node tree");
            }
            let png = match op.output.format.as_deref() {
                None => false,
                Some("png") => true,
                Some(other) => {
                    c.error(
                        "output.format",
                        format!("unknown format `{other}`; only png can be forced"),
                    );
                    false
                }
            };
            ir::Output::Image { png }
        }
        "xml" => {
            if op.output.format.is_some() {
                c.error("output.format", "an XML answer has no image format");
            }
            match &op.output.response {
                Some(t) => ir::Output::Xml(tree(c, "output.response", t, &mut taken, shapes)),
                None => {
                    c.error("output", "`download: xml` needs a `response` node tree");
                    ir::Output::Image { png: false }
                }
            }
        }
        "json" => {
            if op.output.format.is_some() {
                c.error("output.format", "a JSON answer has no image format");
            }
            match &op.output.response {
                Some(t) => ir::Output::Json(json_tree(c, "output.response", t, &mut taken, shapes)),
                None => {
                    c.error("output", "`download: json` needs a `response` node tree");
                    ir::Output::Image { png: false }
                }
            }
        }
        other => {
            c.error(
                "output.download",
                format!("unknown output `{other}`; expected image, xml or json"),
            );
            ir::Output::Image { png: false }
        }
    };
    let upload_result = op.output.upload_result.as_ref().and_then(|u| {
        let answer = match &output {
            ir::Output::Xml(t) => Some(t),
            ir::Output::Image { .. } | ir::Output::Json(_) => None,
        };
        upload_result::upload_result(
            c,
            u,
            (&type_name, &modes),
            answer,
            service.map(|(_, s)| &s.upload_result),
            &mut taken,
            shapes,
        )
    });
    if let Some(t) = &op.output.response {
        asked_by(c, "output.response.nodes", &t.nodes, &params, &broken);
    }
    let upload_query = op
        .modes
        .iter()
        .position(|m| Mode::from_name(m) == Some(Mode::UploadQuery));
    if let (Some(i), ir::Output::Image { .. } | ir::Output::Json(_)) = (upload_query, &output) {
        c.error(
            &format!("modes.{i}"),
            "mode `upload_query` answers the operation's XML document (`download: xml`); an image operation uploads with Pic-Operations (`upload`)",
        );
    }
    let stand_in = crate::processors::operation(c, op, &params, &broken, service.map(|(s, _)| s));
    let fallback = ir::Limits {
        max_input_bytes: 1,
        max_width: 1,
        max_height: 1,
        max_pixels: 1,
    };
    let defaults = service.map_or(&fallback, |(_, s)| &s.limits);
    let limits = limits(c, "limits", &op.limits, Some(defaults));

    let mut examples = Vec::new();
    for (i, ex) in op.examples.iter().enumerate() {
        examples.push(example(c, &format!("examples.{i}"), ex, &params, &broken));
    }

    let own = op_errors(c, op, service.map(|(_, s)| s));
    let relations = relations(c, op, &params);
    if let Some(word) = &op.alias_query {
        if !modes.contains(&Mode::Download) {
            c.error(
                "alias_query",
                "`alias_query` is another form of the download request; this operation has no download mode",
            );
        } else if word.is_empty()
            || !word
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
        {
            c.error(
                "alias_query",
                format!("`{word}` is not a query word (letters, digits, `-` and `_`)"),
            );
        }
    }
    if let Some(t) = &op.output.response {
        present_when(c, "output.response.nodes", &t.nodes, &params);
    }
    let method = modes.contains(&ir::Mode::Download).then(|| module.clone());
    let upload_query_method = modes
        .contains(&ir::Mode::UploadQuery)
        .then(|| format!("{module}_upload_query"));
    let rule_form = match op.rule_form.as_deref() {
        None | Some("query") => ir::RuleForm::Query,
        Some("path") => ir::RuleForm::Path,
        Some(other) => {
            c.error(
                "rule_form",
                format!("unknown rule form `{other}`; expected query or path"),
            );
            ir::RuleForm::Query
        }
    };
    if op.rule_form.is_some() && !modes.iter().any(|m| *m != Mode::Download) {
        c.error(
            "rule_form",
            "a rule form is how a Pic-Operations rule is written; this operation has no upload or cloud mode",
        );
    }
    ir::Op {
        name: op.name.clone(),
        file: stem.to_string(),
        source: source.to_string(),
        module,
        type_name,
        summary: op.summary.trim().to_string(),
        doc_url: op.doc_url.clone(),
        modes,
        input,
        detect_url,
        hosts,
        permissions: op
            .modes
            .iter()
            .filter_map(|name| {
                let mode = Mode::from_name(name)?;
                // Only the operation's own: what the mode implies is the service's fact, added
                // by `OpSpec::actions`.
                let own = op.permissions.get(name)?;
                Some((mode, own.clone()))
            })
            .collect(),
        permission_aliases: op
            .permission_aliases
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        params,
        alias_query: op.alias_query.clone(),
        output,
        upload_result,
        method,
        upload_query_method,
        limits,
        processor: op.mock.processor.clone(),
        processor_type: stand_in.type_name,
        processor_inputs: stand_in.inputs,
        examples,
        errors: own.errors,
        rule_form,
        max_rules: own.max_rules,
        flat_image_error: own.flat_image_error,
        relations,
    }
}

/// Checks every node's `asked_by` names a boolean member of one of `params`, a `type: json`
/// parameter (parameters in `broken` were reported already).
fn asked_by(
    c: &mut Checker<'_>,
    path: &str,
    nodes: &indexmap::IndexMap<String, model::Node>,
    params: &[ir::Param],
    broken: &[String],
) {
    for (name, node) in nodes {
        let here = format!("{path}.{name}");
        if let Some((param, member)) = node.asked_by.as_deref().and_then(|t| t.split_once('.')) {
            let found = params.iter().find(|p| p.name == param);
            let problem = match found.map(|p| &p.kind) {
                None if broken.iter().any(|b| b == param) => None,
                None => Some(format!("`{param}` is not a parameter of this operation")),
                Some(ir::Kind::Json { fields, .. }) => (!fields
                    .iter()
                    .any(|f| f.name == member && f.ty == ir::JsonType::Boolean))
                .then(|| {
                    let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
                    format!(
                        "`{param}` has no boolean member `{member}`; its members are {}",
                        names.join(", ")
                    )
                }),
                Some(_) => Some(format!(
                    "`{param}` is not a `type: json` parameter; `asked_by` names one of its boolean members"
                )),
            };
            if let Some(problem) = problem {
                c.error(&format!("{here}.asked_by"), problem);
            }
        }
        if let Some(children) = &node.nodes {
            asked_by(c, &format!("{here}.nodes"), children, params, broken);
        }
    }
}

/// Checks every `present_when` of an answer's nodes: one list parameter of the operation and
/// one of its words; the node is then optional, so it may not be repeated.
fn present_when(
    c: &mut Checker<'_>,
    path: &str,
    nodes: &IndexMap<String, model::Node>,
    params: &[ir::Param],
) {
    for (name, node) in nodes {
        let here = format!("{path}.{name}");
        if let Some(when) = &node.present_when {
            let at = format!("{here}.present_when");
            if when.len() != 1 {
                c.error(
                    &at,
                    "`present_when` names one list parameter and one of its words",
                );
            }
            if node.repeated {
                c.error(
                    &at,
                    "a node present only when asked for is optional, not repeated",
                );
            }
            for (param, word) in when.iter().take(1) {
                match params.iter().find(|p| &p.name == param).map(|p| &p.kind) {
                    Some(ir::Kind::List { values, .. }) if values.contains(word) => {}
                    Some(ir::Kind::List { values, .. }) => c.error(
                        &format!("{at}.{param}"),
                        format!(
                            "`{word}` is not a word of `{param}` ({})",
                            values.join(", ")
                        ),
                    ),
                    Some(_) => c.error(
                        &format!("{at}.{param}"),
                        format!("`{param}` is not a list parameter (`type: list`)"),
                    ),
                    None => c.error(
                        &format!("{at}.{param}"),
                        format!("`{param}` is not a parameter of this operation"),
                    ),
                }
            }
        }
        if let Some(children) = &node.nodes {
            present_when(c, &format!("{here}.nodes"), children, params);
        }
    }
}

pub(super) fn is_action(action: &str) -> bool {
    match action.split_once(':') {
        Some((service, name)) => {
            (service == "cos" || service == "ci")
                && !name.is_empty()
                && name.starts_with(|ch: char| ch.is_ascii_uppercase())
                && name.chars().all(|ch| ch.is_ascii_alphanumeric())
        }
        None => false,
    }
}
