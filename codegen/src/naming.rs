//! Every Rust name the generator derives from a spec name: modules, types, fields, enum
//! variants and methods. The checker computes them once into the IR (and reports the ones
//! that are no Rust names); emitters only print them.

use heck::{ToSnakeCase, ToUpperCamelCase};

use crate::ir::{Methods, Mode};

/// Rust's keywords, strict and reserved: as field names they become raw identifiers.
pub const KEYWORDS: [&str; 51] = [
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use",
    "where", "while", "gen", "abstract", "become", "box", "do", "final", "macro", "override",
    "priv", "typeof", "unsized", "virtual", "yield", "try",
];
/// Keywords that cannot be raw identifiers either; as field names they get a trailing `_`.
pub const NOT_RAW: [&str; 4] = ["self", "Self", "super", "crate"];
/// Names of Rust's prelude the generated code uses unqualified (`Option<i64>`, `Some(..)`,
/// `String`): no generated type may take one.
pub const PRELUDE: [&str; 13] = [
    "Option", "Some", "None", "Result", "Ok", "Err", "String", "Vec", "Default", "From", "Into",
    "ToString", "Box",
];
/// Module names the generated folders already use.
pub const RESERVED_MODULES: [&str; 2] = ["service", "processors"];

/// The module of an operation in every crate: `AIEnhanceImage` gives `ai_enhance_image`.
pub fn module(operation: &str) -> String {
    operation.to_snake_case()
}

/// A Rust type name from a spec name (operation, parameter, XML element): upper camel case.
pub fn type_name(name: &str) -> String {
    name.to_upper_camel_case()
}

/// The Rust field of a parameter or node called `name` (`padding-layout`, `ETag`).
pub fn field(name: &str) -> String {
    rust_field(&name.to_snake_case())
}

/// A Rust field name: keywords become raw identifiers (`r#type`), `self`-like ones `self_`.
pub fn rust_field(name: &str) -> String {
    let name = name.replace('-', "_");
    let name = if name.starts_with(|ch: char| ch.is_ascii_digit()) {
        format!("_{name}")
    } else {
        name
    };
    if NOT_RAW.contains(&name.as_str()) {
        format!("{name}_")
    } else if KEYWORDS.contains(&name.as_str()) {
        format!("r#{name}")
    } else {
        name
    }
}

/// The builder method that sets `field`: `with_denoise`, `with_type` for `r#type`.
pub fn setter(field: &str) -> String {
    format!("with_{}", field.trim_start_matches("r#"))
}

/// The Rust variant of a set value: `prefix` and the value in upper camel case. A text value
/// (empty prefix) that does not start with a letter gets the prefix `V`.
pub fn variant_name(prefix: &str, value: &str) -> String {
    let camel = value.to_upper_camel_case();
    if prefix.is_empty() && camel.starts_with(|c: char| c.is_ascii_alphabetic()) {
        camel
    } else if prefix.is_empty() {
        format!("V{camel}")
    } else {
        format!("{prefix}{camel}")
    }
}

/// The client methods of an operation in module `module` with `modes`; `image`: its
/// download answer is an image (which can also be streamed).
pub fn methods(module: &str, modes: &[Mode], image: bool) -> Methods {
    let mut methods = Methods::default();
    for mode in modes {
        match mode {
            Mode::Download => {
                methods.download = Some(module.to_string());
                methods.url = Some(format!("{module}_url"));
                methods.stream = image.then(|| format!("{module}_stream"));
            }
            Mode::Upload => methods.upload = Some(format!("{module}_upload")),
            Mode::Cloud => methods.cloud = Some(format!("{module}_cloud")),
            Mode::UploadQuery => methods.upload_query = Some(format!("{module}_upload_query")),
        }
    }
    methods
}

/// Lowercase ASCII letters, digits and `_`, not starting with a digit, not `_` alone.
pub fn is_field_name(name: &str) -> bool {
    name != "_"
        && name.starts_with(|ch: char| ch.is_ascii_lowercase() || ch == '_')
        && name
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_')
}

/// ASCII letters, digits and `_`, starting with an uppercase letter.
pub fn is_type_ident(name: &str) -> bool {
    name.starts_with(|ch: char| ch.is_ascii_uppercase())
        && name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
}

/// Why `name` cannot be a generated Rust type's name, if it cannot.
pub fn type_name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        Some("the Rust type name would be empty".to_string())
    } else if !is_type_ident(name) {
        Some(format!(
            "`{name}` is not a Rust type name (letters, digits and `_`, starting with an uppercase letter)"
        ))
    } else if name == "Self" {
        Some("`Self` is a Rust keyword".to_string())
    } else if PRELUDE.contains(&name) {
        Some(format!(
            "`{name}` is a name of Rust's prelude, which the generated code uses"
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_names_give_rust_names() {
        assert_eq!(module("AIEnhanceImage"), "ai_enhance_image");
        assert_eq!(type_name("padding-layout"), "PaddingLayout");
        assert_eq!(field("type"), "r#type");
        assert_eq!(field("self"), "self_");
        assert_eq!(field("ETag"), "e_tag");
        assert_eq!(setter("r#type"), "with_type");
        assert_eq!(variant_name("X", "2"), "X2");
        assert_eq!(variant_name("", "2d"), "V2d");
        let m = methods("detect_face", &[Mode::Download], false);
        assert_eq!(
            m.names().collect::<Vec<_>>(),
            ["detect_face", "detect_face_url"]
        );
    }
}
