//! Client <-> mock end to end, and other workspace-level checks.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod add_operation;
mod client_mock;
mod client_transfer;
mod every_operation;
mod mock_bad_input;
mod mock_permissions;
mod mock_storage;
mod mock_support;
