//! How the mock serves each operation. The table itself (`ROUTES`) is generated from the spec.

use cos_ci_validate::OpSpec;

use crate::processors::ImageInfo;

/// One operation the mock serves.
#[derive(Clone, Copy, Debug)]
pub struct Route {
    /// The operation's description: parameters, modes, permissions, limits, stand-in.
    pub spec: &'static OpSpec,
    /// What the operation answers.
    pub answer: Answer,
}

/// What an operation answers with.
#[derive(Clone, Copy, Debug)]
pub enum Answer {
    /// An image made by the spec's stand-in processor.
    Image,
    /// An XML document built from the spec's node tree for the input image.
    Xml(fn(&ImageInfo) -> String),
}

/// Every operation the mock serves.
pub fn routes() -> &'static [Route] {
    crate::generated::ROUTES
}

/// The route of the `ci-process` operation called `name`.
pub fn find(name: &str) -> Option<&'static Route> {
    routes().iter().find(|r| r.spec.name == name)
}
