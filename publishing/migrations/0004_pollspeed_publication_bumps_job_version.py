"""A publication's changes bump its job's version (renders/job_version.py)."""

from django.db import migrations


def install_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        return  # installed after the migrate run (renders/job_version.py drop_before_migrate)
    from publishing.apps import PUBLICATION_TABLE
    from renders.job_version import install_triggers

    install_triggers(schema_editor.connection, job_table=False, children=PUBLICATION_TABLE)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS publishing_publication_bumps_job_version() CASCADE")
    elif schema_editor.connection.vendor == "sqlite":
        for event in ("insert", "update", "delete"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS publishing_publication_{event}_bumps_job_version")


class Migration(migrations.Migration):
    dependencies = [
        ("publishing", "0003_studio2_verbose_names"),
        ("renders", "0009_pollspeed_job_version"),
    ]

    operations = [migrations.RunPython(install_trigger, drop_trigger, elidable=False)]
