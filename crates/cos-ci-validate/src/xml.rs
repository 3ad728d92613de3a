//! The XML runtime behind the generated node types (UploadResult, the error document, XML
//! answers): a small bounded element tree read with quick-xml, and a writer with escaping.
//!
//! Generated code maps each node to a field with one call per field, so every document type
//! reads and writes the same way.

use quick_xml::events::Event;

/// Deepest nesting accepted when reading; COS documents are a few levels deep.
const MAX_DEPTH: usize = 32;
/// Most elements accepted when reading one document.
const MAX_ELEMENTS: usize = 100_000;

/// A parsed XML element: name, text content and child elements.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Element {
    /// The local name (namespace prefix dropped).
    pub name: String,
    /// The concatenated, unescaped text directly inside the element: exactly as sent in an
    /// element without children (keys may start or end with spaces), trimmed in one with
    /// children (where it is indentation).
    pub text: String,
    /// Child elements in document order.
    pub children: Vec<Element>,
}

/// Why a document could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    /// Not well-formed XML.
    #[error("malformed XML: {0}")]
    Malformed(String),
    /// The root element has another name.
    #[error("expected root <{expected}>, found <{found}>")]
    WrongRoot {
        /// The root the document type needs.
        expected: String,
        /// The root found.
        found: String,
    },
    /// A required node is missing.
    #[error("missing <{node}> in <{parent}>")]
    Missing {
        /// The missing node.
        node: String,
        /// Its parent.
        parent: String,
    },
    /// A node's text is not of its type.
    #[error("<{node}> holds {value:?}, expected {expected}")]
    Invalid {
        /// The node.
        node: String,
        /// Its text.
        value: String,
        /// The expected type.
        expected: &'static str,
    },
    /// The document is deeper or larger than any COS answer.
    #[error("document too large or too deep")]
    TooLarge,
}

impl Element {
    /// Parses a whole document and returns its root element.
    pub fn parse(xml: &str) -> Result<Element, XmlError> {
        let mut reader = quick_xml::Reader::from_str(xml);
        let mut stack: Vec<Element> = Vec::new();
        let mut count = 0usize;
        loop {
            let event = reader
                .read_event()
                .map_err(|e| XmlError::Malformed(e.to_string()))?;
            match event {
                Event::Start(start) | Event::Empty(start) if stack.len() >= MAX_DEPTH => {
                    let _ = start;
                    return Err(XmlError::TooLarge);
                }
                Event::Start(start) => {
                    count += 1;
                    if count > MAX_ELEMENTS {
                        return Err(XmlError::TooLarge);
                    }
                    stack.push(Element::named(local_name(start.name().as_ref())));
                }
                Event::Empty(start) => {
                    count += 1;
                    if count > MAX_ELEMENTS {
                        return Err(XmlError::TooLarge);
                    }
                    let element = Element::named(local_name(start.name().as_ref()));
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(element),
                        None => return finish(reader, element),
                    }
                }
                Event::End(_) => {
                    let Some(mut element) = stack.pop() else {
                        return Err(XmlError::Malformed("unbalanced end tag".into()));
                    };
                    if !element.children.is_empty() {
                        element.text = element.text.trim().to_string();
                    }
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(element),
                        None => return finish(reader, element),
                    }
                }
                Event::Text(text) => {
                    if let Some(top) = stack.last_mut() {
                        let text = text
                            .unescape()
                            .map_err(|e| XmlError::Malformed(e.to_string()))?;
                        top.text.push_str(&text);
                    }
                }
                Event::CData(data) => {
                    if let Some(top) = stack.last_mut() {
                        top.text.push_str(&String::from_utf8_lossy(&data));
                    }
                }
                Event::Eof => return Err(XmlError::Malformed("no root element".into())),
                _ => {}
            }
        }
    }

    /// Parses a document whose root must be `root`.
    pub fn parse_root(xml: &str, root: &str) -> Result<Element, XmlError> {
        let element = Element::parse(xml)?;
        if element.name == root {
            Ok(element)
        } else {
            Err(XmlError::WrongRoot {
                expected: root.to_string(),
                found: element.name,
            })
        }
    }

    fn named(name: String) -> Element {
        Element {
            name,
            ..Element::default()
        }
    }

    /// The first child called `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The first child with one of `names`' spellings.
    fn child_named<N: NodeName + ?Sized>(&self, names: &N) -> Option<&Element> {
        self.children.iter().find(|c| names.matches(&c.name))
    }

    /// A required scalar child.
    pub fn field<T: XmlScalar, N: NodeName + ?Sized>(&self, names: &N) -> Result<T, XmlError> {
        match self.child_named(names) {
            Some(child) => T::from_text(names.primary(), &child.text),
            None => Err(self.missing(names.primary())),
        }
    }

    /// An optional scalar child; an empty element counts as absent, except for text.
    pub fn opt_field<T: XmlScalar, N: NodeName + ?Sized>(
        &self,
        names: &N,
    ) -> Result<Option<T>, XmlError> {
        match self.child_named(names) {
            Some(child) if child.text.trim().is_empty() && !T::EMPTY_IS_VALUE => Ok(None),
            Some(child) => T::from_text(names.primary(), &child.text).map(Some),
            None => Ok(None),
        }
    }

    /// Every scalar child with one of `names`' spellings.
    pub fn fields<T: XmlScalar, N: NodeName + ?Sized>(
        &self,
        names: &N,
    ) -> Result<Vec<T>, XmlError> {
        self.children
            .iter()
            .filter(|c| names.matches(&c.name))
            .map(|c| T::from_text(names.primary(), &c.text))
            .collect()
    }

    /// A required container child.
    pub fn node<T: FromElement, N: NodeName + ?Sized>(&self, names: &N) -> Result<T, XmlError> {
        match self.child_named(names) {
            Some(child) => T::from_element(child),
            None => Err(self.missing(names.primary())),
        }
    }

    /// An optional container child.
    pub fn opt_node<T: FromElement, N: NodeName + ?Sized>(
        &self,
        names: &N,
    ) -> Result<Option<T>, XmlError> {
        self.child_named(names).map(T::from_element).transpose()
    }

    /// Every container child with one of `names`' spellings.
    pub fn nodes<T: FromElement, N: NodeName + ?Sized>(
        &self,
        names: &N,
    ) -> Result<Vec<T>, XmlError> {
        self.children
            .iter()
            .filter(|c| names.matches(&c.name))
            .map(T::from_element)
            .collect()
    }

    fn missing(&self, name: &str) -> XmlError {
        XmlError::Missing {
            node: name.to_string(),
            parent: self.name.clone(),
        }
    }
}

/// The name of a node when reading: one element name (`"Key"`), or several spellings of one
/// node (`["Confidence", "Sorce"]`), the first being the one written.
///
/// Several spellings exist because Tencent's pages and SDKs disagree on some answers (the
/// spec's `aliases:`); reading every documented spelling keeps the client working with both.
pub trait NodeName {
    /// Whether an element called `name` is this node.
    fn matches(&self, name: &str) -> bool;
    /// The spelling named in errors.
    fn primary(&self) -> &str;
}

impl NodeName for str {
    fn matches(&self, name: &str) -> bool {
        self == name
    }
    fn primary(&self) -> &str {
        self
    }
}

impl<const N: usize> NodeName for [&str; N] {
    fn matches(&self, name: &str) -> bool {
        self.contains(&name)
    }
    fn primary(&self) -> &str {
        self.first().copied().unwrap_or_default()
    }
}

fn finish(mut reader: quick_xml::Reader<&[u8]>, root: Element) -> Result<Element, XmlError> {
    // Only whitespace, comments and processing instructions may follow the root.
    loop {
        match reader.read_event() {
            Ok(Event::Eof) => return Ok(root),
            Ok(Event::Text(t)) if t.iter().all(u8::is_ascii_whitespace) => {}
            Ok(Event::Comment(_) | Event::PI(_)) => {}
            Ok(_) => return Err(XmlError::Malformed("content after the root element".into())),
            Err(e) => return Err(XmlError::Malformed(e.to_string())),
        }
    }
}

fn local_name(name: &[u8]) -> String {
    let name = String::from_utf8_lossy(name);
    match name.rsplit_once(':') {
        Some((_, local)) => local.to_string(),
        None => name.into_owned(),
    }
}

/// A scalar node type: text, integer, number or boolean.
pub trait XmlScalar: Sized {
    /// Whether an empty element is a value (text) rather than absent.
    const EMPTY_IS_VALUE: bool = false;
    /// Parses the node text.
    fn from_text(node: &str, text: &str) -> Result<Self, XmlError>;
    /// The node text.
    fn to_text(&self) -> String;
}

impl XmlScalar for String {
    const EMPTY_IS_VALUE: bool = true;
    fn from_text(_: &str, text: &str) -> Result<Self, XmlError> {
        Ok(text.to_string())
    }
    fn to_text(&self) -> String {
        self.clone()
    }
}

impl XmlScalar for i64 {
    fn from_text(node: &str, text: &str) -> Result<Self, XmlError> {
        text.trim()
            .parse()
            .map_err(|_| invalid(node, text, "an integer"))
    }
    fn to_text(&self) -> String {
        self.to_string()
    }
}

impl XmlScalar for f64 {
    fn from_text(node: &str, text: &str) -> Result<Self, XmlError> {
        text.trim()
            .parse()
            .map_err(|_| invalid(node, text, "a number"))
    }
    fn to_text(&self) -> String {
        self.to_string()
    }
}

impl XmlScalar for bool {
    /// `true`/`false` in any case (AssessQuality answers `TRUE`/`FALSE`, doc 436/75085; Go's
    /// SDK reads them with `strconv.ParseBool`, which takes every case), or `1`/`0`.
    fn from_text(node: &str, text: &str) -> Result<Self, XmlError> {
        match text.trim() {
            t if t.eq_ignore_ascii_case("true") || t == "1" => Ok(true),
            t if t.eq_ignore_ascii_case("false") || t == "0" => Ok(false),
            _ => Err(invalid(node, text, "a boolean")),
        }
    }
    fn to_text(&self) -> String {
        self.to_string()
    }
}

/// A boolean written with the spec's own spelling of true and false (`spelling: [TRUE, FALSE]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spelled(pub bool, pub [&'static str; 2]);

impl XmlScalar for Spelled {
    fn from_text(node: &str, text: &str) -> Result<Self, XmlError> {
        // Only written, never read (the field is a plain `bool`); reading keeps the words.
        bool::from_text(node, text).map(|b| Spelled(b, ["true", "false"]))
    }
    fn to_text(&self) -> String {
        let [yes, no] = self.1;
        if self.0 { yes } else { no }.to_string()
    }
}

fn invalid(node: &str, text: &str, expected: &'static str) -> XmlError {
    XmlError::Invalid {
        node: node.to_string(),
        value: text.to_string(),
        expected,
    }
}

/// A container node type read from an [`Element`].
pub trait FromElement: Sized {
    /// Reads the node from its element.
    fn from_element(element: &Element) -> Result<Self, XmlError>;
}

/// A container node type written into an [`XmlWriter`] (its children only).
pub trait ToElement {
    /// Writes the node's children.
    fn write_children(&self, w: &mut XmlWriter);
}

/// A whole XML document type with a fixed root element.
///
/// Every document is read; only the service's own (`<Error>`, `<UploadResult>`) are written,
/// by the mock, so writing needs [`ToElement`] as well.
pub trait XmlDocument: FromElement {
    /// The root element name.
    const ROOT: &'static str;

    /// Parses a document.
    fn from_xml(xml: &str) -> Result<Self, XmlError> {
        Self::from_element(&Element::parse_root(xml, Self::ROOT)?)
    }

    /// Writes the document with an XML declaration.
    fn to_xml(&self) -> String
    where
        Self: ToElement,
    {
        let mut w = XmlWriter::default();
        w.out
            .push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        w.node(Self::ROOT, self);
        w.out
    }
}

/// Writes elements with escaped text.
#[derive(Debug, Default)]
pub struct XmlWriter {
    out: String,
}

impl XmlWriter {
    /// What was written.
    pub fn into_string(self) -> String {
        self.out
    }

    /// A scalar element.
    pub fn field<T: XmlScalar>(&mut self, name: &str, value: &T) {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        // A literal CR would reach other readers as LF (XML end-of-line handling): write it as a
        // character reference.
        self.out
            .push_str(&quick_xml::escape::escape(value.to_text().as_str()).replace('\r', "&#13;"));
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    /// A scalar element when `value` is set.
    pub fn opt_field<T: XmlScalar>(&mut self, name: &str, value: &Option<T>) {
        if let Some(value) = value {
            self.field(name, value);
        }
    }

    /// One scalar element per value.
    pub fn fields<T: XmlScalar>(&mut self, name: &str, values: &[T]) {
        for value in values {
            self.field(name, value);
        }
    }

    /// A container element.
    pub fn node<T: ToElement + ?Sized>(&mut self, name: &str, value: &T) {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        value.write_children(self);
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    /// A container element when `value` is set.
    pub fn opt_node<T: ToElement>(&mut self, name: &str, value: &Option<T>) {
        if let Some(value) = value {
            self.node(name, value);
        }
    }

    /// One container element per value.
    pub fn nodes<T: ToElement>(&mut self, name: &str, values: &[T]) {
        for value in values {
            self.node(name, value);
        }
    }
}
