//! `bulkflow_xlsx`: an XLSX sheet read in bounded memory at Rust speed, handed to Python as
//! batches of column buffers (bytes) that pyarrow wraps without a Python object per cell.
//!
//! The reading is pure Rust, tested by `cargo test` without Python: the zip (zipped.rs), the
//! XML scanner (scan/), the workbook parts (parts/), the sheet's cells (sheet/, fastcell.rs,
//! formats.rs, text.rs), the batches (batch.rs) and the reading thread (stream.rs). The
//! Python module (python.rs, `bulkflow_xlsx.pyi`) is built only with the `python` feature,
//! which maturin turns on.

pub mod batch;
pub mod fastcell;
pub mod formats;
pub mod parts;
#[cfg(feature = "python")]
mod python;
pub mod scan;
pub mod sheet;
pub mod stream;
pub mod text;
pub mod zipped;

#[cfg(test)]
mod testing;
