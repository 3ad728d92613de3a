//! What a stand-in is given: each of its inputs read from the parameter the operation's spec
//! feeds it from (`mock.inputs`), or from that parameter's `default`.
//!
//! This is the one place parameters become inputs, for every operation alike — built in or
//! loaded at run time — so no processor knows a parameter's name, default or range.

use cos_ci_validate::{OpSpec, ParamSpec, ParamValues, Value};

use super::{ProcessError, StandIn};

/// Where a stand-in reads its typed inputs, by input name (`StandIn::read`).
pub trait Inputs {
    /// A whole-number input.
    fn integer(&self, input: &str) -> Result<u32, ProcessError>;
    /// A flag input.
    fn flag(&self, input: &str) -> Result<bool, ProcessError>;
    /// A pair input.
    fn pair(&self, input: &str) -> Result<(u32, u32), ProcessError>;
    /// A text input, as its 64-bit FNV-1a digest (stand-ins draw patterns from texts).
    fn text_digest(&self, input: &str) -> Result<u64, ProcessError>;
}

/// The 64-bit FNV-1a digest of `text`: small, stable across builds and platforms.
pub fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The stand-in of `spec` with its inputs taken from a request's `values` (already checked
/// against `spec`), absent parameters at their defaults.
pub fn stand_in(spec: &OpSpec, values: &ParamValues) -> Result<StandIn, ProcessError> {
    StandIn::read(
        spec.processor.kind,
        &Fed {
            spec,
            values: Some(values),
        },
    )
}

/// Whether `spec`'s stand-in can be fed: every input from a parameter of `spec` that a
/// request carries or that has a default of the input's type. The server checks this when it
/// starts, so an operation built in code is refused then rather than on its first request.
pub fn check_stand_in(spec: &OpSpec) -> Result<StandIn, ProcessError> {
    StandIn::read(spec.processor.kind, &Fed { spec, values: None })
}

/// The inputs of one operation's stand-in; without `values`, a required parameter reads as a
/// placeholder (only whether it can be read is asked).
struct Fed<'a> {
    spec: &'a OpSpec,
    values: Option<&'a ParamValues>,
}

/// What a required parameter reads as when no request is at hand.
enum Read<T> {
    Value(T),
    Placeholder,
}

impl Fed<'_> {
    /// The parameter feeding `input` and its value: the request's, else the default.
    fn read<T>(
        &self,
        input: &str,
        expected: &str,
        typed: fn(&Value) -> Option<T>,
    ) -> Result<Read<T>, ProcessError> {
        let spec = self.spec;
        let param: &ParamSpec = spec
            .processor
            .param_of(input)
            .and_then(|name| spec.param(name))
            .ok_or_else(|| {
                ProcessError::internal(format!(
                    "{} ({}) feeds the input `{input}` of its stand-in `{}` from no parameter",
                    spec.name,
                    spec.source(),
                    spec.processor.kind
                ))
            })?;
        let value = match (self.values.and_then(|v| v.get(param.name)), param.default) {
            (Some(value), _) => value.clone(),
            (None, Some(default)) => OpSpec::parse_value(param, default).map_err(|v| {
                ProcessError::internal(format!(
                    "the default {default:?} of `{}` in {} ({}) is not allowed: {}",
                    param.name,
                    spec.name,
                    spec.source(),
                    v.allowed
                ))
            })?,
            (None, None) if param.required && self.values.is_none() => {
                return Ok(Read::Placeholder);
            }
            (None, None) => {
                return Err(ProcessError::internal(format!(
                    "`{}` of {} ({}) feeds `{input}` but has no value and no default",
                    param.name,
                    spec.name,
                    spec.source()
                )));
            }
        };
        typed(&value).map(Read::Value).ok_or_else(|| {
            ProcessError::invalid_argument(format!(
                "`{}`={} cannot feed the input `{input}` of `{}`, which takes {expected}",
                param.name,
                value.to_wire(&param.kind),
                spec.processor.kind
            ))
        })
    }
}

impl Inputs for Fed<'_> {
    fn integer(&self, input: &str) -> Result<u32, ProcessError> {
        let typed = |v: &Value| match v {
            Value::Int(n) => u32::try_from(*n).ok(),
            _ => None,
        };
        let read = self.read(input, "a whole number from 0 to 4294967295", typed)?;
        Ok(match read {
            Read::Value(v) => v,
            Read::Placeholder => 0,
        })
    }

    fn flag(&self, input: &str) -> Result<bool, ProcessError> {
        let typed = |v: &Value| match v {
            Value::Flag(b) => Some(*b),
            _ => None,
        };
        Ok(match self.read(input, "0 or 1", typed)? {
            Read::Value(v) => v,
            Read::Placeholder => false,
        })
    }

    fn pair(&self, input: &str) -> Result<(u32, u32), ProcessError> {
        let typed = |v: &Value| match v {
            Value::Pair(a, b) => Some((*a, *b)),
            _ => None,
        };
        Ok(match self.read(input, "a pair of numbers", typed)? {
            Read::Value(v) => v,
            Read::Placeholder => (0, 0),
        })
    }
    fn text_digest(&self, input: &str) -> Result<u64, ProcessError> {
        let typed = |v: &Value| match v {
            Value::Text(t) => Some(fnv1a(t)),
            _ => None,
        };
        Ok(match self.read(input, "a text", typed)? {
            Read::Value(v) => v,
            Read::Placeholder => 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use cos_ci_validate::{OPERATIONS, Output, ProcessorKind};

    use super::*;

    #[test]
    fn every_image_operation_is_fed_from_its_spec_alone() {
        let mut fed = 0;
        for spec in OPERATIONS {
            let stand_in = stand_in(spec, &ParamValues::new());
            match spec.output {
                // Required parameters are missing here; those operations are checked below.
                Output::Image { .. } if spec.params.iter().any(|p| p.required) => {}
                Output::Image { .. } => {
                    let stand_in = stand_in.unwrap_or_else(|e| panic!("{}: {e}", spec.name));
                    assert_eq!(stand_in.kind(), spec.processor.kind, "{}", spec.name);
                    fed += 1;
                }
                // A document names the xml/json writer, or an image stand-in whose picture
                // fills its base64 nodes (possibly fed by required parameters, missing here).
                Output::Xml { .. } | Output::Json { .. } => match stand_in {
                    Ok(s) => assert_eq!(s.kind(), spec.processor.kind, "{}", spec.name),
                    Err(e) => assert!(spec.params.iter().any(|p| p.required), "{}: {e}", spec.name),
                },
            }
            check_stand_in(spec).unwrap_or_else(|e| panic!("{}: {e}", spec.name));
        }
        assert!(fed >= 5, "only {fed} image operations fed");
    }

    /// The values come from the request, else from the spec's defaults: never from the mock.
    #[test]
    fn inputs_take_the_request_then_the_spec_default() {
        let spec = OPERATIONS
            .iter()
            .find(|s| s.processor.kind == ProcessorKind::SuperResolution)
            .expect("an operation uses super-resolution");
        let (input, param) = spec.processor.inputs[0];
        let param = spec.param(param).expect("declared");
        let default: i64 = param
            .default
            .and_then(|d| d.parse().ok())
            .expect("an integer default");
        let fed = |values: &ParamValues| match stand_in(spec, values) {
            Ok(StandIn::SuperResolution(inputs)) => i64::from(inputs.magnify),
            other => panic!("{other:?}"),
        };
        assert_eq!(fed(&ParamValues::new()), default, "{input}");
        let cos_ci_validate::ParamKind::IntegerSet(allowed) = param.kind else {
            panic!("{:?}", param.kind);
        };
        for &v in allowed {
            let mut values = ParamValues::new();
            values.set(param.name, Value::Int(v));
            assert_eq!(fed(&values), v);
        }
    }

    #[test]
    fn an_input_fed_by_no_parameter_is_refused_naming_the_operation() {
        let spec = OPERATIONS
            .iter()
            .find(|s| s.processor.kind == ProcessorKind::Enhance)
            .expect("an operation uses enhance");
        let unfed: &'static OpSpec = Box::leak(Box::new(OpSpec {
            processor: cos_ci_validate::Processor {
                inputs: &spec.processor.inputs[1..],
                ..spec.processor
            },
            ..**spec
        }));
        let e = check_stand_in(unfed).unwrap_err();
        assert_eq!(e.code, ProcessError::INTERNAL_ERROR);
        assert!(e.message.contains(spec.name), "{e}");
        assert!(e.message.contains(spec.processor.inputs[0].0), "{e}");
    }

    #[test]
    fn a_value_of_the_wrong_type_is_an_invalid_argument() {
        let spec = OPERATIONS
            .iter()
            .find(|s| s.processor.kind == ProcessorKind::Enhance)
            .expect("an operation uses enhance");
        let (_, param) = spec.processor.inputs[0];
        let param = spec.param(param).expect("declared");
        let mut values = ParamValues::new();
        values.set(param.name, Value::Int(-1));
        let e = stand_in(spec, &values).unwrap_err();
        assert_eq!(e.code, ProcessError::INVALID_ARGUMENT, "{e}");
    }
}
