"""The sizes at which loading and searching the catalog change course, kept together so tests can shrink them.

Every module reads them as `limits.NAME` when it runs, so a test that sets smaller values here makes a
catalog of a few dozen rows take every path the search code has.
"""

# Entry rows are written in rounds of this many (bounded memory); on PostgreSQL and openGauss of at
# most COPY_ROWS, so that the server writes one round while the loader builds the next. (On SQLite,
# rounds of 25,000 rather than 100,000 made loading 2 million files a third slower, measured.)
FLUSH_ROWS = 100_000
COPY_ROWS = 25_000

# A pattern crossing a "/" whose head's folders hold fewer rows than this (SQLite; PostgreSQL and
# openGauss: ACROSS_RUN_ROWS) is looked up through those folders' runs, else led by its tail; the
# folders' runs are counted up to RUN_PROBE of them (four times that on PostgreSQL and openGauss),
# and more than MANY_DIRS folders count as many rows without counting.
DIR_COLLECT_ROWS = 20_000
ACROSS_RUN_ROWS = 250_000
RUN_PROBE = 5_000

# PostgreSQL and openGauss check the newest rows in windows of this many ids, up to WINDOWS times,
# while the matches seen so far say the page fills there, before the names take over.
SHORT_WINDOW = 150_000
WINDOWS = 4

# A pattern in last components: the newest PROBE_ROWS rows are checked first (a common pattern
# fills the page there). SQLite, for one or two characters (shorter than a trigram), then asks the
# trigram vocabulary; PostgreSQL and openGauss list the names holding it when there are
# at most NAMES_LISTED, and their rows read through the index of rows by name, all at once, when
# fewer than NAME_ROWS rows hold them; otherwise the windows come first.
PROBE_ROWS = 20_000
# A search whose scope holds fewer ids than this — the few newer ids a page filled by folders leaves,
# or a small catalog — reads those rows rather than asking any index.
READ_ROWS = 4_096
NAMES_LISTED = 5_000
NAME_ROWS = 5_000
# ...and what the windows leave of many rows, read NAME_SPAN ids at a time from the newest (each
# next span four times wider).
NAME_SPAN = 1_000_000

# Folder and name ids the loader keeps in memory between batches (`known`), at most.
KNOWN_DIRS = 200_000
KNOWN_NAMES = 500_000

# Walking runs: runs read per query, ids checked in the first round (fourfold each round after), and
# the folder count above which the folders are too many to list (SQLite: each run's folder is tested
# as the runs are walked newest first; PostgreSQL and openGauss try the newest rows first).
SPAN_PAGE = 8_192
RUN_PAGE_IDS = 8_192
MANY_DIRS = 2_000
# SQLite: the folder count up to which a folder set's runs are read through the index of runs by
# folder rather than walked newest first.
INDEXED_DIRS = 200
