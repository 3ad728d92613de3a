//! How the mock serves each operation. The built-in table (`ROUTES`) is generated from the
//! spec; a server's own table ([`Routes`]) is the built-ins plus the operations registered on
//! its builder (`MockServer::builder().operation(..)`).

use std::sync::Arc;

use cos_ci_validate::{OpSpec, Output, ParamValues};

use crate::processors::{ImageInfo, ProcessError};

/// One built-in operation, as the generator writes it.
#[derive(Clone, Copy, Debug)]
pub struct Route {
    /// The operation's description: parameters, modes, permissions, limits, stand-in.
    pub spec: &'static OpSpec,
    /// What the operation answers.
    pub answer: Answer,
}

/// What a built-in operation answers with.
#[derive(Clone, Copy, Debug)]
pub enum Answer {
    /// An image made by the spec's stand-in processor.
    Image,
    /// An XML document built from the spec's node tree for the input image.
    Xml(fn(&ImageInfo) -> String),
}

/// Every built-in operation.
pub fn routes() -> &'static [Route] {
    crate::generated::ROUTES
}

/// The built-in route of the `ci-process` operation called `name`.
pub fn find(name: &str) -> Option<&'static Route> {
    routes().iter().find(|r| r.spec.name == name)
}

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
    /// The spec's image stand-in processor.
    Image,
    /// Generated code writes the XML answer.
    Xml(fn(&ImageInfo) -> String),
    /// The XML answer built from the spec's node tree at run time.
    Generic,
    /// The user's closure.
    Custom(Arc<StandInFn>),
}

impl std::fmt::Debug for Serve {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Serve::Image => f.write_str("Image"),
            Serve::Xml(_) => f.write_str("Xml"),
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
    /// A built-in route.
    pub fn builtin(route: &Route) -> Self {
        let serve = match route.answer {
            Answer::Image => Serve::Image,
            Answer::Xml(answer) => Serve::Xml(answer),
        };
        Served {
            spec: route.spec,
            serve,
        }
    }

    /// The built-in stand-in `spec` names: an image processor, or the generic XML answer.
    pub fn standard(spec: &'static OpSpec) -> Result<Self, String> {
        let serve = match spec.output {
            Output::Xml { .. } => Serve::Generic,
            Output::Image { .. } if crate::processors::PROCESSORS.contains(&spec.processor) => {
                Serve::Image
            }
            Output::Image { .. } => {
                return Err(format!(
                    "{} ({}) names the stand-in {:?}; the mock has {}, or give it your own \
                     with MockOperation::with_stand_in",
                    spec.name,
                    spec.source,
                    spec.processor,
                    crate::processors::PROCESSORS.join(", ")
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
        let mut served: Vec<Served> = routes().iter().map(Served::builtin).collect();
        for op in extra {
            if let Some(other) = served.iter().find(|s| s.spec.name == op.spec.name) {
                return Err(format!(
                    "the operation {} of {} is also defined in {}",
                    op.spec.name, op.spec.source, other.spec.source
                ));
            }
            served.push(op);
        }
        Ok(Routes { served })
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
    fn every_image_operation_has_a_stand_in() {
        for route in routes() {
            if let Answer::Image = route.answer {
                assert!(
                    crate::processors::PROCESSORS.contains(&route.spec.processor),
                    "{} uses {:?}",
                    route.spec.name,
                    route.spec.processor
                );
            }
        }
    }

    #[test]
    fn every_operation_is_routed_once() {
        let names: Vec<&str> = routes().iter().map(|r| r.spec.name).collect();
        assert_eq!(names.len(), cos_ci_validate::OPERATIONS.len());
        for name in &names {
            assert_eq!(find(name).map(|r| r.spec.name), Some(*name));
        }
    }

    #[test]
    fn a_second_operation_of_one_name_is_refused_naming_both_files() {
        let spec = cos_ci_validate::find_operation("DetectFace").expect("built in");
        let copy: &'static OpSpec = Box::leak(Box::new(OpSpec {
            source: "mine/detect-face.yaml",
            ..*spec
        }));
        let err = Routes::new(vec![Served::standard(copy).expect("xml")]).unwrap_err();
        assert!(err.contains("mine/detect-face.yaml"), "{err}");
        assert!(err.contains("spec/operations/detect-face.yaml"), "{err}");
    }
}
