"""`RenderJob.change_seq`: a counter the database bumps on every change a poller could see.

Pollers revalidate against it (the ETag of a job's status, `renders.conditional`) instead of
re-reading the job's events and files. Database triggers do the bumping, so no writer can forget
it — the worker's progress updates, log lines, files, the reaper, admin edits, the publishing app,
a raw `QuerySet.update()`:

- an UPDATE of the job row that does not raise `change_seq` bumps it past the stored value: one that
  leaves it alone, and one that writes back a stale copy (a full `save()` of a job loaded before
  another writer's change), which must never take the counter back to an ETag already handed out.
  An update that raises it (the child-table triggers below) is not bumped twice;
- an INSERT, UPDATE or DELETE of a row that belongs to a job (`JobEvent`, `JobAsset`, and
  `publishing.Publication`, which installs its own) bumps that job's version.

The triggers are (re)installed after every `migrate` (`post_migrate`), not only by the migration
that added the column: SQLite's schema editor rebuilds a table for most later column changes, and a
rebuilt table has lost its triggers. Installing is idempotent on both SQLite and PostgreSQL.
"""

# ruff: noqa: S608 - the SQL is built from this module's own table and column names, never from input

from __future__ import annotations

from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

JOB_TABLE = "renders_renderjob"
# Tables whose rows show in a job's status, with the column that names their job.
CHILD_TABLES = (("renders_jobevent", "job_id"), ("renders_jobasset", "job_id"))


def _sqlite_job_trigger() -> list[str]:
    return [
        f"""CREATE TRIGGER IF NOT EXISTS {JOB_TABLE}_bump_version
        AFTER UPDATE ON {JOB_TABLE} FOR EACH ROW WHEN NEW.change_seq <= OLD.change_seq
        BEGIN UPDATE {JOB_TABLE} SET change_seq = OLD.change_seq + 1 WHERE id = NEW.id; END"""
    ]


def _sqlite_child_triggers(table: str, fk: str) -> list[str]:
    def bump(row: str) -> str:
        return f"UPDATE {JOB_TABLE} SET change_seq = change_seq + 1 WHERE id = {row}.{fk};"

    moved = f"UPDATE {JOB_TABLE} SET change_seq = change_seq + 1 WHERE id = OLD.{fk} AND OLD.{fk} IS NOT NEW.{fk};"
    bodies = {"INSERT": bump("NEW"), "UPDATE": bump("NEW") + " " + moved, "DELETE": bump("OLD")}
    return [
        f"CREATE TRIGGER IF NOT EXISTS {table}_{event.lower()}_bumps_job_version "
        f"AFTER {event} ON {table} FOR EACH ROW BEGIN {body} END"
        for event, body in bodies.items()
    ]


def _postgresql_job_trigger() -> list[str]:
    return [
        f"""CREATE OR REPLACE FUNCTION {JOB_TABLE}_bump_version() RETURNS trigger AS $$
        BEGIN
            IF NEW.change_seq <= OLD.change_seq THEN NEW.change_seq := OLD.change_seq + 1; END IF;
            RETURN NEW;
        END $$ LANGUAGE plpgsql""",
        f"DROP TRIGGER IF EXISTS {JOB_TABLE}_bump_version ON {JOB_TABLE}",
        f"""CREATE TRIGGER {JOB_TABLE}_bump_version BEFORE UPDATE ON {JOB_TABLE}
        FOR EACH ROW EXECUTE FUNCTION {JOB_TABLE}_bump_version()""",
    ]


def _postgresql_child_triggers(table: str, fk: str) -> list[str]:
    function = f"{table}_bumps_job_version"
    return [
        f"""CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
        BEGIN
            IF TG_OP <> 'DELETE' THEN
                UPDATE {JOB_TABLE} SET change_seq = change_seq + 1 WHERE id = NEW.{fk};
            END IF;
            IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.{fk} IS DISTINCT FROM NEW.{fk}) THEN
                UPDATE {JOB_TABLE} SET change_seq = change_seq + 1 WHERE id = OLD.{fk};
            END IF;
            RETURN NULL;
        END $$ LANGUAGE plpgsql""",
        f"DROP TRIGGER IF EXISTS {function} ON {table}",
        f"""CREATE TRIGGER {function} AFTER INSERT OR UPDATE OR DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION {function}()""",
    ]


def trigger_statements(vendor: str, *, job_table: bool, children: tuple[tuple[str, str], ...]) -> list[str]:
    """The SQL that installs the version triggers on this database vendor (idempotent)."""
    if vendor == "sqlite":
        statements = _sqlite_job_trigger() if job_table else []
        for table, fk in children:
            statements += _sqlite_child_triggers(table, fk)
        return statements
    if vendor == "postgresql":
        statements = _postgresql_job_trigger() if job_table else []
        for table, fk in children:
            statements += _postgresql_child_triggers(table, fk)
        return statements
    raise NotImplementedError(f"RenderJob.change_seq needs triggers written for {vendor}")


def install_triggers(
    connection: BaseDatabaseWrapper, *, job_table: bool = True, children: tuple[tuple[str, str], ...] = CHILD_TABLES
) -> None:
    tables = set(connection.introspection.table_names())
    if JOB_TABLE not in tables or any(table not in tables for table, _ in children):
        return  # migrated backwards past these tables, or not there yet
    columns = {column.name for column in connection.introspection.get_table_description(connection.cursor(), JOB_TABLE)}
    if "change_seq" not in columns:
        return  # before the migration that adds it
    with connection.cursor() as cursor:
        for statement in trigger_statements(connection.vendor, job_table=job_table, children=children):
            cursor.execute(statement)


def install_after_migrate(using: str = "default", **kwargs: Any) -> None:
    """`post_migrate` receiver of the renders app."""
    from django.db import connections

    install_triggers(connections[using])


def drop_before_migrate(using: str = "default", **kwargs: Any) -> None:
    """`pre_migrate` receiver of the renders app: on SQLite, every version trigger goes first.

    SQLite rebuilds a table to alter it (create a copy, drop, rename); a trigger on another table
    that names the rebuilt one (a job event's trigger updates `renders_renderjob`) makes that
    rename fail. So no version trigger exists while migrations run; `install_after_migrate` (and
    publishing's receiver) put them all back once they are done. PostgreSQL alters in place.
    """
    from django.db import connections

    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        names = [name for (name,) in cursor.fetchall()]
        for name in names:
            if name.endswith("_bumps_job_version") or name == f"{JOB_TABLE}_bump_version":
                cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"')
