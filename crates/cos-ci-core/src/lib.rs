//! The facts of cos-ci operations that both sides of code generation need: the processing
//! modes, the bucket host kinds, parameter kinds, and how a parameter value is parsed, checked,
//! described and written on the wire.
//!
//! The generator (`cos-ci-codegen`) checks the spec's examples and defaults with this crate,
//! and `cos-ci-validate` checks requests with it at run time, so an example the generator
//! accepts is exactly a request the runtime accepts, and both describe the allowed values in
//! the same words. It holds no generated code: the generator never depends on what it writes.
//!
//! ```
//! use cos_ci_core::{ParamKind, Value};
//!
//! let sharpen = ParamKind::Integer { min: 0, max: 5 };
//! assert_eq!(sharpen.parse("5"), Ok(Value::Int(5)));
//! let why = sharpen.parse("9").unwrap_err();
//! assert_eq!(sharpen.explain(why), "is not an integer in 0..=5");
//! ```

pub mod base64url;
mod json;

/// A processing mode: where and when an operation runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mode {
    /// `GET /<key>?ci-process=…`: the result is the response body.
    Download,
    /// `PUT /<key>` with a `Pic-Operations` header: results are stored, `UploadResult` answers.
    Upload,
    /// `POST /<key>?image_process` with a `Pic-Operations` header on a stored object.
    Cloud,
    /// `PUT /<key>?ci-process=…` with the image as the body and no `Pic-Operations`: the body
    /// is stored and the operation's own answer (as in download) is the response body.
    UploadQuery,
}

impl Mode {
    /// All modes, in spec order.
    pub const ALL: [Mode; 4] = [Mode::Download, Mode::Upload, Mode::Cloud, Mode::UploadQuery];

    /// The spec name of the mode (`download`, `upload`, `cloud`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Mode::Download => "download",
            Mode::Upload => "upload",
            Mode::Cloud => "cloud",
            Mode::UploadQuery => "upload_query",
        }
    }

    /// The mode whose spec name is `name`.
    pub fn from_name(name: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.as_str() == name)
    }

    /// The HTTP method of the mode.
    pub const fn method(self) -> &'static str {
        match self {
            Mode::Download => "GET",
            Mode::Upload | Mode::UploadQuery => "PUT",
            Mode::Cloud => "POST",
        }
    }

    /// Whether requests of this mode carry the rules in a Pic-Operations header.
    pub const fn carries_pic_operations(self) -> bool {
        matches!(self, Mode::Upload | Mode::Cloud)
    }

    /// Whether the request's query names the operation (`ci-process=…`) and the answer is the
    /// operation's own (an image or a document), as in download.
    pub const fn answers_in_body(self) -> bool {
        matches!(self, Mode::Download | Mode::UploadQuery)
    }

    /// The query word a request of this mode carries (`image_process` for cloud).
    pub const fn query(self) -> Option<&'static str> {
        match self {
            Mode::Cloud => Some("image_process"),
            Mode::Download | Mode::Upload | Mode::UploadQuery => None,
        }
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which bucket host a request goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HostKind {
    /// `<bucket>.cos.<region>.myqcloud.com`
    Cos,
    /// `<bucket>.pic.<region>.myqcloud.com`
    Pic,
    /// `<bucket>.ci.<region>.myqcloud.com`, the Cloud Infinite endpoint of bucket-level jobs.
    Ci,
}

impl HostKind {
    /// All host kinds, in spec order.
    pub const ALL: [HostKind; 3] = [HostKind::Cos, HostKind::Pic, HostKind::Ci];

    /// The spec name of the host kind (`cos`, `pic`, `ci`).
    pub const fn as_str(self) -> &'static str {
        match self {
            HostKind::Cos => "cos",
            HostKind::Pic => "pic",
            HostKind::Ci => "ci",
        }
    }

    /// The host kind whose spec name is `name`.
    pub fn from_name(name: &str) -> Option<HostKind> {
        HostKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// How a server reads a parameter sent with an empty value (`detect-type=`): service.yaml
/// `empty_values`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EmptyValues {
    /// As if the parameter were not sent (what the SDKs rely on: cos-go-sdk-v5 writes every
    /// option of some operations, empty when unset).
    Absent,
    /// As a value, which every parameter kind refuses.
    Refused,
}

impl EmptyValues {
    /// Both rules, in spec order.
    pub const ALL: [EmptyValues; 2] = [EmptyValues::Absent, EmptyValues::Refused];

    /// The spec name of the rule (`absent`, `refused`).
    pub const fn as_str(self) -> &'static str {
        match self {
            EmptyValues::Absent => "absent",
            EmptyValues::Refused => "refused",
        }
    }

    /// The rule whose spec name is `name`.
    pub fn from_name(name: &str) -> Option<EmptyValues> {
        EmptyValues::ALL.into_iter().find(|e| e.as_str() == name)
    }
}
/// What a download request processes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Input {
    /// An object of the bucket (`GET /<key>?ci-process=…`), or a detect-url where the
    /// operation takes one.
    Object,
    /// Nothing: the operation makes its answer from its parameters alone (`GET
    /// /?ci-process=…` on the bucket, spec `source: { none: true }`).
    None,
}

/// How an operation's Pic-Operations rule is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RuleForm {
    /// Like a download query: `ci-process=<name>&<param>=<value>…`.
    Query,
    /// A path: `<name>/<param>/<value>/…` (`QRcode/cover/1/bar-type/0`), spec `rule_form: path`.
    Path,
}

/// How a text parameter's value is written on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TextEncoding {
    /// As it is (then percent-encoded like every query value).
    Plain,
    /// URL-safe base64 (RFC 4648 §5) of the text, written without padding. Reading also
    /// accepts the standard alphabet and padding: Tencent's own demos send both.
    Base64Url,
}

/// The kind and allowed values of one parameter.
///
/// `'a` is `'static` in generated code (`cos_ci_validate::ParamKind`); the generator borrows
/// the lists from its own model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ParamKind<'a> {
    /// An integer in `min..=max`.
    Integer {
        /// Smallest allowed value.
        min: i64,
        /// Largest allowed value.
        max: i64,
    },
    /// An integer from a closed set, e.g. magnify 2|4.
    IntegerSet(&'a [i64]),
    /// A decimal number in `min..=max`.
    Number {
        /// Smallest allowed value.
        min: f64,
        /// Largest allowed value.
        max: f64,
    },
    /// `1` or `0`.
    Flag,
    /// Text; when `values` is not empty, one of them.
    Text {
        /// The allowed values; empty means any text up to `max_len` bytes.
        values: &'a [&'a str],
        /// Longest allowed value in bytes (of the text itself, before any encoding).
        max_len: usize,
        /// How the text is written on the wire.
        encoding: TextEncoding,
    },
    /// A JSON object of typed members, written as its raw text (`Config={"CropIdCard":true}`):
    /// every member one of `fields`, the text at most `max_len` bytes, false members omitted.
    Json {
        /// The members it may have, in the order they are written.
        fields: &'a [JsonField<'a>],
        /// Longest allowed text in bytes: the budget a server parses within.
        max_len: usize,
    },
    /// Two integers joined by `separator`, each in `min..=max` (padding-layout `<dx>x<dy>`).
    Pair {
        /// The separator between the two numbers.
        separator: char,
        /// Smallest allowed value of each number.
        min: u32,
        /// Largest allowed value of each number.
        max: u32,
        /// The names of the two numbers, for messages (`dx`, `dy`).
        names: [&'a str; 2],
    },
    /// Words from a closed set joined by `separator` (`scenes=web,camera`): at least one
    /// word, none twice (a server answers once per word, so a repeat asks for nothing more),
    /// every one of `values`. An empty list is no value: the parameter is left out.
    List {
        /// The allowed words.
        values: &'a [&'a str],
        /// What joins the words on the wire (`,`).
        separator: char,
    },
}

/// The type of one member of a JSON-object parameter ([`ParamKind::Json`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JsonType {
    /// `true` or `false`; a false member is left out when written.
    Boolean,
}

/// One member of a JSON-object parameter: its name in the object and its type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct JsonField<'a> {
    /// The member's name, e.g. `CropIdCard`.
    pub name: &'a str,
    /// Its type.
    pub ty: JsonType,
}

/// The value of one member of a JSON-object parameter ([`Value::Json`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JsonValue {
    /// A boolean member.
    Bool(bool),
}

/// Why a value is not allowed for a [`ParamKind`]; [`ParamKind::explain`] words it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// Not of the kind's form at all: not a number, no separator, not base64, another type.
    Malformed,
    /// Of the right form, outside the allowed values.
    NotAllowed,
    /// Text longer than the kind's `max_len`.
    TooLong,
}

impl<'a> ParamKind<'a> {
    /// The longest text a parameter takes when its spec says nothing (`max_len`).
    pub const DEFAULT_MAX_LEN: usize = 1024;

    /// Text of at most `max_len` bytes, written as it is.
    pub const fn text(max_len: usize) -> Self {
        ParamKind::Text {
            values: &[],
            max_len,
            encoding: TextEncoding::Plain,
        }
    }

    /// Text of at most `max_len` bytes, written as URL-safe base64.
    pub const fn base64url(max_len: usize) -> Self {
        ParamKind::Text {
            values: &[],
            max_len,
            encoding: TextEncoding::Base64Url,
        }
    }

    /// One of `values`, written as it is.
    pub const fn one_of(values: &'a [&'a str]) -> Self {
        ParamKind::Text {
            values,
            max_len: Self::DEFAULT_MAX_LEN,
            encoding: TextEncoding::Plain,
        }
    }

    /// Words from `values` joined by `separator`.
    pub const fn list(values: &'a [&'a str], separator: char) -> Self {
        ParamKind::List { values, separator }
    }

    /// Two numbers in `min..=max` joined by `separator`, named `names` in messages.
    pub const fn pair(separator: char, min: u32, max: u32, names: [&'a str; 2]) -> Self {
        ParamKind::Pair {
            separator,
            min,
            max,
            names,
        }
    }
}

impl ParamKind<'_> {
    /// A human description of the allowed values, e.g. `an integer in 0..=5` or `one of 2, 4`:
    /// the one wording of documentation, violations and the generator's messages.
    pub fn allowed(&self) -> String {
        match self {
            ParamKind::Integer { min, max } => format!("an integer in {min}..={max}"),
            ParamKind::IntegerSet(values) => {
                let list: Vec<String> = values.iter().map(i64::to_string).collect();
                format!("one of {}", list.join(", "))
            }
            ParamKind::Number { min, max } => format!("a number in {min}..={max}"),
            ParamKind::Flag => "0 or 1".to_string(),
            ParamKind::Text {
                values: [],
                max_len,
                encoding: TextEncoding::Plain,
            } => format!("text of at most {max_len} bytes"),
            ParamKind::Text {
                values: [],
                max_len,
                encoding: TextEncoding::Base64Url,
            } => format!("URL-safe base64 of text of at most {max_len} bytes"),
            ParamKind::Text { values, .. } => format!("one of {}", values.join(", ")),
            ParamKind::Json { fields, max_len } => {
                let names: Vec<&str> = fields.iter().map(|f| f.name).collect();
                format!(
                    "a JSON object of at most {max_len} bytes whose members are among {}, each true or false",
                    names.join(", ")
                )
            }
            ParamKind::Pair {
                separator,
                min,
                max,
                names: [a, b],
            } => format!("<{a}>{separator}<{b}> with each in {min}..={max}"),
            ParamKind::List { values, separator } => format!(
                "distinct words joined by `{separator}`, each one of {}",
                values.join(", ")
            ),
        }
    }

    /// Why a value was rejected, as the rest of a sentence about it (`is not 0 or 1`).
    pub fn explain(&self, rejection: Rejection) -> String {
        match (rejection, self) {
            (Rejection::TooLong, ParamKind::Text { max_len, .. }) => {
                format!("is longer than {max_len} bytes")
            }
            (Rejection::TooLong, ParamKind::Json { max_len, .. }) => {
                format!("is longer than the {max_len}-byte budget for its JSON text")
            }
            _ => format!("is not {}", self.allowed()),
        }
    }

    /// Parses one wire value (already percent-decoded) and checks it.
    ///
    /// Numbers may carry surrounding blanks, as real clients send them; base64 text is
    /// decoded, so the value is the text itself.
    pub fn parse(&self, raw: &str) -> Result<Value, Rejection> {
        let malformed = |_| Rejection::Malformed;
        let value = match *self {
            ParamKind::Integer { .. } | ParamKind::IntegerSet(_) => {
                Value::Int(raw.trim().parse().map_err(malformed)?)
            }
            ParamKind::Number { .. } => {
                Value::Number(raw.trim().parse().map_err(|_| Rejection::Malformed)?)
            }
            ParamKind::Flag => match raw.trim() {
                "1" => Value::Flag(true),
                "0" => Value::Flag(false),
                _ => return Err(Rejection::Malformed),
            },
            ParamKind::Text {
                encoding: TextEncoding::Plain,
                ..
            } => Value::Text(raw.to_string()),
            ParamKind::Text {
                encoding: TextEncoding::Base64Url,
                ..
            } => Value::Text(base64url::decode(raw).ok_or(Rejection::Malformed)?),
            ParamKind::Json { fields, max_len } => {
                // The budget is checked on the text before a byte of it is parsed.
                if raw.len() > max_len {
                    return Err(Rejection::TooLong);
                }
                Value::Json(json::parse_object(raw, fields)?)
            }
            ParamKind::Pair { separator, .. } => {
                let (a, b) = raw.split_once(separator).ok_or(Rejection::Malformed)?;
                let a = a.trim().parse().map_err(|_| Rejection::Malformed)?;
                let b = b.trim().parse().map_err(|_| Rejection::Malformed)?;
                Value::Pair(a, b)
            }
            // `web,,camera` and `web,` name an empty word: malformed, not an empty list.
            ParamKind::List { separator, .. } => {
                let words: Vec<String> = raw.split(separator).map(str::to_string).collect();
                if words.iter().any(String::is_empty) {
                    return Err(Rejection::Malformed);
                }
                Value::List(words)
            }
        };
        self.check(&value).map(|()| value)
    }

    /// Checks a typed value: in range, in the set, short enough, of the kind's type.
    pub fn check(&self, value: &Value) -> Result<(), Rejection> {
        let allowed = match (self, value) {
            (ParamKind::Integer { min, max }, Value::Int(v)) => (min..=max).contains(&v),
            (ParamKind::IntegerSet(set), Value::Int(v)) => set.contains(v),
            (ParamKind::Number { min, max }, Value::Number(v)) => {
                v.is_finite() && (*min..=*max).contains(v)
            }
            // An integer widens to a number (a client may set `Value::Int` on a number).
            (ParamKind::Number { min, max }, Value::Int(v)) => (*min..=*max).contains(&(*v as f64)),
            (ParamKind::Flag, Value::Flag(_)) => true,
            (ParamKind::Text { max_len, .. }, Value::Text(v)) if v.len() > *max_len => {
                return Err(Rejection::TooLong);
            }
            (ParamKind::Text { values, .. }, Value::Text(v)) => {
                values.is_empty() || values.contains(&v.as_str())
            }
            (ParamKind::Pair { min, max, .. }, Value::Pair(a, b)) => {
                (min..=max).contains(&a) && (min..=max).contains(&b)
            }
            (ParamKind::List { values, .. }, Value::List(words)) => {
                !words.is_empty()
                    && words.iter().all(|w| values.contains(&w.as_str()))
                    && words
                        .iter()
                        .enumerate()
                        .all(|(i, w)| !words[..i].contains(w))
            }
            (ParamKind::Json { fields, max_len }, Value::Json(members)) => {
                if !members.iter().all(|(name, v)| json::fits(fields, name, v)) {
                    return Err(Rejection::NotAllowed);
                }
                if json::write_object(fields, members).len() > *max_len {
                    return Err(Rejection::TooLong);
                }
                true
            }
            _ => return Err(Rejection::Malformed),
        };
        if allowed {
            Ok(())
        } else {
            Err(Rejection::NotAllowed)
        }
    }
}

/// A typed parameter value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// An integer (also closed integer sets).
    Int(i64),
    /// A decimal number.
    Number(f64),
    /// A `0`/`1` flag.
    Flag(bool),
    /// Text (the text itself, before any wire encoding).
    Text(String),
    /// A composite `<a><sep><b>` value.
    Pair(u32, u32),
    /// Words of a list parameter, in the order given.
    List(Vec<String>),
    /// The members of a JSON-object parameter, by name.
    Json(Vec<(String, JsonValue)>),
}

impl Value {
    /// Whether the boolean member `name` of a JSON-object value is true (false for any
    /// other value: an absent member is false).
    pub fn json_flag(&self, name: &str) -> bool {
        match self {
            Value::Json(members) => members
                .iter()
                .any(|(n, v)| n == name && *v == JsonValue::Bool(true)),
            _ => false,
        }
    }
}

impl Value {
    /// The wire form of the value for a parameter of `kind` (before percent-encoding).
    pub fn to_wire(&self, kind: &ParamKind<'_>) -> String {
        match (self, kind) {
            (Value::Int(v), _) => v.to_string(),
            (Value::Number(v), _) => v.to_string(),
            (Value::Flag(v), _) => if *v { "1" } else { "0" }.to_string(),
            (
                Value::Text(v),
                ParamKind::Text {
                    encoding: TextEncoding::Base64Url,
                    ..
                },
            ) => base64url::encode(v),
            (Value::Text(v), _) => v.clone(),
            (Value::Pair(a, b), ParamKind::Pair { separator, .. }) => format!("{a}{separator}{b}"),
            (Value::Pair(a, b), _) => format!("{a}x{b}"),
            (Value::List(words), ParamKind::List { separator, .. }) => {
                words.join(&separator.to_string())
            }
            (Value::List(words), _) => words.join(","),
            (Value::Json(members), ParamKind::Json { fields, .. }) => {
                json::write_object(fields, members)
            }
            (Value::Json(members), _) => json::write_object(&[], members),
        }
    }

    /// A list value of `words` (generated code passes each enum's wire text).
    pub fn list<'w>(words: impl IntoIterator<Item = &'w str>) -> Value {
        Value::List(words.into_iter().map(str::to_string).collect())
    }

    /// Whether this is a list without words: no value, as the wire cannot tell it from an
    /// absent parameter.
    pub fn is_empty_list(&self) -> bool {
        matches!(self, Value::List(words) if words.is_empty())
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::Number(v)
    }
}

/// A flag: `true` is written `1`.
impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Flag(v)
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAIR: ParamKind<'static> = ParamKind::Pair {
        separator: 'x',
        min: 0,
        max: 10,
        names: ["dx", "dy"],
    };

    #[test]
    fn every_kind_parses_what_it_allows_and_says_what_it_allows() {
        let set = ParamKind::IntegerSet(&[2, 4]);
        assert_eq!(set.parse(" 4"), Ok(Value::Int(4)));
        assert_eq!(set.parse("3"), Err(Rejection::NotAllowed));
        assert_eq!(set.explain(Rejection::NotAllowed), "is not one of 2, 4");
        assert_eq!(PAIR.parse("3x10"), Ok(Value::Pair(3, 10)));
        assert_eq!(PAIR.parse("3x11"), Err(Rejection::NotAllowed));
        assert_eq!(PAIR.parse("3,1"), Err(Rejection::Malformed));
        assert_eq!(PAIR.allowed(), "<dx>x<dy> with each in 0..=10");
        assert_eq!(ParamKind::Flag.parse("2"), Err(Rejection::Malformed));
        let number = ParamKind::Number { min: 0.0, max: 1.0 };
        assert_eq!(number.parse("inf"), Err(Rejection::NotAllowed));
        assert_eq!(number.check(&Value::Int(1)), Ok(()));
        assert_eq!(number.check(&Value::Flag(true)), Err(Rejection::Malformed));
    }

    #[test]
    fn text_is_checked_for_length_before_membership_and_base64_is_decoded() {
        let short = ParamKind::Text {
            values: &[],
            max_len: 3,
            encoding: TextEncoding::Plain,
        };
        assert_eq!(short.parse("abcd"), Err(Rejection::TooLong));
        assert_eq!(short.explain(Rejection::TooLong), "is longer than 3 bytes");
        let b64 = ParamKind::Text {
            values: &[],
            max_len: 3,
            encoding: TextEncoding::Base64Url,
        };
        assert_eq!(b64.parse("YWJj"), Ok(Value::Text("abc".to_string())));
        assert_eq!(b64.parse("[1]"), Err(Rejection::Malformed));
        assert_eq!(Value::Text("abc".to_string()).to_wire(&b64), "YWJj");
    }

    #[test]
    fn a_list_takes_distinct_known_words_and_joins_them_with_its_separator() {
        let scenes = ParamKind::list(&["web", "camera", "album"], ',');
        let two = Value::list(["web", "camera"]);
        assert_eq!(scenes.parse("web,camera"), Ok(two.clone()));
        assert_eq!(two.to_wire(&scenes), "web,camera");
        assert_eq!(scenes.parse("web,web"), Err(Rejection::NotAllowed));
        assert_eq!(scenes.parse("web,news"), Err(Rejection::NotAllowed));
        assert_eq!(scenes.parse("web,"), Err(Rejection::Malformed));
        assert_eq!(scenes.check(&Value::list([])), Err(Rejection::NotAllowed));
        assert!(Value::list([]).is_empty_list());
        assert_eq!(
            scenes.explain(Rejection::NotAllowed),
            "is not distinct words joined by `,`, each one of web, camera, album"
        );
        let semi = ParamKind::list(&["a", "b"], ';');
        assert_eq!(Value::list(["b", "a"]).to_wire(&semi), "b;a");
        assert_eq!(semi.parse("a,b"), Err(Rejection::NotAllowed));
    }

    #[test]
    fn modes_and_host_kinds_round_trip_their_names() {
        for mode in Mode::ALL {
            assert_eq!(Mode::from_name(mode.as_str()), Some(mode));
        }
        for kind in HostKind::ALL {
            assert_eq!(HostKind::from_name(kind.as_str()), Some(kind));
        }
        assert_eq!(Mode::from_name("Download"), None);
    }
}
