//! Positions of keys in a YAML file, so semantic checks can point at `file:line:col`.
//!
//! serde_yaml reports positions only for its own errors; the checks that run on the typed
//! model look the key path up here (yaml-rust2's marked events), falling back to the nearest
//! parent that has a position.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

enum Frame {
    Map { key: Option<String> },
    Seq { index: usize },
}

/// Key path → 1-based (line, column) of every mapping key and sequence item in a document.
#[derive(Debug, Default)]
pub struct Locator {
    marks: HashMap<Vec<String>, (usize, usize)>,
}

struct Receiver {
    stack: Vec<Frame>,
    path: Vec<String>,
    marks: HashMap<Vec<String>, (usize, usize)>,
}

impl Receiver {
    fn record(&mut self, mark: Marker) {
        self.marks
            .entry(self.path.clone())
            .or_insert((mark.line(), mark.col() + 1));
    }

    fn enter_value(&mut self, mark: Marker) {
        match self.stack.last() {
            Some(Frame::Map { key: Some(k) }) => {
                let k = k.clone();
                self.path.push(k);
            }
            Some(Frame::Seq { index }) => {
                let i = index.to_string();
                self.path.push(i);
                self.record(mark);
            }
            _ => {}
        }
    }

    fn finish_value(&mut self) {
        match self.stack.last_mut() {
            Some(Frame::Map { key }) => {
                *key = None;
                self.path.pop();
            }
            Some(Frame::Seq { index }) => {
                *index += 1;
                self.path.pop();
            }
            None => {}
        }
    }
}

impl MarkedEventReceiver for Receiver {
    fn on_event(&mut self, event: Event, mark: Marker) {
        match event {
            Event::MappingStart(..) => {
                self.enter_value(mark);
                self.stack.push(Frame::Map { key: None });
            }
            Event::SequenceStart(..) => {
                self.enter_value(mark);
                self.stack.push(Frame::Seq { index: 0 });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
                self.finish_value();
            }
            Event::Scalar(text, ..) => {
                if let Some(Frame::Map { key: key @ None }) = self.stack.last_mut() {
                    *key = Some(text.clone());
                    self.path.push(text);
                    self.record(mark);
                    self.path.pop();
                } else {
                    self.enter_value(mark);
                    self.finish_value();
                }
            }
            Event::Alias(_) => {
                self.enter_value(mark);
                self.finish_value();
            }
            _ => {}
        }
    }
}

impl Locator {
    /// Indexes `text`; a file the scanner cannot read gives an empty index (serde_yaml reports
    /// that error with its own position).
    pub fn new(text: &str) -> Self {
        let mut receiver = Receiver {
            stack: Vec::new(),
            path: Vec::new(),
            marks: HashMap::new(),
        };
        let mut parser = Parser::new_from_str(text);
        let _ = parser.load(&mut receiver, false);
        Locator {
            marks: receiver.marks,
        }
    }

    /// The position of `path`, or of its nearest ancestor that has one.
    pub fn find(&self, path: &[String]) -> Option<(usize, usize)> {
        (0..=path.len())
            .rev()
            .find_map(|n| self.marks.get(&path[..n]).copied())
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
    }
}
