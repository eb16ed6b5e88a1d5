#!/usr/bin/env bash
# Build ConvLab's executable with PyInstaller from a checkout, then smoke-test it headless.
#
#   packaging/build_exe.sh              one-folder app: dist/ConvLab/ (run dist/ConvLab/convlab)
#   packaging/build_exe.sh --onefile    one-file app:   dist/convlab
#
# Works from a clean clone: creates .venv (with ConvLab's dependencies) if there is none and
# installs PyInstaller into it. Each step has a timeout; the script exits non-zero if any
# step fails, if a bundled resource is missing from the build, or if the built app's
# --self-test fails. PyInstaller's and Qt's caches live in build/, not in your home folder.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

onefile=0
case "${1:-}" in
  "") ;;
  --onefile) onefile=1 ;;
  *) echo "usage: $0 [--onefile]" >&2; exit 2 ;;
esac

PYINSTALLER_REQUIREMENT=${PYINSTALLER_REQUIREMENT:-"pyinstaller>=6.10,<7"}
export PYINSTALLER_CONFIG_DIR=$root/build/pyinstaller-cache
export XDG_CACHE_HOME=$root/build/xdg-cache
export QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen}
export PIP_DISABLE_PIP_VERSION_CHECK=1

STEP_PREFIX=build_exe
# shellcheck source=packaging/steps.sh
source "$root/packaging/steps.sh"

if [ ! -x .venv/bin/python ]; then
  step 120 "create .venv" python3 -m venv .venv
fi
if ! .venv/bin/python -c "import PyQt6.QtWidgets, pyqtgraph, numpy, scipy, platformdirs" 2>/dev/null; then
  step 900 "install ConvLab's dependencies into .venv" .venv/bin/pip install -q -e .
fi
step 600 "install PyInstaller ($PYINSTALLER_REQUIREMENT)" \
  .venv/bin/pip install -q "$PYINSTALLER_REQUIREMENT"

if [ "$onefile" -eq 1 ]; then
  app_dir=dist
  exe=dist/convlab
  rm -f "$exe"
else
  app_dir=dist/ConvLab
  exe=dist/ConvLab/convlab
fi
step 900 "PyInstaller build ($([ "$onefile" -eq 1 ] && echo one-file || echo one-folder))" \
  env CONVLAB_ONEFILE="$onefile" .venv/bin/pyinstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/convlab.spec

if [ "$onefile" -eq 0 ]; then
  echo "== every bundled resource is in the build"
  missing=0
  while IFS= read -r -d '' file; do
    if [ ! -f "$app_dir/_internal/$file" ]; then
      echo "missing from the build: $file" >&2
      missing=1
    fi
  done < <(find convlab/resources convlab/core/data -type f ! -name '*.py' ! -name '*.pyc' -print0)
  [ "$missing" -eq 0 ] || exit 1
  dangling=$(find "$app_dir" -xtype l)
  [ -z "$dangling" ] || { echo "symbolic links to files not in the build: $dangling" >&2; exit 1; }
  # The SVG window icon needs Qt's SVG icon engine and image format plugins.
  for plugin in iconengines/libqsvgicon.so imageformats/libqsvg.so; do
    [ -f "$app_dir/_internal/PyQt6/Qt6/plugins/$plugin" ] || { echo "missing Qt plugin $plugin" >&2; exit 1; }
  done
  cp packaging/convlab.desktop packaging/install_desktop.sh "$app_dir/"
  # Libraries missing here are neither bundled nor testable: the target machine must have
  # them (see docs/packaging.md). Installing them here first bundles them instead.
  internal=$root/$app_dir/_internal
  unresolved=$(find "$app_dir" -type f -name '*.so*' -print0 |
    xargs -0 -n 50 env LD_LIBRARY_PATH="$internal:$internal/PyQt6/Qt6/lib" ldd 2>/dev/null |
    awk '/not found/ {print $1}' | sort -u | tr '\n' ' ')
  if [ -n "$unresolved" ]; then
    echo "== note: not on this build machine, so not bundled (the target needs them): $unresolved"
  fi
fi

step 300 "self-test of the built app ($QT_QPA_PLATFORM)" "$exe" --self-test
if command -v xvfb-run >/dev/null; then
  step 300 "self-test of the built app on X11 (xcb under Xvfb)" \
    env QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1600x1000x24" "$exe" --self-test
else
  echo "== (X11 self-test skipped: xvfb-run is not installed; apt-get install xvfb xauth)"
fi

echo "== built $exe ($(du -sh "$([ "$onefile" -eq 1 ] && echo "$exe" || echo "$app_dir")" | cut -f1))"
