"""The sizes at which loading and searching the catalog change course, kept together so tests can shrink them.

Every module reads them as `limits.NAME` when it runs, so a test that sets smaller values here makes a
catalog of a few dozen rows take every path the search code has.
"""

# Entry rows are written in rounds of this many (bounded memory, one round trip each on PostgreSQL).
FLUSH_ROWS = 100_000

# A pattern crossing a "/" whose head's folders hold fewer rows than this (SQLite; PostgreSQL and
# openGauss: ACROSS_RUN_ROWS) is looked up through those folders' runs, else led by its tail; the
# folders' runs are counted up to RUN_PROBE of them (four times that on PostgreSQL and openGauss).
DIR_COLLECT_ROWS = 20_000
ACROSS_RUN_ROWS = 250_000
RUN_PROBE = 5_000

# The newest rows are checked in windows of this many ids: SQLite once, for patterns of one or two
# characters (shorter than a trigram) before the trigram vocabulary is asked for the rest;
# PostgreSQL and openGauss up to WINDOWS times before the text index (or the runs' characters,
# when they cover under 1/CHAR_RUNS_SHARE of the rows left) takes over.
SHORT_WINDOW = 150_000
WINDOWS = 4
CHAR_RUNS_SHARE = 8

# PostgreSQL and openGauss walking runs: runs read per query, ids checked in the first round
# (fourfold each round after), and the folder count above which the newest rows are tried first.
SPAN_PAGE = 8_192
RUN_PAGE_IDS = 8_192
MANY_DIRS = 2_000
