//! The integration tests: one binary, a module per area.

mod live;
mod show;
mod util;
