#!/usr/bin/env bash
# Install (or remove) ConvLab's menu entry and icon for the current user only (no root).
#
#   packaging/install_desktop.sh [EXECUTABLE]     install
#   packaging/install_desktop.sh --uninstall      remove what install put there
#
# EXECUTABLE defaults to the `convlab` next to this script (the unpacked one-folder app,
# where build_exe.sh copies this script), else the `convlab` on PATH (a pip install).
# Files go under ${XDG_DATA_HOME:-~/.local/share}: applications/convlab.desktop and
# icons/hicolor/<size>/apps/convlab.{png,svg}.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
apps=$data/applications
hicolor=$data/icons/hicolor
sizes=(16 32 48 64 128 256)

refresh_caches() {
  if command -v update-desktop-database >/dev/null; then update-desktop-database -q "$apps" || true; fi
  if command -v gtk-update-icon-cache >/dev/null && [ -f "$hicolor/index.theme" ]; then
    gtk-update-icon-cache -q -t -f "$hicolor" || true
  fi
}

if [ "${1:-}" = "--uninstall" ]; then
  rm -f "$apps/convlab.desktop" "$hicolor/scalable/apps/convlab.svg"
  for s in "${sizes[@]}"; do rm -f "$hicolor/${s}x${s}/apps/convlab.png"; done
  refresh_caches
  echo "ConvLab menu entry and icons removed from $data"
  exit 0
fi

# Icons: from a checkout (packaging/../convlab/resources) or the one-folder app (_internal/).
icons=""
for candidate in "$here/../convlab/resources/icons" "$here/_internal/convlab/resources/icons"; do
  if [ -f "$candidate/convlab.svg" ]; then icons=$(cd "$candidate" && pwd); break; fi
done
[ -n "$icons" ] || { echo "error: ConvLab's icons not found next to $here" >&2; exit 1; }

if [ $# -ge 1 ]; then
  exe=$1
elif [ -x "$here/convlab" ]; then
  exe=$here/convlab
else
  exe=$(command -v convlab || true)
fi
[ -n "$exe" ] && [ -x "$exe" ] || {
  echo "error: no ConvLab executable found: pass its path, e.g. $0 /opt/ConvLab/convlab" >&2
  exit 1
}
exe=$(cd "$(dirname "$exe")" && pwd)/$(basename "$exe")

# Desktop Entry escaping. Exec: inside double quotes \ " ` $ take a backslash and % is
# written %%; then, as for every string value (TryExec too), each backslash is doubled.
q=${exe//\\/\\\\}
q=${q//\"/\\\"}
q=${q//\`/\\\`}
q=${q//\$/\\\$}
q=${q//%/%%}
exec_value="\"${q//\\/\\\\}\""
tryexec_value=${exe//\\/\\\\}

mkdir -p "$apps" "$hicolor/scalable/apps"
while IFS= read -r line; do
  case $line in
    Exec=*) printf 'Exec=%s\n' "$exec_value" ;;
    TryExec=*) printf 'TryExec=%s\n' "$tryexec_value" ;;
    *) printf '%s\n' "$line" ;;
  esac
done <"$here/convlab.desktop" >"$apps/convlab.desktop"
chmod 644 "$apps/convlab.desktop"
install -m 644 "$icons/convlab.svg" "$hicolor/scalable/apps/convlab.svg"
for s in "${sizes[@]}"; do
  install -D -m 644 "$icons/convlab-$s.png" "$hicolor/${s}x${s}/apps/convlab.png"
done
refresh_caches
echo "ConvLab installed in your menu: $apps/convlab.desktop -> $exe"
