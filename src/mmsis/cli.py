"""The `mmsis` command: a thin layer that parses arguments, calls a package and prints.

Each step of the implementation-science loop registers its own sub-command module; heavy
libraries are imported inside the commands so that `mmsis --help` stays fast.
"""

from __future__ import annotations

import sys

import typer

from mmsis import __version__
from mmsis.errors import MmsisError

app = typer.Typer(
    name="mmsis",
    help=(
        "Implementation-science workbench for MMS introduction and scale-up.\n\n"
        "The loop: assess (plan assess) -> plan (plan agenda, plan forms) -> design -> "
        "measure (survey, routine) -> evaluate -> decide (forecast, impact, report)."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mmsis {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
    lang: str | None = typer.Option(
        None, "--lang", envvar="MMSIS_LANG", help="Language of messages, tables and reports: "
        "en, fr or pt (also MMSIS_LANG)."),
) -> None:
    """Implementation-science workbench for MMS introduction and scale-up."""
    from mmsis._cli import use_language

    use_language(lang)


def _register() -> None:
    from mmsis.datasets.cli import app as datasets_app
    from mmsis.demos.cli import demo, plan_init
    from mmsis.design.cli import app as design_app
    from mmsis.evaluate.cli import app as evaluate_app
    from mmsis.field_cli import app as field_app
    from mmsis.forecast.cli import forecast
    from mmsis.framework.cli import app as framework_app
    from mmsis.impact.cli import impact
    from mmsis.measure.routine.cli import app as routine_app
    from mmsis.measure.routine.push_cli import push_cmd
    from mmsis.measure.survey.cli import app as survey_app
    from mmsis.plan.cli import app as plan_app
    from mmsis.report.cli import report
    from mmsis.web.cli import serve, users_app

    app.add_typer(framework_app, name="framework", help="Browse the IS knowledge base.")
    # `plan init --from-example` measures the example country: registered from above the library
    plan_app.command("init")(plan_init)
    app.add_typer(plan_app, name="plan", help="Assess readiness and plan the IR agenda.")
    app.add_typer(design_app, name="design", help="Sample size and power.")
    app.add_typer(survey_app, name="survey", help="Design-based survey estimates and cascade.")
    routine_app.command("push")(push_cmd)  # results back into DHIS2 (a dry run first)
    app.add_typer(routine_app, name="routine", help="DHIS2 routine data, indicators, quality.")
    app.add_typer(evaluate_app, name="evaluate", help="ITS, DiD and stepped-wedge analysis.")
    app.add_typer(field_app, name="field", help="Field submissions back in (ODK, Kobo), scored.")
    app.command("forecast", help="Supply and cost forecast of the IFA -> MMS transition.")(
        forecast
    )
    app.command("impact", help="Health impact and cost-effectiveness with uncertainty.")(impact)
    app.command("report", help="Build the country report for a TAG meeting.")(report)
    app.add_typer(datasets_app, name="datasets", help="Bundled example datasets.")
    app.command("serve", help="Start the web workspace.")(serve)
    app.add_typer(users_app, name="users", help="Manage web workspace accounts.")
    from mmsis.web.jobs_cli import jobs_app

    app.add_typer(jobs_app, name="jobs", help="Background jobs of the web workspace.")
    app.command("demo", help="Run the whole loop on the example country.")(demo)


_register()


def main() -> None:
    """Console entry point: user errors print a clear message and exit with status 2."""
    import logging

    from typer.exceptions import TyperException

    # configure logging first: pyfixest calls logging.basicConfig(level=INFO) at import,
    # which would otherwise flood the terminal with other libraries' INFO messages
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        # without standalone mode click returns the code of a `typer.Exit` instead of exiting
        code = app(standalone_mode=False)
    except MmsisError as exc:
        from mmsis.i18n import gettext as _

        typer.secho(_("Error: %(message)s") % {"message": exc}, fg=typer.colors.RED, err=True)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(1)
    except TyperException as exc:  # usage errors: show them as click would
        show = getattr(exc, "show", None)
        if show is None:
            raise
        show()
        sys.exit(int(getattr(exc, "exit_code", 2)))
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
