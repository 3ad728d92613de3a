//! JPEG completeness: zune-jpeg (behind `image`) pads a truncated scan with grey instead of
//! failing, so the mock walks the marker segments itself to insist on an end-of-image marker.

const SOS: u8 = 0xDA;
const EOI: u8 = 0xD9;

/// True when the marker segments parse from SOI through to EOI. Entropy-coded data after SOS is
/// skipped byte-wise (0xFF00 stuffing and RSTn are not markers); an embedded EXIF thumbnail sits
/// inside an APP segment and is skipped whole, so its own EOI cannot fool the check.
pub(crate) fn is_complete(bytes: &[u8]) -> bool {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return false;
    }
    let mut i = 2;
    loop {
        if bytes.get(i) != Some(&0xFF) {
            return false;
        }
        // Any number of 0xFF fill bytes may precede a marker code.
        while bytes.get(i + 1) == Some(&0xFF) {
            i += 1;
        }
        let Some(&marker) = bytes.get(i + 1) else {
            return false;
        };
        i += 2;
        match marker {
            EOI => return true,
            0x01 | 0xD0..=0xD7 => continue, // TEM and RSTn carry no length
            _ => {}
        }
        let Some(&[hi, lo]) = bytes
            .get(i..i + 2)
            .and_then(|s| <&[u8; 2]>::try_from(s).ok())
        else {
            return false;
        };
        let len = usize::from(u16::from_be_bytes([hi, lo]));
        if len < 2 {
            return false;
        }
        i += len;
        if marker == SOS {
            match skip_entropy_data(bytes, i) {
                Some(next) => i = next,
                None => return false,
            }
        }
    }
}

/// The index of the next real marker after entropy-coded data starting at `from`.
fn skip_entropy_data(bytes: &[u8], mut from: usize) -> Option<usize> {
    loop {
        let j = from + bytes.get(from..)?.iter().position(|&b| b == 0xFF)?;
        match *bytes.get(j + 1)? {
            0x00 | 0xD0..=0xD7 => from = j + 2,
            0xFF => from = j + 1,
            _ => return Some(j),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SOI, an APP0 of 4 bytes, SOS with 2 payload bytes, scan data with stuffing and RST0, EOI.
    const MINIMAL: &[u8] = &[
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 1, 2, 0xFF, 0xDA, 0x00, 0x04, 0, 0, 0x12, 0xFF, 0x00,
        0x34, 0xFF, 0xD0, 0x56, 0xFF, 0xD9,
    ];

    #[test]
    fn complete_stream_passes_and_every_truncation_fails() {
        assert!(is_complete(MINIMAL));
        for cut in 0..MINIMAL.len() {
            assert!(!is_complete(&MINIMAL[..cut]), "cut at {cut}");
        }
    }

    #[test]
    fn an_eoi_inside_an_app_segment_does_not_count() {
        // An APP1 whose payload contains FF D9 (like an EXIF thumbnail), then a truncated scan.
        let bytes = [
            0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x04, 0xFF, 0xD9, 0xFF, 0xDA, 0x00, 0x02, 0x11,
        ];
        assert!(!is_complete(&bytes));
    }

    #[test]
    fn trailing_bytes_after_eoi_are_tolerated() {
        let mut bytes = MINIMAL.to_vec();
        bytes.extend_from_slice(b"trailer");
        assert!(is_complete(&bytes));
    }
}
