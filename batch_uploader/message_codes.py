"""The codes of the messages batch-uploader gives about a run rather than a row (each a
:class:`~batch_uploader.messages.RunMessage`): an error that stops it before anything is sent
(``error.code``), a note of its report, the access check's verdict, a table's format. They are
stable, for scripts and for any front end that says something of its own for a message; how
its params and hint are worded is described in :mod:`~batch_uploader.messages`. The codes
about a row are in :mod:`~batch_uploader.rules.row_codes`.
"""

from __future__ import annotations

# A message given as plain text, which names no option of the run (a workbook damaged inside).
USAGE_ERROR = "usage-error"
INPUT_ERROR = "input-error"

# Reading a file.
UNSUPPORTED_FILE_TYPE = "unsupported-file-type"  # not a CSV or workbook extension
NOT_A_FILE = "not-a-file"  # a folder, a device or a pipe
NO_SUCH_FILE = "no-such-file"
EMPTY_FILE = "empty-file"  # a CSV file without a record
BROKEN_QUOTES = "broken-quotes"  # a CSV record whose quotes do not close
NO_SUCH_SHEET = "no-such-sheet"  # the sheet asked for is not in the workbook
NO_SHEET_WITH_DATA = "no-sheet-with-data"
ONLY_HIDDEN_SHEETS = "only-hidden-sheets"  # every sheet with data is hidden: none is read
HIDDEN_SHEET = "hidden-sheet"  # (note) a hidden sheet left out
HIDDEN_ROWS = "hidden-rows"  # (note) rows hidden by a filter or by hand, read and sent
TOTALS_LINE = "totals-line"  # (note) a totals line under the data, left out

# Encodings.
UNKNOWN_ENCODING = "unknown-encoding"  # the encoding asked for is no encoding
NOT_IN_ENCODING = "not-in-encoding"  # a line is not text in the file's encoding
CHARACTER_CUT = "character-cut"  # the file ends in the middle of a character
MIXED_ENCODINGS = "mixed-encodings"  # UTF-8 text beside bytes of a legacy code page
ENCODING_FOUND = "encoding-found"  # (a table's format) the file's encoding, sure
ENCODING_GUESSED = "encoding-guessed"  # (a table's format) a legacy code page, a guess
ENCODING_BAD_BYTES = "encoding-bad-bytes"  # (a table's format) UTF-8 with a few bytes not
CSV_FORMAT = "csv-format"  # (a table's format) a CSV file: its encoding, its delimiter
WORKBOOK_FORMAT = "workbook-format"  # (a table's format) a workbook: XLSX, XLS, ODS...

# Columns.
HEADER_NOT_FOUND = "header-not-found"  # no row of the top of the table names every field
HEADING_MAY_BE_FIELD = "heading-may-be-field"  # (a part of header-not-found) a likely column
HEADER_NOT_FOUND_HIDDEN_SHEETS = "header-not-found-hidden-sheets"  # and hidden sheets left out
EMPTY_TABLE_TOP = "empty-table-top"  # nothing at the top of the table to be a header
TWO_COLUMNS_ONE_FIELD = "two-columns-one-field"  # two columns look like the same field
SHEET_LEFT_OUT = "sheet-left-out"  # (note) a sheet without a header, among others with one
UNUSED_COLUMN_MAY_BE_FIELD = "unused-column-may-be-field"  # (note) for a field without column
MAPPING_NOT_TOML = "mapping-not-toml"  # the file of headings cannot be read
MAPPING_NOT_TABLE = "mapping-not-table"  # its [columns] is not a table
MALFORMED_MAP_PAIR = "malformed-map-pair"  # a heading=field pair without its parts
NOT_A_FIELD = "not-a-field"  # a heading mapped to a name that is no field

# Files that changed while the run read them (notes).
INPUT_REMOVED = "input-removed"  # removed or renamed: read as it was
INPUT_REPLACED = "input-replaced"  # saved again or copied over: read as it was
INPUT_CHANGED = "input-changed"  # changed in place: read as it was
INPUT_GREW = "input-grew"  # rows appended: not read
INPUT_REWRITTEN = "input-rewritten"  # a CSV file rewritten while read: its rows from there refused

# The target and its credentials.
NO_TARGET = "no-target"  # no account, address or sandbox
MISSING_CREDENTIALS = "missing-credentials"
UNPRINTABLE_CREDENTIAL = "unprintable-credential"  # a space, line break or non-ASCII character
TOKEN_TOO_SHORT = "token-too-short"  # cut when copied
UNUSABLE_ACCOUNT_NAME = "unusable-account-name"  # account or environment not a plain name
CREDENTIALS_IN_ADDRESS = "credentials-in-address"  # user:password@ in the address
ADDRESS_WITH_QUERY = "address-with-query"  # a ? or # part
UNUSABLE_PORT = "unusable-port"
NOT_HTTP_ADDRESS = "not-http-address"
PLAIN_HTTP = "plain-http"  # http beyond loopback

# The page's accounts file (its Settings).
ACCOUNTS_FILE_OPEN = "accounts-file-open"  # readable by other users than its owner
ACCOUNTS_FILE_UNREADABLE = "accounts-file-unreadable"  # not read, or not TOML
ACCOUNTS_FILE_UNUSABLE = "accounts-file-unusable"  # an account in it that cannot be used
ACCOUNTS_FILE_NOT_WRITTEN = "accounts-file-not-written"

# The access check (batch-uploader check): what the probe's answer means.
ACCESS_GRANTED = "access-granted"  # the key may update invoices
ACCESS_TIMED_OUT = "access-timed-out"
ACCESS_UNREACHABLE = "access-unreachable"  # no connection, or a broken answer
ACCESS_REFUSED = "access-refused"  # 401: a wrong key or token
ACCESS_FORBIDDEN = "access-forbidden"  # 403: the key's role may not update invoices
ACCESS_NOT_OMS = "access-not-oms"  # a 2xx answer without VTEX's receipt
ACCESS_NO_OMS = "access-no-oms"  # 404 without an OMS error
ACCESS_ANSWER = "access-answer"  # any other answer: try later
ACCESS_ANSWER_TOO_LARGE = "access-answer-too-large"  # over what an answer may be: not VTEX's

# The results file.
RESULTS_IS_INPUT = "results-is-input"
RESULTS_NOT_CSV_OR_XLSX = "results-not-csv-or-xlsx"
VERIFY_OUTPUT_NOT_CSV = "verify-output-not-csv"  # verify writes CSV only
VERIFY_OUTPUT_IS_INPUT = "verify-output-is-input"  # verify would write over what it reads

# The journal and the locks.
NO_JOURNAL = "no-journal"  # nothing to read: no run wrote it yet
JOURNAL_FOLDER_NOT_CREATED = "journal-folder-not-created"
JOURNAL_NOT_OPENED = "journal-not-opened"
JOURNAL_DAMAGED = "journal-damaged"
JOURNAL_TOO_NEW = "journal-too-new"  # written by a newer batch-uploader
LOCK_NOT_CREATED = "lock-not-created"
IN_USE = "in-use"  # another run holds the lock of a journal or an inbox

CODES = frozenset(
    {
        USAGE_ERROR,
        INPUT_ERROR,
        UNSUPPORTED_FILE_TYPE,
        NOT_A_FILE,
        NO_SUCH_FILE,
        EMPTY_FILE,
        BROKEN_QUOTES,
        NO_SUCH_SHEET,
        NO_SHEET_WITH_DATA,
        ONLY_HIDDEN_SHEETS,
        HIDDEN_SHEET,
        HIDDEN_ROWS,
        TOTALS_LINE,
        UNKNOWN_ENCODING,
        NOT_IN_ENCODING,
        CHARACTER_CUT,
        MIXED_ENCODINGS,
        ENCODING_FOUND,
        ENCODING_GUESSED,
        ENCODING_BAD_BYTES,
        CSV_FORMAT,
        WORKBOOK_FORMAT,
        HEADER_NOT_FOUND,
        HEADING_MAY_BE_FIELD,
        HEADER_NOT_FOUND_HIDDEN_SHEETS,
        EMPTY_TABLE_TOP,
        TWO_COLUMNS_ONE_FIELD,
        SHEET_LEFT_OUT,
        UNUSED_COLUMN_MAY_BE_FIELD,
        MAPPING_NOT_TOML,
        MAPPING_NOT_TABLE,
        MALFORMED_MAP_PAIR,
        NOT_A_FIELD,
        INPUT_REMOVED,
        INPUT_REPLACED,
        INPUT_CHANGED,
        INPUT_GREW,
        INPUT_REWRITTEN,
        NO_TARGET,
        MISSING_CREDENTIALS,
        UNPRINTABLE_CREDENTIAL,
        TOKEN_TOO_SHORT,
        UNUSABLE_ACCOUNT_NAME,
        CREDENTIALS_IN_ADDRESS,
        ADDRESS_WITH_QUERY,
        UNUSABLE_PORT,
        NOT_HTTP_ADDRESS,
        PLAIN_HTTP,
        ACCOUNTS_FILE_OPEN,
        ACCOUNTS_FILE_UNREADABLE,
        ACCOUNTS_FILE_UNUSABLE,
        ACCOUNTS_FILE_NOT_WRITTEN,
        ACCESS_GRANTED,
        ACCESS_TIMED_OUT,
        ACCESS_UNREACHABLE,
        ACCESS_REFUSED,
        ACCESS_FORBIDDEN,
        ACCESS_NOT_OMS,
        ACCESS_NO_OMS,
        ACCESS_ANSWER,
        ACCESS_ANSWER_TOO_LARGE,
        RESULTS_IS_INPUT,
        RESULTS_NOT_CSV_OR_XLSX,
        VERIFY_OUTPUT_NOT_CSV,
        VERIFY_OUTPUT_IS_INPUT,
        NO_JOURNAL,
        JOURNAL_FOLDER_NOT_CREATED,
        JOURNAL_NOT_OPENED,
        JOURNAL_DAMAGED,
        JOURNAL_TOO_NEW,
        LOCK_NOT_CREATED,
        IN_USE,
    }
)
"""Every code of a message about a run."""
