//! One parameter: its type, range or values, encoding, default and Rust names.

use super::*;

const PARAM_TYPES: [&str; 7] = ["integer", "number", "flag", "text", "pair", "list", "json"];
/// Characters a list's words cannot be joined by: they delimit queries and rules, or mean
/// something else once percent-decoded.
const NOT_SEPARATORS: &str = "&=%+#?";
/// The member types of a `type: json` parameter.
const JSON_MEMBER_TYPES: [(&str, ir::JsonType); 1] = [("boolean", ir::JsonType::Boolean)];
/// Query names the runtime handles itself.
const RESERVED_PARAMS: [&str; 2] = ["ci-process", "detect-url"];

pub(super) fn param(
    c: &mut Checker<'_>,
    path: &str,
    name: &str,
    p: &model::Param,
) -> Option<ir::Param> {
    if name.is_empty()
        || !name.starts_with(|ch: char| ch.is_ascii_alphabetic())
        || !name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
    {
        c.error(
            path,
            format!("`{name}` is not a parameter name: letters, digits, `-` and `_`, starting with a letter"),
        );
    }
    if RESERVED_PARAMS.contains(&name) {
        c.error(
            path,
            format!("`{name}` is handled by the runtime; declare it under `source`"),
        );
    }
    if !PARAM_TYPES.contains(&p.ty.as_str()) {
        c.error(
            &format!("{path}.type"),
            format!(
                "unknown type `{}`; expected one of {}",
                p.ty,
                PARAM_TYPES.join(", ")
            ),
        );
        return None;
    }
    if p.doc.trim().is_empty() {
        c.error(&format!("{path}.doc"), "the doc is empty");
    }
    let only = |c: &mut Checker<'_>, key: &str, set: bool, ty: &str| {
        if set {
            c.error(
                &format!("{path}.{key}"),
                format!("`{key}` does not apply to type {ty}"),
            );
        }
    };
    let ty = p.ty.as_str();
    only(
        c,
        "separator",
        p.separator.is_some() && ty != "pair" && ty != "list",
        ty,
    );
    only(c, "names", p.names.is_some() && ty != "pair", ty);
    only(
        c,
        "max_len",
        p.max_len.is_some() && ty != "text" && ty != "json",
        ty,
    );
    only(c, "fields", p.fields.is_some() && ty != "json", ty);
    only(c, "encoding", p.encoding.is_some() && ty != "text", ty);
    only(
        c,
        "variant_prefix",
        p.variant_prefix.is_some() && !(ty == "integer" && p.values.is_some()),
        ty,
    );
    only(
        c,
        "range",
        p.range.is_some() && (ty == "flag" || ty == "text" || ty == "list" || ty == "json"),
        ty,
    );
    only(
        c,
        "values",
        p.values.is_some() && !(ty == "integer" || ty == "text" || ty == "list"),
        ty,
    );
    if p.ignore_error && ty != "flag" {
        c.error(
            &format!("{path}.ignore_error"),
            "the ignore-error parameter must be a flag",
        );
    }
    let kind = match ty {
        "integer" => match (&p.range, &p.values) {
            (Some(range), None) => {
                let (min, max) = int_range(c, path, range)?;
                ir::Kind::Integer { min, max }
            }
            (None, Some(values)) => {
                let mut ints = Vec::new();
                for (i, v) in values.iter().enumerate() {
                    match v.as_i64() {
                        Some(n) if ints.contains(&n) => c.error(
                            &format!("{path}.values.{i}"),
                            format!("{n} is listed twice"),
                        ),
                        Some(n) if n < 0 => c.error(
                            &format!("{path}.values.{i}"),
                            format!("{n} is negative; set values are 0 or more"),
                        ),
                        Some(n) => ints.push(n),
                        None => c.error(
                            &format!("{path}.values.{i}"),
                            format!("`{}` is not an integer", show(v)),
                        ),
                    }
                }
                if values.is_empty() {
                    c.error(&format!("{path}.values"), "a closed set needs values");
                }
                let prefix = p.variant_prefix.clone().unwrap_or_else(|| "V".to_string());
                if !is_type_ident(&prefix) {
                    let what = if prefix.is_empty() {
                        "an empty prefix".to_string()
                    } else {
                        format!("`{prefix}`")
                    };
                    c.error(
                        &format!("{path}.variant_prefix"),
                        format!("{what} cannot start a Rust variant name: letters, digits and `_`, starting with an uppercase letter (like `X` or `V`)"),
                    );
                }
                ir::Kind::IntegerSet {
                    values: ints,
                    prefix,
                }
            }
            (Some(_), Some(_)) => {
                c.error(path, "an integer has `range` or `values`, not both");
                return None;
            }
            (None, None) => {
                c.error(
                    path,
                    "an integer needs `range: [min, max]` or `values: [...]`",
                );
                return None;
            }
        },
        "number" => {
            let Some(range) = &p.range else {
                c.error(path, "a number needs `range: [min, max]`");
                return None;
            };
            let (mut min, mut max) = match (range[0].as_f64(), range[1].as_f64()) {
                (Some(a), Some(b)) if a.is_finite() && b.is_finite() => (a, b),
                _ => {
                    c.error(
                        &format!("{path}.range"),
                        format!(
                            "the bounds [{}, {}] are not two finite numbers",
                            show(&range[0]),
                            show(&range[1])
                        ),
                    );
                    return None;
                }
            };
            if min > max {
                c.error(
                    &format!("{path}.range"),
                    format!("the range is out of order: {min} > {max}; write [{max}, {min}]"),
                );
                // Go on with the range meant, so defaults and examples are not reported too.
                std::mem::swap(&mut min, &mut max);
            }
            ir::Kind::Number { min, max }
        }
        "flag" => ir::Kind::Flag,
        "json" => json_kind(c, path, p)?,
        "text" => {
            let values = words(c, path, p.values.as_deref().unwrap_or_default());
            if p.values.as_ref().is_some_and(Vec::is_empty) {
                c.error(&format!("{path}.values"), "a closed set needs values");
            }
            if p.max_len == Some(0) {
                c.error(&format!("{path}.max_len"), "`max_len` must be at least 1");
            }
            let encoding = match p.encoding.as_deref() {
                None => ir::TextEncoding::Plain,
                Some("base64url") if !values.is_empty() => {
                    c.error(
                        &format!("{path}.encoding"),
                        "a closed set of values is written as it is; drop `encoding` or `values`",
                    );
                    ir::TextEncoding::Plain
                }
                Some("base64url") => ir::TextEncoding::Base64Url,
                Some(other) => {
                    c.error(
                        &format!("{path}.encoding"),
                        format!("unknown encoding `{other}`; expected base64url"),
                    );
                    ir::TextEncoding::Plain
                }
            };
            ir::Kind::Text {
                values,
                max_len: p.max_len.unwrap_or(cos_ci_core::ParamKind::DEFAULT_MAX_LEN),
                encoding,
            }
        }
        "list" => {
            let Some(listed) = &p.values else {
                c.error(path, "a list needs `values: [...]`, the words it may hold");
                return None;
            };
            let values = words(c, path, listed);
            if listed.is_empty() {
                c.error(&format!("{path}.values"), "a list needs values");
            }
            let separator = match p.separator.as_deref() {
                None => ',',
                Some(s) => match s.chars().next() {
                    Some(ch)
                        if s.chars().count() == 1
                            && ch.is_ascii_punctuation()
                            && !NOT_SEPARATORS.contains(ch) =>
                    {
                        ch
                    }
                    _ => {
                        c.error(
                            &format!("{path}.separator"),
                            format!("`{s}` is not a list separator: one ASCII punctuation character but {NOT_SEPARATORS}"),
                        );
                        ','
                    }
                },
            };
            if let Some(i) = values.iter().position(|w| w.contains(separator)) {
                c.error(
                    &format!("{path}.values.{i}"),
                    format!(
                        "`{}` holds the separator `{separator}`, so it cannot be told from two words",
                        values[i]
                    ),
                );
            }
            ir::Kind::List { values, separator }
        }
        _ => {
            let Some(range) = &p.range else {
                c.error(path, "a pair needs `range: [min, max]`");
                return None;
            };
            let (min, max) = int_range(c, path, range)?;
            let (Ok(min), Ok(max)) = (u32::try_from(min), u32::try_from(max)) else {
                c.error(
                    &format!("{path}.range"),
                    "a pair's bounds are 0..=4294967295",
                );
                return None;
            };
            let separator = match p.separator.as_deref() {
                Some(s) if s.chars().count() == 1 && !s.chars().any(|ch| ch.is_ascii_digit()) => {
                    s.chars().next().unwrap_or('x')
                }
                Some(s) => {
                    c.error(
                        &format!("{path}.separator"),
                        format!("`{s}` is not a single non-digit character"),
                    );
                    'x'
                }
                None => {
                    c.error(path, "a pair needs a `separator`");
                    'x'
                }
            };
            let names = p
                .names
                .clone()
                .unwrap_or_else(|| ["first".to_string(), "second".to_string()]);
            for (i, n) in names.iter().enumerate() {
                if !is_field_name(n) || KEYWORDS.contains(&n.as_str()) {
                    c.error(
                        &format!("{path}.names.{i}"),
                        format!("`{n}` is not a Rust field name: lowercase letters, digits and `_`, not a keyword"),
                    );
                }
            }
            if names[0] == names[1] {
                c.error(
                    &format!("{path}.names.1"),
                    format!("both numbers are named `{}`", names[1]),
                );
            }
            ir::Kind::Pair {
                separator,
                min,
                max,
                names,
            }
        }
    };
    let default = match &p.default {
        None => None,
        Some(v) => match param_wire(&kind, v) {
            Some(wire) => {
                if let Err(why) = fits(&kind, &wire) {
                    c.error(
                        &format!("{path}.default"),
                        format!("the default `{wire}` {why}"),
                    );
                }
                Some(wire)
            }
            None => {
                c.error(
                    &format!("{path}.default"),
                    match kind {
                        ir::Kind::List { .. } => {
                            "a list's default is its words, as a list or as one text"
                        }
                        _ => "a default is a single value, not a list or a map",
                    },
                );
                None
            }
        },
    };
    if p.required && default.is_some() {
        c.error(
            &format!("{path}.default"),
            "a required parameter has no default",
        );
    }
    let field = naming::field(name);
    let variants = match &kind {
        ir::Kind::IntegerSet { values, prefix } => values
            .iter()
            .map(|v| variant_name(prefix, &v.to_string()))
            .collect(),
        ir::Kind::Text { values, .. } | ir::Kind::List { values, .. } => {
            values.iter().map(|v| variant_name("", v)).collect()
        }
        _ => Vec::new(),
    };
    let value = match &kind {
        ir::Kind::Integer { .. } => ir::ValueType::Integer,
        ir::Kind::Number { .. } => ir::ValueType::Number,
        ir::Kind::Flag => ir::ValueType::Flag,
        ir::Kind::Text { values, .. } if values.is_empty() => ir::ValueType::Text,
        // Two words for yes and no read better as a `bool` than as a two-variant enum.
        ir::Kind::Text { values, .. } if is_true_false(values) => ir::ValueType::TextBool,
        ir::Kind::IntegerSet { .. } | ir::Kind::Text { .. } => ir::ValueType::Enum,
        ir::Kind::Pair { .. } => ir::ValueType::Pair,
        ir::Kind::List { .. } => ir::ValueType::List,
        ir::Kind::Json { .. } => ir::ValueType::Json,
    };
    Some(ir::Param {
        value,
        shared: false,
        name: name.to_string(),
        setter: naming::setter(&field),
        field,
        doc: p.doc.trim().to_string(),
        default,
        required: p.required,
        ignore_error: p.ignore_error,
        type_name: naming::type_name(name),
        variants,
        allowed: describe(&kind),
        kind,
    })
}

/// The members and budget of a `type: json` parameter.
fn json_kind(c: &mut Checker<'_>, path: &str, p: &model::Param) -> Option<ir::Kind> {
    let Some(defs) = p.fields.as_ref().filter(|f| !f.is_empty()) else {
        c.error(
            path,
            "a json parameter needs `fields`: its members, like `CropIdCard: { type: boolean, doc: … }`",
        );
        return None;
    };
    if p.max_len == Some(0) {
        c.error(&format!("{path}.max_len"), "`max_len` must be at least 1");
    }
    let mut fields: Vec<ir::JsonField> = Vec::new();
    for (name, def) in defs {
        let here = format!("{path}.fields.{name}");
        let Some((_, ty)) = JSON_MEMBER_TYPES.iter().find(|(n, _)| *n == def.ty) else {
            let names: Vec<&str> = JSON_MEMBER_TYPES.iter().map(|(n, _)| *n).collect();
            c.error(
                &format!("{here}.type"),
                format!(
                    "unknown member type `{}`; expected {}",
                    def.ty,
                    names.join(", ")
                ),
            );
            continue;
        };
        if def.doc.trim().is_empty() {
            c.error(&format!("{here}.doc"), "the doc is empty");
        }
        let field = naming::field(name);
        if name.is_empty()
            || !name
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
        {
            c.error(
                &here,
                format!("`{name}` is not a member name: letters, digits and `_`"),
            );
        } else if let Some(other) = fields.iter().find(|f| f.field == field) {
            c.error(
                &here,
                format!(
                    "`{name}` and `{}` both give the Rust field `{field}`",
                    other.name
                ),
            );
        }
        fields.push(ir::JsonField {
            name: name.clone(),
            setter: naming::setter(&field),
            field,
            doc: def.doc.trim().to_string(),
            ty: *ty,
        });
    }
    Some(ir::Kind::Json {
        fields,
        max_len: p.max_len.unwrap_or(cos_ci_core::ParamKind::DEFAULT_MAX_LEN),
    })
}

fn int_range(c: &mut Checker<'_>, path: &str, range: &[Value; 2]) -> Option<(i64, i64)> {
    match (range[0].as_i64(), range[1].as_i64()) {
        (Some(min), Some(max)) if min > max => {
            c.error(
                &format!("{path}.range"),
                format!("the range is out of order: {min} > {max}; write [{max}, {min}]"),
            );
            // Go on with the range meant, so defaults and examples are not reported too.
            Some((max, min))
        }
        (Some(min), Some(max)) => Some((min, max)),
        _ => {
            c.error(
                &format!("{path}.range"),
                format!(
                    "the bounds [{}, {}] are not two integers",
                    show(&range[0]),
                    show(&range[1])
                ),
            );
            None
        }
    }
}

/// The words of a closed set of texts (`values`), each a string giving its own Rust
/// variant; problems are reported at `path.values.<i>`.
fn words(c: &mut Checker<'_>, path: &str, listed: &[Value]) -> Vec<String> {
    let mut values: Vec<String> = Vec::new();
    let mut variants: Vec<(String, String)> = Vec::new();
    for (i, v) in listed.iter().enumerate() {
        let here = format!("{path}.values.{i}");
        let Some(s) = v.as_str() else {
            c.error(&here, format!("`{}` is not a string; quote it", show(v)));
            continue;
        };
        if values.iter().any(|x| x == s) {
            c.error(&here, format!("`{s}` is listed twice"));
            continue;
        }
        let variant = variant_name("", s);
        if !is_type_ident(&variant) || variant == "Self" {
            c.error(
                &here,
                format!("`{s}` gives no Rust variant name (it needs a letter or digit)"),
            );
        } else if let Some((_, other)) = variants.iter().find(|(v, _)| *v == variant) {
            c.error(
                &here,
                format!("`{s}` and `{other}` both give the Rust variant `{variant}`"),
            );
        }
        variants.push((variant, s.to_string()));
        values.push(s.to_string());
    }
    values
}

/// Whether a text set is the two words `true` and `false` (in either order).
fn is_true_false(values: &[String]) -> bool {
    let mut words: Vec<&str> = values.iter().map(String::as_str).collect();
    words.sort_unstable();
    words == ["false", "true"]
}
