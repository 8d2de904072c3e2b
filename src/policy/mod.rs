//! Policies.
pub mod yaml;
