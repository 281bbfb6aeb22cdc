"""The file catalog: one row per file version on tape, searchable by any substring of its path.

Rows come from `Cartridge.PackageWritten` manifests. The layout is chosen for bulk loads of
millions of files and for substring search over them (docs/架构.md §5):

- `catalog_dirs`: every distinct folder once, with its trailing "/" ("/srv/数据/报告/"; "" for a
  path without "/"). A full path is its folder followed by its last component (`base`).
- `catalog_entries`: one row per manifest entry: folder id, `base`, and the per-file facts. The
  rows of one package are one range of ids, handed out in ledger order, so the newest rows have
  the highest ids.
- `catalog_names` (PostgreSQL and openGauss): every distinct last component once; `catalog_entries.name`
  is its id there (0 on SQLite).
- `catalog_runs`: one row per run of consecutive entries in one folder (a package lists a
  folder's files together): the folder's entries without an index row per entry.
- `catalog_packages`: one row per package: group, job, cartridge, tape position, its id range.
- `catalog_cartridges`: the barcode of each registered cartridge.
- `catalog_totals`: per group, folder and cartridge, what lies below the folder (files, bytes, newest
  time), kept as packages load and cartridges leave, so a folder lists without reading below it.
- `catalog_files`: a read-only SQL view with the catalog's row shape (`RESULT_COLUMNS`) for code
  that reads the catalog with its own SQL.

Substring search looks in two smaller things than millions of full paths: the folders (one row
per folder, not per file) and the last path components. A pattern without "/" lies in one of the
two; a pattern with "/" lies in the folder or crosses into the last component at its own last
"/". SQLite keeps contentless FTS5 trigram indexes (`detail=none`) of the folders and of every
entry's last component; PostgreSQL pg_trgm GIN indexes of the folders and of `catalog_names`, whose
rows come through an index of entries by name; openGauss, which has no pg_trgm, its built-in ngram
parser. The rows of matching folders come through `catalog_runs`. Every candidate is checked again
with LIKE, so the result is exactly "the pattern is a substring of the full path" (LIKE's case
rules: on SQLite ASCII letters match either case, on PostgreSQL case matters). How each kind of
pattern is looked up, and why: docs/架构.md §5.

The modules, each with one job:

- `view`: `CatalogView`, the view the Projector drives: makes the tables, applies events, answers queries.
- `schema`: the tables, the columns of a result row, and the SQL view `catalog_files`.
- `loader`: manifests written as rows in bulk (`BulkLoader`), with their folders' totals; `known`:
  the folder and name ids it keeps between batches.
- `totals`: the folder totals, kept and read; `tree` and `folders`: a folder's children, whole or a page.
- `query` and `results`: a search's filters as SQL; stored rows read back as result rows.
- `search`: `CatalogSearch`, the one interface every store implements, with the store-agnostic
  part of a search; `sqlite`, `postgres` and `opengauss` (a subclass of `postgres`): each store's
  text indexes and search plans.
- `limits`: the sizes at which loading and searching change course.
"""

from projections.catalog.query import SearchQuery
from projections.catalog.schema import COLUMNS, RESULT_COLUMNS, extension, full_path
from projections.catalog.search import CatalogSearch
from projections.catalog.view import CatalogView

__all__ = ["COLUMNS", "RESULT_COLUMNS", "CatalogSearch", "CatalogView", "SearchQuery", "extension", "full_path"]
