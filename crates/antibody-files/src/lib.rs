//! The files engine (being written).
pub mod process;
