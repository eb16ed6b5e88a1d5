#!/usr/bin/env bash
# Build ConvLab's wheel from the checkout, install it into a fresh virtual environment
# outside the checkout, and run `convlab --self-test` there, headless.
#
#   packaging/check_wheel.sh            (PYTHON=python3.12 packaging/check_wheel.sh for another one)
#
# An editable install reads resources straight from the checkout, so it hides package data
# missing from the wheel; this does not. The wheel is built from a copy of the files git
# tracks or would track (no stale build/ folder can leak into it), with pip's usual build
# isolation; dependencies come from the package index (pip's cache makes reruns quick).
# Leaves the wheel in dist/. Exits non-zero on any failure; each step has a timeout.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
python=${PYTHON:-python3}
export PIP_DISABLE_PIP_VERSION_CHECK=1

work=$(mktemp -d "${TMPDIR:-/tmp}/convlab-wheel-check.XXXXXX")
trap 'rm -rf "$work"' EXIT

STEP_PREFIX=check_wheel
# shellcheck source=packaging/steps.sh
source "$root/packaging/steps.sh"

echo "== copy the source tree (git-tracked and untracked-but-not-ignored files)"
mkdir "$work/src"
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$work/src"

step 120 "create a fresh venv in $work" "$python" -m venv "$work/venv"
step 300 "build the wheel" "$work/venv/bin/pip" wheel -q --no-deps -w "$work/wheel" "$work/src"
wheel=$(ls "$work"/wheel/convlab-*.whl)
mkdir -p dist
cp "$wheel" dist/
echo "   $(basename "$wheel") ($(du -h "$wheel" | cut -f1))"
step 900 "install the wheel and its dependencies" "$work/venv/bin/pip" install -q "$wheel"

cd "$work"  # nowhere near the checkout: only the installed package can be imported
step 60 "the installed package is the one in use, with every resource" \
  "$work/venv/bin/python" - "$root" <<'EOF'
import sys
from pathlib import Path

import convlab
from convlab.paths import resources_dir

root = Path(sys.argv[1]).resolve()
package = Path(convlab.__file__).resolve().parent
assert root not in package.parents, f"convlab imported from the checkout: {package}"
assert "site-packages" in package.parts, f"convlab not imported from site-packages: {package}"
assert resources_dir().resolve() == package / "resources", resources_dir()
wanted = {
    p.relative_to(root / "convlab")
    for folder in ("resources", "core/data")
    for p in (root / "convlab" / folder).rglob("*")
    if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
}
missing = sorted(str(p) for p in wanted if not (package / p).is_file())
assert not missing, f"resources missing from the installed wheel: {missing}"
print(f"   convlab {convlab.__version__} from {package}: {len(wanted)} resource files present")
EOF
step 300 "convlab --self-test (installed gui-script, offscreen)" \
  env QT_QPA_PLATFORM=offscreen "$work/venv/bin/convlab" --self-test
echo "== wheel OK: dist/$(basename "$wheel")"
