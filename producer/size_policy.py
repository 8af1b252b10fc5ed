"""How many rows go in one chunk: fewer when the chunk topics lag, more when they idle."""

from __future__ import annotations

from schemas.settings import Settings

# encoded chunks vary around the mean row size (long notes, compression): keep headroom
SAFETY_MARGIN = 0.5


def choose_chunk_rows(lag_chunks: int, avg_row_bytes: float, settings: Settings) -> int:
    """Rows per chunk for the current lag, capped so a chunk stays well under the byte ceiling."""
    if lag_chunks > settings.chunk_lag_busy:
        rows = settings.chunk_rows_busy
    elif lag_chunks > settings.chunk_lag_normal:
        rows = settings.chunk_rows_normal
    else:
        rows = settings.chunk_rows_idle
    if avg_row_bytes > 0:
        cap = int(settings.chunk_max_bytes * SAFETY_MARGIN // avg_row_bytes)
        rows = min(rows, cap)
    return max(rows, 1)
