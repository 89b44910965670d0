"""Rebuild templates/lkip.docx from tasks/publish/lkip_docx.py (after changing its sections).

A secretariat restyles a COPY of the template in Word and passes it with
`triwulan lkip 2024 --templat lkip-kita.docx`; this script is for developers.

    .venv/bin/python scripts/lkip_template.py
"""

from pathlib import Path

from triwulan.tasks.publish.lkip_docx import build_template

if __name__ == "__main__":
    target = Path(__file__).resolve().parent.parent / "templates" / "lkip.docx"
    print(build_template(target))
