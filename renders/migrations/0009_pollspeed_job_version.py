"""RenderJob.change_seq and the triggers that bump it (renders/job_version.py)."""

from django.db import migrations, models


def install_triggers(apps, schema_editor):
    # On SQLite the triggers are installed after the whole migrate run (a later migration that
    # rebuilds the job table would trip over them: renders/job_version.py drop_before_migrate).
    if schema_editor.connection.vendor == "sqlite":
        return
    from renders.job_version import install_triggers

    install_triggers(schema_editor.connection)


def drop_triggers(apps, schema_editor):
    # The column goes next; SQLite drops a rebuilt table's triggers by itself, PostgreSQL's
    # functions would be left behind.
    if schema_editor.connection.vendor == "postgresql":
        for name in ("renders_renderjob_bump_version", "renders_jobevent_bumps_job_version",
                     "renders_jobasset_bumps_job_version"):  # fmt: skip
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}() CASCADE")
    elif schema_editor.connection.vendor == "sqlite":
        for name in ("renders_renderjob_bump_version",
                     *(f"{table}_{event}_bumps_job_version" for table in ("renders_jobevent", "renders_jobasset")
                       for event in ("insert", "update", "delete"))):  # fmt: skip
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("renders", "0008_queueops_priority_retry")]

    operations = [
        migrations.AddField(
            model_name="renderjob",
            name="change_seq",
            field=models.PositiveBigIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(install_triggers, drop_triggers, elidable=False),
    ]
