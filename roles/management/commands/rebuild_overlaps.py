"""``manage.py rebuild_overlaps``: build the overlap index from scratch.

Every service that changes a duty text keeps the index current, so this is needed only after
migrating to a version with the index, after bulk loads that bypass the services
(``generate_org``), or to check that the index is what it should be.
"""

from django.core.management.base import BaseCommand

from roles.generator import text_progress
from roles.overlap import overlap_rebuild


class Command(BaseCommand):
    help = "Build the overlap index (similar duty pairs) from scratch, with a progress bar."

    def add_arguments(self, parser):
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, **opts):
        progress = (lambda *a: None) if opts["no_progress"] else text_progress(self.stderr._out)
        report = overlap_rebuild(progress=progress)
        self.stdout.write(
            f"{report.items} duties indexed, {report.candidates} candidate pairs compared, "
            f"{report.pairs} overlapping pairs stored ("
            + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in report.seconds.items())
            + ")."
        )
