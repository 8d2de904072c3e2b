//! Reports: render a snapshot (and later, findings) for people and programs.
//! Reporters only read; they never collect.

pub mod catalog;
pub mod json;
pub mod table;
