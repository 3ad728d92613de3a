//! Static descriptions of operations, as the generator writes them from `spec/`.
//!
//! Everything here is plain data (`&'static`), so the client, the mock server and the CLI
//! can work with any operation generically, and the typed structs stay thin.

pub use cos_ci_core::{
    EmptyValues, HostKind, Input, JsonField, JsonType, JsonValue, Mode, RuleForm, TextEncoding,
};

/// The kind and allowed values of one parameter, as generated code writes it (`'static`
/// lists); [`cos_ci_core::ParamKind`] parses, checks and describes values of it.
pub type ParamKind = cos_ci_core::ParamKind<'static>;

/// One processing parameter of an operation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParamSpec {
    /// The wire name, e.g. `padding-layout`.
    pub name: &'static str,
    /// One line of documentation.
    pub doc: &'static str,
    /// Type and allowed values.
    pub kind: ParamKind,
    /// The server's default, in wire form, when there is one.
    pub default: Option<&'static str>,
    /// Whether every request must carry it.
    pub required: bool,
    /// With this flag set to 1, a failed processing returns the original image.
    pub ignore_error: bool,
}

impl ParamSpec {
    /// An optional parameter without a default: set [`ParamSpec::with_default`] and the
    /// other builders for the rest (generated `SPEC`s are written with them).
    pub const fn optional(name: &'static str, kind: ParamKind) -> Self {
        ParamSpec {
            name,
            doc: "",
            kind,
            default: None,
            required: false,
            ignore_error: false,
        }
    }

    /// A parameter every request must carry.
    pub const fn required(name: &'static str, kind: ParamKind) -> Self {
        ParamSpec {
            required: true,
            ..ParamSpec::optional(name, kind)
        }
    }

    /// The operation's ignore-error flag: with 1, a failed processing returns the original.
    pub const fn ignore_error_flag(name: &'static str) -> Self {
        ParamSpec {
            ignore_error: true,
            ..ParamSpec::optional(name, ParamKind::Flag)
        }
    }

    /// The same parameter with its one-line documentation.
    pub const fn doc(self, doc: &'static str) -> Self {
        ParamSpec { doc, ..self }
    }

    /// The same parameter with the server's default `wire`.
    pub const fn with_default(self, wire: &'static str) -> Self {
        ParamSpec {
            default: Some(wire),
            ..self
        }
    }
}

/// What the download mode answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// Image bytes; `png` means the answer is always PNG (alpha), otherwise the input format.
    Image {
        /// The answer is always PNG.
        png: bool,
    },
    /// An XML document with this root element.
    Xml {
        /// The root element name.
        root: &'static str,
        /// The root's children, as the spec's node tree describes them: what a generic
        /// server needs to answer without generated code.
        nodes: &'static [XmlNode],
    },
    /// A JSON object whose members the nodes describe (member names as node names).
    Json {
        /// The members, as the spec's node tree describes them.
        nodes: &'static [XmlNode],
    },
}

/// The type of one node of an XML answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XmlType {
    /// Text.
    String,
    /// A signed integer (`i64`).
    Integer,
    /// A decimal number (`f64`).
    Number,
    /// `true`/`false` (or the node's own `spelling`).
    Boolean,
    /// Binary data as base64 text ([`crate::Base64Data`]).
    Base64,
    /// An element with child elements (`children`).
    Container,
}

/// One node of an XML answer's tree (`output.response` in the spec).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct XmlNode {
    /// The element name.
    pub name: &'static str,
    /// Its type.
    pub ty: XmlType,
    /// Whether the answer may leave it out.
    pub optional: bool,
    /// Whether it occurs any number of times.
    pub repeated: bool,
    /// The spec's sample value (scalars), in text form: what the mock answers.
    pub example: Option<&'static str>,
    /// How a boolean is written: `[true, false]` words, when not `true`/`false`.
    pub spelling: Option<[&'static str; 2]>,
    /// A JSON number that may also arrive as a numeric string.
    pub number_or_string: bool,
    /// `(parameter, member)`: answered only when that boolean member of a JSON-object
    /// parameter is true (`("Config", "CropIdCard")`).
    pub asked_by: Option<(&'static str, &'static str)>,
    /// `[left, top, width, height]` in percent of the input: a base64 node a server fills
    /// with that crop of the input image.
    pub crop: Option<[u8; 4]>,
    /// Present only when the list parameter (wire name) names the word (`present_when`):
    /// see [`OpSpec::asks`].
    pub present_when: Option<(&'static str, &'static str)>,
    /// The children of a container.
    pub children: &'static [XmlNode],
}

impl XmlNode {
    /// A text node, present once: the other builders say more (generated `SPEC`s are written
    /// with them).
    pub const fn string(name: &'static str) -> Self {
        XmlNode::scalar(name, XmlType::String)
    }

    /// An integer node, present once.
    pub const fn integer(name: &'static str) -> Self {
        XmlNode::scalar(name, XmlType::Integer)
    }

    /// A decimal number node, present once.
    pub const fn number(name: &'static str) -> Self {
        XmlNode::scalar(name, XmlType::Number)
    }

    /// A boolean node, present once.
    pub const fn boolean(name: &'static str) -> Self {
        XmlNode::scalar(name, XmlType::Boolean)
    }

    /// A base64 node (binary data such as an image), present once.
    pub const fn base64(name: &'static str) -> Self {
        XmlNode::scalar(name, XmlType::Base64)
    }

    /// A container node with `children`, present once.
    pub const fn container(name: &'static str, children: &'static [XmlNode]) -> Self {
        XmlNode {
            children,
            ..XmlNode::scalar(name, XmlType::Container)
        }
    }

    const fn scalar(name: &'static str, ty: XmlType) -> Self {
        XmlNode {
            name,
            ty,
            optional: false,
            repeated: false,
            example: None,
            spelling: None,
            number_or_string: false,
            asked_by: None,
            crop: None,
            present_when: None,
            children: &[],
        }
    }

    /// The same node, present only when list parameter `param` names `word`.
    pub const fn when_asked(self, param: &'static str, word: &'static str) -> Self {
        XmlNode {
            present_when: Some((param, word)),
            optional: true,
            ..self
        }
    }

    /// The same node, which the answer may leave out.
    pub const fn or_absent(self) -> Self {
        XmlNode {
            optional: true,
            ..self
        }
    }

    /// The same node, occurring any number of times.
    pub const fn any_number(self) -> Self {
        XmlNode {
            repeated: true,
            ..self
        }
    }

    /// The same node with the spec's sample value (what the mock answers).
    pub const fn sample(self, example: &'static str) -> Self {
        XmlNode {
            example: Some(example),
            ..self
        }
    }

    /// The same JSON number node, which may also arrive as a numeric string.
    pub const fn or_string(self) -> Self {
        XmlNode {
            number_or_string: true,
            ..self
        }
    }

    /// The same node, answered only when the boolean `member` of the JSON-object parameter
    /// `param` is true.
    pub const fn asked_by(self, param: &'static str, member: &'static str) -> Self {
        XmlNode {
            asked_by: Some((param, member)),
            ..self
        }
    }

    /// The same base64 node, filled with the crop `[left, top, width, height]` (percent) of
    /// the input image.
    pub const fn cropped(self, crop: [u8; 4]) -> Self {
        XmlNode {
            crop: Some(crop),
            ..self
        }
    }

    /// Whether a request with `values` asks for this node (always, unless `asked_by`).
    pub fn asked(&self, values: &crate::ParamValues) -> bool {
        match self.asked_by {
            Some((param, member)) => values.get(param).is_some_and(|v| v.json_flag(member)),
            None => true,
        }
    }

    /// The same boolean node, written with the words `[true, false]`.
    pub const fn spelled(self, words: [&'static str; 2]) -> Self {
        XmlNode {
            spelling: Some(words),
            ..self
        }
    }
}

/// Input limits of an operation (bytes and pixels), inherited from `service.yaml` where the
/// operation's file says nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest input in bytes.
    pub max_input_bytes: u64,
    /// Largest input width in pixels.
    pub max_width: u32,
    /// Largest input height in pixels.
    pub max_height: u32,
    /// Largest input width × height.
    pub max_pixels: u64,
}

/// The nodes an operation adds to the upload and cloud answer (`UploadResult`), filled by a
/// server like a download answer's nodes (`output.upload_result`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UploadAdditions {
    /// Nodes added to each `ProcessResults/Object` the operation's rules produced.
    pub object: &'static [XmlNode],
    /// Nodes added to `UploadResult` itself, beside `OriginalInfo` and `ProcessResults`.
    pub root: &'static [XmlNode],
}

/// A rule between an operation's inputs that no single parameter says (`relations:`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    /// Exactly one of the object key and `detect-url` names the image: never both, never
    /// neither (`source: { exactly_one: true }`).
    KeyOrDetectUrl,
    /// At least one of `params` is given; when several are, the server uses `wins`.
    AtLeastOne {
        /// The parameters' wire names.
        params: &'static [&'static str],
        /// The one a server uses when several are given.
        wins: Option<&'static str>,
    },
    /// `param` must be given when `other` has one of `values` (`required_when`).
    RequiredWhen {
        /// The parameter's wire name.
        param: &'static str,
        /// The parameter it depends on.
        other: &'static str,
        /// The wire values of `other` that require it.
        values: &'static [&'static str],
    },
    /// `param` has an effect only when `other` has one of `values` (`applies_when`); a server
    /// accepts and ignores it otherwise, as the SDKs send it anyway.
    AppliesWhen {
        /// The parameter's wire name.
        param: &'static str,
        /// The parameter it depends on.
        other: &'static str,
        /// The wire values of `other` it applies to.
        values: &'static [&'static str],
    },
}

/// An error code one operation answers besides the service's (`errors:` in its file), e.g.
/// `FailedOperation.NoObjectDetected`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpError {
    /// The code as it appears in `<Code>` (dots allowed).
    pub code: &'static str,
    /// The HTTP status a server answers with.
    pub status: u16,
    /// The default `<Message>`.
    pub message: &'static str,
}

/// The mock server's stand-in for an operation: which of its processors, and which of the
/// operation's parameters feeds each of the processor's typed inputs (an absent parameter
/// takes its `default`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Processor {
    /// The stand-in.
    pub kind: crate::ProcessorKind,
    /// `(input, parameter)`: the parameter (its wire name) feeding each input, in the
    /// stand-in's input order.
    pub inputs: &'static [(&'static str, &'static str)],
    /// The operation's own error code (one of [`OpSpec::errors`]) the stand-in answers when
    /// the input image is one flat colour, so a test can provoke it (`mock.flat_image_error`).
    pub flat_image_error: Option<&'static str>,
}

impl Processor {
    /// The stand-in `kind`, fed by no parameter and answering no error of its own.
    pub const fn new(kind: crate::ProcessorKind) -> Self {
        Self {
            kind,
            inputs: &[],
            flat_image_error: None,
        }
    }

    /// The parameter that feeds `input`.
    pub fn param_of(&self, input: &str) -> Option<&'static str> {
        self.inputs
            .iter()
            .find(|(i, _)| *i == input)
            .map(|(_, param)| *param)
    }
}

/// One `ci-process` operation, as declared in `spec/operations/<file>.yaml`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OpSpec {
    /// The `ci-process` value, e.g. `AIEnhanceImage`.
    pub name: &'static str,
    /// The spec file stem (kebab case), e.g. `ai-enhance-image`.
    pub file: &'static str,
    /// The spec file the operation comes from when it is not `spec/operations/<file>.yaml`
    /// (for an operation loaded at run time, the path it was read from); see
    /// [`OpSpec::source`].
    pub source_path: Option<&'static str>,
    /// The Rust module name in every crate, e.g. `ai_enhance_image`.
    pub module: &'static str,
    /// One-line summary.
    pub summary: &'static str,
    /// The Tencent documentation page, when known.
    pub doc_url: Option<&'static str>,
    /// The modes the operation supports.
    pub modes: &'static [Mode],
    /// What a download request processes: an object (or a detect-url), or nothing at all.
    pub input: Input,
    /// Where a `detect-url` request goes, or `None` when the operation takes no detect-url.
    pub detect_url: Option<HostKind>,
    /// The host kinds that serve the operation's object-key requests (`hosts:`); the client
    /// sends to the first, a server answers on each.
    pub hosts: &'static [HostKind],
    /// The operation's own CAM actions per mode, besides what the mode implies (see
    /// [`OpSpec::actions`]).
    pub permissions: &'static [(Mode, &'static [&'static str])],
    /// Older names a policy may use for an action: `(action, aliases)`.
    pub permission_aliases: &'static [(&'static str, &'static [&'static str])],
    /// A bare query word that asks for the same download processing (`?imageInspect`),
    /// served besides `?ci-process=<name>`.
    pub alias_query: Option<&'static str>,
    /// The processing parameters, in wire order.
    pub params: &'static [ParamSpec],
    /// What download mode answers.
    pub output: Output,
    /// Input limits.
    pub limits: Limits,
    /// The mock server's stand-in and what feeds its inputs.
    pub processor: Processor,
    /// Error codes of this operation alone, with status and message (`errors:`).
    pub errors: &'static [OpError],
    /// How its Pic-Operations rule is written (`rule_form:`).
    pub rule_form: RuleForm,
    /// What the operation adds to `UploadResult` in upload and cloud modes, when anything.
    pub upload_result: Option<UploadAdditions>,
    /// Most rules of this operation one Pic-Operations header may carry (`max_rules:`, at
    /// most the service's [`crate::MAX_RULES`]).
    pub max_rules: usize,
    /// Rules between the image source and the parameters.
    pub relations: &'static [Relation],
}

impl OpSpec {
    /// The spec file the operation comes from, e.g. `spec/operations/ai-enhance-image.yaml`.
    pub fn source(&self) -> std::borrow::Cow<'static, str> {
        match self.source_path {
            Some(path) => path.into(),
            None => format!("spec/operations/{}.yaml", self.file).into(),
        }
    }

    /// Whether the operation supports `mode`.
    pub fn supports(&self, mode: Mode) -> bool {
        self.modes.contains(&mode)
    }

    /// The CAM actions `mode` needs: what the mode implies for every operation
    /// ([`crate::IMPLIED_ACTIONS`]), then the operation's own (empty when the mode is not
    /// supported). An operation without an input reads no object, so nothing is implied.
    pub fn actions(&self, mode: Mode) -> Vec<&'static str> {
        if !self.supports(mode) {
            return Vec::new();
        }
        let of = |list: &'static [(Mode, &'static [&'static str])]| {
            list.iter()
                .filter(move |(m, _)| *m == mode)
                .flat_map(|(_, actions)| actions.iter().copied())
        };
        let implied = match self.input {
            Input::Object => crate::IMPLIED_ACTIONS,
            Input::None => &[],
        };
        of(implied).chain(of(self.permissions)).collect()
    }

    /// The names a policy may use for `action`: the action itself and its aliases.
    pub fn action_names(&self, action: &'static str) -> Vec<&'static str> {
        let mut names = vec![action];
        for (name, aliases) in self.permission_aliases {
            if *name == action {
                names.extend_from_slice(aliases);
            }
        }
        names
    }

    /// The parameter called `name`.
    pub fn param(&self, name: &str) -> Option<&'static ParamSpec> {
        self.params.iter().find(|p| p.name == name)
    }

    /// The host kind the client sends object-key requests to: the first of `hosts`.
    pub fn host(&self) -> HostKind {
        self.hosts.first().copied().unwrap_or(HostKind::Cos)
    }

    /// Whether a download arriving on a host of `kind` is served: one of `hosts`, or the
    /// detect-url host when the request names a detect-url.
    pub fn served_on(&self, kind: HostKind, detect_url: bool) -> bool {
        self.hosts.contains(&kind) || (detect_url && self.detect_url == Some(kind))
    }

    /// Whether a request must name exactly one of the object key and `detect-url`.
    pub fn key_or_detect_url(&self) -> bool {
        self.relations.contains(&Relation::KeyOrDetectUrl)
    }

    /// The operation's own error whose `<Code>` is `code`, if it declares one.
    pub fn error(&self, code: &str) -> Option<&'static OpError> {
        self.errors.iter().find(|e| e.code == code)
    }

    /// Whether `values` ask for `word` of list parameter `param`: the words given, or the
    /// parameter's default when it is not given. Decides the answer nodes present per word
    /// ([`XmlNode::present_when`]).
    pub fn asks(&self, values: &crate::ParamValues, param: &str, word: &str) -> bool {
        match (values.list(param), self.param(param)) {
            (Some(words), _) => words.iter().any(|w| w == word),
            (
                None,
                Some(ParamSpec {
                    default: Some(default),
                    kind: ParamKind::List { separator, .. },
                    ..
                }),
            ) => default.split(*separator).any(|w| w == word),
            (None, _) => false,
        }
    }

    /// The parameter that turns failures into "return the original", if any.
    pub fn ignore_error_param(&self) -> Option<&'static ParamSpec> {
        self.params.iter().find(|p| p.ignore_error)
    }
}
