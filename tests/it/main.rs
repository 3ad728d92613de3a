//! Client <-> mock end to end, and other workspace-level checks.

mod add_operation;
mod client_mock;
mod every_operation;
