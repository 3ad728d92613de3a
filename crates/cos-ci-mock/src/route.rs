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
}
