//! Client <-> mock end to end, and other workspace-level checks.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod add_operation;
mod client_batch;
mod client_config;
mod client_mock;
mod client_transfer;
mod every_operation;
mod mock_bad_input;
mod mock_bucket;
mod mock_fuzz;
mod mock_hostile_admin;
mod mock_hostile_auth;
mod mock_hostile_budget;
mod mock_multipart;
mod mock_permissions;
mod mock_storage;
mod mock_support;
mod relations;
mod runtime_ops;
mod upload_answers;
mod wire_forms;
