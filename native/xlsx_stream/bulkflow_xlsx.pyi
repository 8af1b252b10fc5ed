"""Types of the Rust extension (src/lib.rs); maturin ships this file as the package stub."""

# (kind, values, text, offsets): u8 per row, f64 per row, UTF-8 text, i32 per row + 1
ColumnBuffers = tuple[bytes, bytes, bytes, bytes]
# (first_row, n_rows, columns): first_row is the 0-based sheet row of the batch's first row
RawBatch = tuple[int, int, list[ColumnBuffers]]

class XlsxReadError(ValueError): ...

class SheetStream:
    sheet_names: list[str]
    sheet: str
    is_1904: bool
    batch_rows: int
    dimensions: tuple[tuple[int, int], tuple[int, int]]
    def next_batch(self) -> RawBatch | None: ...
    def merged_cells(self) -> tuple[list[tuple[tuple[int, int], tuple[int, int]]], int]: ...
    def close(self) -> None: ...

def open(
    path: str,
    sheet: str | None = None,
    batch_rows: int = 10_000,
    max_columns: int = 1_000,
    max_inflated_bytes: int = 2 * 1024**3,
) -> SheetStream: ...
