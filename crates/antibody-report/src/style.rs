//! ANSI colours for the terminal printer: the few escape codes antibody
//! writes itself, and nothing else.
//!
//! Text is always escaped with [`crate::text::clean`] before it is painted,
//! so these are the only escape sequences that can reach the terminal.

use antibody_core::Severity;

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";
const BOLD_RED: &str = "\x1b[1;31m";
const RED: &str = "\x1b[31m";
const YELLOW: &str = "\x1b[33m";
const CYAN: &str = "\x1b[36m";

/// Every sequence [`Paint`] can emit, for tests that check nothing else
/// reaches the output.
#[cfg(test)]
pub(crate) const ALL_CODES: [&str; 7] = [RESET, BOLD, DIM, BOLD_RED, RED, YELLOW, CYAN];

/// Paints text when colour is on; passes it through otherwise.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Paint {
    on: bool,
}

impl Paint {
    /// A painter that colours only when `on`.
    pub(crate) fn new(on: bool) -> Self {
        Paint { on }
    }

    fn wrap(self, code: &str, text: &str) -> String {
        if self.on && !text.is_empty() {
            format!("{code}{text}{RESET}")
        } else {
            text.to_string()
        }
    }

    /// Headings and the verdict.
    pub(crate) fn bold(self, text: &str) -> String {
        self.wrap(BOLD, text)
    }

    /// Secondary details (confidence, counts, "… N more").
    pub(crate) fn dim(self, text: &str) -> String {
        self.wrap(DIM, text)
    }

    /// Text in the colour of `severity`: bold red for critical, red for
    /// high, yellow for medium, cyan for low, dim for info.
    pub(crate) fn severity(self, severity: Severity, text: &str) -> String {
        let code = match severity {
            Severity::Critical => BOLD_RED,
            Severity::High => RED,
            Severity::Medium => YELLOW,
            Severity::Low => CYAN,
            Severity::Info => DIM,
        };
        self.wrap(code, text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_means_no_escape_codes() {
        let p = Paint::new(false);
        assert_eq!(p.severity(Severity::Critical, "CRITICAL"), "CRITICAL");
        assert_eq!(p.bold("x"), "x");
    }

    #[test]
    fn on_wraps_and_resets() {
        let p = Paint::new(true);
        assert_eq!(
            p.severity(Severity::Critical, "CRITICAL"),
            "\x1b[1;31mCRITICAL\x1b[0m"
        );
        assert_eq!(p.dim(""), "", "nothing to paint, no codes");
    }
}
