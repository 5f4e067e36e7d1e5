"""The Postgres-wire endpoint: psql, psycopg and BI tools that speak PostgreSQL read the lake's views.

buenavista 0.5 was checked first (FACTS.md) and left aside: `\\dt` failed, psycopg's bound string parameters were
parsed as dates, named cursors failed, time-zone-aware timestamps lost their zone, any query ending in `}` was taken
for a JSON command, errors carried no SQLSTATE, and 280k rows took 23 s. This module is the part of protocol 3.0 a
read-only SQL endpoint needs, written for the lake:

- startup: TLS refused (bind to 127.0.0.1, or put a TLS proxy in front), SCRAM-SHA-256 password authentication;
- simple and extended query (Parse, Bind, Describe, Execute with row limits, Sync, Close, Flush), named cursors
  (DECLARE / FETCH / CLOSE), transaction commands acknowledged (there is nothing to commit);
- text results typed by OID, `timestamptz` with its offset, errors with their SQLSTATE;
- every client session is its own locked-down DuckDB connection (`open_database`: the lake and nothing else) and
  runs queries only (`checked_select`); psql's catalogue queries (`\\dt`, `\\d view`) are adapted to DuckDB's
  pg_catalog, where the lake's tables, views over Delta, are listed as tables.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import hashlib
import hmac
import io
import json
import logging
import os
import re
import secrets
import socket
import socketserver
import struct
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.bi.sql import QueryRefused, checked_select, open_database
from pipelines.config import Settings, local_secret
from pipelines.processes import (
    ServiceError,
    Started,
    alive,
    read_started,
    record_started,
    start_process,
    stop_recorded,
    wait_until,
)

log = logging.getLogger(__name__)

PROTOCOL_3 = 196608
SSL_REQUEST, GSSENC_REQUEST, CANCEL_REQUEST = 80877103, 80877104, 80877102
SERVER_PARAMETERS = {
    "server_version": "15.0 (CityLake, DuckDB)",
    "server_encoding": "UTF8",
    "client_encoding": "UTF8",
    "DateStyle": "ISO, MDY",
    "IntervalStyle": "postgres",
    "TimeZone": "UTC",
    "integer_datetimes": "on",
    "standard_conforming_strings": "on",
    "is_superuser": "off",
    "application_name": "",
    "default_transaction_read_only": "on",
    "transaction_isolation": "read committed",
}
SCRAM_ITERATIONS = 4096


class PgError(Exception):
    """An error the client gets as an ErrorResponse with its SQLSTATE."""

    def __init__(self, sqlstate: str, message: str) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


# ---------------------------------------------------------------- types: Arrow -> PostgreSQL text


@dataclass(frozen=True)
class PgType:
    oid: int
    size: int  # -1: variable


INT2, INT4, INT8 = PgType(21, 2), PgType(23, 4), PgType(20, 8)
FLOAT4, FLOAT8, NUMERIC = PgType(700, 4), PgType(701, 8), PgType(1700, -1)
BOOL, TEXT, BYTEA, JSON_TYPE = PgType(16, 1), PgType(25, -1), PgType(17, -1), PgType(114, -1)
DATE, TIME, TIMESTAMP, TIMESTAMPTZ, INTERVAL = (
    PgType(1082, 4),
    PgType(1083, 8),
    PgType(1114, 8),
    PgType(1184, 8),
    PgType(1186, 16),
)
TEXT_ARRAY, INT8_ARRAY, FLOAT8_ARRAY = PgType(1009, -1), PgType(1016, -1), PgType(1022, -1)


def pg_type(arrow: pa.DataType) -> PgType:
    """The PostgreSQL type a column of this Arrow type is sent as."""
    if pa.types.is_boolean(arrow):
        return BOOL
    if pa.types.is_int8(arrow) or pa.types.is_int16(arrow) or pa.types.is_uint8(arrow):
        return INT2
    if pa.types.is_int32(arrow) or pa.types.is_uint16(arrow):
        return INT4
    if pa.types.is_int64(arrow) or pa.types.is_uint32(arrow):
        return INT8
    if pa.types.is_uint64(arrow) or pa.types.is_decimal(arrow):
        return NUMERIC
    if pa.types.is_float32(arrow) or pa.types.is_float16(arrow):
        return FLOAT4
    if pa.types.is_float64(arrow):
        return FLOAT8
    if pa.types.is_date(arrow):
        return DATE
    if pa.types.is_time(arrow):
        return TIME
    if pa.types.is_timestamp(arrow):
        return TIMESTAMPTZ if arrow.tz else TIMESTAMP
    if pa.types.is_interval(arrow) or pa.types.is_duration(arrow):
        return INTERVAL
    if pa.types.is_binary(arrow) or pa.types.is_large_binary(arrow):
        return BYTEA
    if pa.types.is_list(arrow) or pa.types.is_large_list(arrow):
        item = arrow.value_type
        return INT8_ARRAY if pa.types.is_integer(item) else FLOAT8_ARRAY if pa.types.is_floating(item) else TEXT_ARRAY
    if pa.types.is_struct(arrow) or pa.types.is_map(arrow):
        return JSON_TYPE
    return TEXT


def _array_literal(values: list[Any] | None) -> str | None:
    """A PostgreSQL array literal: {a,"b c",NULL}."""
    if values is None:
        return None

    def one(v: Any) -> str:
        if v is None:
            return "NULL"
        text = str(v)
        if text == "" or any(ch in text for ch in ' ,{}"\\') or text.upper() == "NULL":
            return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return text

    return "{" + ",".join(one(v) for v in values) + "}"


def _float_text(column: pa.Array) -> pa.Array:
    text = pc.cast(column, pa.string())
    return pc.replace_substring(pc.replace_substring(text, "inf", "Infinity"), "nan", "NaN")


def text_column(column: pa.Array) -> list[bytes | None]:
    """One column of a result as PostgreSQL text-format values (None for NULL)."""
    kind = column.type
    if pa.types.is_boolean(kind):
        text = pc.if_else(column, "t", "f")
    elif pa.types.is_floating(kind):
        text = _float_text(column)
    elif pa.types.is_timestamp(kind):
        if kind.tz:
            utc = pc.cast(column, pa.timestamp(kind.unit, "UTC"))
            text = pc.binary_join_element_wise(pc.strftime(utc, "%Y-%m-%d %H:%M:%S"), pa.scalar("+00"), "")
        else:
            text = pc.strftime(column, "%Y-%m-%d %H:%M:%S")
    elif pa.types.is_integer(kind) or pa.types.is_decimal(kind) or pa.types.is_date(kind) or pa.types.is_string(kind):
        text = pc.cast(column, pa.string())
    elif pa.types.is_large_string(kind):
        text = pc.cast(column, pa.large_string())
    elif pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return [None if (s := _array_literal(v)) is None else s.encode() for v in column.to_pylist()]
    elif pa.types.is_struct(kind) or pa.types.is_map(kind):
        return [None if v is None else json.dumps(v, default=str).encode() for v in column.to_pylist()]
    elif pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        return [None if v is None else b"\\x" + v.hex().encode() for v in column.to_pylist()]
    else:
        return [None if v is None else str(v).encode() for v in column.to_pylist()]
    return [None if v is None else v.encode() for v in text.to_pylist()]


_PG_EPOCH = dt.datetime(2000, 1, 1)


def _binary_numeric(data: bytes) -> decimal.Decimal:
    """PostgreSQL's binary numeric: base-10000 digits with a weight, a sign and a display scale."""
    ndigits, weight, sign, dscale = struct.unpack("!hhHh", data[:8])
    if sign == 0xC000:
        return decimal.Decimal("NaN")
    digits = struct.unpack(f"!{ndigits}h", data[8 : 8 + 2 * ndigits])
    value = sum(decimal.Decimal(d) * decimal.Decimal(10000) ** (weight - i) for i, d in enumerate(digits))
    value = value.quantize(decimal.Decimal(1).scaleb(-dscale)) if dscale else value
    return -value if sign == 0x4000 else value


def parse_parameter(value: bytes | None, oid: int, binary: bool) -> Any:
    """A bound parameter as the Python value DuckDB binds (DuckDB casts text to the column's type itself)."""
    if value is None:
        return None
    if binary:
        decoders: dict[int, Callable[[bytes], Any]] = {
            INT2.oid: lambda b: struct.unpack("!h", b)[0],
            INT4.oid: lambda b: struct.unpack("!i", b)[0],
            INT8.oid: lambda b: struct.unpack("!q", b)[0],
            FLOAT4.oid: lambda b: struct.unpack("!f", b)[0],
            FLOAT8.oid: lambda b: struct.unpack("!d", b)[0],
            BOOL.oid: lambda b: b != b"\x00",
            BYTEA.oid: bytes,
            DATE.oid: lambda b: _PG_EPOCH.date() + dt.timedelta(days=struct.unpack("!i", b)[0]),
            TIMESTAMP.oid: lambda b: _PG_EPOCH + dt.timedelta(microseconds=struct.unpack("!q", b)[0]),
            TIMESTAMPTZ.oid: lambda b: (_PG_EPOCH + dt.timedelta(microseconds=struct.unpack("!q", b)[0])).replace(tzinfo=dt.UTC),
            NUMERIC.oid: _binary_numeric,
            TEXT.oid: lambda b: b.decode(),
            1043: lambda b: b.decode(),
            0: lambda b: b.decode(),
        }
        if oid not in decoders:
            raise PgError("0A000", f"a binary parameter of type oid {oid} is not supported here: send it as text")
        return decoders[oid](value)
    text = value.decode()
    if oid in (INT2.oid, INT4.oid, INT8.oid):
        return int(text)
    if oid in (FLOAT4.oid, FLOAT8.oid):
        return float(text)
    if oid == NUMERIC.oid:
        return decimal.Decimal(text)
    if oid == BOOL.oid:
        return text.lower() in ("t", "true", "1", "on", "yes", "y")
    if oid == DATE.oid:
        return dt.date.fromisoformat(text)
    if oid in (TIMESTAMP.oid, TIMESTAMPTZ.oid):
        return dt.datetime.fromisoformat(text)
    return text  # text, varchar, unknown (0): DuckDB casts it to what the query compares it with


# ---------------------------------------------------------------- psql and other clients' statements


_PSQL_ADAPTATIONS = [
    (re.compile(r"OPERATOR\(pg_catalog\.(~|!~|~\*|!~\*)\)"), r"\1"),
    (re.compile(r"COLLATE\s+pg_catalog\.default", re.I), ""),
    (re.compile(r"pg_catalog\.pg_get_userbyid\s*\([^()]*\)", re.I), "'citylake'"),
    # the lake's tables are DuckDB views over Delta: to a client they are tables (\dt lists them)
    (
        re.compile(r"pg_catalog\.pg_class\b(?!\s*\()", re.I),
        "(SELECT * REPLACE (CASE relkind WHEN 'v' THEN 'r' ELSE relkind END AS relkind, 'd' AS relreplident, []::VARCHAR[] AS reloptions),"
        " false AS relforcerowsecurity FROM pg_catalog.pg_class)",
    ),
    (re.compile(r"::\s*pg_catalog\.(regclass|regtype|regproc|regnamespace|oid)\b", re.I), ""),
    (re.compile(r"::\s*pg_catalog\.(\w+)", re.I), r"::\1"),
    (re.compile(r"::\s*(regclass|regtype|regproc|regnamespace)\b", re.I), ""),
    (re.compile(r"pg_catalog\.(pg_table_size|pg_relation_size|pg_total_relation_size)\s*\([^()]*\)", re.I), "NULL::BIGINT"),
    (re.compile(r"pg_catalog\.(\w+)\s*\(", re.I), r"\1("),
    (re.compile(r"pg_get_expr\(([^,()]+),([^,()]+),\s*true\)", re.I), r"pg_get_expr(\1,\2)"),
]


# catalogue relations of things a lake of views never has (row policies, extended statistics, publications,
# inheritance, triggers, rewrite rules): a client query that reads one has no rows to show
_NEVER_PRESENT = re.compile(
    r"\bpg_catalog\.(pg_policy|pg_statistic_ext|pg_publication\w*|pg_inherits|pg_trigger|pg_rewrite)\b", re.I
)


def adapt(sql: str) -> str:
    """Client catalogue queries written for PostgreSQL, made to run on DuckDB's pg_catalog."""
    if "pg_catalog" not in sql and "::reg" not in sql:
        return sql
    for pattern, replacement in _PSQL_ADAPTATIONS:
        sql = pattern.sub(replacement, sql)
    return sql


_LEADING = re.compile(r"\s*(?:--[^\n]*\n|/\*.*?\*/|\s)*\(?\s*(\w*)", re.S)
_DECLARE = re.compile(
    r"^\s*DECLARE\s+(\"[^\"]+\"|\w+)\s+(?:BINARY\s+)?(?:(?:NO\s+)?SCROLL\s+)?CURSOR\s+(?:(?:WITH|WITHOUT)\s+HOLD\s+)?FOR\s+(.*)$",
    re.I | re.S,
)
_FETCH = re.compile(r"^\s*FETCH\s+(?:(FORWARD|NEXT)\s+)?(ALL|\d+)?\s*(?:FROM|IN)?\s*(\"[^\"]+\"|\w+)\s*;?\s*$", re.I | re.S)
_CLOSE = re.compile(r"^\s*CLOSE\s+(\"[^\"]+\"|\w+|ALL)\s*;?\s*$", re.I)
_SHOW = re.compile(r"^\s*SHOW\s+(\w+)\s*;?\s*$", re.I)
_TRANSACTION_TAGS = {
    "begin": "BEGIN",
    "start": "BEGIN",
    "commit": "COMMIT",
    "end": "COMMIT",
    "rollback": "ROLLBACK",
    "abort": "ROLLBACK",
}
_ACCEPTED_QUIETLY = {"set": "SET", "reset": "RESET", "discard": "DISCARD ALL", "deallocate": "DEALLOCATE"}


def first_word(sql: str) -> str:
    """The statement's command, lower-case (leading comments and parentheses skipped)."""
    found = _LEADING.match(sql)
    return found.group(1).lower() if found else ""


def _cursor_name(token: str) -> str:
    return token[1:-1] if token.startswith('"') else token.lower()


def split_statements(sql: str) -> list[str]:
    """The statements of a simple-query message (semicolons inside quotes and comments kept)."""
    statements, current, quote, i = [], [], "", 0
    while i < len(sql):
        ch = sql[i]
        if quote:
            current.append(ch)
            if ch == quote:
                quote = ""
        elif ch in ("'", '"'):
            quote = ch
            current.append(ch)
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            i = len(sql) if end < 0 else end
            continue
        elif ch == ";":
            statements.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    statements.append("".join(current))
    return [s for s in statements if s.strip()]


# ---------------------------------------------------------------- one client session


@dataclass
class Result:
    """What one statement produced: rows (as text values) with their columns, or a command tag only."""

    tag: str
    schema: pa.Schema | None = None
    stream: Iterator[tuple[bytes | None, ...]] | None = None
    sent: int = 0
    _peeked: list[tuple[bytes | None, ...]] = field(default_factory=list)

    def rows(self, limit: int = 0) -> tuple[list[tuple[bytes | None, ...]], bool]:
        """The next `limit` rows (0: all that are left), and whether none are left after them."""
        stream = self.stream if self.stream is not None else iter(())
        out, self._peeked = self._peeked, []
        out.extend(islice(stream, None if limit == 0 else max(limit - len(out), 0)))
        done = True
        if limit and len(out) >= limit:
            following = next(stream, None)
            if following is not None:
                self._peeked, done = [following], False
        self.sent += len(out)
        return out, done


def _text_rows(reader: pa.RecordBatchReader) -> Iterator[tuple[bytes | None, ...]]:
    for batch in reader:
        if batch.num_columns:
            yield from zip(*[text_column(column) for column in batch.columns])


class Session:
    """One client's connection to the lake: a locked-down DuckDB connection, its cursors, its transaction state."""

    def __init__(self, settings: Settings) -> None:
        self.con, _ = open_database(settings)
        self.cursors: dict[str, Result] = {}
        self.in_transaction = False
        self.failed = False

    def close(self) -> None:
        self.con.close()

    def run(self, sql: str, params: list[Any] | None = None) -> Result:
        """One statement."""
        command = first_word(sql)
        if self.failed and command not in ("rollback", "abort", "commit", "end"):
            raise PgError("25P02", "current transaction is aborted, commands ignored until end of transaction block")
        if command in _TRANSACTION_TAGS:
            tag = _TRANSACTION_TAGS[command]
            self.in_transaction, self.failed = tag == "BEGIN", False
            if tag != "BEGIN":
                self.cursors.clear()
            return Result(tag)
        if command in _ACCEPTED_QUIETLY:
            return Result(_ACCEPTED_QUIETLY[command])
        if command == "show":
            return self._show(sql)
        if command == "declare":
            return self._declare(sql, params)
        if command in ("fetch", "move"):
            return self._fetch(sql)
        if command == "close":
            found = _CLOSE.match(sql)
            if not found:
                raise PgError("42601", "CLOSE takes a cursor name")
            name = found.group(1)
            if name.upper() == "ALL":
                self.cursors.clear()
            elif self.cursors.pop(_cursor_name(name), None) is None:
                raise PgError("34000", f'cursor "{_cursor_name(name)}" does not exist')
            return Result("CLOSE CURSOR")
        return self._query(sql, params)

    def _query(self, sql: str, params: list[Any] | None) -> Result:
        if _NEVER_PRESENT.search(sql):
            return Result("SELECT", pa.schema([("none", pa.string())]), iter(()))
        sql = adapt(sql)
        try:
            checked_select(self.con, sql)
        except QueryRefused as refused:
            raise PgError("25006", str(refused)) from None
        except duckdb.Error as bad:
            raise PgError("42601", str(bad).splitlines()[0]) from None
        try:
            cursor = self.con.execute(sql, params or None)
            reader = cursor.fetch_record_batch(rows_per_batch=10_000)
        except duckdb.Error as failed:
            raise PgError(_sqlstate(failed), str(failed).splitlines()[0]) from None
        return Result("SELECT", reader.schema, _text_rows(reader))

    def describe(self, sql: str, nparams: int) -> pa.Schema | None:
        """The columns a statement returns, without running it on real parameters."""
        if first_word(sql) not in ("select", "with", "values", "from", "table"):
            return None  # commands, SHOW and FETCH: their columns are known when they run
        try:
            cursor = self.con.execute(f"SELECT * FROM ({adapt(sql).rstrip().rstrip(';')}) LIMIT 0", [None] * nparams or None)
            return cursor.fetch_record_batch().schema
        except duckdb.Error as failed:
            raise PgError(_sqlstate(failed), str(failed).splitlines()[0]) from None

    def _show(self, sql: str) -> Result:
        found = _SHOW.match(sql)
        name = found.group(1) if found else ""
        known = {k.lower(): (k, v) for k, v in SERVER_PARAMETERS.items()} | {"search_path": ("search_path", "main")}
        if name.lower() not in known:
            raise PgError("42704", f'unrecognized configuration parameter "{name}"')
        key, value = known[name.lower()]
        return Result("SHOW", pa.schema([(key.lower(), pa.string())]), iter([(value.encode(),)]))

    def _declare(self, sql: str, params: list[Any] | None) -> Result:
        found = _DECLARE.match(sql)
        if not found:
            raise PgError("42601", "DECLARE <name> CURSOR FOR <query> is the form understood here")
        self.cursors[_cursor_name(found.group(1))] = self._query(found.group(2), params)
        return Result("DECLARE CURSOR")

    def _fetch(self, sql: str) -> Result:
        found = _FETCH.match(sql)
        if not found:
            raise PgError("42601", "FETCH [FORWARD] <count | ALL> FROM <cursor> is the form understood here")
        name = _cursor_name(found.group(3))
        if name not in self.cursors:
            raise PgError("34000", f'cursor "{name}" does not exist')
        cursor = self.cursors[name]
        count = found.group(2)
        limit = 0 if count is not None and count.upper() == "ALL" else int(count or 1)
        rows, _ = cursor.rows(limit)
        return Result("FETCH", cursor.schema, iter(rows))


def _sqlstate(error: duckdb.Error) -> str:
    if isinstance(error, duckdb.CatalogException):
        return "42P01"
    if isinstance(error, duckdb.ParserException):
        return "42601"
    if isinstance(error, duckdb.BinderException):
        return "42703"
    if isinstance(error, duckdb.PermissionException):
        return "42501"
    if isinstance(error, duckdb.ConversionException | duckdb.InvalidInputException):
        return "22P02"
    return "XX000"


# ---------------------------------------------------------------- SCRAM-SHA-256


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str


def _hmac(key: bytes, message: str | bytes) -> bytes:
    return hmac.new(key, message.encode() if isinstance(message, str) else message, hashlib.sha256).digest()


class Scram:
    """The server side of SCRAM-SHA-256 (RFC 5802/7677), as PostgreSQL does it (no channel binding)."""

    def __init__(self, password: str) -> None:
        self.salt = secrets.token_bytes(16)
        salted = hashlib.pbkdf2_hmac("sha256", password.encode(), self.salt, SCRAM_ITERATIONS)
        self.stored_key = hashlib.sha256(_hmac(salted, "Client Key")).digest()
        self.server_key = _hmac(salted, "Server Key")

    def first(self, client_first: str) -> str:
        gs2_end = client_first.index(",", client_first.index(",") + 1) + 1
        self.gs2_header, self.client_first_bare = client_first[:gs2_end], client_first[gs2_end:]
        attributes = dict(part.split("=", 1) for part in self.client_first_bare.split(","))
        self.nonce = attributes["r"] + base64.b64encode(secrets.token_bytes(18)).decode()
        self.server_first = f"r={self.nonce},s={base64.b64encode(self.salt).decode()},i={SCRAM_ITERATIONS}"
        return self.server_first

    def final(self, client_final: str) -> str | None:
        """The server's final message, or None when the proof is wrong."""
        without_proof, _, proof = client_final.rpartition(",p=")
        attributes = dict(part.split("=", 1) for part in without_proof.split(","))
        if attributes.get("r") != self.nonce or base64.b64decode(attributes.get("c", "")) != self.gs2_header.encode():
            return None
        auth_message = f"{self.client_first_bare},{self.server_first},{without_proof}"
        signature = _hmac(self.stored_key, auth_message)
        client_key = bytes(a ^ b for a, b in zip(base64.b64decode(proof), signature))
        if not hmac.compare_digest(hashlib.sha256(client_key).digest(), self.stored_key):
            return None
        return "v=" + base64.b64encode(_hmac(self.server_key, auth_message)).decode()


# ---------------------------------------------------------------- the protocol


class _Wire:
    """Framing: read the client's messages, write the server's."""

    def __init__(self, reader: io.BufferedIOBase, writer: io.BufferedIOBase) -> None:
        self.reader, self.writer = reader, writer
        self.out: list[bytes] = []

    def exact(self, n: int) -> bytes:
        data = self.reader.read(n)
        if data is None or len(data) < n:
            raise ConnectionError("the client went away")
        return data

    def message(self) -> tuple[bytes, bytes]:
        kind = self.reader.read(1)
        if not kind:
            raise ConnectionError("the client went away")
        (length,) = struct.unpack("!i", self.exact(4))
        return kind, self.exact(length - 4)

    def send(self, kind: bytes, payload: bytes = b"") -> None:
        self.out.append(kind + struct.pack("!i", len(payload) + 4) + payload)
        if len(self.out) >= 256:
            self.flush()

    def flush(self) -> None:
        if self.out:
            self.writer.write(b"".join(self.out))
            self.writer.flush()
            self.out = []


def _cstring(value: str) -> bytes:
    return value.encode() + b"\x00"


def _read_cstring(data: bytes, start: int) -> tuple[str, int]:
    end = data.index(b"\x00", start)
    return data[start:end].decode(), end + 1


class PgHandler(socketserver.StreamRequestHandler):
    server: PgServer

    def handle(self) -> None:
        wire = _Wire(self.rfile, self.wfile)
        session: Session | None = None
        try:
            params = self._startup(wire)
            if params is None:
                return
            if not self._authenticate(wire, params):
                return
            session = Session(self.server.settings)
            for name, value in SERVER_PARAMETERS.items():
                wire.send(b"S", _cstring(name) + _cstring(value))
            wire.send(b"K", struct.pack("!ii", os.getpid() & 0x7FFFFFFF, secrets.randbits(31)))
            self._ready(wire, session)
            self._serve(wire, session)
        except ConnectionError:
            log.debug("a Postgres-wire client hung up")  # nothing left to answer; its DuckDB connection closes below
        except Exception as unexpected:  # the client gets the message; the server keeps serving others
            log.exception("Postgres-wire session failed")
            self._error(wire, PgError("XX000", str(unexpected)))
            wire.flush()
        finally:
            if session is not None:
                session.close()

    def _startup(self, wire: _Wire) -> dict[str, str] | None:
        while True:
            (length,) = struct.unpack("!i", wire.exact(4))
            body = wire.exact(length - 4)
            (code,) = struct.unpack("!i", body[:4])
            if code in (SSL_REQUEST, GSSENC_REQUEST):
                self.wfile.write(b"N")
                self.wfile.flush()
                continue
            if code == CANCEL_REQUEST:
                return None  # queries here run in well under a second: nothing to cancel
            if code != PROTOCOL_3:
                self._error(wire, PgError("0A000", f"protocol {code >> 16}.{code & 0xFFFF} is not supported: 3.0 is"))
                wire.flush()
                return None
            fields = body[4:].split(b"\x00")
            return {fields[i].decode(): fields[i + 1].decode() for i in range(0, len(fields) - 1, 2) if fields[i]}

    def _authenticate(self, wire: _Wire, params: dict[str, str]) -> bool:
        credentials = self.server.credentials
        wire.send(b"R", struct.pack("!i", 10) + _cstring("SCRAM-SHA-256") + b"\x00")
        wire.flush()
        scram = Scram(credentials.password)
        kind, body = wire.message()
        mechanism, at = _read_cstring(body, 0)
        if kind != b"p" or mechanism != "SCRAM-SHA-256":
            return self._refuse(wire, params)
        (size,) = struct.unpack("!i", body[at : at + 4])
        wire.send(b"R", struct.pack("!i", 11) + scram.first(body[at + 4 : at + 4 + size].decode()).encode())
        wire.flush()
        kind, body = wire.message()
        final = scram.final(body.decode()) if kind == b"p" else None
        if final is None or params.get("user") != credentials.user:
            return self._refuse(wire, params)
        wire.send(b"R", struct.pack("!i", 12) + final.encode())
        wire.send(b"R", struct.pack("!i", 0))
        return True

    def _refuse(self, wire: _Wire, params: dict[str, str]) -> bool:
        self._error(wire, PgError("28P01", f'password authentication failed for user "{params.get("user", "")}"'), fatal=True)
        wire.flush()
        return False

    def _ready(self, wire: _Wire, session: Session) -> None:
        state = b"E" if session.failed else b"T" if session.in_transaction else b"I"
        wire.send(b"Z", state)
        wire.flush()

    def _error(self, wire: _Wire, error: PgError, fatal: bool = False) -> None:
        severity = "FATAL" if fatal else "ERROR"
        fields = (
            b"S" + _cstring(severity) + b"V" + _cstring(severity) + b"C" + _cstring(error.sqlstate) + b"M" + _cstring(str(error))
        )
        wire.send(b"E", fields + b"\x00")

    def _row_description(self, wire: _Wire, schema: pa.Schema) -> None:
        payload = struct.pack("!h", len(schema))
        for column in schema:
            kind = pg_type(column.type)
            payload += _cstring(column.name) + struct.pack("!ihihih", 0, 0, kind.oid, kind.size, -1, 0)
        wire.send(b"T", payload)

    def _data_rows(self, wire: _Wire, rows: list[tuple[bytes | None, ...]]) -> None:
        for row in rows:
            parts = [struct.pack("!h", len(row))]
            for value in row:
                parts.append(b"\xff\xff\xff\xff" if value is None else struct.pack("!i", len(value)) + value)
            wire.send(b"D", b"".join(parts))

    def _complete(self, wire: _Wire, result: Result, count: int) -> None:
        tag = f"{result.tag} {count}" if result.tag in ("SELECT", "FETCH", "MOVE") else result.tag
        wire.send(b"C", _cstring(tag))

    def _fail(self, wire: _Wire, session: Session, error: PgError) -> None:
        self._error(wire, error)
        if session.in_transaction:
            session.failed = True

    def _serve(self, wire: _Wire, session: Session) -> None:
        statements: dict[str, tuple[str, list[int]]] = {}
        portals: dict[str, tuple[str, list[Any], Result | None]] = {}
        skipping = False  # after an error in the extended protocol, until Sync
        while True:
            kind, body = wire.message()
            if kind == b"X":
                return
            if kind == b"Q":
                self._simple_query(wire, session, body[:-1].decode())
                continue
            if kind == b"S":
                skipping = False
                self._ready(wire, session)
                continue
            if kind == b"H":
                wire.flush()
                continue
            if skipping:
                continue
            try:
                if kind == b"P":
                    name, at = _read_cstring(body, 0)
                    sql, at = _read_cstring(body, at)
                    (count,) = struct.unpack("!h", body[at : at + 2])
                    oids = list(struct.unpack(f"!{count}i", body[at + 2 : at + 2 + 4 * count]))
                    statements[name] = (sql, oids)
                    wire.send(b"1")
                elif kind == b"B":
                    portal, sql, params = self._bind(body, statements)
                    portals[portal] = (sql, params, None)
                    wire.send(b"2")
                elif kind == b"D":
                    self._describe(wire, session, body, statements, portals)
                elif kind == b"E":
                    portal, at = _read_cstring(body, 0)
                    (limit,) = struct.unpack("!i", body[at : at + 4])
                    self._execute(wire, session, portal, limit, portals)
                elif kind == b"C":
                    what, name = body[:1], _read_cstring(body, 1)[0]
                    (statements if what == b"S" else portals).pop(name, None)
                    wire.send(b"3")
                else:
                    raise PgError("08P01", f"unexpected message {kind!r}")
            except PgError as error:
                self._fail(wire, session, error)
                skipping = True

    def _simple_query(self, wire: _Wire, session: Session, sql: str) -> None:
        statements = split_statements(sql)
        if not statements:
            wire.send(b"I")
        for statement in statements:
            try:
                result = session.run(statement)
            except PgError as error:
                self._fail(wire, session, error)
                break
            if result.schema is not None:
                self._row_description(wire, result.schema)
            rows, _ = result.rows()
            self._data_rows(wire, rows)
            self._complete(wire, result, len(rows))
        self._ready(wire, session)

    def _bind(self, body: bytes, statements: dict[str, tuple[str, list[int]]]) -> tuple[str, str, list[Any]]:
        portal, at = _read_cstring(body, 0)
        name, at = _read_cstring(body, at)
        if name not in statements:
            raise PgError("26000", f'prepared statement "{name}" does not exist')
        sql, oids = statements[name]
        (nformats,) = struct.unpack("!h", body[at : at + 2])
        formats = list(struct.unpack(f"!{nformats}h", body[at + 2 : at + 2 + 2 * nformats]))
        at += 2 + 2 * nformats
        (nparams,) = struct.unpack("!h", body[at : at + 2])
        at += 2
        params = []
        for i in range(nparams):
            (size,) = struct.unpack("!i", body[at : at + 4])
            at += 4
            value = None if size < 0 else body[at : at + size]
            at += max(size, 0)
            binary = (formats[i] if nformats > 1 else formats[0] if nformats == 1 else 0) == 1
            params.append(parse_parameter(value, oids[i] if i < len(oids) else 0, binary))
        (nresult,) = struct.unpack("!h", body[at : at + 2])
        result_formats = struct.unpack(f"!{nresult}h", body[at + 2 : at + 2 + 2 * nresult])
        if any(result_formats):
            raise PgError("0A000", "binary result columns are not supported here: ask for text (psycopg's default)")
        return portal, sql, params

    def _describe(self, wire: _Wire, session: Session, body: bytes, statements: dict, portals: dict) -> None:
        what, name = body[:1], _read_cstring(body, 1)[0]
        if what == b"S":
            if name not in statements:
                raise PgError("26000", f'prepared statement "{name}" does not exist')
            sql, oids = statements[name]
            nparams = max(len(oids), len(set(re.findall(r"\$(\d+)", sql))))
            wire.send(
                b"t",
                struct.pack(
                    f"!h{nparams}i", nparams, *[(oids[i] if i < len(oids) and oids[i] else TEXT.oid) for i in range(nparams)]
                ),
            )
            schema = session.describe(sql, nparams)
        elif name not in portals and name in session.cursors:
            schema = session.cursors[name].schema  # a DECLAREd cursor is a portal too (psycopg's named cursors)
        else:
            schema = self._portal_result(session, name, portals).schema
        if schema is None:
            wire.send(b"n")
        else:
            self._row_description(wire, schema)

    @staticmethod
    def _portal_result(session: Session, name: str, portals: dict) -> Result:
        """The portal's result: run on first use (Describe or Execute), then read on by later Executes."""
        if name not in portals:
            raise PgError("34000", f'portal "{name}" does not exist')
        sql, params, result = portals[name]
        if result is None:
            result = session.run(sql, params)
            portals[name] = (sql, params, result)
        return result

    def _execute(self, wire: _Wire, session: Session, portal: str, limit: int, portals: dict) -> None:
        result = self._portal_result(session, portal, portals)
        sql, params, _ = portals[portal]
        rows, done = result.rows(max(limit, 0))
        self._data_rows(wire, rows)
        if done:
            self._complete(wire, result, result.sent)
            portals[portal] = (sql, params, None)
        else:
            wire.send(b"s")


class PgServer(socketserver.ThreadingTCPServer):
    """The endpoint: one thread and one locked-down DuckDB connection per client."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], settings: Settings, credentials: Credentials) -> None:
        self.settings = settings
        self.credentials = credentials
        super().__init__(address, PgHandler)


# ---------------------------------------------------------------- running it

DEFAULT_PORT = 5433  # beside, not instead of, a PostgreSQL the machine may run on 5432
CONNECTION_ENV = "AIRFLOW_CONN_CITYLAKE_BI_PG"  # the Airflow connection `citylake_bi_pg`, when it holds the password


def credentials(password_file: Path) -> Credentials:
    """Who may connect: user CITYLAKE_PG_USER (default `citylake`) with the password from CITYLAKE_PG_PASSWORD, else
    from the Airflow connection `citylake_bi_pg` (its JSON or URI form), else a random one kept on this machine."""
    user = os.environ.get("CITYLAKE_PG_USER", "citylake")
    password = os.environ.get("CITYLAKE_PG_PASSWORD")
    if not password and os.environ.get(CONNECTION_ENV):
        raw = os.environ[CONNECTION_ENV]
        if raw.lstrip().startswith("{"):
            password = json.loads(raw).get("password")
        else:
            password = unquote(urlparse(raw).password or "") or None
    if not password:
        password = local_secret(password_file, nbytes=12)[0]
    return Credentials(user, password)


def serve(settings: Settings, host: str, port: int, who: Credentials, ready: Callable[[str], None] = print) -> None:
    """Serve until interrupted."""
    with PgServer((host, port), settings, who) as server:
        ready(f"Postgres-wire endpoint on {host}:{port} (user {who.user}), reading {settings.lake_uri}")
        server.serve_forever()


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def start_background(home: Path, host: str, port: int) -> Started:
    """`citylake bi pg` as a background process recorded in `<home>/processes.json` (stopped by `stop`)."""
    if any(alive(p) for p in read_started(home / "processes.json")):
        raise ServiceError(f"the Postgres-wire endpoint already runs: `make bi-down` first (state in {home})")
    if _accepts(host, port):
        raise ServiceError(f"{host}:{port} is taken by another program: pick another port with --pg-port")
    command = [str(Path(sys.executable).with_name("citylake")), "bi", "pg", "--host", host, "--port", str(port)]
    started = start_process("pgwire", command, dict(os.environ), home / "logs", cwd=home)
    record_started(home / "processes.json", [started])
    wait_until("the Postgres-wire endpoint", lambda: _accepts(host, port), 60, [started])
    return started


def stop(home: Path) -> list[str]:
    return stop_recorded(home / "processes.json")
