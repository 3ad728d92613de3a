//! `-v` / `--debug`: tracing to stderr, for cos-ci's own crates only.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

/// Installs the subscriber. Without `-v` only warnings print; `-v` adds what the CLI does
/// (info), `-vv` or `--debug` every call: the client's `cos_ci` span (operation, mode, key,
/// attempt, request id) is printed when it closes, and retries inside it.
///
/// Only the `cos_ci*` crates log: the HTTP stack's own debug output would print headers,
/// and a security token travels in one. RUST_LOG is not read for the same reason.
pub fn init(verbose: u8, debug: bool) {
    let level = match (verbose, debug) {
        (_, true) | (2.., _) => "debug",
        (1, _) => "info",
        _ => "warn",
    };
    let filter = EnvFilter::new(format!(
        "off,cos_ci={level},cos_ci_cli={level},cos_ci_client={level}"
    ));
    let spans = if level == "debug" {
        FmtSpan::CLOSE
    } else {
        FmtSpan::NONE
    };
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    // A second init (never in the binary) keeps the first subscriber.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(spans)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .try_init();
}
