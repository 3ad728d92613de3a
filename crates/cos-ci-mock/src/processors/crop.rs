//! AIImageCrop's stand-in: a centred crop of the requested size (or ratio).
//!
//! The real service crops around the most important content; the centre is the honest,
//! deterministic stand-in a test can predict.

/// The crop size for an image of `width` x `height` asked for `want_w` x `want_h`.
///
/// `fixed`: exactly the asked size, clamped to the image. Otherwise the largest crop with the
/// asked ratio that fits in the image.
pub fn size(width: u64, height: u64, want_w: u64, want_h: u64, fixed: bool) -> (u64, u64) {
    let (want_w, want_h) = (want_w.max(1), want_h.max(1));
    if fixed {
        return (want_w.min(width).max(1), want_h.min(height).max(1));
    }
    // Scale the asked box up or down until it touches the image's edge.
    if width * want_h <= height * want_w {
        (
            width.max(1),
            (width * want_h / want_w).clamp(1, height.max(1)),
        )
    } else {
        (
            (height * want_w / want_h).clamp(1, width.max(1)),
            height.max(1),
        )
    }
}

/// The top-left corner of a centred `crop_w` x `crop_h` crop.
pub fn origin(width: u32, height: u32, crop_w: u32, crop_h: u32) -> (u32, u32) {
    (
        width.saturating_sub(crop_w) / 2,
        height.saturating_sub(crop_h) / 2,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_is_exact_or_clamped() {
        assert_eq!(size(100, 80, 30, 20, true), (30, 20));
        assert_eq!(size(100, 80, 300, 20, true), (100, 20));
    }

    #[test]
    fn free_keeps_the_ratio_at_the_largest_size() {
        assert_eq!(size(100, 80, 1, 1, false), (80, 80));
        assert_eq!(size(100, 80, 20, 10, false), (100, 50));
        assert_eq!(size(100, 80, 10, 20, false), (40, 80));
    }

    #[test]
    fn centred() {
        assert_eq!(origin(100, 80, 40, 80), (30, 0));
        assert_eq!(origin(10, 10, 20, 20), (0, 0));
    }
}
