//! The checked spec the emitters work from: every range parsed, every default resolved, every
//! name turned into its Rust spelling once, every closed set of words (modes, host kinds,
//! scalar types, outputs) an enum. Emitters print this model; they match no strings.

pub use cos_ci_core::{EmptyValues, HostKind, Input, JsonType, Mode, RuleForm, TextEncoding};

/// The whole checked spec.
#[derive(Clone, Debug)]
pub struct Spec {
    /// `spec/service.yaml`.
    pub service: Service,
    /// Every operation, sorted by file name.
    pub operations: Vec<Op>,
}

/// What all operations share.
#[derive(Clone, Debug)]
pub struct Service {
    /// Host templates by kind, one for each of [`HostKind::ALL`].
    pub hosts: Vec<(HostKind, String)>,
    /// Virtual-host domain suffixes.
    pub host_suffixes: Vec<String>,
    /// The Pic-Operations header name.
    pub pic_operations_header: String,
    /// Most rules in one Pic-Operations.
    pub max_rules: u32,
    /// The CAM actions every operation needs in each mode (`modes.<m>.implies`), in mode order.
    pub implies: Vec<(Mode, Vec<String>)>,
    /// Default limits.
    pub limits: Limits,
    /// Code for parameter violations.
    pub param_error_code: String,
    /// How a parameter sent with an empty value is read.
    pub empty_values: EmptyValues,
    /// Error codes: (code, status, message).
    pub errors: Vec<(String, u16, String)>,
    /// The error document.
    pub error_xml: Tree,
    /// The upload/cloud answer.
    pub upload_result: Tree,
    /// Shapes several operations share, generated once in `cos_ci_validate::shapes`.
    pub shapes: Vec<Shape>,
    /// The mock's stand-ins, in file order.
    pub processors: Vec<Processor>,
}

/// A parameter type or an answer container several operations share (`shapes:`).
#[derive(Clone, Debug)]
pub struct Shape {
    /// The Rust type name, as `service.yaml` writes it.
    pub name: String,
    /// Documentation.
    pub doc: String,
    /// What it is.
    pub kind: ShapeKind,
}

/// What a [`Shape`] describes.
#[derive(Clone, Debug)]
pub enum ShapeKind {
    /// A parameter type: a parameter named after the shape, for its kind and Rust names.
    Param(Box<Param>),
    /// An answer container's children.
    Nodes(Vec<Node>),
}

/// One of the mock's stand-ins (`service.yaml` `processors`).
#[derive(Clone, Debug)]
pub struct Processor {
    /// Its name in the spec, e.g. `super-resolution`.
    pub name: String,
    /// Its Rust name (upper camel case): the `ProcessorKind` variant and the inputs' struct.
    pub type_name: String,
    /// Documentation.
    pub doc: String,
    /// What it answers.
    pub answers: Answers,
    /// Its inputs, in file order.
    pub inputs: Vec<ProcessorInput>,
}

/// What a stand-in answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answers {
    /// An image made from the input.
    Image,
    /// The operation's XML node tree.
    Xml,
    /// The operation's JSON node tree.
    Json,
}

impl Answers {
    /// What is answered, for messages: `an image`, `xml`, `json`.
    pub const fn words(self) -> &'static str {
        match self {
            Answers::Image => "an image",
            Answers::Xml => "xml",
            Answers::Json => "json",
        }
    }
}

/// One typed input of a stand-in.
#[derive(Clone, Debug)]
pub struct ProcessorInput {
    /// Its name in the spec, e.g. `magnify`.
    pub name: String,
    /// Its Rust field name.
    pub field: String,
    /// Documentation.
    pub doc: String,
    /// Its type.
    pub ty: InputType,
}

/// The type of a stand-in's input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputType {
    /// `u32`, fed by an integer parameter whose values are all 0 to `u32::MAX`.
    Integer,
    /// `bool`, fed by a flag.
    Flag,
    /// `(u32, u32)`, fed by a pair.
    Pair,
    /// `u64`, fed by a text: the stand-in is given the text's 64-bit FNV-1a digest, which is
    /// all a stand-in needs to draw a deterministic pattern from it (and keeps inputs `Copy`).
    Text,
}

/// Which parameter feeds one input of an operation's stand-in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    /// The input's name.
    pub input: String,
    /// The parameter's wire name.
    pub param: String,
}

/// Resolved input limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Bytes.
    pub max_input_bytes: u64,
    /// Width.
    pub max_width: u32,
    /// Height.
    pub max_height: u32,
    /// Width × height.
    pub max_pixels: u64,
}

/// One operation.
#[derive(Clone, Debug)]
pub struct Op {
    /// ci-process value.
    pub name: String,
    /// File stem (kebab case).
    pub file: String,
    /// The spec file, relative to the workspace root.
    pub source: String,
    /// Module name (snake case).
    pub module: String,
    /// Parameter struct name (upper camel case).
    pub type_name: String,
    /// Summary.
    pub summary: String,
    /// Documentation page.
    pub doc_url: Option<String>,
    /// Modes, in file order.
    pub modes: Vec<Mode>,
    /// What a download request processes: an object (or detect-url), or nothing.
    pub input: Input,
    /// Host kind of detect-url requests.
    pub detect_url: Option<HostKind>,
    /// Host kinds serving the operation's requests, the client's first.
    pub hosts: Vec<HostKind>,
    /// The operation's own actions per mode, without what the mode implies (a mode that needs
    /// nothing more is left out).
    pub permissions: Vec<(Mode, Vec<String>)>,
    /// Aliases per action.
    pub permission_aliases: Vec<(String, Vec<String>)>,
    /// Parameters in wire order.
    pub params: Vec<Param>,
    /// A bare query word asking for the same download processing (`imageInspect`).
    pub alias_query: Option<String>,
    /// What download mode answers.
    pub output: Output,
    /// What the operation adds to `UploadResult` in upload and cloud modes.
    pub upload_result: Option<UploadAnswer>,
    /// The client method of the download mode (`ai_enhance_image`); the other modes go through
    /// the client's generic methods.
    pub method: Option<String>,
    /// The client method of the upload-with-a-query mode (`id_card_ocr_upload_query`).
    pub upload_query_method: Option<String>,
    /// Resolved limits.
    pub limits: Limits,
    /// The mock stand-in.
    pub processor: String,
    /// The stand-in's Rust name (its `ProcessorKind` variant).
    pub processor_type: String,
    /// The parameter feeding each of the stand-in's inputs, in the stand-in's input order.
    pub processor_inputs: Vec<Binding>,
    /// Examples.
    pub examples: Vec<Example>,
    /// Error codes of this operation alone (`errors:`), in file order.
    pub errors: Vec<OpError>,
    /// How its Pic-Operations rule is written.
    pub rule_form: RuleForm,
    /// Most rules of this operation in one Pic-Operations: its `max_rules`, else the
    /// service's.
    pub max_rules: u32,
    /// The operation's error code the stand-in answers for a flat-colour image
    /// (`mock.flat_image_error`).
    pub flat_image_error: Option<String>,
    /// Rules between the image source and the parameters.
    pub relations: Vec<Relation>,
}

/// A rule between an operation's inputs (`cos_ci_validate::Relation`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Relation {
    /// Exactly one of the object key and detect-url (`source.exactly_one`).
    KeyOrDetectUrl,
    /// At least one of `params` (`at_least_one`), `wins` used when several are given.
    AtLeastOne {
        /// Wire names.
        params: Vec<String>,
        /// The winner.
        wins: Option<String>,
    },
    /// `param` required when `other` is one of `values` (`required_when`).
    RequiredWhen {
        /// Wire name.
        param: String,
        /// The parameter it depends on.
        other: String,
        /// Wire values of `other`.
        values: Vec<String>,
    },
    /// `param` applies only when `other` is one of `values` (`applies_when`).
    AppliesWhen {
        /// Wire name.
        param: String,
        /// The parameter it depends on.
        other: String,
        /// Wire values of `other`.
        values: Vec<String>,
    },
}

/// An error code of one operation (`errors:` in its file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpError {
    /// The code as written in `<Code>` (dots allowed).
    pub code: String,
    /// The Rust variant name (the code without its dots: `FailedOperationNoObjectDetected`).
    pub variant: String,
    /// HTTP status.
    pub status: u16,
    /// Default message.
    pub message: String,
}

impl Op {
    /// Whether the operation supports `mode`.
    pub fn supports(&self, mode: Mode) -> bool {
        self.modes.contains(&mode)
    }

    /// The XML answer's tree, for operations that answer XML.
    pub fn response(&self) -> Option<&Tree> {
        match &self.output {
            Output::Xml(tree) => Some(tree),
            Output::Image { .. } | Output::Json(_) => None,
        }
    }

    /// The JSON answer's tree, for operations that answer JSON.
    pub fn json(&self) -> Option<&Tree> {
        match &self.output {
            Output::Json(tree) => Some(tree),
            Output::Image { .. } | Output::Xml(_) => None,
        }
    }

    /// The answer's tree, XML or JSON: the documents the generated crates type.
    pub fn document(&self) -> Option<&Tree> {
        self.response().or_else(|| self.json())
    }

    /// Every document the operation's module types: the download answer, then the upload
    /// and cloud answer with the operation's additions.
    pub fn trees(&self) -> impl Iterator<Item = &Tree> {
        self.document()
            .into_iter()
            .chain(self.upload_result.as_ref().map(|u| &u.tree))
    }
}

/// An operation's additions to the upload and cloud answer (`output.upload_result`).
#[derive(Clone, Debug)]
pub struct UploadAnswer {
    /// Nodes added to each `ProcessResults/Object` of the operation's rules.
    pub object: Vec<Node>,
    /// Nodes added to `UploadResult` itself.
    pub root: Vec<Node>,
    /// The whole answer with the additions, typed per operation (`<Op>UploadResult`): the
    /// service's containers the additions leave alone are its own (`Home::Service`).
    pub tree: Tree,
}

/// What download mode answers (`output.download`).
#[derive(Clone, Debug)]
pub enum Output {
    /// The processed image; `png`: always PNG, whatever the input's format.
    Image {
        /// The answer is always PNG (`format: png`).
        png: bool,
    },
    /// An XML document.
    Xml(Tree),
    /// A JSON object: the tree's nodes are its members (`root` is empty).
    Json(Tree),
}

/// The type of a scalar XML node (`type:` in a node tree).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scalar {
    /// `string`: text.
    String,
    /// `integer`: a signed integer (`i64`).
    Integer,
    /// `number`: a decimal number (`f64`).
    Number,
    /// `boolean`: `true`/`false`, or the node's `spelling`.
    Boolean,
    /// `base64`: binary data (an image) as base64 text, kept as text in Rust
    /// (`cos_ci_validate::Base64Data`) and decoded on request.
    Base64,
}

impl Scalar {
    /// Every scalar type, in the order messages list them.
    pub const ALL: [Scalar; 5] = [
        Scalar::String,
        Scalar::Integer,
        Scalar::Number,
        Scalar::Boolean,
        Scalar::Base64,
    ];

    /// The spec's name of the type.
    pub const fn as_str(self) -> &'static str {
        match self {
            Scalar::String => "string",
            Scalar::Integer => "integer",
            Scalar::Number => "number",
            Scalar::Boolean => "boolean",
            Scalar::Base64 => "base64",
        }
    }

    /// The type the spec calls `name`.
    pub fn from_name(name: &str) -> Option<Scalar> {
        Scalar::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// One parameter.
#[derive(Clone, Debug)]
pub struct Param {
    /// Wire name.
    pub name: String,
    /// Rust field name (raw identifier spelled `r#type` where needed).
    pub field: String,
    /// Documentation.
    pub doc: String,
    /// Kind and range.
    pub kind: Kind,
    /// Default in wire form.
    pub default: Option<String>,
    /// Required.
    pub required: bool,
    /// The ignore-error flag.
    pub ignore_error: bool,
    /// The Rust type name of an enum or newtype for this parameter.
    pub type_name: String,
    /// The builder method that sets an optional parameter (`with_denoise`).
    pub setter: String,
    /// The Rust variant of each value of a closed set (integer or text), in `values` order.
    pub variants: Vec<String>,
    /// The Rust type of a value.
    pub value: ValueType,
    /// Whether `type_name` is a shared shape (declared in `cos_ci_validate::shapes`).
    pub shared: bool,
    /// The allowed values in words (`an integer in 0..=5`), as the runtime says them.
    pub allowed: String,
}

/// The Rust type of a parameter's value in the generated parameter struct.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueType {
    /// `i64`.
    Integer,
    /// `f64`.
    Number,
    /// `bool`, written `1`/`0`.
    Flag,
    /// `bool`, written `true`/`false`: a text set of exactly those two words.
    TextBool,
    /// `String`.
    Text,
    /// A generated enum of a closed set's values (`type_name`).
    Enum,
    /// A generated struct of a pair's two numbers (`type_name`).
    Pair,
    /// `Vec` of a generated enum of the list's words (`type_name`).
    List,
    /// A generated struct of a JSON object's members (`type_name`).
    Json,
}

impl ValueType {
    /// Whether the generated module declares a type (`type_name`) for the value.
    pub fn declares_type(self) -> bool {
        matches!(
            self,
            ValueType::Enum | ValueType::Pair | ValueType::List | ValueType::Json
        )
    }
}

/// One member of a JSON-object parameter ([`Kind::Json`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonField {
    /// Its name in the object (`CropIdCard`).
    pub name: String,
    /// Its Rust field name (`crop_id_card`).
    pub field: String,
    /// The builder method that sets it (`with_crop_id_card`).
    pub setter: String,
    /// Documentation.
    pub doc: String,
    /// Its type.
    pub ty: JsonType,
}

/// A parameter's kind.
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// Integer range.
    Integer {
        /// Min.
        min: i64,
        /// Max.
        max: i64,
    },
    /// Closed integer set with variant prefix.
    IntegerSet {
        /// Values.
        values: Vec<i64>,
        /// Variant prefix.
        prefix: String,
    },
    /// Number range.
    Number {
        /// Min.
        min: f64,
        /// Max.
        max: f64,
    },
    /// 0/1.
    Flag,
    /// Text, optionally from a closed set.
    Text {
        /// Allowed values (empty: any).
        values: Vec<String>,
        /// Longest.
        max_len: usize,
        /// How the text is written on the wire.
        encoding: TextEncoding,
    },
    /// A JSON object of typed members, written as its text.
    Json {
        /// The members, in the order they are written.
        fields: Vec<JsonField>,
        /// Longest text in bytes (the budget a server parses within).
        max_len: usize,
    },
    /// `<a><sep><b>`.
    Pair {
        /// Separator.
        separator: char,
        /// Min of each.
        min: u32,
        /// Max of each.
        max: u32,
        /// Names of the two numbers.
        names: [String; 2],
    },
    /// Words from a closed set joined by `separator` (`type: list`).
    List {
        /// The allowed words, in `values` order.
        values: Vec<String>,
        /// What joins them on the wire.
        separator: char,
    },
}

impl Kind {
    /// Calls `f` with the runtime's view of this kind: the values the generated
    /// `ParamKind` holds, for parsing, checking and describing values with cos-ci-core.
    pub fn with_core<R>(&self, f: impl FnOnce(&cos_ci_core::ParamKind<'_>) -> R) -> R {
        match self {
            Kind::Integer { min, max } => f(&cos_ci_core::ParamKind::Integer {
                min: *min,
                max: *max,
            }),
            Kind::IntegerSet { values, .. } => f(&cos_ci_core::ParamKind::IntegerSet(values)),
            Kind::Number { min, max } => f(&cos_ci_core::ParamKind::Number {
                min: *min,
                max: *max,
            }),
            Kind::Flag => f(&cos_ci_core::ParamKind::Flag),
            Kind::Text {
                values,
                max_len,
                encoding,
            } => {
                let values: Vec<&str> = values.iter().map(String::as_str).collect();
                f(&cos_ci_core::ParamKind::Text {
                    values: &values,
                    max_len: *max_len,
                    encoding: *encoding,
                })
            }
            Kind::Json { fields, max_len } => {
                let fields: Vec<cos_ci_core::JsonField<'_>> = fields
                    .iter()
                    .map(|m| cos_ci_core::JsonField {
                        name: &m.name,
                        ty: m.ty,
                    })
                    .collect();
                f(&cos_ci_core::ParamKind::Json {
                    fields: &fields,
                    max_len: *max_len,
                })
            }
            Kind::Pair {
                separator,
                min,
                max,
                names: [a, b],
            } => f(&cos_ci_core::ParamKind::Pair {
                separator: *separator,
                min: *min,
                max: *max,
                names: [a, b],
            }),
            Kind::List { values, separator } => {
                let values: Vec<&str> = values.iter().map(String::as_str).collect();
                f(&cos_ci_core::ParamKind::List {
                    values: &values,
                    separator: *separator,
                })
            }
        }
    }
}

/// One example.
#[derive(Clone, Debug)]
pub struct Example {
    /// (wire name, wire value) in file order.
    pub params: Vec<(String, String)>,
    /// Expected query.
    pub query: Option<String>,
    /// Expected rule.
    pub rule: Option<String>,
    /// The violated parameter.
    pub error: Option<String>,
}

/// An XML document type.
#[derive(Clone, Debug)]
pub struct Tree {
    /// Root element.
    pub root: String,
    /// The root's Rust type.
    pub type_name: String,
    /// Children of the root.
    pub nodes: Vec<Node>,
}

/// Where a container's type is declared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Home {
    /// With the tree that holds it.
    Here,
    /// In `cos_ci_validate::shapes` (a shared shape), re-exported by the module using it.
    Shapes,
    /// With the service's own documents (`cos_ci_validate::OriginalInfo`), re-exported by the
    /// module using it.
    Service,
    /// With another tree of the same module (the download answer's).
    Module,
}

/// An XML node.
#[derive(Clone, Debug)]
pub struct Node {
    /// Element name.
    pub name: String,
    /// Rust field name.
    pub field: String,
    /// Scalar type, or `None` for containers.
    pub scalar: Option<Scalar>,
    /// Container type name.
    pub type_name: String,
    /// Where the container's type is declared.
    pub home: Home,
    /// Optional.
    pub optional: bool,
    /// Repeated.
    pub repeated: bool,
    /// Documentation.
    pub doc: Option<String>,
    /// Sample value (scalars), in text form.
    pub example: Option<String>,
    /// Other spellings read too.
    pub aliases: Vec<String>,
    /// The words a boolean is written with (true, false).
    pub spelling: Option<[String; 2]>,
    /// A JSON number that may also arrive as a numeric string.
    pub number_or_string: bool,
    /// `(parameter, member)`: answered only when that boolean member of a JSON parameter
    /// is true.
    pub asked_by: Option<(String, String)>,
    /// `[left, top, width, height]` in percent: a base64 node filled with that crop of the
    /// input.
    pub crop: Option<[u8; 4]>,
    /// Present only when the list parameter (wire name) names the word (`present_when`).
    pub present_when: Option<(String, String)>,
    /// Children of a container.
    pub nodes: Vec<Node>,
}
