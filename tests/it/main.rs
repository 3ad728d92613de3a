//! Client <-> mock end to end, and other workspace-level checks.

mod client_mock;
