//! How the mock serves each operation. The built-in operations are
//! `cos_ci_validate::OPERATIONS`, served by the same code as those registered on a server's
//! builder (`MockServer::builder().operation(..)`): a server's own table ([`Routes`]) is the
//! built-ins followed by those.

use std::sync::Arc;

use cos_ci_validate::{OPERATIONS, OpSpec, Output, ParamValues};

use crate::processors::{self, ProcessError, StandIn};

/// What a user's stand-in is given: the operation, the input's bytes and the request's
/// checked parameters.
#[derive(Clone, Copy, Debug)]
pub struct StandInInput<'a> {
    /// The operation being run.
    pub spec: &'static OpSpec,
    /// The input object (or detect-url source), whole.
    pub input: &'a [u8],
    /// The request's parameters, already checked against `spec`.
    pub params: &'a ParamValues,
}

/// A user's stand-in: the answer's bytes (an image, whose format and size the mock reads
/// from them, or a document), or the COS error to answer with. It runs on the blocking pool.
pub type StandInFn = dyn Fn(StandInInput<'_>) -> Result<Vec<u8>, ProcessError> + Send + Sync;

/// How a server answers one operation.
#[derive(Clone)]
pub(crate) enum Serve {
    /// The spec's image stand-in, its inputs fed from each request's parameters.
    Image,
    /// The XML answer built from the spec's node tree.
    Generic,
    /// The user's closure.
    Custom(Arc<StandInFn>),
}

impl std::fmt::Debug for Serve {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Serve::Image => f.write_str("Image"),
            Serve::Generic => f.write_str("Generic"),
            Serve::Custom(_) => f.write_str("Custom"),
        }
    }
}

/// One operation a server serves.
#[derive(Clone, Debug)]
pub(crate) struct Served {
    /// Its description.
    pub spec: &'static OpSpec,
    /// How it is answered.
    pub serve: Serve,
}

impl Served {
    /// The built-in stand-in `spec` names: an image stand-in whose every input its spec can
    /// feed, or, for an XML answer, the document built from the node tree.
    pub fn standard(spec: &'static OpSpec) -> Result<Self, String> {
        let serve = match (spec.output, processors::check_stand_in(spec)) {
            (Output::Xml { .. } | Output::Json { .. }, _) => Serve::Generic,
            (Output::Image { .. }, Ok(StandIn::Xml | StandIn::Json)) => {
                return Err(format!(
                    "{} ({}) answers an image but names the stand-in {}, which writes XML; \
                     give it an image stand-in or your own with MockOperation::with_stand_in",
                    spec.name,
                    spec.source(),
                    spec.processor.kind
                ));
            }
            (Output::Image { .. }, Ok(_)) => Serve::Image,
            (Output::Image { .. }, Err(e)) => {
                return Err(format!(
                    "{} ({}): its stand-in cannot be fed: {}",
                    spec.name,
                    spec.source(),
                    e.message
                ));
            }
        };
        Ok(Served { spec, serve })
    }
}

/// The operations one server serves: the built-ins, then those registered on its builder.
#[derive(Debug)]
pub(crate) struct Routes {
    served: Vec<Served>,
}

impl Routes {
    /// The built-ins plus `extra`; a name served twice is refused, naming both sources.
    pub fn new(extra: Vec<Served>) -> Result<Self, String> {
        let mut served = OPERATIONS
            .iter()
            .copied()
            .map(Served::standard)
            .collect::<Result<Vec<_>, _>>()?;
        for op in extra {
            if let Some(other) = served.iter().find(|s| s.spec.name == op.spec.name) {
                return Err(format!(
                    "the operation {} of {} is also defined in {}",
                    op.spec.name,
                    op.spec.source(),
                    other.spec.source()
                ));
            }
            served.push(op);
        }
        Ok(Routes { served })
    }

    /// The operation whose download is also asked for by the bare query word `word`
    /// (`alias_query`: `?imageInspect`).
    pub fn find_alias(&self, word: &str) -> Option<&Served> {
        self.served
            .iter()
            .find(|s| s.spec.alias_query == Some(word))
    }

    /// The operation called `name` (its `ci-process` value).
    pub fn find(&self, name: &str) -> Option<&Served> {
        self.served.iter().find(|s| s.spec.name == name)
    }

    /// Every operation's description.
    pub fn specs(&self) -> Vec<&'static OpSpec> {
        self.served.iter().map(|s| s.spec).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_operation_is_routed_once_with_its_stand_in() {
        let routes = Routes::new(Vec::new()).expect("the built-ins are served");
        assert_eq!(routes.specs().len(), OPERATIONS.len());
        for spec in OPERATIONS {
            let served = routes.find(spec.name).expect("routed");
            assert_eq!(served.spec, *spec);
            match (spec.output, &served.serve) {
                (Output::Image { .. }, Serve::Image)
                | (Output::Xml { .. } | Output::Json { .. }, Serve::Generic) => {}
                (_, other) => panic!("{} is served by {other:?}", spec.name),
            }
        }
    }

    #[test]
    fn an_image_operation_naming_the_xml_stand_in_is_refused() {
        let spec = OPERATIONS
            .iter()
            .find(|s| matches!(s.output, Output::Image { .. }))
            .expect("an image operation");
        let xml: &'static OpSpec = Box::leak(Box::new(OpSpec {
            processor: cos_ci_validate::Processor {
                kind: cos_ci_validate::ProcessorKind::Xml,
                inputs: &[],
                flat_image_error: None,
            },
            ..**spec
        }));
        let err = Served::standard(xml).unwrap_err();
        assert!(
            err.contains(spec.name) && err.contains("writes XML"),
            "{err}"
        );
    }

    #[test]
    fn a_second_operation_of_one_name_is_refused_naming_both_files() {
        let spec = cos_ci_validate::find_operation("DetectFace").expect("built in");
        let copy: &'static OpSpec = Box::leak(Box::new(OpSpec {
            source_path: Some("mine/detect-face.yaml"),
            ..*spec
        }));
        let err = Routes::new(vec![Served::standard(copy).expect("xml")]).unwrap_err();
        assert!(err.contains("mine/detect-face.yaml"), "{err}");
        assert!(err.contains("spec/operations/detect-face.yaml"), "{err}");
    }
}
