"""The backup pipeline. The packing half, in the order data flows:

- `scan`       — walk the sources (os.scandir, no subprocesses) into `entry.FileEntry` values.
- `sampling`   — which files are not worth compressing (suffix proposes, a 64 KiB sample confirms).
- `plan`       — pure: group entries into packages ≤ MAX_FILE_SIZE, cut large files into chunks.
- `pack`       — build one package with py7zr into the staging folder, with its manifest.
- `packer_pool`— pack in worker processes, bounded staging, delivery in sequence order, cancel.

Supporting modules: `names` (portable and member names), `levels` (COMPRESSION_LEVEL → LZMA2
options), `reader` (the single-pass hashing reader), `sevenzip` (the py7zr internals we rely on,
in one place), `manifest` (the per-package manifest and its JSON form), `messages` (operator
text in Simplified Chinese).
"""
