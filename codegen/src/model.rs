//! The spec's YAML model: `spec/service.yaml` and `spec/operations/*.yaml`.
//!
//! Unknown keys are errors everywhere (`deny_unknown_fields`); maps keep file order, which is
//! the wire order of parameters and the document order of XML nodes.

use indexmap::IndexMap;
use serde::Deserialize;

/// `spec/service.yaml`: what every operation shares.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Host templates by kind (`cos`, `pic`), with `{bucket}` and `{region}`.
    pub hosts: IndexMap<String, String>,
    /// Domain suffixes whose virtual-hosted names carry the bucket.
    pub host_suffixes: Vec<String>,
    /// The processing modes.
    pub modes: IndexMap<String, ModeDef>,
    /// The Pic-Operations header.
    pub pic_operations: PicOperationsDef,
    /// Limits every operation inherits.
    pub limits: LimitsDef,
    /// The mock's stand-ins with their typed inputs, in file order.
    pub processors: IndexMap<String, ProcessorDef>,
    /// The error code for a parameter out of range.
    pub param_error_code: String,
    /// Every error code with its status and message.
    pub errors: IndexMap<String, ErrorDef>,
    /// The COS error document.
    pub error_xml: NodeTree,
    /// The answer of upload and cloud processing.
    pub upload_result: NodeTree,
    /// How a parameter sent with an empty value is read: `absent` (the default) or `refused`.
    #[serde(default)]
    pub empty_values: Option<String>,
    /// Parameter types and answer containers several operations share, by Rust type name:
    /// an operation names one as a parameter's or a node's `type`.
    #[serde(default)]
    pub shapes: IndexMap<String, ShapeDef>,
}

/// A shape several operations share: a parameter type or an answer container, generated once
/// in `cos_ci_validate::shapes`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShapeDef {
    /// One line of documentation.
    pub doc: String,
    /// A parameter type: the keys of a parameter but `doc`, `default`, `required` and
    /// `ignore_error`, which each operation gives.
    #[serde(default)]
    pub param: Option<ParamShape>,
    /// An answer container's children.
    #[serde(default)]
    pub nodes: Option<IndexMap<String, Node>>,
}

/// The type keys of a shared parameter type (see [`Param`]).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamShape {
    /// `integer`, `number`, `flag`, `text` or `pair`.
    #[serde(rename = "type")]
    pub ty: String,
    /// `[min, max]`.
    #[serde(default)]
    pub range: Option<[serde_norway::Value; 2]>,
    /// The closed set of values.
    #[serde(default)]
    pub values: Option<Vec<serde_norway::Value>>,
    /// Prefix of generated enum variants for integer sets.
    #[serde(default)]
    pub variant_prefix: Option<String>,
    /// Separator of a pair.
    #[serde(default)]
    pub separator: Option<String>,
    /// Names of a pair's two numbers.
    #[serde(default)]
    pub names: Option<[String; 2]>,
    /// Longest text in bytes.
    #[serde(default)]
    pub max_len: Option<usize>,
    /// How a text is written on the wire.
    #[serde(default)]
    pub encoding: Option<String>,
}

impl Param {
    /// Whether the parameter gives any of the keys a shape fixes.
    pub fn has_type_keys(&self) -> bool {
        self.range.is_some()
            || self.values.is_some()
            || self.variant_prefix.is_some()
            || self.separator.is_some()
            || self.names.is_some()
            || self.max_len.is_some()
            || self.encoding.is_some()
            || self.fields.is_some()
    }

    /// This parameter's `doc`, `default`, `required` and `ignore_error` with the type keys of
    /// `shape`.
    pub fn with_shape(&self, shape: &ParamShape) -> Param {
        Param {
            ty: shape.ty.clone(),
            range: shape.range.clone(),
            values: shape.values.clone(),
            variant_prefix: shape.variant_prefix.clone(),
            separator: shape.separator.clone(),
            names: shape.names.clone(),
            max_len: shape.max_len,
            encoding: shape.encoding.clone(),
            ..self.clone()
        }
    }
}

/// One processing mode.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModeDef {
    /// HTTP method.
    pub method: String,
    /// A query word the request carries (`image_process`).
    #[serde(default)]
    pub query: Option<String>,
    /// Whether the request carries Pic-Operations.
    #[serde(default)]
    pub pic_operations: bool,
    /// CAM actions every operation needs in this mode; operation files list only the others.
    #[serde(default)]
    pub implies: Vec<String>,
    /// One line of documentation.
    pub doc: String,
}

/// The Pic-Operations header's shape.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PicOperationsDef {
    /// The header name.
    pub header: String,
    /// Most rules in one header.
    pub max_rules: u32,
}

/// Input limits; every field optional so operations can narrow a few.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsDef {
    /// Largest input in bytes.
    pub max_input_bytes: Option<u64>,
    /// Largest width.
    pub max_width: Option<u32>,
    /// Largest height.
    pub max_height: Option<u32>,
    /// Largest width × height.
    pub max_pixels: Option<u64>,
}

/// One of the mock's stand-ins.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessorDef {
    /// What it answers: `image` (the default), `xml` or `json`.
    #[serde(default)]
    pub answers: Option<String>,
    /// One line of documentation.
    pub doc: String,
    /// Its inputs, in file order.
    #[serde(default)]
    pub inputs: IndexMap<String, InputDef>,
}

/// One typed input of a stand-in.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputDef {
    /// `integer`, `flag` or `pair`.
    #[serde(rename = "type")]
    pub ty: String,
    /// One line of documentation.
    pub doc: String,
}

/// One error code.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorDef {
    /// HTTP status.
    pub status: u16,
    /// The default message.
    pub message: String,
}

/// An XML document: its root element and the node tree below it; or a JSON object (no
/// root), its members the nodes.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeTree {
    /// The root element's name (XML only).
    #[serde(default)]
    pub root: Option<String>,
    /// The Rust type name of the root, when not the root's name.
    #[serde(default)]
    pub rust_name: Option<String>,
    /// The root's children.
    pub nodes: IndexMap<String, Node>,
}

/// One XML node: a scalar (`string`, `integer`, `number`, `boolean`) or a container.
///
/// A bare type name (`Key: string`) is short for `{ type: string }`.
#[derive(Clone, Debug, Default)]
pub struct Node {
    /// The scalar type, or the name of a node shape of `service.yaml`; `None` for a
    /// container.
    pub ty: Option<String>,
    /// May be absent.
    pub optional: bool,
    /// May occur any number of times.
    pub repeated: bool,
    /// The Rust field name, when the snake case of the node name reads badly (`ETag`).
    pub field: Option<String>,
    /// The Rust type name of a container, when not the node's name.
    pub rust_name: Option<String>,
    /// One line of documentation.
    pub doc: Option<String>,
    /// A sample value the mock answers with (scalars).
    pub example: Option<serde_norway::Value>,
    /// Other spellings of the node that are read too (sources disagree on the name).
    pub aliases: Vec<String>,
    /// How a boolean is written: the words for true and false (`[TRUE, FALSE]`).
    pub spelling: Option<[String; 2]>,
    /// A JSON number (integer or number) that may also arrive as a numeric string.
    pub number_or_string: bool,
    /// `<param>.<member>`: the node is answered only when that boolean member of a
    /// `type: json` parameter is true (`Config.CropIdCard`).
    pub asked_by: Option<String>,
    /// `[left, top, width, height]` in percent of the input: a base64 node the mock fills
    /// with that crop of the input image, as PNG.
    pub crop: Option<[u32; 4]>,
    /// Present only when a list parameter names a word: `{ detect-type: DetectVehicle }`
    /// (the node is then optional).
    pub present_when: Option<IndexMap<String, String>>,
    /// A container's children.
    pub nodes: Option<IndexMap<String, Node>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NodeFull {
    #[serde(default, rename = "type")]
    ty: Option<String>,
    #[serde(default)]
    optional: bool,
    #[serde(default)]
    repeated: bool,
    #[serde(default)]
    field: Option<String>,
    #[serde(default)]
    rust_name: Option<String>,
    #[serde(default)]
    doc: Option<String>,
    #[serde(default)]
    example: Option<serde_norway::Value>,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    spelling: Option<[String; 2]>,
    #[serde(default)]
    number_or_string: bool,
    #[serde(default)]
    asked_by: Option<String>,
    #[serde(default)]
    crop: Option<[u32; 4]>,
    present_when: Option<IndexMap<String, String>>,
    #[serde(default)]
    nodes: Option<IndexMap<String, Node>>,
}

// A hand-written visitor rather than `#[serde(untagged)]`, so a bad key in the long form
// still gets serde_norway's precise "unknown field" error with its position.
impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> serde::de::Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a type name (string, integer, number, boolean) or a node map")
    }

    fn visit_str<E: serde::de::Error>(self, ty: &str) -> Result<Node, E> {
        Ok(Node {
            ty: Some(ty.to_string()),
            ..Node::default()
        })
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Node, A::Error> {
        let f = NodeFull::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
        Ok(Node {
            ty: f.ty,
            optional: f.optional,
            repeated: f.repeated,
            field: f.field,
            rust_name: f.rust_name,
            doc: f.doc,
            example: f.example,
            aliases: f.aliases,
            spelling: f.spelling,
            number_or_string: f.number_or_string,
            asked_by: f.asked_by,
            crop: f.crop,
            present_when: f.present_when,
            nodes: f.nodes,
        })
    }
}

/// `spec/operations/<file>.yaml`: one ci-process operation.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operation {
    /// The ci-process value.
    pub name: String,
    /// The Rust name (snake case) of the operation's modules and methods, when the
    /// ci-process value snake-cases badly (`QRcode` gives `q_rcode`): `rust_name: qrcode`;
    /// its types take the upper camel case (`Qrcode`).
    #[serde(default)]
    pub rust_name: Option<String>,
    /// One-line summary.
    pub summary: String,
    /// The Tencent documentation page.
    #[serde(default)]
    pub doc_url: Option<String>,
    /// Supported modes.
    pub modes: Vec<String>,
    /// Where the image may come from besides the object key.
    #[serde(default)]
    pub source: SourceDef,
    /// The host kinds serving the operation's requests, the client's first (`[cos]` when
    /// not given).
    #[serde(default)]
    pub hosts: Option<Vec<String>>,
    /// CAM actions per mode.
    pub permissions: IndexMap<String, Vec<String>>,
    /// Older names of actions.
    #[serde(default)]
    pub permission_aliases: IndexMap<String, Vec<String>>,
    /// Processing parameters in wire order.
    pub params: IndexMap<String, Param>,
    /// A bare query word that asks for the same download processing (`?imageInspect`
    /// besides `?ci-process=ImageInspect`).
    #[serde(default)]
    pub alias_query: Option<String>,
    /// What download answers.
    pub output: OutputDef,
    /// Limits narrowing the service's.
    #[serde(default)]
    pub limits: LimitsDef,
    /// The mock's stand-in.
    pub mock: MockDef,
    /// Parameters and their exact wire forms.
    #[serde(default)]
    pub examples: Vec<Example>,
    /// Error codes of this operation alone, with status and message; dotted codes are legal
    /// (`FailedOperation.NoObjectDetected`).
    #[serde(default)]
    pub errors: IndexMap<String, ErrorDef>,
    /// How the operation's Pic-Operations rule is written: `query` (the default,
    /// `ci-process=<name>&k=v`) or `path` (`<name>/k/v`, as QRcode's page writes it).
    #[serde(default)]
    pub rule_form: Option<String>,
    /// Most rules of this operation in one Pic-Operations, narrowing the service's.
    #[serde(default)]
    pub max_rules: Option<u32>,
    /// Sets of parameters of which a request gives at least one.
    #[serde(default)]
    pub at_least_one: Vec<AtLeastOneDef>,
}

/// `at_least_one:` one set of parameters a request gives at least one of.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AtLeastOneDef {
    /// The parameters' wire names.
    pub params: Vec<String>,
    /// The one a server uses when several are given.
    #[serde(default)]
    pub wins: Option<String>,
}

/// `required_when` / `applies_when` of a parameter: another parameter and its values.
pub type WhenDef = IndexMap<String, Vec<serde_norway::Value>>;

/// Alternative image sources.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceDef {
    /// Whether `detect-url` is accepted.
    #[serde(default)]
    pub detect_url: bool,
    /// Which host a detect-url request goes to (`cos` or `pic`).
    #[serde(default)]
    pub detect_url_host: Option<String>,
    /// A request names exactly one of the object key and a detect-url, never both.
    #[serde(default)]
    pub exactly_one: bool,
    /// The operation takes no input at all: no object key, no detect-url (`GET
    /// /?ci-process=…` on the bucket).
    #[serde(default)]
    pub none: bool,
}

/// One parameter.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Param {
    /// `integer`, `number`, `flag`, `text`, `pair` or `json`, or the name of a parameter shape of
    /// `service.yaml` (which gives the other type keys).
    #[serde(rename = "type")]
    pub ty: String,
    /// `[min, max]` for integers, numbers and pairs.
    #[serde(default)]
    pub range: Option<[serde_norway::Value; 2]>,
    /// The closed set of values (integers or texts).
    #[serde(default)]
    pub values: Option<Vec<serde_norway::Value>>,
    /// Prefix of generated enum variants for integer sets (`X` gives `X2`).
    #[serde(default)]
    pub variant_prefix: Option<String>,
    /// Separator of a pair.
    #[serde(default)]
    pub separator: Option<String>,
    /// Names of a pair's two numbers.
    #[serde(default)]
    pub names: Option<[String; 2]>,
    /// Longest text in bytes.
    #[serde(default)]
    pub max_len: Option<usize>,
    /// How a text is written on the wire: `base64url` (URL-safe base64).
    #[serde(default)]
    pub encoding: Option<String>,
    /// The members of a `type: json` parameter, in the order they are written.
    #[serde(default)]
    pub fields: Option<IndexMap<String, JsonFieldDef>>,
    /// The server's default.
    #[serde(default)]
    pub default: Option<serde_norway::Value>,
    /// Whether every request must carry it.
    #[serde(default)]
    pub required: bool,
    /// Whether 1 turns failures into "return the original".
    #[serde(default)]
    pub ignore_error: bool,
    /// Required when another parameter has one of some values: `{ type: [a, b] }`.
    #[serde(default)]
    pub required_when: Option<WhenDef>,
    /// Has an effect only when another parameter has one of some values (a server accepts
    /// and ignores it otherwise): `{ type: [a, b] }`.
    #[serde(default)]
    pub applies_when: Option<WhenDef>,
    /// One line of documentation.
    pub doc: String,
}

/// One member of a `type: json` parameter.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonFieldDef {
    /// `boolean` (the one member type so far).
    #[serde(rename = "type")]
    pub ty: String,
    /// One line of documentation.
    pub doc: String,
}

/// What download mode answers.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputDef {
    /// `image`, `xml` or `json`; absent for an operation without a download mode (its stored
    /// result is an image).
    #[serde(default)]
    pub download: Option<String>,
    /// `png` when the image answer is always PNG.
    #[serde(default)]
    pub format: Option<String>,
    /// The answer's node tree (with `download: xml` or `json`).
    #[serde(default)]
    pub response: Option<NodeTree>,
    /// The nodes the operation adds to `UploadResult` in upload and cloud modes.
    #[serde(default)]
    pub upload_result: Option<UploadResultDef>,
}

/// What an operation adds to the upload and cloud answer (`UploadResult`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadResultDef {
    /// Nodes added to each `ProcessResults/Object` the operation's rule produced.
    #[serde(default)]
    pub object: IndexMap<String, Node>,
    /// Nodes added to `UploadResult` itself, beside `OriginalInfo` and `ProcessResults`.
    #[serde(default)]
    pub root: IndexMap<String, Node>,
}

/// The mock's stand-in.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MockDef {
    /// One of the service's `processors`.
    pub processor: String,
    /// The parameter feeding each of the processor's inputs: `{ <input>: <param> }`.
    #[serde(default)]
    pub inputs: IndexMap<String, String>,
    /// One of the operation's `errors` the stand-in answers when the input image is a single
    /// flat colour (nothing to find in it), so a test can provoke the error.
    #[serde(default)]
    pub flat_image_error: Option<String>,
}

/// One example: parameters with their exact wire forms, or the parameter they violate.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    /// Parameter values.
    pub params: IndexMap<String, serde_norway::Value>,
    /// The expected download query.
    #[serde(default)]
    pub query: Option<String>,
    /// The expected rule string.
    #[serde(default)]
    pub rule: Option<String>,
    /// The parameter these values violate.
    #[serde(default)]
    pub error: Option<String>,
}
