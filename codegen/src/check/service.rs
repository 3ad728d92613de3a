//! `service.yaml`: modes, hosts, limits, error codes and the shared documents.

use super::operation::is_action;
use super::*;

/// Checks `service.yaml`.
pub fn service(c: &mut Checker<'_>, s: &model::Service) -> ir::Service {
    // Every mode in `Mode::ALL` order; `upload_query` (newer, used by few operations) may be
    // left out. Unknown ones are reported on their own.
    let known: Vec<&str> = s
        .modes
        .keys()
        .map(String::as_str)
        .filter(|name| Mode::from_name(name).is_some())
        .collect();
    let expected: Vec<&str> = Mode::ALL
        .iter()
        .map(|m| m.as_str())
        .filter(|m| known.contains(m) || *m != Mode::UploadQuery.as_str())
        .collect();
    if known != expected {
        let missing: Vec<&str> = expected
            .iter()
            .copied()
            .filter(|m| !known.contains(m))
            .collect();
        let what = if missing.is_empty() {
            format!("not in this order ({})", known.join(", "))
        } else {
            format!("missing {}", missing.join(", "))
        };
        c.error(
            "modes",
            format!(
                "the modes are {}, in this order; {what}",
                expected.join(", ")
            ),
        );
    }
    for (name, def) in &s.modes {
        let Some(mode) = Mode::from_name(name) else {
            c.error(
                &format!("modes.{name}"),
                format!(
                    "unknown mode `{name}`; expected one of {}",
                    Mode::ALL.map(Mode::as_str).join(", ")
                ),
            );
            continue;
        };
        let method = mode.method();
        if def.method != method {
            c.error(
                &format!("modes.{name}.method"),
                format!("mode `{name}` uses {method}, not {}", def.method),
            );
        }
        let wants_pic = mode.carries_pic_operations();
        if def.pic_operations != wants_pic {
            let message = if wants_pic {
                format!("mode `{name}` carries Pic-Operations; set `pic_operations: true`")
            } else {
                format!("mode `{name}` carries no Pic-Operations; drop `pic_operations`")
            };
            c.error(&format!("modes.{name}.pic_operations"), message);
        }
        let cloud = mode == Mode::Cloud;
        if def.query.as_deref() != mode.query() {
            if cloud {
                c.error(
                    &format!("modes.{name}"),
                    "mode `cloud` needs `query: image_process`",
                );
            } else {
                c.error(
                    &format!("modes.{name}.query"),
                    format!("mode `{name}` has no query word; drop `query`"),
                );
            }
        }
        if def.doc.trim().is_empty() {
            c.error(&format!("modes.{name}.doc"), "the doc is empty");
        }
        for (i, action) in def.implies.iter().enumerate() {
            if !is_action(action) {
                c.error(
                    &format!("modes.{name}.implies.{i}"),
                    format!("`{action}` is not a CAM action like cos:GetObject"),
                );
            }
        }
    }
    for kind in HostKind::ALL.map(HostKind::as_str) {
        if !s.hosts.contains_key(kind) {
            c.error("hosts", format!("missing host kind `{kind}`"));
        }
    }
    for (kind, template) in &s.hosts {
        if HostKind::from_name(kind).is_none() {
            c.error(
                &format!("hosts.{kind}"),
                format!("unknown host kind `{kind}`; the runtime knows cos, pic and ci"),
            );
        }
        if !template.contains("{bucket}") || !template.contains("{region}") {
            c.error(
                &format!("hosts.{kind}"),
                "a host template needs {bucket} and {region}",
            );
        }
    }
    if s.pic_operations.max_rules == 0 {
        c.error("pic_operations.max_rules", "`max_rules` must be at least 1");
    }
    let limits = limits(c, "limits", &s.limits, None);
    let empty_values = match s.empty_values.as_deref() {
        None => ir::EmptyValues::Absent,
        Some(word) => ir::EmptyValues::from_name(word).unwrap_or_else(|| {
            c.error(
                "empty_values",
                format!("unknown rule `{word}`; expected absent or refused"),
            );
            ir::EmptyValues::Absent
        }),
    };
    if !s.errors.contains_key(&s.param_error_code) {
        c.error(
            "param_error_code",
            format!(
                "`{}` is not one of the codes under `errors`",
                s.param_error_code
            ),
        );
    }
    for (code, def) in &s.errors {
        if !code.chars().all(|ch| ch.is_ascii_alphanumeric())
            || !code.starts_with(|ch: char| ch.is_ascii_uppercase())
            || code == "Self"
        {
            c.error(
                &format!("errors.{code}"),
                format!("`{code}` is not an error code: letters and digits, starting with an uppercase letter"),
            );
        }
        if !(300..=599).contains(&def.status) {
            c.error(
                &format!("errors.{code}.status"),
                format!("{} is not an error status (300 to 599)", def.status),
            );
        }
    }
    for required in [
        "InvalidArgument",
        "SignatureDoesNotMatch",
        "AccessDenied",
        "NoSuchKey",
        "InternalError",
    ] {
        if !s.errors.contains_key(required) {
            c.error("errors", format!("missing error code `{required}`"));
        }
    }
    // Both documents are emitted into one module, next to these.
    let mut taken = vec![
        "ErrorCode".to_string(),
        "Limits".to_string(),
        "ProcessorKind".to_string(),
    ];
    let shapes = shapes::check(c, &s.shapes);
    ir::Service {
        hosts: s
            .hosts
            .iter()
            .filter_map(|(k, v)| Some((HostKind::from_name(k)?, v.clone())))
            .collect(),
        host_suffixes: s.host_suffixes.clone(),
        pic_operations_header: s.pic_operations.header.clone(),
        implies: s
            .modes
            .iter()
            .filter_map(|(name, def)| Some((Mode::from_name(name)?, def.implies.clone())))
            .collect(),
        max_rules: s.pic_operations.max_rules,
        limits,
        param_error_code: s.param_error_code.clone(),
        empty_values,
        errors: s
            .errors
            .iter()
            .map(|(k, v)| (k.clone(), v.status, v.message.clone()))
            .collect(),
        error_xml: tree(c, "error_xml", &s.error_xml, &mut taken, &shapes),
        upload_result: tree(c, "upload_result", &s.upload_result, &mut taken, &shapes),
        shapes,
        processors: crate::processors::service(c, s),
    }
}

pub(super) fn limits(
    c: &mut Checker<'_>,
    path: &str,
    l: &model::LimitsDef,
    base: Option<&ir::Limits>,
) -> ir::Limits {
    let mut pick = |name: &str, v: Option<u64>, b: Option<u64>| -> u64 {
        match (v, b) {
            (Some(0), _) => {
                c.error(
                    &format!("{path}.{name}"),
                    format!("`{name}` must be greater than 0"),
                );
                1
            }
            (Some(v), _) => v,
            (None, Some(b)) => b,
            (None, None) => {
                c.error(path, format!("missing `{name}`"));
                1
            }
        }
    };
    let max_input_bytes = pick(
        "max_input_bytes",
        l.max_input_bytes,
        base.map(|b| b.max_input_bytes),
    );
    let max_width = pick(
        "max_width",
        l.max_width.map(u64::from),
        base.map(|b| u64::from(b.max_width)),
    );
    let max_height = pick(
        "max_height",
        l.max_height.map(u64::from),
        base.map(|b| u64::from(b.max_height)),
    );
    let max_pixels = pick("max_pixels", l.max_pixels, base.map(|b| b.max_pixels));
    ir::Limits {
        max_input_bytes,
        max_width: u32::try_from(max_width).unwrap_or(u32::MAX),
        max_height: u32::try_from(max_height).unwrap_or(u32::MAX),
        max_pixels,
    }
}
