"""The files room: a file on this machine, before any stage reads it.

- ``files.private``: owner-only folders and files (the spool, the SQLite database).
- ``files.spool``: the spool folder and every file name in it.
- ``files.sniff``: a file's format, text encoding and CSV delimiter, from its content.
- ``files.estimate``: a cheap row estimate, by which an upload's tier is chosen.
- ``files.workbook``: an XLSX workbook's sheets and the zip members that hold them.
- ``files.upload_record``: a spooled file as the upload record the pipeline passes on.

The API, the CLI and the producer all read files through it; it imports only ``schemas``.
"""
