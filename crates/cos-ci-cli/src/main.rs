//! The cos-ci command line (placeholder).
fn main() {}
