//! Progress bars for transfers larger than a few megabytes, on a terminal only.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// Transfers at least this large show progress.
const THRESHOLD: u64 = 4 * 1024 * 1024;

/// A bar for `total` bytes, or a hidden one when the transfer is small or stderr is no terminal.
pub fn bar(total: Option<u64>, label: &str) -> ProgressBar {
    let show = std::io::stderr().is_terminal() && total.is_none_or(|t| t >= THRESHOLD);
    if !show {
        return ProgressBar::hidden();
    }
    let bar = match total {
        Some(t) => ProgressBar::new(t),
        None => ProgressBar::new_spinner(),
    };
    if let Ok(style) =
        ProgressStyle::with_template("{msg} {bar:30} {bytes}/{total_bytes} {bytes_per_sec}")
    {
        bar.set_style(style);
    }
    bar.set_message(label.to_string());
    bar
}
