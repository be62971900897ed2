"""Benchmark of the session report PDF (prints one line of figures; not a timed test).

    .venv/bin/python bench/report.py [--notes 600] [--impressions 40] [--profile report.prof]

Builds a closed session in a temporary SQLite database (participants of both communities, notes
on every grid dimension with votes, debrief clusters holding every note, impression notes shared
for the report, a synthesis validated by the three parties), then gathers and renders its report
as the job does. Prints `notes=… pages=… seconds=… peak_mib=… cpu_seconds=…`: `seconds` covers reading the
database and laying out and writing the PDF; `peak_mib` is the process's peak resident memory.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "facilitation"))

SENTENCES = [
    "La coopération entre la commune et le collectif tient d'abord au lieu partagé, ouvert trois jours par semaine.",
    "Les habitant·es se sont saisi·es du diagnostic quand on leur a demandé ce qu'ils et elles savaient déjà faire.",
    "La posture d'accompagnement : écouter avant de proposer, et rendre visible ce qui existe.",
    "Le circuit court alimentaire relie douze producteur·ices et la cantine ; la question du prix reste ouverte.",
    "Les élu·es veulent un tiers-lieu, les associations une coordination : il faudra tenir les deux.",
]


def main() -> None:
    """Build the session, render its report, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=600)
    parser.add_argument("--impressions", type=int, default=40)
    parser.add_argument("--profile", type=Path, default=None,
                        help="write a cProfile of the measured render to this file (pstats format)")
    args = parser.parse_args()

    from after_factory import make_session

    from app.clock import FrozenClock
    from app.config import PROJECT_ROOT
    from app.db import make_engine, read_session, upgrade, write_session
    from app.facilitation import debrief, impressions, reporting, synthesis
    from app.facilitation.enums import Regard, ValidationDecision, ValidationParty
    from app.kit import load_kit
    from app.models import Meeting, Participant, Synthesis, User
    from app.printing.report import render_session_report

    kit = load_kit(PROJECT_ROOT / "kit_content").kit
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/bench.sqlite3")
        upgrade(engine)
        # post-it notes: one or two sentences each (about 100 to 220 characters)
        texts = [" ".join((SENTENCES * 2)[i % 5: i % 5 + 1 + i % 2]) for i in range(10)]
        made = make_session(engine, notes=args.notes, participants=args.impressions, texts=texts)
        clock = FrozenClock()
        with write_session(engine) as db:
            meeting = db.get(Meeting, made.meeting_id)
            assert meeting is not None
            clusters = [debrief.create_cluster(db, clock, meeting, f"Groupe {n + 1} : {SENTENCES[n % 5][:40]}")
                        for n in range(12)]
            for index, cluster in enumerate(clusters):
                debrief.move_notes(db, clock, meeting, made.note_ids[index::12], cluster.id)
            for participant_id in made.participant_ids:
                person = db.get(Participant, participant_id)
                assert person is not None
                impressions.save(db, clock, meeting, person, text="\n\n".join(SENTENCES * 3), consent=True,
                                 base_version=0, send=True)
            user = db.exec(__import__("sqlmodel").select(User)).first()
            found = synthesis.start(db, clock, meeting, user)
            tokens = {party: synthesis.invite(db, clock, found, party) for party in ValidationParty}
            for party, token in tokens.items():
                synthesis.answer(db, clock, synthesis.invite_for(db, token), version_number=1,
                                 decision=ValidationDecision.APPROVED, approver_name=f"Pour {party.value}")
            assert synthesis.status(db, db.get(Synthesis, found.id) or found).frozen
            assert all(Regard(r) for r in Regard)

        # warm the per-process resources (fonts, CSS) as a running worker has them
        with read_session(engine) as db:
            meeting = db.get(Meeting, made.meeting_id)
            assert meeting is not None
            render_session_report(reporting.gather(db, meeting), kit, PROJECT_ROOT / "print")
        profiler = None
        if args.profile is not None:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        start, cpu_start = time.perf_counter(), time.process_time()
        with read_session(engine) as db:
            meeting = db.get(Meeting, made.meeting_id)
            assert meeting is not None
            data = reporting.gather(db, meeting)
        pdf, pages = render_session_report(data, kit, PROJECT_ROOT / "print")
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(str(args.profile))
        engine.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert pdf.startswith(b"%PDF")
    # cpu_seconds: the process's own CPU time, telling a busy machine's waits from the work itself
    print(f"notes={data.note_count} pages={pages} seconds={seconds:.2f} peak_mib={peak:.0f} cpu_seconds={cpu:.2f}")


if __name__ == "__main__":
    main()
