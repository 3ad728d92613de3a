//! JSON-object parameters ([`ParamKind::Json`](crate::ParamKind::Json)): reading the raw text
//! a request carries into typed members, and writing them as the SDKs do (compact, false
//! members left out, as cos-go-sdk-v5's `omitempty` does).

use crate::{JsonField, JsonType, JsonValue, Rejection};

/// The true members of `raw`, a JSON object whose members are all among `fields`, in
/// `fields` order (a false member says what its absence says, so both read the same). Not JSON or not an object, or a member of the wrong type: [`Rejection::Malformed`];
/// a member that is not one of `fields`: [`Rejection::NotAllowed`].
pub(crate) fn parse_object(
    raw: &str,
    fields: &[JsonField<'_>],
) -> Result<Vec<(String, JsonValue)>, Rejection> {
    let parsed: serde_json::Value = serde_json::from_str(raw).map_err(|_| Rejection::Malformed)?;
    let serde_json::Value::Object(object) = parsed else {
        return Err(Rejection::Malformed);
    };
    if object.keys().any(|k| !fields.iter().any(|f| f.name == k)) {
        return Err(Rejection::NotAllowed);
    }
    let mut members = Vec::new();
    for field in fields {
        let Some(v) = object.get(field.name) else {
            continue;
        };
        match (field.ty, v) {
            (JsonType::Boolean, serde_json::Value::Bool(true)) => {
                members.push((field.name.to_string(), JsonValue::Bool(true)));
            }
            (JsonType::Boolean, serde_json::Value::Bool(false)) => {}
            (JsonType::Boolean, _) => return Err(Rejection::Malformed),
        }
    }
    Ok(members)
}

/// Whether member `name` with `value` is one of `fields` and of its type.
pub(crate) fn fits(fields: &[JsonField<'_>], name: &str, value: &JsonValue) -> bool {
    fields.iter().any(|f| {
        f.name == name
            && match (f.ty, value) {
                (JsonType::Boolean, JsonValue::Bool(_)) => true,
            }
    })
}

/// The compact JSON text of `members`: `fields` order first (then any other member in its
/// own order), false members left out.
pub(crate) fn write_object(fields: &[JsonField<'_>], members: &[(String, JsonValue)]) -> String {
    let known = |name: &str| fields.iter().position(|f| f.name == name);
    let mut ordered: Vec<&(String, JsonValue)> = members.iter().collect();
    ordered.sort_by_key(|(name, _)| known(name).unwrap_or(usize::MAX));
    let mut out = String::from("{");
    for (name, value) in ordered {
        match value {
            JsonValue::Bool(false) => continue,
            JsonValue::Bool(true) => {
                if out.len() > 1 {
                    out.push(',');
                }
                // Serializing a string cannot fail.
                out.push_str(&serde_json::to_string(name).unwrap_or_default());
                out.push_str(":true");
            }
        }
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use crate::{JsonField, JsonType, JsonValue, ParamKind, Rejection, Value};

    const FIELDS: &[JsonField<'static>] = &[
        JsonField {
            name: "CropIdCard",
            ty: JsonType::Boolean,
        },
        JsonField {
            name: "CropPortrait",
            ty: JsonType::Boolean,
        },
    ];
    const CONFIG: ParamKind<'static> = ParamKind::Json {
        fields: FIELDS,
        max_len: 64,
    };

    #[test]
    fn an_object_of_known_boolean_members_reads_and_writes_back_without_false_ones() {
        let v = CONFIG
            .parse(r#"{"CropPortrait":true, "CropIdCard":false}"#)
            .expect("valid");
        assert_eq!(
            v,
            Value::Json(vec![("CropPortrait".into(), JsonValue::Bool(true))])
        );
        assert!(v.json_flag("CropPortrait") && !v.json_flag("CropIdCard"));
        assert_eq!(v.to_wire(&CONFIG), r#"{"CropPortrait":true}"#);
        assert_eq!(CONFIG.parse("{}"), Ok(Value::Json(Vec::new())));
        let written = Value::Json(vec![
            ("CropPortrait".into(), JsonValue::Bool(true)),
            ("CropIdCard".into(), JsonValue::Bool(false)),
        ]);
        assert_eq!(written.to_wire(&CONFIG), r#"{"CropPortrait":true}"#);
    }

    #[test]
    fn bad_json_unknown_members_wrong_types_and_long_texts_are_refused() {
        assert_eq!(
            CONFIG.parse("{\"CropIdCard\"：true}"),
            Err(Rejection::Malformed)
        );
        assert_eq!(CONFIG.parse("[true]"), Err(Rejection::Malformed));
        assert_eq!(
            CONFIG.parse(r#"{"CropIdCard":1}"#),
            Err(Rejection::Malformed)
        );
        assert_eq!(
            CONFIG.parse(r#"{"Quality":true}"#),
            Err(Rejection::NotAllowed)
        );
        let long = format!("{{\"CropIdCard\":true{}}}", " ".repeat(64));
        assert_eq!(CONFIG.parse(&long), Err(Rejection::TooLong));
        assert_eq!(
            CONFIG.explain(Rejection::TooLong),
            "is longer than the 64-byte budget for its JSON text"
        );
        assert!(CONFIG.allowed().contains("CropIdCard, CropPortrait"));
        let unknown = Value::Json(vec![("Other".into(), JsonValue::Bool(true))]);
        assert_eq!(CONFIG.check(&unknown), Err(Rejection::NotAllowed));
    }
}
