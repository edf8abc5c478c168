#!/bin/sh
# An --on-event hook for `farm capture`: when a day is over, post its timelapse to a chat
# webhook (Discord's, or any service taking a multipart upload with a "file" and a "content"
# field); when uploads to the backup remote fail, post a line saying so. Other events are
# ignored. farm runs it without a shell and gives the event's JSON on stdin; the fields a
# script needs most are in the environment as well (FARM_EVENT, FARM_DAY, FARM_VIDEO).
#
#   export CHAT_WEBHOOK_URL=https://discord.com/api/webhooks/...   # keep it out of the command line
#   farm capture --hourly --source ... --on-event examples/hooks/post-video.sh
#
# Needs curl. A non-zero exit is logged by farm as a warning; the capture goes on.
set -eu

: "${CHAT_WEBHOOK_URL:?set CHAT_WEBHOOK_URL to the chat webhook to post to}"
event=$(cat)

case "$FARM_EVENT" in
day:finalized)
  [ -n "${FARM_VIDEO:-}" ] || exit 0 # a day without a frame has no video
  frames=$(printf '%s' "$event" | sed -n 's/.*"frames":\([0-9]*\).*/\1/p')
  exec curl --fail --silent --show-error --max-time 300 \
    -F "content=Timelapse of $FARM_DAY ($frames frames)" \
    -F "file=@$FARM_VIDEO;type=video/mp4" \
    "$CHAT_WEBHOOK_URL"
  ;;
backup:failed)
  error=$(printf '%s' "$event" | sed -n 's/.*"error":"\([^"]*\)".*/\1/p')
  exec curl --fail --silent --show-error --max-time 60 \
    -F "content=farm capture: uploads to the backup remote are failing: $error" \
    "$CHAT_WEBHOOK_URL"
  ;;
esac
