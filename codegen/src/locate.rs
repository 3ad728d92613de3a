//! Positions of keys in a YAML file, so semantic checks can point at `file:line:col`.
//!
//! serde_norway reports positions only for its own errors; the checks that run on the typed
//! model look the key path up here (yaml-rust2's marked events), falling back to the nearest
//! parent that has a position.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::Marker;

/// The path segment of a mapping key that is itself a mapping or a sequence (`? [a, b]`);
/// no spec key looks like it.
const COMPLEX_KEY: &str = "\u{0}key";

enum Frame {
    /// A mapping; `key` is the key whose value comes next, `None` while a key is awaited;
    /// `seen` has its keys so far with their positions.
    Map {
        key: Option<String>,
        seen: HashMap<String, (usize, usize)>,
    },
    Seq {
        index: usize,
    },
}

/// A key that occurs twice in one mapping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Duplicate {
    /// The key path of the repeated key.
    pub path: Vec<String>,
    /// Where it first occurs.
    pub first: (usize, usize),
    /// Where it occurs again.
    pub again: (usize, usize),
}

/// Key path → 1-based (line, column) of every mapping key and sequence item in a document.
#[derive(Debug, Default)]
pub struct Locator {
    marks: HashMap<Vec<String>, (usize, usize)>,
    duplicates: Vec<Duplicate>,
    second_document: Option<(usize, usize)>,
    too_deep: Option<(usize, usize)>,
    first_alias: Option<(usize, usize)>,
}

/// The deepest nesting of mappings and sequences indexed. serde_norway's parser takes time
/// quadratic in the depth (a few hundred kilobytes of `[` take minutes), so deeper files are
/// refused before it sees them; no spec comes close.
pub const MAX_DEPTH: usize = 100;

struct Receiver {
    stack: Vec<Frame>,
    path: Vec<String>,
    marks: HashMap<Vec<String>, (usize, usize)>,
    duplicates: Vec<Duplicate>,
    /// Documents started so far; only the first is indexed (serde_norway rejects the rest).
    documents: usize,
    second_document: Option<(usize, usize)>,
    /// Where the nesting first went deeper than `MAX_DEPTH`.
    too_deep: Option<(usize, usize)>,
    first_alias: Option<(usize, usize)>,
}

fn position(mark: Marker) -> (usize, usize) {
    (mark.line(), mark.col().saturating_add(1))
}

impl Receiver {
    fn record(&mut self, mark: Marker) {
        self.marks
            .entry(self.path.clone())
            .or_insert_with(|| position(mark));
    }

    /// A mapping key `text`: remembered, and checked against the mapping's earlier keys.
    fn record_key(&mut self, text: String, mark: Marker) {
        let here = position(mark);
        let Some(Frame::Map { key, seen }) = self.stack.last_mut() else {
            return;
        };
        *key = Some(text.clone());
        let first = match seen.get(&text) {
            Some(&first) => Some(first),
            None => {
                seen.insert(text.clone(), here);
                None
            }
        };
        self.path.push(text);
        match first {
            Some(first) => self.duplicates.push(Duplicate {
                path: self.path.clone(),
                first,
                again: here,
            }),
            None => self.record(mark),
        }
        self.path.pop();
        // The mapping itself, when it has no position yet (a sequence item, the document).
        self.record(mark);
    }

    /// A node starts: its path is its parent's plus its key or index. A mapping that is a
    /// sequence item is placed at its first key (yaml-rust2 marks a block mapping's start
    /// after that key).
    fn enter_value(&mut self, mark: Marker, is_mapping: bool) {
        match self.stack.last() {
            Some(Frame::Map { key: Some(k), .. }) => {
                let k = k.clone();
                self.path.push(k);
            }
            // A mapping or sequence used as a key.
            Some(Frame::Map { key: None, .. }) => self.path.push(COMPLEX_KEY.to_string()),
            Some(Frame::Seq { index }) => {
                let i = index.to_string();
                self.path.push(i);
                if !is_mapping {
                    self.record(mark);
                }
            }
            None => {}
        }
    }

    /// A node ended: the parent moves on to its next key or index.
    fn finish_value(&mut self) {
        match self.stack.last_mut() {
            Some(Frame::Map { key, .. }) => {
                let was_key = key.is_none();
                *key = if was_key {
                    // The value of a complex key comes next.
                    Some(COMPLEX_KEY.to_string())
                } else {
                    None
                };
                self.path.pop();
            }
            Some(Frame::Seq { index }) => {
                *index = index.saturating_add(1);
                self.path.pop();
            }
            None => {}
        }
    }
}

impl Receiver {
    fn on_event(&mut self, event: Event, mark: Marker) {
        if event == Event::DocumentStart {
            self.documents = self.documents.saturating_add(1);
            if self.documents == 2 {
                self.second_document = Some(position(mark));
            }
        }
        if self.documents > 1 || self.too_deep.is_some() {
            return;
        }
        if matches!(event, Event::MappingStart(..) | Event::SequenceStart(..))
            && self.stack.len() >= MAX_DEPTH
        {
            self.too_deep = Some(position(mark));
            return;
        }
        match event {
            Event::MappingStart(..) => {
                self.enter_value(mark, true);
                self.stack.push(Frame::Map {
                    key: None,
                    seen: HashMap::new(),
                });
            }
            Event::SequenceStart(..) => {
                self.enter_value(mark, false);
                self.stack.push(Frame::Seq { index: 0 });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
                self.finish_value();
            }
            Event::Scalar(text, ..) => {
                if let Some(Frame::Map { key: None, .. }) = self.stack.last() {
                    self.record_key(text, mark);
                } else {
                    self.enter_value(mark, false);
                    self.finish_value();
                }
            }
            Event::Alias(_) => {
                self.first_alias.get_or_insert(position(mark));
                if let Some(Frame::Map {
                    key: key @ None, ..
                }) = self.stack.last_mut()
                {
                    // An alias used as a key.
                    *key = Some(COMPLEX_KEY.to_string());
                } else {
                    self.enter_value(mark, false);
                    self.finish_value();
                }
            }
            _ => {}
        }
    }
}

/// Where `[` and `{` first nest deeper than [`MAX_DEPTH`], counting every bracket (even in
/// strings and comments, which no real spec nests that deep). A cheap guard that holds when
/// yaml-rust2 gives up early on a text serde_norway would still chew on.
fn brackets_too_deep(text: &str) -> Option<(usize, usize)> {
    let (mut depth, mut line, mut col) = (0usize, 1usize, 0usize);
    for ch in text.chars() {
        col += 1;
        match ch {
            '\n' => {
                line += 1;
                col = 0;
            }
            '[' | '{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some((line, col));
                }
            }
            ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

impl Locator {
    /// Indexes `text`; a file the scanner cannot read gives what was indexed before the error
    /// (serde_norway reports that error with its own position).
    pub fn new(text: &str) -> Self {
        let mut receiver = Receiver {
            stack: Vec::new(),
            path: Vec::new(),
            marks: HashMap::new(),
            duplicates: Vec::new(),
            documents: 0,
            second_document: None,
            too_deep: None,
            first_alias: None,
        };
        if let Some(at) = brackets_too_deep(text) {
            return Locator {
                too_deep: Some(at),
                ..Locator::default()
            };
        }
        // Event by event rather than `Parser::load`, which recurses once per nesting level.
        let mut parser = Parser::new_from_str(text);
        loop {
            match parser.next_token() {
                Ok((Event::StreamEnd, _)) => break,
                Ok((event, mark)) => {
                    receiver.on_event(event, mark);
                    if receiver.too_deep.is_some() {
                        break;
                    }
                }
                // The scanner's own limit on flow nesting (it may hit it while looking ahead).
                Err(e) if e.info().contains("recursion limit") => {
                    receiver.too_deep = Some(position(*e.marker()));
                    break;
                }
                Err(_) => break,
            }
        }
        Locator {
            marks: receiver.marks,
            duplicates: receiver.duplicates,
            second_document: receiver.second_document,
            too_deep: receiver.too_deep,
            first_alias: receiver.first_alias,
        }
    }

    /// Where a second YAML document starts, if the text has one.
    pub fn second_document(&self) -> Option<(usize, usize)> {
        self.second_document
    }

    /// Where the first alias (`*name`) is, if there is one.
    pub fn first_alias(&self) -> Option<(usize, usize)> {
        self.first_alias
    }

    /// Where the nesting first goes deeper than [`MAX_DEPTH`], if it does.
    pub fn too_deep(&self) -> Option<(usize, usize)> {
        self.too_deep
    }

    /// Keys that occur more than once in one mapping, in file order.
    pub fn duplicates(&self) -> &[Duplicate] {
        &self.duplicates
    }

    /// The position of `path`, or of its nearest ancestor that has one.
    pub fn find(&self, path: &[String]) -> Option<(usize, usize)> {
        (0..=path.len())
            .rev()
            .find_map(|n| self.marks.get(&path[..n]).copied())
    }

    /// Splits a dot-separated key path into the segments this document has: a key that
    /// contains a dot (`Item.Name`) stays one segment when the document has it.
    pub fn split(&self, dotted: &str) -> Vec<String> {
        if dotted.is_empty() {
            return Vec::new();
        }
        let parts: Vec<&str> = dotted.split('.').collect();
        let mut path: Vec<String> = Vec::new();
        let mut i = 0;
        while i < parts.len() {
            // The longest run of parts that is a key here; one part when none is.
            let mut taken = 1;
            for end in (i + 2..=parts.len()).rev() {
                let mut candidate = path.clone();
                candidate.push(parts[i..end].join("."));
                if self.marks.contains_key(&candidate) {
                    taken = end - i;
                    break;
                }
            }
            path.push(parts[i..i + taken].join("."));
            i += taken;
        }
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &str) -> Vec<String> {
        p.split('.').map(str::to_string).collect()
    }

    #[test]
    fn finds_keys_and_items() {
        let text =
            "name: X\nparams:\n  denoise:\n    type: integer\n    range: [0, 5]\nmodes: [a, b]\n";
        let loc = Locator::new(text);
        assert_eq!(loc.find(&path("name")), Some((1, 1)));
        assert_eq!(loc.find(&path("params.denoise")), Some((3, 3)));
        assert_eq!(loc.find(&path("params.denoise.range")), Some((5, 5)));
        assert_eq!(loc.find(&path("params.denoise.range.1")), Some((5, 16)));
        assert_eq!(loc.find(&path("modes.1")), Some((6, 12)));
        // Unknown leaves fall back to the nearest known ancestor.
        assert_eq!(loc.find(&path("params.denoise.nope")), Some((3, 3)));
        assert!(loc.duplicates().is_empty());
        assert_eq!(loc.find(&[]), Some((1, 1)));
    }

    #[test]
    fn mappings_in_sequences_are_at_their_first_key() {
        let text = "examples:\n  - params: {}\n    query: x\n  - { a: 1 }\n";
        let loc = Locator::new(text);
        assert_eq!(loc.find(&path("examples.0")), Some((2, 5)));
        assert_eq!(loc.find(&path("examples.0.query")), Some((3, 5)));
        assert_eq!(loc.find(&path("examples.1")), Some((4, 7)));
        assert_eq!(loc.second_document(), None);
        let two = Locator::new("a: 1\n---\nb: 2\n");
        assert_eq!(two.second_document(), Some((2, 1)));
    }

    #[test]
    fn reports_duplicate_keys() {
        let text = "params:\n  a: { y: 1 }\n  b: 2\n  a: { y: 2 }\nlist:\n  - { x: 1, x: 2 }\n  - { x: 1 }\n";
        let loc = Locator::new(text);
        type Found = (String, (usize, usize), (usize, usize));
        let found: Vec<Found> = loc
            .duplicates()
            .iter()
            .map(|d| (d.path.join("."), d.first, d.again))
            .collect();
        assert_eq!(
            found,
            vec![
                ("params.a".to_string(), (2, 3), (4, 3)),
                ("list.0.x".to_string(), (6, 7), (6, 13)),
            ]
        );
    }

    #[test]
    fn complex_keys_and_later_documents_are_not_duplicates() {
        let text = "? [a, b]\n: { x: 1 }\n? [c]\n: { x: 2 }\nk: 1\n---\nk: 2\nk: 3\n";
        let loc = Locator::new(text);
        assert!(loc.duplicates().is_empty(), "{:?}", loc.duplicates());
        assert_eq!(loc.find(&path("k")), Some((5, 1)));
    }

    #[test]
    fn keys_with_dots_stay_whole() {
        let text = "nodes:\n  Item.Name: string\n  Item:\n    Name: string\n";
        let loc = Locator::new(text);
        let dotted = vec!["nodes".to_string(), "Item.Name".to_string()];
        assert_eq!(loc.split("nodes.Item.Name"), dotted);
        assert_eq!(loc.find(&dotted), Some((2, 3)));
        assert_eq!(loc.split("nodes.Item"), path("nodes.Item"));
        assert_eq!(loc.find(&loc.split("nodes.Item.Name.type")), Some((2, 3)));
        assert_eq!(loc.split(""), Vec::<String>::new());
    }
}
