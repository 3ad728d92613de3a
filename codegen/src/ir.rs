//! The checked spec the emitters work from: every range parsed, every default resolved, every
//! name turned into its Rust spelling once.

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
    /// Host templates by kind.
    pub hosts: Vec<(String, String)>,
    /// Virtual-host domain suffixes.
    pub host_suffixes: Vec<String>,
    /// The Pic-Operations header name.
    pub pic_operations_header: String,
    /// Most rules in one Pic-Operations.
    pub max_rules: u32,
    /// Default limits.
    pub limits: Limits,
    /// Code for parameter violations.
    pub param_error_code: String,
    /// Error codes: (code, status, message).
    pub errors: Vec<(String, u16, String)>,
    /// The error document.
    pub error_xml: Tree,
    /// The upload/cloud answer.
    pub upload_result: Tree,
    /// The mock's stand-ins, in file order.
    pub processors: Vec<Processor>,
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
    /// Modes: `download`, `upload`, `cloud`.
    pub modes: Vec<String>,
    /// Host kind of detect-url requests.
    pub detect_url: Option<String>,
    /// Actions per mode.
    pub permissions: Vec<(String, Vec<String>)>,
    /// Aliases per action.
    pub permission_aliases: Vec<(String, Vec<String>)>,
    /// Parameters in wire order.
    pub params: Vec<Param>,
    /// The XML answer tree, for XML operations.
    pub response: Option<Tree>,
    /// Whether image answers are always PNG.
    pub png: bool,
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
}

/// How a text parameter is written on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextEncoding {
    /// As it is.
    Plain,
    /// URL-safe base64 (`encoding: base64url`).
    Base64Url,
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

/// An XML node.
#[derive(Clone, Debug)]
pub struct Node {
    /// Element name.
    pub name: String,
    /// Rust field name.
    pub field: String,
    /// Scalar type (`string`, `integer`, `number`, `boolean`) or `None` for containers.
    pub scalar: Option<String>,
    /// Container type name.
    pub type_name: String,
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
    /// Children of a container.
    pub nodes: Vec<Node>,
}
