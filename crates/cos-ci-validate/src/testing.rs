//! Checks of an operation's documented examples: the generated tests of every operation call
//! these, and tests of operations of your own can too. They panic with what differs.
//!
//! ```
//! use cos_ci_validate::ai_enhance_image::{AiEnhanceImage, SPEC};
//! use cos_ci_validate::testing::{assert_example, assert_rejected};
//!
//! let params = AiEnhanceImage::new().with_denoise(1).with_sharpen(5);
//! assert_example(&params, "ci-process=AIEnhanceImage&denoise=1&sharpen=5");
//! assert_rejected(&SPEC, &[("sharpen", "6")], "sharpen");
//! ```

use std::fmt::Debug;

use crate::{OpSpec, Operation};

/// Asserts that `params` encode to exactly `wire` both as a download query and as a
/// Pic-Operations rule, and that both decode back to `params`.
#[track_caller]
pub fn assert_example<O: Operation + PartialEq + Debug>(params: &O, wire: &str) {
    assert_query(params, wire);
    assert_rule(params, wire);
}

/// Asserts that `params` encode to exactly the download query `query` and decode back.
#[track_caller]
pub fn assert_query<O: Operation + PartialEq + Debug>(params: &O, query: &str) {
    let name = O::SPEC.name;
    match params.to_query() {
        Ok(encoded) => assert_eq!(encoded, query, "{name}: the query of {params:?}"),
        Err(e) => panic!("{name}: {params:?} is refused: {e}"),
    }
    match O::from_query(query) {
        Ok(decoded) => assert_eq!(&decoded, params, "{name}: the query {query} decoded"),
        Err(e) => panic!("{name}: the query {query} is refused: {e}"),
    }
}

/// Asserts that `params` encode to exactly the Pic-Operations rule `rule` and decode back.
#[track_caller]
pub fn assert_rule<O: Operation + PartialEq + Debug>(params: &O, rule: &str) {
    let name = O::SPEC.name;
    match params.to_rule() {
        Ok(encoded) => assert_eq!(encoded, rule, "{name}: the rule of {params:?}"),
        Err(e) => panic!("{name}: {params:?} is refused: {e}"),
    }
    match O::from_rule(rule) {
        Ok(decoded) => assert_eq!(&decoded, params, "{name}: the rule {rule} decoded"),
        Err(e) => panic!("{name}: the rule {rule} is refused: {e}"),
    }
}

/// Asserts that `spec` refuses the wire `pairs` (name, value) with a violation of `param`.
#[track_caller]
pub fn assert_rejected(spec: &OpSpec, pairs: &[(&str, &str)], param: &str) {
    match spec.decode_pairs(pairs.iter().copied(), true) {
        Ok(values) => panic!("{}: {pairs:?} is accepted as {values:?}", spec.name),
        Err(err) => assert!(err.names(param), "{}: {err} names no `{param}`", spec.name),
    }
}
