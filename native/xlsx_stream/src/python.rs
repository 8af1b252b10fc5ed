//! The Python module `bulkflow_xlsx` (typed in `bulkflow_xlsx.pyi`): `open()` starts a
//! stream.rs reading, and `SheetStream.next_batch()` hands its batches over as tuples of
//! bytes, the GIL released while Rust reads.

use std::sync::Mutex;

use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyTuple};

use crate::batch::{Batch, Column};
use crate::sheet::Merged;
use crate::stream::{open_sheet, Limits, SheetReading};
use crate::text::Dims;

create_exception!(bulkflow_xlsx, XlsxReadError, PyValueError);

/// ReaderLimits.max_uncompressed_bytes's default: 2 GiB
const DEFAULT_MAX_INFLATED: u64 = 2 * 1024 * 1024 * 1024;
const BROKEN: &str = "the reader is broken";

/// One sheet being read; `next_batch()` until it returns None.
#[pyclass(module = "bulkflow_xlsx")]
pub struct SheetStream {
    #[pyo3(get)]
    sheet_names: Vec<String>,
    #[pyo3(get)]
    sheet: String,
    #[pyo3(get)]
    is_1904: bool,
    #[pyo3(get)]
    batch_rows: u32,
    /// ((first_row, first_col), (last_row, last_col)), 0-based, as the sheet's <dimension>
    /// declares it (((0, 0), (0, 0)) when it declares none)
    #[pyo3(get)]
    dimensions: Dims,
    reading: Mutex<Option<SheetReading>>,
    merged: Mutex<Merged>,
}

fn read_error(reason: impl Into<String>) -> PyErr {
    XlsxReadError::new_err(reason.into())
}

/// Open `path` and start reading `sheet` (the first sheet when None) in batches of
/// `batch_rows` rows; a cell at or beyond column `max_columns` is an error, and so is a zip
/// member that inflates beyond its declared size or `max_inflated_bytes`.
#[pyfunction]
#[pyo3(signature = (path, sheet=None, batch_rows=10_000, max_columns=1_000, max_inflated_bytes=DEFAULT_MAX_INFLATED))]
fn open(
    py: Python<'_>,
    path: &str,
    sheet: Option<&str>,
    batch_rows: u32,
    max_columns: usize,
    max_inflated_bytes: u64,
) -> PyResult<SheetStream> {
    if batch_rows == 0 {
        return Err(PyValueError::new_err("batch_rows must be at least 1"));
    }
    let limits = Limits {
        batch_rows,
        max_columns,
        max_inflated_bytes,
    };
    let opened = py
        .detach(|| open_sheet(path, sheet, limits))
        .map_err(read_error)?;
    Ok(SheetStream {
        sheet_names: opened.sheet_names,
        sheet: opened.sheet,
        is_1904: opened.is_1904,
        batch_rows,
        dimensions: opened.dimensions,
        reading: Mutex::new(Some(opened.reading)),
        merged: Mutex::new(Merged::default()),
    })
}

fn column_tuple<'py>(py: Python<'py>, column: &Column) -> PyResult<Bound<'py, PyTuple>> {
    let values = PyBytes::new_with(py, column.values.len() * 8, |out| {
        for (chunk, value) in out.chunks_exact_mut(8).zip(&column.values) {
            chunk.copy_from_slice(&value.to_ne_bytes());
        }
        Ok(())
    })?;
    let offsets = PyBytes::new_with(py, column.offsets.len() * 4, |out| {
        for (chunk, offset) in out.chunks_exact_mut(4).zip(&column.offsets) {
            chunk.copy_from_slice(&offset.to_ne_bytes());
        }
        Ok(())
    })?;
    PyTuple::new(
        py,
        [
            PyBytes::new(py, &column.kind).into_any(),
            values.into_any(),
            PyBytes::new(py, &column.text).into_any(),
            offsets.into_any(),
        ],
    )
}

fn batch_tuple<'py>(py: Python<'py>, batch: &Batch) -> PyResult<Bound<'py, PyTuple>> {
    let columns = PyList::empty(py);
    for column in &batch.columns {
        columns.append(column_tuple(py, column)?)?;
    }
    PyTuple::new(
        py,
        [
            batch.first_row.into_pyobject(py)?.into_any(),
            batch.n_rows.into_pyobject(py)?.into_any(),
            columns.into_any(),
        ],
    )
}

#[pymethods]
impl SheetStream {
    /// The next batch as (first_row, n_rows, [(kind, values, text, offsets), ...]), or None
    /// at the end of the sheet. Raises XlsxReadError on a damaged sheet. One thread at a
    /// time: the reading is taken out of the object while a batch is awaited.
    fn next_batch<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        let Some(mut reading) = self.take_reading()? else {
            return Ok(None);
        };
        // the GIL is released while the reading thread finishes the batch
        let (next, mut reading) = py.detach(move || (reading.next_batch(), reading));
        match next {
            Ok(Some(batch)) => {
                *self.reading.lock().map_err(|_| read_error(BROKEN))? = Some(reading);
                batch_tuple(py, &batch).map(Some)
            }
            Ok(None) => {
                *self.merged.lock().map_err(|_| read_error(BROKEN))? = reading.take_merged();
                py.detach(move || drop(reading));
                Ok(None)
            }
            Err(reason) => {
                py.detach(move || drop(reading));
                Err(read_error(reason))
            }
        }
    }

    /// The sheet's merged ranges (((first_row, first_col), (last_row, last_col)), 0-based)
    /// and how many more it declares past the first 1,000; known once `next_batch()` has
    /// returned None, empty before.
    fn merged_cells(&self) -> PyResult<(Vec<Dims>, usize)> {
        let merged = self.merged.lock().map_err(|_| read_error(BROKEN))?;
        Ok((merged.ranges.clone(), merged.more))
    }

    /// Stop reading and release the file; later `next_batch()` calls return None.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        if let Some(reading) = self.take_reading()? {
            py.detach(move || drop(reading));
        }
        Ok(())
    }
}

impl SheetStream {
    fn take_reading(&self) -> PyResult<Option<SheetReading>> {
        Ok(self.reading.lock().map_err(|_| read_error(BROKEN))?.take())
    }
}

#[pymodule]
fn bulkflow_xlsx(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(open, m)?)?;
    m.add_class::<SheetStream>()?;
    m.add("XlsxReadError", m.py().get_type::<XlsxReadError>())?;
    Ok(())
}
