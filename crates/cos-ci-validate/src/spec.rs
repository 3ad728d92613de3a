//! Static descriptions of operations, as the generator writes them from `spec/`.
//!
//! Everything here is plain data (`&'static`), so the client, the mock server and the CLI
//! can work with any operation generically, and the typed structs stay thin.

/// A processing mode (seed 001): where and when an operation runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mode {
    /// `GET /<key>?ci-process=…`: the result is the response body.
    Download,
    /// `PUT /<key>` with a `Pic-Operations` header: results are stored, `UploadResult` answers.
    Upload,
    /// `POST /<key>?image_process` with a `Pic-Operations` header on a stored object.
    Cloud,
}

impl Mode {
    /// All modes, in spec order.
    pub const ALL: [Mode; 3] = [Mode::Download, Mode::Upload, Mode::Cloud];

    /// The spec name of the mode (`download`, `upload`, `cloud`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Mode::Download => "download",
            Mode::Upload => "upload",
            Mode::Cloud => "cloud",
        }
    }

    /// The HTTP method of the mode.
    pub const fn method(self) -> &'static str {
        match self {
            Mode::Download => "GET",
            Mode::Upload => "PUT",
            Mode::Cloud => "POST",
        }
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which bucket host a request goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostKind {
    /// `<bucket>.cos.<region>.myqcloud.com`
    Cos,
    /// `<bucket>.pic.<region>.myqcloud.com`
    Pic,
    /// `<bucket>.ci.<region>.myqcloud.com`, the Cloud Infinite endpoint of bucket-level jobs.
    Ci,
}

/// How a text parameter's value is written on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextEncoding {
    /// As it is (then percent-encoded like every query value).
    Plain,
    /// URL-safe base64 (RFC 4648 §5) of the text, written without padding. Reading also
    /// accepts the standard alphabet and padding: Tencent's own demos send both.
    Base64Url,
}

/// The kind and allowed values of one parameter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ParamKind {
    /// An integer in `min..=max`.
    Integer {
        /// Smallest allowed value.
        min: i64,
        /// Largest allowed value.
        max: i64,
    },
    /// An integer from a closed set, e.g. magnify 2|4.
    IntegerSet(&'static [i64]),
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
        values: &'static [&'static str],
        /// Longest allowed value in bytes (of the text itself, before any encoding).
        max_len: usize,
        /// How the text is written on the wire.
        encoding: TextEncoding,
    },
    /// Two integers joined by `separator`, each in `min..=max` (padding-layout `<dx>x<dy>`).
    Pair {
        /// The separator between the two numbers.
        separator: char,
        /// Smallest allowed value of each number.
        min: u32,
        /// Largest allowed value of each number.
        max: u32,
    },
}

impl ParamKind {
    /// A human description of the allowed values, e.g. `0..=5` or `one of 2, 4`.
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
            ParamKind::Pair {
                separator,
                min,
                max,
            } => {
                format!("<a>{separator}<b> with each in {min}..={max}")
            }
        }
    }
}

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
    /// The children of a container.
    pub children: &'static [XmlNode],
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
}

impl Processor {
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
    /// The spec file the operation comes from, e.g. `spec/operations/ai-enhance-image.yaml`
    /// (for an operation loaded at run time, the path it was read from).
    pub source: &'static str,
    /// The Rust module name in every crate, e.g. `ai_enhance_image`.
    pub module: &'static str,
    /// One-line summary.
    pub summary: &'static str,
    /// The Tencent documentation page, when known.
    pub doc_url: Option<&'static str>,
    /// The modes the operation supports.
    pub modes: &'static [Mode],
    /// Where a `detect-url` request goes, or `None` when the operation takes no detect-url.
    pub detect_url: Option<HostKind>,
    /// CAM actions each mode needs.
    pub permissions: &'static [(Mode, &'static [&'static str])],
    /// Older names a policy may use for an action: `(action, aliases)`.
    pub permission_aliases: &'static [(&'static str, &'static [&'static str])],
    /// The processing parameters, in wire order.
    pub params: &'static [ParamSpec],
    /// What download mode answers.
    pub output: Output,
    /// Input limits.
    pub limits: Limits,
    /// The mock server's stand-in and what feeds its inputs.
    pub processor: Processor,
}

impl OpSpec {
    /// Whether the operation supports `mode`.
    pub fn supports(&self, mode: Mode) -> bool {
        self.modes.contains(&mode)
    }

    /// The CAM actions `mode` needs (empty when the mode is not supported).
    pub fn actions(&self, mode: Mode) -> &'static [&'static str] {
        self.permissions
            .iter()
            .find(|(m, _)| *m == mode)
            .map(|(_, actions)| *actions)
            .unwrap_or(&[])
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

    /// The parameter that turns failures into "return the original", if any.
    pub fn ignore_error_param(&self) -> Option<&'static ParamSpec> {
        self.params.iter().find(|p| p.ignore_error)
    }
}
