//! Indicators from prose. (Interface only; the extractor is being written.)

use crate::model::Ioc;
use std::io::Read;

/// Options of an [`Extractor`].
#[derive(Debug, Clone)]
pub struct ExtractOptions {
    /// Longest sentence kept with an indicator, in characters.
    pub max_sentence: usize,
}

impl Default for ExtractOptions {
    fn default() -> Self {
        ExtractOptions { max_sentence: 400 }
    }
}

/// Finds indicators in text. Built once, shared between threads.
#[derive(Debug, Clone, Default)]
pub struct Extractor {
    opts: ExtractOptions,
}

/// Why a stream could not be read to its end.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExtractError {
    /// Reading failed after `offset` bytes.
    #[error("read failed at byte {offset}: {source}")]
    Read {
        /// Bytes read before the failure.
        offset: u64,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl Extractor {
    /// An extractor with these options.
    pub fn new(opts: ExtractOptions) -> Self {
        Extractor { opts }
    }

    /// Every distinct indicator (kind and value) in `text`, in order of
    /// first appearance, with the first sentence and raw text it was seen
    /// in and the highest confidence it was seen with. Flagged values
    /// (private addresses, example domains...) are included with their
    /// [`crate::Flag`].
    pub fn extract(&self, text: &str) -> Vec<Ioc> {
        let _ = (text, &self.opts);
        Vec::new()
    }

    /// Like [`Extractor::extract`] over a stream, in bounded memory; calls
    /// `sink` once per distinct indicator. Returns the bytes read.
    pub fn extract_reader<R: Read>(
        &self,
        reader: R,
        sink: &mut dyn FnMut(Ioc),
    ) -> Result<u64, ExtractError> {
        let _ = (reader, sink);
        Ok(0)
    }
}
