"""Stream processors: the faust app, validation, persistence and the progress fold."""
