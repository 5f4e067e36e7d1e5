"""The Postgres-wire endpoint, driven by real clients: Debian's psql and psycopg 3."""

from __future__ import annotations

import datetime as dt
import decimal
import os
import secrets
import shutil
import subprocess
import threading
from collections.abc import Iterator

import pandas as pd
import psycopg
import pyarrow as pa
import pytest

from citylake import Lake as SdkLake
from pipelines.bi.pgwire import Credentials, PgServer, Scram, adapt, split_statements, text_column
from pipelines.lake.catalog import catalog
from pipelines.lake.layout import Zone
from pipelines.lake.storage import Lake

PASSWORD = secrets.token_hex(8)  # made per run: no password in the repository
T0 = pd.Timestamp("2016-01-01 07:00", tz="UTC")


def episode(station: str, start: pd.Timestamp, peak: int) -> dict:
    return {
        "station": station,
        "episode_id": f"{station}-{start:%Y%m%d%H}",
        "start_utc": start,
        "end_utc": start + pd.Timedelta("5h"),
        "start_local_date": (start + pd.Timedelta("8h")).date(),
        "hours": 6,
        "peak_aqi": peak,
        "peak_utc": start + pd.Timedelta("2h"),
        "peak_category": "Severely polluted" if peak > 300 else "Heavily polluted",
        "mean_aqi": peak - 20.5,
        "primary_pollutant": "PM2.5",
    }


@pytest.fixture
def endpoint(settings) -> Iterator[tuple[str, int]]:
    table = catalog()[(Zone.CURATED, "air_pollution_episodes")]
    records = [
        episode("Dingling", T0, 374),
        episode("Dingling", T0 + pd.Timedelta("3D"), 250),
        episode("Huairou", T0 + pd.Timedelta("1h"), 310),
    ]
    frame = pd.concat([table.arrow_schema.empty_table().to_pandas(), pd.DataFrame(records)], ignore_index=True)
    Lake(settings).publish(table, frame[table.names], None, "r", "k")
    server = PgServer(("127.0.0.1", 0), settings, Credentials("citylake", PASSWORD))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[:2]
    server.shutdown()
    server.server_close()


def connect(endpoint: tuple[str, int], password: str = PASSWORD) -> psycopg.Connection:
    host, port = endpoint
    return psycopg.connect(host=host, port=port, user="citylake", password=password, dbname="citylake", connect_timeout=10)


def psql(endpoint: tuple[str, int], *commands: str) -> str:
    binary = shutil.which("psql")
    assert binary, "psql is needed (Debian: apt-get install postgresql-client; .ci/run installs it)"
    host, port = endpoint
    args = [binary, "-X", "-h", host, "-p", str(port), "-U", "citylake", "-d", "citylake", "-v", "ON_ERROR_STOP=1"]
    for command in commands:
        args += ["-c", command]
    done = subprocess.run(args, env={**os.environ, "PGPASSWORD": PASSWORD}, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_psql_lists_the_lake_describes_a_table_and_reads_what_the_sdk_reads(endpoint, settings) -> None:
    listing = psql(endpoint, r"\dt")
    assert " main   | air_pollution_episodes | table | citylake" in listing
    described = psql(endpoint, r"\d air_pollution_episodes")
    assert 'Table "main.air_pollution_episodes"' in described
    assert " start_utc         | timestamptz |" in described
    assert " peak_aqi          | int2        |" in described

    out = psql(
        endpoint, "SELECT station, count(*) AS episodes, max(peak_aqi) AS peak FROM air_pollution_episodes GROUP BY 1 ORDER BY 1"
    )
    assert out.splitlines()[2:4] == [" Dingling |        2 |  374", " Huairou  |        1 |  310"]
    sdk = SdkLake(settings=settings).sql(
        "SELECT station, count(*) AS n, max(peak_aqi) AS peak FROM air_pollution_episodes GROUP BY 1 ORDER BY 1"
    )
    assert sdk.values.tolist() == [["Dingling", 2, 374], ["Huairou", 1, 310]]


def test_psycopg_binds_parameters_keeps_time_zones_and_fetches_with_a_named_cursor(endpoint) -> None:
    with connect(endpoint) as con:
        beijing = dt.timezone(dt.timedelta(hours=8))
        rows = con.execute(
            "SELECT station, start_utc, peak_aqi, mean_aqi, start_local_date FROM air_pollution_episodes"
            " WHERE station = %s AND start_utc >= %s AND peak_aqi > %s AND start_local_date <= %s ORDER BY start_utc",
            ["Dingling", dt.datetime(2016, 1, 1, 15, 0, tzinfo=beijing), 300, dt.date(2016, 1, 1)],
        ).fetchall()
        assert rows == [("Dingling", dt.datetime(2016, 1, 1, 7, 0, tzinfo=dt.UTC), 374, 353.5, dt.date(2016, 1, 1))]
        assert rows[0][1].utcoffset() == dt.timedelta(0)
        cursor = con.execute(
            "SELECT %s::INTEGER + 1 AS answer, %s AS half, %s AS yes, %s AS exact", [41, 0.5, True, decimal.Decimal("2.50")]
        )
        assert cursor.fetchall() == [(42, 0.5, True, decimal.Decimal("2.50"))]
        assert [d.name for d in cursor.description] == ["answer", "half", "yes", "exact"]

        with con.cursor(name="episodes") as named:  # DECLARE ... CURSOR, then FETCH in batches
            named.itersize = 2
            named.execute("SELECT episode_id FROM air_pollution_episodes WHERE station <> %s ORDER BY 1", ["nowhere"])
            assert [r[0] for r in named] == ["Dingling-2016010107", "Dingling-2016010407", "Huairou-2016010108"]


def test_the_endpoint_is_read_only_and_reads_the_lake_and_nothing_else(endpoint) -> None:
    with connect(endpoint) as con:
        con.autocommit = True
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="file system operations are disabled"):
            con.execute("SELECT * FROM read_csv('/etc/passwd')")
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction, match="only queries"):
            con.execute("CREATE TABLE grab AS SELECT 1")
        con.execute("SET lock_configuration = false")  # clients' SETs are acknowledged and change nothing
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            con.execute("SELECT * FROM read_text(%s)", ["/etc/passwd"])
        with pytest.raises(psycopg.errors.UndefinedTable, match="nothing_here"):
            con.execute("SELECT * FROM nothing_here")
        assert con.execute("SELECT count(*) FROM air_pollution_episodes").fetchone() == (3,)  # still serving
    with pytest.raises(psycopg.OperationalError, match='password authentication failed for user "citylake"'):
        connect(endpoint, password="guess")


def test_a_failed_statement_in_a_transaction_blocks_it_until_rollback(endpoint) -> None:
    with connect(endpoint) as con:
        with pytest.raises(psycopg.errors.UndefinedTable):
            con.execute("SELECT * FROM missing")
        with pytest.raises(psycopg.errors.InFailedSqlTransaction):
            con.execute("SELECT 1")
        con.rollback()
        assert con.execute("SELECT 1 AS one").fetchone() == (1,)


def test_values_are_sent_in_postgres_text_form() -> None:
    utc = pa.array([dt.datetime(2024, 5, 2, 19, 30, tzinfo=dt.UTC), None], pa.timestamp("us", "UTC"))
    assert text_column(utc) == [b"2024-05-02 19:30:00.000000+00", None]
    assert text_column(pa.array([True, False, None])) == [b"t", b"f", None]
    assert text_column(pa.array([1.5, float("inf"), float("nan")])) == [b"1.5", b"Infinity", b"NaN"]
    assert text_column(pa.array([["a", "b c"], None], pa.list_(pa.string()))) == [b'{a,"b c"}', None]


def test_statements_are_split_outside_quotes_and_psql_catalogue_queries_are_adapted() -> None:
    assert split_statements("SELECT ';' AS s; -- a comment; here\nSELECT 2;") == ["SELECT ';' AS s", " \nSELECT 2"]
    assert adapt("WHERE c.relname OPERATOR(pg_catalog.~) '^(x)$' COLLATE pg_catalog.default") == "WHERE c.relname ~ '^(x)$' "
    assert "pg_catalog.pg_get_userbyid" not in adapt("SELECT pg_catalog.pg_get_userbyid(c.relowner) FROM pg_catalog.pg_class c")


def test_scram_accepts_the_right_proof_only() -> None:
    import base64
    import hashlib
    import hmac

    def client_final(scram: Scram, password: str) -> str:
        server_first = scram.first("n,,n=citylake,r=clientnonce")
        attrs = dict(part.split("=", 1) for part in server_first.split(","))
        salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(attrs["s"]), int(attrs["i"]))
        client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
        without_proof = f"c=biws,r={attrs['r']}"
        auth = f"n=citylake,r=clientnonce,{server_first},{without_proof}"
        signature = hmac.new(hashlib.sha256(client_key).digest(), auth.encode(), hashlib.sha256).digest()
        proof = base64.b64encode(bytes(a ^ b for a, b in zip(client_key, signature))).decode()
        return f"{without_proof},p={proof}"

    scram = Scram("right")
    assert scram.final(client_final(scram, "right")).startswith("v=")
    other = Scram("right")
    assert other.final(client_final(other, "wrong")) is None
