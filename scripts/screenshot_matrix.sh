#!/usr/bin/env bash
# Render every lab at the sizes, looks and text scales a person uses, for a visual check:
#   bash scripts/screenshot_matrix.sh [OUT]   (default: screenshots/matrix)
# Writes OUT/<W>x<H>-<theme>[-presentation]/<lab>.png and lists any window that needed
# more room than the size it was given (something would be clipped on such a screen).
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-screenshots/matrix}
python=${PYTHON:-.venv/bin/python}
status=0
for size in 1024x600 1366x768 1920x1080; do
  for theme in light dark; do
    for presentation in "" "--presentation"; do
      dir="$out/$size-$theme${presentation:+-presentation}"
      mkdir -p "$dir"
      QT_QPA_PLATFORM=offscreen "$python" -m convlab --screenshot "$dir" --size "$size" \
        --theme "$theme" $presentation > /dev/null 2> "$dir.log" || status=1
      grep -v "propagateSizeHints" "$dir.log" | sed "s|^|$dir: |"
      rm -f "$dir.log"
    done
  done
done
exit $status
