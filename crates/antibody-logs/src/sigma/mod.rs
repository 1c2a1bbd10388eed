//! Sigma: rules, filters, collections and correlations, parsed from YAML,
//! compiled once into matchers, evaluated per event.

pub mod condition;
pub mod correlation;
pub mod error;
mod pattern;
pub mod rule;
pub mod ruleset;
pub mod value;
pub mod yaml;

pub use error::{RuleError, RuleErrorKind};
