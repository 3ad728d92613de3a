//! Unpredictable bytes from the operating system through `getrandom` (already in a
//! downstream build through `tempfile`, the same major version, so it costs no crate): the
//! request log's salt must keep redacted fingerprints from being matched against guesses, and
//! upload ids must not be guessable by another account. Uniqueness-only uses (temporary file names, the request-id
//! instance) take the same source, being rare.

use std::hash::{BuildHasher, Hasher};

/// `N` random bytes. Should the operating system refuse (no Linux, macOS or Windows
/// version in use does), std's `RandomState` — SipHash under keys std itself took from the
/// operating system — stands in rather than failing a request.
pub fn bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    if getrandom::fill(&mut out).is_err() {
        for (i, chunk) in out.chunks_mut(8).enumerate() {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_usize(i);
            let time = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            h.write_u128(time);
            let v = h.finish().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
    out
}

/// A random `u64` (see [`bytes`]).
pub fn u64() -> u64 {
    u64::from_le_bytes(bytes())
}

/// A random `u128` (see [`bytes`]).
pub fn u128() -> u128 {
    u128::from_le_bytes(bytes())
}

#[cfg(test)]
mod tests {
    #[test]
    fn draws_differ() {
        // 128 bits twice alike would mean no randomness at all.
        assert_ne!(super::u128(), super::u128());
        assert_ne!(super::bytes::<16>(), [0; 16]);
    }
}
