# Sourced by the packaging scripts. Set STEP_PREFIX to the script's name first.
#
# step SECONDS DESCRIPTION COMMAND... : run COMMAND with a timeout, name the failing step.
step() {
  local seconds=$1 what=$2 status=0
  shift 2
  echo "== $what"
  timeout --kill-after=10 "$seconds" "$@" || status=$?
  if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
    echo "$STEP_PREFIX: '$what' timed out after ${seconds}s" >&2
    exit 1
  elif [ "$status" -ne 0 ]; then
    echo "$STEP_PREFIX: '$what' failed (exit $status)" >&2
    exit "$status"
  fi
}
