//! HTTP `Range` header parsing and resolution (single byte range only).

/// A single byte range as written in a `Range: bytes=...` header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ByteRange {
    /// `bytes=a-b`: from offset `a` to offset `b`, both inclusive (`a <= b`).
    FromTo(u64, u64),
    /// `bytes=a-`: from offset `a` to the end.
    From(u64),
    /// `bytes=-n`: the last `n` bytes.
    Suffix(u64),
}

impl ByteRange {
    /// Parses a `Range` header value holding one byte range; `None` for
    /// anything else (multiple ranges, other units, malformed numbers), which
    /// a server should treat as "no range" per RFC 9110 §14.2.
    pub fn parse(header: &str) -> Option<Self> {
        let (unit, spec) = header.trim().split_once('=')?;
        if !unit.trim().eq_ignore_ascii_case("bytes") {
            return None;
        }
        let spec = spec.trim();
        // Multi-range requests would need multipart/byteranges; COS-style mocks don't.
        if spec.contains(',') {
            return None;
        }
        let (first, last) = spec.split_once('-')?;
        let (first, last) = (first.trim(), last.trim());
        match (first.is_empty(), last.is_empty()) {
            (true, true) => None,
            (true, false) => Some(Self::Suffix(parse_u64(last)?)),
            (false, true) => Some(Self::From(parse_u64(first)?)),
            (false, false) => {
                let (a, b) = (parse_u64(first)?, parse_u64(last)?);
                // `a > b` is syntactically invalid, so the header is ignored.
                (a <= b).then_some(Self::FromTo(a, b))
            }
        }
    }

    /// Resolves the range against an object of `size` bytes, giving the
    /// inclusive `(start, end)` offsets to serve; `None` means unsatisfiable
    /// (answer 416), e.g. a start beyond the end, a zero-length suffix, or any
    /// range on an empty object.
    pub fn resolve(self, size: u64) -> Option<(u64, u64)> {
        let last = size.checked_sub(1)?;
        match self {
            Self::FromTo(a, b) => (a <= b && a <= last).then(|| (a, b.min(last))),
            Self::From(a) => (a <= last).then_some((a, last)),
            Self::Suffix(0) => None,
            Self::Suffix(n) => Some((size.saturating_sub(n), last)),
        }
    }
}

impl std::fmt::Display for ByteRange {
    /// Formats as a `Range` header value, e.g. `bytes=0-99`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::FromTo(a, b) => write!(f, "bytes={a}-{b}"),
            Self::From(a) => write!(f, "bytes={a}-"),
            Self::Suffix(n) => write!(f, "bytes=-{n}"),
        }
    }
}

/// Strict decimal: `u64::from_str` would also accept a leading `+`.
fn parse_u64(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_the_three_forms() {
        assert_eq!(
            ByteRange::parse("bytes=0-99"),
            Some(ByteRange::FromTo(0, 99))
        );
        assert_eq!(ByteRange::parse("bytes=5-"), Some(ByteRange::From(5)));
        assert_eq!(ByteRange::parse("bytes=-7"), Some(ByteRange::Suffix(7)));
        assert_eq!(
            ByteRange::parse(" Bytes = 1 - 2 "),
            Some(ByteRange::FromTo(1, 2))
        );
    }

    #[test]
    fn rejects_malformed_headers() {
        for h in [
            "",
            "bytes",
            "bytes=",
            "bytes=-",
            "bytes=a-b",
            "bytes=+1-2",
            "bytes=1-+2",
            "bytes=5-4",
            "bytes=0-1,3-4",
            "items=0-1",
            "bytes=18446744073709551616-",
            "bytes=1-2-3",
            "bytes=--1",
        ] {
            assert_eq!(ByteRange::parse(h), None, "{h:?}");
        }
    }

    #[test]
    fn resolves_against_size() {
        assert_eq!(ByteRange::FromTo(0, 9).resolve(100), Some((0, 9)));
        assert_eq!(ByteRange::FromTo(90, 200).resolve(100), Some((90, 99)));
        assert_eq!(ByteRange::FromTo(99, 99).resolve(100), Some((99, 99)));
        assert_eq!(ByteRange::FromTo(100, 200).resolve(100), None);
        assert_eq!(ByteRange::From(10).resolve(100), Some((10, 99)));
        assert_eq!(ByteRange::From(100).resolve(100), None);
        assert_eq!(ByteRange::Suffix(10).resolve(100), Some((90, 99)));
        assert_eq!(ByteRange::Suffix(1000).resolve(100), Some((0, 99)));
        assert_eq!(ByteRange::Suffix(0).resolve(100), None);
        assert_eq!(ByteRange::From(0).resolve(0), None);
        assert_eq!(ByteRange::Suffix(5).resolve(0), None);
        assert_eq!(ByteRange::FromTo(0, 0).resolve(0), None);
    }

    fn any_range() -> impl Strategy<Value = ByteRange> {
        prop_oneof![
            (any::<u64>(), any::<u64>()).prop_map(|(a, b)| ByteRange::FromTo(a.min(b), a.max(b))),
            any::<u64>().prop_map(ByteRange::From),
            any::<u64>().prop_map(ByteRange::Suffix),
        ]
    }

    proptest! {
        #[test]
        fn display_parse_roundtrip(r in any_range()) {
            prop_assert_eq!(ByteRange::parse(&r.to_string()), Some(r));
        }

        #[test]
        fn resolved_range_is_within_object(r in any_range(), size in 0u64..10_000) {
            if let Some((s, e)) = r.resolve(size) {
                prop_assert!(s <= e && e < size);
            }
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = ByteRange::parse(&s);
            let _ = ByteRange::parse(&format!("bytes={s}"));
        }
    }
}
